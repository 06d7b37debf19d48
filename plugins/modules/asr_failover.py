#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_failover
short_description: Test failover, fail over, commit, fail back and reprotect a VM or a recovery plan protected by Azure Site Recovery
version_added: 0.1.0
description:
  - Runs one step of Microsoft's Hyper-V to Azure failover and failback process on a protected VM (O(site), O(name)), or on every
    VM of a recovery plan (O(recovery_plan), see M(hyperv.mobility.asr_recovery_plan)) - Site Recovery then shuts the primary
    VMs down (planned failover), fails every VM over and starts the plan's groups one after the other.
  - V(test_failover) creates a test VM in Azure (disaster recovery drill) and V(test_failover_cleanup) removes it.
  - V(planned_failover) (source VMs shut down first, no data loss) or V(unplanned_failover) (primary site unreachable) fail over in
    O(direction); V(commit) finishes a failover. Failback is a planned failover with O(direction=recovery_to_primary), then commit.
  - V(reprotect) starts replicating to Azure again after a failback (reverse replication).
  - Failback with O(data_sync=minimize_downtime) (Site Recovery's C(ForDownTime)) is two steps, as Microsoft describes it - V(planned_failover)
    with O(direction=recovery_to_primary) synchronizes the data while the Azure VM keeps running; its Site Recovery job is then
    suspended, waiting for you. The module waits (within O(timeout)) until the job is suspended and returns it in RV(job). Then
    V(complete_failback) resumes the job - the Azure VM is stopped, the last changes are copied and the VM fails back - and waits until
    the job has succeeded and the VM is active on the primary site; then V(commit). A rerun of either step is C(ok) once it is done;
    on timeout the message lists the job's tasks and their states.
  - V(resynchronize) resynchronizes one VM (O(name)) that Site Recovery marked for resynchronization (the portal's "VM > Resynchronize",
    Site Recovery's C(repairReplication) operation), instead of waiting for the automatic resynchronization outside office hours. Idempotent -
    the module decides from the VM's C(allowedOperations) - when Site Recovery does not list C(RepairReplication) there, the VM needs no
    resynchronization and the task is C(ok). M(hyperv.mobility.asr_protected_vm_info) shows it as C(resynchronization_required).
  - For a recovery plan (O(recovery_plan)), V(resynchronize) resynchronizes each VM of the plan that needs it, one after the other (Site
    Recovery's REST reference has no plan-level resynchronization); the others are left alone. A plan's failback from Azure with
    O(data_sync=minimize_downtime) is one plan job for every VM (Site Recovery's C(RecoveryPlanHyperVReplicaAzureFailbackInput)) -
    V(planned_failover) with O(direction=recovery_to_primary) waits until it is suspended, V(complete_failback) resumes it and waits until
    every VM of the plan is active on the primary site.
  - VMM to a secondary site - with O(site) a VMM server and O(cloud) the VM's cloud, the same steps run between the two VMM sites
    (Hyper-V Replica, provider C(HyperVReplica2012R2)) as Microsoft documents them - V(test_failover) starts a test VM on the
    secondary site attached to the VM network O(test_network_id) of that site (none without it), then V(test_failover_cleanup);
    V(planned_failover) or V(unplanned_failover), V(commit); V(reprotect) then replicates from the secondary site back to the
    primary site (reverse replication); failback is a planned failover with O(direction=recovery_to_primary), V(commit), and
    V(reprotect) again replicates from the primary site to the secondary site. A test failover starts on the site the VM is active on.
  - Recovery points - a failover starts the VM from the latest recovery point unless O(recovery_point) names another one (see
    M(hyperv.mobility.asr_recovery_point_info)). To Azure, the point goes with the failover; between VMM sites Hyper-V Replica fails
    over to the latest point, and another one is chosen with O(action=commit) - the module applies it (Site Recovery's "change
    recovery point") and then commits, as Microsoft's single-VMM-server recovery says - "commit the failover, and select an
    alternative recovery point if needed". A recovery plan's failover to Azure takes O(recovery_point_type) instead.
  - Idempotent, a step already done is C(ok) (a test failover pending cleanup, a VM already active on the target side, a failover already committed;
    for a plan, when every VM of the plan is there). A step Site Recovery does not allow in the current state is an error listing the allowed operations.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
attributes:
  diff_mode:
    details: The VM's protection state, active location and test failover state (of each VM, for a recovery plan).
options:
  site:
    description:
      - Name of the Hyper-V site, or a VMM server (its fabric name or the server's name; O(cloud) is then required). Required with O(name).
    type: str
  cloud:
    description: The VMM cloud of the protected VM (its name in VMM, or its protection container name) when O(site) is a VMM server.
    type: str
  name:
    description: Name of the replication protected item (the O(hyperv.mobility.asr_protected_vm#module:name)). One of O(name) and O(recovery_plan).
    type: str
  recovery_plan:
    description: Name of a recovery plan; the step runs on every VM of the plan. One of O(name) and O(recovery_plan).
    type: str
  action:
    description: The step to run.
    type: str
    required: true
    choices: [test_failover, test_failover_cleanup, planned_failover, unplanned_failover, commit, reprotect, resynchronize, complete_failback]
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
  recovery_point:
    description:
      - The recovery point to bring one VM (O(name)) up from - its name or ARM id (see M(hyperv.mobility.asr_recovery_point_info)),
        V(latest) (the default) or V(latest_application_consistent).
      - To Azure - with V(test_failover), V(planned_failover) or V(unplanned_failover) (the point goes with the failover), or with V(commit)
        (applied before the commit). Between VMM sites - with V(commit) only (applied, then committed).
    type: str
    aliases: [recovery_point_id]
  recovery_point_type:
    description:
      - A recovery plan's failover to Azure - which recovery point each VM starts from (RecoveryPlanHyperVReplicaAzureFailoverInput).
    type: str
    choices: [latest, latest_application_consistent, latest_processed]
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
    description: Notes recorded with V(test_failover_cleanup), or with the job V(complete_failback) resumes.
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

- name: Outage - fail the recovery plan over, every VM from its latest recovery point
  hyperv.mobility.asr_failover:
    recovery_plan: rp-line-of-business
    action: unplanned_failover
  delegate_to: localhost

- name: Commit the failover of app01 on an older recovery point (VMM to a secondary site)
  hyperv.mobility.asr_failover:
    site: vmm01.corp.example.com
    cloud: Gold
    name: app01
    action: commit
    recovery_point: app01-rp0042
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
recovery_plan:
  description: The plan after the step, with the keys of M(hyperv.mobility.asr_recovery_plan)'s RV(hyperv.mobility.asr_recovery_plan#module:recovery_plan).
  returned: success with O(recovery_plan)
  type: dict
protected_vms:
  description: The state of each VM of the plan after the step (predicted in check mode), with the keys of RV(protected_vm) and C(name).
  returned: success with O(recovery_plan)
  type: list
  elements: dict
recovery_point:
  description: The recovery point applied before the commit (C(name), C(id), C(time), C(type)).
  returned: O(action=commit) with O(recovery_point) other than V(latest), when a point was applied
  type: dict
protected_vm:
  description: The protected VM's state after the step (predicted in check mode).
  returned: success with O(name)
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
    failback_waiting:
      description: Whether a failback from Azure has synchronized the data and waits for V(complete_failback).
      type: bool
    allowed_operations:
      description: What Site Recovery allows next.
      type: list
      elements: str
job:
  description:
    - The Site Recovery job of a failback from Azure with O(data_sync=minimize_downtime) (of the VM, or of the recovery plan) - suspended
      after V(planned_failover) until V(complete_failback), then done.
  returned: when the VM (O(name)) or the plan (O(recovery_plan)) has such a job
  type: dict
  contains:
    name:
      description: Name of the job.
      type: str
    state:
      description: V(Suspended) while it waits for V(complete_failback), then V(InProgress) and V(Succeeded) (or V(Failed)).
      type: str
    state_description:
      description: Site Recovery's description of the state, for example V(WaitingForManualAction).
      type: str
    tasks:
      description: The job's tasks in order, each with C(name) and C(state).
      type: list
      elements: dict
    errors:
      description: The job's errors (C(code), C(message)), empty when it has none.
      type: list
      elements: dict
operation_done:
  description: Whether Azure finished the step (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import (
    HYPERV_REPLICA, HYPERV_TO_AZURE, arm_property, id_segment, provider_of, resource_name)
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureClientError
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import RESYNCHRONIZE
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.recovery import (
    LATEST, PLAN_OPERATIONS, PLAN_POINT_TYPES, boot_groups, choose_point, describe_points, failback_input, plan_action_body, plan_view, point_view)

# Options of a failover to or a failback from Azure, and their defaults; a failover between VMM sites refuses them.
AZURE_ONLY = {'data_sync': 'minimize_downtime', 'create_vm_if_not_found': False}
DIRECTIONS = {'primary_to_recovery': 'PrimaryToRecovery', 'recovery_to_primary': 'RecoveryToPrimary'}
# Site Recovery's name of each step in allowedOperations.
OPERATION_OF = {'test_failover': 'TestFailover', 'test_failover_cleanup': 'TestFailoverCleanup', 'planned_failover': 'PlannedFailover',
                'unplanned_failover': 'UnplannedFailover', 'commit': 'Commit', 'reprotect': 'ReverseReplicate', 'resynchronize': RESYNCHRONIZE,
                'complete_failback': None}  # not an operation of the VM: its suspended job is resumed
COMMITTED_STATES = ('FailoverCommitted', 'FailbackCommitted', 'Protected', 'InitialReplicationInProgress')
# The steps a recovery point goes with (for one VM), and those recovery_point_type goes with (for a plan to Azure).
POINT_ACTIONS = ('test_failover', 'planned_failover', 'unplanned_failover', 'commit')
POINT_TYPE_ACTIONS = ('test_failover', 'planned_failover', 'unplanned_failover')


# A Site Recovery job that waits for the user (a failback optimized for downtime once its data is synchronized), and the states it ends in.
SUSPENDED = 'Suspended'
JOB_ENDED = ('Succeeded', 'Failed', 'Cancelled', 'CompletedWithInformation', 'Skipped')


def state_view(item, job=None):
    """The VM's failover state; job: the job of its current scenario, when one was read."""
    return dict(protection_state=arm_property(item, 'protectionState'), active_location=arm_property(item, 'activeLocation'),
                test_failover_state=arm_property(item, 'testFailoverState'), allowed_operations=list(arm_property(item, 'allowedOperations') or []),
                failback_waiting=bool(job) and arm_property(job, 'state') == SUSPENDED)


def job_view(job):
    return dict(name=job.get('name'), state=arm_property(job, 'state'), state_description=arm_property(job, 'stateDescription'),
                tasks=[dict(name=task.get('friendlyName') or task.get('name'), state=task.get('state')) for task in arm_property(job, 'tasks') or []],
                errors=[dict(code=(error.get('serviceErrorDetails') or {}).get('code'), message=(error.get('serviceErrorDetails') or {}).get('message'))
                        for error in arm_property(job, 'errors') or []])


def describe_tasks(job):
    return ', '.join('%s: %s' % (task['name'], task['state']) for task in job_view(job)['tasks']) or 'no tasks yet'


def waits_for_completion(params, direction):
    """Whether the step is the first half of a failback from Azure optimized for downtime (its job then waits for complete_failback)."""
    return params['action'] == 'planned_failover' and direction == 'RecoveryToPrimary' and params['data_sync'] == 'minimize_downtime'


def named_state_view(item, plan_job=None):
    """A plan's VM: its state and the name of its protected item; plan_job: the plan's current job, when one was read."""
    return dict(state_view(item, plan_job), name=item['name'])


def already_done(action, view, direction):
    """Whether the step's outcome is already there (the module then reports ok)."""
    state, location, test_state = view['protection_state'], view['active_location'], view['test_failover_state']
    if action == 'test_failover':
        return test_state not in (None, 'None')
    if action == 'test_failover_cleanup':
        return test_state in (None, 'None')
    if action in ('planned_failover', 'unplanned_failover'):
        # Done once the VM is active on the side the failover goes to (failed over, or already committed there), or once a failback
        # optimized for downtime has synchronized the data and waits for complete_failback.
        if direction == 'RecoveryToPrimary' and view.get('failback_waiting'):
            return True
        return location == ('Recovery' if direction == 'PrimaryToRecovery' else 'Primary')
    if action == 'complete_failback':
        return not view.get('failback_waiting') and location == 'Primary'
    if action == 'commit':
        return state in COMMITTED_STATES
    if action == 'reprotect':
        return state in ('Protected', 'InitialReplicationInProgress')
    if action == 'resynchronize':
        # Site Recovery lists RepairReplication only while the VM is marked for resynchronization: without it there is nothing to do.
        return RESYNCHRONIZE not in view['allowed_operations']
    return False


def predicted(action, view, direction, waits=False):
    """The VM's state once the step is done; waits: the step is a failback that synchronizes and then waits for complete_failback."""
    after = dict(view)
    if waits:
        after['failback_waiting'] = True
    elif action == 'complete_failback':
        after.update(active_location='Primary', protection_state='FailbackCompleted', failback_waiting=False)
    elif action == 'test_failover':
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


def from_active_side(view):
    """The failover direction that starts on the side a VM is active on."""
    return 'PrimaryToRecovery' if view['active_location'] == 'Primary' else 'RecoveryToPrimary'


def option_problem(params):
    """What is wrong with the options together (None when nothing), checked before any call."""
    if params['name'] and not params['site']:
        return 'site is required with name (the Hyper-V site or VMM server of the protected VM).'
    point = params['recovery_point']
    if point and params['recovery_plan']:
        return ('recovery_point picks a point of one VM (name); a recovery plan starts each VM from the point recovery_point_type says '
                '(failover to Azure).')
    if params['recovery_point_type'] and params['name']:
        return 'recovery_point_type applies to recovery plans; for one VM give recovery_point.'
    if point and params['action'] not in POINT_ACTIONS:
        return 'recovery_point applies to %s; got action=%s.' % (', '.join(POINT_ACTIONS), params['action'])
    if (point or params['recovery_point_type']) and params['action'] != 'commit' and params['direction'] == 'recovery_to_primary':
        return 'a recovery point is chosen for a failover from the primary site; a failback (direction=recovery_to_primary) sends what the VM holds.'
    if params['recovery_point_type'] and params['action'] not in POINT_TYPE_ACTIONS:
        return 'recovery_point_type applies to %s; got action=%s.' % (', '.join(POINT_TYPE_ACTIONS), params['action'])
    return None


class Failover(AsrResource):
    """One failover step on one protected VM (the view: its state), or on every VM of a recovery plan (the view: each VM's state)."""

    def __init__(self, module, client):
        super(Failover, self).__init__(module, client)
        self.fabric_name = self.container = self.item = self.point = self.plan = self.job = None
        self.items = []
        # A fixed default keeps reruns idempotent: a VM already failed over to Azure is not failed back by the same task.
        self.direction = DIRECTIONS[module.params['direction'] or 'primary_to_recovery']

    @property
    def key(self):
        return 'protected_vms' if self.params['recovery_plan'] else 'protected_vm'

    def validate(self):
        problem = option_problem(self.params)
        if problem:
            self.fail(problem)

    def read(self):
        return self.read_plan() if self.params['recovery_plan'] else self.read_vm()

    def desired(self, before):
        return self.desired_plan(before) if self.params['recovery_plan'] else self.desired_vm(before)

    def operation(self, before, after):
        return self.plan_operation(before) if self.params['recovery_plan'] else self.vm_operations(before)

    def also_returned(self):
        returned = {}
        if self.plan is not None:
            returned['recovery_plan'] = plan_view(self.plan)
        elif self.point is not None and self.params['action'] == 'commit':
            returned['recovery_point'] = point_view(self.point)
        if self.job is not None:
            returned['job'] = job_view(self.job)
        return returned

    # ---- one VM ---------------------------------------------------------------------------------------------------
    def read_vm(self):
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
            if params['recovery_point'] and params['action'] != 'commit':
                self.fail('%s replicates between VMM sites: Hyper-V Replica fails over to the latest recovery point, and another one is chosen '
                          'before the commit - give recovery_point with action=commit.' % params['name'])
            if params['action'] == 'complete_failback':
                self.fail('complete_failback applies to a failback from Azure; %s replicates between VMM sites' % params['name'])
        self.job = self.current_job(self.item)
        return state_view(self.item, self.job)

    def current_job(self, item):
        """The Site Recovery job of the current scenario (currentScenario.jobId) of a VM or a plan, None when it has none."""
        job_id = (arm_property(item, 'currentScenario') or {}).get('jobId')
        if not job_id:
            return None
        client = self.client
        return client.get_or_none('job %s' % resource_name(job_id), client.asr.replication_jobs.get, resource_name(job_id))

    def watch_job(self, name, what, finished):
        """Read the job every poll_interval (or its Retry-After) until finished(state), within timeout; fails when it ended otherwise than
        suspended or succeeded. Then the VM, or the plan, as it is now."""
        client = self.client

        def read():
            return client.get_with_retry_after('job %s' % name, client.asr.replication_jobs.get, name)
        self.job = self.poll_until(what, read, lambda job: finished(arm_property(job, 'state')), progress=describe_tasks)
        if arm_property(self.job, 'state') not in (SUSPENDED, 'Succeeded', 'CompletedWithInformation'):
            errors = '; '.join('%s (%s)' % (error['message'], error['code']) for error in job_view(self.job)['errors']) or describe_tasks(self.job)
            raise AzureClientError('%s: Site Recovery job %s ended %s: %s' % (what, name, arm_property(self.job, 'state'), errors), kind='failed')
        return self.read_subject()

    def read_subject(self):
        """The protected VM, or the recovery plan, as Azure has it now."""
        client = self.client
        if self.params['recovery_plan']:
            return client.get_or_none(self.subject, client.asr.replication_recovery_plans.get, self.params['recovery_plan'])
        return client.get_or_none(self.subject, client.asr.replication_protected_items.get, self.fabric_name, self.container['name'], self.params['name'])

    def failback_synchronized(self):
        """After the start of a failback optimized for downtime (of the VM or of the plan): once its job has synchronized the data and waits
        (Suspended)."""
        subject = self.read_subject()
        job_id = (arm_property(subject, 'currentScenario') or {}).get('jobId')
        if not job_id:  # the job is over already
            return subject
        return self.watch_job(resource_name(job_id), 'synchronization of the failback of %s' % self.subject,
                              lambda state: state == SUSPENDED or state in JOB_ENDED)

    def failback_completed(self):
        """After resuming the failback's job: once the job has succeeded (the Azure VMs stopped, active on the primary site)."""
        return self.watch_job(self.job['name'], 'completion of the failback of %s' % self.subject, lambda state: state in JOB_ENDED)

    def complete_failback_operation(self, view):
        """Resume the suspended job of a failback optimized for downtime; view: what the VM or the plan then is."""
        # Without comments, Az's Resume-AzRecoveryServicesAsrJob sends one space: the value known to be accepted.
        resume = {'properties': {'comments': self.params['comments'] or ' '}}
        return Operation('complete the failback of %s' % self.subject, self.client.asr.replication_jobs.begin_resume, (self.job['name'], resume),
                         view=view, watch=self.failback_completed)

    def view_with_job(self, item):
        return state_view(item, self.job)

    def between_vmm_sites(self, item=None):
        return provider_of(item or self.item) == HYPERV_REPLICA

    def desired_vm(self, before):
        action = self.params['action']
        if already_done(action, before, self.direction):
            return before
        if action == 'complete_failback':
            if not before['failback_waiting']:
                self.fail("complete_failback: no failback of '%s' waits to be completed (active on %s, %s); start one with action=planned_failover, "
                          'direction=recovery_to_primary and data_sync=minimize_downtime' % (
                              self.params['name'], before['active_location'], 'job %s' % describe_tasks(self.job) if self.job else 'no job running'))
            return predicted(action, before, self.direction)
        if OPERATION_OF[action] not in before['allowed_operations']:
            self.fail("%s is not allowed for '%s' in state %s (active on %s); Site Recovery allows: %s" % (
                action, self.params['name'], before['protection_state'], before['active_location'], ', '.join(before['allowed_operations']) or 'nothing'))
        if self.params['recovery_point'] not in (None, LATEST):
            self.point = self.recovery_point()
        return predicted(action, before, self.direction, waits=self.failback_waits())

    def failback_waits(self):
        return waits_for_completion(self.params, self.direction) and not self.between_vmm_sites()

    def recovery_point(self):
        """The recovery point the recovery_point option names, among the VM's points (the task fails listing them when none matches)."""
        client, wanted, item = self.client, self.params['recovery_point'], self.item
        points = client.list('recovery points of %s' % item['name'], client.asr.recovery_points.list_by_replication_protected_items,
                             self.fabric_name, self.container['name'], item['name'])
        point = choose_point(points, wanted)
        if point is None:
            self.fail("recovery_point: '%s' is not a recovery point of %s (its recovery points, newest first: %s)" % (
                wanted, item['name'], describe_points(points)))
        allowed = arm_property(item, 'allowedOperations') or []
        if self.params['action'] == 'commit' and 'ChangePit' not in allowed:
            self.fail("recovery_point: Site Recovery does not allow changing the recovery point of '%s' now (it allows: %s); a point is chosen "
                      'after the failover and before the commit.' % (item['name'], ', '.join(allowed)))
        return point

    def vm_operations(self, before):
        """The step's operation; a commit on another recovery point first brings the failed-over VM up from that point."""
        action, name = self.params['action'], self.params['name']
        where = (self.fabric_name, self.container['name'], name)
        operations = []
        if self.point is not None and action == 'commit':
            # The SDK has no Hyper-V Replica input of ApplyRecoveryPointInput: between VMM sites none is typed.
            provider = {} if self.between_vmm_sites() else {'instanceType': HYPERV_TO_AZURE}
            body = {'properties': {'recoveryPointId': self.point['id'], 'providerSpecificDetails': provider}}
            operations.append(Operation('apply recovery point %s to %s' % (self.point['name'], name),
                                        self.client.asr.replication_protected_items.begin_apply_recovery_point, where + (body,)))
        if action == 'complete_failback':
            return [self.complete_failback_operation(self.view_with_job)]
        begin, body = self._vmm_request(action, before) if self.between_vmm_sites() else self._request(action)
        watch = self.failback_synchronized if self.failback_waits() else None
        operations.append(Operation('%s of %s' % (action, name), begin, where + ((body,) if body is not None else ()),
                                    view=self.view_with_job if watch else state_view, watch=watch))
        return operations

    def _request(self, action):
        operations = self.client.asr.replication_protected_items
        params, direction = self.params, self.direction
        provider = {'instanceType': HYPERV_TO_AZURE}
        if self.point is not None and action != 'commit':
            provider['recoveryPointId'] = self.point['id']
        if action == 'test_failover':
            network = {'networkType': 'VmNetworkAsInput', 'networkId': params['test_network_id']} if params['test_network_id'] else {}
            return operations.begin_test_failover, {'properties': dict(network, failoverDirection=direction, providerSpecificDetails=provider)}
        if action == 'test_failover_cleanup':
            return operations.begin_test_failover_cleanup, {'properties': {'comments': params['comments'] or ''}}
        if action == 'planned_failover':
            if direction == 'RecoveryToPrimary':
                provider = failback_input(params['data_sync'], params['create_vm_if_not_found'])
            return operations.begin_planned_failover, {'properties': {'failoverDirection': direction, 'providerSpecificDetails': provider}}
        if action == 'unplanned_failover':
            return operations.begin_unplanned_failover, {'properties': {'failoverDirection': direction, 'providerSpecificDetails': provider,
                                                                        'sourceSiteOperations': 'Required' if params['shut_down_source'] else 'NotRequired'}}
        if action == 'commit':
            return operations.begin_failover_commit, None
        if action == 'resynchronize':
            return operations.begin_repair_replication, None
        return operations.begin_reprotect, {'properties': {'failoverDirection': 'PrimaryToRecovery',
                                                           'providerSpecificDetails': {'instanceType': HYPERV_TO_AZURE}}}

    def _vmm_request(self, action, view):
        """The request of a step between VMM sites: the SDK has no HyperVReplica2012R2 provider-specific input, so none is sent."""
        operations = self.client.asr.replication_protected_items
        params, direction = self.params, self.direction
        # Test failover and reverse replication start from the site the VM is active on.
        from_active = from_active_side(view)
        if action == 'test_failover':
            network = {'networkType': 'NoNetworkAttachAsInput'}
            if params['test_network_id']:
                network = {'networkType': 'VmNetworkAsInput', 'networkId': self._test_network(self.item, from_active)}
            return operations.begin_test_failover, {'properties': dict(network, failoverDirection=from_active)}
        if action == 'planned_failover':
            return operations.begin_planned_failover, {'properties': {'failoverDirection': direction}}
        if action == 'unplanned_failover':
            return operations.begin_unplanned_failover, {'properties': {'failoverDirection': direction,
                                                                        'sourceSiteOperations': 'Required' if params['shut_down_source'] else 'NotRequired'}}
        if action == 'reprotect':
            return operations.begin_reprotect, {'properties': {'failoverDirection': from_active}}
        return self._request(action)

    def _test_network(self, item, direction):
        """The ARM id of test_network_id, a VM network of the VMM server the test VM starts on."""
        wanted = self.params['test_network_id']
        if direction == 'PrimaryToRecovery':
            fabric = self.fabric(resource_name(arm_property(item, 'recoveryFabricId')), 'test_network_id')
        else:
            fabric = self.fabric(id_segment(item['id'], 'replicationFabrics'), 'test_network_id')
        network = self.vm_network(fabric, resource_name(wanted), 'test_network_id')
        if '/' in wanted and network['id'].lower() != wanted.lower():
            self.fail("test_network_id '%s' is not a VM network of VMM server '%s', where the test VM starts" % (wanted, fabric['name']))
        return network['id']

    # ---- a recovery plan ------------------------------------------------------------------------------------------
    def plan_to_azure(self):
        return (arm_property(self.plan, 'replicationProviders') or []) == [HYPERV_TO_AZURE]

    def read_plan(self):
        client, name = self.client, self.params['recovery_plan']
        self.subject = 'recovery plan %s' % name
        self.plan = client.get_or_none(self.subject, client.asr.replication_recovery_plans.get, name)
        if self.plan is None:
            raise AzureClientError("recovery plan '%s' does not exist in vault %s (create it with hyperv.mobility.asr_recovery_plan)" % (
                name, client.vault_name), kind='not_found')
        listed = [item_id for group in boot_groups(self.plan) for item_id in group]
        self.items = [item for item in (self.protected_item_by_id(item_id) for item_id in listed) if item is not None]
        found = set(item['id'].lower() for item in self.items)
        missing = [resource_name(item_id) for item_id in listed if item_id.lower() not in found]
        if missing:
            self.fail("recovery plan '%s' lists VMs that are no longer protected: %s; change its groups (hyperv.mobility.asr_recovery_plan)" % (
                name, ', '.join(missing)))
        providers = arm_property(self.plan, 'replicationProviders') or []
        if self.params['recovery_point_type'] and not self.plan_to_azure():
            self.fail("recovery_point_type applies to a plan that fails over to Azure; recovery plan '%s' replicates with %s (Hyper-V Replica "
                      'between VMM sites fails over to the latest recovery point: choose another one per VM with action=commit and '
                      'recovery_point)' % (name, ', '.join(providers) or 'no provider'))
        if not self.plan_to_azure():
            given = sorted(option for option, default in AZURE_ONLY.items() if self.params[option] != default)
            if self.params['action'] == 'complete_failback':
                given.append('action=complete_failback')
            if given:
                self.fail("%s apply to failover to or failback from Azure only; recovery plan '%s' replicates with %s" % (
                    ', '.join(given), name, ', '.join(providers) or 'no provider'))
        self.job = self.current_job(self.plan)
        return [named_state_view(item, self.job) for item in self.items]

    def desired_plan(self, before):
        action, name = self.params['action'], self.params['recovery_plan']
        done = [view['name'] for view in before if already_done(action, view, self.direction)]
        if len(done) == len(before):
            return before
        if action == 'resynchronize':  # each VM on its own: only those Site Recovery marked for resynchronization
            return [view if view['name'] in done else dict(predicted(action, view, self.direction), name=view['name']) for view in before]
        if action == 'complete_failback':
            if not all(view['failback_waiting'] for view in before):
                self.fail("complete_failback: no failback of recovery plan '%s' waits to be completed (%s); start one with action=planned_failover, "
                          'direction=recovery_to_primary and data_sync=minimize_downtime' % (
                              name, 'job %s' % describe_tasks(self.job) if self.job else 'no job running'))
            return [dict(predicted(action, view, self.direction), name=view['name']) for view in before]
        if done:
            self.fail("%s of recovery plan '%s' is done for %s but not for %s; Site Recovery runs a plan's step on all its VMs: finish the others "
                      'one by one (name=...)' % (action, name, ', '.join(done), ', '.join(view['name'] for view in before if view['name'] not in done)))
        allowed = plan_view(self.plan)['allowed_operations']
        if PLAN_OPERATIONS[action][0] not in allowed:
            self.fail("%s is not allowed for recovery plan '%s' now; Site Recovery allows: %s" % (action, name, ', '.join(allowed) or 'nothing'))
        waits = waits_for_completion(self.params, self.direction) and self.plan_to_azure()
        return [dict(predicted(action, view, self.direction, waits=waits), name=view['name']) for view in before]

    def plan_operation(self, before):
        """The plan action; a test failover starts where the VMs are active, like a single VM's. Resynchronization: each VM that needs
        it; completing a failback: the plan's suspended job resumed."""
        params, name, action = self.params, self.params['recovery_plan'], self.params['action']
        if action == 'resynchronize':
            return self.resynchronize_plan(before)
        if action == 'complete_failback':
            return self.complete_failback_operation(self.plan_after)
        direction = from_active_side(before[0]) if action == 'test_failover' else self.direction
        network = params['test_network_id']
        if action == 'test_failover' and network and all(self.between_vmm_sites(item) for item in self.items):
            network = self._test_network(self.items[0], direction)
        waits = waits_for_completion(params, direction) and self.plan_to_azure()
        failback = failback_input(params['data_sync'], params['create_vm_if_not_found']) \
            if action == 'planned_failover' and direction == 'RecoveryToPrimary' and self.plan_to_azure() else None
        body = plan_action_body(action, direction, network, params['shut_down_source'], params['recovery_point_type'], params['comments'], failback)
        begin = getattr(self.client.asr.replication_recovery_plans, PLAN_OPERATIONS[action][1])
        return Operation('%s of recovery plan %s' % (action, name), begin, (name,) + ((body,) if body is not None else ()), view=self.plan_after,
                         watch=self.failback_synchronized if waits else None)

    def resynchronize_plan(self, before):
        """repairReplication of each VM of the plan that needs it, one after the other; the plan's VMs read again after the last."""
        marked = [item for item, view in zip(self.items, before, strict=True) if not already_done('resynchronize', view, self.direction)]
        operations = []
        for item in marked:
            where = (id_segment(item['id'], 'replicationFabrics'), id_segment(item['id'], 'replicationProtectionContainers'), item['name'])
            operations.append(Operation('resynchronize %s of recovery plan %s' % (item['name'], self.params['recovery_plan']),
                                        self.client.asr.replication_protected_items.begin_repair_replication, where,
                                        view=(lambda _item: self.plan_after(self.plan)) if item is marked[-1] else None))
        return operations

    def plan_after(self, plan):
        """The plan's VMs as Azure left them, read again (the plan action returns the plan, a resumed job the job)."""
        if arm_property(plan, 'groups') is not None:
            self.plan = plan
        return [named_state_view(self.protected_item_by_id(item['id']), self.job) for item in self.items]


def main():
    run_asr_module(dict(
        site=dict(type='str'), cloud=dict(type='str'), name=dict(type='str'), recovery_plan=dict(type='str'),
        action=dict(type='str', required=True, choices=sorted(OPERATION_OF)),
        direction=dict(type='str', choices=sorted(DIRECTIONS), default='primary_to_recovery'),
        test_network_id=dict(type='str'), recovery_point=dict(type='str', aliases=['recovery_point_id']),
        recovery_point_type=dict(type='str', choices=sorted(PLAN_POINT_TYPES)), shut_down_source=dict(type='bool', default=False),
        data_sync=dict(type='str', choices=['minimize_downtime', 'full_download'], default='minimize_downtime'),
        create_vm_if_not_found=dict(type='bool', default=False), comments=dict(type='str'),
    ), Failover, required_one_of=[['name', 'recovery_plan']], mutually_exclusive=[['name', 'recovery_plan']])


if __name__ == '__main__':
    main()
