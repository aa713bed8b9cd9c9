"""Microsoft.ContainerService: AKS managed clusters."""
