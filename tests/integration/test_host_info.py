# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info and the host session against the lab (real WSMan/PSRP/WinRS), through ansible-playbook and directly."""

from __future__ import annotations

import socket
import sys
import types

import pytest

FACT_KEYS = ('hyperv_installed', 'computer_name', 'fqdn', 'domain', 'domain_joined', 'os_name', 'default_vm_version',
             'supported_vm_versions', 'live_migration', 'migration_networks', 'replica_server', 'vms',
             'virtual_machine_path', 'virtual_hard_disk_path')


def facts(result: dict) -> dict:
    return {key: result[key] for key in FACT_KEYS}


def explicit_options(lab, host: dict, transport: str, **overrides) -> dict:
    """Connection options for delegate_to: localhost (HTTPS + lab CA for psrp, HTTP + NTLM for winrm)."""
    options = {'hyperv_host': host['address'], 'hyperv_user': 'labadmin', 'hyperv_password': lab.password, 'hyperv_retries': 1}
    if transport == 'psrp':
        options.update(hyperv_transport='psrp', hyperv_protocol='https', hyperv_port=host['https_port'], hyperv_auth='basic',
                       hyperv_ca_cert=lab.ca_path)
    else:
        options.update(hyperv_transport='winrm', hyperv_protocol='http', hyperv_port=host['http_port'], hyperv_auth='ntlm')
    options.update(overrides)
    return options


def local_play(tasks: list[dict]) -> list[dict]:
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]


def host_info_task(name: str, options: dict) -> dict:
    return {'name': name, 'hyperv.mobility.host_info': options, 'ignore_errors': True}


def test_inventory_hosts_over_psrp_and_winrm_cost_one_pipeline_each(lab, run_playbook):
    lab.control.reset_counters()
    run = run_playbook([{'hosts': 'hyperv_hosts', 'gather_facts': False,
                         'tasks': [{'name': 'facts', 'hyperv.mobility.host_info': None}]}], inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout + run.stderr
    results = run.task('facts')
    counters = lab.control.counters()
    for host in lab.hosts:
        result = results[host['name']]
        assert result['fqdn'] == host['fqdn'] and result['hyperv_installed'] is True
        assert set(result['replica_server']) == {'enabled', 'allowed_authentication_type', 'kerberos_authentication_port',
                                                 'certificate_authentication_port', 'certificate_thumbprint',
                                                 'allowed_from_any_server', 'default_storage_location'}
        assert result['vms'] and all(set(vm) == {'name', 'id', 'state', 'version', 'generation'} for vm in result['vms'])
        assert counters[host['name']]['pipelines'] == 1, (host['name'], counters[host['name']])
    assert {host['transport'] for host in lab.hosts} == {'psrp', 'winrm'}


def test_async_task_runs_the_module_as_a_controller_job_with_the_inventory_connection(lab, run_playbook):
    """async + async_status, as roles use them to run many controller-side module processes at once. The job runs on the
    controller, so async_status reads it there (delegate_to: localhost; on the Windows host it would look for ansible.windows')."""
    run = run_playbook([{'hosts': 'hyperv_hosts', 'gather_facts': False, 'tasks': [
        {'name': 'start', 'hyperv.mobility.host_info': None, 'async': 120, 'poll': 0, 'register': 'job'},
        {'name': 'collect', 'ansible.builtin.async_status': {'jid': '{{ job.ansible_job_id }}'}, 'register': 'done',
         'until': 'done.finished', 'retries': 60, 'delay': 1, 'delegate_to': 'localhost'}]}], inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout + run.stderr
    started, collected = run.task('start'), run.task('collect')
    for host in lab.hosts:
        assert started[host['name']]['ansible_job_id'] and not started[host['name']].get('fqdn')
        assert collected[host['name']]['fqdn'] == host['fqdn'] and collected[host['name']]['hyperv_installed'] is True


def test_both_transports_give_identical_facts(lab, run_playbook):
    host = lab.hosts[0]
    run = run_playbook(local_play([host_info_task('psrp', explicit_options(lab, host, 'psrp')),
                                   host_info_task('winrm', explicit_options(lab, host, 'winrm'))]))
    psrp, winrm = run.task('psrp')['localhost'], run.task('winrm')['localhost']
    assert not psrp.get('failed') and not winrm.get('failed'), (psrp, winrm)
    assert facts(psrp) == facts(winrm)


def test_https_validation_needs_the_lab_ca(lab, run_playbook):
    host = lab.hosts[0]
    without_ca = explicit_options(lab, host, 'psrp')
    del without_ca['hyperv_ca_cert']
    run = run_playbook(local_play([
        host_info_task('no ca', without_ca),
        host_info_task('with ca', explicit_options(lab, host, 'psrp')),
        host_info_task('no validation', dict(without_ca, hyperv_validate_certs=False)),
    ]))
    failed = run.task('no ca')['localhost']
    assert failed.get('failed') and host['address'] in failed['msg'] and 'hyperv_ca_cert' in failed['msg']
    assert not run.task('with ca')['localhost'].get('failed')
    assert not run.task('no validation')['localhost'].get('failed')


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_wrong_password_names_the_host(lab, run_playbook, transport):
    host = lab.hosts[0]
    run = run_playbook(local_play([host_info_task('bad password', explicit_options(lab, host, transport, hyperv_password='wrong'))]))
    result = run.task('bad password')['localhost']
    assert result.get('failed') and result['connection_error']
    assert 'Authentication to Hyper-V host %s' % host['address'] in result['msg'] and 'hyperv_password' in result['msg']


def test_unreachable_host_names_the_host_and_port(lab, run_playbook):
    with socket.socket() as probe:
        probe.bind(('127.0.10.1', 0))
        closed_port = probe.getsockname()[1]
    host = lab.hosts[0]
    run = run_playbook(local_play([host_info_task('closed', explicit_options(lab, host, 'winrm', hyperv_port=closed_port))]))
    result = run.task('closed')['localhost']
    assert result.get('failed') and 'Cannot reach Hyper-V host %s' % host['address'] in result['msg']
    assert 'port %d' % closed_port in result['msg'] and 'after 2 attempt(s)' in result['msg']


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_injected_faults_are_retried_for_reads_and_reported_when_persistent(lab, run_playbook, transport):
    host = lab.hosts[0]
    lab.control.clear_faults()
    lab.control.inject_fault(host['name'], 'http_500', 1)
    run = run_playbook(local_play([host_info_task('one fault', explicit_options(lab, host, transport))]))
    assert not run.task('one fault')['localhost'].get('failed')
    lab.control.inject_fault(host['name'], 'http_500', 10)
    run = run_playbook(local_play([host_info_task('persistent', explicit_options(lab, host, transport))]))
    lab.control.clear_faults()
    result = run.task('persistent')['localhost']
    assert result.get('failed') and host['address'] in result['msg'] and 'after 2 attempt(s)' in result['msg']


# ------------------------------------------------------------------ the session itself

@pytest.fixture(name='session_module')
def fixture_session_module(collections_root):
    if str(collections_root) not in sys.path:
        sys.path.insert(0, str(collections_root))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.hyperv.mobility.plugins.module_utils._host import commands, options, session
    return types.SimpleNamespace(HostSession=session.HostSession, ConnectionOptions=options.ConnectionOptions, Command=commands.Command)


def session_for(lab, session_module, transport: str, retries: int = 0):
    options = explicit_options(lab, lab.hosts[0], transport, hyperv_retries=retries)
    return session_module.HostSession(session_module.ConnectionOptions.from_params(options))


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_unknown_parameter_fails_with_powershells_binding_error(lab, session_module, transport):
    from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import HostCommandError  # pylint: disable=import-outside-toplevel
    with session_for(lab, session_module, transport) as session:
        with pytest.raises(HostCommandError) as raised:
            session.run([session_module.Command('Get-VMHost', {'Bogus': 1})])
    error = raised.value.errors[0]
    assert error.command == 'Get-VMHost'
    assert error.fully_qualified_error_id == 'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost'
    assert "'Bogus'" in error.message


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_write_dropped_after_it_ran_is_not_repeated(lab, session_module, transport):
    from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import OutcomeUnknownError  # pylint: disable=import-outside-toplevel
    host = lab.hosts[0]
    lab.control.clear_faults()
    lab.control.reset_counters()
    lab.control.inject_fault(host['name'], 'drop_after', 1)
    with session_for(lab, session_module, transport, retries=3) as session:
        with pytest.raises(OutcomeUnknownError):
            session.run([session_module.Command('Set-VMHost', {'MaximumStorageMigrations': 2})])
    assert lab.control.counters()[host['name']]['commands'].get('Set-VMHost') == 1


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_documented_switch_works_and_the_runner_refuses_other_cmdlets(lab, session_module, transport):
    with session_for(lab, session_module, transport) as session:
        result = session.run([session_module.Command('Get-VMHostSupportedVersion', {'Default': True})])
        assert [item['IsDefault'] for item in result.output] == [True]
        if transport == 'winrm':
            refused = session.run([session_module.Command('Get-Process')], check=False)
            assert refused.errors[0].fully_qualified_error_id == 'HyperVMobility.CommandNotAllowed'
