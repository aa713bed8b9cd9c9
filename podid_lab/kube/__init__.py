"""A Kubernetes API server per AKS cluster, as much of it as kubectl and the Python client use.

`models` holds the durable state (one `Clusters` object on the lab), `http` serves it under
`/k8s/<cluster key>/...`; the rest are the pieces a real API server has: kinds and discovery,
selectors, patches, validation, Table output and watches.
"""
