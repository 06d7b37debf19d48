# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Recovery plans and recovery points of Site Recovery: request bodies and module results (no I/O).

Shapes of the REST API (the SDK's CreateRecoveryPlanInput, UpdateRecoveryPlanInput, RecoveryPlan, RecoveryPlanGroup, the
RecoveryPlan*Input of each plan action, RecoveryPoint, ApplyRecoveryPointInput). A plan lists a Shutdown group, a Failover
group and then its Boot groups (Azure PowerShell's "Group 1", "Group 2", ...): the protected items go in the Boot groups, which
start one after the other.
"""

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import HYPERV_TO_AZURE, HYPERV_TO_AZURE_FAILBACK, arm_property, resource_name

# Step (asr_failover's action) -> the recovery plan's operation in allowedOperations and the SDK's begin_* method.
PLAN_OPERATIONS = {
    'test_failover': ('TestFailover', 'begin_test_failover'),
    'test_failover_cleanup': ('TestFailoverCleanup', 'begin_test_failover_cleanup'),
    'planned_failover': ('PlannedFailover', 'begin_planned_failover'),
    'unplanned_failover': ('UnplannedFailover', 'begin_unplanned_failover'),
    'commit': ('Commit', 'begin_failover_commit'),
    'reprotect': ('ReverseReplicate', 'begin_reprotect'),
}
# recovery_point_type option -> RecoveryPlanHyperVReplicaAzureFailoverInput.recoveryPointType (failover to Azure only).
PLAN_POINT_TYPES = {'latest': 'Latest', 'latest_application_consistent': 'LatestApplicationConsistent', 'latest_processed': 'LatestProcessed'}
# recovery_point values that are not a point's name: the latest one, the latest application-consistent one.
LATEST = 'latest'
LATEST_APP_CONSISTENT = 'latest_application_consistent'


def boot_groups(plan):
    """The item ids of each Boot group of a plan, in the order the groups start."""
    groups = arm_property(plan, 'groups') or []
    return [[entry.get('id') for entry in group.get('replicationProtectedItems') or []] for group in groups if group.get('groupType') == 'Boot']


def plan_groups(boot):
    """The groups of a create or update input: the Shutdown and Failover groups, then one Boot group per list of item ids."""
    groups = [dict(groupType='Shutdown', replicationProtectedItems=[], startGroupActions=[], endGroupActions=[]),
              dict(groupType='Failover', replicationProtectedItems=[], startGroupActions=[], endGroupActions=[])]
    for item_ids in boot:
        groups.append(dict(groupType='Boot', replicationProtectedItems=[dict(id=item_id) for item_id in item_ids], startGroupActions=[],
                           endGroupActions=[]))
    return groups


def same_groups(current, wanted):
    """Whether two lists of Boot groups (lists of item ids) are the same, ids compared case-insensitively."""
    def lowered(groups):
        return [[item_id.lower() for item_id in group] for group in groups]
    return lowered(current) == lowered(wanted)


def plan_view(plan):
    """A recovery plan as a module returns it."""
    if not plan:
        return {}
    return dict(id=plan.get('id'), name=plan.get('name'), site=arm_property(plan, 'primaryFabricFriendlyName'),
                site_id=arm_property(plan, 'primaryFabricId'), recovery_site=arm_property(plan, 'recoveryFabricFriendlyName'),
                recovery_site_id=arm_property(plan, 'recoveryFabricId'), failover_deployment_model=arm_property(plan, 'failoverDeploymentModel'),
                replication_providers=list(arm_property(plan, 'replicationProviders') or []),
                allowed_operations=list(arm_property(plan, 'allowedOperations') or []),
                groups=[dict(vms=[resource_name(item_id) for item_id in group]) for group in boot_groups(plan)],
                last_planned_failover_time=arm_property(plan, 'lastPlannedFailoverTime'),
                last_unplanned_failover_time=arm_property(plan, 'lastUnplannedFailoverTime'),
                last_test_failover_time=arm_property(plan, 'lastTestFailoverTime'))


def failback_input(data_sync, create_vm_if_not_found):
    """A failback from Azure's provider input: HyperVReplicaAzureFailbackProviderInput of a VM, RecoveryPlanHyperVReplicaAzureFailbackInput
    of a plan (the same fields; the plan's model requires both)."""
    return dict(instanceType=HYPERV_TO_AZURE_FAILBACK, dataSyncOption='ForDownTime' if data_sync == 'minimize_downtime' else 'ForSynchronization',
                recoveryVmCreationOption='CreateVmIfNotFound' if create_vm_if_not_found else 'NoAction')


def plan_action_body(action, direction, test_network_id=None, shut_down_source=False, point_type=None, comments=None,  # pylint: disable=too-many-arguments
                     failback=None):
    """The input of a plan action (None for commit and reprotect, which take none); failback: a plan's failback from Azure's failback_input."""
    if action in ('commit', 'reprotect'):
        return None
    if action == 'test_failover_cleanup':
        return dict(properties=dict(comments=comments or ''))
    properties = dict(failoverDirection=direction)
    if point_type:
        properties['providerSpecificDetails'] = [dict(instanceType=HYPERV_TO_AZURE, recoveryPointType=PLAN_POINT_TYPES[point_type])]
    if failback:
        properties['providerSpecificDetails'] = [failback]
    if action == 'test_failover':
        properties.update(dict(networkType='VmNetworkAsInput', networkId=test_network_id) if test_network_id else dict(networkType='NoNetworkAttachAsInput'))
    if action == 'unplanned_failover':
        properties['sourceSiteOperations'] = 'Required' if shut_down_source else 'NotRequired'
    return dict(properties=properties)


def point_view(point):
    """A recovery point as a module returns it."""
    return dict(id=point.get('id'), name=point.get('name'), time=arm_property(point, 'recoveryPointTime'), type=arm_property(point, 'recoveryPointType'))


def newest_first(points):
    return sorted(points, key=lambda point: arm_property(point, 'recoveryPointTime') or '', reverse=True)


def choose_point(points, wanted):
    """The recovery point ``wanted`` names (its name or ARM id; latest; latest_application_consistent), or None when none matches."""
    ordered = newest_first(points)
    if wanted == LATEST:
        return ordered[0] if ordered else None
    if wanted == LATEST_APP_CONSISTENT:
        return next((point for point in ordered if arm_property(point, 'recoveryPointType') == 'ApplicationConsistent'), None)
    name = resource_name(wanted).lower()
    return next((point for point in ordered if (point.get('name') or '').lower() == name
                 and ('/' not in wanted or (point.get('id') or '').lower() == wanted.lower())), None)


def describe_points(points):
    """'name (type, time), ...' newest first, for messages that list what can be chosen."""
    return ', '.join('%s (%s, %s)' % (view['name'], view['type'], view['time']) for view in map(point_view, newest_first(points))) or 'none'
