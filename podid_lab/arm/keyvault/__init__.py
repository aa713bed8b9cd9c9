"""Microsoft.KeyVault: vaults (management plane)."""
