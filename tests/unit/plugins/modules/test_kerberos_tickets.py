"""kerberos_tickets: the klist command line, check mode, and how klist's exit code decides the outcome."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    Journal, ModuleFailure, ProgramNotFoundError, ProgramResult)
from ansible_collections.hyperv.mobility.plugins.modules.kerberos_tickets import TicketPurge, purge_program

PARAMS = {'state': 'purged', 'logon_session': 'system'}


class FakeModule:
    """The skeleton's run_program_step over a scripted klist: journals as HypervModule does."""

    host = 'hv01'

    def __init__(self, outcome=None, check_mode=False, missing=False):
        self.check_mode = check_mode
        self.outcome = outcome
        self.missing = missing
        self.journal = Journal()
        self.programs = []

    def run_program_step(self, label, program):
        assert not self.check_mode
        self.programs.append(program.command_line())
        if self.missing:
            raise ProgramNotFoundError('klist.exe not found', self.host, program.path)
        self.journal.record(applied=[label] if self.outcome.exit_code == 0 else [])
        return self.outcome


def test_the_command_line_is_the_documented_purge_of_the_system_session():
    assert purge_program('system').command_line() == 'klist.exe -li 0x3e7 purge'


def test_a_purge_runs_klist_once_and_reports_its_output():
    module = FakeModule(ProgramResult(0, '\r\nCurrent LogonId is 0:0x1\r\nTargeted LogonId is 0:0x3e7\r\n\tTicket(s) purged!\r\n'))
    result = TicketPurge(PARAMS).run(module)
    assert module.programs == ['klist.exe -li 0x3e7 purge']
    assert result['changed'] is True and result['exit_code'] == 0 and result['logon_id'] == '0x3e7'
    assert 'Ticket(s) purged!' in result['output']
    assert module.journal.applied == ['purge tickets of logon session 0x3e7']


def test_check_mode_runs_nothing_and_says_what_would_run():
    module = FakeModule(check_mode=True)
    result = TicketPurge(PARAMS).run(module)
    assert module.programs == [] and result['changed'] is True
    assert result['command_line'] == 'klist.exe -li 0x3e7 purge' and 'exit_code' not in result


def test_a_non_zero_exit_fails_with_klists_output():
    module = FakeModule(ProgramResult(1, '', 'klist failed with 0xc000005f/-1073741729: A specified logon session does not exist.\r\n'))
    with pytest.raises(ModuleFailure) as failure:
        TicketPurge(PARAMS).run(module)
    assert 'exit code 1' in failure.value.msg and 'A specified logon session does not exist' in failure.value.msg
    assert failure.value.details['changed'] is False and module.journal.applied == []


def test_klist_missing_on_the_host_fails_naming_it():
    with pytest.raises(ModuleFailure) as failure:
        TicketPurge(PARAMS).run(FakeModule(missing=True))
    assert 'klist.exe was not found on hv01' in failure.value.msg
