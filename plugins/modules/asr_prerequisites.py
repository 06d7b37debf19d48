#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_prerequisites
short_description: Check a Hyper-V host or a VMM server against the Site Recovery prerequisites
version_added: 0.1.0
description:
  - Reads, in one PowerShell pipeline, whether the Hyper-V role is installed and which Windows Server release the host
    runs, and reports each prerequisite of Microsoft's Hyper-V to Azure guide with its status and the fix.
  - With O(server_role=vmm_server), checks a System Center VMM server instead, as Microsoft's "Prepare VMM servers" lists it -
    the VMM service (read with C(Get-Service)), and, reported V(not_checked) with what to allow, HTTPS (443) to the Site Recovery
    URLs and the Azure datacenter IP ranges of the vault's region (O(region)) and of West US (access control and identity management).
  - Prerequisites that no cmdlet of this collection's reference can check from the host session (outbound HTTPS to the
    cloud's endpoints, time synchronisation, free space for the replication log) are reported as V(not_checked) with
    what to verify, never guessed.
  - Runs on the Ansible controller and reaches the host over WinRM (psrp or winrm); see the connection options.
  - Never changes anything, and does not fail when a prerequisite is not met; read RV(ready) and RV(checks).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.host_group
options:
  server_role:
    description:
      - V(hyperv_host) - a Hyper-V host (Hyper-V to Azure, or a host of a VMM cloud).
      - V(vmm_server) - a VMM server whose clouds Site Recovery protects (to a secondary site or to Azure).
    type: str
    choices: [hyperv_host, vmm_server]
    default: hyperv_host
  region:
    description:
      - The Azure region of the vault's subscription (for example V(westeurope)); the checks then name its datacenter IP ranges, which
        IP-based firewall rules must allow besides West US's.
    type: str
  cloud_environment:
    description:
      - The Azure cloud the host will replicate to; it names the endpoints in the fix of the outbound HTTPS check.
      - A public cloud name, or the metadata URL of another cloud (as O(hyperv.mobility.asr_hyperv_site#module:cloud_environment)).
    type: str
    default: AzureCloud
notes:
  - Cmdlets run, in one pipeline - C(Get-WindowsFeature -Name Hyper-V), C(Get-VMHost), C(Get-VMHostSupportedVersion); on a VMM
    server C(Get-Service -Name SCVMMService).
  - The release is the one of the host's default VM configuration version (C(Get-VMHostSupportedVersion), C(IsDefault)).
    Site Recovery supports Hyper-V hosts on Windows Server 2022, 2019, 2016 and 2012 R2; a newer release is reported
    V(not_checked) (see the support matrix), a semi-annual channel release V(failed).
  - C(Get-VMHostSupportedVersion) does not exist before Windows Server 2016; its absence is reported, not treated as an error.
  - Registering the host with the vault (the Site Recovery provider and the Recovery Services agent) is
    M(hyperv.mobility.asr_host_registration).
seealso:
  - name: Hyper-V to Azure support matrix
    description: Supported host releases and requirements.
    link: https://learn.microsoft.com/azure/site-recovery/hyper-v-azure-support-matrix
'''

EXAMPLES = r'''
- name: Check every Hyper-V host of the group before enabling Site Recovery
  hyperv.mobility.asr_prerequisites:
  register: asr_ready

- name: Stop when a host is not ready
  ansible.builtin.assert:
    that: asr_ready.ready
    fail_msg: "{{ asr_ready.checks | selectattr('status', 'equalto', 'failed') | map(attribute='fix') | list }}"

- name: Check a host that replicates to Azure Government
  hyperv.mobility.asr_prerequisites:
    cloud_environment: AzureUSGovernment
'''

RETURN = r'''
ready:
  description: Whether no check V(failed) (checks V(not_checked) are for the operator to verify).
  returned: always
  type: bool
  sample: true
os_name:
  description: Windows release of the host's default VM configuration version; V(null) when the host cannot tell.
  returned: always
  type: str
  sample: Microsoft Windows Server 2022
checks:
  description: One entry per prerequisite, in the order of Microsoft's guide.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description:
      - V(hyperv_role), V(supported_os), V(outbound_https), V(time_sync) or V(replication_log_space) (Hyper-V host).
      - V(vmm_service), V(outbound_https), V(azure_ip_ranges) or V(time_sync) (VMM server).
      type: str
    status:
      description: V(passed), V(failed) or V(not_checked).
      type: str
    detail:
      description: What was found.
      type: str
    fix:
      description: What to do (V(null) when passed).
      type: str
  sample: [{"name": "hyperv_role", "status": "passed", "detail": "The Hyper-V role is installed.", "fix": null}]
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import Command, HypervModule, InfoResource
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV, hyperv_role_installed, is_command_not_found, version_key

READ_COMMANDS = (
    Command('Get-WindowsFeature', {'Name': 'Hyper-V'}),
    Command('Get-VMHost'),
    Command('Get-VMHostSupportedVersion'),
)
# Default VM configuration version -> the long-term servicing release Site Recovery supports as a Hyper-V host.
SUPPORTED_RELEASES = {'5.0': 'Windows Server 2012 R2', '8.0': 'Windows Server 2016', '9.0': 'Windows Server 2019', '10.0': 'Windows Server 2022'}
NEWEST_KNOWN_VERSION = (10, 0)
# Where the host must reach over HTTPS (443), per cloud: Entra ID, Site Recovery and storage (the guide's URL list).
CLOUD_ENDPOINTS = {
    'AzureCloud': 'login.microsoftonline.com, *.hypervrecoverymanager.windowsazure.com, *.backup.windowsazure.com, *.blob.core.windows.net',
    'AzureUSGovernment': 'login.microsoftonline.us, *.hypervrecoverymanager.windowsazure.us, *.backup.windowsazure.us, *.blob.core.usgovcloudapi.net',
    'AzureChinaCloud': 'login.chinacloudapi.cn, *.hypervrecoverymanager.windowsazure.cn, *.backup.windowsazure.cn, *.blob.core.chinacloudapi.cn',
}
# Without the Hyper-V role, Virtual Machine Management is not there to answer these: that is the failed hyperv_role check.
HYPERV_CMDLETS = ('Get-VMHost', 'Get-VMHostSupportedVersion')


def check(name, status, detail, fix=None):
    return dict(name=name, status=status, detail=detail, fix=fix)


class PrerequisiteReport:
    """The checks from the one read pipeline (and what no cmdlet can check, stated as such)."""

    def __init__(self, result, cloud_environment, region=None):
        self.result = result
        self.cloud_environment = cloud_environment
        self.region = region

    def _missing(self, command_name):
        return any(is_command_not_found(error) and error.command == command_name for error in self.result.errors)

    def role_installed(self):
        return hyperv_role_installed(self.result)

    def hyperv_role(self):
        if self.role_installed():
            return check('hyperv_role', 'passed', 'The Hyper-V role is installed.')
        return check('hyperv_role', 'failed', 'The Hyper-V role is not installed.',
                     'Install the role (Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart) and restart the host.')

    def default_version(self):
        defaults = [item for item in self.result.of_type(HV + 'VMHostSupportedVersion') if item.get('IsDefault')]
        return (str(defaults[0].get('Version')), defaults[0].get('Name')) if defaults else (None, None)

    def supported_os(self):
        version, name = self.default_version()
        matrix = 'Site Recovery supports Hyper-V hosts on %s.' % ', '.join(sorted(set(SUPPORTED_RELEASES.values())))
        if version is None:
            if not self.role_installed():
                why = 'the Hyper-V cmdlets cannot answer without the Hyper-V role'
            elif self._missing('Get-VMHostSupportedVersion'):
                why = 'Get-VMHostSupportedVersion does not exist on this host (older than Windows Server 2016)'
            else:
                why = 'the host reported no default VM configuration version'

            return check('supported_os', 'not_checked', 'The release is unknown: %s.' % why,
                         '%s Check the release on the host; Windows Server 2012 (not R2) and older are not supported.' % matrix)
        if version in SUPPORTED_RELEASES:
            return check('supported_os', 'passed', '%s (default VM configuration version %s).' % (SUPPORTED_RELEASES[version], version))
        if version_key(version) > NEWEST_KNOWN_VERSION:
            return check('supported_os', 'not_checked', '%s (default VM configuration version %s) is newer than this module knows.' % (name, version),
                         'Check the Hyper-V to Azure support matrix for this release.')
        return check('supported_os', 'failed', '%s (default VM configuration version %s) is not a supported host release.' % (name, version),
                     '%s Move the VMs to a host on a supported release or upgrade this host.' % matrix)

    def outbound_https(self):
        endpoints = CLOUD_ENDPOINTS.get(self.cloud_environment, 'the login, Site Recovery and storage endpoints of %s' % self.cloud_environment)
        return check('outbound_https', 'not_checked', 'Outbound HTTPS cannot be tested with the cmdlets this collection uses.',
                     'Allow outbound TCP 443 from the host (directly or through the proxy given at registration) to %s. %s' % (
                         endpoints, ip_ranges_fix(self.region)))

    @staticmethod
    def time_sync():
        return check('time_sync', 'not_checked', 'The host clock cannot be compared with a time source through the cmdlets this collection uses.',
                     'Keep the host clock synchronised (domain hierarchy or NTP): Entra ID and Site Recovery refuse requests from a skewed clock.')

    def replication_log_space(self):
        vmhost = self.result.of_type(HV + 'VMHost')
        path = vmhost[0].get('VirtualHardDiskPath') if vmhost else None
        return check('replication_log_space', 'not_checked', 'Free space is not read by the cmdlets this collection uses.',
                     'Keep free space on the volumes of the protected VMs\' virtual hard disks%s for the replication log (.hrl) files, '
                     'which grow with the changes between two copies.' % (' (default path %s)' % path if path else ''))

    def as_result(self):
        checks = [self.hyperv_role(), self.supported_os(), self.outbound_https(), self.time_sync(), self.replication_log_space()]
        return dict(checks=checks, ready=not [entry for entry in checks if entry['status'] == 'failed'], os_name=self.default_version()[1])


VMM_SERVICE = reads.VMM_SERVICE
VMM_READ_COMMANDS = reads.VMM_SERVICE_READ
# What Microsoft's VMM guide lists for the VMM servers (and Hyper-V hosts) - HTTPS to these URLs, per public cloud.
VMM_URLS = {
    'AzureCloud': '*.hypervrecoverymanager.windowsazure.com, *.accesscontrol.windows.net, *.backup.windowsazure.com, *.blob.core.windows.net, '
                  '*.store.core.windows.net',
}


def ip_ranges_fix(region):
    """Microsoft: allow the Azure datacenter IP ranges of the subscription's region and of West US (access control and identity)."""
    return ('If firewall rules are based on IP addresses, allow HTTPS (443) to the Azure datacenter IP ranges of %s and of West US (used for '
            "access control and identity management), as Microsoft's datacenter IP ranges download lists them." % (
                'the vault\'s region %s' % region if region else "the vault's region (give region to name it)"))


class VmmServerReport:
    """The checks of a VMM server: its VMM service from the read pipeline, the network rules stated as such."""

    def __init__(self, result, cloud_environment, region):
        self.result = result
        self.cloud_environment = cloud_environment
        self.region = region

    def vmm_service(self):
        services = self.result.of_type('System.ServiceProcess.ServiceController')
        if not services:
            return check('vmm_service', 'failed', 'There is no System Center Virtual Machine Manager service (%s): this is not a VMM server.' % VMM_SERVICE,
                         'Run the check on the VMM server; a Hyper-V host is checked with server_role=hyperv_host.')
        status = services[0].get('Status')
        if status == 'Running':
            return check('vmm_service', 'passed', 'The VMM service (%s) runs.' % VMM_SERVICE)
        return check('vmm_service', 'failed', 'The VMM service (%s) is %s.' % (VMM_SERVICE, status),
                     'Start the VMM service; on a highly available VMM, check from the node that owns the VMM cluster role.')

    def outbound_https(self):
        urls = VMM_URLS.get(self.cloud_environment, 'the Site Recovery, access control, backup and storage endpoints of %s' % self.cloud_environment)
        return check('outbound_https', 'not_checked', 'Outbound HTTPS cannot be tested with the cmdlets this collection uses.',
                     'The VMM server needs the Internet: allow outbound TCP 443 (directly or through the proxy given at registration) to %s.' % urls)

    def azure_ip_ranges(self):
        return check('azure_ip_ranges', 'not_checked', 'Firewall rules outside the server are not visible from its session.', ip_ranges_fix(self.region))

    def as_result(self):
        checks = [self.vmm_service(), self.outbound_https(), self.azure_ip_ranges(), PrerequisiteReport.time_sync()]
        return dict(checks=checks, ready=not [entry for entry in checks if entry['status'] == 'failed'], os_name=None)


class Prerequisites(InfoResource):
    """The checks of one host (a Hyper-V host or a VMM server), read in one pipeline."""

    def _vmm_server(self):
        return self.params['server_role'] == 'vmm_server'

    def read_commands(self):
        return list(VMM_READ_COMMANDS if self._vmm_server() else READ_COMMANDS)

    def is_answer(self, error, result):
        """On a VMM server: no VMM service (the failed vmm_service check). On a Hyper-V host: 'this cmdlet does not exist on
        the host', and without the Hyper-V role the Hyper-V cmdlets' errors (the failed hyperv_role check)."""
        if self._vmm_server():
            return (error.fully_qualified_error_id or '').startswith('NoServiceFoundForGivenName')
        return is_command_not_found(error) or (error.command in HYPERV_CMDLETS and not hyperv_role_installed(result))

    def facts(self, result):
        report = VmmServerReport if self._vmm_server() else PrerequisiteReport
        return report(result, self.params['cloud_environment'], self.params['region']).as_result()


def main():
    HypervModule(argument_spec=dict(cloud_environment=dict(type='str', default='AzureCloud'), region=dict(type='str'),
                                    server_role=dict(type='str', choices=['hyperv_host', 'vmm_server'], default='hyperv_host')),
                 supports_check_mode=True).execute(Prerequisites)


if __name__ == '__main__':
    main()
