# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures and helpers of the Site Recovery integration tests: the lab's fake Azure and plays against it.

The modules reach the fake Azure with the settings of a sovereign-cloud user: ``cloud_environment`` = its metadata URL,
a service principal, and its CA in ``REQUESTS_CA_BUNDLE`` (the play's ``environment``). Nothing in the modules knows it is a lab.
"""

from __future__ import annotations

import socket

import pytest

from hvlab.azure import FakeAzureHandle, start_fake_azure

AZURE_ADDRESS = '127.0.10.253'
RESOURCE_GROUP = 'rg-dr'
VAULT = 'vault-dr'
SITE = 'site-hq'
POLICY = 'hyperv-to-azure'
# Where the site_recovery_azure role looks for the downloaded provider setup and the site's vault credentials file.
INSTALLER = 'C:\\ASR\\AzureSiteRecoveryProvider.exe'
CREDENTIALS = 'C:\\ASR\\%s.VaultCredentials' % SITE
VMS = [{'name': 'app01', 'id': '3f1e0a52-7d3c-4c59-9a8e-1c1b2d3e4f01', 'os_type': 'Windows'},
       {'name': 'db01', 'id': '5a2b3c4d-6e7f-4a8b-9c0d-1e2f3a4b5c02', 'os_type': 'Windows'}]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((AZURE_ADDRESS, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='session')
def fake_azure(tmp_path_factory) -> FakeAzureHandle:
    handle = start_fake_azure(str(tmp_path_factory.mktemp('fake-azure')), address=AZURE_ADDRESS, port=_free_port())
    yield handle
    handle.stop()


@pytest.fixture
def azure(fake_azure):
    """A fresh subscription with an empty vault, no faults, and jobs done by the first status poll.

    Modules still go through the whole ARM exchange (202 + Azure-AsyncOperation, status poll, final GET); waiting between polls
    (the fake's Retry-After) is what test_long_running_operation_wait_and_timeout proves, with jobs that take seconds.
    """
    control = fake_azure.control
    control.reset()
    control.settings(job_seconds=0, poll_seconds=1, initial_replication_seconds=0)
    control.create_vault(RESOURCE_GROUP, VAULT)
    return fake_azure


def play(azure_handle: FakeAzureHandle, tasks: list, auth: dict | None = None, extra_defaults: dict | None = None) -> dict:
    """A play on localhost whose module_defaults carry the login (auth=None: the service principal of the fake Azure)."""
    defaults = dict(azure_handle.auth_params() if auth is None else auth, resource_group=RESOURCE_GROUP, vault_name=VAULT)
    defaults.update(extra_defaults or {})
    return {'hosts': 'localhost', 'gather_facts': False, 'environment': {'REQUESTS_CA_BUNDLE': azure_handle.ca_path},
            'module_defaults': {'group/hyperv.mobility.azure': defaults}, 'tasks': tasks}


def only(run, task_name: str) -> dict:
    return run.task(task_name)['localhost']


def named(task: dict, name: str, **keywords) -> dict:
    """The same task under another name (one playbook runs several steps; results are looked up by name), with task keywords
    such as ``check_mode`` / ``diff`` / ``ignore_errors``."""
    return dict(task, name=name, **keywords)


def register_hosts_task(azure_handle: FakeAzureHandle) -> dict:
    """register_hosts() as a task of the play (the lab's control route over HTTPS), so the setup and the step under test share one
    ansible-playbook run."""
    return {'name': 'register hosts', 'ansible.builtin.uri': {
        'url': azure_handle.base_url + '/_control/register-host', 'method': 'POST', 'body_format': 'json', 'ca_path': azure_handle.ca_path,
        'body': {'resource_group': RESOURCE_GROUP, 'vault': VAULT, 'fabric': SITE, 'host': 'hv01.hvlab.test', 'vms': VMS}}}


def replication_error_task(azure_handle: FakeAzureHandle, kind: str, vms: list, **error) -> dict:
    """A replication error of seed 004's class kind (fatal, transient, resynchronization) on vms, as a task of the play (the lab's
    control route): what Site Recovery reports when replication of those VMs fails."""
    return {'name': 'replication error', 'ansible.builtin.uri': {
        'url': azure_handle.base_url + '/_control/replication-error', 'method': 'POST', 'body_format': 'json', 'ca_path': azure_handle.ca_path,
        'body': dict(error, resource_group=RESOURCE_GROUP, vault=VAULT, kind=kind, vms=vms)}}


def register_hosts(azure_handle: FakeAzureHandle) -> dict:
    """What the Site Recovery provider does on hv01: join the site, which brings the container and the VMs."""
    return azure_handle.control.register_host(RESOURCE_GROUP, VAULT, SITE, 'hv01.hvlab.test', VMS)


# Two VMM servers (VMM to a secondary site): Site Recovery names a VMM server's fabric itself; modules also take the server's name.
# The VMs of the Gold cloud are its protectable items.
VMM_VMS = [{'name': 'app01', 'id': '7b3c1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d01'}, {'name': 'db01', 'id': '8c4d2e3f-5a6b-4c7d-9e8f-0a1b2c3d4e02'}]
VMM_PRIMARY = {'fabric': 'f3b1c2d4e5a6', 'server': 'vmm-hq.hvlab.test', 'clouds': [{'name': 'Gold', 'vms': VMM_VMS}, 'Silver'],
               'networks': [{'name': 'Corp', 'subnets': [{'name': 'corp-a', 'addresses': ['10.1.0.0/24']}]}, {'name': 'Dmz'}]}
VMM_RECOVERY = {'fabric': '9c8d7e6f5a4b', 'server': 'vmm-dr.hvlab.test', 'clouds': ['Gold-DR'], 'networks': [{'name': 'Corp-DR'}, {'name': 'Dmz-DR'}]}


def register_vmm(azure_handle: FakeAzureHandle, vmm: dict) -> dict:
    """What the Site Recovery provider on a VMM server does: the server's fabric with its clouds and VM networks."""
    return azure_handle.control.register_vmm(RESOURCE_GROUP, VAULT, vmm['fabric'], vmm['server'], vmm['clouds'], vmm['networks'])


def vault_state(azure_handle: FakeAzureHandle) -> dict:
    return azure_handle.control.state()['%s/%s' % (RESOURCE_GROUP, VAULT)]


def hosts_with_the_site_key(azure_handle: FakeAzureHandle, lab, run_playbook) -> None:
    """Unregistered hosts holding the provider setup and the site's registration key, as a user prepares them with win_copy."""
    lab.control.configure_site_recovery(azure_handle.base_url, azure_handle.ca_path)
    # The site exists before its registration key can be downloaded (the portal's order; the role keeps the site as it is).
    site = run_playbook(play(azure_handle, [{'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}}]))
    assert site.rc == 0, site.stdout
    key = azure_handle.control.vault_credentials(RESOURCE_GROUP, VAULT, SITE)
    for host in lab.hosts:
        lab.control.patch_host(host['name'], os_release='2022', hyperv_installed=True, site_recovery={'products': {}, 'registration': None},
                               files={INSTALLER: 'AzureSiteRecoveryProvider 5.24.0902.1', CREDENTIALS: key})
