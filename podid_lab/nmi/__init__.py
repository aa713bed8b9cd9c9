"""The AAD Pod Identity add-on as AKS runs it (managed mode): the controller that reconciles a
cluster's `podIdentityProfile`, and NMI, which answers pods' IMDS token requests."""
