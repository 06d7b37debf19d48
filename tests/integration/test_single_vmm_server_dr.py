# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/single_vmm_server_dr.yml against lab hosts and the fake Azure: Microsoft's single-VMM-server runbook.

The VMM server's VM is hv01-app on hv01 (primary site), replicated with Hyper-V Replica to hv02 (recovery site, a Kerberos Replica
server); the workloads app01 and db01 are protected in the vault (site, policy, association and protection set up by one play first).
"""

from __future__ import annotations

import pytest

from asr_lab import POLICY, RESOURCE_GROUP, SITE, VAULT, azure, fake_azure, play, register_hosts_task, vault_state  # noqa: F401  pylint: disable=unused-import
from vm_replication_lab import make_replica_server, relationship, reset_replication

PLAYBOOK = 'playbooks/single_vmm_server_dr.yml'
PRIMARY, RECOVERY, VMM_VM = 'hv01', 'hv02', 'hv01-app'
WORKLOADS = ['app01', 'db01']
TARGET_RG = '/subscriptions/0000/resourceGroups/rg-dr-vms'


def runbook_vars(azure_handle, action: str, **overrides) -> dict:
    values = {'dr_action': action, 'vmm_vm': VMM_VM, 'vmm_primary_host': PRIMARY, 'vmm_recovery_host': RECOVERY,
              'vmm_replica_server': 'hv02.hvlab.test', 'vmm_wait_for_initial_replication': False, 'vmm_reverse_wait_delay': 1,
              'vmm_reverse_wait_retries': 60, 'site_recovery_workloads': WORKLOADS, 'site_recovery_azure_site': SITE,
              'azure_resource_group': RESOURCE_GROUP, 'azure_vault_name': VAULT, 'azure_subscription_id': azure_handle.subscription_id,
              'azure_tenant': azure_handle.tenant_id, 'azure_client_id': azure_handle.client_id, 'azure_secret': azure_handle.secret,
              'azure_cloud_environment': azure_handle.base_url + '/', 'azure_ca_bundle': azure_handle.ca_path}
    values.update(overrides)
    return values


def workloads(azure_handle) -> dict:
    return {item['properties']['friendlyName']: (item['properties']['activeLocation'], item['properties']['protectionState'])
            for item in vault_state(azure_handle)['protected_items']}


def sides(lab) -> tuple:
    def of(host):
        side = relationship(lab, host, VMM_VM)
        return (side['mode'], side['state']) if side else None
    return of(PRIMARY), of(RECOVERY)


def task_names(run) -> list:
    return [entry['task']['name'] for entry in run.results]


@pytest.fixture
def estate(lab, azure, run_playbook):  # pylint: disable=redefined-outer-name
    """hv02 a Replica server (hv01 too, for the reverse direction) and the workloads protected in the vault."""
    reset_replication(lab)
    make_replica_server(lab, PRIMARY)
    make_replica_server(lab, RECOVERY)
    protect = [{'name': 'protect %s' % vm, 'hyperv.mobility.asr_protected_vm': {
        'site': SITE, 'vm_name': vm, 'policy': POLICY, 'target_resource_group_id': TARGET_RG, 'wait_for_initial_replication': True}}
        for vm in WORKLOADS]
    setup = [{'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}},
             {'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': POLICY, 'copy_frequency': 300}},
             register_hosts_task(azure),
             {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': SITE, 'policy': POLICY}}]
    run = run_playbook(play(azure, setup + protect))
    assert run.rc == 0, run.stdout
    assert workloads(azure) == {'app01': ('Primary', 'Protected'), 'db01': ('Primary', 'Protected')}
    try:
        yield lab
    finally:
        lab.control.clear_faults()
        lab.control.replication(speed=0)


def test_pre_checks_refuse_the_vmm_vm_among_the_workloads_and_a_bad_action(estate, azure, run_playbook):
    mixed = run_playbook(PLAYBOOK, inventory=estate.inventory_path,
                         extra_vars=runbook_vars(azure, 'failover', site_recovery_workloads=WORKLOADS + [VMM_VM]))
    assert mixed.rc != 0
    message = mixed.task('Check that the VMM VM is not one of the workloads failed over through the vault')['localhost']['msg']
    assert 'fails over with Hyper-V Replica first, never through the vault' in message
    bad = run_playbook(PLAYBOOK, inventory=estate.inventory_path, extra_vars=runbook_vars(azure, 'sideways'))
    assert bad.rc != 0 and 'Set dr_action (protect, failover or failback)' in bad.task('Check the runbook\'s variables')['localhost']['msg']
    assert workloads(azure) == {'app01': ('Primary', 'Protected'), 'db01': ('Primary', 'Protected')}
    assert relationship(estate, PRIMARY, VMM_VM) is None


def test_protect_then_outage_failover_in_order_then_failback(estate, azure, run_playbook):
    lab = estate
    protected = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'protect'))
    assert protected.rc == 0, protected.stdout
    assert protected.task('Replicate the VMM VM to the recovery host')[PRIMARY]['changed'] is True
    lab.control.replication(advance_seconds=300)
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert VMM_VM not in workloads(azure)  # Hyper-V Replica only, never a protected item of the vault

    # Outage: the primary site is lost with the VMM VM running.
    lab.control.patch_host(PRIMARY, vms={VMM_VM: {'state': 'Running'}})
    lab.control.inject_fault(PRIMARY, 'host_down', count=1000)
    failover = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'failover'))
    assert failover.rc == 0, failover.stdout
    assert relationship(lab, RECOVERY, VMM_VM)['state'] == 'FailedOver'
    assert workloads(azure) == {'app01': ('Recovery', 'FailoverCommitted'), 'db01': ('Recovery', 'FailoverCommitted')}
    names = task_names(failover)
    assert names.index('Complete the failover of the VMM VM (it runs on the recovery host from now on)') < names.index(
        'Run the vault\'s steps for every workload VM, in order'), 'the VMM VM fails over before the workloads'
    steps = [result['item'] for result in failover.task('Run the vault\'s steps for every workload VM, in order')['localhost']['results']]
    assert [(step[0]['action'], step[1]) for step in steps] == [('unplanned_failover', 'app01'), ('unplanned_failover', 'db01'),
                                                                ('commit', 'app01'), ('commit', 'db01')]
    again = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'failover'))
    assert again.rc == 0 and again.changed_hosts() == [], again.stdout

    # The primary site is back; the VMM VM was shut down there. Reverse replication runs in real time from here.
    lab.control.clear_faults()
    lab.control.patch_host(PRIMARY, vms={VMM_VM: {'state': 'Off'}})
    lab.control.replication(speed=600)
    failback = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'failback'))
    assert failback.rc == 0, failback.stdout
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert workloads(azure) == {'app01': ('Primary', 'Protected'), 'db01': ('Primary', 'Protected')}
    names = task_names(failback)
    assert names.index('Planned failover of the VMM VM back to the primary host') < names.index('Run the vault\'s steps for every workload VM, in order')
    assert azure.secret not in protected.stdout + failover.stdout + failback.stdout
