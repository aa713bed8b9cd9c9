"""The podid lab: Azure (ARM + Entra ID) and AKS in one local process, for the tutorial.

The real Azure SDKs, azure-identity credentials, the kubernetes client and a stock kubectl talk
to it over HTTPS on 127.0.0.1; only endpoints, credentials and the CA differ from Azure.
"""

__version__ = "0.1.0"
