"""A VM's network adapters as Hyper-V Replica uses them: Get-VMNetworkAdapter, Set-VMNetworkAdapter -TestReplicaSwitchName (the
switch a test failover VM's adapter is connected to), Get-/Set-VMNetworkAdapterFailoverConfiguration (the TCP/IP settings the
guest gets after a failover).

From the pages (cmdlets.json notes): Set-VMNetworkAdapter without -Name configures every adapter of the VM; -TestReplicaSwitchName
applies to VMs enabled for replication; -IPv4Address needs -IPv4SubnetMask and the other way round, -IPv6Address needs
-IPv6SubnetPrefixLength and the other way round; -ClearFailoverIPv4Settings / -ClearFailoverIPv6Settings make the Replica VM use
the primary's address. Get-VMNetworkAdapterFailoverConfiguration writes one VMNetworkAdapterFailoverSetting per synthetic adapter,
a plain object without the VM's or the adapter's name (types.json), so a reader names the adapter (-VMNetworkAdapterName).
An adapter has a failover setting only while its VM is a Primary, Replica or ExtendedReplica VM (VMNetworkAdapter.FailoverSetting in
the decompiled module): Get- writes nothing for another VM, Set- refuses a VM without replication (VMReplication_NotEnabled) and
one in another mode (a TestReplica VM: VMNetworkAdapterFailoverConfiguration_NotSupportedAdapter); the resources' texts are not in
the decompiled module, the lab words them.
The lab models the adapters' names, switch, test switch, failover settings and the guest's addresses (IPAddresses, which Hyper-V
reads from the running guest); any other Set-VMNetworkAdapter parameter is refused as not modelled.

Connect-VMNetworkAdapter (decompiled ConnectVMNetworkAdapter): -SwitchName on the adapters of -VMName (-Name filters them) or on the
adapter objects given (-VMNetworkAdapter, piped). An adapter of a compatibility report's VM (Compare-VM Incompatibilities[n].Source,
a PlannedAdapter here) changes that report, which Move-VM -CompatibilityReport then uses (Compare-VM's page, example 2); its switch
must exist on the report's destination. The record for a switch the host does not have comes from the WMI layer, which no source
shows: the lab writes ObjectNotFound in Get-VMSwitch's words (unsettled). -VMSwitch and -UseAutomaticConnection are not modelled.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import HV, netbios_name, reference_object, virtualization_text
from hvlab.engine.cmdlets.vm import VM_TYPE, each_selected_vm, parameter_set_not_modelled

FAILOVER_IPV4 = ('IPv4Address', 'IPv4SubnetMask', 'IPv4DefaultGateway', 'IPv4PreferredDNSServer', 'IPv4AlternateDNSServer')
# The replication modes whose VMs' adapters have a failover setting (VMNetworkAdapter.FailoverSetting, decompiled).
FAILOVER_SETTING_MODES = ('Primary', 'Replica', 'ExtendedReplica')
FAILOVER_IPV6 = ('IPv6Address', 'IPv6SubnetPrefixLength', 'IPv6DefaultGateway', 'IPv6PreferredDNSServer', 'IPv6AlternateDNSServer')
# Set-VMNetworkAdapter parameters the lab models; the common ones and the VM / adapter selectors are always accepted.
MODELLED_SET_PARAMETERS = {'VMName', 'VM', 'Name', 'VMNetworkAdapter', 'TestReplicaSwitchName', 'Passthru', 'Confirm', 'WhatIf',
                           'ErrorAction', 'WarningAction', 'ErrorVariable', 'WarningVariable', 'Verbose', 'Debug', 'InformationAction',
                           'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable'}


@dataclass
class PlannedAdapter:
    """An adapter of the VM a compatibility report holds (Compare-VM's copy of the VM, planned on the destination): what the adapter
    object handed out as an incompatibility's Source stands for (LabObject.backing)."""

    destination: object
    vm: object              # the VM on the source the report is of
    adapter: object         # the planned VM's copy of one of its adapters


def adapter_object(host, vm, adapter):
    properties = {
        'Name': adapter.name, 'Id': f'Microsoft:{vm.vm_id.upper()}\\{adapter.adapter_id.upper()}', 'VMName': vm.name, 'VMId': vm.vm_id,
        'ComputerName': netbios_name(host), 'SwitchName': adapter.switch_name, 'Connected': adapter.switch_name is not None,
        'IsLegacy': False, 'IsSynthetic': True, 'TestReplicaSwitchName': adapter.test_replica_switch_name,
        'IPAddresses': guest_addresses(vm, adapter),
    }
    return reference_object(f'{HV}.VMNetworkAdapter', properties,
                            virtualization_text(f'{HV}.VMNetworkAdapter', {'Name': adapter.name, 'VMName': vm.name},
                                                {'Id': properties['Id'], 'VMId': vm.vm_id}))


def guest_addresses(vm, adapter) -> list:
    """What the running guest reports on the adapter (its own configuration, or what a failover injected), once it answers."""
    if vm.state != 'Running' or not vm.heartbeat().startswith('Ok') or not adapter.guest_addresses:
        return []
    return list(adapter.guest_addresses)


def failover_setting_object(adapter):
    values = {name: adapter.failover.get(name) for name in FAILOVER_IPV4 + FAILOVER_IPV6}
    return reference_object(f'{HV}.VMNetworkAdapterFailoverSetting', values, f'{HV}.VMNetworkAdapterFailoverSetting')


def inject_failover_addresses(vm) -> None:
    """A failover (test or real) applies the failed-over VM's failover TCP/IP settings inside its guest.

    Msvm_FailoverNetworkAdapterSettingData: the settings of an adapter within the guest OS, applied at failover; the guest keeps
    them (they are its configuration now, and replicate with its disks). A family without failover settings keeps the guest's
    own address (-ClearFailoverIPv4Settings: the Replica VM uses the primary's address).
    """
    for adapter in vm.network_adapters:
        addresses = list(adapter.guest_addresses)
        for name, version in (('IPv4Address', 4), ('IPv6Address', 6)):
            if adapter.failover.get(name):
                addresses = [address for address in addresses if ipaddress.ip_address(address).version != version]
                addresses.append(adapter.failover[name])
        adapter.guest_addresses = sorted(addresses, key=lambda address: ipaddress.ip_address(address).version)


def _adapters(ctx: CmdletContext, vm, name: str | None) -> list:
    found = [adapter for adapter in vm.network_adapters if name is None or adapter.name.lower() == name.lower()]
    if not found and name is not None:
        ctx.write_error('ObjectNotFound', f"No network adapter named '{name}' was found on virtual machine '{vm.name}'.", 'ObjectNotFound',
                        target=name)
    return found


def get_vmnetworkadapter(ctx: CmdletContext) -> None:
    if parameter_set_not_modelled(ctx):
        return
    for host, vm in each_selected_vm(ctx):
        for adapter in _adapters(ctx, vm, ctx.bound.get('Name')):
            ctx.write_output(adapter_object(host, vm, adapter))


def set_vmnetworkadapter(ctx: CmdletContext) -> None:
    unmodelled = sorted(name for name in ctx.bound.values if name not in MODELLED_SET_PARAMETERS and name not in ('ComputerName', 'Credential'))
    if unmodelled or parameter_set_not_modelled(ctx):
        if unmodelled:
            ctx.write_error('HvLab.NotImplemented', f'Set-VMNetworkAdapter -{", -".join(unmodelled)} is documented but not modelled by the '
                                                    'lab.', 'NotImplemented', exception_type='System.NotImplementedException')
        return
    for host, vm in each_selected_vm(ctx):
        adapters = _adapters(ctx, vm, ctx.bound.get('Name'))
        if 'TestReplicaSwitchName' in ctx.bound and vm.vm_id not in host.replication.relationships:
            # The page: the test replica switch applies to VMs enabled for replication (no source gives the error's words).
            ctx.write_error('InvalidOperation', f"Virtual machine '{vm.name}' is not enabled for replication: a test replica switch "
                                                'applies only to replicated virtual machines.', 'InvalidOperation', target=vm.name)
            continue
        for adapter in adapters:
            if not ctx.should_process(adapter.name):
                continue
            if 'TestReplicaSwitchName' in ctx.bound:
                adapter.test_replica_switch_name = ctx.bound.get('TestReplicaSwitchName') or None
            if ctx.passthru:
                ctx.write_output(adapter_object(host, vm, adapter))


def _replication_mode(host, vm) -> str | None:
    relationship = host.replication.relationships.get(vm.vm_id)
    return relationship.mode if relationship is not None else None


def get_vmnetworkadapterfailoverconfiguration(ctx: CmdletContext) -> None:
    if parameter_set_not_modelled(ctx):
        return
    for host, vm in each_selected_vm(ctx):
        adapters = _adapters(ctx, vm, ctx.bound.get('VMNetworkAdapterName'))
        if _replication_mode(host, vm) not in FAILOVER_SETTING_MODES:
            continue        # no FailoverSetting: nothing written, no error
        for adapter in adapters:
            ctx.write_output(failover_setting_object(adapter))


def set_vmnetworkadapterfailoverconfiguration(ctx: CmdletContext) -> None:
    if parameter_set_not_modelled(ctx):
        return
    bound = ctx.bound
    problem = _pairing_problem(bound) or _address_problem(bound)
    if problem:
        ctx.write_error('InvalidParameter', problem, 'InvalidArgument')
        return
    for host, vm in each_selected_vm(ctx):
        for adapter in _adapters(ctx, vm, bound.get('VMNetworkAdapterName')):
            if not ctx.should_process(adapter.name):
                continue
            mode = _replication_mode(host, vm)
            if mode is None:
                ctx.write_error('InvalidState', f"Replication is not enabled for virtual machine '{vm.name}'.", 'InvalidOperation',
                                target=vm.name)
                continue
            if mode not in FAILOVER_SETTING_MODES:
                ctx.write_error('InvalidOperation', f"The network adapter '{adapter.name}' of virtual machine '{vm.name}' ({mode}) does not "
                                                    'support failover TCP/IP settings.', 'InvalidOperation', target=adapter.name,
                                exception_type='System.InvalidOperationException')
                continue
            for family, clear in ((FAILOVER_IPV4, 'ClearFailoverIPv4Settings'), (FAILOVER_IPV6, 'ClearFailoverIPv6Settings')):
                if bound.switch(clear):
                    for name in family:
                        adapter.failover.pop(name, None)
                for name in family:
                    if bound.get(name) is not None:
                        adapter.failover[name] = str(bound.get(name))
            if ctx.passthru:
                ctx.write_output(failover_setting_object(adapter))


def _pairing_problem(bound) -> str | None:
    for first, second in (('IPv4Address', 'IPv4SubnetMask'), ('IPv6Address', 'IPv6SubnetPrefixLength')):
        if (bound.get(first) is None) != (bound.get(second) is None):
            given, missing = (first, second) if bound.get(first) is not None else (second, first)
            return f'-{given} requires -{missing}.'
    return None


def _address_problem(bound) -> str | None:
    """An address that is not one of its family (WMI refuses it; the lab words the error)."""
    for name, version in (('IPv4Address', 4), ('IPv4DefaultGateway', 4), ('IPv4PreferredDNSServer', 4), ('IPv4AlternateDNSServer', 4),
                          ('IPv6Address', 6), ('IPv6DefaultGateway', 6), ('IPv6PreferredDNSServer', 6), ('IPv6AlternateDNSServer', 6)):
        value = bound.get(name)
        try:
            if value is not None and ipaddress.ip_address(str(value)).version != version:
                raise ValueError(value)
        except ValueError:
            return f"'{value}' is not a valid IPv{version} address for -{name}."
    mask = bound.get('IPv4SubnetMask')
    if mask is not None:
        try:
            ipaddress.IPv4Network(f'0.0.0.0/{mask}')
        except ValueError:
            return f"'{mask}' is not a valid IPv4 subnet mask for -IPv4SubnetMask."
    return None


def connect_vmnetworkadapter(ctx: CmdletContext) -> None:
    if parameter_set_not_modelled(ctx, ('Name_SwitchName', 'Object_SwitchName')):
        return
    switch_name = ctx.bound.get('SwitchName')
    for host, vm, adapter in _adapters_to_connect(ctx):
        if host.switch_named(switch_name) is None:
            ctx.write_error('ObjectNotFound', f'Hyper-V was unable to find a virtual switch with name "{switch_name}".', 'ObjectNotFound',
                            target=switch_name)
            continue
        if not ctx.should_process(adapter.name):
            continue
        adapter.switch_name = host.switch_named(switch_name).name
        if ctx.passthru:
            ctx.write_output(adapter_object(host, vm, adapter))


def _adapters_to_connect(ctx: CmdletContext):
    """(host, VM, adapter) for each adapter the command names: by -VMName / -Name, or the adapter objects given (a report's
    planned adapter, or an adapter of a VM on this host, found by its VMId and Id)."""
    if ctx.bound.parameter_set == 'Name_SwitchName':
        for host, vm in each_selected_vm(ctx):
            for adapter in _adapters(ctx, vm, _single(ctx.bound.get('Name'))):
                yield host, vm, adapter
        return
    for item in ctx.bound.get('VMNetworkAdapter') or []:
        if isinstance(item.backing, PlannedAdapter):
            yield item.backing.destination, item.backing.vm, item.backing.adapter
            continue
        vm_id = str(item.properties.get('VMId') or '').lower()
        vm = next((candidate for candidate in ctx.host.vms if candidate.vm_id == vm_id), None)
        adapter_id = str(item.properties.get('Id') or '').lower().rsplit('\\', 1)[-1]
        adapter = next((candidate for candidate in (vm.network_adapters if vm else []) if candidate.adapter_id.lower() == adapter_id), None)
        if adapter is None:
            ctx.write_error('ObjectNotFound', f"The network adapter '{item.properties.get('Name')}' was not found.", 'ObjectNotFound')
            continue
        yield ctx.host, vm, adapter


def _single(names):
    """-Name is String[]: the lab's adapter filter takes one name (the collection gives one)."""
    return names[0] if isinstance(names, list) and len(names) == 1 else names


OBJECT_INPUT = {'Get-VMNetworkAdapter': {VM_TYPE: 'VM'}, 'Get-VMNetworkAdapterFailoverConfiguration': {VM_TYPE: 'VM'},
                'Connect-VMNetworkAdapter': {f'{HV}.VMNetworkAdapter': 'VMNetworkAdapter'}}

CMDLETS = {
    'Get-VMNetworkAdapter': get_vmnetworkadapter,
    'Set-VMNetworkAdapter': set_vmnetworkadapter,
    'Connect-VMNetworkAdapter': connect_vmnetworkadapter,
    'Get-VMNetworkAdapterFailoverConfiguration': get_vmnetworkadapterfailoverconfiguration,
    'Set-VMNetworkAdapterFailoverConfiguration': set_vmnetworkadapterfailoverconfiguration,
}
