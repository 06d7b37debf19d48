# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Site Recovery's ARM documents: the names its REST API gives providers and fabrics, and reading a document's properties.

The SDK's models come to the modules as the REST JSON (client.as_dict): camelCase keys under ``properties``, where Azure
leaves out what is empty, so every level may be missing.
"""

# Replication providers (providerSpecificDetails.instanceType / providerSpecificInput.instanceType).
HYPERV_TO_AZURE = 'HyperVReplicaAzure'
HYPERV_TO_AZURE_FAILBACK = 'HyperVReplicaAzureFailback'  # the input of a planned failover back from Azure
HYPERV_REPLICA = 'HyperVReplica2012R2'  # VMM to a secondary site (Hyper-V Replica)
# The replication_provider option's values -> the provider.
PROVIDERS = {'hyperv_to_azure': HYPERV_TO_AZURE, 'hyperv_replica': HYPERV_REPLICA}

# Fabric types (customDetails.instanceType).
HYPERV_SITE = 'HyperVSite'
VMM = 'VMM'
# What Site Recovery calls Azure as the recovery side: the recovery fabric of a network mapping to Azure, the target
# container of a policy association to Azure.
AZURE_RECOVERY = 'Microsoft Azure'

# Network mapping types (fabricSpecificDetails.instanceType).
VMM_TO_AZURE = 'VmmToAzure'
VMM_TO_VMM = 'VmmToVmm'


def arm_property(document, *path):
    """The value at path below a document's ``properties`` (no path: the properties); None where a level is missing."""
    value = (document or {}).get('properties')
    for key in path:
        value = (value or {}).get(key)
    return value


def fabric_type(fabric):
    """HYPERV_SITE, VMM, ... of a replication fabric."""
    return arm_property(fabric, 'customDetails', 'instanceType')


def provider_of(document):
    """The replication provider of a policy or a protected item (HYPERV_TO_AZURE, HYPERV_REPLICA)."""
    return arm_property(document, 'providerSpecificDetails', 'instanceType')


def resource_name(resource_id):
    """The last segment of an ARM id."""
    return (resource_id or '').rstrip('/').rsplit('/', 1)[-1]


def id_segment(resource_id, kind):
    """The name after ``kind`` in an ARM id (case-insensitive), e.g. id_segment(item_id, 'replicationFabrics'); None when absent."""
    segments = (resource_id or '').split('/')
    lowered = [segment.lower() for segment in segments]
    return segments[lowered.index(kind.lower()) + 1] if kind.lower() in lowered and lowered.index(kind.lower()) + 1 < len(segments) else None
