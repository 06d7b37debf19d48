# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMM to a secondary site through ansible-playbook against the lab's fake Azure: asr_protected_vm, asr_protected_vm_info and
asr_failover on a VM of a VMM cloud replicating to a cloud of a secondary VMM site (Hyper-V Replica, HyperVReplica2012R2).

The VMM servers register through the lab's control route before the playbook runs; the Hyper-V Replica policy, the
association of the Gold cloud with the Gold-DR cloud and the mapping of the Corp VM network to Corp-DR are the first tasks.
A task that must fail runs with ignore_errors, and its result is read by name.
"""

from __future__ import annotations

from asr_lab import (VMM_PRIMARY, VMM_RECOVERY, azure, fake_azure, named, only, play, register_vmm,  # noqa: F401  pylint: disable=unused-import
                     vault_state)

PRIMARY = VMM_PRIMARY['server']
RECOVERY = VMM_RECOVERY['server']
POLICY = 'vmm-to-vmm'
SETUP = [
    {'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': POLICY, 'replication_provider': 'hyperv_replica', 'copy_frequency': 300,
                                                                  'recovery_point_retention': 4}},
    {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': PRIMARY, 'cloud': 'Gold', 'policy': POLICY, 'recovery_site': RECOVERY,
                                                                     'recovery_cloud': 'Gold-DR'}},
    {'name': 'map network', 'hyperv.mobility.asr_network_mapping': {'name': 'corp', 'site': PRIMARY, 'network': 'Corp', 'recovery_site': RECOVERY,
                                                                    'recovery_network': 'Corp-DR'}},
]
PROTECT_ARGS = {'site': PRIMARY, 'cloud': 'Gold', 'vm_name': 'app01', 'policy': POLICY, 'wait_for_initial_replication': True}
PROTECT = {'name': 'protect', 'hyperv.mobility.asr_protected_vm': PROTECT_ARGS}
INFO = {'name': 'info', 'hyperv.mobility.asr_protected_vm_info': {'site': PRIMARY, 'cloud': 'Gold'}}


def failing(title, module, options):
    return {'name': title, 'ignore_errors': True, 'hyperv.mobility.' + module: options}


def failover(action, title=None, **options):
    return {'name': title or action, 'hyperv.mobility.asr_failover': dict({'site': PRIMARY, 'cloud': 'Gold', 'name': 'app01', 'action': action}, **options)}


def vmm_servers(azure_handle):
    register_vmm(azure_handle, VMM_PRIMARY)
    register_vmm(azure_handle, VMM_RECOVERY)


def messages(run, tasks):
    return {task['name']: only(run, task['name']).get('msg', '') for task in tasks if task.get('ignore_errors')}


def test_protect_a_vm_of_a_vmm_cloud_check_mode_idempotent_and_bad_input(azure, run_playbook):
    vmm_servers(azure)
    azure.control.settings(initial_replication_seconds=2)
    bad = [
        failing('azure options', 'asr_protected_vm', dict(PROTECT_ARGS, target_resource_group_id='/subscriptions/0000/resourceGroups/rg',
                                                          target_vm_name='app01-dr')),
        {'name': 'other policy', 'hyperv.mobility.asr_replication_policy': {'name': 'not-associated', 'replication_provider': 'hyperv_replica'}},
        failing('not associated', 'asr_protected_vm', dict(PROTECT_ARGS, policy='not-associated')),
        failing('unknown vm', 'asr_protected_vm', dict(PROTECT_ARGS, vm_name='ghost')),
        failing('cloud missing', 'asr_protected_vm', dict(PROTECT_ARGS, cloud=None)),
        failing('unknown cloud', 'asr_protected_vm', dict(PROTECT_ARGS, cloud='Bronze')),
    ]
    tasks = SETUP + [named(PROTECT, 'protect checked', check_mode=True)] + bad + [PROTECT, named(PROTECT, 'protect again'), INFO]
    run = run_playbook(play(azure, tasks), diff=True)
    assert all(not only(run, task['name']).get('failed') for task in SETUP + [PROTECT, INFO]), run.stdout
    checked = only(run, 'protect checked')
    assert checked['changed'] is True and checked['operation_done'] is False and checked['diff']['before'] == {}
    assert checked['protected_vm']['recovery_cloud'] == 'Gold-DR' and checked['protected_vm']['recovery_site'] == RECOVERY
    msg = messages(run, bad)
    assert ("target_resource_group_id, target_vm_name apply to replication to Azure only; cloud 'Gold' replicates to the VMM cloud 'Gold-DR'"
            in msg['azure options'])
    assert "policy 'not-associated' is not associated with cloud 'Gold' (its policies: %s)" % POLICY in msg['not associated']
    assert "VM 'ghost' is not a protectable item of cloud 'Gold' (its VMs: app01, db01)" in msg['unknown vm']
    assert 'to replicate to Azure (a VMM cloud replicating to a secondary site, cloud with a hyperv_replica policy, needs neither)' in msg['cloud missing']
    assert "cloud: 'Bronze' is not a cloud of VMM server" in msg['unknown cloud']

    created = only(run, 'protect')
    assert created['changed'] is True and created['operation_done'] is True  # check mode had created nothing
    view = created['protected_vm']
    assert view == dict(view, vm_name='app01', policy=POLICY, protection_state='Protected', active_location='Primary', initial_replication_progress=100,
                        recovery_site=RECOVERY, recovery_cloud='Gold-DR', target_vm_name=None, target_network_id=None)
    assert only(run, 'protect again')['changed'] is False
    (listed,) = only(run, 'info')['protected_vms']
    assert listed['vm_name'] == 'app01' and listed['recovery_cloud'] == 'Gold-DR' and 'PlannedFailover' in listed['allowed_operations']
    assert run.stats['localhost']['changed'] == 6  # policy, association, mapping, check-mode protect, other policy, protect

    (item,) = vault_state(azure)['protected_items']
    properties = item['properties']
    assert properties['providerSpecificDetails']['instanceType'] == 'HyperVReplica2012R2' and properties['primaryFabricProvider'] == 'VMM'
    assert properties['recoveryFabricId'].endswith('/replicationFabrics/' + VMM_RECOVERY['fabric'])
    assert item['id'].split('/')[-5] == VMM_PRIMARY['fabric']  # under the VMM fabric's own name, not the server's
    puts = [r for r in azure.control.requests() if r['method'] == 'PUT' and '/replicationProtectedItems/' in r['path']]
    assert len(puts) == 1 and 'providerSpecificDetails' not in puts[0]['body']['properties']  # the refused tasks never reached Azure


def test_failover_between_vmm_sites_drill_failover_reverse_replication_failback(azure, run_playbook):
    vmm_servers(azure)
    networks = {n['properties']['friendlyName']: n['id'] for n in vault_state(azure)['networks']}
    steps = [
        failover('test_failover', 'drill on a primary network', test_network_id='Corp'),
        failover('test_failover', recovery_point_id='/rp/1', title='recovery point'),
        failover('test_failover', test_network_id='Corp-DR'),
        failover('test_failover', 'test_failover again'),
        failover('planned_failover', 'blocked by the drill'),
        failover('test_failover_cleanup', comments='drill ok'),
        failover('planned_failover'), failover('commit'), failover('planned_failover', 'planned_failover again'),
        failover('planned_failover', 'failback before reverse replication', direction='recovery_to_primary'),
        failover('reprotect'), failover('reprotect', 'reprotect again'),
        failover('planned_failover', 'failback', direction='recovery_to_primary'), failover('commit', 'commit failback'),
        failover('reprotect', 'reprotect to secondary'), INFO,
    ]
    expected_failures = ('drill on a primary network', 'recovery point', 'blocked by the drill', 'failback before reverse replication')
    for step in steps:
        if step['name'] in expected_failures:
            step['ignore_errors'] = True
    run = run_playbook(play(azure, SETUP + [PROTECT] + steps), diff=True)
    failed = [step['name'] for step in SETUP + [PROTECT] + steps if only(run, step['name']).get('failed')]
    assert sorted(failed) == sorted(expected_failures), run.stdout
    msg = messages(run, steps)
    assert "test_network_id: VM network 'Corp' is not a network of VMM server '%s'" % VMM_RECOVERY['fabric'] in msg['drill on a primary network']
    # A recovery point between VMM sites is chosen before the commit (applied, then committed), never with a test failover.
    assert 'replicates between VMM sites: Hyper-V Replica fails over to the latest recovery point' in msg['recovery point']
    assert 'give recovery_point with action=commit' in msg['recovery point']
    assert 'test_failover_cleanup' not in msg['blocked by the drill'] and 'TestFailoverCleanup' in msg['blocked by the drill']
    assert 'planned_failover is not allowed' in msg['failback before reverse replication'] and 'ReverseReplicate' in msg['failback before reverse replication']
    for name in ('test_failover again', 'planned_failover again', 'reprotect again'):
        assert only(run, name)['changed'] is False, name
    for name in ('test_failover', 'test_failover_cleanup', 'planned_failover', 'commit', 'reprotect', 'failback', 'commit failback', 'reprotect to secondary'):
        assert only(run, name)['changed'] is True and only(run, name)['operation_done'] is True, name
    assert only(run, 'commit')['protected_vm']['protection_state'] == 'FailoverCommitted'
    assert only(run, 'reprotect')['protected_vm'] == dict(only(run, 'reprotect')['protected_vm'], protection_state='Protected', active_location='Recovery')
    assert only(run, 'commit failback')['protected_vm']['protection_state'] == 'FailbackCommitted'
    (listed,) = only(run, 'info')['protected_vms']
    assert listed['protection_state'] == 'Protected' and listed['active_location'] == 'Primary'

    bodies = [(r['path'].rsplit('/', 1)[-1], r['body']['properties']) for r in azure.control.requests()
              if r['method'] == 'POST' and '/replicationProtectedItems/' in r['path'] and r.get('body')]
    assert ('testFailover', {'networkType': 'VmNetworkAsInput', 'networkId': networks['Corp-DR'], 'failoverDirection': 'PrimaryToRecovery'}) in bodies
    assert [body['failoverDirection'] for action, body in bodies if action == 'reProtect'] == ['RecoveryToPrimary', 'PrimaryToRecovery']
    assert not [body for action, body in bodies if 'providerSpecificDetails' in body]


def test_unplanned_failover_and_drill_without_network(azure, run_playbook):
    vmm_servers(azure)
    steps = [failover('test_failover'), failover('test_failover_cleanup'), failover('unplanned_failover', shut_down_source=True),
             named(failover('unplanned_failover', shut_down_source=True), 'unplanned_failover again', check_mode=True), failover('commit')]
    run = run_playbook(play(azure, SETUP + [PROTECT] + steps))
    assert run.rc == 0, run.stdout
    assert only(run, 'unplanned_failover again')['changed'] is False
    assert only(run, 'commit')['protected_vm']['allowed_operations'] == ['ReverseReplicate', 'DisableProtection']
    bodies = {r['path'].rsplit('/', 1)[-1]: r['body']['properties'] for r in azure.control.requests()
              if r['method'] == 'POST' and '/replicationProtectedItems/' in r['path'] and r.get('body')}
    assert bodies['testFailover'] == {'networkType': 'NoNetworkAttachAsInput', 'failoverDirection': 'PrimaryToRecovery'}
    assert bodies['unplannedFailover'] == {'failoverDirection': 'PrimaryToRecovery', 'sourceSiteOperations': 'Required'}
