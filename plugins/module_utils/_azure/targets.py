# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Azure VM a protected Hyper-V VM becomes at failover: checks of its settings (no I/O) and the REST inputs that set them.

Site Recovery keeps them in the item's HyperVReplicaAzureReplicationDetails (recoveryAzureVmName, recoveryAzureVMSize,
selectedRecoveryAzureNetworkId, vmNics with their ipConfigs); enabling protection takes the name, size, network and the subnet
of the selected adapter (HyperVReplicaAzureEnableProtectionInput), updateProtectedItem (UpdateReplicationProtectedItemInput)
changes them, and each adapter's subnet and static address, in place.
"""

import ipaddress
import re

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import HYPERV_TO_AZURE

# Azure VM sizes are named <tier>_<size>: Standard_D2s_v3, Standard_B2ms, Basic_A1 (the region's offer is Azure's to check).
VM_SIZE = re.compile(r'^(Standard|Basic)_[A-Za-z0-9_]+$')
# Azure's naming rules: a subnet name is 1-80 alphanumerics, underscores, periods and hyphens, starting with an alphanumeric and
# ending with an alphanumeric or an underscore; a virtual machine name is at most 64 characters (15 for a Windows computer name)
# without spaces or ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \ | ; : . ' " , < > / ? and does not end with a hyphen.
SUBNET_NAME = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$')
VM_NAME_FORBIDDEN = re.compile(r'[\s~!@#$%^&*()=+_\[\]{}\\|;:.\'",<>/?]')
VM_NAME_MAX = 64


def problems(params):
    """What is wrong with the target options (a list of messages naming the option and what it accepts; empty when nothing)."""
    found = []
    size = params.get('target_vm_size')
    if size is not None and not VM_SIZE.match(size):
        found.append("target_vm_size: '%s' is not an Azure VM size; give its name as Azure lists it, <tier>_<size> such as Standard_D2s_v3 "
                     'or Basic_A1' % size)
    name = params.get('target_vm_name')
    if name is not None and (not name or len(name) > VM_NAME_MAX or VM_NAME_FORBIDDEN.search(name) or name.endswith('-')):
        found.append("target_vm_name: '%s' is not a valid Azure VM name (1 to %d characters, no spaces nor ~!@#$%%^&*()=+_[]{}\\|;:.'\",<>/?, "
                     'not ending with a hyphen)' % (name, VM_NAME_MAX))
    if params.get('target_subnet') is not None:
        found.extend(_subnet_problem('target_subnet', params['target_subnet']))
    seen = set()
    for index, nic in enumerate(params.get('target_nics') or []):
        option = 'target_nics[%d]' % index
        if nic.get('subnet') is not None:
            found.extend(_subnet_problem(option + '.subnet', nic['subnet']))
        if nic.get('static_ip') is not None:
            found.extend(_address_problem(option + '.static_ip', nic['static_ip']))
        if nic.get('nic_id'):
            if nic['nic_id'].lower() in seen:
                found.append("%s.nic_id: network adapter '%s' is listed twice" % (option, nic['nic_id']))
            seen.add(nic['nic_id'].lower())
    return found


def _subnet_problem(option, name):
    if SUBNET_NAME.match(name):
        return []
    return ["%s: '%s' is not an Azure subnet name (1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or "
            'a digit and ending with a letter, a digit or an underscore)' % (option, name)]


def _address_problem(option, address):
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        return ["%s: '%s' is not an IPv4 address (a.b.c.d)" % (option, address)]
    if parsed.is_multicast or parsed.is_loopback or parsed.is_unspecified or parsed.is_link_local or str(parsed) == '255.255.255.255':
        return ["%s: %s cannot be a VM's address (multicast, loopback, link-local, broadcast or unspecified)" % (option, address)]
    return []


def nic_views(details):
    """The VM's network adapters as Site Recovery lists them (vmNics): id, the network on the host, and the subnet and static address
    (null: dynamic) of its primary IP configuration in Azure."""
    views = []
    for nic in details.get('vmNics') or []:
        configs = nic.get('ipConfigs') or []
        primary = next((config for config in configs if config.get('isPrimary')), configs[0] if configs else {})
        views.append(dict(nic_id=nic.get('nicId'), network_name=nic.get('vMNetworkName'), subnet=primary.get('recoverySubnetName'),
                          static_ip=primary.get('recoveryStaticIPAddress') or None))
    return views


def wanted_nics(current, params):
    """The adapters as target_nics and target_subnet want them: (list, problem or None). An entry names its adapter by nic_id, else
    it is the adapter at its position; an entry without static_ip means a dynamic address; target_subnet is the subnet of each adapter
    whose entry gives none (and of those target_nics leaves out)."""
    wanted = [dict(nic) for nic in current]
    default_subnet = params.get('target_subnet')
    if default_subnet is not None:
        for nic in wanted:
            nic['subnet'] = default_subnet
    for index, entry in enumerate(params.get('target_nics') or []):
        option = 'target_nics[%d]' % index
        if entry.get('nic_id'):
            match = next((nic for nic in wanted if (nic['nic_id'] or '').lower() == entry['nic_id'].lower()), None)
            if match is None:
                return None, "%s.nic_id: '%s' is not a network adapter of the VM (its adapters: %s)" % (
                    option, entry['nic_id'], ', '.join(nic['nic_id'] for nic in wanted) or 'none')
        elif index < len(wanted):
            match = wanted[index]
        else:
            return None, '%s: the VM has %d network adapter(s) in Site Recovery; name the adapter with nic_id (%s)' % (
                option, len(wanted), ', '.join(nic['nic_id'] for nic in wanted) or 'none')
        if entry.get('subnet') is not None:
            match['subnet'] = entry['subnet']
        match['static_ip'] = entry.get('static_ip') or None
    return wanted, None


def update_input(details, after):
    """UpdateReplicationProtectedItemInput of a Hyper-V to Azure item, from the module's view of what it should become."""
    configs = dict((nic.get('nicId'), (nic.get('ipConfigs') or [{}])[0].get('name')) for nic in details.get('vmNics') or [])
    nics = []
    for nic in after.get('target_nics') or []:
        config = {'isPrimary': True, 'isSeletedForFailover': True, 'recoverySubnetName': nic['subnet'], 'recoveryStaticIPAddress': nic['static_ip'] or ''}
        if configs.get(nic['nic_id']):
            config['ipConfigName'] = configs[nic['nic_id']]
        nics.append({'nicId': nic['nic_id'], 'selectionType': 'SelectedByUser', 'ipConfigs': [config]})
    properties = {'recoveryAzureVMName': after['target_vm_name'], 'selectedRecoveryAzureNetworkId': after['target_network_id'], 'vmNics': nics,
                  'providerSpecificDetails': {'instanceType': HYPERV_TO_AZURE}}
    if after.get('target_vm_size'):
        properties['recoveryAzureVMSize'] = after['target_vm_size']
    return {'properties': properties}
