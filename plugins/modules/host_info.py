#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: host_info
short_description: Read the live migration and replication facts of a Hyper-V host
version_added: 0.1.0
description:
  - Reads, in one PowerShell pipeline, whether Hyper-V is installed, the VM configuration versions the host supports,
    its name, FQDN and domain, its live migration settings and migration networks, its Hyper-V Replica server
    settings and its virtual machines.
  - Runs on the Ansible controller and reaches the host over WinRM (psrp or winrm); see the connection options.
  - Never changes anything.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.host_group
options: {}
notes:
  - Cmdlets run, in one pipeline - C(Get-CimInstance -ClassName Win32_ComputerSystem), C(Get-WindowsFeature -Name Hyper-V),
    C(Get-VMHost), C(Get-VMHostSupportedVersion), C(Get-VMMigrationNetwork), C(Get-VM), C(Get-VMReplicationServer).
  - The host's names come from C(Win32_ComputerSystem), not from C(Get-VMHost), whose C(FullyQualifiedDomainName) is the
    host's domain (or workgroup), not its FQDN.
  - When a Hyper-V cmdlet is not present on the host (the Hyper-V PowerShell module is not installed), the facts it
    would give are returned empty (V(null) or V([])) instead of failing; any other error fails the module.
seealso:
  - name: Get-VMHost
    description: The cmdlet that reports the live migration settings.
    link: https://learn.microsoft.com/powershell/module/hyper-v/get-vmhost
'''

EXAMPLES = r'''
- name: Read the facts of every Hyper-V host of the inventory (psrp or winrm vars as for ansible.windows)
  hyperv.mobility.host_info:
  register: hv

- name: Show whether live migration is ready
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: migration {{ hv.live_migration.enabled }} with {{ hv.live_migration.authentication_type }}"

- name: Read a host from the controller with explicit connection options
  hyperv.mobility.host_info:
    hyperv_host: hv01.corp.example.com
    hyperv_user: CORP\hvadmin
    hyperv_password: "{{ vault_hvadmin_password }}"
    hyperv_auth: kerberos
    hyperv_ca_cert: /etc/pki/corp-ca.pem
  delegate_to: localhost

- name: Same connection options for every task of a play
  module_defaults:
    group/hyperv.mobility.hyperv:
      hyperv_ca_cert: /etc/pki/corp-ca.pem
  block:
    - name: Read the facts
      hyperv.mobility.host_info:
'''

RETURN = r'''
hyperv_installed:
  description: Whether the Windows feature C(Hyper-V) is installed (C(Get-WindowsFeature -Name Hyper-V).Installed).
  returned: always
  type: bool
  sample: true
computer_name:
  description: NetBIOS name of the host (C(Win32_ComputerSystem).Name).
  returned: always
  type: str
  sample: HV01
fqdn:
  description:
    - Fully qualified domain name of the host, C(Win32_ComputerSystem) C(DNSHostName).C(Domain) for a domain member.
    - The host name alone (C(DNSHostName)) when the host is not in a domain.
  returned: always
  type: str
  sample: hv01.corp.example.com
domain:
  description:
    - Active Directory domain of the host (C(Win32_ComputerSystem).Domain when C(PartOfDomain) is true).
    - V(null) when the host is not in a domain (it is in a workgroup).
  returned: always
  type: str
  sample: corp.example.com
domain_joined:
  description: Whether the host is in a domain (C(Win32_ComputerSystem).PartOfDomain).
  returned: always
  type: bool
  sample: true
os_name:
  description:
    - Windows release the host's default VM configuration version belongs to, which is the host's own release
      (C(Get-VMHostSupportedVersion) entry with C(IsDefault)).
  returned: always
  type: str
  sample: Microsoft Windows Server 2022
default_vm_version:
  description: Default VM configuration version of the host; new VMs get it, and a VM can move only to hosts that support its version.
  returned: always
  type: str
  sample: '10.0'
supported_vm_versions:
  description: Every VM configuration version the host supports (C(Get-VMHostSupportedVersion)), oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    version:
      description: Configuration version.
      type: str
      sample: '9.0'
    name:
      description: Windows release that introduced the version.
      type: str
      sample: Microsoft Windows 10 May 2019 Update/Server 1903
    is_default:
      description: Whether it is the host's default version.
      type: bool
      sample: false
live_migration:
  description: Live migration settings of the host (C(Get-VMHost)); V(null) when the Hyper-V module is missing.
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether incoming and outgoing live migrations are enabled (VirtualMachineMigrationEnabled).
      type: bool
      sample: true
    authentication_type:
      description: Authentication of live migrations, V(CredSSP) or V(Kerberos) (VirtualMachineMigrationAuthenticationType).
      type: str
      sample: Kerberos
    performance_option:
      description: Transport of live migrations, V(TCPIP), V(Compression) or V(SMB) (VirtualMachineMigrationPerformanceOption).
      type: str
      sample: Compression
    use_any_network:
      description: Whether incoming migrations are accepted on any network (UseAnyNetworkForMigration) rather than only on RV(migration_networks).
      type: bool
      sample: false
    maximum_vm_migrations:
      description: Simultaneous live migrations allowed (MaximumVirtualMachineMigrations).
      type: int
      sample: 2
    maximum_storage_migrations:
      description: Simultaneous storage migrations allowed (MaximumStorageMigrations).
      type: int
      sample: 2
migration_networks:
  description: Networks that accept incoming live migrations (C(Get-VMMigrationNetwork)), by priority.
  returned: always
  type: list
  elements: dict
  contains:
    subnet:
      description: Subnet in CIDR notation.
      type: str
      sample: 192.168.10.0/24
    priority:
      description: Priority, lower is preferred.
      type: int
      sample: 1
virtual_machine_path:
  description: Default folder of VM configuration files (C(Get-VMHost).VirtualMachinePath).
  returned: always
  type: str
  sample: C:\ProgramData\Microsoft\Windows\Hyper-V
virtual_hard_disk_path:
  description: Default folder of virtual hard disks (C(Get-VMHost).VirtualHardDiskPath).
  returned: always
  type: str
  sample: C:\ProgramData\Microsoft\Windows\Virtual Hard Disks
replica_server:
  description:
    - Hyper-V Replica server settings of the host (C(Get-VMReplicationServer)).
    - V(null) when the Hyper-V PowerShell module is missing.
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether the host accepts replication as a Replica server (ReplicationEnabled).
      type: bool
      sample: false
    allowed_authentication_type:
      description: V(Kerberos), V(Certificate) or V(CertificateAndKerberos) (AllowedAuthenticationType).
      type: str
      sample: Kerberos
    kerberos_authentication_port:
      description: HTTP listener port for Kerberos replication.
      type: int
      sample: 80
    certificate_authentication_port:
      description: HTTPS listener port for certificate replication.
      type: int
      sample: 443
    certificate_thumbprint:
      description: Thumbprint of the certificate used for certificate replication, if any.
      type: str
      sample: null
    allowed_from_any_server:
      description: Whether replication is accepted from any authenticated server (ReplicationAllowedFromAnyServer).
      type: bool
      sample: false
    default_storage_location:
      description: Default folder of replica VMs.
      type: str
      sample: D:\Replica
vms:
  description: Virtual machines of the host (C(Get-VM)), sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name.
      type: str
      sample: web01
    id:
      description: VM id (GUID).
      type: str
      sample: 0f8fad5b-d9cb-469f-a165-70867728950e
    state:
      description: VM state, for example V(Running), V(Off), V(Saved), V(Paused).
      type: str
      sample: Running
    version:
      description: VM configuration version.
      type: str
      sample: '9.0'
    generation:
      description: VM generation (1 or 2).
      type: int
      sample: 2
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HypervModule, InfoResource
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV, hyperv_role_installed, is_command_not_found, version_key

READ_COMMANDS = reads.HOST_FACTS


class HostFacts:
    """Builds the module result from the one read pipeline."""

    def __init__(self, result):
        self.result = result

    def _first(self, type_name):
        found = self.result.of_type(HV + type_name)
        return found[0] if found else None

    def hyperv_installed(self):
        return hyperv_role_installed(self.result)

    def identity(self):
        vmhost = self._first('VMHost')
        names = host_identity(self.result)
        facts = names.to_dict() if names else dict(computer_name=None, fqdn=None, domain=None, domain_joined=False)
        return dict(
            facts,
            virtual_machine_path=vmhost.get('VirtualMachinePath') if vmhost else None,
            virtual_hard_disk_path=vmhost.get('VirtualHardDiskPath') if vmhost else None,
        )

    def live_migration(self):
        vmhost = self._first('VMHost')
        if vmhost is None:
            return None
        return dict(
            enabled=vmhost.get('VirtualMachineMigrationEnabled'),
            authentication_type=vmhost.get('VirtualMachineMigrationAuthenticationType'),
            performance_option=vmhost.get('VirtualMachineMigrationPerformanceOption'),
            use_any_network=vmhost.get('UseAnyNetworkForMigration'),
            maximum_vm_migrations=vmhost.get('MaximumVirtualMachineMigrations'),
            maximum_storage_migrations=vmhost.get('MaximumStorageMigrations'),
        )

    def versions(self):
        versions = sorted(
            (dict(version=str(item.get('Version')), name=item.get('Name'), is_default=bool(item.get('IsDefault')))
             for item in self.result.of_type(HV + 'VMHostSupportedVersion')),
            key=lambda entry: version_key(entry['version']))
        default = [entry for entry in versions if entry['is_default']]
        return dict(
            supported_vm_versions=versions,
            default_vm_version=default[0]['version'] if default else None,
            os_name=default[0]['name'] if default else None,
        )

    def migration_networks(self):
        networks = [dict(subnet=item.get('Subnet'), priority=item.get('Priority'))
                    for item in self.result.of_type(HV + 'VMMigrationNetwork')]
        return sorted(networks, key=lambda entry: (entry['priority'] if entry['priority'] is not None else 0, entry['subnet'] or ''))

    def replica_server(self):
        server = self._first('VMReplicationServer')
        if server is None:
            return None
        return dict(
            # ReplicationEnabled; RepEnabled is the older alias property of the same value.
            enabled=server.get('ReplicationEnabled', server.get('RepEnabled')),
            allowed_authentication_type=server.get('AllowedAuthenticationType'),
            kerberos_authentication_port=server.get('KerberosAuthenticationPort'),
            certificate_authentication_port=server.get('CertificateAuthenticationPort'),
            certificate_thumbprint=server.get('CertificateThumbprint'),
            allowed_from_any_server=server.get('ReplicationAllowedFromAnyServer'),
            default_storage_location=server.get('DefaultStorageLocation'),
        )

    def vms(self):
        vms = [dict(name=item.get('Name'), id=item.get('Id') and str(item.get('Id')), state=item.get('State'),
                    version=item.get('Version') and str(item.get('Version')), generation=item.get('Generation'))
               for item in self.result.of_type(HV + 'VirtualMachine')]
        return sorted(vms, key=lambda entry: (entry['name'] or '').lower())

    def as_result(self):
        facts = dict(hyperv_installed=self.hyperv_installed(), live_migration=self.live_migration(),
                     migration_networks=self.migration_networks(), replica_server=self.replica_server(), vms=self.vms())
        facts.update(self.identity())
        facts.update(self.versions())
        return facts


class HostInfo(InfoResource):
    """Every fact from one read pipeline; a cmdlet that does not exist on the host leaves its facts empty."""

    def read_commands(self):
        return list(READ_COMMANDS)

    def is_answer(self, error, result):
        return is_command_not_found(error)

    def facts(self, result):
        return HostFacts(result).as_result()


def main():
    HypervModule(argument_spec={}, supports_check_mode=True).execute(HostInfo)


if __name__ == '__main__':
    main()
