"""Host-wide cmdlets: Get-/Set-VMHost, Enable-/Disable-VMMigration, Get-VMHostSupportedVersion."""

from __future__ import annotations

import re

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import netbios_name, supported_version_object, vmhost_object
from hvlab.engine.reference import vm_version_key

_HOUR = 3600.0
_MAC = re.compile(r'^[0-9A-Fa-f]{12}$')
_WWN = re.compile(r'^[0-9A-Fa-f]{16}$')


def get_vmhost(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        ctx.write_output(vmhost_object(host))


class _VMHostChange:
    """The Set-VMHost parameters that change modelled state, validated before anything is applied."""

    # parameter -> (settings object attribute on SimHost, field)
    FIELDS = {
        'MaximumVirtualMachineMigrations': ('migration', 'maximum_vm_migrations'),
        'MaximumStorageMigrations': ('migration', 'maximum_storage_migrations'),
        'UseAnyNetworkForMigration': ('migration', 'use_any_network'),
        'VirtualMachineMigrationAuthenticationType': ('migration', 'authentication_type'),
        'VirtualMachineMigrationPerformanceOption': ('migration', 'performance_option'),
        'VirtualHardDiskPath': ('settings', 'virtual_hard_disk_path'),
        'VirtualMachinePath': ('settings', 'virtual_machine_path'),
        'NumaSpanningEnabled': ('settings', 'numa_spanning_enabled'),
        'EnableEnhancedSessionMode': ('settings', 'enhanced_session_mode'),
        'MacAddressMinimum': ('settings', 'mac_address_minimum'),
        'MacAddressMaximum': ('settings', 'mac_address_maximum'),
        'FibreChannelWwnn': ('settings', 'fibre_channel_wwnn'),
        'FibreChannelWwpnMinimum': ('settings', 'fibre_channel_wwpn_minimum'),
        'FibreChannelWwpnMaximum': ('settings', 'fibre_channel_wwpn_maximum'),
        'ResourceMeteringSaveInterval': ('settings', 'resource_metering_save_interval'),
    }

    def __init__(self, ctx: CmdletContext):
        self.ctx = ctx
        self.changes = {name: ctx.bound.get(name) for name in self.FIELDS if ctx.bound.get(name) is not None}

    def problems(self, host) -> list[tuple[str, str]]:
        """(parameter, message) for every value Hyper-V would refuse."""
        found = []
        for name in ('MaximumVirtualMachineMigrations', 'MaximumStorageMigrations'):
            if self.changes.get(name) == 0:
                found.append((name, f'The value 0 is not valid for {name}. Specify a number of simultaneous migrations greater than 0.'))
        interval = self.changes.get('ResourceMeteringSaveInterval')
        if interval is not None and not _HOUR <= interval.seconds <= 24 * _HOUR:
            found.append(('ResourceMeteringSaveInterval', f"The resource metering save interval '{interval}' is not valid. "
                                                          'Specify a value between 01:00:00 and 1.00:00:00.'))
        for name, pattern, what in (('MacAddressMinimum', _MAC, 'MAC address'), ('MacAddressMaximum', _MAC, 'MAC address'),
                                    ('FibreChannelWwnn', _WWN, 'World Wide Name'), ('FibreChannelWwpnMinimum', _WWN, 'World Wide Name'),
                                    ('FibreChannelWwpnMaximum', _WWN, 'World Wide Name')):
            value = self.changes.get(name)
            if value is not None and not pattern.match(value):
                found.append((name, f"'{value}' is not a valid {what} for {name}."))
        low = self.changes.get('MacAddressMinimum', host.settings.mac_address_minimum)
        high = self.changes.get('MacAddressMaximum', host.settings.mac_address_maximum)
        if _MAC.match(low) and _MAC.match(high) and int(low, 16) > int(high, 16):
            found.append(('MacAddressMinimum', f"The minimum MAC address '{low}' is greater than the maximum MAC address '{high}'."))
        return found

    def apply(self, host) -> None:
        for name, value in self.changes.items():
            holder, attribute = self.FIELDS[name]
            if hasattr(value, 'name') and hasattr(value, 'type_name'):      # LabEnum: the model keeps member names
                value = value.name
            elif hasattr(value, 'seconds'):                                  # LabTimeSpan
                value = float(value.seconds)
            setattr(getattr(host, holder), attribute, value.upper() if attribute.startswith(('mac_', 'fibre_')) else value)


def set_vmhost(ctx: CmdletContext) -> None:
    change = _VMHostChange(ctx)
    for host in ctx.local_targets():
        problems = change.problems(host)
        for parameter, message in problems:
            ctx.write_error('InvalidParameter', message, 'InvalidArgument', target=parameter)
        if problems:
            continue
        if ctx.should_process(netbios_name(host)):
            change.apply(host)
            if ctx.passthru:
                ctx.write_output(vmhost_object(host))


def _set_migration(ctx: CmdletContext, enabled: bool) -> None:
    for host in ctx.local_targets():
        if enabled and host.domain is None and not host.clustered:
            # Non-clustered live migration authenticates with CredSSP or Kerberos, both of which need a domain.
            ctx.write_error('OperationFailed',
                            f"Failed to enable live migration on computer '{host.name.upper()}'. The computer is not a member of "
                            'a domain: live migration without failover clustering requires the source and destination hosts to '
                            'belong to the same Active Directory domain or to trusted domains.',
                            'InvalidOperation', target=host.name.upper())
            continue
        if ctx.should_process(netbios_name(host)):
            host.migration.enabled = enabled
            if ctx.passthru:
                ctx.write_output(vmhost_object(host))


def enable_vmmigration(ctx: CmdletContext) -> None:
    _set_migration(ctx, True)


def disable_vmmigration(ctx: CmdletContext) -> None:
    _set_migration(ctx, False)


def get_vmhost_supported_version(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        versions = sorted(host.supported_vm_versions, key=vm_version_key)
        if ctx.bound.switch('Default'):
            versions = [host.default_vm_version]
        for version in versions:
            ctx.write_output(supported_version_object(host, version))


CMDLETS = {
    'Get-VMHost': get_vmhost,
    'Set-VMHost': set_vmhost,
    'Enable-VMMigration': enable_vmmigration,
    'Disable-VMMigration': disable_vmmigration,
    'Get-VMHostSupportedVersion': get_vmhost_supported_version,
}
