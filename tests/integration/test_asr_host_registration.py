# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""asr_host_registration against lab hosts and the fake Azure: the documented setup and registration programs run on the host
through WinRS (psrp and winrm), the registered host appears in the vault, and an idempotent run touches no host. Every lab
fault, aimed at the registration program, is a row of the fault matrix (test_reliability_faults.py).

The test puts the downloaded installer and the site's vault credentials file on the lab host, where a playbook would copy them
with win_get_url / win_copy (the lab's hosts run no ansible.windows modules).
"""

from __future__ import annotations

import pytest

from asr_lab import RESOURCE_GROUP, SITE, VAULT, azure, fake_azure, vault_state  # noqa: F401  pylint: disable=unused-import

INSTALLER = 'C:\\ASR\\AzureSiteRecoveryProvider.exe'
CREDENTIALS = 'C:\\ASR\\%s.VaultCredentials' % SITE
TASK = 'register'


@pytest.fixture
def site_lab(azure, lab):  # pylint: disable=redefined-outer-name
    """The lab's hosts pointed at the fake Azure (an empty vault), the installer on hv01 and hv02, nothing installed or registered."""
    lab.control.configure_site_recovery(azure.base_url, azure.ca_path)
    for host in ('hv01', 'hv02'):
        lab.control.patch_host(host, hyperv_installed=True, site_recovery={'products': {}, 'registration': None},
                               files={INSTALLER: 'AzureSiteRecoveryProvider 5.24.0902.1', CREDENTIALS: None, 'C:\\ASR\\setupdr.exe': None,
                                      'C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe': None})
    return lab


def host_requests(lab_handle) -> int:
    """WSMan requests the lab's hosts received since the counters were reset."""
    return sum(counters['requests'] for counters in lab_handle.control.counters().values())


def create_site(azure_handle, run_playbook) -> None:
    run = run_playbook(play_on('localhost', azure_handle, [{'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}}]))
    assert run.rc == 0, run.stdout


def put_credentials(lab_handle, azure_handle, hosts=('hv01', 'hv02')) -> None:
    document = azure_handle.control.vault_credentials(RESOURCE_GROUP, VAULT, SITE)
    for host in hosts:
        lab_handle.control.patch_host(host, files={CREDENTIALS: document})


def play_on(hosts: str, azure_handle, tasks: list) -> dict:
    """A play on lab hosts (connection options from the lab inventory) with the vault login in module_defaults."""
    defaults = dict(azure_handle.auth_params(), resource_group=RESOURCE_GROUP, vault_name=VAULT)
    return {'hosts': hosts, 'gather_facts': False, 'environment': {'REQUESTS_CA_BUNDLE': azure_handle.ca_path},
            'module_defaults': {'group/hyperv.mobility.azure': defaults}, 'tasks': tasks}


def registration_task(**options) -> dict:
    arguments = {'site': SITE, 'friendly_name': '{{ inventory_hostname }}.hvlab.test', 'installer_path': INSTALLER,
                 'vault_credentials_path': CREDENTIALS}
    arguments.update(options)
    return {'name': TASK, 'hyperv.mobility.asr_host_registration': {key: value for key, value in arguments.items() if value is not None}}


def providers(azure_handle) -> dict:
    fabric = next(fabric for fabric in vault_state(azure_handle)['fabrics'] if fabric['name'] == SITE)
    return {host['name']: host for host in fabric['properties']['customDetails']['hyperVHosts']}


def test_registers_hosts_over_psrp_and_winrm_then_an_idempotent_run_touches_no_host(azure, lab, run_playbook, site_lab):
    create_site(azure, run_playbook)
    put_credentials(lab, azure)
    transports = {host['name']: host['transport'] for host in lab.hosts}
    assert {transports['hv01'], transports['hv02']} == {'psrp', 'winrm'}

    first = run_playbook(play_on('hv01:hv02', azure, [registration_task()]), inventory=lab.inventory_path, diff=True)
    assert first.rc == 0, first.stdout
    for host in ('hv01', 'hv02'):
        result = first.task(TASK)[host]
        assert result['changed'] is True
        assert [(step['step'], step['exit_code']) for step in result['steps']] == [('extract', 0), ('install', 0), ('register', 0)]
        assert result['steps'][2]['command_line'] == (
            '"C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe" /r /Friendlyname %s.hvlab.test '
            '/Credentials C:\\ASR\\%s.VaultCredentials' % (host, SITE))
        assert result['registration']['friendly_name'] == '%s.hvlab.test' % host
        assert result['registration']['connection_status'] == 'Connected'
        assert result['diff']['before'] == {} and result['diff']['after']['provider_version'] == '5.24.0902.1'
        state = lab.control.host_state(host)['site_recovery']
        assert state['products'] == {'Microsoft Azure Site Recovery Provider': '5.24.0902.1', 'Microsoft Azure Recovery Services Agent': '2.0.9250.0'}
        assert state['registration'] == {'vault': VAULT, 'site': SITE, 'friendly_name': '%s.hvlab.test' % host, 'proxy': None}
    assert sorted(providers(azure)) == ['hv01.hvlab.test', 'hv02.hvlab.test']
    # The hosts' VMs became protectable items of the site, each behind its own host's provider.
    items = vault_state(azure)['protectable_items']
    vm_names = {vm['name'] for name in ('hv01', 'hv02') for vm in lab.control.host_state(name)['vms']}
    assert {item['properties']['friendlyName'] for item in items} == vm_names

    lab.control.reset_counters()
    again = run_playbook(play_on('hv01:hv02', azure, [registration_task()]), inventory=lab.inventory_path)
    assert again.rc == 0, again.stdout
    assert again.changed_hosts() == []
    assert all(result['steps'] == [] for result in again.task(TASK).values())
    assert host_requests(lab) == 0  # the vault alone says the hosts are registered


def test_check_mode_predicts_the_registration_and_runs_nothing(azure, lab, run_playbook, site_lab):
    create_site(azure, run_playbook)
    put_credentials(lab, azure, hosts=('hv01',))
    lab.control.reset_counters()
    run = run_playbook(play_on('hv01', azure, [registration_task()]), inventory=lab.inventory_path, check=True, diff=True)
    assert run.rc == 0, run.stdout
    result = run.task(TASK)['hv01']
    assert result['changed'] is True and result['steps'] == []
    assert result['registration']['friendly_name'] == 'hv01.hvlab.test' and result['registration']['provider_id'] is None
    assert host_requests(lab) == 0
    assert lab.control.host_state('hv01')['site_recovery'] == {'products': {}, 'registration': None, 'history': []}  # no program ran
    assert providers(azure) == {}


def test_a_missing_credentials_file_stops_after_the_install_and_the_next_run_converges(azure, lab, run_playbook, site_lab):
    create_site(azure, run_playbook)
    failed = run_playbook(play_on('hv01', azure, [registration_task()]), inventory=lab.inventory_path)
    assert failed.rc != 0
    result = failed.task(TASK)['hv01']
    assert result['failed'] is True
    assert 'register on 127.0.10.1 failed with exit code 1' in result['msg']
    assert 'The vault credentials file %s was not found' % CREDENTIALS in result['msg']
    assert '(applied: extract, install; not applied: register; run the task again to converge)' in result['msg']
    assert (result['changed'], result['applied'], result['not_applied']) == (True, ['extract', 'install'], ['register'])
    assert [step['exit_code'] for step in result['steps']] == [0, 0, 1]
    assert lab.control.host_state('hv01')['site_recovery']['products']  # installed, not registered
    assert providers(azure) == {}

    put_credentials(lab, azure, hosts=('hv01',))
    converged = run_playbook(play_on('hv01', azure, [registration_task()]), inventory=lab.inventory_path)
    assert converged.rc == 0, converged.stdout
    assert list(providers(azure)) == ['hv01.hvlab.test']


def test_a_missing_installer_and_a_foreign_credentials_file_fail_clearly(azure, lab, run_playbook, site_lab):
    create_site(azure, run_playbook)
    put_credentials(lab, azure, hosts=('hv01',))
    no_installer = run_playbook(play_on('hv01', azure, [registration_task(installer_path='D:\\Downloads')]), inventory=lab.inventory_path)
    result = no_installer.task(TASK)['hv01']
    assert result['failed'] is True
    # WinRS refuses to start a program that is not there (a WSMan fault at the Command step, WINRS_SKIP_CMD_SHELL): the lab used
    # to answer with cmd.exe's 'is not recognized' and exit code 1, which no cmd.exe writes when WinRS skips it.
    assert 'extract: installer not found at D:\\Downloads\\AzureSiteRecoveryProvider.exe on 127.0.10.1' in result['msg'], result['msg']
    assert 'outcome' not in result['msg']
    assert '(applied: nothing; not applied: extract, install, register; run the task again to converge)' in result['msg']
    assert (result['changed'], result['applied'], result['not_applied']) == (False, [], ['extract', 'install', 'register'])

    forged = ('<ASRVaultCreds xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common">'
              '<SubscriptionId>%s</SubscriptionId><ResourceName>%s</ResourceName><ResourceGroupName>%s</ResourceGroupName><SiteId>%s</SiteId>'
              '<SiteName>%s</SiteName><ChannelIntegrityKey>forged</ChannelIntegrityKey></ASRVaultCreds>'
              % (azure.subscription_id, VAULT, RESOURCE_GROUP, SITE, SITE))
    lab.control.patch_host('hv01', files={CREDENTIALS: forged})
    refused = run_playbook(play_on('hv01', azure, [registration_task()]), inventory=lab.inventory_path)
    result = refused.task(TASK)['hv01']
    assert result['failed'] is True
    assert 'Registration failed: The vault credentials file is not valid for vault %s' % VAULT in result['msg']
    assert providers(azure) == {}


@pytest.mark.parametrize('options, message', [
    ({'proxy_address': 'http://proxy.corp.example.com'}, 'proxy_address and proxy_port go together'),
    ({'proxy_address': 'http://proxy', 'proxy_port': 70000}, 'proxy_port must be between 1 and 65535'),
    ({'proxy_address': 'http://proxy', 'proxy_port': 8080, 'proxy_username': 'svc'}, 'proxy_username and proxy_password go together'),
    ({'friendly_name': 'hv01" /u'}, 'friendly_name cannot contain a double quote'),
    ({'installer_path': None}, 'state=present needs installer_path'),
    ({'site': 'no-such-site'}, "Hyper-V site 'no-such-site' does not exist in vault %s" % VAULT),
])
def test_bad_input_fails_naming_the_option_and_runs_nothing(azure, lab, run_playbook, site_lab, options, message):
    create_site(azure, run_playbook)
    lab.control.reset_counters()
    run = run_playbook(play_on('hv01', azure, [registration_task(**options)]), inventory=lab.inventory_path)
    result = run.task(TASK)['hv01']
    assert result['failed'] is True
    assert message in result['msg']
    assert host_requests(lab) == 0
    assert lab.control.host_state('hv01')['site_recovery'] == {'products': {}, 'registration': None, 'history': []}  # no program ran


def test_proxy_settings_reach_the_tool_and_the_password_never_the_output(azure, lab, run_playbook, site_lab):
    create_site(azure, run_playbook)
    put_credentials(lab, azure, hosts=('hv02',))
    password = 'Pr0xy "secret"'.replace('"', '')
    run = run_playbook(play_on('hv02', azure, [registration_task(proxy_address='http://proxy.corp.example.com', proxy_port=3128,
                                                                 proxy_username='svc-asr', proxy_password=password)]),
                       inventory=lab.inventory_path, verbosity=3, diff=True)
    assert run.rc == 0, run.stdout
    result = run.task(TASK)['hv02']
    assert result['steps'][2]['command_line'].endswith('/proxyAddress http://proxy.corp.example.com /proxyport 3128 /proxyUsername svc-asr '
                                                       '/proxyPassword ********')
    assert lab.control.host_state('hv02')['site_recovery']['registration']['proxy'] == {
        'address': 'http://proxy.corp.example.com', 'port': '3128', 'user': 'svc-asr'}
    assert password not in run.stdout + run.stderr


def test_absent_unregisters_in_the_vault_and_is_refused_while_a_vm_is_protected(azure, lab, run_playbook, site_lab):
    create_site(azure, run_playbook)
    put_credentials(lab, azure, hosts=('hv01',))
    assert run_playbook(play_on('hv01', azure, [registration_task()]), inventory=lab.inventory_path).rc == 0

    vm_name = lab.control.host_state('hv01')['vms'][0]['name']
    protect = [{'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': 'p30', 'copy_frequency': 30}, 'delegate_to': 'localhost'},
               {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': SITE, 'policy': 'p30'}, 'delegate_to': 'localhost'},
               {'name': 'protect', 'hyperv.mobility.asr_protected_vm': {
                   'site': SITE, 'policy': 'p30', 'vm_name': vm_name, 'wait_for_initial_replication': False,
                   'target_resource_group_id': '/subscriptions/0000/resourceGroups/rg-dr-vms'}, 'delegate_to': 'localhost'}]
    protected = run_playbook(play_on('hv01', azure, protect), inventory=lab.inventory_path)
    assert protected.rc == 0, protected.stdout
    refused = run_playbook(play_on('hv01', azure, [registration_task(state='absent')]), inventory=lab.inventory_path)
    result = refused.task(TASK)['hv01']
    assert result['failed'] is True and 'disable their protection before unregistering' in result['msg']
    assert list(providers(azure)) == ['hv01.hvlab.test']

    unprotect = [{'name': 'unprotect', 'hyperv.mobility.asr_protected_vm': {'site': SITE, 'vm_name': vm_name, 'state': 'absent'},
                  'delegate_to': 'localhost'}, registration_task(state='absent')]
    removed = run_playbook(play_on('hv01', azure, unprotect), inventory=lab.inventory_path, diff=True)
    assert removed.rc == 0, removed.stdout
    result = removed.task(TASK)['hv01']
    assert result['changed'] is True and result['operation_done'] is True and result['registration'] == {}
    assert result['diff']['before']['friendly_name'] == 'hv01.hvlab.test' and result['diff']['after'] == {}
    assert providers(azure) == {}
    again = run_playbook(play_on('hv01', azure, [registration_task(state='absent')]), inventory=lab.inventory_path)
    assert again.rc == 0 and again.changed_hosts() == []


def test_a_connection_dropped_after_the_registration_ran_is_settled_by_the_vault_on_the_next_run(azure, lab, run_playbook, site_lab):
    """drop_after on the third program (DRConfigurator): the host registered, the module cannot know; the rerun reads the vault."""
    create_site(azure, run_playbook)
    put_credentials(lab, azure)
    for host in ('hv01', 'hv02'):
        lab.control.inject_fault(host, 'drop_after', count=1, after=2)
    try:
        dropped = run_playbook(play_on('hv01:hv02', azure, [registration_task()]), inventory=lab.inventory_path)
    finally:
        lab.control.clear_faults()
    assert dropped.rc != 0
    for host, result in dropped.task(TASK).items():
        assert result['failed'] is True, (host, result)
        assert result['msg'].startswith('register: The connection to Hyper-V host 127.0.10.') and 'may or may not have run' in result['msg']
        assert '(applied: extract, install; outcome unknown: register; run the task again' in result['msg']
        assert (result['changed'], result['applied'], result['unknown']) == (True, ['extract', 'install'], ['register'])
        assert 'Traceback' not in result.get('exception', '')
    assert sorted(providers(azure)) == ['hv01.hvlab.test', 'hv02.hvlab.test']  # it did run

    lab.control.reset_counters()
    settled = run_playbook(play_on('hv01:hv02', azure, [registration_task()]), inventory=lab.inventory_path)
    assert settled.rc == 0 and settled.changed_hosts() == [], settled.stdout
    assert host_requests(lab) == 0
