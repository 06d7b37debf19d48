# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lab helpers of the VMM server tests: a lab machine made a VMM server (hvlab.model.vmm) whose clouds hold lab hosts, the downloaded
provider and the vault's key for VMM servers on it (where a playbook would copy them), and plays with the vault login.

The lab is shared by the test files of a worker: ``vmm_estate`` gives every machine back without a VMM role, programs or their files.
"""

from __future__ import annotations

import contextlib

from asr_lab import RESOURCE_GROUP, VAULT, vault_state

INSTALLER = 'C:\\ASR\\AzureSiteRecoveryProvider.exe'
VMM_KEY = 'C:\\ASR\\vmm.VaultCredentials'
AGENT_INSTALLER = 'C:\\ASR\\MARSAgentInstaller.exe'
VMM_BIN = 'C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin'
# One VMM server, two clouds: the workloads of hv01 in Primary, hv02 as the secondary location; hv01-app (the VMM VM) in no cloud.
CLOUDS = [{'name': 'Primary', 'hosts': ['hv01'], 'vms': ['hv01-web', 'hv01-db']}, {'name': 'Secondary', 'hosts': ['hv02'], 'vms': []}]
NETWORKS = [{'name': 'Corp', 'subnets': [{'name': 'corp', 'addresses': ['10.1.0.0/24']}]}, {'name': 'Corp-Secondary'}]
INSTALLED_FILES = ('C:\\ASR\\setupdr.exe', VMM_BIN + '\\DRConfigurator.exe', 'C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe')
CLEAN_SITE_RECOVERY = {'products': {}, 'registration': None, 'history': []}


def clean_machine(lab, name: str) -> None:
    lab.control.patch_host(name, vmm=None, site_recovery=CLEAN_SITE_RECOVERY,
                           files=dict({INSTALLER: None, VMM_KEY: None, AGENT_INSTALLER: None}, **{path: None for path in INSTALLED_FILES}))


@contextlib.contextmanager
def vmm_estate(lab, azure):
    """The lab's machines pointed at the fake Azure, cleaned before and after."""
    lab.control.configure_site_recovery(azure.base_url, azure.ca_path)
    for host in lab.hosts:
        clean_machine(lab, host['name'])
    try:
        yield lab
    finally:
        for host in lab.hosts:
            clean_machine(lab, host['name'])


def make_vmm_server(lab, azure, machine: str, **fields) -> None:
    """``machine`` becomes a VMM server (Primary and Secondary clouds, two VM networks) with the provider and the vault's key on it."""
    key = azure.control.vault_credentials(RESOURCE_GROUP, VAULT)  # the vault's key for VMM servers (no site)
    lab.control.patch_host(machine, files={INSTALLER: 'AzureSiteRecoveryProvider 5.24.0902.1', VMM_KEY: key},
                           vmm=dict({'name': '%s.hvlab.test' % machine, 'clouds': CLOUDS, 'networks': NETWORKS}, **fields))


def vault_login(azure) -> dict:
    return {'group/hyperv.mobility.azure': dict(azure.auth_params(), resource_group=RESOURCE_GROUP, vault_name=VAULT)}


def play_on(hosts: str, azure, tasks: list) -> dict:
    return {'hosts': hosts, 'gather_facts': False, 'environment': {'REQUESTS_CA_BUNDLE': azure.ca_path}, 'module_defaults': vault_login(azure),
            'tasks': tasks}


def azure_vars(azure) -> dict:
    """The vault login as the runbooks take it (the variables of playbooks/site_recovery_azure.yml)."""
    return {'azure_resource_group': RESOURCE_GROUP, 'azure_vault_name': VAULT, 'azure_subscription_id': azure.subscription_id,
            'azure_tenant': azure.tenant_id, 'azure_client_id': azure.client_id, 'azure_secret': azure.secret,
            'azure_cloud_environment': azure.base_url + '/', 'azure_ca_bundle': azure.ca_path}


def vmm_fabric(azure, friendly_name: str) -> dict:
    return next(fabric for fabric in vault_state(azure)['fabrics'] if fabric['properties']['friendlyName'] == friendly_name)


def host_requests(lab) -> int:
    """WSMan requests the lab's hosts received since the counters were reset."""
    return sum(counters['requests'] for counters in lab.control.counters().values())
