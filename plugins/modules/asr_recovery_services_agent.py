#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_recovery_services_agent
short_description: Install the Microsoft Azure Recovery Services agent (only) on a Hyper-V host of a VMM cloud
version_added: 0.1.0
description:
  - With Hyper-V hosts managed in System Center VMM clouds that replicate to Azure, the Site Recovery provider goes on the VMM
    server (M(hyperv.mobility.asr_vmm_registration)) and the Recovery Services agent, which moves the replicated data, on each
    Hyper-V host of the clouds (Microsoft's Hyper-V to Azure architecture). This module installs that agent, with the command
    line Microsoft documents - C(MARSAgentInstaller.exe /q /nu) - run through WinRS (no cmd.exe in between).
  - Idempotent from the host - the agent's service (C(obengine), read with C(Get-Service)) tells whether it is installed; a
    host that has it (also one where M(hyperv.mobility.asr_host_registration) installed the provider, which brings the agent) is V(ok).
  - O(state=absent) removes the agent (C(MARSAgentInstaller.exe /q /d)).
  - Hyper-V hosts that replicate to a secondary VMM site need no agent - Hyper-V Replica moves the data between the hosts.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.site_recovery_setup
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: The agent's service is read; no program runs.
  diff_mode:
    details: Whether the agent is installed.
options:
  installer_path:
    description:
      - Path on the host of the downloaded C(MARSAgentInstaller.exe) (the file, or the folder that holds it).
      - Copy it there first, for example with C(ansible.windows.win_get_url) or C(ansible.windows.win_copy).
    type: str
    required: true
  state:
    description: V(present) installs the agent, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  install_path:
    description: Folder the agent is installed into (C(/p:)); Microsoft's default is C(C:\Program Files\Microsoft Azure Recovery Services Agent).
    type: str
  cache_path:
    description: The agent's cache folder (C(/s:)); Microsoft recommends a volume with at least 5 GB free (600 GB or more preferred).
    type: str
notes:
  - Cmdlet run - C(Get-Service -Name obengine) (before and after the installer); the installer is a program, run with C(/q) (a
    remote session has no desktop) and C(/nu) (no update check at the end, which would otherwise open Windows Update).
seealso:
  - module: hyperv.mobility.asr_vmm_registration
  - name: Hyper-V to Azure replication architecture (with VMM)
    description: The provider on the VMM server, the Recovery Services agent on each Hyper-V host.
    link: https://learn.microsoft.com/en-us/azure/site-recovery/hyper-v-azure-architecture
'''

EXAMPLES = r'''
- name: The Recovery Services agent on every Hyper-V host of the VMM clouds
  hyperv.mobility.asr_recovery_services_agent:
    installer_path: C:\ASR\MARSAgentInstaller.exe
'''

RETURN = r'''
agent:
  description: The agent after the run (predicted in check mode).
  returned: success
  type: dict
  contains:
    installed:
      description: Whether the agent is installed (its service exists).
      type: bool
    service_status:
      description: Status of the agent's service (V(Running), V(Stopped), ...), null when not installed.
      type: str
steps:
  description: The programs run on the host, with their command line (secrets masked), exit code and output; empty when nothing ran.
  returned: success and failure
  type: list
  elements: dict
'''

import ntpath

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    HypervModule, ModuleFailure, OptionError, ProgramNotFoundError, Resource, Program)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.provider_setup import PROXY_OPTIONS, program_option_problem

INSTALLER = 'MARSAgentInstaller.exe'
AGENT_SERVICE = reads.AGENT_SERVICE
ARGUMENT_OPTIONS = ('installer_path', 'install_path', 'cache_path', 'proxy_address', 'proxy_username', 'proxy_password')


def agent_program(params):
    """MARSAgentInstaller.exe with Microsoft's switches: /q /nu and the options given, or /q /d to remove the agent."""
    installer = params['installer_path']
    if not installer.lower().endswith('.exe'):
        installer = ntpath.join(installer, INSTALLER)
    if params['state'] == 'absent':
        return Program(installer, ['/q', '/d'])
    arguments = ['/q', '/nu']
    if params['install_path']:
        arguments.append('/p:%s' % params['install_path'])
    if params['cache_path']:
        arguments.append('/s:%s' % params['cache_path'])
    if params['proxy_address']:
        arguments += ['/ph:%s' % params['proxy_address'], '/po:%d' % params['proxy_port']]
    secrets = []
    if params['proxy_username']:
        secrets.append('/pw:%s' % params['proxy_password'])
        arguments += ['/pu:%s' % params['proxy_username'], secrets[0]]
    return Program(installer, arguments, secrets=secrets)


def agent_state(module):
    """{installed, service_status} from Get-Service -Name obengine (a missing service is not an error here)."""
    result = module.read(list(reads.AGENT_SERVICE_READ))
    services = result.of_type('System.ServiceProcess.ServiceController')
    return dict(installed=bool(services), service_status=services[0].get('Status') if services else None)


class RecoveryServicesAgent(Resource):
    """The Recovery Services agent on a host: installed (or removed) by its installer, one program step, read back by its service."""

    def validate(self):
        problem = program_option_problem(self.params, (), ARGUMENT_OPTIONS)
        if problem:
            raise OptionError(problem)

    def run(self, module):
        wanted = self.params['state'] == 'present'
        before = agent_state(module)
        if before['installed'] == wanted:
            return dict(changed=False, agent=before, steps=[])
        predicted = dict(installed=wanted, service_status='Running' if wanted else None)
        if module.check_mode:
            return dict(changed=True, agent=predicted, steps=[], diff=dict(before=before, after=predicted))
        step = 'install' if wanted else 'uninstall'
        program = agent_program(self.params)
        try:
            outcome = module.run_program_step(step, program)
        except ProgramNotFoundError:
            raise ModuleFailure('%s: installer not found at %s on %s' % (step, program.path, module.host), steps=[])
        steps = [dict(step=step, command_line=program.display(), exit_code=outcome.exit_code, output=(outcome.stdout + outcome.stderr).strip())]
        if outcome.exit_code != 0:
            said = (outcome.stderr or outcome.stdout).strip() or '(no output)'
            raise ModuleFailure('%s on %s failed with exit code %s: %s' % (INSTALLER, module.host, outcome.exit_code, said), steps=steps)
        after = agent_state(module)
        if after['installed'] != wanted:
            raise ModuleFailure("%s exited 0 but the agent's service (%s) is %s on %s" % (
                INSTALLER, AGENT_SERVICE, 'still missing' if wanted else 'still there', module.host), steps=steps)
        return dict(changed=True, agent=after, steps=steps, diff=dict(before=before, after=after))


def main():
    HypervModule(argument_spec=dict(
        installer_path=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        install_path=dict(type='str'),
        cache_path=dict(type='str'),
        **PROXY_OPTIONS
    ), supports_check_mode=True).execute(RecoveryServicesAgent)


if __name__ == '__main__':
    main()
