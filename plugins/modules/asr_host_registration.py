#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_host_registration
short_description: Install the Site Recovery provider on a Hyper-V host and register the host with a Hyper-V site
version_added: 0.1.0
description:
  - Makes a Hyper-V host a registered server of a Hyper-V site of an Azure Site Recovery vault, with the command lines
    Microsoft documents for installing the provider without the wizard, then checks the registration in the vault.
  - The vault decides whether the host is registered (its C(replicationRecoveryServicesProviders) of the site). A host
    registered under O(friendly_name) is left alone (V(ok)), so an idempotent run makes one Azure read and no host connection.
  - To register, the module runs on the host, each as its own program through WinRS (no cmd.exe in between)
    C(AzureSiteRecoveryProvider.exe /x:<folder> /q) (extract the setup), C(<folder>\setupdr.exe /i) (install the provider,
    which brings the Recovery Services agent) and
    C(C:\Program Files\Microsoft Azure Site Recovery Provider\DRConfigurator.exe /r /Friendlyname <name> /Credentials <file>)
    with the proxy switches when O(proxy_address) is set; then it waits for the host to appear in the vault.
  - The first program that fails stops the run; the result says which steps ran (RV(steps)) and the next run starts again
    from the extraction, which is harmless on a host where the provider is already installed.
  - O(state=absent) unregisters the host in the vault (the portal's Delete of the server). Azure refuses while VMs of the
    host are protected. The provider software stays installed on the host; uninstall it with the host's own tools if needed.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_and_azure_groups
  - hyperv.mobility.site_recovery_setup
attributes:
  check_mode:
    details: Only the vault is read; nothing runs on the host.
options:
  site:
    description: Name of the Hyper-V site (see M(hyperv.mobility.asr_hyperv_site)) the host registers with.
    type: str
    required: true
  friendly_name:
    description:
      - The name the host has in the vault (the portal's server name), usually the host's FQDN.
      - A host is registered when the site has a server of this name (compared case-insensitively).
    type: str
    required: true
  state:
    description: V(present) installs and registers the host, V(absent) unregisters it in the vault.
    type: str
    choices: [present, absent]
    default: present
  installer_path:
    description:
      - Path on the host of the downloaded C(AzureSiteRecoveryProvider.exe) (the file, or the folder that holds it).
      - Copy it there first, for example with C(ansible.windows.win_get_url) or C(ansible.windows.win_copy).
      - Required with O(state=present).
    type: str
  extract_path:
    description: Folder on the host the setup is extracted into; by default the installer's own folder (Microsoft's C(/x:.)).
    type: str
  vault_credentials_path:
    description:
      - Path on the host of the vault credentials file (the registration key downloaded from the vault for O(site)).
      - Microsoft documents that a registration key is valid for five days after it is generated.
      - Required with O(state=present).
    type: str
notes:
  - Downloading the installer from a URL is a separate task (C(ansible.windows.win_get_url)); the module only runs
    documented programs and cmdlets on the host.
seealso:
  - module: hyperv.mobility.asr_hyperv_site
  - module: hyperv.mobility.asr_prerequisites
  - name: Set up disaster recovery of on-premises Hyper-V VMs to Azure
    description: Microsoft's tutorial, including the command-line installation of the provider.
    link: https://learn.microsoft.com/en-us/azure/site-recovery/hyper-v-azure-tutorial
'''

EXAMPLES = r'''
- name: Copy the registration key of the site to the host
  ansible.windows.win_copy:
    src: files/site-hq.VaultCredentials
    dest: C:\ASR\site-hq.VaultCredentials

- name: Install the provider and register the host with the site
  hyperv.mobility.asr_host_registration:
    site: site-hq
    friendly_name: "{{ inventory_hostname }}"
    installer_path: C:\ASR\AzureSiteRecoveryProvider.exe
    vault_credentials_path: C:\ASR\site-hq.VaultCredentials
    resource_group: rg-dr
    vault_name: vault-dr

- name: Register through an authenticating proxy
  hyperv.mobility.asr_host_registration:
    site: site-hq
    friendly_name: "{{ inventory_hostname }}"
    installer_path: C:\ASR
    vault_credentials_path: C:\ASR\site-hq.VaultCredentials
    proxy_address: http://proxy.corp.example.com
    proxy_port: 8080
    proxy_username: svc-asr
    proxy_password: "{{ vault_proxy_password }}"
    resource_group: rg-dr
    vault_name: vault-dr

- name: Unregister the host (protection of its VMs must be disabled first)
  hyperv.mobility.asr_host_registration:
    site: site-hq
    friendly_name: "{{ inventory_hostname }}"
    state: absent
    resource_group: rg-dr
    vault_name: vault-dr
'''

RETURN = r'''
registration:
  description:
    - The host's registration in the vault after the run (predicted in check mode; empty when not registered, or when
      O(wait=false) and the vault does not list the fresh registration yet).
  returned: success
  type: dict
  contains:
    site:
      description: Name of the Hyper-V site.
      type: str
    friendly_name:
      description: Name of the server in the vault.
      type: str
    provider_id:
      description: Name of the C(replicationRecoveryServicesProviders) resource of the host (null when predicted).
      type: str
    provider_version:
      description: Version of the Site Recovery provider the host reports.
      type: str
    connection_status:
      description: Whether the provider is connected to the service, as Site Recovery reports it.
      type: str
    protected_item_count:
      description: How many VMs of the host are protected.
      type: int
steps:
  description:
    - The programs run on the host, in order, each with its command line (secrets masked), exit code and output.
    - Empty when nothing ran on the host.
  returned: success and failure
  type: list
  elements: dict
  contains:
    step:
      description: V(extract), V(install) or V(register).
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

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import arm_property
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.provider_setup import PROXY_OPTIONS, ProviderSetup, provider_view

DRCONFIGURATOR = r'C:\Program Files\Microsoft Azure Site Recovery Provider\DRConfigurator.exe'


class HostRegistration(ProviderSetup, AsrResource):
    """One host's registration with a Hyper-V site: read it in the vault, install and register on the host, or unregister."""

    PROGRAM_ARGUMENT_OPTIONS = ProviderSetup.PROGRAM_ARGUMENT_OPTIONS + ('friendly_name',)

    def validate(self):
        self.validate_programs(('installer_path', 'vault_credentials_path') if self.params['state'] == 'present' else ())

    def run(self):
        client, params = self.client, self.params
        site = params['site']
        client.check_vault()
        if client.get_or_none('site %s' % site, client.asr.replication_fabrics.get, site) is None:
            self.fail("Hyper-V site '%s' does not exist in vault %s (create it with hyperv.mobility.asr_hyperv_site)." % (site, client.vault_name),
                      error_kind='not_found')
        current = self.registered_provider()
        before = provider_view(current, site=site)
        if (current is not None) == (params['state'] == 'present'):
            return dict(changed=False, registration=before, steps=[])
        if params['state'] == 'absent':
            return self.unregister(current, before)
        return self.register(before)

    def registered_provider(self):
        wanted = self.params['friendly_name'].lower()
        return next((provider for provider in self.providers_of(self.params['site'])
                     if (arm_property(provider, 'friendlyName') or '').lower() == wanted), None)

    # ---- present --------------------------------------------------------------------------------------------------
    def programs(self):
        return self.provider_programs() + [self.register_program(DRCONFIGURATOR, self.params['friendly_name'])]

    def register(self, before):
        params = self.params
        predicted = dict(site=params['site'], friendly_name=params['friendly_name'], provider_id=None, provider_version=None,
                         connection_status=None, protected_item_count=0)
        diff = self.diff(before, predicted, 'registration of %s' % params['friendly_name'])
        if self.module.check_mode:
            return dict(changed=True, registration=predicted, steps=[], diff=diff)
        steps = self.run_programs(self.programs(), [])
        provider = self.wait_for_provider("the registration of %s with site '%s'" % (params['friendly_name'], params['site']), self.registered_provider)
        after = provider_view(provider, site=params['site'])
        return dict(changed=True, registration=after, steps=steps, diff=self.diff(before, after, 'registration of %s' % params['friendly_name']))

    # ---- absent ---------------------------------------------------------------------------------------------------
    def unregister(self, current, before):
        client, params = self.client, self.params
        done = False
        if not self.module.check_mode:
            dummy, done = client.run_operation('unregister %s from site %s' % (params['friendly_name'], params['site']),
                                               client.asr.replication_recovery_services_providers.begin_delete, params['site'], current['name'])
        return dict(self.changed('registration', before, {}, done, 'registration of %s' % params['friendly_name']), steps=[])


def main():
    run_asr_module(dict(
        site=dict(type='str', required=True),
        friendly_name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        installer_path=dict(type='str'),
        extract_path=dict(type='str'),
        vault_credentials_path=dict(type='str'),
        **PROXY_OPTIONS
    ), HostRegistration, host_connection=True)


if __name__ == '__main__':
    main()
