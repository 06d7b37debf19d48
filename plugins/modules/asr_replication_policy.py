#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_replication_policy
short_description: Manage a replication policy (Hyper-V to Azure, or VMM to a secondary site) of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Creates, updates or deletes a replication policy - how often delta changes are copied, how long recovery points are kept,
    how often app-consistent snapshots are taken and when initial replication starts.
  - O(replication_provider=hyperv_to_azure) (provider C(HyperVReplicaAzure)) replicates Hyper-V sites or VMM clouds to Azure;
    O(replication_provider=hyperv_replica) (provider C(HyperVReplica2012R2), Hyper-V Replica) replicates a VMM cloud to a
    cloud of a secondary VMM site, with the on-premises settings (compression, initial replication method, port, authentication,
    replica deletion). Options of one provider are refused with the other.
  - A policy takes effect for a Hyper-V site or a VMM cloud once it is associated with it (M(hyperv.mobility.asr_policy_association)).
    Azure refuses to delete a policy that is still associated.
  - The replication provider of an existing policy cannot change; delete the policy first.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
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
  replication_provider:
    description:
      - V(hyperv_to_azure) replicates to Azure (C(HyperVReplicaAzure)).
      - V(hyperv_replica) replicates between VMM clouds with Hyper-V Replica (C(HyperVReplica2012R2)), VMM to a secondary site.
    type: str
    choices: [hyperv_to_azure, hyperv_replica]
    default: hyperv_to_azure
  copy_frequency:
    description:
      - Seconds between copies of delta changes after initial replication (replication interval). Hyper-V to Azure offers
        30 seconds and 5 minutes; Hyper-V Replica also 15 minutes (V(900), O(replication_provider=hyperv_replica) only).
    type: int
    choices: [30, 300, 900]
    default: 300
  recovery_point_retention:
    description:
      - Hours for which recovery points are kept, 0 to 24. V(0) keeps only the latest recovery point.
      - With O(replication_provider=hyperv_replica) this is the number of additional (hourly) recovery points, C(recoveryPoints).
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
      - Not with O(initial_replication_method=offline).
    type: str
  compression:
    description:
      - Compress the data sent over the network (O(replication_provider=hyperv_replica) only; default V(true) there).
    type: bool
  initial_replication_method:
    description:
      - V(over_network) sends the first copy over the network (at O(initial_replication_start_time) when given).
      - V(offline) exports it to O(offline_export_path) on the primary site and imports it from O(offline_import_path) on the recovery site.
      - O(replication_provider=hyperv_replica) only; default V(over_network) there.
    type: str
    choices: [over_network, offline]
  offline_export_path:
    description: Folder the initial copy is exported to, on the primary site. Required with O(initial_replication_method=offline), refused otherwise.
    type: str
  offline_import_path:
    description: Folder the initial copy is imported from, on the recovery site. Required with O(initial_replication_method=offline), refused otherwise.
    type: str
  authentication:
    description:
      - How the primary and recovery Hyper-V hosts authenticate replication traffic. V(kerberos) (HTTP, not encrypted) needs
        hosts in the same or trusting domains; V(certificate) (HTTPS) needs a certificate on each host.
      - O(replication_provider=hyperv_replica) only; default V(kerberos) there.
    type: str
    choices: [kerberos, certificate]
  replication_port:
    description:
      - Port the recovery Hyper-V hosts listen on for replication, 1 to 65535. O(replication_provider=hyperv_replica) only.
      - Defaults to the Hyper-V Replica listener default of the chosen O(authentication), 80 for Kerberos and 443 for certificate
        (as M(hyperv.mobility.replica_server) configures them).
    type: int
  replica_deletion:
    description:
      - Delete the replica VM on the recovery site when replication of the VM is disabled (C(OnRecoveryCloud)).
      - O(replication_provider=hyperv_replica) only; default V(false) there.
    type: bool
seealso:
  - module: hyperv.mobility.asr_policy_association
  - module: hyperv.mobility.asr_replication_policy_info
  - module: hyperv.mobility.asr_network_mapping
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

- name: VMM to a secondary site - Hyper-V Replica every 15 minutes, certificate authentication on 443, offline initial copy
  hyperv.mobility.asr_replication_policy:
    name: vmm-to-vmm
    replication_provider: hyperv_replica
    copy_frequency: 900
    recovery_point_retention: 4
    app_consistent_snapshot_frequency: 2
    authentication: certificate
    initial_replication_method: offline
    offline_export_path: 'D:\export'
    offline_import_path: 'E:\import'
    replica_deletion: true
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
      description: Replication provider, V(HyperVReplicaAzure) or V(HyperVReplica2012R2).
      type: str
    replication_provider:
      description: The provider as O(replication_provider) names it, V(hyperv_to_azure) or V(hyperv_replica).
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
    compression:
      description: Whether replication traffic is compressed.
      type: bool
      returned: when the provider is V(HyperVReplica2012R2)
    initial_replication_method:
      description: V(over_network) or V(offline).
      type: str
      returned: when the provider is V(HyperVReplica2012R2)
    offline_export_path:
      description: Export folder of an offline initial replication, null otherwise.
      type: str
      returned: when the provider is V(HyperVReplica2012R2)
    offline_import_path:
      description: Import folder of an offline initial replication, null otherwise.
      type: str
      returned: when the provider is V(HyperVReplica2012R2)
    authentication:
      description: V(kerberos) or V(certificate).
      type: str
      returned: when the provider is V(HyperVReplica2012R2)
    replication_port:
      description: Replication port of the recovery hosts.
      type: int
      returned: when the provider is V(HyperVReplica2012R2)
    replica_deletion:
      description: Whether the replica VM is deleted when replication is disabled.
      type: bool
      returned: when the provider is V(HyperVReplica2012R2)
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

import re

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import PROVIDERS
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import AUTHENTICATION_TYPES, INITIAL_REPLICATION_METHODS, policy_view

MAX_RETENTION = 24
MAX_APP_CONSISTENT = 12
START_TIME = re.compile(r'^([01]?\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$')
SETTINGS = ('copy_frequency', 'recovery_point_retention', 'app_consistent_snapshot_frequency', 'initial_replication_start_time')
# Options of replication_provider=hyperv_replica only (HyperVReplicaBluePolicyInput), with their defaults there.
REPLICA_DEFAULTS = dict(compression=True, initial_replication_method='over_network', offline_export_path=None, offline_import_path=None,
                        authentication='kerberos', replication_port=None, replica_deletion=False)
REPLICA_SETTINGS = tuple(REPLICA_DEFAULTS)
DEFAULT_PORTS = {'kerberos': 80, 'certificate': 443}
AZURE_COPY_FREQUENCIES = (30, 300)


def normalize_start_time(value):
    """'H:MM' / 'HH:MM' / 'HH:MM:SS' -> 'HH:MM:SS' (the TimeSpan text Site Recovery stores); None stays None."""
    if value is None or value == '':
        return None
    match = START_TIME.match(value.strip())
    if not match:
        raise ValueError("initial_replication_start_time must be a time of day HH:MM (24-hour), got '%s'" % value)
    return '%02d:%s:%s' % (int(match.group(1)), match.group(2), match.group(4) or '00')


def validate_provider_options(params):
    """Error message for options that do not belong to the chosen replication_provider (or do not fit together), or None."""
    replica_given = sorted(key for key in REPLICA_SETTINGS if params.get(key) is not None)
    if (params.get('replication_provider') or 'hyperv_to_azure') == 'hyperv_to_azure':
        if replica_given:
            return '%s apply to replication_provider=hyperv_replica only (VMM to a secondary site), not to hyperv_to_azure' % ', '.join(replica_given)
        if params.get('copy_frequency') not in (None,) + AZURE_COPY_FREQUENCIES:
            return ('copy_frequency %s is offered by replication_provider=hyperv_replica only; hyperv_to_azure accepts %s' % (
                params['copy_frequency'], ', '.join(str(value) for value in AZURE_COPY_FREQUENCIES)))
        return None
    offline = params.get('initial_replication_method') == 'offline'
    paths = [key for key in ('offline_export_path', 'offline_import_path') if params.get(key)]
    if offline and len(paths) < 2:
        return 'initial_replication_method=offline requires offline_export_path and offline_import_path'
    if paths and not offline:
        return '%s apply to initial_replication_method=offline only' % ', '.join(paths)
    if offline and params.get('initial_replication_start_time'):
        return 'initial_replication_start_time applies to initial_replication_method=over_network only, not to offline'
    port = params.get('replication_port')
    if port is not None and not 0 < port < 65536:
        return 'replication_port must be 1 to 65535, got %d' % port
    return None


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
    return validate_provider_options(params)


def wanted_view(params, current):
    provider = params.get('replication_provider') or 'hyperv_to_azure'
    view = dict(id=current.get('id'), name=params['name'], provider=PROVIDERS[provider], replication_provider=provider,
                copy_frequency=params['copy_frequency'], recovery_point_retention=params['recovery_point_retention'],
                app_consistent_snapshot_frequency=params['app_consistent_snapshot_frequency'],
                initial_replication_start_time=normalize_start_time(params['initial_replication_start_time']))
    if provider == 'hyperv_replica':
        view.update((key, default if params.get(key) is None else params[key]) for key, default in REPLICA_DEFAULTS.items())
        if view['replication_port'] is None:
            view['replication_port'] = DEFAULT_PORTS[view['authentication']]
    return view


def provider_input(view):
    """HyperVReplicaAzurePolicyInput or HyperVReplicaBluePolicyInput (REST shape)."""
    if view['replication_provider'] == 'hyperv_to_azure':
        return {'instanceType': view['provider'], 'replicationInterval': view['copy_frequency'],
                'recoveryPointHistoryDuration': view['recovery_point_retention'],
                'applicationConsistentSnapshotFrequencyInHours': view['app_consistent_snapshot_frequency'],
                'onlineReplicationStartTime': view['initial_replication_start_time']}
    return {'instanceType': view['provider'], 'replicationFrequencyInSeconds': view['copy_frequency'], 'recoveryPoints': view['recovery_point_retention'],
            'applicationConsistentSnapshotFrequencyInHours': view['app_consistent_snapshot_frequency'],
            'onlineReplicationStartTime': view['initial_replication_start_time'], 'compression': 'Enable' if view['compression'] else 'Disable',
            'initialReplicationMethod': INITIAL_REPLICATION_METHODS[view['initial_replication_method']],
            'offlineReplicationExportPath': view['offline_export_path'], 'offlineReplicationImportPath': view['offline_import_path'],
            'replicationPort': view['replication_port'], 'allowedAuthenticationType': AUTHENTICATION_TYPES[view['authentication']],
            'replicaDeletion': 'OnRecoveryCloud' if view['replica_deletion'] else 'None'}


def changed_settings(current, wanted):
    return [key for key in SETTINGS + REPLICA_SETTINGS if (key in wanted or key in current) and current.get(key) != wanted.get(key)]


class ReplicationPolicy(AsrResource):
    """One replication policy (HyperVReplicaAzure or HyperVReplica2012R2): create, update or delete it, read back what Azure made."""

    key = 'policy'

    def validate(self):
        if self.params['state'] == 'present':
            message = validate_settings(self.params)
            if message:
                self.fail(message)

    def read(self):
        name = self.params['name']
        self.subject = 'policy %s' % name
        return policy_view(self.client.get_or_none(self.subject, self.client.asr.replication_policies.get, name))

    def desired(self, before):
        if self.params['state'] == 'absent':
            return {}
        wanted = wanted_view(self.params, before)
        if before and before['provider'] != wanted['provider']:
            self.fail("policy '%s' exists with provider %s (replication_provider=%s); the provider of a policy cannot change: delete it first "
                      "(state=absent) or use another name" % (self.params['name'], before['provider'], before['replication_provider'] or 'unsupported'))
        return before if before and not changed_settings(before, wanted) else wanted

    def operation(self, before, after):
        policies, name = self.client.asr.replication_policies, self.params['name']
        if not after:
            return Operation('delete %s' % self.subject, policies.begin_delete, (name,))
        if before:
            return Operation('update %s' % self.subject, policies.begin_update,
                             (name, {'properties': {'replicationProviderSettings': provider_input(after)}}), view=policy_view)
        return Operation('create %s' % self.subject, policies.begin_create, (name, {'properties': {'providerSpecificInput': provider_input(after)}}),
                         view=policy_view)


def main():
    run_asr_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        replication_provider=dict(type='str', choices=['hyperv_to_azure', 'hyperv_replica'], default='hyperv_to_azure'),
        copy_frequency=dict(type='int', choices=[30, 300, 900], default=300),
        recovery_point_retention=dict(type='int', default=2),
        app_consistent_snapshot_frequency=dict(type='int', default=1),
        initial_replication_start_time=dict(type='str'),
        compression=dict(type='bool'),
        initial_replication_method=dict(type='str', choices=['over_network', 'offline']),
        offline_export_path=dict(type='str'),
        offline_import_path=dict(type='str'),
        authentication=dict(type='str', choices=['kerberos', 'certificate']),
        replication_port=dict(type='int'),
        replica_deletion=dict(type='bool'),
    ), ReplicationPolicy)


if __name__ == '__main__':
    main()
