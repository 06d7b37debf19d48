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
    return dict(id=fabric.get('id'), name=fabric.get('name'), type=details.get('instanceType'), friendly_name=properties.get('friendlyName'),
                hyperv_hosts=sorted(host.get('name') for host in details.get('hyperVHosts') or []), health=properties.get('health'))


def cloud_view(container):
    """A protection container: the site's container of a Hyper-V site, one VMM cloud of a VMM fabric."""
    properties = container.get('properties') or {}
    return dict(name=container.get('name'), friendly_name=properties.get('friendlyName'), role=properties.get('role') or None,
                pairing_status=properties.get('pairingStatus'))


def network_view(network):
    """A VM network of a VMM fabric (replicationNetworks)."""
    properties = network.get('properties') or {}
    return dict(name=network.get('name'), friendly_name=properties.get('friendlyName'), network_type=properties.get('networkType'),
                subnets=[dict(name=subnet.get('name'), addresses=subnet.get('addressList') or []) for subnet in properties.get('subnets') or []])


# replication_provider option -> providerSpecificInput.instanceType, and the HyperVReplica2012R2 enumerations by option value.
PROVIDERS = {'hyperv_to_azure': 'HyperVReplicaAzure', 'hyperv_replica': 'HyperVReplica2012R2'}
AUTHENTICATION_TYPES = {'kerberos': 1, 'certificate': 2}
INITIAL_REPLICATION_METHODS = {'over_network': 'OverNetwork', 'offline': 'Offline'}


def _option(mapping, value):
    """The option value of a REST enumeration value (the reverse of one of the dicts above)."""
    return next((option for option, rest in mapping.items() if rest == value), None)


def policy_view(policy):
    if not policy:
        return {}
    details = (policy.get('properties') or {}).get('providerSpecificDetails') or {}
    provider = details.get('instanceType')
    replica = provider == PROVIDERS['hyperv_replica']
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
    properties = mapping.get('properties') or {}
    segments = (mapping.get('id') or '').split('/')
    lowered = [segment.lower() for segment in segments]

    def after(kind):
        return segments[lowered.index(kind) + 1] if kind in lowered else None
    return dict(id=mapping.get('id'), name=mapping.get('name'), site=after('replicationfabrics'), network=after('replicationnetworks'),
                network_friendly_name=properties.get('primaryNetworkFriendlyName'),
                recovery_site=(properties.get('recoveryFabricArmId') or '').rsplit('/', 1)[-1] or None,
                recovery_network=properties.get('recoveryNetworkFriendlyName'), recovery_network_id=properties.get('recoveryNetworkId'),
                mapping_type=(properties.get('fabricSpecificSettings') or {}).get('instanceType'), state=properties.get('state'))


def protected_view(item):
    if not item:
        return {}
    properties = item.get('properties') or {}
    details = properties.get('providerSpecificDetails') or {}
    initial = details.get('initialReplicationDetails') or {}
    view = dict(id=item.get('id'), name=item.get('name'), vm_name=properties.get('friendlyName'), policy=properties.get('policyFriendlyName'),
                protection_state=properties.get('protectionState'), replication_health=properties.get('replicationHealth'),
                active_location=properties.get('activeLocation'), initial_replication_progress=initial.get('initialReplicationProgressPercentage'),
                target_vm_name=details.get('recoveryAzureVmName'), target_network_id=details.get('selectedRecoveryAzureNetworkId'),
                target_subnet=details.get('targetAzureSubnetId'))
    if details.get('instanceType') == PROVIDERS['hyperv_replica']:  # VMM to a secondary site: where the VM replicates to
        view.update(recovery_site=properties.get('recoveryFabricFriendlyName'), recovery_cloud=properties.get('recoveryProtectionContainerFriendlyName'))
    return view
