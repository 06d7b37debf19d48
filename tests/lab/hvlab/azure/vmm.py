# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMM fabrics of the fake Azure: VMM to a secondary site (on-premises replication) and VM network mapping (no network).

Resources have the JSON shapes of the public REST specification (azure-rest-api-specs, ``recoveryservicessiterecovery``):
- A VMM server registers with the vault (``register_vmm``, what the Site Recovery provider on the VMM server does; lab
  control only) as a replication fabric with ``customDetails.instanceType = VMM``; its clouds become protection containers
  (``fabricType VMM``) and its VM networks ``replicationNetworks`` (``fabricType VMM``, ``networkType VmNetwork``, subnets).
- A replication policy of provider ``HyperVReplica2012R2`` (HyperVReplicaBluePolicyInput) is validated as the service
  documents it: replicationFrequencyInSeconds 30 / 300 / 900, recoveryPoints 0-24, app-consistent snapshots 0-12 hours and
  not more than the recovery points, compression Enable / Disable, initialReplicationMethod OverNetwork / Offline (Offline
  needs the export and import paths and takes no online start time), replicationPort 1-65535, allowedAuthenticationType
  1 (Kerberos) / 2 (certificate), replicaDeletion None / OnRecoveryCloud.
- A protection container mapping pairs a VMM cloud with another VMM cloud under a ``HyperVReplica2012R2`` policy, or with
  ``Microsoft Azure`` under a ``HyperVReplicaAzure`` policy; any other combination is a 400.
- A network mapping (``replicationNetworkMappings`` under the primary network) maps a VM network of a VMM fabric to a VM
  network of a VMM fabric (``VmmToVmm``) or to an Azure virtual network (``VmmToAzure``, recovery fabric ``Microsoft Azure``).
  An unknown fabric or network is a 404; a mapping across incompatible fabrics (a Hyper-V site, Azure for VmmToVmm, a VMM
  fabric for VmmToAzure) a 400; a second mapping of one primary network a 409.
- A VMM cloud's VMs are its protectable items (``register_vmm`` with ``vms`` per cloud). Enabling protection under a
  ``HyperVReplica2012R2`` policy needs the cloud's container mapping with that policy (a VMM cloud to a VMM cloud) and no
  providerSpecificDetails (the SDK has no HyperVReplica2012R2 enable-protection input); the protected item carries
  ``HyperVReplicaBlueReplicationDetails`` (instanceType ``HyperVReplica2012R2``), the recovery VMM fabric and cloud, and goes
  through initial replication to ``Protected``.
- Failover between VMM sites follows the Hyper-V to Azure state machine of hvlab.azure.asr, except that a test failover
  attaches the test VM to a VM network of the site it starts on (``VmNetworkAsInput``) or to none (``NoNetworkAttachAsInput``),
  a committed failover allows reverse replication (reProtect, failoverDirection ``RecoveryToPrimary``) before the failback,
  and reverse replication after a failback goes ``PrimaryToRecovery`` again. Applying another recovery point before the commit takes a
  providerSpecificDetails without instanceType: the SDK has no HyperVReplica2012R2 subtype, and Azure PowerShell sends the base input.
Writes are asynchronous operations of the vault (202 + Azure-AsyncOperation), like every other write of the fake Azure.
"""

import re
import typing
import uuid

from hvlab.azure import recovery_points
from hvlab.azure.asr import (ALLOWED_OPERATIONS, AZURE_CONTAINER, HYPERV_AZURE, POLICY_DETAILS, PROTECTION_PROVIDERS, PROVIDER,
                             PROVIDER_ALLOWED_OPERATIONS, PROVIDER_FAILOVER_ACTIONS, REPLICATION_INTERVALS, AzureError, FailoverActions, Vault,
                             add_protectable_vms, bad_request, not_found, require_operation, set_protection_state)

HYPERV_REPLICA = 'HyperVReplica2012R2'
VMM = 'VMM'
MAX_RECOVERY_POINTS = 24
MAX_APP_CONSISTENT_HOURS = 12
AUTHENTICATION_TYPES = (1, 2)   # 1 = Kerberos, 2 = certificate
INITIAL_REPLICATION_METHODS = ('OverNetwork', 'Offline')
COMPRESSION = ('Enable', 'Disable')
REPLICA_DELETION = ('None', 'OnRecoveryCloud')
NETWORK_TYPE = '%s/vaults/replicationFabrics/replicationNetworks' % PROVIDER
MAPPING_TYPE = NETWORK_TYPE + '/replicationNetworkMappings'
AZURE_VNET = re.compile(r'^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$', re.IGNORECASE)


# ---------------------------------------------------------------------- VMM server registration (lab control)

def register_vmm(vault: Vault, body: dict) -> dict:
    """A VMM server joins the vault: its fabric, clouds (protection containers) and VM networks; idempotent by fabric name.

    body: {fabric, server, clouds: [name | {name, id?, vms: [{name, id?, os_type?}]}], networks: [{name, id?, subnets: [{name, addresses}]}]}.
    A cloud's VMs (on the hosts of the cloud) are its protectable items, for VMM to VMM (HyperVReplica2012R2) or to Azure.
    """
    name = body['fabric']
    fabric = vault.fabrics.get(name.lower())
    if fabric is None:
        fabric = vault.fabrics[name.lower()] = {
            'id': '%s/replicationFabrics/%s' % (vault.id, name), 'name': name, 'type': '%s/vaults/replicationFabrics' % PROVIDER,
            'location': vault.location,
            'properties': {'friendlyName': body.get('server') or name, 'encryptionDetails': {'kekState': 'None'},
                           'internalIdentifier': str(uuid.uuid4()), 'bcdrState': 'Valid', 'customDetails': {'instanceType': VMM},
                           'healthErrorDetails': [], 'health': 'Normal'},
        }
    elif fabric['properties']['customDetails']['instanceType'] != VMM:
        raise AzureError(409, 'FabricTypeMismatch', "Fabric '%s' exists with type %s." % (name, fabric['properties']['customDetails']['instanceType']))
    containers = vault.containers.setdefault(name.lower(), {})
    for cloud in body.get('clouds', []):
        cloud = cloud if isinstance(cloud, dict) else {'name': cloud}
        container = next((c for c in containers.values() if c['properties']['friendlyName'].lower() == cloud['name'].lower()), None)
        if container is None:
            container = _new_cloud(vault, fabric, cloud)
            containers[container['name'].lower()] = container
        add_protectable_vms(vault, container, fabric['properties']['internalIdentifier'], cloud.get('vms', []), [HYPERV_REPLICA, HYPERV_AZURE])
    networks = vault.networks.setdefault(name.lower(), {})
    for network in body.get('networks', []):
        if any(n['properties']['friendlyName'].lower() == network['name'].lower() for n in networks.values()):
            continue
        network_name = network.get('id') or str(uuid.uuid4())
        subnets = [{'name': subnet['name'], 'friendlyName': subnet['name'], 'addressList': list(subnet.get('addresses', []))}
                   for subnet in network.get('subnets', [])]
        networks[network_name.lower()] = {
            'id': '%s/replicationNetworks/%s' % (fabric['id'], network_name), 'name': network_name, 'type': NETWORK_TYPE,
            'location': vault.location,
            'properties': {'fabricType': VMM, 'friendlyName': network['name'], 'networkType': 'VmNetwork', 'subnets': subnets},
        }
    return {'fabric': fabric, 'containers': list(containers.values()), 'networks': list(networks.values())}


def unregister_vmm(vault: Vault, fabric_name: str) -> None:
    """A VMM server leaves the vault: its fabric, clouds (with their protectable items and pairings) and VM networks go."""
    fabric = vault.fabric(fabric_name)
    for container in vault.containers.pop(fabric_name.lower(), {}).values():
        key = container['id'].lower()
        vault.protectable.pop(key, None)
        vault.mappings.pop(key, None)
        vault.protected.pop(key, None)
    for network in vault.networks.pop(fabric_name.lower(), {}).values():
        vault.network_mappings.pop(network['id'].lower(), None)
    vault.vmm_providers.pop(fabric_name.lower(), None)
    vault.fabrics.pop(fabric['name'].lower(), None)


def _new_cloud(vault: Vault, fabric: dict, cloud: dict) -> dict:
    container_name = cloud.get('id') or 'cloud_%s' % uuid.uuid4()
    return {'id': '%s/replicationProtectionContainers/%s' % (fabric['id'], container_name), 'name': container_name,
            'type': '%s/vaults/replicationFabrics/replicationProtectionContainers' % PROVIDER, 'location': vault.location,
            'properties': {'fabricFriendlyName': fabric['properties']['friendlyName'], 'friendlyName': cloud['name'], 'fabricType': VMM,
                           'protectedItemCount': 0, 'pairingStatus': 'NotPaired', 'role': '', 'fabricSpecificDetails': None}}


def fabric_type(fabric: dict) -> str:
    return fabric['properties']['customDetails']['instanceType']


# ---------------------------------------------------------------------- HyperVReplica2012R2 policies

def _in(settings: dict, key: str, allowed: tuple, default: typing.Any) -> typing.Any:
    value = settings.get(key, default)
    if value not in allowed:
        raise bad_request('InvalidParameterValue', '%s %r is not valid; allowed values: %s.' % (key, value, ', '.join(str(v) for v in allowed)))
    return value


def replica_policy_details(settings: dict) -> dict:
    """HyperVReplicaBluePolicyDetails from HyperVReplicaBluePolicyInput, refusing what Site Recovery refuses."""
    interval = _in(settings, 'replicationFrequencyInSeconds', REPLICATION_INTERVALS, 300)
    points = settings.get('recoveryPoints', 0)
    if not isinstance(points, int) or not 0 <= points <= MAX_RECOVERY_POINTS:
        raise bad_request('InvalidRecoveryPoints', 'recoveryPoints must be 0 to %d; got %s.' % (MAX_RECOVERY_POINTS, points))
    snapshots = settings.get('applicationConsistentSnapshotFrequencyInHours', 0)
    if not isinstance(snapshots, int) or not 0 <= snapshots <= MAX_APP_CONSISTENT_HOURS or (snapshots and snapshots > points):
        raise bad_request('InvalidAppConsistentFrequency', 'App-consistent snapshot frequency must be 0 to %d hours and not exceed the recovery '
                          'points (%s); got %s.' % (MAX_APP_CONSISTENT_HOURS, points, snapshots))
    method = _in(settings, 'initialReplicationMethod', INITIAL_REPLICATION_METHODS, 'OverNetwork')
    paths = (settings.get('offlineReplicationExportPath'), settings.get('offlineReplicationImportPath'))
    if method == 'Offline' and not all(paths):
        raise bad_request('InvalidOfflineReplicationPaths', 'Offline initial replication needs offlineReplicationExportPath and offlineReplicationImportPath.')
    if method == 'Offline' and settings.get('onlineReplicationStartTime'):
        raise bad_request('InvalidParameterValue', 'onlineReplicationStartTime applies to initialReplicationMethod OverNetwork only.')
    port = settings.get('replicationPort')
    if not isinstance(port, int) or not 0 < port < 65536:
        raise bad_request('InvalidReplicationPort', 'replicationPort must be a TCP port (1-65535); got %s.' % port)
    return {'instanceType': HYPERV_REPLICA, 'replicationFrequencyInSeconds': interval, 'recoveryPoints': points,
            'applicationConsistentSnapshotFrequencyInHours': snapshots,
            'compression': _in(settings, 'compression', COMPRESSION, 'Enable'), 'initialReplicationMethod': method,
            'onlineReplicationStartTime': settings.get('onlineReplicationStartTime') if method == 'OverNetwork' else None,
            'offlineReplicationExportPath': paths[0] if method == 'Offline' else None,
            'offlineReplicationImportPath': paths[1] if method == 'Offline' else None, 'replicationPort': port,
            'allowedAuthenticationType': _in(settings, 'allowedAuthenticationType', AUTHENTICATION_TYPES, None),
            'replicaDeletionOption': _in(settings, 'replicaDeletion', REPLICA_DELETION, 'None')}


POLICY_DETAILS[HYPERV_REPLICA] = replica_policy_details


# ---------------------------------------------------------------------- protection container mappings of VMM clouds

def _container_by_id(vault: Vault, container_id: str) -> dict:
    for container in vault.all_containers():
        if container['id'].lower() == (container_id or '').lower():
            return container
    raise not_found('Protection container', container_id)


def create_container_mapping(vault: Vault, fabric_name: str, container_name: str, name: str, body: dict) -> typing.Any:
    """PUT of a protection container mapping: VMM cloud -> VMM cloud here, anything -> Microsoft Azure by the vault."""
    container = vault.container(fabric_name, container_name)
    properties = body.get('properties') or {}
    policy = vault.policy_by_id(properties.get('policyId'))
    provider = policy['properties']['providerSpecificDetails']['instanceType']
    target_id = properties.get('targetProtectionContainerId')
    if target_id == AZURE_CONTAINER:
        if provider != HYPERV_AZURE:
            raise bad_request('InvalidPolicyForTarget', "Replication to '%s' needs a %s policy; policy '%s' is %s." % (
                AZURE_CONTAINER, HYPERV_AZURE, policy['name'], provider))
        return vault.create_mapping(fabric_name, container_name, name, body)
    if container['properties']['fabricType'] != VMM:
        raise bad_request('InvalidTargetContainer', "Hyper-V sites replicate to '%s'; got targetProtectionContainerId '%s'." % (AZURE_CONTAINER, target_id))
    target = _container_by_id(vault, target_id)
    if target['properties']['fabricType'] != VMM or target['id'].lower() == container['id'].lower():
        raise bad_request('InvalidTargetContainer', "A VMM cloud replicates to another VMM cloud or to '%s'; got '%s'." % (AZURE_CONTAINER, target_id))
    if provider != HYPERV_REPLICA:
        raise bad_request('InvalidPolicyForTarget', "Replication between VMM clouds needs a %s policy; policy '%s' is %s." % (
            HYPERV_REPLICA, policy['name'], provider))
    mapping_id = '%s/replicationProtectionContainerMappings/%s' % (container['id'], name)

    def apply() -> dict:
        mapping = {'id': mapping_id, 'name': name, 'type': '%s/vaults/replicationFabrics/replicationProtectionContainers/'
                   'replicationProtectionContainerMappings' % PROVIDER, 'location': vault.location,
                   'properties': {'targetProtectionContainerId': target['id'], 'targetProtectionContainerFriendlyName': target['properties']['friendlyName'],
                                  'providerSpecificDetails': {'instanceType': 'ProtectionContainerMappingProviderSpecificDetails'},
                                  'health': 'Normal', 'healthErrorDetails': [], 'policyId': policy['id'], 'state': 'Paired',
                                  'sourceProtectionContainerFriendlyName': container['properties']['friendlyName'],
                                  'sourceFabricFriendlyName': container['properties']['fabricFriendlyName'],
                                  'targetFabricFriendlyName': target['properties']['fabricFriendlyName'], 'policyFriendlyName': policy['name']}}
        vault.mappings_of(container)[name.lower()] = mapping
        container['properties'].update(pairingStatus='Paired', role='Primary')
        target['properties'].update(pairingStatus='Paired', role='Recovery')
        return mapping
    return vault.start('ConfigureProtection', 'Associate replication policy', {'id': mapping_id, 'name': name, 'type': 'ProtectionContainerMapping'}, apply)


# ---------------------------------------------------------------------- protected items of VMM clouds (VMM to VMM)

def replica_protection(vault: Vault, container: dict, item: dict, policy: dict, properties: dict) -> typing.Tuple[dict, dict]:
    """Enable protection of a VM of a VMM cloud under a HyperVReplica2012R2 policy: HyperVReplicaBlueReplicationDetails and the recovery side.

    The SDK has no HyperVReplica2012R2 EnableProtectionProviderSpecificInput: providerSpecificDetails is absent (or null); the recovery
    cloud is the target of the cloud's container mapping under the policy.
    """
    given = properties.get('providerSpecificDetails')
    if given:
        raise bad_request('InvalidProviderInput', "Replication between VMM clouds (%s) takes no providerSpecificDetails; got instanceType '%s'." % (
            HYPERV_REPLICA, given.get('instanceType')))
    if container['properties']['fabricType'] != VMM:
        raise bad_request('InvalidPolicyForTarget', "A %s policy protects VMs of VMM clouds; container '%s' is %s." % (
            HYPERV_REPLICA, container['name'], container['properties']['fabricType']))
    if HYPERV_REPLICA not in item['properties']['supportedReplicationProviders']:
        raise bad_request('ReplicationProviderNotSupported', "Virtual machine '%s' does not support %s." % (item['properties']['friendlyName'], HYPERV_REPLICA))
    mapping = next(m for m in vault.mappings_of(container).values() if m['properties']['policyId'].lower() == policy['id'].lower())
    target = _container_by_id(vault, mapping['properties']['targetProtectionContainerId'])
    recovery_fabric = target['id'].rsplit('/replicationProtectionContainers/', 1)[0]
    custom = item['properties']['customDetails']
    details = {'instanceType': HYPERV_REPLICA, 'vmId': custom['sourceItemId'], 'lastReplicatedTime': None, 'vmNics': [],
               'vMDiskDetails': [{'maxSizeMB': disk['maxSizeMB'], 'vhdType': disk['vhdType'], 'vhdId': disk['vhdId'], 'vhdName': disk['vhdName']}
                                 for disk in custom['diskDetails']],
               'initialReplicationDetails': {'initialReplicationType': 'InitialReplication', 'initialReplicationProgressPercentage': 0},
               'vmProtectionState': 'InitialReplicationInProgress', 'vmProtectionStateDescription': 'Initial replication in progress'}
    sides = {'primaryFabricProvider': VMM, 'recoveryFabricFriendlyName': target['properties']['fabricFriendlyName'], 'recoveryFabricId': recovery_fabric,
             'recoveryProtectionContainerFriendlyName': target['properties']['friendlyName'], 'recoveryContainerId': target['id']}
    return details, sides


# After a committed failover to the secondary site, the VM replicates back (reverse replication) before it can fail back; a failback
# committed on the primary site replicates to the secondary site again the same way.
PROVIDER_ALLOWED_OPERATIONS[HYPERV_REPLICA] = dict(ALLOWED_OPERATIONS, FailoverCommitted=['ReverseReplicate', 'DisableProtection'])


class ReplicaFailoverActions(FailoverActions):
    """Failover between VMM sites: the Hyper-V to Azure rules, with the test VM on a VM network of the site it starts on, and reverse
    replication from whichever site the VM is active on (failoverDirection RecoveryToPrimary after a failover, PrimaryToRecovery after
    a failback)."""

    APPLY_POINT_INPUT = None

    def _active_direction(self) -> str:
        return 'PrimaryToRecovery' if self.item['properties']['activeLocation'] == 'Primary' else 'RecoveryToPrimary'

    def _testFailover(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name  # REST action names
        change = super()._testFailover()
        kind = self.properties.get('networkType')
        if kind not in (None, 'VmNetworkAsInput', 'NoNetworkAttachAsInput'):
            raise bad_request('InvalidTestFailoverNetwork', "networkType must be VmNetworkAsInput or NoNetworkAttachAsInput; got '%s'." % kind)
        if kind == 'VmNetworkAsInput':
            item = self.item
            recovery = self._direction() == 'PrimaryToRecovery'
            fabric_id = item['properties']['recoveryFabricId'] if recovery else item['id'].split('/replicationProtectionContainers/', 1)[0]
            network_found = _network_by_id(self.vault, self.properties['networkId'])
            if network_found is None or not network_found['id'].lower().startswith(fabric_id.lower() + '/'):
                raise bad_request('InvalidTestFailoverNetwork', "networkId '%s' is not a VM network of the %s site '%s'." % (
                    self.properties['networkId'], 'recovery' if recovery else 'primary', fabric_id.rsplit('/', 1)[-1]))
        return change

    def _reProtect(self) -> typing.Callable[[], None]:  # pylint: disable=invalid-name
        require_operation(self.item, 'ReverseReplicate')
        expected = self._active_direction()
        if self._direction() != expected:
            raise bad_request('InvalidFailoverDirection', "The virtual machine is active on '%s'; reverse replication's failoverDirection must be %s." % (
                self.item['properties']['activeLocation'], expected))

        def change() -> None:
            recovery_points.synchronize(self.item, self.item['properties']['activeLocation'])
            set_protection_state(self.item, 'Protected', 'Protected')
        return change


PROTECTION_PROVIDERS[HYPERV_REPLICA] = replica_protection
PROVIDER_FAILOVER_ACTIONS[HYPERV_REPLICA] = ReplicaFailoverActions


# ---------------------------------------------------------------------- networks and network mappings

def networks_of(vault: Vault, fabric_name: str) -> dict:
    vault.fabric(fabric_name)
    return vault.networks.setdefault(fabric_name.lower(), {})


def network(vault: Vault, fabric_name: str, name: str) -> dict:
    try:
        return networks_of(vault, fabric_name)[name.lower()]
    except KeyError:
        raise not_found('Network', name) from None


def _network_by_id(vault: Vault, network_id: str) -> typing.Optional[dict]:
    for networks in vault.networks.values():
        for candidate in networks.values():
            if candidate['id'].lower() == (network_id or '').lower():
                return candidate
    return None


def mappings_of(vault: Vault, primary: dict) -> dict:
    return vault.network_mappings.setdefault(primary['id'].lower(), {})


def network_mapping(vault: Vault, fabric_name: str, network_name: str, name: str) -> dict:
    try:
        return mappings_of(vault, network(vault, fabric_name, network_name))[name.lower()]
    except KeyError:
        raise not_found('Network mapping', name) from None


def _recovery(vault: Vault, primary_fabric: dict, primary: dict, properties: dict) -> dict:
    """The recovery side of a network mapping input (create or update), validated; 400 across incompatible fabrics."""
    kind = (properties.get('fabricSpecificDetails') or {}).get('instanceType')
    recovery_fabric_name = properties.get('recoveryFabricName') or ''
    recovery_id = properties.get('recoveryNetworkId') or ''
    if fabric_type(primary_fabric) != VMM:
        raise bad_request('IncompatibleFabrics', "Network mapping maps VM networks of VMM fabrics; fabric '%s' is %s." % (
            primary_fabric['name'], fabric_type(primary_fabric)))
    if kind == 'VmmToAzure':
        if recovery_fabric_name.lower() != AZURE_CONTAINER.lower():
            raise bad_request('IncompatibleFabrics', "VmmToAzure maps to the recovery fabric '%s'; got '%s'." % (AZURE_CONTAINER, recovery_fabric_name))
        if not AZURE_VNET.match(recovery_id):
            raise bad_request('InvalidRecoveryNetworkId', "recoveryNetworkId must be the ARM id of an Azure virtual network; got '%s'." % recovery_id)
        return {'recoveryNetworkId': recovery_id, 'recoveryNetworkFriendlyName': recovery_id.rsplit('/', 1)[-1],
                'recoveryFabricArmId': AZURE_CONTAINER, 'recoveryFabricFriendlyName': AZURE_CONTAINER, 'fabricSpecificSettings': {'instanceType': kind}}
    if kind != 'VmmToVmm':
        raise bad_request('InvalidFabricSpecificDetails', "fabricSpecificDetails.instanceType must be VmmToVmm or VmmToAzure; got '%s'." % kind)
    if recovery_fabric_name.lower() == AZURE_CONTAINER.lower():
        raise bad_request('IncompatibleFabrics', "VmmToVmm maps to a VM network of a VMM fabric, not to '%s'." % AZURE_CONTAINER)
    recovery_fabric = vault.fabric(recovery_fabric_name)
    if fabric_type(recovery_fabric) != VMM:
        raise bad_request('IncompatibleFabrics', "VmmToVmm needs a VMM recovery fabric; fabric '%s' is %s." % (
            recovery_fabric_name, fabric_type(recovery_fabric)))
    target = _network_by_id(vault, recovery_id)
    if target is None or not target['id'].lower().startswith(recovery_fabric['id'].lower() + '/'):
        raise not_found('Network', recovery_id)
    if target['id'].lower() == primary['id'].lower():
        raise bad_request('InvalidRecoveryNetworkId', 'A VM network cannot be mapped to itself.')
    return {'recoveryNetworkId': target['id'], 'recoveryNetworkFriendlyName': target['properties']['friendlyName'],
            'recoveryFabricArmId': recovery_fabric['id'], 'recoveryFabricFriendlyName': recovery_fabric['properties']['friendlyName'],
            'fabricSpecificSettings': {'instanceType': kind}}


def create_network_mapping(vault: Vault, fabric_name: str, network_name: str, name: str, body: dict) -> typing.Any:
    primary_fabric = vault.fabric(fabric_name)
    primary = network(vault, fabric_name, network_name)
    recovery = _recovery(vault, primary_fabric, primary, body.get('properties') or {})
    existing = [m for m in mappings_of(vault, primary).values() if m['name'].lower() != name.lower()]
    if existing:
        raise AzureError(409, 'NetworkMappingAlreadyExists', "Network '%s' is already mapped by '%s'; a VM network maps to one recovery network." % (
            primary['properties']['friendlyName'], existing[0]['name']))
    mapping_id = '%s/replicationNetworkMappings/%s' % (primary['id'], name)

    def apply() -> dict:
        mapping = {'id': mapping_id, 'name': name, 'type': MAPPING_TYPE, 'location': vault.location,
                   'properties': dict(recovery, state='Paired', primaryNetworkFriendlyName=primary['properties']['friendlyName'],
                                      primaryNetworkId=primary['id'], primaryFabricFriendlyName=primary_fabric['properties']['friendlyName'])}
        mappings_of(vault, primary)[name.lower()] = mapping
        return mapping
    return vault.start('MapNetwork', 'Create network mapping', {'id': mapping_id, 'name': name, 'type': 'NetworkMapping'}, apply)


def update_network_mapping(vault: Vault, fabric_name: str, network_name: str, name: str, body: dict) -> typing.Any:
    mapping = network_mapping(vault, fabric_name, network_name, name)
    recovery = _recovery(vault, vault.fabric(fabric_name), network(vault, fabric_name, network_name), body.get('properties') or {})

    def apply() -> dict:
        mapping['properties'].update(recovery)
        return mapping
    return vault.start('UpdateNetworkMapping', 'Update network mapping', mapping, apply)


def delete_network_mapping(vault: Vault, fabric_name: str, network_name: str, name: str) -> typing.Any:
    mapping = network_mapping(vault, fabric_name, network_name, name)
    primary = network(vault, fabric_name, network_name)
    return vault.start('UnmapNetwork', 'Delete network mapping', mapping, lambda: mappings_of(vault, primary).pop(name.lower(), None))


def all_network_mappings(vault: Vault) -> list:
    return [mapping for mappings in vault.network_mappings.values() for mapping in mappings.values()]


# ---------------------------------------------------------------------- routes

def _listed(items: list) -> typing.Tuple[int, dict]:
    return 200, {'value': items, 'nextLink': None}


def route_vault(vault: Vault, method: str, parts: list) -> typing.Any:
    """GET .../vaults/<vault>/replicationNetworks and .../replicationNetworkMappings (every fabric)."""
    if method != 'GET' or len(parts) != 1:
        raise AzureError(405, 'MethodNotAllowed', method)
    if parts[0].lower() == 'replicationnetworks':
        return _listed([n for networks in vault.networks.values() for n in networks.values()])
    return _listed(all_network_mappings(vault))


def route_fabric(vault: Vault, method: str, fabric: str, parts: list, body: dict) -> typing.Any:  # pylint: disable=too-many-return-statements
    """.../replicationFabrics/<fabric>/replicationNetworks[/<network>[/replicationNetworkMappings[/<name>]]]; parts after the fabric."""
    if len(parts) == 1 and method == 'GET':
        return _listed(list(networks_of(vault, fabric).values()))
    if len(parts) == 2 and method == 'GET':
        return 200, network(vault, fabric, parts[1])
    if len(parts) < 3 or parts[2].lower() != 'replicationnetworkmappings':
        raise not_found('Resource type', '/'.join(parts))
    if len(parts) == 3 and method == 'GET':
        return _listed(list(mappings_of(vault, network(vault, fabric, parts[1])).values()))
    handlers = {'GET': lambda: (200, network_mapping(vault, fabric, parts[1], parts[3])),
                'PUT': lambda: create_network_mapping(vault, fabric, parts[1], parts[3], body),
                'PATCH': lambda: update_network_mapping(vault, fabric, parts[1], parts[3], body),
                'DELETE': lambda: delete_network_mapping(vault, fabric, parts[1], parts[3])}
    if len(parts) != 4 or method not in handlers:
        raise AzureError(405, 'MethodNotAllowed', method)
    return handlers[method]()
