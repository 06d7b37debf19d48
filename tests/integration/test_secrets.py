# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in the output: the collection's playbooks at -vvv with --diff against the lab, the Samba DC and the fake Azure.

The secrets are the lab's generated WinRM password (inventory ansible_password, hence every host module's hyperv_password
and every peer's), the DC's administrator password (ad_password of the inventory and of kerberos_delegation) and the fake
Azure's service principal secret. Each run must change something (so the diffs and returned values are really there), and
none of the secrets may appear in stdout, stderr, the diffs or the returned values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asr_lab import POLICY, SITE, azure, fake_azure, play, register_hosts_task  # noqa: F401  pylint: disable=unused-import
from migration_lab import start_migration_lab

PLAYBOOKS = Path(__file__).resolve().parents[2] / 'playbooks'
REPO_PLAYBOOKS = ('host_info.yml', 'live_migration.yml', 'drift_check.yml', 'preflight.yml', 'replica.yml')
TARGET_RG = '/subscriptions/0000/resourceGroups/rg-dr-vms'
VNET = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'


@pytest.fixture(scope='module', name='domain_lab')
def domain_lab_fixture(samba_dc, tmp_path_factory):
    """Three hosts joined to the DC, every one's live migration off (so the playbooks change and diff something)."""
    lab = start_migration_lab(tmp_path_factory.mktemp('secrets-lab'), samba_dc)
    try:
        lab.clear_delegation()
        for host in lab.hosts:
            lab.control.patch_host(host['name'], migration={'enabled': False})
        yield lab
    finally:
        lab.stop()


def lab_password(lab) -> str:
    """The WinRM password the lab generated, as the inventory hands it to Ansible."""
    match = re.search(r'ansible_password: (\S+)', lab.inventory_path.read_text(encoding='utf-8'))
    assert match, 'the inventory holds no ansible_password'
    return match.group(1).strip('\'"')


def leaks(run, secrets: dict[str, str]) -> list[str]:
    """Where each secret shows up: stdout, stderr, a diff or a returned value."""
    places = {'stdout': run.stdout, 'stderr': run.stderr}
    for entry in run.results:
        for host, result in entry['hosts'].items():
            where = f'{entry["task"]["name"]} on {host}'
            places[f'diff of {where}'] = json.dumps(result.get('diff', ''), ensure_ascii=False)
            places[f'result of {where}'] = json.dumps({key: value for key, value in result.items() if key != 'diff'}, ensure_ascii=False)
    return [f'{name} in {place}' for name, secret in secrets.items() for place, text in places.items() if secret in text]


def changed_results_with_diff(run) -> list[str]:
    return [entry['task']['name'] for entry in run.results for result in entry['hosts'].values() if result.get('changed') and result.get('diff')]


def test_repository_playbooks_and_host_modules_at_vvv_with_diff(domain_lab, samba_dc, run_playbook, tmp_path):
    secrets = {'lab password': lab_password(domain_lab), 'AD password': samba_dc.admin_password}
    assert all(len(secret) >= 8 for secret in secrets.values())
    plays = [{'ansible.builtin.import_playbook': str(PLAYBOOKS / name)}
             for name in REPO_PLAYBOOKS]
    # Host modules the playbooks do not call, with their secrets given as options rather than through the inventory.
    plays.append({'name': 'more modules', 'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        {'name': 'delegation', 'hyperv.mobility.kerberos_delegation': {
            'computer': 'hv03', 'migration_peers': ['hv01'], 'ad_server': samba_dc.address, 'ad_username': samba_dc.admin_user,
            'ad_password': samba_dc.admin_password, 'ad_ca_cert': samba_dc.ca_path}, 'delegate_to': 'localhost'},
        {'name': 'move', 'hyperv.mobility.vm_migrate': {'name': 'hv01-web', 'destination': 'hv02', 'include_storage': True}},
        {'name': 'replica info', 'hyperv.mobility.vm_replication_info': {'name': 'hv01-app'}},
    ]})
    extra = {'replication_pairs': [{'primary': 'hv01', 'replica': 'hv02', 'vms': ['hv01-app']}], 'replica_wait': False, 'replica_verify': False,
             'preflight_report_dir': str(tmp_path / 'preflight-report'),
             # drift_check.yml (unlike live_migration.yml) leaves the networks to the inventory, as its users' would.
             'live_migration_networks': [{'subnet': '192.168.10.0/24', 'priority': 1}],
             # The move below needs the mesh's new delegation in the hosts' SYSTEM tickets (klist at -vvv shows no secret either).
             'live_migration_mesh_purge_tickets': True}
    run = run_playbook(plays, inventory=domain_lab.inventory_path, extra_vars=extra, diff=True, verbosity=3)
    assert run.rc == 0, run.stdout[-4000:]
    # The runs did their work: the settings and the delegation changed, with diffs; the VM moved.
    # The mesh already wrote hv03's delegation, so the explicit kerberos_delegation task (ad_password as an option) is a no-op.
    assert len(changed_results_with_diff(run)) > 3 and not run.task('delegation')['hv01'].get('failed'), changed_results_with_diff(run)
    assert run.task('move')['hv01']['changed'] is True
    assert 'hv01-web' in [vm['name'] for vm in domain_lab.control.host_state('hv02')['vms']]
    assert domain_lab.delegation_of('hv01'), 'the mesh wrote no delegation'
    assert not leaks(run, secrets)


def test_site_recovery_at_vvv_with_diff(azure, run_playbook):
    secret = azure.auth_params()['secret']
    assert len(secret) >= 16
    tasks = [{'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}},
             {'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': POLICY, 'copy_frequency': 300, 'recovery_point_retention': 4}},
             register_hosts_task(azure),
             {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': SITE, 'policy': POLICY}},
             {'name': 'protect', 'hyperv.mobility.asr_protected_vm': {
                 'site': SITE, 'vm_name': 'app01', 'policy': POLICY, 'target_resource_group_id': TARGET_RG, 'target_network_id': VNET,
                 'target_subnet': 'apps', 'wait_for_initial_replication': True}},
             # As the site_recovery_azure role runs it: an async job on the controller, collected with async_status.
             {'name': 'protect as a job', 'hyperv.mobility.asr_protected_vm': {
                 'site': SITE, 'vm_name': 'db01', 'policy': POLICY, 'target_resource_group_id': TARGET_RG},
              'async': 120, 'poll': 0, 'register': 'protect_job'},
             {'name': 'collect the job', 'ansible.builtin.async_status': {'jid': '{{ protect_job.ansible_job_id }}'}, 'register': 'collected',
              'until': 'collected.finished', 'retries': 60, 'delay': 1},
             {'name': 'info', 'hyperv.mobility.asr_protected_vm_info': {'site': SITE}},
             {'name': 'site info', 'hyperv.mobility.asr_hyperv_site_info': {'name': SITE}},
             {'name': 'policy info', 'hyperv.mobility.asr_replication_policy_info': {'name': POLICY}},
             {'name': 'test failover', 'hyperv.mobility.asr_failover': {'site': SITE, 'name': 'app01', 'action': 'test_failover', 'test_network_id': VNET}},
             # A failure path too: the secret must not ride along in an error.
             {'name': 'wrong vault', 'hyperv.mobility.asr_protected_vm_info': {'site': SITE, 'vault_name': 'no-such-vault'}, 'ignore_errors': True}]
    run = run_playbook(play(azure, tasks), diff=True, verbosity=3)
    assert run.rc == 0, run.stdout[-4000:]
    assert {'site', 'policy', 'associate', 'protect'} <= set(changed_results_with_diff(run)) | {
        entry['task']['name'] for entry in run.results for result in entry['hosts'].values() if result.get('changed')}
    assert run.task('wrong vault')['localhost'].get('failed')
    assert run.task('collect the job')['localhost']['changed'] is True
    assert not leaks(run, {'Azure client secret': secret})
    # The job's result stays on the controller's disk (ansible-core's async directory): no secret at rest either.
    job_file = Path(run.task('protect as a job')['localhost']['results_file'])
    assert 'protected_vm' in json.loads(job_file.read_text(encoding='utf-8'))
    assert secret not in job_file.read_text(encoding='utf-8')
