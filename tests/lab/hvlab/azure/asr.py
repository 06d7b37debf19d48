# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Recovery Services vaults of the fake Azure and the Site Recovery rules they enforce (no network).

Resources are kept as the JSON documents of the public REST specification (azure-rest-api-specs,
``recoveryservicessiterecovery``, api-version 2025-08-01): ``{id, name, type, location, properties}``.

What is modelled, for Hyper-V to Azure (``HyperVReplicaAzure``):
- A Hyper-V site is a replication fabric with ``customDetails.instanceType = HyperVSite``. Its protection
  container appears when the first Hyper-V host registers with the site (``register_host``, what the Site Recovery
  provider does on the host), with the host's VMs as protectable items.
- A replication policy carries ``HyperVReplicaAzure`` details. The service refuses a replication interval other than
  30, 300 or 900 seconds, a retention outside 0-24 hours and an app-consistent snapshot frequency outside 0-12 hours
  or longer than the retention (400 ``InvalidParameterValue``-style errors).
- A protection container mapping pairs the site's container with ``Microsoft Azure`` under a policy; the policy must
  exist. A policy used by a mapping, and a mapping used by protected items, cannot be deleted (409).
- Enabling protection needs a protectable item of the container and a policy associated with the container; the
  item goes through initial replication (``InitialReplicationInProgress`` -> ``Protected``).
- Failover follows Microsoft's Hyper-V to Azure architecture page: test failover then cleanup; planned / unplanned
  failover to Azure, commit; failback as a planned failover from Azure, commit; then reverse replication
  (reProtect) to replicate to Azure again. An operation not allowed in the current state is a 400 with the
  allowed operations in the message.

Every write is an asynchronous operation: the request is validated at once (4xx), a Site Recovery job records it,
and the change happens when the job completes (``job_seconds`` later); until then readers see the old state.
"""

import copy
import datetime
import ipaddress
import re
import threading
import time
import typing
import uuid

from hvlab.azure import recovery_points
from hvlab.azure.errors import AzureError, bad_request, not_found  # noqa: F401  re-exported: hvlab.azure.vmm, providers, server

PROVIDER = 'Microsoft.RecoveryServices'
AZURE_CONTAINER = 'Microsoft Azure'
HYPERV_AZURE = 'HyperVReplicaAzure'
REPLICATION_INTERVALS = (30, 300, 900)
MAX_RETENTION_HOURS = 24
MAX_APP_CONSISTENT_HOURS = 12
# instanceType -> policy details builder of other replication providers, registered by their modules (hvlab.azure.vmm).
POLICY_DETAILS: dict = {}

# Other replication providers of protected items, registered by their modules (hvlab.azure.vmm: HyperVReplica2012R2), by instanceType:
# enable protection (vault, container, protectable item, policy, input properties) -> (providerSpecificDetails, recovery side properties),
# operations allowed by protection state, and the failover state machine.
PROTECTION_PROVIDERS: dict = {}
PROVIDER_ALLOWED_OPERATIONS: dict = {}
PROVIDER_FAILOVER_ACTIONS: dict = {}

# protectionState / activeLocation -> operations Site Recovery allows (allowedOperations of the protected item).
ALLOWED_OPERATIONS = {
    'InitialReplicationInProgress': ['DisableProtection'],
    'Protected': ['TestFailover', 'PlannedFailover', 'UnplannedFailover', 'DisableProtection'],
    'FailoverCompleted': ['Commit', 'ChangePit'],
    'FailoverCommitted': ['PlannedFailover', 'UnplannedFailover'],
    'FailbackCompleted': ['Commit'],
    'FailbackCommitted': ['ReverseReplicate', 'DisableProtection'],
}
# The lab's mark of an item Site Recovery flagged for resynchronization (seed 004: delta replication failed and a full one would cost
# too much); while it is set, a protected item's allowedOperations also list RepairReplication (ReplicationProtectedItemOperation).
RESYNC_KEY = '_resynchronizationRequired'
# Seed 004's retry classes as the item shows them: a fatal error leaves the VM Critical until an administrator acts; a transient one is
# retried each interval (the health the item shows meanwhile is not documented: the lab says Warning); a VM marked for
# resynchronization is Critical until it is resynchronized (not documented either).
ERROR_HEALTH = {'fatal': 'Critical', 'transient': 'Warning', 'resynchronization': 'Critical'}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class Operation:
    """One asynchronous operation and the Site Recovery job that records it."""

    def __init__(self, vault: 'Vault', scenario: str, friendly_name: str, target: dict, apply: typing.Callable[[], typing.Any],
                 seconds: float, fail_with: typing.Optional[AzureError] = None, pause: typing.Optional['Pause'] = None) -> None:
        self.vault = vault
        self.name = str(uuid.uuid4())
        self.apply = apply
        self.seconds = seconds
        self.due = time.monotonic() + seconds
        self.fail_with = fail_with
        self.pause = pause
        self.status = 'InProgress'
        self.result: typing.Any = None
        self.error: typing.Optional[AzureError] = None
        self.job = {
            'id': '%s/replicationJobs/%s' % (vault.id, self.name), 'name': self.name, 'type': '%s/vaults/replicationJobs' % PROVIDER,
            'location': vault.location,
            'properties': {'activityId': str(uuid.uuid4()), 'scenarioName': scenario, 'friendlyName': friendly_name, 'state': 'InProgress',
                           'stateDescription': 'InProgress', 'tasks': [], 'errors': [], 'startTime': _now(), 'endTime': None,
                           'allowedActions': ['Cancel'], 'targetObjectId': target.get('id', ''), 'targetObjectName': target.get('name', ''),
                           'targetInstanceType': target.get('type', ''), 'customDetails': {'instanceType': 'AsrJobDetails'}},
        }

    def settle(self) -> None:
        """Complete the operation once it is due: apply the change (or fail) and close the job; an operation with a pause first runs
        its first part and waits, suspended, until it is resumed."""
        if self.status != 'InProgress' or time.monotonic() < self.due or self.job['properties']['state'] == 'Suspended':
            return
        if self.pause is not None and not self.pause.done:
            self.pause.run(self)
            return
        try:
            if self.fail_with is not None:
                raise self.fail_with
            self.result = self.apply()
            self.status = 'Succeeded'
        except AzureError as error:
            self.status, self.error = 'Failed', error
            self.job['properties']['errors'] = [{'serviceErrorDetails': {'code': error.code, 'message': error.message}}]
        properties = self.job['properties']
        properties.update(state=self.status, stateDescription='Completed' if self.status == 'Succeeded' else 'Failed', endTime=_now(), allowedActions=[])
        for task in properties['tasks']:
            if task['state'] != 'Succeeded':
                task.update(state=self.status, stateDescription=properties['stateDescription'], endTime=_now())

    def resume(self) -> None:
        """Go on with a suspended job (replicationJobs/{name}/resume): the rest of the operation is due job_seconds from now."""
        self.job['properties'].update(state='InProgress', stateDescription='InProgress', allowedActions=['Cancel'])
        self.due = time.monotonic() + self.seconds
        for task in self.job['properties']['tasks']:
            if task['state'] == 'NotStarted':
                task.update(state='InProgress', stateDescription='InProgress', startTime=_now())
                break

    def status_document(self) -> dict:
        document = {'id': '%s/replicationOperationStatus/%s' % (self.vault.id, self.name), 'name': self.name, 'status': self.status,
                    'startTime': self.job['properties']['startTime']}
        if self.status != 'InProgress':
            document['endTime'] = self.job['properties']['endTime']
        if self.error is not None:
            document['error'] = {'code': self.error.code, 'message': self.error.message}
        return document


class Pause:  # pylint: disable=too-few-public-methods
    """The first part of an operation whose job then waits for the user (a failback from Azure optimized for downtime): what it does,
    and the job's tasks before and after the wait (the names are the lab's: Azure's task names are not documented)."""

    def __init__(self, first: typing.Callable[[], None], before: str, after: str) -> None:
        self.first = first
        self.before = before
        self.after = after
        self.done = False

    def run(self, operation: 'Operation') -> None:
        self.first()
        self.done = True
        properties = operation.job['properties']
        properties['tasks'] = [_task(self.before, 'Succeeded'), _task(self.after, 'NotStarted')]
        properties.update(state='Suspended', stateDescription='WaitingForManualAction', allowedActions=['Resume', 'Cancel'])


def _task(friendly_name: str, state: str) -> dict:
    return {'taskId': str(uuid.uuid4()), 'name': friendly_name.replace(' ', ''), 'friendlyName': friendly_name, 'state': state, 'stateDescription': state,
            'startTime': _now() if state != 'NotStarted' else None, 'endTime': _now() if state == 'Succeeded' else None, 'allowedActions': [],
            'taskType': 'TaskDetails', 'errors': []}


class Vault:  # pylint: disable=too-many-instance-attributes  # one collection per Site Recovery resource type
    """A Recovery Services vault and its Site Recovery resources."""

    def __init__(self, subscription_id: str, resource_group: str, name: str, location: str, settings: dict) -> None:
        self.id = '/subscriptions/%s/resourceGroups/%s/providers/%s/vaults/%s' % (subscription_id, resource_group, PROVIDER, name)
        self.name = name
        self.resource_group = resource_group
        self.location = location
        self.settings = settings
        self.fabrics: dict = {}
        self.containers: dict = {}       # fabric (lower) -> {container name (lower): container}
        self.protectable: dict = {}      # container id (lower) -> {item name (lower): item}
        self.mappings: dict = {}         # container id (lower) -> {mapping name (lower): mapping}
        self.protected: dict = {}        # container id (lower) -> {item name (lower): item}
        self.policies: dict = {}
        self.networks: dict = {}         # fabric (lower) -> {network name (lower): VM network} (hvlab.azure.vmm)
        self.network_mappings: dict = {}  # primary network id (lower) -> {mapping name (lower): network mapping}
        self.operations: dict = {}
        self.job_failures: list = []
        self.events: list = []           # what completed, in order (record): tests read the order of operations
        self.plans: dict = {}            # recovery plan name (lower) -> plan (hvlab.azure.plans)
        self.vmm_providers: dict = {}    # VMM fabric (lower) -> the providers of its nodes (hvlab.azure.providers)
        self.source_nics: dict = {}      # protectable item id (lower) -> the VM's network adapters on its host (lab bookkeeping)

    def document(self) -> dict:
        return {'id': self.id, 'name': self.name, 'type': '%s/vaults' % PROVIDER, 'location': self.location, 'sku': {'name': 'Standard'},
                'properties': {'provisioningState': 'Succeeded'}}

    # ------------------------------------------------------------------ operations

    def start(self, scenario: str, friendly_name: str, target: dict, apply: typing.Callable[[], typing.Any],
              pause: typing.Optional[Pause] = None) -> Operation:
        fail_with = self.job_failures.pop(0) if self.job_failures else None
        operation = Operation(self, scenario, friendly_name, target, apply, float(self.settings.get('job_seconds', 1.0)), fail_with, pause)
        self.operations[operation.name.lower()] = operation
        operation.settle()
        return operation

    def settle(self) -> None:
        for operation in list(self.operations.values()):
            operation.settle()
        for items in self.protected.values():
            for item in items.values():
                self.advance_initial_replication(item)

    def advance_initial_replication(self, item: dict) -> None:
        """Initial replication ends when due: the item is protected, and the recovery side holds its first recovery point."""
        if _advance_initial_replication(item):
            recovery_points.capture(item, 'CrashConsistent', self.retention(item))

    def retention(self, item: dict) -> int:
        return recovery_points.retention(self.policy_by_id(item['properties']['policyId']))

    def record(self, scenario: str, item: dict, **details: typing.Any) -> dict:
        """One completed step on one protected item, in the order steps complete (tests read vault.events through the state)."""
        event = dict({'sequence': len(self.events) + 1, 'time': time.time(), 'scenario': scenario, 'vm_name': item['properties']['friendlyName'],
                      'item': item['name'], 'active_location': item['properties']['activeLocation'],
                      'data_version': recovery_points.active_version(item)}, **details)
        self.events.append(event)
        return event

    def operation(self, name: str) -> Operation:
        try:
            return self.operations[name.lower()]
        except KeyError:
            raise not_found('Operation', name) from None

    def jobs(self) -> list:
        return [operation.job for operation in self.operations.values()]

    def resume_job(self, name: str, body: dict) -> Operation:
        """replicationJobs/{name}/resume (ResumeJobParams: comments): a suspended job goes on; the answer is the job."""
        suspended = self.operation(name)
        if suspended.job['properties']['state'] != 'Suspended':
            raise bad_request('JobNotSuspended', "Job '%s' is %s; only a suspended job can be resumed." % (name, suspended.job['properties']['state']))
        comments = ((body or {}).get('properties') or {}).get('comments')

        def apply() -> dict:
            return suspended.job
        suspended.resume()
        if comments:
            suspended.job['properties'].setdefault('customDetails', {})['comments'] = comments
        return self.start('ResumeJob', 'Resume job', suspended.job, apply)

    # ------------------------------------------------------------------ fabrics (sites)

    def fabric(self, name: str) -> dict:
        try:
            return self.fabrics[name.lower()]
        except KeyError:
            raise not_found('Fabric', name) from None

    def create_fabric(self, name: str, body: dict) -> Operation:
        details = (body.get('properties') or {}).get('customDetails') or {}
        if details.get('instanceType') not in ('HyperVSite', 'VMM'):
            raise bad_request('InvalidFabricType', "Fabric type '%s' cannot be created; use HyperVSite." % details.get('instanceType'))
        fabric_id = '%s/replicationFabrics/%s' % (self.id, name)
        target = {'id': fabric_id, 'name': name, 'type': 'HyperVSite'}

        def apply() -> dict:
            if name.lower() not in self.fabrics:
                self.fabrics[name.lower()] = {
                    'id': fabric_id, 'name': name, 'type': '%s/vaults/replicationFabrics' % PROVIDER, 'location': self.location,
                    'properties': {'friendlyName': name, 'encryptionDetails': {'kekState': 'None'}, 'internalIdentifier': str(uuid.uuid4()),
                                   'bcdrState': 'Valid', 'customDetails': {'instanceType': details['instanceType'], 'hyperVHosts': []},
                                   'healthErrorDetails': [], 'health': 'Normal'},
                }
                self.containers[name.lower()] = {}
            return self.fabrics[name.lower()]
        return self.start('CreateFabric', 'Create site', target, apply)

    def delete_fabric(self, name: str) -> Operation:
        fabric = self.fabric(name)
        if fabric['properties']['customDetails']['instanceType'] == 'VMM':
            raise AzureError(409, 'FabricHasRegisteredServers', "Fabric '%s' is a registered VMM server; unregister the VMM server to remove it." % name)
        if fabric['properties']['customDetails']['hyperVHosts']:
            raise AzureError(409, 'FabricHasRegisteredServers', "Site '%s' has registered Hyper-V hosts; unregister them before deleting the site." % name)

        def apply() -> None:
            for container in self.containers.pop(name.lower(), {}).values():
                key = container['id'].lower()
                self.protectable.pop(key, None)
                self.mappings.pop(key, None)
                self.protected.pop(key, None)
            self.fabrics.pop(name.lower(), None)
        return self.start('DeleteFabric', 'Delete site', fabric, apply)

    def register_host(self, fabric_name: str, host_name: str, vms: list) -> dict:
        """What the Site Recovery provider does when a Hyper-V host registers with the site (lab control only)."""
        fabric = self.fabric(fabric_name)
        hosts = fabric['properties']['customDetails']['hyperVHosts']
        host_entry = next((host for host in hosts if host['name'].lower() == host_name.lower()), None)
        if host_entry is None:
            host_entry = {'id': str(uuid.uuid4()), 'name': host_name, 'marsAgentVersion': '2.0.9250.0', 'registeredAt': _now()}
            hosts.append(host_entry)
        containers = self.containers.setdefault(fabric_name.lower(), {})
        if not containers:
            container_name = 'cloud_%s' % uuid.uuid4()
            containers[container_name.lower()] = {
                'id': '%s/replicationProtectionContainers/%s' % (fabric['id'], container_name), 'name': container_name,
                'type': '%s/vaults/replicationFabrics/replicationProtectionContainers' % PROVIDER, 'location': self.location,
                'properties': {'fabricFriendlyName': fabric['name'], 'friendlyName': fabric['name'], 'fabricType': 'HyperVSite',
                               'protectedItemCount': 0, 'pairingStatus': 'NotPaired', 'role': 'Primary', 'fabricSpecificDetails': None},
            }
        container = next(iter(containers.values()))
        add_protectable_vms(self, container, host_entry['id'], vms, [HYPERV_AZURE])
        return container

    # ------------------------------------------------------------------ containers and protectable items

    def containers_of(self, fabric_name: str) -> list:
        self.fabric(fabric_name)
        return list(self.containers.get(fabric_name.lower(), {}).values())

    def container(self, fabric_name: str, name: str) -> dict:
        for container in self.containers_of(fabric_name):
            if container['name'].lower() == name.lower():
                return container
        raise not_found('Protection container', name)

    def all_containers(self) -> list:
        return [container for containers in self.containers.values() for container in containers.values()]

    def protectable_items(self, fabric_name: str, container_name: str) -> list:
        container = self.container(fabric_name, container_name)
        return list(self.protectable.get(container['id'].lower(), {}).values())

    # ------------------------------------------------------------------ policies

    def policy(self, name: str) -> dict:
        try:
            return self.policies[name.lower()]
        except KeyError:
            raise not_found('Policy', name) from None

    def policy_by_id(self, policy_id: str) -> dict:
        for policy in self.policies.values():
            if policy['id'].lower() == (policy_id or '').lower():
                return policy
        raise bad_request('PolicyNotFound', "Replication policy '%s' does not exist in vault '%s'." % (policy_id, self.name))

    def create_policy(self, name: str, body: dict) -> Operation:
        settings = (body.get('properties') or {}).get('providerSpecificInput') or {}
        details = _policy_details(settings)
        policy_id = '%s/replicationPolicies/%s' % (self.id, name)

        def apply() -> dict:
            policy = self.policies.get(name.lower())
            if policy is None:
                policy = self.policies[name.lower()] = {'id': policy_id, 'name': name, 'type': '%s/vaults/replicationPolicies' % PROVIDER,
                                                        'location': self.location, 'properties': {'friendlyName': name}}
            policy['properties']['providerSpecificDetails'] = details
            return policy
        return self.start('AddProtectionProfile', 'Create replication policy', {'id': policy_id, 'name': name, 'type': 'ProtectionProfile'}, apply)

    def update_policy(self, name: str, body: dict) -> Operation:
        policy = self.policy(name)
        settings = (body.get('properties') or {}).get('replicationProviderSettings') or {}
        if settings.get('instanceType') != policy['properties']['providerSpecificDetails']['instanceType']:
            raise bad_request('PolicyProviderMismatch', 'The replication provider of a policy cannot be changed.')
        details = _policy_details(settings)

        def apply() -> dict:
            policy['properties']['providerSpecificDetails'] = details
            return policy
        return self.start('UpdateProtectionProfile', 'Update replication policy', policy, apply)

    def delete_policy(self, name: str) -> Operation:
        policy = self.policy(name)
        if any(m['properties']['policyId'].lower() == policy['id'].lower() for ms in self.mappings.values() for m in ms.values()):
            raise AzureError(409, 'PolicyInUse', "Policy '%s' is associated with a protection container; remove the association first." % name)
        return self.start('RemoveProtectionProfile', 'Delete replication policy', policy, lambda: self.policies.pop(name.lower(), None))

    # ------------------------------------------------------------------ container mappings (policy associations)

    def mappings_of(self, container: dict) -> dict:
        return self.mappings.setdefault(container['id'].lower(), {})

    def mapping(self, fabric_name: str, container_name: str, name: str) -> dict:
        container = self.container(fabric_name, container_name)
        try:
            return self.mappings_of(container)[name.lower()]
        except KeyError:
            raise not_found('Protection container mapping', name) from None

    def create_mapping(self, fabric_name: str, container_name: str, name: str, body: dict) -> Operation:
        container = self.container(fabric_name, container_name)
        properties = body.get('properties') or {}
        policy = self.policy_by_id(properties.get('policyId'))
        target = properties.get('targetProtectionContainerId')
        if target != AZURE_CONTAINER:
            raise bad_request('InvalidTargetContainer', "Hyper-V sites replicate to '%s'; got targetProtectionContainerId '%s'." % (AZURE_CONTAINER, target))
        mapping_id = '%s/replicationProtectionContainerMappings/%s' % (container['id'], name)

        def apply() -> dict:
            mapping = {'id': mapping_id, 'name': name, 'type': '%s/vaults/replicationFabrics/replicationProtectionContainers/'
                       'replicationProtectionContainerMappings' % PROVIDER, 'location': self.location,
                       'properties': {'targetProtectionContainerId': AZURE_CONTAINER, 'targetProtectionContainerFriendlyName': AZURE_CONTAINER,
                                      'providerSpecificDetails': {'instanceType': 'ProtectionContainerMappingProviderSpecificDetails'},
                                      'health': 'Normal', 'healthErrorDetails': [], 'policyId': policy['id'], 'state': 'Paired',
                                      'sourceProtectionContainerFriendlyName': container['properties']['friendlyName'],
                                      'sourceFabricFriendlyName': container['properties']['fabricFriendlyName'],
                                      'targetFabricFriendlyName': AZURE_CONTAINER, 'policyFriendlyName': policy['name']}}
            self.mappings_of(container)[name.lower()] = mapping
            container['properties']['pairingStatus'] = 'Paired'
            return mapping
        return self.start('ConfigureProtection', 'Associate replication policy', {'id': mapping_id, 'name': name, 'type': 'ProtectionContainerMapping'}, apply)

    def delete_mapping(self, fabric_name: str, container_name: str, name: str) -> Operation:
        container = self.container(fabric_name, container_name)
        mapping = self.mapping(fabric_name, container_name, name)
        in_use = [item['properties']['friendlyName'] for item in self.protected.get(container['id'].lower(), {}).values()
                  if item['properties']['policyId'].lower() == mapping['properties']['policyId'].lower()]
        if in_use:
            raise AzureError(409, 'ProtectionContainerMappingInUse',
                             'The association is used by protected virtual machines (%s); disable their replication first.' % ', '.join(sorted(in_use)))

        def apply() -> None:
            self.mappings_of(container).pop(name.lower(), None)
            if not self.mappings_of(container):
                container['properties']['pairingStatus'] = 'NotPaired'
        return self.start('UnconfigureProtection', 'Dissociate replication policy', mapping, apply)

    # ------------------------------------------------------------------ protected items

    def protected_items(self, container: dict) -> dict:
        return self.protected.setdefault(container['id'].lower(), {})

    def protected_item(self, fabric_name: str, container_name: str, name: str) -> dict:
        container = self.container(fabric_name, container_name)
        try:
            return self.protected_items(container)[name.lower()]
        except KeyError:
            raise not_found('Replication protected item', name) from None

    def enable_protection(self, fabric_name: str, container_name: str, name: str, body: dict) -> Operation:
        container = self.container(fabric_name, container_name)
        properties = body.get('properties') or {}
        policy = self.policy_by_id(properties.get('policyId'))
        if not any(m['properties']['policyId'].lower() == policy['id'].lower() for m in self.mappings_of(container).values()):
            raise bad_request('PolicyNotAssociated', "Policy '%s' is not associated with protection container '%s'." % (policy['name'], container['name']))
        items = self.protectable.get(container['id'].lower(), {})
        item = next((i for i in items.values() if i['id'].lower() == (properties.get('protectableItemId') or '').lower()), None)
        if item is None:
            raise bad_request('ProtectableItemNotFound', "Protectable item '%s' was not found in container '%s'." % (
                properties.get('protectableItemId'), container['name']))
        existing = item['properties']['replicationProtectedItemId']
        if existing and existing.rsplit('/', 1)[-1].lower() != name.lower():
            raise AzureError(409, 'ProtectionAlreadyEnabled', "Virtual machine '%s' is already protected as '%s'." % (
                item['properties']['friendlyName'], existing))
        provider = properties.get('providerSpecificDetails') or {}
        other_provider = PROTECTION_PROVIDERS.get(policy['properties']['providerSpecificDetails']['instanceType'])
        if other_provider is not None:  # hvlab.azure.vmm: HyperVReplica2012R2, a VMM cloud to a VMM cloud
            details, sides = other_provider(self, container, item, policy, properties)
        else:
            details, sides = _azure_protection(item, provider, self.source_nics.get(item['id'].lower(), []))
        item_id = '%s/replicationProtectedItems/%s' % (container['id'], name)
        seconds = float(self.settings.get('initial_replication_seconds', 0))

        def apply() -> dict:
            protected = {'id': item_id, 'name': name,
                         'type': '%s/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems' % PROVIDER,
                         'location': self.location,
                         'properties': {'friendlyName': item['properties']['friendlyName'], 'protectedItemType': 'HyperVVirtualMachine',
                                        'protectableItemId': item['id'], 'recoveryServicesProviderId': item['properties']['recoveryServicesProviderId'],
                                        'primaryFabricFriendlyName': container['properties']['fabricFriendlyName'],
                                        'primaryProtectionContainerFriendlyName': container['properties']['friendlyName'], 'activeLocation': 'Primary',
                                        'testFailoverState': 'None', 'testFailoverStateDescription': 'None', 'replicationHealth': 'Normal',
                                        'failoverHealth': 'Normal', 'healthErrors': [], 'policyId': policy['id'], 'policyFriendlyName': policy['name'],
                                        'lastSuccessfulFailoverTime': None, 'lastSuccessfulTestFailoverTime': None,
                                        'currentScenario': {'scenarioName': 'None'}, 'providerSpecificDetails': details, **sides},
                         'initialReplicationStarted': time.monotonic(), 'initialReplicationDue': time.monotonic() + seconds}
            set_protection_state(protected, 'InitialReplicationInProgress', 'Initial replication in progress')
            self.protected_items(container)[name.lower()] = protected
            item['properties'].update(protectionStatus='Protected', replicationProtectedItemId=item_id)
            container['properties']['protectedItemCount'] = len(self.protected_items(container))
            self.advance_initial_replication(protected)
            return public(protected)
        return self.start('EnableDr', 'Enable protection', {'id': item_id, 'name': name, 'type': 'ProtectionEntity'}, apply)

    def disable_protection(self, fabric_name: str, container_name: str, name: str) -> Operation:
        container = self.container(fabric_name, container_name)
        item = self.protected_item(fabric_name, container_name, name)
        require_operation(item, 'DisableProtection')

        def apply() -> None:
            self.protected_items(container).pop(name.lower(), None)
            for protectable in self.protectable.get(container['id'].lower(), {}).values():
                if protectable['id'].lower() == item['properties']['protectableItemId'].lower():
                    protectable['properties'].update(protectionStatus='Unprotected', replicationProtectedItemId=None)
            container['properties']['protectedItemCount'] = len(self.protected_items(container))
        return self.start('DisableDr', 'Disable protection', item, apply)

    def act(self, fabric_name: str, container_name: str, name: str, action: str, body: dict) -> Operation:
        """testFailover, testFailoverCleanup, plannedFailover, unplannedFailover, failoverCommit, reProtect, applyRecoveryPoint."""
        item = self.protected_item(fabric_name, container_name, name)
        handler = failover_actions(item, (body or {}).get('properties') or {}, self)
        change = handler.validate(action)

        def apply() -> dict:
            change()
            item['properties']['currentScenario'] = {'scenarioName': 'None'}
            self.record(handler.SCENARIOS[action], item)
            return public(item)
        operation = self.start(handler.SCENARIOS[action], handler.FRIENDLY[action], item, apply, handler.pause)
        if operation.status == 'InProgress':
            item['properties']['currentScenario'] = {'scenarioName': handler.SCENARIOS[action], 'jobId': operation.job['id'], 'startTime': _now()}
            if handler.pause is not None:  # nothing else is allowed while a failback waits to be completed
                item['properties']['allowedOperations'] = []
        return operation

    def recovery_points(self, fabric_name: str, container_name: str, name: str) -> list:
        return recovery_points.points(self.protected_item(fabric_name, container_name, name))

    def recovery_point(self, fabric_name: str, container_name: str, name: str, point_name: str) -> dict:
        return recovery_points.public(recovery_points.point(self.protected_item(fabric_name, container_name, name), point_name))

    def replication_error(self, body: dict) -> list:
        """Lab control: a replication error on the protected VMs ``vms`` of seed 004's class ``kind`` (fatal, transient, or
        resynchronization: the VM is marked for resynchronization), as health errors (HealthError) of the item."""
        kind = body.get('kind') or 'fatal'
        if kind not in ERROR_HEALTH:
            raise bad_request('InvalidErrorKind', 'kind must be one of %s.' % ', '.join(sorted(ERROR_HEALTH)))
        touched = []
        for item in self.items_named(body.get('vms')):
            error = {'errorCode': str(body.get('code') or ''), 'errorMessage': body.get('message') or '', 'possibleCauses': body.get('possible_causes') or '',
                     'recommendedAction': body.get('recommended_action') or '', 'errorLevel': 'Error' if ERROR_HEALTH[kind] == 'Critical' else 'Warning',
                     'errorCategory': 'Replication', 'errorSource': 'ReplicationProtectedItem', 'errorType': 'ReplicationError',
                     'customerResolvability': 'Allowed' if kind == 'fatal' else 'NotAllowed', 'creationTimeUtc': _now(),
                     'entityId': item['id'], 'errorId': str(uuid.uuid4()), 'summaryMessage': body.get('message') or '', 'innerHealthErrors': []}
            properties = item['properties']
            properties['healthErrors'] = list(properties.get('healthErrors') or []) + [error]
            properties['replicationHealth'] = 'Critical' if 'Critical' in (properties['replicationHealth'], ERROR_HEALTH[kind]) else ERROR_HEALTH[kind]
            if kind == 'resynchronization':
                item[RESYNC_KEY] = True
                set_protection_state(item, properties['protectionState'], properties['protectionStateDescription'])
            touched.append(public(item))
        return touched

    def protected_item_by_id(self, item_id: str) -> dict:
        for items in self.protected.values():
            for item in items.values():
                if item['id'].lower() == (item_id or '').lower():
                    return item
        raise not_found('Replication protected item', item_id)

    def workload(self, body: dict) -> list:
        """Lab control: the protected VMs' workload writes (``writes`` times) on their active side, then, with ``replicate``, a
        replication cycle of every replicating item brings a recovery point (``point_type``); ``vms`` limits it to those VMs."""
        touched = []
        for item in self.items_named(body.get('vms')):
            if body.get('writes'):
                recovery_points.write(item, int(body['writes']))
            if body.get('replicate') and item['properties']['protectionState'] == 'Protected':
                recovery_points.capture(item, body.get('point_type') or 'CrashConsistent', self.retention(item))
            touched.append(recovery_points.summary(item))
        return touched

    def items_named(self, vms: typing.Optional[list]) -> list:
        """The protected items of the VMs named (every protected item when vms is empty), for the lab's control routes."""
        wanted = {name.lower() for name in vms or []}
        return [item for items in self.protected.values() for item in items.values()
                if not wanted or item['properties']['friendlyName'].lower() in wanted]


def failover_actions(item: dict, properties: dict, vault: 'Vault', point_type: typing.Optional[str] = None) -> 'FailoverActions':
    """The failover state machine of the item's replication provider (point_type: what a recovery plan's failover asks for)."""
    actions = PROVIDER_FAILOVER_ACTIONS.get(item['properties']['providerSpecificDetails']['instanceType'], FailoverActions)
    return actions(item, properties, vault, point_type)


def _azure_protection(item: dict, provider: dict, nics: list) -> typing.Tuple[dict, dict]:
    """HyperVReplicaAzureReplicationDetails from HyperVReplicaAzureEnableProtectionInput, and the recovery side (Azure)."""
    if provider.get('instanceType') != HYPERV_AZURE:
        raise bad_request('InvalidProviderInput', "providerSpecificDetails.instanceType must be '%s'." % HYPERV_AZURE)
    if not provider.get('targetAzureV2ResourceGroupId') and not provider.get('targetStorageAccountId'):
        raise bad_request('InvalidProviderInput', 'Give targetAzureV2ResourceGroupId (managed disks) or targetStorageAccountId.')
    _check_vm_size(provider.get('targetVmSize'))
    details = {'instanceType': HYPERV_AZURE, 'vmId': item['name'],
               'recoveryAzureVmName': provider.get('targetAzureVmName') or item['properties']['friendlyName'],
               'recoveryAzureStorageAccount': provider.get('targetStorageAccountId'),
               'recoveryAzureLogStorageAccountId': provider.get('logStorageAccountId'),
               'recoveryAzureResourceGroupId': provider.get('targetAzureV2ResourceGroupId'),
               'selectedRecoveryAzureNetworkId': provider.get('targetAzureNetworkId'), 'selectedSourceNicId': nics[0]['id'] if nics else None,
               'recoveryAzureVMSize': provider.get('targetVmSize'),
               'vmNics': [_vm_nic(nic, provider.get('targetAzureNetworkId'), provider.get('targetAzureSubnetId')) for nic in nics],
               'targetAzureSubnetId': provider.get('targetAzureSubnetId'), 'useManagedDisks': provider.get('useManagedDisks', 'true'),
               'osDetails': copy.deepcopy(item['properties']['customDetails']['osDetails']), 'lastReplicatedTime': None,
               'initialReplicationDetails': {'initialReplicationType': 'InitialReplication', 'initialReplicationProgressPercentage': 0},
               'vmProtectionState': 'InitialReplicationInProgress', 'vmProtectionStateDescription': 'Initial replication in progress'}
    sides = {'primaryFabricProvider': 'HyperVSite', 'recoveryFabricFriendlyName': AZURE_CONTAINER, 'recoveryFabricId': AZURE_CONTAINER,
             'recoveryProtectionContainerFriendlyName': AZURE_CONTAINER}
    return details, sides


def _vm_nic(nic: dict, network_id: typing.Optional[str], subnet: typing.Optional[str]) -> dict:
    """VMNicDetails of a source network adapter once protected: it fails over to the selected network, dynamic address."""
    return {'nicId': nic['id'], 'vMNetworkName': nic['network'], 'recoveryVMNetworkId': network_id, 'selectionType': 'SelectedByDefault',
            'ipConfigs': [{'name': 'ipconfig1', 'isPrimary': True, 'subnetName': None, 'staticIPAddress': None, 'ipAddressType': 'Dynamic',
                           'isSeletedForFailover': True, 'recoverySubnetName': subnet, 'recoveryStaticIPAddress': None, 'recoveryIPAddressType': 'Dynamic'}]}


def _check_vm_size(size: typing.Optional[str]) -> None:
    """Azure VM sizes are named <tier>_<size> (Standard_D2s_v3, Basic_A1); whether the region offers one is not modelled."""
    if size is not None and (not isinstance(size, str) or not re.match(r'^(Standard|Basic)_[A-Za-z0-9_]+$', size)):
        raise bad_request('InvalidRecoveryAzureVmSize', "'%s' is not an Azure virtual machine size." % size)


def update_protection(vault: 'Vault', item: dict, body: dict) -> 'Operation':
    """updateProtectedItem (PATCH, UpdateReplicationProtectedItemInput) of a Hyper-V to Azure item: the Azure VM's name, size, network
    and, per source network adapter, the subnet and static address it gets at failover."""
    properties = body.get('properties') or {}
    details = item['properties']['providerSpecificDetails']
    if details['instanceType'] != HYPERV_AZURE:
        raise bad_request('OperationNotSupported', "'%s' replicates with %s; its Azure virtual machine settings cannot be updated." % (
            item['properties']['friendlyName'], details['instanceType']))
    given = properties.get('providerSpecificDetails')
    if given is not None and given.get('instanceType') != HYPERV_AZURE:
        raise bad_request('InvalidProviderInput', "providerSpecificDetails.instanceType must be '%s'." % HYPERV_AZURE)
    if item['properties']['activeLocation'] != 'Primary':
        raise bad_request('OperationNotAllowed', "'%s' is failed over to Azure; update its settings once it is protected again." % (
            item['properties']['friendlyName']))
    _check_vm_size(properties.get('recoveryAzureVMSize'))
    nics = {nic['nicId'].lower(): nic for nic in details.get('vmNics') or []}
    changes = []
    for nic_input in properties.get('vmNics') or []:
        nic = nics.get((nic_input.get('nicId') or '').lower())
        if nic is None:
            raise bad_request('InvalidNicId', "Network adapter '%s' is not a network adapter of '%s' (its adapters: %s)." % (
                nic_input.get('nicId'), item['properties']['friendlyName'], ', '.join(n['nicId'] for n in details.get('vmNics') or []) or 'none'))
        for config in nic_input.get('ipConfigs') or []:
            address = config.get('recoveryStaticIPAddress')
            if address:
                try:
                    ipaddress.IPv4Address(address)
                except ValueError:
                    raise bad_request('InvalidStaticIpAddress', "'%s' is not an IPv4 address." % address) from None
        changes.append((nic, nic_input))

    def apply() -> dict:
        for key, detail in (('recoveryAzureVMName', 'recoveryAzureVmName'), ('recoveryAzureVMSize', 'recoveryAzureVMSize'),
                            ('selectedRecoveryAzureNetworkId', 'selectedRecoveryAzureNetworkId')):
            if properties.get(key) is not None:
                details[detail] = properties[key]
        for nic, nic_input in changes:
            nic['selectionType'] = nic_input.get('selectionType') or 'SelectedByUser'
            nic['recoveryVMNetworkId'] = details['selectedRecoveryAzureNetworkId']
            for config in nic_input.get('ipConfigs') or []:
                target = next((c for c in nic['ipConfigs'] if c['name'] == config.get('ipConfigName')), nic['ipConfigs'][0])
                address = config.get('recoveryStaticIPAddress') or None
                target.update(recoverySubnetName=config.get('recoverySubnetName'), recoveryStaticIPAddress=address,
                              recoveryIPAddressType='Static' if address else 'Dynamic')
        vault.record('UpdateVmProperties', item)
        return public(item)
    return vault.start('UpdateVmProperties', 'Update the virtual machine', item, apply)


def add_protectable_vms(vault: 'Vault', container: dict, provider_id: str, vms: list, providers: list) -> None:
    """The VMs of a Hyper-V host (or of a VMM cloud) as protectable items of the container; a VM already there is kept.

    A VM's network adapters (``nics``: [{network}], one on 'External' when not given) are what the host reports; they appear as the
    protected item's vmNics."""
    items = vault.protectable.setdefault(container['id'].lower(), {})
    for vm in vms:
        vm_id = vm.get('id') or str(uuid.uuid4())
        disk_id = vm.get('vhd_id') or str(uuid.uuid4())
        item_id = '%s/replicationProtectableItems/%s' % (container['id'], vm_id)
        vault.source_nics.setdefault(item_id.lower(), [{'id': nic.get('id') or str(uuid.uuid5(uuid.NAMESPACE_URL, '%s/nic%d' % (vm_id, index))),
                                                        'network': nic.get('network', 'External')}
                                                       for index, nic in enumerate(vm.get('nics') or [{}])])
        items.setdefault(vm_id.lower(), {
            'id': '%s/replicationProtectableItems/%s' % (container['id'], vm_id), 'name': vm_id,
            'type': '%s/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectableItems' % PROVIDER,
            'properties': {'friendlyName': vm['name'], 'protectionStatus': 'Unprotected', 'replicationProtectedItemId': None,
                           'recoveryServicesProviderId': provider_id, 'protectionReadinessErrors': [],
                           'supportedReplicationProviders': list(providers),
                           'customDetails': {'instanceType': 'HyperVVirtualMachine', 'sourceItemId': vm_id,
                                             'generation': str(vm.get('generation', 2)),
                                             'osDetails': {'osType': vm.get('os_type', 'Windows')},
                                             'diskDetails': [{'vhdId': disk_id, 'vhdName': '%s.vhdx' % vm['name'], 'maxSizeMB': 40960,
                                                              'vhdType': 'OperatingSystem'}]}},
        })


def require_operation(item: dict, operation: str) -> None:
    allowed = item['properties']['allowedOperations']
    if operation not in allowed:
        raise bad_request('OperationNotAllowed', "Operation '%s' is not allowed for '%s' in state '%s'; allowed operations: %s." % (
            operation, item['properties']['friendlyName'], item['properties']['protectionState'], ', '.join(allowed) or 'none'))


def set_protection_state(item: dict, state: str, description: str) -> None:
    properties = item['properties']
    properties.update(protectionState=state, protectionStateDescription=description)
    table = PROVIDER_ALLOWED_OPERATIONS.get(properties['providerSpecificDetails']['instanceType'], ALLOWED_OPERATIONS)
    allowed = list(table.get(state, []))
    if item.get(RESYNC_KEY) and state == 'Protected':
        allowed.append('RepairReplication')
    if properties['testFailoverState'] != 'None':
        allowed = ['TestFailoverCleanup'] + [op for op in allowed if op in ('DisableProtection',)]
    properties['allowedOperations'] = allowed


def _advance_initial_replication(item: dict) -> bool:
    """True when the item's initial replication has just finished."""
    if item['properties']['protectionState'] != 'InitialReplicationInProgress':
        return False
    details = item['properties']['providerSpecificDetails']
    now, due = time.monotonic(), item.get('initialReplicationDue', 0)
    if now < due:
        # The copy advances evenly over the lab's initial replication time (initialReplicationProgressPercentage, documented as the
        # initial replication's progress; how Azure paces it is not documented).
        started = item.get('initialReplicationStarted', now)
        details['initialReplicationDetails']['initialReplicationProgressPercentage'] = min(99, int(100 * (now - started) / (due - started)))
        return False
    details['initialReplicationDetails']['initialReplicationProgressPercentage'] = 100
    details.update(vmProtectionState='Protected', vmProtectionStateDescription='Protected', lastReplicatedTime=_now())
    set_protection_state(item, 'Protected', 'Protected')
    return True


def public(item: dict) -> dict:
    """A protected item as the REST API returns it (without the lab's bookkeeping)."""
    return dict((key, copy.deepcopy(value)) for key, value in item.items()
                if key not in ('initialReplicationDue', 'initialReplicationStarted', recovery_points.DATA_KEY, RESYNC_KEY))


class FailoverActions:
    """The failover state machine of one protected item (Hyper-V to Azure)."""

    SCENARIOS = {'testFailover': 'TestFailover', 'testFailoverCleanup': 'TestFailoverCleanup', 'plannedFailover': 'PlannedFailover',
                 'unplannedFailover': 'UnplannedFailover', 'failoverCommit': 'CommitFailover', 'reProtect': 'ReverseReplicate',
                 'applyRecoveryPoint': 'ApplyRecoveryPoint', 'repairReplication': 'RepairReplication'}
    FRIENDLY = {'testFailover': 'Test failover', 'testFailoverCleanup': 'Cleanup test failover', 'plannedFailover': 'Planned failover',
                'unplannedFailover': 'Unplanned failover', 'failoverCommit': 'Commit', 'reProtect': 'Reverse replicate',
                'applyRecoveryPoint': 'Change recovery point', 'repairReplication': 'Resynchronize'}
    DIRECTIONS = ('PrimaryToRecovery', 'RecoveryToPrimary')
    # The applyRecoveryPoint provider input of this replication provider (ApplyRecoveryPointProviderSpecificInput.instanceType).
    APPLY_POINT_INPUT = HYPERV_AZURE

    def __init__(self, item: dict, properties: dict, vault: typing.Optional['Vault'] = None, point_type: typing.Optional[str] = None) -> None:
        self.item = item
        self.properties = properties
        self.vault = vault
        # A recovery plan's failover names a kind of recovery point (RecoveryPlanHyperVReplicaAzureFailoverInput.recoveryPointType).
        self.point_type = point_type
        # A failback optimized for downtime synchronizes first and waits for the user to complete it (Pause).
        self.pause: typing.Optional[Pause] = None

    def validate(self, action: str) -> typing.Callable[[], None]:
        validator = getattr(self, '_' + action, None)
        if validator is None:
            raise not_found('Action', action)
        return validator()

    def _direction(self) -> str:
        direction = self.properties.get('failoverDirection') or 'PrimaryToRecovery'
        if direction not in self.DIRECTIONS:
            raise bad_request('InvalidFailoverDirection', "failoverDirection must be one of %s." % ', '.join(self.DIRECTIONS))
        return direction

    def _testFailover(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name  # REST action names
        require_operation(self.item, 'TestFailover')
        if self.properties.get('networkType') == 'VmNetworkAsInput' and not self.properties.get('networkId'):
            raise bad_request('InvalidTestFailoverNetwork', 'networkId is required when networkType is VmNetworkAsInput.')

        def change() -> None:
            self.item['properties'].update(testFailoverState='TestFailoverCompleted', testFailoverStateDescription='Cleanup pending',
                                           lastSuccessfulTestFailoverTime=_now())
            set_protection_state(self.item, self.item['properties']['protectionState'], self.item['properties']['protectionStateDescription'])
        return change

    def _testFailoverCleanup(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        require_operation(self.item, 'TestFailoverCleanup')

        def change() -> None:
            self.item['properties'].update(testFailoverState='None', testFailoverStateDescription='None')
            set_protection_state(self.item, self.item['properties']['protectionState'], self.item['properties']['protectionStateDescription'])
        return change

    def _failover(self, operation: str) -> typing.Callable[[], None]:
        require_operation(self.item, operation)
        direction = self._direction()
        location = self.item['properties']['activeLocation']
        expected = 'PrimaryToRecovery' if location == 'Primary' else 'RecoveryToPrimary'
        if direction != expected:
            raise bad_request('InvalidFailoverDirection', "The virtual machine is active on '%s'; failoverDirection must be %s." % (location, expected))
        to_azure = direction == 'PrimaryToRecovery'
        source = 'Primary' if to_azure else 'Recovery'
        # Planned: the source shuts down and sends what is left, nothing is lost. Unplanned: the target starts from a recovery point.
        point = None if operation == 'PlannedFailover' else recovery_points.chosen(self.item, self._point_id(), self.point_type)

        if operation == 'PlannedFailover' and not to_azure and self._data_sync() == 'ForDownTime':
            # Seed 004 / Az's -Optimize ForDownTime: the data is synchronized while the Azure VM runs, then the job is suspended;
            # resumed, it shuts the Azure VM down, copies the last changes and fails over.
            self.pause = Pause(lambda: recovery_points.synchronize(self.item, source), 'Synchronize data while the Azure VM runs',
                               'Shut down the Azure VM, synchronize the last changes and fail back')

        def change() -> None:
            if operation == 'PlannedFailover':
                recovery_points.synchronize(self.item, source)
            else:
                recovery_points.bring_online(self.item, recovery_points.other(source), point)
            self.item['properties'].update(activeLocation='Recovery' if to_azure else 'Primary', lastSuccessfulFailoverTime=_now())
            if to_azure:
                set_protection_state(self.item, 'FailoverCompleted', 'Failover completed; commit pending')
            else:
                set_protection_state(self.item, 'FailbackCompleted', 'Failback completed; commit pending')
        return change

    def _data_sync(self) -> typing.Optional[str]:
        """HyperVReplicaAzureFailbackProviderInput.dataSyncOption of a failback (ForDownTime or ForSynchronization)."""
        return (self.properties.get('providerSpecificDetails') or {}).get('dataSyncOption')

    def _point_id(self) -> typing.Optional[str]:
        """The recovery point a failover input names (HyperVReplicaAzure failover inputs carry recoveryPointId)."""
        return (self.properties.get('providerSpecificDetails') or {}).get('recoveryPointId')

    def _plannedFailover(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        return self._failover('PlannedFailover')

    def _unplannedFailover(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        return self._failover('UnplannedFailover')

    def _failoverCommit(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        require_operation(self.item, 'Commit')

        def change() -> None:
            recovery_points.clear(self.item)
            if self.item['properties']['activeLocation'] == 'Recovery':
                set_protection_state(self.item, 'FailoverCommitted', 'Failover committed')
            else:
                set_protection_state(self.item, 'FailbackCommitted', 'Failback committed; reverse replication pending')
        return change

    def _reProtect(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        require_operation(self.item, 'ReverseReplicate')
        if self._direction() != 'PrimaryToRecovery':
            raise bad_request('InvalidFailoverDirection',
                              'Hyper-V to Azure replicates again from the primary site: failoverDirection must be PrimaryToRecovery.')

        def change() -> None:
            recovery_points.synchronize(self.item, self.item['properties']['activeLocation'])
            set_protection_state(self.item, 'Protected', 'Protected')
        return change

    def _applyRecoveryPoint(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        """Before the commit, bring the VM up from another recovery point (the portal's "Change recovery point")."""
        require_operation(self.item, 'ChangePit')
        given = self.properties.get('providerSpecificDetails')
        if given is None or given.get('instanceType') not in (self.APPLY_POINT_INPUT,):
            raise bad_request('InvalidProviderInput', "providerSpecificDetails.instanceType must be %s for '%s'; got %r." % (
                self.APPLY_POINT_INPUT, self.item['properties']['friendlyName'], None if given is None else given.get('instanceType')))
        if not self.properties.get('recoveryPointId'):
            raise bad_request('InvalidRecoveryPointId', 'recoveryPointId is required to apply a recovery point.')
        point = recovery_points.point(self.item, self.properties['recoveryPointId'])

        def change() -> None:
            recovery_points.bring_online(self.item, self.item['properties']['activeLocation'], point)
        return change

    def _repairReplication(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        """Resynchronize an item marked for it (seed 004: only the differing blocks are sent, then delta replication goes on)."""
        require_operation(self.item, 'RepairReplication')

        def change() -> None:
            self.item.pop(RESYNC_KEY, None)
            recovery_points.synchronize(self.item, self.item['properties']['activeLocation'])
            self.item['properties'].update(replicationHealth='Normal', healthErrors=[])
            set_protection_state(self.item, self.item['properties']['protectionState'], self.item['properties']['protectionStateDescription'])
        return change


class AzureWorld:
    """The subscription, its service principal and its vaults (thread-safe through ``lock``)."""

    def __init__(self, subscription_id: str, tenant_id: str, client_id: str, client_secret: str) -> None:
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.RLock()
        self.settings = {'job_seconds': 1.0, 'poll_seconds': 1, 'initial_replication_seconds': 0.0}
        self.vaults: dict = {}

    def create_vault(self, resource_group: str, name: str, location: str = 'westeurope') -> Vault:
        key = (resource_group.lower(), name.lower())
        if key not in self.vaults:
            self.vaults[key] = Vault(self.subscription_id, resource_group, name, location, self.settings)
        return self.vaults[key]

    def vault(self, subscription_id: str, resource_group: str, name: str) -> Vault:
        if subscription_id.lower() != self.subscription_id.lower():
            raise AzureError(404, 'SubscriptionNotFound', "The subscription '%s' could not be found." % subscription_id)
        try:
            vault = self.vaults[(resource_group.lower(), name.lower())]
        except KeyError:
            raise AzureError(404, 'ResourceNotFound', "The Resource '%s/vaults/%s' under resource group '%s' was not found." % (
                PROVIDER, name, resource_group)) from None
        vault.settle()
        return vault

    def reset(self) -> None:
        self.vaults.clear()
        self.settings.update(job_seconds=1.0, poll_seconds=1, initial_replication_seconds=0.0)

    def snapshot(self) -> dict:
        """Everything, as JSON, for tests to assert against (with the lab's records: events, each item's data and recovery points)."""
        from hvlab.azure import plans  # pylint: disable=import-outside-toplevel  # plans builds on this module
        result = {}
        for vault in self.vaults.values():
            vault.settle()
            result['%s/%s' % (vault.resource_group, vault.name)] = {
                'fabrics': copy.deepcopy(list(vault.fabrics.values())),
                'containers': copy.deepcopy(vault.all_containers()),
                'policies': copy.deepcopy(list(vault.policies.values())),
                'mappings': copy.deepcopy([m for ms in vault.mappings.values() for m in ms.values()]),
                'networks': copy.deepcopy([n for ns in vault.networks.values() for n in ns.values()]),
                'network_mappings': copy.deepcopy([m for ms in vault.network_mappings.values() for m in ms.values()]),
                'protected_items': [public(i) for items in vault.protected.values() for i in items.values()],
                'protectable_items': copy.deepcopy([i for items in vault.protectable.values() for i in items.values()]),
                'jobs': copy.deepcopy(vault.jobs()),
                'recovery_plans': [plans.document(vault, plan) for plan in vault.plans.values()],
                'events': copy.deepcopy(vault.events),
                'data': [recovery_points.summary(i) for items in vault.protected.values() for i in items.values()],
            }
        return result


def _policy_details(settings: dict) -> dict:
    """HyperVReplicaAzurePolicyDetails from HyperVReplicaAzurePolicyInput, refusing what Site Recovery refuses."""
    if settings.get('instanceType') in POLICY_DETAILS:  # other replication providers (hvlab.azure.vmm: HyperVReplica2012R2)
        return POLICY_DETAILS[settings['instanceType']](settings)
    if settings.get('instanceType') != HYPERV_AZURE:
        raise bad_request('InvalidReplicationProvider', "providerSpecificInput.instanceType '%s' is not supported here; use %s." % (
            settings.get('instanceType'), HYPERV_AZURE))
    interval = settings.get('replicationInterval', 300)
    if interval not in REPLICATION_INTERVALS:
        raise bad_request('InvalidReplicationInterval', 'Replication interval %s is not valid; allowed values (seconds): %s.' % (
            interval, ', '.join(str(v) for v in REPLICATION_INTERVALS)))
    retention = settings.get('recoveryPointHistoryDuration', 2)
    if not isinstance(retention, int) or not 0 <= retention <= MAX_RETENTION_HOURS:
        raise bad_request('InvalidRecoveryPointRetention', 'Recovery point retention must be 0 to %d hours; got %s.' % (MAX_RETENTION_HOURS, retention))
    snapshots = settings.get('applicationConsistentSnapshotFrequencyInHours', 0)
    if not isinstance(snapshots, int) or not 0 <= snapshots <= MAX_APP_CONSISTENT_HOURS or (snapshots and snapshots > retention):
        raise bad_request('InvalidAppConsistentFrequency', 'App-consistent snapshot frequency must be 0 to %d hours and not exceed the retention '
                          '(%s hours); got %s.' % (MAX_APP_CONSISTENT_HOURS, retention, snapshots))
    return {'instanceType': HYPERV_AZURE, 'recoveryPointHistoryDurationInHours': retention, 'applicationConsistentSnapshotFrequencyInHours': snapshots,
            'replicationInterval': interval, 'onlineReplicationStartTime': settings.get('onlineReplicationStartTime'), 'encryption': 'Disable',
            'activeStorageAccountId': (settings.get('storageAccounts') or [None])[0]}
