"""Cmdlet signatures, read from hvlab/cmdlets.json (Microsoft's documented parameters)."""

from __future__ import annotations

import functools
import json
import pathlib
from dataclasses import dataclass

ALL_SETS = '__AllParameterSets'
CMDLETS_JSON = pathlib.Path(__file__).resolve().parent.parent / 'cmdlets.json'

# The enum type names PowerShell prints in conversion errors, and the members' numeric values where
# they are not simply the order of the documented accepted values.
_ENUM_TYPE_NAMES = {
    'Hyper-V': 'Microsoft.HyperV.PowerShell.{}',
    'ActiveDirectory': 'Microsoft.ActiveDirectory.Management.{}',
    'NetSecurity': 'Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetSecurity.{}',
    'ServerManager': 'Microsoft.Windows.ServerManager.Commands.{}',
}
ENUM_VALUES = {
    'Microsoft.HyperV.PowerShell.RecoveryAuthenticationType': {'Kerberos': 1, 'Certificate': 2, 'CertificateAndKerberos': 3},
    'Microsoft.HyperV.PowerShell.ReplicationAuthenticationType': {'Kerberos': 1, 'Certificate': 2},
    'System.Management.Automation.ActionPreference': {'SilentlyContinue': 0, 'Stop': 1, 'Continue': 2, 'Inquire': 3, 'Ignore': 4,
                                                      'Suspend': 5},
}
# .NET full names of the documented non-enum parameter types.
_SYSTEM_TYPES = {
    'String': 'System.String', 'Boolean': 'System.Boolean', 'SwitchParameter': 'System.Management.Automation.SwitchParameter',
    'Int32': 'System.Int32', 'Int64': 'System.Int64', 'UInt32': 'System.UInt32', 'TimeSpan': 'System.TimeSpan',
    'DateTime': 'System.DateTime', 'Guid': 'System.Guid', 'Hashtable': 'System.Collections.Hashtable',
    'PSObject': 'System.Management.Automation.PSObject', 'PSCredential': 'System.Management.Automation.PSCredential',
    'CimSession': 'Microsoft.Management.Infrastructure.CimSession', 'CimInstance': 'Microsoft.Management.Infrastructure.CimInstance',
    'VirtualMachine': 'Microsoft.HyperV.PowerShell.VirtualMachine', 'VMReplication': 'Microsoft.HyperV.PowerShell.VMReplication',
    'HardDiskDrive': 'Microsoft.HyperV.PowerShell.HardDiskDrive', 'VMProcessor': 'Microsoft.HyperV.PowerShell.VMProcessor',
    'VMSnapshot': 'Microsoft.HyperV.PowerShell.VMSnapshot', 'VMCompatibilityReport': 'Microsoft.HyperV.PowerShell.VMCompatibilityReport',
    'VMReplicationAuthorizationEntry': 'Microsoft.HyperV.PowerShell.VMReplicationAuthorizationEntry',
    'ADComputer': 'Microsoft.ActiveDirectory.Management.ADComputer', 'ADAccount': 'Microsoft.ActiveDirectory.Management.ADAccount',
    'ADPrincipal': 'Microsoft.ActiveDirectory.Management.ADPrincipal',
    'ADAuthenticationPolicy': 'Microsoft.ActiveDirectory.Management.ADAuthenticationPolicy',
    'ADAuthenticationPolicySilo': 'Microsoft.ActiveDirectory.Management.ADAuthenticationPolicySilo',
    'VMDriveController': 'Microsoft.HyperV.PowerShell.VMDriveController', 'Object': 'System.Object', 'Uri': 'System.Uri',
    'ServiceController': 'System.ServiceProcess.ServiceController',
    'VMNetworkAdapter': 'Microsoft.HyperV.PowerShell.VMNetworkAdapter', 'VMSwitch': 'Microsoft.HyperV.PowerShell.VMSwitch',
}


@dataclass(frozen=True)
class ParameterType:
    """A parameter's type: element type, whether it is an array, and its enum members if any."""

    element: str            # short name as documented, e.g. 'String', 'MigrationAuthenticationType'
    full_name: str          # .NET name of the element type, e.g. 'System.String'
    is_array: bool
    enum_members: tuple[str, ...] = ()

    @property
    def is_enum(self) -> bool:
        return bool(self.enum_members)

    @property
    def display_name(self) -> str:
        return self.full_name + ('[]' if self.is_array else '')

    def enum_value(self, member: str) -> int:
        explicit = ENUM_VALUES.get(self.full_name)
        return explicit[member] if explicit else self.enum_members.index(member)


@dataclass(frozen=True)
class ParameterSpec:
    """One documented parameter of a cmdlet."""

    name: str
    type: ParameterType
    sets: tuple[str, ...]                      # empty = every set (common parameters)
    mandatory: dict[str, bool]
    positions: dict[str, int]
    aliases: tuple[str, ...] = ()
    is_common: bool = False

    def in_set(self, set_name: str) -> bool:
        return not self.sets or set_name in self.sets or ALL_SETS in self.sets

    def mandatory_in(self, set_name: str) -> bool:
        return self.mandatory.get(set_name, self.mandatory.get(ALL_SETS, False))

    def position_in(self, set_name: str) -> int | None:
        return self.positions.get(set_name, self.positions.get(ALL_SETS))


def _common(name: str, element: str, alias: str) -> ParameterSpec:
    if element == 'ActionPreference':
        ptype = ParameterType(element, 'System.Management.Automation.ActionPreference', False,
                              ('SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore', 'Suspend'))
    else:
        ptype = ParameterType(element, _SYSTEM_TYPES.get(element, f'System.{element}'), False)
    return ParameterSpec(name, ptype, (), {}, {}, (alias,), is_common=True)


# Windows PowerShell 5.1's common parameters (a Server 2022 WinRM endpoint runs 5.1, so no -ProgressAction).
COMMON_PARAMETERS = (
    _common('Verbose', 'SwitchParameter', 'vb'), _common('Debug', 'SwitchParameter', 'db'),
    _common('ErrorAction', 'ActionPreference', 'ea'), _common('WarningAction', 'ActionPreference', 'wa'),
    _common('InformationAction', 'ActionPreference', 'infa'), _common('ErrorVariable', 'String', 'ev'),
    _common('WarningVariable', 'String', 'wv'), _common('InformationVariable', 'String', 'iv'),
    _common('OutVariable', 'String', 'ov'), _common('OutBuffer', 'Int32', 'ob'), _common('PipelineVariable', 'String', 'pv'),
)


@dataclass(frozen=True)
class CmdletSignature:
    """A cmdlet as documented: name, module, parameter sets, parameters."""

    name: str
    module: str
    sets: tuple[str, ...]
    default_set: str | None
    parameters: tuple[ParameterSpec, ...]

    @property
    def implementing_type(self) -> str:
        """The class PowerShell names in FullyQualifiedErrorId ('...,Microsoft.HyperV.PowerShell.Commands.SetVMHost')."""
        compact = self.name.replace('-', '')
        if self.module == 'Hyper-V':
            return f'Microsoft.HyperV.PowerShell.Commands.{compact}'
        if self.module == 'ServerManager':
            return f'Microsoft.Windows.ServerManager.Commands.{compact}Command'
        if self.module == 'ActiveDirectory':
            return f'Microsoft.ActiveDirectory.Management.Commands.{compact}'
        if self.module == 'CimCmdlets':
            return f'Microsoft.Management.Infrastructure.CimCmdlets.{compact}Command'
        if self.module in ('Microsoft.PowerShell.Utility', 'Microsoft.PowerShell.Management'):
            return f'Microsoft.PowerShell.Commands.{compact}Command'
        # NetSecurity cmdlets are CDXML functions: PowerShell uses the function name.
        return self.name

    def parameter(self, name: str) -> ParameterSpec:
        return next(spec for spec in self.parameters if spec.name == name)


def _parameter_type(raw: str, module: str, accepted: list[str]) -> ParameterType:
    is_array = raw.endswith('[]')
    element = raw[:-2] if is_array else raw
    if accepted:
        full = _ENUM_TYPE_NAMES.get(module, '{}').format(element)
        return ParameterType(element, full, is_array, tuple(accepted))
    return ParameterType(element, _SYSTEM_TYPES.get(element, element), is_array)


def _per_set(value, sets, default):
    if isinstance(value, dict):
        return dict(value)
    return {set_name: (default if value in (None, 'Named') else value) for set_name in sets}


def _signature(entry: dict) -> CmdletSignature:
    sets = tuple(item['name'] for item in entry['parameter_sets'])
    default = next((item['name'] for item in entry['parameter_sets'] if item.get('default')), None)
    params = []
    for raw in entry['parameters']:
        param_sets = tuple(raw['parameter_sets'])
        mandatory = {k: bool(v) for k, v in _per_set(raw['required'], param_sets, False).items()}
        positions = {k: int(v) for k, v in _per_set(raw['position'], param_sets, None).items() if v not in (None, 'Named')}
        params.append(ParameterSpec(raw['name'], _parameter_type(raw['type'], entry['module'], raw['accepted_values']),
                                    param_sets, mandatory, positions, tuple(raw['aliases'])))
    return CmdletSignature(entry['name'], entry['module'], sets, default, tuple(params) + COMMON_PARAMETERS)


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, CmdletSignature]:
    """Every documented cmdlet, keyed by lower-case name."""
    data = json.loads(CMDLETS_JSON.read_text(encoding='utf-8'))
    return {name.lower(): _signature(entry) for name, entry in data.items()}


def find_signature(name: str) -> CmdletSignature | None:
    return catalog().get(name.strip().lower())
