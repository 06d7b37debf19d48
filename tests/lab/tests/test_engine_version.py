"""Update-VMVersion (hvlab.engine.cmdlets.version): upgrades an Off (or Saved) VM to the host's default configuration version; a
running VM is refused; ConfirmImpact High asks in a remote session unless -Confirm:$false or -Force."""

import pytest

from hvlab.engine import Command, Identity
from hvlab.model.world import World

NTLM = Identity('labadmin', 'ntlm', 'psrp')


@pytest.fixture(name='hv01')
def host_fixture():
    host = World.create(1).hosts[0]
    host.patch({'os_release': '2022'})
    host.patch({'vms': {'hv01-web': {'version': '5.0', 'state': 'Off'}}})
    return host


def update(host, *parameters, name='hv01-web'):
    return host.execute([[Command('Update-VMVersion', [('Name', [name]), *parameters])]], NTLM)


def web(host):
    return next(vm for vm in host.vms if vm.name == 'hv01-web')


def test_an_off_vm_is_upgraded_to_the_host_default_version(hv01):
    execution = update(hv01, ('Confirm', False), ('Passthru', None))
    assert execution.errors == [] and web(hv01).version == hv01.default_vm_version != '5.0'
    assert execution.output[0]['Version'] == hv01.default_vm_version


def test_a_saved_vm_loses_its_saved_state_and_is_upgraded_off(hv01):
    hv01.patch({'vms': {'hv01-web': {'state': 'Saved'}}})
    assert update(hv01, ('Force', None)).errors == []
    assert web(hv01).state == 'Off' and web(hv01).version == hv01.default_vm_version


@pytest.mark.parametrize('state', ['Running', 'Paused'])
def test_a_vm_that_is_not_off_or_saved_is_refused_and_keeps_its_version(hv01, state):
    hv01.patch({'vms': {'hv01-web': {'state': state}}})
    error, = update(hv01, ('Confirm', False)).errors
    assert error.category == 'InvalidOperation' and state in error.message
    assert web(hv01).version == '5.0' and web(hv01).state == state


def test_high_confirm_impact_fails_at_the_prompt_in_a_remote_session_and_whatif_changes_nothing(hv01):
    execution = update(hv01)
    assert len(execution.errors) == 1 and web(hv01).version == '5.0'
    assert update(hv01, ('WhatIf', None)).errors == [] and web(hv01).version == '5.0'


def test_a_vm_at_the_newest_version_gets_a_warning_and_an_unknown_name_an_error(hv01):
    hv01.patch({'vms': {'hv01-web': {'version': hv01.default_vm_version}}})
    execution = update(hv01, ('Confirm', False))
    assert execution.errors == [] and execution.warnings and web(hv01).version == hv01.default_vm_version
    error, = update(hv01, ('Confirm', False), name='nope').errors
    assert error.category == 'ObjectNotFound'


def test_the_vm_object_get_vm_writes_binds_to_vm(hv01):
    statement = [Command('Get-VM', [('Id', web(hv01).vm_id)]), Command('Update-VMVersion', [('Confirm', False)])]
    assert hv01.execute([statement], NTLM).errors == [] and web(hv01).version == hv01.default_vm_version
