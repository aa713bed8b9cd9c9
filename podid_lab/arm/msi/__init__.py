"""Microsoft.ManagedIdentity: user-assigned identities and the principals behind them."""
