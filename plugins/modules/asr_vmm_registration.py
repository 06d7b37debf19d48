#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_vmm_registration
short_description: Install the Site Recovery provider on a VMM server and register the server with a Recovery Services vault
version_added: 0.1.0
description:
  - Makes a System Center Virtual Machine Manager (VMM) server a registered server of an Azure Site Recovery vault, with the
    command lines Microsoft documents for installing the provider on a VMM server without the wizard, then checks the
    registration in the vault. The vault then knows the server's clouds (replicated between VMM sites, or between two clouds of
    one VMM server, or to Azure) and its VM networks.
  - The vault decides whether the node is registered (the VMM server's C(replicationRecoveryServicesProviders), one per node).
    A node registered under O(friendly_name) is left alone (V(ok)) - an idempotent run makes Azure reads and no host connection.
  - To register, the module reads the VMM service (C(Get-Service -Name SCVMMService)), stops it when it runs
    (C(Stop-Service); Microsoft's command line stops the VMM service before the setup), then runs, each as its own program
    through WinRS, C(AzureSiteRecoveryProvider.exe /x:<folder> /q), C(<folder>\setupdr.exe /i) and
    C(<VMM folder>\bin\DRConfigurator.exe /r /Friendlyname <name> /Credentials <file>) with C(/EncryptionEnabled <file>) when
    O(encryption_certificate_path) is set, the proxy switches when O(proxy_address) is set and C(/startvmmservice) (Microsoft's
    PowerShell procedure), which starts the VMM service again. Then it waits for the node to appear in the vault.
  - A highly available (stretched) VMM - Microsoft - "install the Provider on an active node and register the VMM server.
    Then install the provider on the other nodes". Run the module with O(node_role=active) on the node that owns the VMM
    cluster role, then with O(node_role=other) on every other node - there it only extracts and installs the provider, whose
    registration joins the server's; it refuses to run before the server is registered. O(friendly_name) is the VMM cluster
    role's name (Microsoft - "In a cluster configuration specify the VMM cluster role name").
  - The first step that fails stops the run; the result says which steps ran (RV(steps)) and the next run starts again from the
    VMM service, which is harmless where the provider is already installed. Until a registration succeeds (C(/startvmmservice))
    the VMM service stays stopped - VMM is down while a failed run waits for its fix.
  - O(state=absent) unregisters the node in the vault (its provider); the last node's removal removes the VMM server, its clouds
    and VM networks from the vault. Azure refuses while VMs of the server's clouds are protected. The provider stays installed.
  - The Recovery Services agent is not installed on a VMM server - with VMM clouds replicating to Azure it goes on each Hyper-V
    host of the clouds (M(hyperv.mobility.asr_recovery_services_agent)); between VMM sites Hyper-V Replica moves the data and the
    hosts need no agent.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.site_recovery_setup
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_and_azure_groups
attributes:
  check_mode:
    details: Only the vault is read; nothing runs on the host.
options:
  friendly_name:
    description:
      - The VMM server's name in the vault (the portal's server name) - usually its FQDN; for a highly available VMM, the VMM
        cluster role's name. Compared case-insensitively.
    type: str
    required: true
  node_role:
    description:
      - V(standalone) - a VMM server that is not clustered.
      - V(active) - the node of a highly available VMM that owns the VMM cluster role; it registers the server.
      - V(other) - another node of a highly available VMM, done after the V(active) one; the provider only is installed.
    type: str
    choices: [standalone, active, other]
    default: standalone
  node_name:
    description:
      - The machine's name as the vault lists it (the provider's C(machineName)); a short name matches the FQDN that starts with it.
      - Defaults to O(friendly_name) for a V(standalone) server; required for the nodes of a highly available VMM.
    type: str
  state:
    description: V(present) installs the provider (and registers the server), V(absent) unregisters the node in the vault.
    type: str
    choices: [present, absent]
    default: present
  installer_path:
    description:
      - Path on the VMM server of the downloaded C(AzureSiteRecoveryProvider.exe) (the file, or the folder that holds it).
      - Required with O(state=present).
    type: str
  extract_path:
    description: Folder on the VMM server the setup is extracted into; by default the installer's own folder (Microsoft's C(/x:.)).
    type: str
  vault_credentials_path:
    description:
      - Path on the VMM server of the vault's registration key for VMM servers (the vault credentials file; it names no Hyper-V site).
      - Microsoft documents that a registration key is valid for five days after it is generated.
      - Required with O(state=present), except with O(node_role=other).
    type: str
  vmm_install_path:
    description:
      - VMM's installation folder; C(DRConfigurator.exe) is in its C(bin) folder after the provider's setup.
      - The default is the folder Microsoft's procedure names; give yours for another VMM release (a full path with its drive,
        such as C(D:\VMM)). Where the registration tool is not found there, the task fails at the V(register) step naming the
        path it looked at, after the provider's setup ran; the next run with the right folder converges.
    type: str
    default: C:\Program Files\Microsoft System Center 2012 R2\Virtual Machine Manager
  encryption_certificate_path:
    description:
      - VMM clouds replicating to Azure - the full name of the C(.pfx) file where the provider saves the certificate that
        encrypts the replicated data (C(/EncryptionEnabled)). Microsoft - not used when replicating to a secondary site.
    type: str
notes:
  - Cmdlets run on the VMM server - C(Get-Service -Name SCVMMService), and C(Stop-Service -Name SCVMMService) when the service runs
    (O(node_role=standalone) or V(active)). With O(node_role=other) the VMM service must not run on the node (the cluster runs it
    on the node that owns the role); the module refuses to stop it there.
  - For a highly available VMM, Microsoft's wizard stops the VMM cluster role while it installs; the command-line procedure names
    the VMM service, which is what this module stops. Keep the role on the active node while the module runs.
seealso:
  - module: hyperv.mobility.asr_host_registration
  - module: hyperv.mobility.asr_recovery_services_agent
  - module: hyperv.mobility.asr_prerequisites
  - name: Set up disaster recovery of Hyper-V VMs in VMM clouds to a secondary site
    description: Microsoft's guide, including the stretched VMM cluster and the single-VMM-server deployment.
    link: https://learn.microsoft.com/en-us/azure/site-recovery/hyper-v-vmm-disaster-recovery
'''

EXAMPLES = r'''
- name: Register the VMM server with the vault
  hyperv.mobility.asr_vmm_registration:
    friendly_name: vmm01.corp.example.com
    installer_path: C:\ASR\AzureSiteRecoveryProvider.exe
    vault_credentials_path: C:\ASR\vault-dr.VaultCredentials
    resource_group: rg-dr
    vault_name: vault-dr

- name: Stretched VMM cluster - the node that owns the VMM role first
  hyperv.mobility.asr_vmm_registration:
    friendly_name: vmm-ha
    node_role: active
    node_name: "{{ inventory_hostname }}"
    installer_path: C:\ASR
    vault_credentials_path: C:\ASR\vault-dr.VaultCredentials
    resource_group: rg-dr
    vault_name: vault-dr
'''

RETURN = r'''
registration:
  description:
    - The node's registration in the vault after the run (predicted in check mode; empty when not registered, or when O(wait=false)
      and the vault does not list the fresh registration yet).
  returned: success
  type: dict
  contains:
    server:
      description: The VMM server's name in the vault (O(friendly_name)).
      type: str
    site:
      description: Name of the VMM server's fabric, which Site Recovery names itself (give it or the server's name as other modules' C(site)).
      type: str
    node:
      description: The machine the provider runs on (the vault's C(machineName)).
      type: str
    nodes:
      description: Every node of the server the vault lists.
      type: list
      elements: str
    provider_id:
      description: Name of the node's C(replicationRecoveryServicesProviders) resource (null when predicted).
      type: str
    provider_version:
      description: Version of the Site Recovery provider the node reports.
      type: str
    connection_status:
      description: Whether the provider is connected to the service, as Site Recovery reports it.
      type: str
    protected_item_count:
      description: How many VMs of the server's clouds are protected.
      type: int
steps:
  description: What ran on the host, in order (the VMM service, then each program with its command line, secrets masked); empty when nothing ran.
  returned: success and failure
  type: list
  elements: dict
  contains:
    step:
      description: V(stop_vmm_service), V(extract), V(install) or V(register).
      type: str
    command_line:
      description: The command line, with the proxy password replaced by V(********).
      type: str
    exit_code:
      description: The program's exit code; 0 is success.
      type: int
    output:
      description: What the program wrote (stdout, then stderr).
      type: str
operation_done:
  description: Whether the unregistration finished in Azure (false with O(wait=false) or in check mode).
  returned: O(state=absent) and changed
  type: bool
'''

import ntpath
import re

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import VMM, arm_property, fabric_type
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.provider_setup import (
    PROXY_OPTIONS, ProviderSetup, provider_view, same_machine)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import Command, HostError, Journal, OutcomeUnknownError

VMM_SERVICE = reads.VMM_SERVICE
DEFAULT_VMM_INSTALL_PATH = r'C:\Program Files\Microsoft System Center 2012 R2\Virtual Machine Manager'
SERVICE_TYPE = 'System.ServiceProcess.ServiceController'
# A folder on the VMM server's own disks: WinRS starts DRConfigurator.exe by this path, so it cannot be relative.
FULL_LOCAL_PATH = re.compile(r'^[A-Za-z]:\\')


class VmmRegistration(ProviderSetup, AsrResource):
    """One VMM server node's registration: read it in the vault; stop the VMM service, install and register on the node; or unregister."""

    PROGRAM_ARGUMENT_OPTIONS = ProviderSetup.PROGRAM_ARGUMENT_OPTIONS + ('friendly_name', 'vmm_install_path', 'encryption_certificate_path')
    PROGRAM_NAMES = dict(ProviderSetup.PROGRAM_NAMES, register="registration tool (DRConfigurator.exe in the bin folder of the VMM installation, "
                                                               "installed by the setup; see vmm_install_path)")

    def validate(self):
        params = self.params
        present = params['state'] == 'present'
        required = ('installer_path',) if params['node_role'] == 'other' else ('installer_path', 'vault_credentials_path')
        self.validate_programs(required if present else ())
        if params['node_role'] != 'standalone' and not params['node_name']:
            self.fail('node_name is required with node_role=%s: the node of the highly available VMM, as the vault lists it.' % params['node_role'])
        if not FULL_LOCAL_PATH.match(params['vmm_install_path']):
            self.fail("vmm_install_path must be the full path of VMM's installation folder on the VMM server, with its drive (such as %s); "
                      'got %r.' % (DEFAULT_VMM_INSTALL_PATH, params['vmm_install_path']))
        path = params['encryption_certificate_path']
        if path and not path.lower().endswith('.pfx'):
            self.fail('encryption_certificate_path must be the full name of a .pfx file (DRConfigurator /EncryptionEnabled); got %r.' % path)

    @property
    def node(self):
        return self.params['node_name'] or self.params['friendly_name']

    # ---- the vault ------------------------------------------------------------------------------------------------
    def server_fabric(self):
        """The VMM server's fabric, by the server's friendly name, or None."""
        client = self.client
        wanted = self.params['friendly_name'].lower()
        return next((fabric for fabric in client.list('registered servers', client.asr.replication_fabrics.list)
                     if fabric_type(fabric) == VMM and (arm_property(fabric, 'friendlyName') or '').lower() == wanted), None)

    def registration(self):
        """(fabric, providers of the server, this node's provider) as the vault has them."""
        fabric = self.server_fabric()
        providers = self.providers_of(fabric['name']) if fabric else []
        mine = next((provider for provider in providers if same_machine(arm_property(provider, 'machineName'), self.node)), None)
        return fabric, providers, mine

    def view(self, fabric, providers, mine):
        if not mine:
            return {}
        return provider_view(mine, server=self.params['friendly_name'], site=fabric['name'], node=arm_property(mine, 'machineName'),
                             nodes=sorted(arm_property(provider, 'machineName') for provider in providers))

    def run(self):
        params = self.params
        self.client.check_vault()
        fabric, providers, mine = self.registration()
        before = self.view(fabric, providers, mine)
        if (mine is not None) == (params['state'] == 'present'):
            return dict(changed=False, registration=before, steps=[])
        if params['state'] == 'absent':
            return self.unregister(fabric, mine, before)
        if params['node_role'] == 'other' and fabric is None:
            self.fail("VMM server '%s' is not registered in vault %s: install the provider on the node that owns the VMM cluster role and "
                      'register the server there first (node_role=active); Microsoft - install the Provider on an active node and register '
                      'the VMM server, then install the provider on the other nodes.' % (params['friendly_name'], self.client.vault_name))
        return self.register(before)

    # ---- present --------------------------------------------------------------------------------------------------
    def programs(self):
        params = self.params
        programs = self.provider_programs()
        if params['node_role'] != 'other':
            extra = ['/EncryptionEnabled', params['encryption_certificate_path']] if params['encryption_certificate_path'] else []
            drconfigurator = ntpath.join(params['vmm_install_path'], 'bin', 'DRConfigurator.exe')
            programs.append(self.register_program(drconfigurator, params['friendly_name'], extra + ['/startvmmservice']))
        return programs

    def register(self, before):
        params = self.params
        predicted = dict(server=params['friendly_name'], site=None, node=self.node, nodes=None, friendly_name=params['friendly_name'],
                         provider_id=None, provider_version=None, connection_status=None, protected_item_count=0)
        if self.module.check_mode:
            return dict(changed=True, registration=predicted, steps=[], diff=self.diff(before, predicted, 'registration of %s' % self.node))
        steps = self.stop_vmm_service()
        self.run_programs(self.programs(), steps)
        found = self.wait_for_provider("the registration of %s (%s) with vault %s" % (self.node, params['friendly_name'], self.client.vault_name),
                                       lambda: self.registration()[2])
        after = self.view(*self.registration()) if found else {}
        return dict(changed=True, registration=after, steps=steps, diff=self.diff(before, after, 'registration of %s' % self.node))

    def stop_vmm_service(self):
        """Microsoft's command line stops the VMM service before the setup: read it, and stop it where it runs (not on other nodes)."""
        session = self.host_session()
        command, = reads.VMM_SERVICE_READ
        try:
            result = session.run([command], check=False)
        except HostError as error:
            self.fail('reading the VMM service on %s: %s' % (self.params['hyperv_host'], error.message), steps=[])
        services = result.of_type(SERVICE_TYPE)
        if not services:
            self.fail("%s is not a VMM server: it has no %s service (System Center Virtual Machine Manager); the provider's VMM setup runs on "
                      'a VMM server (a Hyper-V host registers with asr_host_registration).' % (self.params['hyperv_host'], VMM_SERVICE), steps=[])
        running = services[0].get('Status') == 'Running'
        if not running:
            return []
        if self.params['node_role'] == 'other':
            self.fail('The VMM service runs on %s: this node owns the VMM cluster role, so it is the active node (node_role=active); the other '
                      'nodes get the provider after the active node has registered the server.' % self.params['hyperv_host'], steps=[])
        stop = Command('Stop-Service', {'Name': VMM_SERVICE})
        try:
            session.run([stop])
        except HostError as error:
            journal = Journal()
            journal.plan(['stop_vmm_service'] + [name for name, _program in self.programs()])
            journal.record(unknown=['stop_vmm_service'] if isinstance(error, OutcomeUnknownError) else [])
            self.fail_steps('stop_vmm_service: %s' % error.message, [], journal, host=error.host)
        return [dict(step='stop_vmm_service', command_line='Stop-Service -Name %s' % VMM_SERVICE, exit_code=0, output='')]

    # ---- absent ---------------------------------------------------------------------------------------------------
    def unregister(self, fabric, mine, before):
        client = self.client
        done = False
        if not self.module.check_mode:
            dummy, done = client.run_operation('unregister %s from vault %s' % (self.node, client.vault_name),
                                               client.asr.replication_recovery_services_providers.begin_delete, fabric['name'], mine['name'])
        return dict(self.changed('registration', before, {}, done, 'registration of %s' % self.node), steps=[])


def main():
    run_asr_module(dict(
        friendly_name=dict(type='str', required=True),
        node_role=dict(type='str', choices=['standalone', 'active', 'other'], default='standalone'),
        node_name=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        installer_path=dict(type='str'),
        extract_path=dict(type='str'),
        vault_credentials_path=dict(type='str'),
        vmm_install_path=dict(type='str', default=DEFAULT_VMM_INSTALL_PATH),
        encryption_certificate_path=dict(type='str'),
        **PROXY_OPTIONS
    ), VmmRegistration, host_connection=True)


if __name__ == '__main__':
    main()
