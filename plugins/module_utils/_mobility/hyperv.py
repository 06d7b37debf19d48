# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Facts about Hyper-V's objects that every module reads the same way (no I/O): type names, versions, the role."""

from typing import Any, Tuple

# The namespace of the Hyper-V module's object types (Microsoft.HyperV.PowerShell.VMHost, ...VirtualMachine, ...).
HV = 'Microsoft.HyperV.PowerShell.'
# What Get-WindowsFeature returns (ServerManager module).
FEATURE_TYPE = 'Microsoft.Windows.ServerManager.Commands.Feature'
# A cmdlet that does not exist on the host (its module is not installed) fails with this FullyQualifiedErrorId.
COMMAND_NOT_FOUND = 'CommandNotFoundException'


def version_key(version: Any) -> Tuple[int, ...]:
    """A System.Version text ('9.0', '10.0') as a tuple that sorts the way versions do; (0,) when it is not one."""
    try:
        return tuple(int(part) for part in str(version).split('.'))
    except ValueError:
        return (0,)


def is_command_not_found(error: Any) -> bool:
    """Whether an error record says that its cmdlet does not exist on the host."""
    return COMMAND_NOT_FOUND in (error.fully_qualified_error_id or '')


def hyperv_role_installed(result: Any) -> bool:
    """Whether Get-WindowsFeature -Name Hyper-V in a pipeline result says the role is installed."""
    features = [item for item in result.of_type(FEATURE_TYPE) if str(item.get('Name', '')).lower() == 'hyper-v']
    return bool(features and features[0].get('Installed'))


class HostVersions:
    """The configuration versions a host supports (Get-VMHostSupportedVersion) and its default."""

    def __init__(self, result):
        items = result.of_type(HV + 'VMHostSupportedVersion')
        self.supported = sorted((str(item.get('Version')) for item in items), key=version_key)
        defaults = [str(item.get('Version')) for item in items if str(item.get('IsDefault')).lower() == 'true']
        self.default = defaults[0] if defaults else (self.supported[-1] if self.supported else None)

    def supports(self, version):
        return any(version_key(version) == version_key(known) for known in self.supported)

    @property
    def upgrade_results(self):
        """Every version Update-VMVersion could upgrade a VM to here: the default and the highest (one on common hosts)."""
        return sorted({self.default, self.supported[-1]} - {None}, key=version_key) if self.supported else []
