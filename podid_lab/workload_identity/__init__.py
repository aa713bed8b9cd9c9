"""Microsoft Entra Workload ID in the lab: OIDC issuers, federation and the webhook."""
