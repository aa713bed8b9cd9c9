"""Microsoft.Compute: the reads AKS nodes need (virtual machines, scale sets)."""
