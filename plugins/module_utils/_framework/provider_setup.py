# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the modules that install Site Recovery software on a Windows machine share: the setup programs' options, their command
lines, running them one after the other, and how a registration shows in the vault.

Command lines from Microsoft's command-line installations (Hyper-V host: "Install the provider on a Hyper-V core server";
VMM server: "Replicate Hyper-V VMs in VMM clouds", command-line installation; agent: "Install the Azure Recovery Services
agent", command line):
    AzureSiteRecoveryProvider.exe /x:<folder> /q ; <folder>\\setupdr.exe /i ;
    <DRConfigurator.exe> /r /Friendlyname <name> /Credentials <file> [/proxyAddress <a> /proxyport <p> [/proxyUsername <u> /proxyPassword <pw>]]
    MARSAgentInstaller.exe /q /nu [/ph:<a> /po:<p> [/pu:<u> /pw:<pw>]]
"""

import ntpath
from typing import Tuple

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import arm_property
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import Journal
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import UNSAFE_ARGUMENT, Program
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import HostError, ProgramNotFoundError

PROVIDER_INSTALLER = 'AzureSiteRecoveryProvider.exe'
PROXY_OPTIONS = dict(
    proxy_address=dict(type='str'),
    proxy_port=dict(type='int'),
    proxy_username=dict(type='str'),
    proxy_password=dict(type='str', no_log=True),
)


def program_option_problem(params, required=(), argument_options=()):
    """The first problem of a setup program's options (the required paths, the proxy options together, no argument that would
    break the command line), as a message naming the option; None when there is none. Checked before anything runs."""
    missing = [name for name in required if not params[name]]
    if missing:
        return 'state=present needs %s (paths on the host).' % ' and '.join(missing)
    if bool(params['proxy_address']) != (params['proxy_port'] is not None):
        return 'proxy_address and proxy_port go together: give both or neither.'
    if bool(params['proxy_username']) != bool(params['proxy_password']):
        return 'proxy_username and proxy_password go together: give both or neither.'
    if params['proxy_username'] and not params['proxy_address']:
        return 'proxy_username needs proxy_address and proxy_port.'
    if params['proxy_port'] is not None and not 1 <= params['proxy_port'] <= 65535:
        return 'proxy_port must be between 1 and 65535, got %d.' % params['proxy_port']
    for name in argument_options:
        value = params.get(name)
        if value and UNSAFE_ARGUMENT.search(value):
            shown = '(hidden)' if name == 'proxy_password' else repr(value)
            return '%s cannot contain a double quote or a control character (it becomes a program argument): %s' % (name, shown)
    return None


def provider_view(provider, **extra):
    """A registered server (replicationRecoveryServicesProviders) as the modules return it."""
    if not provider:
        return {}
    return dict(extra, friendly_name=arm_property(provider, 'friendlyName'), provider_id=provider.get('name'),
                provider_version=arm_property(provider, 'providerVersion'), connection_status=arm_property(provider, 'connectionStatus'),
                protected_item_count=arm_property(provider, 'protectedItemCount') or 0)


def same_machine(name, wanted):
    """Whether a machine name the vault reports is ``wanted`` (case-insensitive; a short name matches the FQDN that starts with it)."""
    name, wanted = (name or '').lower(), (wanted or '').lower()
    return bool(name) and (name == wanted or name.split('.', 1)[0] == wanted or wanted.split('.', 1)[0] == name)


class ProviderSetup(object):
    """Mixin of an AsrResource that runs setup programs on its host (host_connection=True) and waits for the vault to list them."""

    # Options that become program arguments (checked for quotes and control characters before anything runs).
    PROGRAM_ARGUMENT_OPTIONS: Tuple[str, ...] = ('installer_path', 'extract_path', 'vault_credentials_path', 'proxy_address', 'proxy_username',
                                                 'proxy_password')
    # What each step's program is, for "<step>: <program> not found at <path>" (WinRS found no such file: nothing ran).
    PROGRAM_NAMES = {'extract': 'installer', 'install': 'setup program (setupdr.exe, extracted by the installer)',
                     'register': 'registration tool (DRConfigurator.exe, installed by the setup)'}

    def validate_programs(self, required=()):
        problem = program_option_problem(self.params, required, self.PROGRAM_ARGUMENT_OPTIONS)
        if problem:
            self.fail(problem)

    def provider_programs(self):
        """(step, Program) of the provider's extraction and installation."""
        installer = self.params['installer_path']
        if not installer.lower().endswith('.exe'):
            installer = ntpath.join(installer, PROVIDER_INSTALLER)
        folder = self.params['extract_path'] or ntpath.dirname(installer)
        return [('extract', Program(installer, ['/x:%s' % folder, '/q'])), ('install', Program(ntpath.join(folder, 'setupdr.exe'), ['/i']))]

    def register_program(self, drconfigurator, friendly_name, extra=()):
        """('register', Program) of DRConfigurator.exe /r with the key and the proxy switches."""
        params = self.params
        arguments = ['/r', '/Friendlyname', friendly_name, '/Credentials', params['vault_credentials_path']] + list(extra)
        if params['proxy_address']:
            arguments += ['/proxyAddress', params['proxy_address'], '/proxyport', str(params['proxy_port'])]
        if params['proxy_username']:
            arguments += ['/proxyUsername', params['proxy_username'], '/proxyPassword', params['proxy_password']]
        return ('register', Program(drconfigurator, arguments, secrets=[params['proxy_password']]))

    def run_programs(self, programs, steps):
        """Run each (step, Program) in order, appending to ``steps``; the first failure ends the task saying, like every
        module's journal, which steps were applied, which not, and which may or may not have run."""
        session = self.host_session()
        journal = Journal()
        journal.plan([step['step'] for step in steps] + [name for name, _program in programs])
        journal.record(applied=[step['step'] for step in steps if step['exit_code'] == 0])   # steps the module ran before
        for name, program in programs:
            try:
                outcome = journal.run_program(session, name, program)
            except ProgramNotFoundError as error:   # WinRS found no such file: nothing ran
                self.fail_steps('%s: %s not found at %s on %s' % (name, self.PROGRAM_NAMES.get(name, 'program'), program.path, self.params['hyperv_host']),
                                steps, journal, host=error.host)
            except HostError as error:
                self.fail_steps('%s: %s' % (name, error.message), steps, journal, host=error.host)
            steps.append(dict(step=name, command_line=program.display(), exit_code=outcome.exit_code, output=(outcome.stdout + outcome.stderr).strip()))
            if outcome.exit_code != 0:
                said = (outcome.stderr or outcome.stdout).strip() or '(no output)'
                self.fail_steps('%s on %s failed with exit code %s: %s' % (name, self.params['hyperv_host'], outcome.exit_code, said), steps, journal)
        return steps

    def fail_steps(self, message, steps, journal, **extra):
        self.fail('%s %s' % (message, journal.text()), steps=steps, **dict(extra, **journal.report()))

    def wait_for_provider(self, what, find):
        """The provider record find() returns; the service may take a moment to list a server that just registered."""
        if not self.params['wait']:
            return find()
        return self.poll_until('%s (the programs succeeded; rerun the task to check again)' % what, lambda: (find(), None),
                               lambda provider: provider is not None)

    def providers_of(self, fabric_name):
        client = self.client
        return client.list('registered servers of %s' % fabric_name, client.asr.replication_recovery_services_providers.list_by_replication_fabrics,
                           fabric_name)
