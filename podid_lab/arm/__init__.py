"""Azure Resource Manager: the shared core (auth, RBAC, operations, paging) and its providers."""
