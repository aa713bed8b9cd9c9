"""Input checks that run before any request is sent."""

from azure.cli.core.azclierror import InvalidArgumentValueError


def validate_pod_labels(namespace):
    """`--pod-labels a=b c=d` becomes {"a": "b", "c": "d"}; anything else is refused."""
    labels = {}
    for item in namespace.pod_labels or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            # aks-preview's exact wording for this error is not reproduced here.
            raise InvalidArgumentValueError(
                f"Invalid pod label {item!r}: expected key=value (space-separated)."
            )
        labels[key] = value
    namespace.pod_labels = labels
