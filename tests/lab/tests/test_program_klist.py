"""klist.exe on a lab host: the documented purge of a logon session's tickets, run through WinRS as a user would."""

import pytest

from hvlab.model.world import World


@pytest.fixture(name='host')
def host_fixture():
    return World.create(1).hosts[0]


@pytest.mark.parametrize('line', ['klist -li 0x3e7 purge', 'klist.exe -lh 0 -li 0x3e7 purge', 'C:\\Windows\\System32\\klist.exe purge -li 3e7'])
def test_purge_of_the_system_session_empties_its_cache(host, line):
    host.system_tickets.obtained_at = host.world.replication_clock
    outcome = host.run_program(line, skip_cmd_shell=True)
    assert outcome.exit_code == 0
    assert 'Targeted LogonId is 0:0x3e7' in outcome.stdout and 'Ticket(s) purged!' in outcome.stdout
    assert host.system_tickets.obtained_at is None and len(host.system_tickets.purges) == 1


def test_purge_of_the_callers_own_session_leaves_the_system_tickets(host):
    host.system_tickets.obtained_at = host.world.replication_clock
    outcome = host.run_program('klist purge', skip_cmd_shell=True)
    assert outcome.exit_code == 0 and 'Targeted' not in outcome.stdout
    assert host.system_tickets.obtained_at is not None and host.system_tickets.purges == []


def test_a_logon_session_that_does_not_exist_fails(host):
    outcome = host.run_program('klist -li 0x999 purge', skip_cmd_shell=True)
    assert outcome.exit_code != 0
    assert 'A specified logon session does not exist' in outcome.stderr
    assert host.system_tickets.purges == []


def test_a_logon_id_that_is_not_hexadecimal_fails(host):
    outcome = host.run_program('klist -li system purge', skip_cmd_shell=True)
    assert outcome.exit_code != 0 and 'hexadecimal' in outcome.stderr


def test_what_the_lab_does_not_model_says_so(host):
    outcome = host.run_program('klist tickets', skip_cmd_shell=True)
    assert outcome.exit_code != 0 and 'models only' in outcome.stderr


def test_klist_elsewhere_than_system32_is_not_found(host):
    outcome = host.run_program('D:\\tools\\klist.exe purge', skip_cmd_shell=False)
    assert outcome.exit_code != 0 and 'is not recognized' in outcome.stderr
