# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Module results of Site Recovery resources: the REST documents reduced to what a playbook needs (shared by a module and its _info)."""

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import (
    HYPERV_REPLICA, PROVIDERS, arm_property, fabric_type, id_segment, provider_of)
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.targets import nic_views


def site_view(fabric):
    if not fabric:
        return {}
    return dict(id=fabric.get('id'), name=fabric.get('name'), type=fabric_type(fabric), friendly_name=arm_property(fabric, 'friendlyName'),
                hyperv_hosts=sorted(host.get('name') for host in arm_property(fabric, 'customDetails', 'hyperVHosts') or []),
                health=arm_property(fabric, 'health'))


def cloud_view(container):
    """A protection container: the site's container of a Hyper-V site, one VMM cloud of a VMM fabric."""
    return dict(name=container.get('name'), friendly_name=arm_property(container, 'friendlyName'), role=arm_property(container, 'role') or None,
                pairing_status=arm_property(container, 'pairingStatus'))


def network_view(network):
    """A VM network of a VMM fabric (replicationNetworks)."""
    return dict(name=network.get('name'), friendly_name=arm_property(network, 'friendlyName'), network_type=arm_property(network, 'networkType'),
                subnets=[dict(name=subnet.get('name'), addresses=subnet.get('addressList') or []) for subnet in arm_property(network, 'subnets') or []])


# The HyperVReplica2012R2 enumerations by option value.
AUTHENTICATION_TYPES = {'kerberos': 1, 'certificate': 2}
INITIAL_REPLICATION_METHODS = {'over_network': 'OverNetwork', 'offline': 'Offline'}


def _option(mapping, value):
    """The option value of a REST enumeration value (the reverse of one of the dicts above)."""
    return next((option for option, rest in mapping.items() if rest == value), None)


def policy_view(policy):
    if not policy:
        return {}
    details = arm_property(policy, 'providerSpecificDetails') or {}
    provider = provider_of(policy)
    replica = provider == HYPERV_REPLICA
    view = dict(id=policy.get('id'), name=policy.get('name'), provider=provider, replication_provider=_option(PROVIDERS, provider),
                copy_frequency=details.get('replicationFrequencyInSeconds' if replica else 'replicationInterval'),
                recovery_point_retention=details.get('recoveryPoints' if replica else 'recoveryPointHistoryDurationInHours'),
                app_consistent_snapshot_frequency=details.get('applicationConsistentSnapshotFrequencyInHours'),
                initial_replication_start_time=details.get('onlineReplicationStartTime'))
    if replica:
        view.update(compression=details.get('compression') == 'Enable',
                    initial_replication_method=_option(INITIAL_REPLICATION_METHODS, details.get('initialReplicationMethod')),
                    offline_export_path=details.get('offlineReplicationExportPath'), offline_import_path=details.get('offlineReplicationImportPath'),
                    replication_port=details.get('replicationPort'), authentication=_option(AUTHENTICATION_TYPES, details.get('allowedAuthenticationType')),
                    replica_deletion=details.get('replicaDeletionOption') == 'OnRecoveryCloud')
    return view


def network_mapping_view(mapping):
    """A network mapping, with the primary fabric and network named from its id (.../replicationFabrics/<f>/replicationNetworks/<n>/...)."""
    if not mapping:
        return {}
    return dict(id=mapping.get('id'), name=mapping.get('name'), site=id_segment(mapping.get('id'), 'replicationFabrics'),
                network=id_segment(mapping.get('id'), 'replicationNetworks'),
                network_friendly_name=arm_property(mapping, 'primaryNetworkFriendlyName'),
                recovery_site=(arm_property(mapping, 'recoveryFabricArmId') or '').rsplit('/', 1)[-1] or None,
                recovery_network=arm_property(mapping, 'recoveryNetworkFriendlyName'), recovery_network_id=arm_property(mapping, 'recoveryNetworkId'),
                mapping_type=arm_property(mapping, 'fabricSpecificSettings', 'instanceType'), state=arm_property(mapping, 'state'))


def protected_view(item):
    if not item:
        return {}
    details = arm_property(item, 'providerSpecificDetails') or {}
    view = dict(id=item.get('id'), name=item.get('name'), vm_name=arm_property(item, 'friendlyName'), policy=arm_property(item, 'policyFriendlyName'),
                protection_state=arm_property(item, 'protectionState'), replication_health=arm_property(item, 'replicationHealth'),
                active_location=arm_property(item, 'activeLocation'),
                initial_replication_progress=(details.get('initialReplicationDetails') or {}).get('initialReplicationProgressPercentage'),
                target_vm_name=details.get('recoveryAzureVmName'), target_network_id=details.get('selectedRecoveryAzureNetworkId'),
                target_subnet=details.get('targetAzureSubnetId'), target_vm_size=details.get('recoveryAzureVMSize'), target_nics=nic_views(details))
    if view['target_nics']:  # the subnet of the selected adapter, as updateProtectedItem leaves it
        view['target_subnet'] = view['target_nics'][0]['subnet']
    if provider_of(item) == HYPERV_REPLICA:  # VMM to a secondary site: where the VM replicates to
        view.update(recovery_site=arm_property(item, 'recoveryFabricFriendlyName'),
                    recovery_cloud=arm_property(item, 'recoveryProtectionContainerFriendlyName'))
    return view


# Seed 004 (Hyper-V to Azure architecture, "retry process"): a replication error is retried by default (transient: network, disk space,
# memory - every replication interval with an exponential backoff, then every 30 minutes); a fatal one (broken virtual disk chain, invalid
# replica VM state, authentication, authorization, VM not found) is not retried, the VM is Critical and an administrator must act.
# No documented field of a health error names its class: the item's replicationHealth does (Critical: fatal, as the seed says).
RETRY_CLASSES = {'fatal': 'not retried; the VM stays Critical until an administrator fixes the cause',
                 'transient': 'retried by Site Recovery every replication interval (backoff 1, 2, 4, 8, 10 minutes, then every 30 minutes)'}
# Site Recovery lists this operation (ReplicationProtectedItemOperation) when an item can be resynchronized (repairReplication).
RESYNCHRONIZE = 'RepairReplication'


def health_error_view(error):
    """One HealthError of a protected item, with the documented fields a playbook reports."""
    return dict(error_code=error.get('errorCode'), error_message=error.get('errorMessage'), possible_causes=error.get('possibleCauses'),
                recommended_action=error.get('recommendedAction'), error_level=error.get('errorLevel'), error_category=error.get('errorCategory'),
                error_source=error.get('errorSource'), error_type=error.get('errorType'), customer_resolvability=error.get('customerResolvability'),
                summary_message=error.get('summaryMessage'), creation_time=error.get('creationTimeUtc'), entity_id=error.get('entityId'),
                error_id=error.get('errorId'),
                inner_errors=[dict(error_code=inner.get('errorCode'), error_message=inner.get('errorMessage'),
                                   recommended_action=inner.get('recommendedAction')) for inner in error.get('innerHealthErrors') or []])


def health_view(item):
    """The health of a protected item: its health errors, seed 004's retry class, and whether it needs (and allows) a resynchronization."""
    errors = [health_error_view(error) for error in arm_property(item, 'healthErrors') or []]
    health = arm_property(item, 'replicationHealth')
    retry_class = None
    if errors or health == 'Critical':
        retry_class = 'fatal' if health == 'Critical' else 'transient'
    return dict(health_errors=errors, failover_health=arm_property(item, 'failoverHealth'), retry_class=retry_class,
                retry_behaviour=RETRY_CLASSES.get(retry_class), resynchronization_required=RESYNCHRONIZE in (arm_property(item, 'allowedOperations') or []))
