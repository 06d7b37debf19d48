#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: kerberos_tickets
short_description: Purge the Kerberos tickets a Hyper-V host's SYSTEM logon session has cached
version_added: 0.1.0
description:
  - A change of a host's constrained delegation (M(hyperv.mobility.kerberos_delegation)) applies once it has replicated to the
    domain controllers and the host gets a new Kerberos ticket (Microsoft's "Set up hosts for live migration without Failover
    Clustering"). Until then a Kerberos live migration from the host still fails with
    C(No credentials are available in the security package (0x8009030E)). The tickets expire after 10 hours with the
    default Kerberos policy; a reboot or this purge makes the change apply at once.
  - Runs the documented C(klist.exe -li 0x3e7 purge) on the host through WinRS (no cmd.exe in between) - 0x3e7 is the
    SYSTEM logon session, which holds the computer account's tickets that the migration service uses.
  - Reads nothing - a ticket cache cannot be compared with a wanted state - so every run that is not in check mode purges
    and reports V(changed). Run it only when delegation changed, as the role P(hyperv.mobility.live_migration_mesh#role)
    does with C(live_migration_mesh_purge_tickets).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: Nothing runs; the result says which command would run.
  diff_mode:
    support: none
options:
  state:
    description: V(purged) deletes all the tickets of the logon session.
    type: str
    choices: [purged]
    default: purged
  logon_session:
    description: The logon session whose tickets are purged - V(system) is the SYSTEM session (LUID 0x3e7).
    type: str
    choices: [system]
    default: system
notes:
  - Program run - C(klist.exe -li 0x3e7 purge). klist's pages document its syntax, not its exit codes; the module takes exit
    code 0 as success and fails with klist's output otherwise.
  - Other services of the host that authenticate as the computer account get new tickets the next time they need one.
seealso:
  - module: hyperv.mobility.kerberos_delegation
  - name: klist
    description: The command's syntax (-li, -lh, purge).
    link: https://learn.microsoft.com/windows-server/administration/windows-commands/klist
  - name: Set up hosts for live migration without Failover Clustering
    description: Delegation changes apply once the DC issues a new Kerberos ticket.
    link: https://learn.microsoft.com/windows-server/virtualization/hyper-v/deploy/set-up-hosts-for-live-migration-without-failover-clustering
'''

EXAMPLES = r'''
- name: Delegate the host's computer account to its peers
  hyperv.mobility.kerberos_delegation:
    computer: "{{ inventory_hostname }}"
    migration_peers: [hv02, hv03]
  register: delegation

- name: Make the new delegation apply now, not when the host's tickets expire
  hyperv.mobility.kerberos_tickets:
    state: purged
  when: delegation is changed
'''

RETURN = r'''
logon_id:
  description: The logon session purged (its LUID, low part, in hexadecimal).
  returned: always
  type: str
  sample: '0x3e7'
command_line:
  description: The command line run (or that would run, in check mode).
  returned: always
  type: str
  sample: klist.exe -li 0x3e7 purge
exit_code:
  description: klist's exit code; absent in check mode.
  returned: when klist ran
  type: int
output:
  description: What klist printed (stdout and stderr); absent in check mode.
  returned: when klist ran
  type: str
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    HypervModule, ModuleFailure, ProgramNotFoundError, Program, Resource)

KLIST = 'klist.exe'
LOGON_IDS = {'system': '0x3e7'}


def purge_program(logon_session):
    """klist.exe -li <LUID low part> purge: CreateProcess finds klist.exe in System32 by its name."""
    return Program(KLIST, ['-li', LOGON_IDS[logon_session], 'purge'])


class TicketPurge(Resource):
    """One program step: purge the logon session's tickets; nothing is read before or after."""

    def run(self, module):
        logon_id = LOGON_IDS[self.params['logon_session']]
        program = purge_program(self.params['logon_session'])
        result = dict(changed=True, logon_id=logon_id, command_line=program.display())
        if module.check_mode:
            return result
        try:
            outcome = module.run_program_step('purge tickets of logon session %s' % logon_id, program)
        except ProgramNotFoundError:
            raise ModuleFailure('%s was not found on %s' % (KLIST, module.host), **result)
        said = (outcome.stdout + outcome.stderr).strip()
        result.update(exit_code=outcome.exit_code, output=said)
        if outcome.exit_code != 0:
            result['changed'] = False
            message = '%s on %s failed with exit code %s: %s' % (program.display(), module.host, outcome.exit_code, said or '(no output)')
            raise ModuleFailure(message, **result)
        return result


def main():
    HypervModule(argument_spec=dict(
        state=dict(type='str', choices=['purged'], default='purged'),
        logon_session=dict(type='str', choices=['system'], default='system'),
    ), supports_check_mode=True).execute(TicketPurge)


if __name__ == '__main__':
    main()
