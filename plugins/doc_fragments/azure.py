# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Login, cloud and vault options of the Site Recovery modules (azure.azcollection's conventions)."""

    DOCUMENTATION = r'''
options:
  auth_source:
    description:
      - Where the login comes from. V(auto) uses the options (or the E(AZURE_*) variables they fall back to), else the
        V(default) profile of C(~/.azure/credentials); it never falls back to the CLI or a managed identity on its own.
      - V(env) reads E(AZURE_CLIENT_ID), E(AZURE_SECRET), E(AZURE_TENANT), E(AZURE_SUBSCRIPTION_ID), E(AZURE_CLOUD_ENVIRONMENT).
      - V(credential_file) reads the O(profile) section of C($AZURE_CONFIG_DIR/credentials) (default C(~/.azure/credentials)).
      - V(cli) uses the Azure CLI's login (C(az login)); V(msi) the managed identity of the controller (O(client_id) picks a user-assigned one).
      - If not set, the environment variable E(ANSIBLE_AZURE_AUTH_SOURCE) is used.
    type: str
    choices: [auto, cli, env, credential_file, msi]
    default: auto
  profile:
    description:
      - Section of the credentials file to use. Setting it with O(auth_source=auto) reads the file.
      - If not set, the environment variable E(AZURE_PROFILE) is used.
    type: str
  subscription_id:
    description:
      - The subscription of the vault. If not set, E(AZURE_SUBSCRIPTION_ID) or the profile's C(subscription_id) is used.
    type: str
  client_id:
    description:
      - Application (client) id of the service principal. If not set, E(AZURE_CLIENT_ID) is used.
    type: str
  secret:
    description:
      - Client secret of the service principal. Never logged or returned. If not set, E(AZURE_SECRET) is used.
    type: str
  tenant:
    description:
      - Directory (tenant) id of the service principal. If not set, E(AZURE_TENANT) is used.
    type: str
  cloud_environment:
    description:
      - A public cloud (V(AzureCloud), V(AzureChinaCloud), V(AzureUSGovernment)) or the C(https://) metadata URL of another
        cloud (a sovereign cloud, Azure Stack Hub); its C(/metadata/endpoints) document gives the resource manager, the
        login endpoint and the token audience.
      - If not set, the environment variable E(AZURE_CLOUD_ENVIRONMENT) is used.
    type: str
    default: AzureCloud
  adfs_authority_url:
    description:
      - Authority URL of an AD FS (Azure Stack Hub with AD FS); replaces the cloud's login endpoint and tenant.
      - If not set, the environment variable E(AZURE_ADFS_AUTHORITY_URL) is used.
    type: str
  disable_instance_discovery:
    description:
      - Skip Microsoft Entra instance discovery and authority validation (private clouds, Azure Stack Hub).
      - Defaults to V(true) when the authority comes from a metadata URL O(cloud_environment) or O(adfs_authority_url), V(false) otherwise.
      - If not set, the environment variable E(AZURE_DISABLE_INSTANCE_DISCOVERY) is used.
    type: bool
  cert_validation_mode:
    description:
      - V(ignore) turns off TLS certificate validation of every endpoint. Use a CA bundle (E(REQUESTS_CA_BUNDLE)) instead where you can.
      - If not set, the environment variable E(AZURE_CERT_VALIDATION_MODE) is used.
    type: str
    choices: [validate, ignore]
    default: validate
  resource_group:
    description:
      - Resource group of the Recovery Services vault.
    type: str
    required: true
  vault_name:
    description:
      - Name of the Recovery Services vault. It must exist (create it with C(azure.azcollection.azure_rm_recoveryservicesvault)).
    type: str
    required: true
notes:
  - Runs on the Ansible controller and talks to Azure Resource Manager with the Azure SDK for Python.
  - Throttling (HTTP 429, honouring C(Retry-After)), HTTP 408 / 5xx answers and connection errors are retried with exponential
    backoff; authentication, authorization, not-found, bad-request and conflict errors are reported at once.
requirements:
  - azure-identity
  - azure-mgmt-recoveryservices
  - azure-mgmt-recoveryservicessiterecovery
'''

    # Modules whose changes are long-running operations.
    WAIT = r'''
options:
  wait:
    description:
      - Wait until Azure has finished the operation (the Site Recovery job). With V(false) the module returns once Azure accepted it.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the operation with O(wait=true). When they run out the module fails; the operation goes on in Azure.
      - 1 to 604800 (a week), checked before Azure is contacted.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two reads of the status while waiting (the operation's status, and with modules that wait for it the initial
        replication of a VM), used when Azure's answer carries no C(Retry-After) header; a C(Retry-After) of the service is always honoured.
      - When not set, 10 seconds for operations and 2 seconds for initial replication.
      - 1 to 604800 (a week), checked before Azure is contacted.
    type: int
'''
