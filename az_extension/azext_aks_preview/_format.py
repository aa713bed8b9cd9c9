"""Table output (`-o table`) for the pod identity lists."""


def pod_identities_table(result):
    """One row per pod identity of the cluster."""
    profile = result.get("podIdentityProfile") or {}
    return [
        {
            "name": item.get("name"),
            "namespace": item.get("namespace"),
            "provisioningState": item.get("provisioningState"),
            "identity": (item.get("identity") or {}).get("resourceId"),
            "bindingSelector": item.get("bindingSelector"),
        }
        for item in profile.get("userAssignedIdentities") or []
    ]


def pod_identity_exceptions_table(result):
    """One row per pod identity exception of the cluster."""
    profile = result.get("podIdentityProfile") or {}
    return [
        {
            "name": item.get("name"),
            "namespace": item.get("namespace"),
            "podLabels": item.get("podLabels"),
        }
        for item in profile.get("userAssignedIdentityExceptions") or []
    ]
