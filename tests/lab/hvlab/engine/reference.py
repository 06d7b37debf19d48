"""Reference facts the lab models: Windows Server releases, VM configuration versions, features, subnets.

Pure data and functions, shared by hvlab.model.world (the estate) and the cmdlets (no imports of either).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# Windows Server releases the lab can simulate. The VM configuration versions per release follow
# Microsoft's "Supported virtual machine configuration versions" table (Get-VMHostSupportedVersion);
# the default is the newest version of the release.
_VERSION_NAMES = {
    '5.0': 'Microsoft Windows 8.1/Server 2012 R2',
    '6.2': 'Microsoft Windows 10 1507/Server 2016 Technical Preview 3',
    '7.0': 'Microsoft Windows 10 1511/Server 2016 Technical Preview 4',
    '7.1': 'Microsoft Windows Server 2016 Technical Preview 5',
    '8.0': 'Microsoft Windows 10 Anniversary Update/Server 2016',
    '8.1': 'Microsoft Windows 10 Creators Update',
    '8.2': 'Microsoft Windows 10 Fall Creators Update/Server 1709',
    '8.3': 'Microsoft Windows 10 April 2018 Update/Server 1803',
    '9.0': 'Microsoft Windows 10 October 2018 Update/Server 2019',
    '9.1': 'Microsoft Windows 10 May 2019 Update/Server 1903',
    '9.2': 'Microsoft Windows 10 May 2020 Update/Server 2004',
    '9.3': 'Microsoft Windows 10 October 2020 Update/Server 20H2',
    '10.0': 'Microsoft Windows Server 2022',
}


@dataclass(frozen=True)
class OsRelease:
    """One Windows Server release: what Win32_OperatingSystem reports and which VM versions it runs."""

    key: str
    caption: str
    version: str
    supported_vm_versions: tuple[str, ...]

    @property
    def default_vm_version(self) -> str:
        return self.supported_vm_versions[-1]


OS_RELEASES = {
    '2016': OsRelease('2016', 'Microsoft Windows Server 2016 Datacenter', '10.0.14393', ('5.0', '6.2', '7.0', '7.1', '8.0')),
    '2019': OsRelease('2019', 'Microsoft Windows Server 2019 Datacenter', '10.0.17763',
                      ('5.0', '6.2', '7.0', '7.1', '8.0', '8.1', '8.2', '8.3', '9.0')),
    '2022': OsRelease('2022', 'Microsoft Windows Server 2022 Datacenter', '10.0.20348',
                      ('5.0', '6.2', '7.0', '7.1', '8.0', '8.1', '8.2', '8.3', '9.0', '9.1', '9.2', '9.3', '10.0')),
}


def vm_version_name(version: str) -> str:
    """The Name column Get-VMHostSupportedVersion shows for a configuration version."""
    return _VERSION_NAMES.get(version, f'Microsoft Windows (configuration version {version})')


def vm_version_key(version: str) -> tuple[int, ...]:
    """Sortable form of a configuration version ('9.0' < '10.0')."""
    return tuple(int(part) for part in version.split('.'))


VM_STATES = ('Running', 'Off', 'Saved', 'Paused')
MIGRATION_AUTH_TYPES = ('CredSSP', 'Kerberos')
MIGRATION_PERFORMANCE_OPTIONS = ('TCPIP', 'Compression', 'SMB')
REPLICA_AUTH_TYPES = ('Kerberos', 'Certificate', 'CertificateAndKerberos')


def canonical_subnet(text: str) -> str:
    """Hyper-V's form of a migration network: address/prefix; a bare address is a host route.

    Raises ValueError for anything that is not an IPv4/IPv6 address or CIDR prefix.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(text)
    address_text, _unused, prefix_text = text.strip().partition('/')
    address = ipaddress.ip_address(address_text)
    if prefix_text == '':
        if '/' in text:
            raise ValueError(text)
        prefix = address.max_prefixlen
    else:
        if not prefix_text.isdigit():
            raise ValueError(text)
        prefix = int(prefix_text)
        if prefix > address.max_prefixlen:
            raise ValueError(text)
    return f'{address.compressed}/{prefix}'


# Windows features the lab knows: name -> (display name, feature type, parent, installed on a seeded host).
FEATURE_CATALOG = {
    'Hyper-V': ('Hyper-V', 'Role', None),
    'Failover-Clustering': ('Failover Clustering', 'Feature', None),
    'RSAT': ('Remote Server Administration Tools', 'Feature', None),
    'RSAT-Role-Tools': ('Role Administration Tools', 'Feature', 'RSAT'),
    'RSAT-Hyper-V-Tools': ('Hyper-V Management Tools', 'Feature', 'RSAT-Role-Tools'),
    'Hyper-V-Tools': ('Hyper-V GUI Management Tools', 'Feature', 'RSAT-Hyper-V-Tools'),
    'Hyper-V-PowerShell': ('Hyper-V Module for Windows PowerShell', 'Feature', 'RSAT-Hyper-V-Tools'),
    'RSAT-Clustering': ('Failover Clustering Tools', 'Feature', 'RSAT-Feature-Tools'),
}
