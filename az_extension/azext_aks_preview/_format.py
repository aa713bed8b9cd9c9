"""Table output (`-o table`) for the pod identity lists."""


def _rows(result, key, columns):
    profile = result.get("podIdentityProfile") or {}
    return [
        {column: read(item) for column, read in columns.items()} for item in profile.get(key) or []
    ]


def pod_identities_table(result):
    """One row per pod identity of the cluster."""
    return _rows(
        result,
        "userAssignedIdentities",
        {
            "name": lambda item: item.get("name"),
            "namespace": lambda item: item.get("namespace"),
            "provisioningState": lambda item: item.get("provisioningState"),
            "identity": lambda item: (item.get("identity") or {}).get("resourceId"),
            "bindingSelector": lambda item: item.get("bindingSelector"),
        },
    )


def pod_identity_exceptions_table(result):
    """One row per pod identity exception of the cluster."""
    return _rows(
        result,
        "userAssignedIdentityExceptions",
        {
            "name": lambda item: item.get("name"),
            "namespace": lambda item: item.get("namespace"),
            "podLabels": lambda item: item.get("podLabels"),
        },
    )
