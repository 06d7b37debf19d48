# -*- coding: utf-8 -*-
"""Objects of a pipeline result as the transports hand them to modules (PSObjectData), for the modules' unit tests."""

from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import PSObjectData
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import COMPUTER_SYSTEM_TYPE

HV = 'Microsoft.HyperV.PowerShell.'


def hyperv_object(type_name, **properties):
    """A Hyper-V object (type_name without the namespace) with plain property values."""
    return PSObjectData([HV + type_name, 'System.Object'], properties, type_name)


def computer_system(fqdn, workgroup=None):
    """Win32_ComputerSystem of a host named by its FQDN (a domain member) or, with workgroup, by its host name alone."""
    host, _unused, domain = fqdn.partition('.')
    joined = workgroup is None and bool(domain)
    properties = {'Name': host.upper(), 'DNSHostName': host, 'Domain': domain if joined else (workgroup or 'WORKGROUP'),
                  'PartOfDomain': joined, 'Workgroup': None if joined else (workgroup or 'WORKGROUP')}
    return PSObjectData([COMPUTER_SYSTEM_TYPE, 'Microsoft.Management.Infrastructure.CimInstance', 'System.Object'], properties,
                        'Win32_ComputerSystem (Name = "%s")' % host.upper())


def hard_disk_drive(vm_id, path):
    return hyperv_object('HardDiskDrive', VMId=vm_id, Path=path)
