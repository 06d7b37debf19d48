#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r'''
---
module: asr_replication_policy
short_description: Manage a Hyper-V to Azure replication policy of an Azure Site Recovery vault
version_added: 1.0.0
description:
  - Creates, updates or deletes a replication policy of provider C(HyperVReplicaAzure) - how often delta changes are
    copied, how long recovery points are kept, how often app-consistent snapshots are taken and when initial replication starts.
  - A policy takes effect for a Hyper-V site once it is associated with the site (M(hyperv.mobility.asr_policy_association)).
    Azure refuses to delete a policy that is still associated.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
attributes:
  check_mode:
    support: full
    description: Reports what would be created, changed or deleted.
  diff_mode:
    support: full
    description: Shows the policy settings before and after.
options:
  name:
    description: Name of the replication policy.
    type: str
    required: true
  state:
    description: V(present) creates or updates the policy, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  copy_frequency:
    description:
      - Seconds between copies of delta changes after initial replication (replication interval). Hyper-V to Azure offers
        30 seconds and 5 minutes.
    type: int
    choices: [30, 300]
    default: 300
  recovery_point_retention:
    description: Hours for which recovery points are kept, 0 to 24. V(0) keeps only the latest recovery point.
    type: int
    default: 2
  app_consistent_snapshot_frequency:
    description:
      - Hours between app-consistent snapshots (VSS inside the VM), 0 to 12 and not more than O(recovery_point_retention).
        V(0) takes none (crash-consistent recovery points only).
    type: int
    default: 1
  initial_replication_start_time:
    description:
      - Time of day (C(HH:MM), 24-hour) at which initial replication starts. Omit it to start immediately.
    type: str
seealso:
  - module: hyperv.mobility.asr_policy_association
  - module: hyperv.mobility.asr_replication_policy_info
'''

EXAMPLES = r'''
- name: Copy every 5 minutes, keep 4 hours of recovery points, app-consistent every hour, start at 23:00
  hyperv.mobility.asr_replication_policy:
    name: hyperv-to-azure
    copy_frequency: 300
    recovery_point_retention: 4
    app_consistent_snapshot_frequency: 1
    initial_replication_start_time: "23:00"
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
policy:
  description: The policy after the run (predicted in check mode; empty when absent).
  returned: success
  type: dict
  contains:
    id:
      description: ARM id of the policy (null when only predicted).
      type: str
    name:
      description: Name of the policy.
      type: str
    provider:
      description: Replication provider, V(HyperVReplicaAzure).
      type: str
    copy_frequency:
      description: Seconds between delta copies.
      type: int
    recovery_point_retention:
      description: Hours of recovery points kept.
      type: int
    app_consistent_snapshot_frequency:
      description: Hours between app-consistent snapshots.
      type: int
    initial_replication_start_time:
      description: Scheduled start of initial replication (C(HH:MM:SS)), null for immediately.
      type: str
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

import re

from ansible_collections.hyperv.mobility.plugins.module_utils.asr_module import AsrResource, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils.asr_views import policy_view

PROVIDER = 'HyperVReplicaAzure'
MAX_RETENTION = 24
MAX_APP_CONSISTENT = 12
START_TIME = re.compile(r'^([01]?\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$')
SETTINGS = ('copy_frequency', 'recovery_point_retention', 'app_consistent_snapshot_frequency', 'initial_replication_start_time')


def normalize_start_time(value):
    """'H:MM' / 'HH:MM' / 'HH:MM:SS' -> 'HH:MM:SS' (the TimeSpan text Site Recovery stores); None stays None."""
    if value is None or value == '':
        return None
    match = START_TIME.match(value.strip())
    if not match:
        raise ValueError("initial_replication_start_time must be a time of day HH:MM (24-hour), got '%s'" % value)
    return '%02d:%s:%s' % (int(match.group(1)), match.group(2), match.group(4) or '00')


def validate_settings(params):
    """Error message for settings Site Recovery refuses, or None."""
    retention = params['recovery_point_retention']
    snapshots = params['app_consistent_snapshot_frequency']
    if not 0 <= retention <= MAX_RETENTION:
        return 'recovery_point_retention must be 0 to %d hours, got %d' % (MAX_RETENTION, retention)
    if not 0 <= snapshots <= MAX_APP_CONSISTENT:
        return 'app_consistent_snapshot_frequency must be 0 to %d hours, got %d' % (MAX_APP_CONSISTENT, snapshots)
    if snapshots > retention:
        return ('app_consistent_snapshot_frequency (%d hours) must not exceed recovery_point_retention (%d hours)' % (snapshots, retention))
    try:
        normalize_start_time(params['initial_replication_start_time'])
    except ValueError as error:
        return str(error)
    return None


def wanted_view(params, current):
    return dict(id=current.get('id'), name=params['name'], provider=PROVIDER, copy_frequency=params['copy_frequency'],
                recovery_point_retention=params['recovery_point_retention'],
                app_consistent_snapshot_frequency=params['app_consistent_snapshot_frequency'],
                initial_replication_start_time=normalize_start_time(params['initial_replication_start_time']))


def provider_input(view):
    """HyperVReplicaAzurePolicyInput (REST shape)."""
    return {'instanceType': PROVIDER, 'replicationInterval': view['copy_frequency'], 'recoveryPointHistoryDuration': view['recovery_point_retention'],
            'applicationConsistentSnapshotFrequencyInHours': view['app_consistent_snapshot_frequency'],
            'onlineReplicationStartTime': view['initial_replication_start_time']}


def changed_settings(current, wanted):
    return [key for key in SETTINGS if current.get(key) != wanted.get(key)]


class ReplicationPolicy(AsrResource):
    """One HyperVReplicaAzure policy: read, create / update / delete once, read back."""

    def validate(self):
        if self.params['state'] == 'present':
            message = validate_settings(self.params)
            if message:
                self.fail(message)

    def run(self):
        client = self.client
        name = self.params['name']
        client.check_vault()
        current = policy_view(client.get_or_none('policy %s' % name, client.asr.replication_policies.get, name))
        if self.params['state'] == 'absent':
            return self._absent(current)
        if current and current['provider'] != PROVIDER:
            self.fail("policy '%s' exists with provider %s; this module manages %s policies only" % (name, current['provider'], PROVIDER))
        wanted = wanted_view(self.params, current)
        if current and not changed_settings(current, wanted):
            return dict(changed=False, policy=current)
        operations = client.asr.replication_policies
        if current:
            action, begin, body = 'update', operations.begin_update, {'properties': {'replicationProviderSettings': provider_input(wanted)}}
        else:
            action, begin, body = 'create', operations.begin_create, {'properties': {'providerSpecificInput': provider_input(wanted)}}
        after, done = wanted, False
        if not self.module.check_mode:
            result, done = client.run_operation('%s policy %s' % (action, name), begin, name, body)
            if done:
                after = policy_view(result)
        return dict(changed=True, policy=after, operation_done=done, diff=self.diff(current, after, 'policy %s' % name))

    def _absent(self, current):
        name = self.params['name']
        if not current:
            return dict(changed=False, policy={})
        done = False
        if not self.module.check_mode:
            _result, done = self.client.run_operation('delete policy %s' % name, self.client.asr.replication_policies.begin_delete, name)
        return dict(changed=True, policy={}, operation_done=done, diff=self.diff(current, {}, 'policy %s' % name))


def main():
    run_asr_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        copy_frequency=dict(type='int', choices=[30, 300], default=300),
        recovery_point_retention=dict(type='int', default=2),
        app_consistent_snapshot_frequency=dict(type='int', default=1),
        initial_replication_start_time=dict(type='str'),
    ), ReplicationPolicy)


if __name__ == '__main__':
    main()
