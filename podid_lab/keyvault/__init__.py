"""Key Vault's data plane: secrets at each vault's own HTTPS endpoint."""
