#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

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
  proxy_address:
    description: Address of the proxy the provider uses to reach Azure (C(/proxyAddress)); without it the provider connects directly.
    type: str
  proxy_port:
    description: Port of the proxy (C(/proxyport)); required with O(proxy_address).
    type: int
  proxy_username:
    description: User of an authenticating proxy (C(/proxyUsername)).
    type: str
  proxy_password:
    description: Password of O(proxy_username) (C(/proxyPassword)); never shown in the output, where the command line has V(********).
    type: str
notes:
  - Program arguments cannot contain a double quote or a control character (the command line would be ambiguous); such a
    value is refused before anything runs.
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

import ntpath

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import HostError, ProgramNotFoundError
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Program, UNSAFE_ARGUMENT

INSTALLER_NAME = 'AzureSiteRecoveryProvider.exe'
DRCONFIGURATOR = r'C:\Program Files\Microsoft Azure Site Recovery Provider\DRConfigurator.exe'
# What each step's program is, for "... not found at <path>".
PROGRAM_NAMES = {'extract': 'installer', 'install': 'setup program (setupdr.exe, extracted by the installer)',
                 'register': 'registration tool (DRConfigurator.exe, installed by the setup)'}
PROGRAM_ARGUMENT_OPTIONS = ('friendly_name', 'installer_path', 'extract_path', 'vault_credentials_path', 'proxy_address',
                            'proxy_username', 'proxy_password')


def registration_view(site, provider):
    if not provider:
        return {}
    properties = provider.get('properties') or {}
    return dict(site=site, friendly_name=properties.get('friendlyName'), provider_id=provider.get('name'),
                provider_version=properties.get('providerVersion'), connection_status=properties.get('connectionStatus'),
                protected_item_count=properties.get('protectedItemCount') or 0)


class HostRegistration(AsrResource):
    """One host's registration with a Hyper-V site: read it in the vault, install and register on the host, or unregister."""

    def validate(self):
        params = self.params
        if params['state'] == 'present':
            missing = [name for name in ('installer_path', 'vault_credentials_path') if not params[name]]
            if missing:
                self.fail('state=present needs %s (paths on the host).' % ' and '.join(missing))
        if bool(params['proxy_address']) != bool(params['proxy_port']):
            self.fail('proxy_address and proxy_port go together: give both or neither.')
        if bool(params['proxy_username']) != bool(params['proxy_password']):
            self.fail('proxy_username and proxy_password go together: give both or neither.')
        if params['proxy_username'] and not params['proxy_address']:
            self.fail('proxy_username needs proxy_address and proxy_port.')
        if params['proxy_port'] is not None and not 1 <= params['proxy_port'] <= 65535:
            self.fail('proxy_port must be between 1 and 65535, got %d.' % params['proxy_port'])
        for name in PROGRAM_ARGUMENT_OPTIONS:
            value = params[name]
            if value and UNSAFE_ARGUMENT.search(value):
                shown = '(hidden)' if name == 'proxy_password' else repr(value)
                self.fail('%s cannot contain a double quote or a control character (it becomes a program argument): %s' % (name, shown))

    def run(self):
        client, params = self.client, self.params
        site = params['site']
        client.check_vault()
        if client.get_or_none('site %s' % site, client.asr.replication_fabrics.get, site) is None:
            self.fail("Hyper-V site '%s' does not exist in vault %s (create it with hyperv.mobility.asr_hyperv_site)." % (site, client.vault_name),
                      error_kind='not_found')
        current = self.registered_provider()
        before = registration_view(site, current)
        if (current is not None) == (params['state'] == 'present'):
            return dict(changed=False, registration=before, steps=[])
        if params['state'] == 'absent':
            return self.unregister(current, before)
        return self.register(before)

    def registered_provider(self):
        client, params = self.client, self.params
        providers = client.list('registered servers of site %s' % params['site'],
                                client.asr.replication_recovery_services_providers.list_by_replication_fabrics, params['site'])
        wanted = params['friendly_name'].lower()
        return next((provider for provider in providers if ((provider.get('properties') or {}).get('friendlyName') or '').lower() == wanted), None)

    # ---- present --------------------------------------------------------------------------------------------------
    def programs(self):
        params = self.params
        installer = params['installer_path']
        if not installer.lower().endswith('.exe'):
            installer = ntpath.join(installer, INSTALLER_NAME)
        folder = params['extract_path'] or ntpath.dirname(installer)
        register = ['/r', '/Friendlyname', params['friendly_name'], '/Credentials', params['vault_credentials_path']]
        if params['proxy_address']:
            register += ['/proxyAddress', params['proxy_address'], '/proxyport', str(params['proxy_port'])]
        if params['proxy_username']:
            register += ['/proxyUsername', params['proxy_username'], '/proxyPassword', params['proxy_password']]
        return [('extract', Program(installer, ['/x:%s' % folder, '/q'])),
                ('install', Program(ntpath.join(folder, 'setupdr.exe'), ['/i'])),
                ('register', Program(DRCONFIGURATOR, register, secrets=[params['proxy_password']]))]

    def register(self, before):
        params = self.params
        predicted = dict(site=params['site'], friendly_name=params['friendly_name'], provider_id=None, provider_version=None,
                         connection_status=None, protected_item_count=0)
        diff = self.diff(before, predicted, 'registration of %s' % params['friendly_name'])
        if self.module.check_mode:
            return dict(changed=True, registration=predicted, steps=[], diff=diff)
        steps = []
        session = self.host_session()
        for name, program in self.programs():
            try:
                outcome = session.run_program(program)
            except ProgramNotFoundError as error:
                self.fail_steps('%s: %s not found at %s on %s' % (name, PROGRAM_NAMES[name], program.path, params['hyperv_host']),
                                steps, host=error.host)
            except HostError as error:
                self.fail_steps('%s: %s' % (name, error.message), steps, host=error.host)
            steps.append(dict(step=name, command_line=program.display(), exit_code=outcome.exit_code,
                              output=(outcome.stdout + outcome.stderr).strip()))
            if outcome.exit_code != 0:
                said = (outcome.stderr or outcome.stdout).strip() or '(no output)'
                self.fail_steps('%s on %s failed with exit code %s: %s' % (name, params['hyperv_host'], outcome.exit_code, said), steps)
        provider = self.wait_for_registration()
        after = registration_view(params['site'], provider)
        return dict(changed=True, registration=after, steps=steps, diff=self.diff(before, after, 'registration of %s' % params['friendly_name']))

    def fail_steps(self, message, steps, **extra):
        done = [step['step'] for step in steps if step['exit_code'] == 0]
        not_done = [entry[0] for entry in self.programs() if entry[0] not in done]
        self.fail('%s (done: %s; not done: %s; run the task again to converge)' % (message, ', '.join(done) or 'nothing', ', '.join(not_done)),
                  steps=steps, **extra)

    def wait_for_registration(self):
        """The provider record of the host; the service may take a moment to list a server that just registered."""
        if not self.params['wait']:
            return self.registered_provider()
        return self.poll_until("the registration of %s with site '%s' (DRConfigurator succeeded; rerun the task to check again)"
                               % (self.params['friendly_name'], self.params['site']),
                               lambda: (self.registered_provider(), None), lambda provider: provider is not None)

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
        proxy_address=dict(type='str'),
        proxy_port=dict(type='int'),
        proxy_username=dict(type='str'),
        proxy_password=dict(type='str', no_log=True),
    ), HostRegistration, host_connection=True)


if __name__ == '__main__':
    main()
