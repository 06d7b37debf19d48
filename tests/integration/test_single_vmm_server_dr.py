# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/single_vmm_server_dr.yml against lab machines and the fake Azure: Microsoft's single-VMM-server deployment, cloud to cloud.

The VMM server runs in hv01-app on hv01 (primary site), replicated with Hyper-V Replica to hv02 (secondary site, a Kerberos Replica
server); its operating system is the lab machine hv03 (a VMM server with the clouds Primary - hv01's workloads hv01-web and hv01-db -
and Secondary - hv02 - and the VM networks Corp and Corp-Secondary). The runbook registers the server, pairs its two clouds, maps the
networks, protects the workloads and makes a recovery plan (hv01-db starts first); then an outage, the failover, and the failback.
The order of operations is read from the machines' records (commands with their time, programs run) and the fake Azure's events.
The fake Azure does not drive the lab's Hyper-V hosts: the workloads' failover lives in the vault only.
"""

from __future__ import annotations

import pytest

from asr_lab import RESOURCE_GROUP, VAULT, azure, fake_azure, vault_state  # noqa: F401  pylint: disable=unused-import
from vm_replication_lab import make_replica_server, relationship, reset_replication, vm
from vmm_dr_lab import azure_vars, make_vmm_server, vmm_estate

PLAYBOOK = 'playbooks/single_vmm_server_dr.yml'
PRIMARY, RECOVERY, VMM_HOST, VMM_VM = 'hv01', 'hv02', 'hv03', 'hv01-app'
SERVER = 'hv03.hvlab.test'
WORKLOADS = ['hv01-web', 'hv01-db']
PLAN = 'rp-single-vmm'


def runbook_vars(azure_handle, action: str, **overrides) -> dict:
    values = dict(azure_vars(azure_handle), dr_action=action, vmm_vm=VMM_VM, vmm_primary_host=PRIMARY, vmm_recovery_host=RECOVERY,
                  vmm_replica_server='hv02.hvlab.test', vmm_wait_for_initial_replication=False, vmm_reverse_wait_delay=1,
                  vmm_reverse_wait_retries=60, vmm_start_poll_interval=1, vmm_server_host=VMM_HOST, vmm_server_name=SERVER,
                  vmm_primary_cloud='Primary', vmm_secondary_cloud='Secondary', vmm_primary_vm_network='Corp',
                  vmm_secondary_vm_network='Corp-Secondary', site_recovery_workloads=WORKLOADS, site_recovery_recovery_plan=PLAN,
                  site_recovery_workload_groups=[{'vms': ['hv01-db']}, {'vms': ['hv01-web']}])
    values.update(overrides)
    return values


def workloads(azure_handle) -> dict:
    return {item['properties']['friendlyName']: (item['properties']['activeLocation'], item['properties']['protectionState'])
            for item in vault_state(azure_handle)['protected_items']}


def data(azure_handle) -> dict:
    return {entry['vm_name']: entry for entry in vault_state(azure_handle)['data']}


def events(azure_handle, after: float = 0.0) -> list:
    """The fake Azure's completed steps, in order, that completed after ``after`` (seconds since the epoch)."""
    return [event for event in vault_state(azure_handle)['events'] if event['time'] > after]


def last_event_time(azure_handle) -> float:
    recorded = vault_state(azure_handle)['events']
    return recorded[-1]['time'] if recorded else 0.0


def command_time(lab, host: str, name: str) -> float:
    """When the host received the command ``name`` (the last time), from the lab's record of commands."""
    return [command['time'] for command in lab.control.commands(host) if command['name'] == name][-1]


def sides(lab) -> tuple:
    def of(host):
        side = relationship(lab, host, VMM_VM)
        return (side['mode'], side['state']) if side else None
    return of(PRIMARY), of(RECOVERY)


@pytest.fixture
def estate(lab, azure):  # pylint: disable=redefined-outer-name
    """hv02 a Replica server (hv01 too, for the way back), hv03 the VMM server with the provider and the vault's key, an empty vault."""
    reset_replication(lab)
    make_replica_server(lab, PRIMARY)
    make_replica_server(lab, RECOVERY)
    with vmm_estate(lab, azure):
        make_vmm_server(lab, azure, VMM_HOST)
        try:
            yield lab
        finally:
            lab.control.clear_faults()
            lab.control.replication(speed=0)


def test_the_runbook_refuses_the_vmm_vm_among_the_workloads_one_cloud_twice_and_a_bad_action(estate, azure, run_playbook):
    mixed = run_playbook(PLAYBOOK, inventory=estate.inventory_path, extra_vars=runbook_vars(azure, 'failover', site_recovery_workloads=WORKLOADS + [VMM_VM]))
    assert mixed.rc != 0
    message = mixed.task('Check that the VMM VM is not one of the workloads failed over through the vault')['localhost']['msg']
    assert 'fails over with Hyper-V Replica first, never through the vault' in message
    same = run_playbook(PLAYBOOK, inventory=estate.inventory_path, extra_vars=runbook_vars(azure, 'protect', vmm_secondary_cloud='primary'))
    assert 'Step 2: make sure the VMM server has at least two clouds configured' in same.task(
        'Check that the primary and the secondary cloud are two clouds')['localhost']['msg']
    bad = run_playbook(PLAYBOOK, inventory=estate.inventory_path, extra_vars=runbook_vars(azure, 'sideways'))
    assert bad.rc != 0 and 'Set dr_action (protect, failover or failback)' in bad.task("Check the runbook's variables")['localhost']['msg']
    missing = run_playbook(PLAYBOOK, inventory=estate.inventory_path, extra_vars=runbook_vars(azure, 'protect', vmm_secondary_cloud='Bronze'))
    assert missing.rc != 0
    assert "one holds the VMs to protect (Primary), the other is the secondary location (Bronze)" in missing.task(
        'Check step 2 - at least two clouds on the VMM server')['localhost']['msg']
    assert relationship(estate, PRIMARY, VMM_VM) is None and workloads(azure) == {}


def test_protect_outage_failover_on_a_chosen_recovery_point_then_failback_in_microsofts_order(estate, azure, run_playbook):
    lab = estate
    # ---- protect: steps 1 to 6 -----------------------------------------------------------------------------------------------
    protected = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'protect'))
    assert protected.rc == 0, protected.stdout
    vault = vault_state(azure)
    (policy,) = vault['policies']
    assert policy['properties']['providerSpecificDetails']['initialReplicationMethod'] == 'OverNetwork'
    (pairing,) = vault['mappings']
    assert (pairing['properties']['sourceProtectionContainerFriendlyName'], pairing['properties']['targetProtectionContainerFriendlyName'],
            pairing['properties']['sourceFabricFriendlyName'], pairing['properties']['targetFabricFriendlyName']) == ('Primary', 'Secondary', SERVER, SERVER)
    (network_mapping,) = vault['network_mappings']
    assert (network_mapping['properties']['primaryNetworkFriendlyName'], network_mapping['properties']['recoveryNetworkFriendlyName']) == (
        'Corp', 'Corp-Secondary')
    assert workloads(azure) == {'hv01-web': ('Primary', 'Protected'), 'hv01-db': ('Primary', 'Protected')}
    assert {item['properties']['recoveryProtectionContainerFriendlyName'] for item in vault['protected_items']} == {'Secondary'}
    (plan,) = vault['recovery_plans']
    assert plan['properties']['primaryFabricId'] == plan['properties']['recoveryFabricId']  # the same VMM server for source and target
    assert [group['replicationProtectedItems'][0]['id'].rsplit('/', 1)[-1] for group in plan['properties']['groups'][2:]] == ['hv01-db', 'hv01-web']
    assert VMM_VM not in workloads(azure)  # Hyper-V Replica only, never a protected item of the vault
    lab.control.replication(advance_seconds=300)
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    again = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'protect'))
    assert again.rc == 0 and again.changed_hosts() == [], again.stdout

    # Replication cycles: each workload's data at versions 1, 2, 3 on the secondary cloud, then writes that never replicate.
    for _cycle in range(3):
        azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, replicate=True)
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=5)
    older = next(point for point in data(azure)['hv01-db']['recovery_points'] if point['data_version'] == 1)

    # ---- outage of the primary site with the VMM VM running: step 7 ----------------------------------------------------------
    lab.control.patch_host(PRIMARY, vms={VMM_VM: {'state': 'Running'}})
    lab.control.inject_fault(PRIMARY, 'host_down', count=1000)
    lab.control.reset_counters()
    started = last_event_time(azure)
    failover = run_playbook(PLAYBOOK, inventory=lab.inventory_path,
                            extra_vars=runbook_vars(azure, 'failover', site_recovery_recovery_points={'hv01-db': older['name']}))
    assert failover.rc == 0, failover.stdout
    assert relationship(lab, RECOVERY, VMM_VM)['state'] == 'FailedOver' and vm(lab, RECOVERY, VMM_VM)['state'] == 'Running'
    assert workloads(azure) == {'hv01-web': ('Recovery', 'FailoverCommitted'), 'hv01-db': ('Recovery', 'FailoverCommitted')}
    # The data each workload runs on: hv01-db from the older recovery point chosen at the commit, hv01-web from the latest one.
    assert data(azure)['hv01-db']['active_version'] == 1 and data(azure)['hv01-web']['active_version'] == 3
    steps = [(event['scenario'], event['vm_name'], event.get('group')) for event in events(azure, after=started)]
    assert steps == [('UnplannedFailover', 'hv01-db', None), ('UnplannedFailover', 'hv01-web', None), ('Boot', 'hv01-db', 1),
                     ('Boot', 'hv01-web', 2), ('CommitFailover', 'hv01-web', None), ('ApplyRecoveryPoint', 'hv01-db', None),
                     ('CommitFailover', 'hv01-db', None)]
    # 7.1 then 7.2: the VMM VM failed over and started (and verified) on the secondary host before the vault touched a workload.
    vault_started = events(azure, after=started)[0]['time']
    assert command_time(lab, RECOVERY, 'Start-VMFailover') < command_time(lab, RECOVERY, 'Start-VM') < vault_started
    assert command_time(lab, RECOVERY, 'Complete-VMFailover') < vault_started
    rerun = run_playbook(PLAYBOOK, inventory=lab.inventory_path,
                         extra_vars=runbook_vars(azure, 'failover', site_recovery_recovery_points={'hv01-db': older['name']}))
    assert rerun.rc == 0 and rerun.changed_hosts() == [], rerun.stdout

    # ---- the primary site is back, its old VMM VM off: steps 7.4 to 7.7 ------------------------------------------------------
    lab.control.clear_faults()
    lab.control.patch_host(PRIMARY, vms={VMM_VM: {'state': 'Off'}})
    lab.control.replication(speed=600)
    lab.control.reset_counters()
    started = last_event_time(azure)
    refused = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'failback'))
    assert refused.rc != 0
    assert 'Step 7.5: a planned failover of the VMM VM to the primary site starts with the VM shut down on the secondary site' in refused.task(
        'Check step 7.5 - the VMM VM is shut down on the secondary site before its planned failover')[RECOVERY]['msg']
    assert workloads(azure) == {'hv01-web': ('Recovery', 'FailoverCommitted'), 'hv01-db': ('Recovery', 'FailoverCommitted')}  # untouched
    assert events(azure, after=started) == []  # the failed check stopped the runbook before the vault
    lab.control.patch_host(RECOVERY, vms={VMM_VM: {'state': 'Off'}})  # the operator shuts the VMM VM down, as the step says
    failback = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'failback'))
    assert failback.rc == 0, failback.stdout
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert vm(lab, PRIMARY, VMM_VM)['state'] == 'Running'
    assert workloads(azure) == {'hv01-web': ('Primary', 'Protected'), 'hv01-db': ('Primary', 'Protected')}
    steps = [(event['scenario'], event['vm_name'], event.get('direction')) for event in events(azure, after=started) if event['scenario'] != 'Boot']
    assert steps == [('ReverseReplicate', 'hv01-web', None), ('ReverseReplicate', 'hv01-db', None),   # 7.6: reverse replication FIRST
                     ('Shutdown', 'hv01-db', 'RecoveryToPrimary'), ('Shutdown', 'hv01-web', 'RecoveryToPrimary'),   # 7.7: planned failover
                     ('PlannedFailover', 'hv01-db', 'RecoveryToPrimary'), ('PlannedFailover', 'hv01-web', 'RecoveryToPrimary'),
                     ('CommitFailover', 'hv01-web', None), ('CommitFailover', 'hv01-db', None),   # commit
                     ('ReverseReplicate', 'hv01-web', None), ('ReverseReplicate', 'hv01-db', None)]   # and reverse replication again
    # The workloads come back with the data they had on the secondary site (nothing lost in a planned failover).
    assert data(azure)['hv01-db']['versions'] == {'Primary': 1, 'Recovery': 1}
    # 7.4 and 7.5 before the vault: the VMM VM reversed, failed back, started on the primary host before the first workload step.
    vault_started = events(azure, after=started)[0]['time']
    assert command_time(lab, RECOVERY, 'Set-VMReplication') < command_time(lab, PRIMARY, 'Start-VM') < vault_started
    rerun = run_playbook(PLAYBOOK, inventory=lab.inventory_path, extra_vars=runbook_vars(azure, 'failback'))
    assert rerun.rc == 0 and rerun.changed_hosts() == [], rerun.stdout
    assert azure.secret not in protected.stdout + failover.stdout + failback.stdout
