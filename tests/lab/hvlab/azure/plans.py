# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery plans of the fake Azure (``replicationRecoveryPlans``), without HTTP.

Shapes from the public REST specification (azure-rest-api-specs ``recoveryservicessiterecovery``; the SDK's
CreateRecoveryPlanInput, UpdateRecoveryPlanInput, RecoveryPlan, RecoveryPlanGroup and the RecoveryPlan*Input of each action):
- A plan names its primary and recovery fabric (``primaryFabricId``, ``recoveryFabricId``: a fabric's ARM id or
  ``Microsoft Azure``) and lists groups: a ``Shutdown`` group and a ``Failover`` group, then ``Boot`` groups in the order
  they start ("Group 1", "Group 2", ... as Azure PowerShell names them). Microsoft's examples put the protected items in
  the Boot groups only; the lab refuses items elsewhere, a protected item twice, an item of another fabric pair, and a
  plan without a protected item. For VMM, Microsoft says to "use the same VMM server for source and target" when one VMM
  server replicates between its own clouds: both fabric ids are then that server's fabric.
- PUT creates (or replaces) a plan, PATCH replaces its groups, DELETE removes it; all are asynchronous operations.
- Actions (POST): plannedFailover, unplannedFailover, testFailover, testFailoverCleanup, failoverCommit, reProtect. Each
  one is one Site Recovery job that runs the step on every protected item of the plan, with the item's own rules
  (hvlab.azure.asr.FailoverActions): every item must allow the step, or the request is refused (400) naming those that
  do not. A failover shuts the primary VMs down first (planned failover only), fails every item over (the "All groups
  failover" step), then starts the Boot groups one after the other; each of these steps is recorded (Vault.record) so tests
  can read the order. ``recoveryPointType`` of a RecoveryPlanHyperVReplicaAzureFailoverInput picks the recovery point of
  items replicating to Azure (Latest, LatestApplicationConsistent, LatestProcessed).
- A plan's failback from Azure (plannedFailover RecoveryToPrimary) takes RecoveryPlanHyperVReplicaAzureFailbackInput
  (instanceType HyperVReplicaAzureFailback, dataSyncOption, recoveryVmCreationOption: both required in the SDK's model), the
  plan-level form of each item's HyperVReplicaAzureFailbackProviderInput, handed to every item. With ``ForDownTime`` the plan's
  one job synchronizes every item while the Azure VMs run, then is suspended until it is resumed (replicationJobs/{name}/resume),
  as an item's failback is (hvlab.azure.asr.Pause); meanwhile the plan's ``currentScenario`` names the job (CurrentScenarioDetails:
  scenarioName, jobId, startTime) and its items allow nothing.
- The REST reference documents no plan-level resynchronization (repairReplication is an operation of a protected item only).
- ``allowedOperations`` of a plan are the operations every one of its items allows.
Not modelled: group actions run (scripts, manual actions, runbooks are stored as given), failoverCancel.
"""

import copy
import datetime
import typing

from hvlab.azure.asr import AZURE_CONTAINER, PROVIDER, Operation, Pause, Vault, failover_actions
from hvlab.azure.errors import AzureError, bad_request, not_found

PLAN_TYPE = '%s/vaults/replicationRecoveryPlans' % PROVIDER
GROUP_TYPES = ('Shutdown', 'Failover', 'Boot')
DEPLOYMENT_MODELS = ('NotApplicable', 'Classic', 'ResourceManager')
SOURCE_SITE_OPERATIONS = ('Required', 'NotRequired')
# POST action -> (the item action of hvlab.azure.asr.FailoverActions, the job's scenario, its friendly name, the plan's time stamp).
ACTIONS = {
    'plannedFailover': ('plannedFailover', 'RecoveryPlanPlannedFailover', 'Planned failover', 'lastPlannedFailoverTime'),
    'unplannedFailover': ('unplannedFailover', 'RecoveryPlanUnplannedFailover', 'Unplanned failover', 'lastUnplannedFailoverTime'),
    'testFailover': ('testFailover', 'RecoveryPlanTestFailover', 'Test failover', 'lastTestFailoverTime'),
    'testFailoverCleanup': ('testFailoverCleanup', 'RecoveryPlanTestFailoverCleanup', 'Cleanup test failover', None),
    'failoverCommit': ('failoverCommit', 'RecoveryPlanCommitFailover', 'Commit', None),
    'reProtect': ('reProtect', 'RecoveryPlanReprotect', 'Reverse replicate', None),
}
FAILING_OVER = ('plannedFailover', 'unplannedFailover', 'testFailover')
FAILBACK_INPUT = 'HyperVReplicaAzureFailback'
DATA_SYNC_OPTIONS = ('ForDownTime', 'ForSynchronization')
VM_CREATION_OPTIONS = ('CreateVmIfNotFound', 'NoAction')


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def plan(vault: Vault, name: str) -> dict:
    try:
        found = vault.plans[name.lower()]
    except KeyError:
        raise not_found('Recovery plan', name) from None
    return document(vault, found)


def plans(vault: Vault) -> list:
    return [document(vault, found) for found in vault.plans.values()]


def items_of(vault: Vault, found: dict) -> typing.List[typing.Tuple[int, dict]]:
    """(boot group number, protected item) of a plan, in the order its Boot groups start."""
    ordered = []
    number = 0
    for group in found['properties']['groups']:
        if group['groupType'] != 'Boot':
            continue
        number += 1
        ordered.extend((number, vault.protected_item_by_id(entry['id'])) for entry in group.get('replicationProtectedItems') or [])
    return ordered


def document(vault: Vault, found: dict) -> dict:
    """The plan as ARM returns it; allowedOperations from its items' current states."""
    answer = copy.deepcopy(found)
    allowed = None
    for _number, item in items_of(vault, found):
        operations = item['properties']['allowedOperations']
        allowed = list(operations) if allowed is None else [operation for operation in allowed if operation in operations]
    answer['properties']['allowedOperations'] = allowed or []
    return answer


def _fabric(vault: Vault, fabric_id: str, option: str) -> typing.Tuple[str, str]:
    """(id, friendly name) of a fabric given by ARM id, or Microsoft Azure."""
    if (fabric_id or '').lower() == AZURE_CONTAINER.lower():
        return AZURE_CONTAINER, AZURE_CONTAINER
    for fabric in vault.fabrics.values():
        if fabric['id'].lower() == (fabric_id or '').lower():
            return fabric['id'], fabric['properties']['friendlyName']
    if not fabric_id:
        raise bad_request('InvalidParameterValue', '%s is required.' % option)
    raise not_found('Fabric', fabric_id)


def _item_fabrics(item: dict) -> typing.Tuple[str, str]:
    """(primary fabric id, recovery fabric id) of a protected item."""
    primary = item['id'].split('/replicationProtectionContainers/', 1)[0]
    return primary, item['properties'].get('recoveryFabricId') or ''


def _groups(vault: Vault, groups: typing.Any, primary_id: str, recovery_id: str) -> list:
    """The groups of a create or update input, validated; each protected item gets its virtualMachineId."""
    if not isinstance(groups, list) or not groups:
        raise bad_request('InvalidParameterValue', 'groups is required: a Shutdown group, a Failover group and Boot groups with the protected items.')
    seen: set = set()
    result = []
    for group in groups:
        kind = (group or {}).get('groupType')
        if kind not in GROUP_TYPES:
            raise bad_request('InvalidParameterValue', 'groupType must be one of %s; got %r.' % (', '.join(GROUP_TYPES), kind))
        entries = []
        for entry in group.get('replicationProtectedItems') or []:
            if kind != 'Boot':
                raise bad_request('InvalidRecoveryPlanGroup', 'Protected items go in Boot groups; the %s group lists %s.' % (kind, entry.get('id')))
            item = vault.protected_item_by_id(entry.get('id') or '')
            if item['id'].lower() in seen:
                raise bad_request('DuplicateProtectedItem', "Virtual machine '%s' is in more than one group of the plan." % item['properties']['friendlyName'])
            seen.add(item['id'].lower())
            fabrics = _item_fabrics(item)
            if (fabrics[0].lower(), fabrics[1].lower()) != (primary_id.lower(), recovery_id.lower()):
                raise bad_request('InvalidProtectedItem', "Virtual machine '%s' replicates from %s to %s, not between the plan's fabrics %s and %s." % (
                    item['properties']['friendlyName'], fabrics[0].rsplit('/', 1)[-1], fabrics[1].rsplit('/', 1)[-1],
                    primary_id.rsplit('/', 1)[-1], recovery_id.rsplit('/', 1)[-1]))
            entries.append({'id': item['id'], 'virtualMachineId': item['properties']['providerSpecificDetails'].get('vmId') or item['name']})
        result.append({'groupType': kind, 'replicationProtectedItems': entries, 'startGroupActions': list(group.get('startGroupActions') or []),
                       'endGroupActions': list(group.get('endGroupActions') or [])})
    if not seen:
        raise bad_request('InvalidRecoveryPlanGroup', 'A recovery plan needs at least one protected item in a Boot group.')
    return result


def create_plan(vault: Vault, name: str, body: dict) -> Operation:
    """PUT: CreateRecoveryPlanInput (creates, or replaces a plan of that name)."""
    properties = (body or {}).get('properties') or {}
    primary_id, primary_name = _fabric(vault, properties.get('primaryFabricId'), 'primaryFabricId')
    if primary_id == AZURE_CONTAINER:
        raise bad_request('InvalidParameterValue', 'primaryFabricId must be a fabric of the vault (a Hyper-V site or a VMM server).')
    recovery_id, recovery_name = _fabric(vault, properties.get('recoveryFabricId'), 'recoveryFabricId')
    model = properties.get('failoverDeploymentModel') or 'NotApplicable'
    if model not in DEPLOYMENT_MODELS:
        raise bad_request('InvalidParameterValue', 'failoverDeploymentModel must be one of %s; got %r.' % (', '.join(DEPLOYMENT_MODELS), model))
    groups = _groups(vault, properties.get('groups'), primary_id, recovery_id)
    plan_id = '%s/replicationRecoveryPlans/%s' % (vault.id, name)

    def apply() -> dict:
        providers = sorted({vault.protected_item_by_id(entry['id'])['properties']['providerSpecificDetails']['instanceType']
                            for group in groups for entry in group['replicationProtectedItems']})
        vault.plans[name.lower()] = {
            'id': plan_id, 'name': name, 'type': PLAN_TYPE, 'location': vault.location,
            'properties': {'friendlyName': name, 'primaryFabricId': primary_id, 'primaryFabricFriendlyName': primary_name,
                           'recoveryFabricId': recovery_id, 'recoveryFabricFriendlyName': recovery_name, 'failoverDeploymentModel': model,
                           'replicationProviders': providers, 'allowedOperations': [], 'lastPlannedFailoverTime': None,
                           'lastUnplannedFailoverTime': None, 'lastTestFailoverTime': None, 'currentScenario': {'scenarioName': 'None'},
                           'currentScenarioStatus': 'None', 'currentScenarioStatusDescription': None, 'groups': groups,
                           'providerSpecificDetails': []}}
        return document(vault, vault.plans[name.lower()])
    return vault.start('CreateRecoveryPlan', 'Create recovery plan', {'id': plan_id, 'name': name, 'type': 'RecoveryPlan'}, apply)


def update_plan(vault: Vault, name: str, body: dict) -> Operation:
    """PATCH: UpdateRecoveryPlanInput (the groups)."""
    plan(vault, name)
    found = vault.plans[name.lower()]
    properties = found['properties']
    groups = _groups(vault, ((body or {}).get('properties') or {}).get('groups'), properties['primaryFabricId'], properties['recoveryFabricId'])

    def apply() -> dict:
        properties['groups'] = groups
        properties['replicationProviders'] = sorted({vault.protected_item_by_id(entry['id'])['properties']['providerSpecificDetails']['instanceType']
                                                     for group in groups for entry in group['replicationProtectedItems']})
        return document(vault, found)
    return vault.start('UpdateRecoveryPlan', 'Update recovery plan', found, apply)


def delete_plan(vault: Vault, name: str) -> Operation:
    found = plan(vault, name)
    return vault.start('DeleteRecoveryPlan', 'Delete recovery plan', found, lambda: vault.plans.pop(name.lower(), None))


def _input(action: str, properties: dict) -> typing.Tuple[dict, typing.Optional[str]]:
    """The item-level input of a plan action's input, and the recovery point type it asks for (Azure items)."""
    direction = properties.get('failoverDirection')
    if action in FAILING_OVER and direction not in ('PrimaryToRecovery', 'RecoveryToPrimary'):
        raise bad_request('InvalidParameterValue', 'failoverDirection is required: PrimaryToRecovery or RecoveryToPrimary; got %r.' % direction)
    if action == 'unplannedFailover' and properties.get('sourceSiteOperations') not in SOURCE_SITE_OPERATIONS:
        raise bad_request('InvalidParameterValue', 'sourceSiteOperations is required: %s; got %r.' % (
            ' or '.join(SOURCE_SITE_OPERATIONS), properties.get('sourceSiteOperations')))
    if action == 'testFailover' and not properties.get('networkType'):
        raise bad_request('InvalidParameterValue', 'networkType is required for a test failover.')
    point_type = None
    item_input = {key: properties[key] for key in ('failoverDirection', 'sourceSiteOperations', 'networkType', 'networkId', 'comments')
                  if key in properties}
    for provider in properties.get('providerSpecificDetails') or []:
        if provider.get('instanceType') == 'HyperVReplicaAzure':
            point_type = provider.get('recoveryPointType')
        elif provider.get('instanceType') == FAILBACK_INPUT:
            item_input['providerSpecificDetails'] = _failback_input(action, direction, provider)
    return item_input, point_type


def _failback_input(action: str, direction: typing.Optional[str], provider: dict) -> dict:
    """RecoveryPlanHyperVReplicaAzureFailbackInput, checked, as each item's HyperVReplicaAzureFailbackProviderInput."""
    if action != 'plannedFailover' or direction != 'RecoveryToPrimary':
        raise bad_request('InvalidProviderInput', '%s input applies to a planned failover from Azure (RecoveryToPrimary).' % FAILBACK_INPUT)
    for key, choices in (('dataSyncOption', DATA_SYNC_OPTIONS), ('recoveryVmCreationOption', VM_CREATION_OPTIONS)):
        if provider.get(key) not in choices:
            raise bad_request('InvalidParameterValue', '%s is required: %s; got %r.' % (key, ' or '.join(choices), provider.get(key)))
    return {'instanceType': FAILBACK_INPUT, 'dataSyncOption': provider['dataSyncOption'],
            'recoveryVmCreationOption': provider['recoveryVmCreationOption']}


def act(vault: Vault, name: str, action: str, body: dict) -> Operation:
    """One action on every protected item of the plan, validated for all of them first."""
    plan(vault, name)
    if action not in ACTIONS:
        raise bad_request('UnsupportedOperation', "Recovery plan action '%s' is not supported by the fake Azure." % action)
    item_action, scenario, friendly, stamp = ACTIONS[action]
    found = vault.plans[name.lower()]
    item_input, point_type = _input(action, ((body or {}).get('properties') or {}))
    steps = []
    refused = []
    handlers = []
    for number, item in items_of(vault, found):
        properties = dict(item_input)
        if action == 'reProtect':  # the plan's reProtect takes no input: each item replicates from the site it is active on
            properties['failoverDirection'] = 'PrimaryToRecovery' if item['properties']['activeLocation'] == 'Primary' else 'RecoveryToPrimary'
        try:
            handler = failover_actions(item, properties, vault, point_type)
            steps.append((number, item, handler.validate(item_action)))
            handlers.append(handler)
        except AzureError as error:
            refused.append('%s: %s' % (item['properties']['friendlyName'], error.message))
    if refused:
        raise bad_request('RecoveryPlanOperationNotAllowed', "Recovery plan '%s' cannot run %s: %s" % (name, action, ' '.join(refused)))
    item_scenario = handlers[0].SCENARIOS[item_action]
    pauses = [handler.pause for handler in handlers if handler.pause is not None]
    # A failback optimized for downtime: the plan's job synchronizes every item, then waits to be resumed.
    pause = Pause(lambda: [each.first() for each in pauses], 'Synchronize data while the Azure VMs run',
                  'Shut down the Azure VMs, synchronize the last changes and fail back') if pauses else None

    def apply() -> dict:
        direction = item_input.get('failoverDirection')
        if action == 'plannedFailover':  # the Shutdown group: the VMs of the site they leave shut down first
            for _number, item, _change in steps:
                vault.record('Shutdown', item, plan=name, direction=direction)
        for _number, item, change in steps:
            change()
            vault.record(item_scenario, item, plan=name, direction=direction)
        if action in FAILING_OVER:  # the Boot groups start one after the other
            for number, item, _change in steps:
                vault.record('Boot', item, plan=name, group=number, direction=direction)
        if stamp:
            found['properties'][stamp] = _now()
        found['properties']['currentScenario'] = {'scenarioName': 'None'}
        return document(vault, found)
    operation = vault.start(scenario, '%s of recovery plan %s' % (friendly, name), found, apply, pause)
    if operation.status == 'InProgress':
        found['properties']['currentScenario'] = {'scenarioName': scenario, 'jobId': operation.job['id'], 'startTime': _now()}
        if pause is not None:  # nothing else is allowed while the failback waits to be completed
            for _number, item, _change in steps:
                item['properties']['allowedOperations'] = []
    return operation


def route(vault: Vault, method: str, parts: list, body: dict) -> typing.Any:  # pylint: disable=too-many-return-statements
    """.../vaults/<vault>/replicationRecoveryPlans[/<name>[/<action>]]."""
    if len(parts) == 1 and method == 'GET':
        return 200, {'value': plans(vault), 'nextLink': None}
    if len(parts) == 2:
        handlers = {'GET': lambda: (200, plan(vault, parts[1])), 'PUT': lambda: create_plan(vault, parts[1], body),
                    'PATCH': lambda: update_plan(vault, parts[1], body), 'DELETE': lambda: delete_plan(vault, parts[1])}
        if method in handlers:
            return handlers[method]()
    if len(parts) == 3 and method == 'POST':
        return act(vault, parts[1], parts[2], body)
    raise AzureError(405, 'MethodNotAllowed', '%s %s' % (method, '/'.join(parts)))
