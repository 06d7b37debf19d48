# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""asr_vmm_registration, playbooks/stretched_vmm_registration.yml and asr_recovery_services_agent against lab machines and the fake
Azure: the provider's VMM setup with Microsoft's command lines (the VMM service stopped first), the VMM server and its clouds in the
vault, a stretched VMM registered from the active node first, the agent alone on Hyper-V hosts; reruns touch no host."""

from __future__ import annotations

import pytest

from asr_lab import azure, fake_azure, vault_state  # noqa: F401  pylint: disable=unused-import
from vmm_dr_lab import (AGENT_INSTALLER, INSTALLER, VMM_BIN, VMM_KEY, azure_vars, host_requests, make_vmm_server, play_on, vmm_estate,
                        vmm_fabric)

TASK = 'register'
RUNBOOK = 'playbooks/stretched_vmm_registration.yml'


@pytest.fixture
def estate(lab, azure):  # pylint: disable=redefined-outer-name
    with vmm_estate(lab, azure) as ready:
        yield ready


def registration(**options) -> dict:
    arguments = dict({'friendly_name': 'hv03.hvlab.test', 'installer_path': INSTALLER, 'vault_credentials_path': VMM_KEY}, **options)
    return {'name': TASK, 'hyperv.mobility.asr_vmm_registration': {key: value for key, value in arguments.items() if value is not None}}


def test_a_standalone_vmm_server_registers_with_its_clouds_then_reruns_touch_no_host(estate, azure, run_playbook):
    lab = estate
    make_vmm_server(lab, azure, 'hv03')
    lab.control.reset_counters()
    checked = run_playbook(play_on('hv03', azure, [registration()]), inventory=lab.inventory_path, check=True)
    assert checked.rc == 0, checked.stdout
    assert checked.task(TASK)['hv03']['changed'] is True and checked.task(TASK)['hv03']['steps'] == []
    assert host_requests(lab) == 0 and vault_state(azure)['fabrics'] == []

    first = run_playbook(play_on('hv03', azure, [registration()]), inventory=lab.inventory_path, diff=True)
    assert first.rc == 0, first.stdout
    result = first.task(TASK)['hv03']
    assert [(step['step'], step['exit_code']) for step in result['steps']] == [('stop_vmm_service', 0), ('extract', 0), ('install', 0), ('register', 0)]
    assert result['steps'][3]['command_line'] == ('"%s\\DRConfigurator.exe" /r /Friendlyname hv03.hvlab.test /Credentials %s /startvmmservice' % (
        VMM_BIN, VMM_KEY))
    fabric = vmm_fabric(azure, 'hv03.hvlab.test')
    assert result['registration'] == dict(result['registration'], server='hv03.hvlab.test', site=fabric['name'], node='hv03.hvlab.test',
                                          nodes=['hv03.hvlab.test'], connection_status='Connected')
    state = lab.control.host_state('hv03')
    assert state['services']['SCVMMService']['status'] == 'Running'  # /startvmmservice started it again
    assert [entry['program'] for entry in state['site_recovery']['history']] == ['AzureSiteRecoveryProvider.exe', 'setupdr.exe', 'DRConfigurator.exe']
    commands = [command['name'] for command in lab.control.commands('hv03')]
    assert commands == ['Get-Service', 'Stop-Service']
    vault = vault_state(azure)
    assert sorted(c['properties']['friendlyName'] for c in vault['containers']) == ['Primary', 'Secondary']
    assert sorted(i['properties']['friendlyName'] for i in vault['protectable_items']) == ['hv01-db', 'hv01-web']  # the VMM VM is in no cloud

    lab.control.reset_counters()
    again = run_playbook(play_on('hv03', azure, [registration(friendly_name='HV03.hvlab.test')]), inventory=lab.inventory_path)
    assert again.rc == 0 and again.changed_hosts() == [], again.stdout
    assert host_requests(lab) == 0  # the vault alone says the node is registered


@pytest.mark.parametrize('options, message', [
    ({'node_role': 'active'}, 'node_name is required with node_role=active'),
    ({'encryption_certificate_path': 'C:\\ASR\\cert.cer'}, 'encryption_certificate_path must be the full name of a .pfx file'),
    ({'vault_credentials_path': None}, 'state=present needs vault_credentials_path'),
    ({'proxy_address': 'http://proxy'}, 'proxy_address and proxy_port go together'),
    ({'vmm_install_path': 'Virtual Machine Manager'}, "vmm_install_path must be the full path of VMM's installation folder"),
])
def test_bad_input_fails_naming_the_option_and_touches_nothing(estate, azure, run_playbook, options, message):
    lab = estate
    make_vmm_server(lab, azure, 'hv03')
    lab.control.reset_counters()
    run = run_playbook(play_on('hv03', azure, [registration(**options)]), inventory=lab.inventory_path)
    result = run.task(TASK)['hv03']
    assert result['failed'] is True and message in result['msg']
    assert host_requests(lab) == 0 and lab.control.host_state('hv03')['site_recovery']['history'] == []


def test_vmm_installed_elsewhere_fails_at_the_registration_tool_then_converges_with_vmm_install_path(estate, azure, run_playbook):
    lab = estate
    elsewhere = 'C:\\Program Files\\Microsoft System Center\\Virtual Machine Manager'  # a later VMM release's folder
    make_vmm_server(lab, azure, 'hv03', install_path=elsewhere)
    run = run_playbook(play_on('hv03', azure, [registration()]), inventory=lab.inventory_path)
    result = run.task(TASK)['hv03']
    assert result['failed'] is True
    # WinRS finds no such program (nothing ran): the message names the program, where it was looked for, and the option.
    assert ('register: registration tool (DRConfigurator.exe in the bin folder of the VMM installation, installed by the setup; see '
            'vmm_install_path) not found at %s\\DRConfigurator.exe' % VMM_BIN) in result['msg'], result['msg']
    assert '(applied: stop_vmm_service, extract, install; not applied: register; run the task again to converge)' in result['msg']
    assert (result['changed'], result['applied'], result['not_applied']) == (True, ['stop_vmm_service', 'extract', 'install'], ['register'])
    assert vault_state(azure)['fabrics'] == []

    again = run_playbook(play_on('hv03', azure, [registration(vmm_install_path=elsewhere)]), inventory=lab.inventory_path)
    assert again.rc == 0, again.stdout
    steps = again.task(TASK)['hv03']['steps']
    assert [step['step'] for step in steps] == ['extract', 'install', 'register']  # the service is still stopped from the first run
    assert steps[-1]['command_line'].startswith('"%s\\bin\\DRConfigurator.exe" /r ' % elsewhere)
    assert lab.control.host_state('hv03')['services']['SCVMMService']['status'] == 'Running'
    assert vmm_fabric(azure, 'hv03.hvlab.test')['properties']['friendlyName'] == 'hv03.hvlab.test'


def test_a_hyperv_host_is_not_a_vmm_server(estate, azure, run_playbook):
    lab = estate
    make_vmm_server(lab, azure, 'hv03')
    lab.control.patch_host('hv03', vmm=None)  # the files are there, the VMM role is not
    run = run_playbook(play_on('hv03', azure, [registration()]), inventory=lab.inventory_path)
    result = run.task(TASK)['hv03']
    assert result['failed'] is True and 'is not a VMM server: it has no SCVMMService service' in result['msg']
    assert lab.control.host_state('hv03')['site_recovery']['history'] == []


def test_stretched_vmm_registers_from_the_active_node_first_then_the_others(estate, azure, run_playbook):
    lab = estate
    nodes = ['hv02', 'hv03']
    make_vmm_server(lab, azure, 'hv03', name='vmm-ha', nodes=nodes, role_owner=True)
    make_vmm_server(lab, azure, 'hv02', name='vmm-ha', nodes=nodes, role_owner=False, service_status='Stopped')
    lab.control.reset_counters()
    early = run_playbook(play_on('hv02', azure, [registration(friendly_name='vmm-ha', node_role='other', node_name='hv02')]),
                         inventory=lab.inventory_path)
    message = early.task(TASK)['hv02']['msg']
    assert "VMM server 'vmm-ha' is not registered" in message and 'install the Provider on an active node and register the VMM server' in message
    assert host_requests(lab) == 0

    extra_vars = dict(azure_vars(azure), vmm_cluster_role='vmm-ha', vmm_active_node='hv03', vmm_other_nodes=['hv02'])
    run = run_playbook(RUNBOOK, inventory=lab.inventory_path, extra_vars=extra_vars)
    assert run.rc == 0, run.stdout
    active = run.task('Install the provider on the active node and register the VMM server')['hv03']
    other = run.task('Install the provider on the other nodes')['hv02']
    assert [step['step'] for step in active['steps']] == ['stop_vmm_service', 'extract', 'install', 'register']
    assert [step['step'] for step in other['steps']] == ['extract', 'install']  # no registration on the other nodes: they join it
    assert other['registration']['nodes'] == ['hv02.hvlab.test', 'hv03.hvlab.test']
    # The order Microsoft gives, from the machines' own records: the active node registered before the other node's setup ran.
    registered = next(e['time'] for e in lab.control.host_state('hv03')['site_recovery']['history'] if e['program'] == 'DRConfigurator.exe')
    installed = next(e['time'] for e in lab.control.host_state('hv02')['site_recovery']['history'] if e['program'] == 'setupdr.exe')
    assert registered < installed
    assert lab.control.host_state('hv02')['services']['SCVMMService']['status'] == 'Stopped'  # never started on a node not owning the role
    fabric = vmm_fabric(azure, 'vmm-ha')
    assert len([f for f in vault_state(azure)['fabrics'] if f['properties']['friendlyName'] == 'vmm-ha']) == 1
    assert fabric['properties']['customDetails']['instanceType'] == 'VMM'

    lab.control.reset_counters()
    again = run_playbook(RUNBOOK, inventory=lab.inventory_path, extra_vars=extra_vars)
    assert again.rc == 0 and again.changed_hosts() == [], again.stdout
    assert host_requests(lab) == 0


def test_the_recovery_services_agent_alone_on_hyperv_hosts(estate, azure, run_playbook):
    lab = estate
    for host in ('hv01', 'hv02'):
        lab.control.patch_host(host, files={AGENT_INSTALLER: 'MARSAgentInstaller 2.0.9250.0'})
    options = {'installer_path': 'C:\\ASR', 'proxy_address': 'proxy.corp', 'proxy_port': 8080, 'proxy_username': 'svc', 'proxy_password': 'Pa55'}
    task = {'name': 'agent', 'hyperv.mobility.asr_recovery_services_agent': options}
    run = run_playbook(play_on('hv01:hv02', azure, [task]), inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout
    for host in ('hv01', 'hv02'):  # psrp and winrm
        result = run.task('agent')[host]
        assert result['changed'] is True and result['agent'] == {'installed': True, 'service_status': 'Running'}
        assert result['steps'][0]['command_line'] == '%s /q /nu /ph:proxy.corp /po:8080 /pu:svc ********' % AGENT_INSTALLER
        state = lab.control.host_state(host)
        assert state['site_recovery']['products'] == {'Microsoft Azure Recovery Services Agent': '2.0.9250.0'}  # the agent only
        assert state['site_recovery']['history'][0]['switches'] == ['/q', '/nu', '/ph', '/po', '/pu', '/pw']
    assert 'Pa55' not in run.stdout
    again = run_playbook(play_on('hv01:hv02', azure, [task]), inventory=lab.inventory_path)
    assert again.rc == 0 and again.changed_hosts() == [], again.stdout
    removed = run_playbook(play_on('hv01', azure, [{'name': 'agent', 'hyperv.mobility.asr_recovery_services_agent': {
        'installer_path': AGENT_INSTALLER, 'state': 'absent'}}]), inventory=lab.inventory_path)
    assert removed.rc == 0 and removed.task('agent')['hv01']['agent'] == {'installed': False, 'service_status': None}
