# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A Hyper-V host's own names, read from Win32_ComputerSystem: the one source of a host's FQDN for every module.

Get-VMHost's FullyQualifiedDomainName is not the host's FQDN: Hyper-V fills it from Win32_ComputerSystem.Domain, the domain
(or the workgroup) the computer belongs to. The host's names come from that class instead (Get-CimInstance -ClassName
Win32_ComputerSystem, documented fields): DNSHostName is the host name in DNS, Domain the domain's DNS name when PartOfDomain
is true (the workgroup's name otherwise), Name the NetBIOS name. A domain member's FQDN is DNSHostName.Domain, the name
Active Directory registers for its computer account (a disjoint DNS namespace, where the primary DNS suffix differs from
the domain, is not seen here); a workgroup host has no DNS domain and its FQDN is its host name.
"""

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command

# One statement of a module's read pipeline.
IDENTITY_COMMAND = Command('Get-CimInstance', {'ClassName': 'Win32_ComputerSystem'})
COMPUTER_SYSTEM_TYPE = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem'


class HostIdentity:
    """computer_name (NetBIOS, upper case), host_name (DNS host label), domain (None for a workgroup host), workgroup."""

    def __init__(self, computer_name, host_name, domain, workgroup=None):
        self.computer_name = computer_name
        self.host_name = host_name
        self.domain = domain
        self.workgroup = workgroup

    @property
    def fqdn(self):
        """The host's fully qualified DNS name (its host name alone when it is not in a domain)."""
        if self.domain:
            return '%s.%s' % (self.host_name, self.domain)
        return self.host_name

    @property
    def domain_joined(self):
        return self.domain is not None

    def to_dict(self):
        return dict(computer_name=self.computer_name, fqdn=self.fqdn, domain=self.domain, domain_joined=self.domain_joined)


def host_identity(result):
    """The HostIdentity in a pipeline result that ran IDENTITY_COMMAND, or None when it returned no Win32_ComputerSystem."""
    found = result.of_type(COMPUTER_SYSTEM_TYPE)
    if not found:
        return None
    system = found[0]
    computer_name = _text(system.get('Name'))
    host_name = _text(system.get('DNSHostName')) or (computer_name or '').lower() or None
    joined = system.get('PartOfDomain') is True
    domain = _text(system.get('Domain')) if joined else None
    return HostIdentity(computer_name, host_name, domain,
                        None if joined else (_text(system.get('Workgroup')) or _text(system.get('Domain'))))


def _text(value):
    return None if value is None else str(value)
