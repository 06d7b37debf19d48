#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r'''
---
module: asr_failover
short_description: Test failover, fail over, commit, fail back and reprotect a VM protected by Azure Site Recovery
version_added: 0.1.0
description:
  - Runs one step of Microsoft's Hyper-V to Azure failover and failback process on a protected VM.
  - V(test_failover) creates a test VM in Azure (disaster recovery drill) and V(test_failover_cleanup) removes it.
  - V(planned_failover) (source VMs shut down first, no data loss) or V(unplanned_failover) (primary site unreachable) fail over in
    O(direction); V(commit) finishes a failover. Failback is a planned failover with O(direction=recovery_to_primary), then commit.
  - V(reprotect) starts replicating to Azure again after a failback (reverse replication).
  - VMM to a secondary site - with O(site) a VMM server and O(cloud) the VM's cloud, the same steps run between the two VMM sites
    (Hyper-V Replica, provider C(HyperVReplica2012R2)) as Microsoft documents them - V(test_failover) starts a test VM on the
    secondary site attached to the VM network O(test_network_id) of that site (none without it), then V(test_failover_cleanup);
    V(planned_failover) or V(unplanned_failover), V(commit); V(reprotect) then replicates from the secondary site back to the
    primary site (reverse replication); failback is a planned failover with O(direction=recovery_to_primary), V(commit), and
    V(reprotect) again replicates from the primary site to the secondary site. A test failover starts on the site the VM is active on.
  - Idempotent, a step already done is C(ok) (a test failover pending cleanup, a VM already active on the target side, a failover already committed).
    A step Site Recovery does not allow in the VM's current state is an error listing the allowed operations.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
attributes:
  diff_mode:
    details: The VM's protection state, active location and test failover state.
options:
  site:
    description: Name of the Hyper-V site, or a VMM server (its fabric name or the server's name; O(cloud) is then required).
    type: str
    required: true
  cloud:
    description: The VMM cloud of the protected VM (its name in VMM, or its protection container name) when O(site) is a VMM server.
    type: str
  name:
    description: Name of the replication protected item (the O(hyperv.mobility.asr_protected_vm#module:name)).
    type: str
    required: true
  action:
    description: The step to run.
    type: str
    required: true
    choices: [test_failover, test_failover_cleanup, planned_failover, unplanned_failover, commit, reprotect]
  direction:
    description:
      - Direction of a planned or unplanned failover. V(primary_to_recovery) fails over to Azure; failback is V(recovery_to_primary).
    type: str
    choices: [primary_to_recovery, recovery_to_primary]
    default: primary_to_recovery
  test_network_id:
    description:
      - ARM id of the (isolated) Azure network for the test VM. Without it the VM's target network is used.
      - VMM to a secondary site - the VM network of the site the test VM starts on (the recovery site, or the primary site once the
        VM is active on the recovery site), by its name in VMM, its Site Recovery name or its ARM id. Without it the test VM is
        attached to no network.
    type: str
  recovery_point_id:
    description: ARM id of the recovery point to fail over to. Defaults to the latest. Failover to Azure only.
    type: str
  shut_down_source:
    description: With V(unplanned_failover), try to shut down the source VMs first (when the primary site is still reachable).
    type: bool
    default: false
  data_sync:
    description:
      - Failback from Azure only. V(minimize_downtime) synchronizes before shutting the Azure VM down, V(full_download) copies whole disks
        during the failover.
    type: str
    choices: [minimize_downtime, full_download]
    default: minimize_downtime
  create_vm_if_not_found:
    description: Failback from Azure only. Create the on-premises VM when it no longer exists.
    type: bool
    default: false
  comments:
    description: Notes recorded with V(test_failover_cleanup).
    type: str
'''

EXAMPLES = r'''
- name: Disaster recovery drill in an isolated network
  hyperv.mobility.asr_failover:
    site: site-hq
    name: app01
    action: test_failover
    test_network_id: /subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-drill
  delegate_to: localhost

- name: Clean the drill up
  hyperv.mobility.asr_failover:
    site: site-hq
    name: app01
    action: test_failover_cleanup
    comments: quarterly drill passed
  delegate_to: localhost

- name: VMM to a secondary site - drill on the Corp-DR VM network of the secondary site
  hyperv.mobility.asr_failover:
    site: vmm-hq.contoso.com
    cloud: Gold
    name: app01
    action: test_failover
    test_network_id: Corp-DR
  delegate_to: localhost
'''

RETURN = r'''
protected_vm:
  description: The protected VM's state after the step (predicted in check mode).
  returned: success
  type: dict
  contains:
    protection_state:
      description: Protection state, for example V(Protected), V(FailoverCompleted), V(FailoverCommitted).
      type: str
    active_location:
      description: Where the VM is active, V(Primary) or V(Recovery).
      type: str
    test_failover_state:
      description: V(None), or the state of a test failover that waits for cleanup.
      type: str
    allowed_operations:
      description: What Site Recovery allows next.
      type: list
      elements: str
operation_done:
  description: Whether Azure finished the step (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import (
    HYPERV_REPLICA, HYPERV_TO_AZURE, HYPERV_TO_AZURE_FAILBACK, arm_property, provider_of, resource_name)
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureClientError

# Options of a failover to or a failback from Azure, and their defaults; a failover between VMM sites refuses them.
AZURE_ONLY = {'recovery_point_id': None, 'data_sync': 'minimize_downtime', 'create_vm_if_not_found': False}
DIRECTIONS = {'primary_to_recovery': 'PrimaryToRecovery', 'recovery_to_primary': 'RecoveryToPrimary'}
# Site Recovery's name of each step in allowedOperations.
OPERATION_OF = {'test_failover': 'TestFailover', 'test_failover_cleanup': 'TestFailoverCleanup', 'planned_failover': 'PlannedFailover',
                'unplanned_failover': 'UnplannedFailover', 'commit': 'Commit', 'reprotect': 'ReverseReplicate'}
COMMITTED_STATES = ('FailoverCommitted', 'FailbackCommitted', 'Protected', 'InitialReplicationInProgress')


def state_view(item):
    return dict(protection_state=arm_property(item, 'protectionState'), active_location=arm_property(item, 'activeLocation'),
                test_failover_state=arm_property(item, 'testFailoverState'), allowed_operations=list(arm_property(item, 'allowedOperations') or []))


def already_done(action, view, direction):
    """Whether the step's outcome is already there (the module then reports ok)."""
    state, location, test_state = view['protection_state'], view['active_location'], view['test_failover_state']
    if action == 'test_failover':
        return test_state not in (None, 'None')
    if action == 'test_failover_cleanup':
        return test_state in (None, 'None')
    if action in ('planned_failover', 'unplanned_failover'):
        # Done once the VM is active on the side the failover goes to (failed over, or already committed there).
        return location == ('Recovery' if direction == 'PrimaryToRecovery' else 'Primary')
    if action == 'commit':
        return state in COMMITTED_STATES
    if action == 'reprotect':
        return state in ('Protected', 'InitialReplicationInProgress')
    return False


def predicted(action, view, direction):
    after = dict(view)
    if action == 'test_failover':
        after['test_failover_state'] = 'TestFailoverCompleted'
    elif action == 'test_failover_cleanup':
        after['test_failover_state'] = 'None'
    elif action in ('planned_failover', 'unplanned_failover'):
        to_azure = direction == 'PrimaryToRecovery'
        after.update(active_location='Recovery' if to_azure else 'Primary', protection_state='FailoverCompleted' if to_azure else 'FailbackCompleted')
    elif action == 'commit':
        after['protection_state'] = 'FailoverCommitted' if view['active_location'] == 'Recovery' else 'FailbackCommitted'
    elif action == 'reprotect':
        after['protection_state'] = 'Protected'
    after['allowed_operations'] = None
    return after


class Failover(AsrResource):
    """One failover step on one protected VM."""

    key = 'protected_vm'

    def __init__(self, module, client):
        super(Failover, self).__init__(module, client)
        self.fabric_name = self.container = self.item = None
        # A fixed default keeps reruns idempotent: a VM already failed over to Azure is not failed back by the same task.
        self.direction = DIRECTIONS[module.params['direction'] or 'primary_to_recovery']

    def read(self):
        client, params = self.client, self.params
        self.subject = 'protected VM %s' % params['name']
        fabric, self.container = self.protection_container(params['site'], params['cloud'])
        self.fabric_name = fabric['name']
        self.item = client.get_or_none(self.subject, client.asr.replication_protected_items.get, self.fabric_name, self.container['name'], params['name'])
        if self.item is None:
            raise AzureClientError("'%s' is not a protected VM of %s (enable it with hyperv.mobility.asr_protected_vm)" % (
                params['name'], "cloud '%s'" % params['cloud'] if params['cloud'] else "site '%s'" % params['site']), kind='not_found')
        if self.between_vmm_sites():
            given = sorted(option for option, default in AZURE_ONLY.items() if params[option] != default)
            if given:
                self.fail('%s apply to failover to or failback from Azure only; %s replicates between VMM sites' % (', '.join(given), params['name']))
        return state_view(self.item)

    def between_vmm_sites(self):
        return provider_of(self.item) == HYPERV_REPLICA

    def desired(self, before):
        action = self.params['action']
        if already_done(action, before, self.direction):
            return before
        if OPERATION_OF[action] not in before['allowed_operations']:
            self.fail("%s is not allowed for '%s' in state %s (active on %s); Site Recovery allows: %s" % (
                action, self.params['name'], before['protection_state'], before['active_location'], ', '.join(before['allowed_operations']) or 'nothing'))
        return predicted(action, before, self.direction)

    def operation(self, before, after):
        action = self.params['action']
        begin, body = self._vmm_request(action, before) if self.between_vmm_sites() else self._request(action)
        arguments = (self.fabric_name, self.container['name'], self.params['name']) + ((body,) if body is not None else ())
        return Operation('%s of %s' % (action, self.params['name']), begin, arguments, view=state_view)

    def _request(self, action):
        operations = self.client.asr.replication_protected_items
        params, direction = self.params, self.direction
        provider = {'instanceType': HYPERV_TO_AZURE}
        if params['recovery_point_id']:
            provider['recoveryPointId'] = params['recovery_point_id']
        if action == 'test_failover':
            network = {'networkType': 'VmNetworkAsInput', 'networkId': params['test_network_id']} if params['test_network_id'] else {}
            return operations.begin_test_failover, {'properties': dict(network, failoverDirection=direction, providerSpecificDetails=provider)}
        if action == 'test_failover_cleanup':
            return operations.begin_test_failover_cleanup, {'properties': {'comments': params['comments'] or ''}}
        if action == 'planned_failover':
            if direction == 'RecoveryToPrimary':
                provider = {'instanceType': HYPERV_TO_AZURE_FAILBACK,
                            'dataSyncOption': 'ForDownTime' if params['data_sync'] == 'minimize_downtime' else 'ForSynchronization',
                            'recoveryVmCreationOption': 'CreateVmIfNotFound' if params['create_vm_if_not_found'] else 'NoAction'}
            return operations.begin_planned_failover, {'properties': {'failoverDirection': direction, 'providerSpecificDetails': provider}}
        if action == 'unplanned_failover':
            return operations.begin_unplanned_failover, {'properties': {'failoverDirection': direction, 'providerSpecificDetails': provider,
                                                                        'sourceSiteOperations': 'Required' if params['shut_down_source'] else 'NotRequired'}}
        if action == 'commit':
            return operations.begin_failover_commit, None
        return operations.begin_reprotect, {'properties': {'failoverDirection': 'PrimaryToRecovery',
                                                           'providerSpecificDetails': {'instanceType': HYPERV_TO_AZURE}}}

    def _vmm_request(self, action, view):
        """The request of a step between VMM sites: the SDK has no HyperVReplica2012R2 provider-specific input, so none is sent."""
        operations = self.client.asr.replication_protected_items
        params, direction = self.params, self.direction
        # Test failover and reverse replication start from the site the VM is active on.
        from_active = 'PrimaryToRecovery' if view['active_location'] == 'Primary' else 'RecoveryToPrimary'
        if action == 'test_failover':
            network = {'networkType': 'NoNetworkAttachAsInput'}
            if params['test_network_id']:
                network = {'networkType': 'VmNetworkAsInput', 'networkId': self._test_network(from_active)}
            return operations.begin_test_failover, {'properties': dict(network, failoverDirection=from_active)}
        if action == 'planned_failover':
            return operations.begin_planned_failover, {'properties': {'failoverDirection': direction}}
        if action == 'unplanned_failover':
            return operations.begin_unplanned_failover, {'properties': {'failoverDirection': direction,
                                                                        'sourceSiteOperations': 'Required' if params['shut_down_source'] else 'NotRequired'}}
        if action == 'reprotect':
            return operations.begin_reprotect, {'properties': {'failoverDirection': from_active}}
        return self._request(action)

    def _test_network(self, direction):
        """The ARM id of test_network_id, a VM network of the VMM server the test VM starts on."""
        wanted = self.params['test_network_id']
        if direction == 'PrimaryToRecovery':
            fabric = self.fabric(resource_name(arm_property(self.item, 'recoveryFabricId')), 'test_network_id')
        else:
            fabric = self.fabric(self.item['id'].split('/replicationProtectionContainers/', 1)[0].rsplit('/', 1)[-1], 'test_network_id')
        network = self.vm_network(fabric, resource_name(wanted), 'test_network_id')
        if '/' in wanted and network['id'].lower() != wanted.lower():
            self.fail("test_network_id '%s' is not a VM network of VMM server '%s', where the test VM starts" % (wanted, fabric['name']))
        return network['id']


def main():
    run_asr_module(dict(
        site=dict(type='str', required=True), cloud=dict(type='str'), name=dict(type='str', required=True),
        action=dict(type='str', required=True, choices=sorted(OPERATION_OF)),
        direction=dict(type='str', choices=sorted(DIRECTIONS), default='primary_to_recovery'),
        test_network_id=dict(type='str'), recovery_point_id=dict(type='str'), shut_down_source=dict(type='bool', default=False),
        data_sync=dict(type='str', choices=['minimize_downtime', 'full_download'], default='minimize_downtime'),
        create_vm_if_not_found=dict(type='bool', default=False), comments=dict(type='str'),
    ), Failover)


if __name__ == '__main__':
    main()
