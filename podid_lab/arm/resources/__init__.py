"""Microsoft.Resources and Microsoft.Features: subscriptions, tenants, providers, features,
resource groups."""
