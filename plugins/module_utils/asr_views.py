# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Module results of Site Recovery resources: the REST documents reduced to what a playbook needs (shared by a module and its _info)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name


def site_view(fabric):
    if not fabric:
        return {}
    properties = fabric.get('properties') or {}
    details = properties.get('customDetails') or {}
    return dict(id=fabric.get('id'), name=fabric.get('name'), type=details.get('instanceType'),
                hyperv_hosts=sorted(host.get('name') for host in details.get('hyperVHosts') or []), health=properties.get('health'))


def policy_view(policy):
    if not policy:
        return {}
    details = (policy.get('properties') or {}).get('providerSpecificDetails') or {}
    return dict(id=policy.get('id'), name=policy.get('name'), provider=details.get('instanceType'), copy_frequency=details.get('replicationInterval'),
                recovery_point_retention=details.get('recoveryPointHistoryDurationInHours'),
                app_consistent_snapshot_frequency=details.get('applicationConsistentSnapshotFrequencyInHours'),
                initial_replication_start_time=details.get('onlineReplicationStartTime'))


def protected_view(item):
    if not item:
        return {}
    properties = item.get('properties') or {}
    details = properties.get('providerSpecificDetails') or {}
    initial = details.get('initialReplicationDetails') or {}
    return dict(id=item.get('id'), name=item.get('name'), vm_name=properties.get('friendlyName'), policy=properties.get('policyFriendlyName'),
                protection_state=properties.get('protectionState'), replication_health=properties.get('replicationHealth'),
                active_location=properties.get('activeLocation'), initial_replication_progress=initial.get('initialReplicationProgressPercentage'),
                target_vm_name=details.get('recoveryAzureVmName'), target_network_id=details.get('selectedRecoveryAzureNetworkId'),
                target_subnet=details.get('targetAzureSubnetId'))
