# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""asr_prerequisites against the lab's hosts: what the cmdlets can tell is checked, the rest is reported not_checked with the fix."""

from __future__ import annotations

import pytest

FRESH_HOST = {'os_release': '2022', 'hyperv_installed': True}
READ_CMDLETS = {'Get-WindowsFeature', 'Get-VMHost', 'Get-VMHostSupportedVersion'}


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    for host in lab.hosts:
        lab.control.patch_host(host['name'], **FRESH_HOST)
    lab.control.clear_faults()
    lab.control.reset_counters()
    yield
    # The lab is shared by the other test files of this worker: give the hosts back as a fresh lab has them.
    for host in lab.hosts:
        lab.control.patch_host(host['name'], **FRESH_HOST)


def check_play(**options):
    return [{'hosts': 'hyperv_hosts', 'gather_facts': False,
             'tasks': [{'name': 'prerequisites', 'hyperv.mobility.asr_prerequisites': options or None, 'ignore_errors': True}]}]


def by_name(result: dict) -> dict:
    return {entry['name']: entry for entry in result['checks']}


def test_ready_hosts_pass_and_the_unverifiable_checks_say_how_to_verify(lab, run_playbook):
    run = run_playbook(check_play(), inventory=lab.inventory_path, check=True)
    assert run.rc == 0, run.stdout
    results = run.task('prerequisites')
    assert sorted(results) == sorted(host['name'] for host in lab.hosts)
    for host in lab.hosts:
        result = results[host['name']]
        assert result['changed'] is False and result['ready'] is True, result
        checks = by_name(result)
        assert [entry['name'] for entry in result['checks']] == ['hyperv_role', 'supported_os', 'outbound_https', 'time_sync', 'replication_log_space']
        assert checks['hyperv_role']['status'] == 'passed' and checks['hyperv_role']['fix'] is None
        assert checks['supported_os']['status'] == 'passed' and 'Windows Server 2022' in checks['supported_os']['detail']
        assert result['os_name'] == 'Microsoft Windows Server 2022'
        for name in ('outbound_https', 'time_sync', 'replication_log_space'):
            assert checks[name]['status'] == 'not_checked' and checks[name]['fix'], checks[name]
        assert '443' in checks['outbound_https']['fix'] and 'login.microsoftonline.com' in checks['outbound_https']['fix']
        # Read-only: only the documented Get- cmdlets ran.
        assert {command['name'] for command in lab.control.commands(host['name'])} == READ_CMDLETS


def test_missing_role_and_semi_annual_release_fail_with_the_fix(lab, run_playbook):
    lab.control.patch_host('hv02', hyperv_installed=False)
    lab.control.patch_host('hv03', default_vm_version='9.3')  # Windows Server 20H2, a semi-annual channel release
    run = run_playbook(check_play(cloud_environment='AzureUSGovernment'), inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout  # a report, not a failure
    results = run.task('prerequisites')
    assert results['hv01']['ready'] is True
    role = by_name(results['hv02'])['hyperv_role']
    assert results['hv02']['ready'] is False and role['status'] == 'failed' and 'Install-WindowsFeature -Name Hyper-V' in role['fix']
    release = by_name(results['hv03'])['supported_os']
    assert results['hv03']['ready'] is False and release['status'] == 'failed' and '9.3' in release['detail']
    assert 'Windows Server 2012 R2' in release['fix']
    assert 'login.microsoftonline.us' in by_name(results['hv01'])['outbound_https']['fix']
    assert by_name(results['hv02'])['supported_os']['status'] == 'not_checked'  # no Hyper-V cmdlet answers without the role
    assert {command['name'] for command in lab.control.commands('hv02')} <= READ_CMDLETS  # read-only: nothing was installed


def test_a_vmm_server_is_checked_for_its_vmm_service_and_told_what_to_allow(lab, run_playbook):
    lab.control.patch_host('hv03', vmm={'name': 'hv03.hvlab.test', 'service_status': 'Running'})
    lab.control.patch_host('hv02', vmm={'name': 'hv02.hvlab.test', 'service_status': 'Stopped'})
    try:
        run = run_playbook(check_play(server_role='vmm_server', region='westeurope'), inventory=lab.inventory_path)
        assert run.rc == 0, run.stdout
        results = run.task('prerequisites')
        vmm = by_name(results['hv03'])
        assert results['hv03']['ready'] is True
        assert [entry['name'] for entry in results['hv03']['checks']] == ['vmm_service', 'outbound_https', 'azure_ip_ranges', 'time_sync']
        assert vmm['vmm_service']['status'] == 'passed'
        assert '*.hypervrecoverymanager.windowsazure.com' in vmm['outbound_https']['fix'] and vmm['outbound_https']['status'] == 'not_checked'
        assert "the vault's region westeurope and of West US" in vmm['azure_ip_ranges']['fix']
        stopped = by_name(results['hv02'])['vmm_service']
        assert results['hv02']['ready'] is False and stopped['status'] == 'failed' and 'Stopped' in stopped['detail']
        plain = by_name(results['hv01'])['vmm_service']
        assert results['hv01']['ready'] is False and 'this is not a VMM server' in plain['detail']
        assert {command['name'] for command in lab.control.commands('hv01')} == {'Get-Service'}  # read-only
    finally:
        for host in ('hv02', 'hv03'):
            lab.control.patch_host(host, vmm=None)
