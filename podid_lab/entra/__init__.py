"""Microsoft Entra ID: tenants, service principals, and OAuth 2.0 token issuance."""
