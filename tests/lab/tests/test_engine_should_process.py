"""ShouldProcess: -WhatIf, -Confirm, -Confirm:$false, $ConfirmPreference and ConfirmImpact, and the prompt a remote session cannot answer.

A faithful Windows host passes these; the old lab failed them: it refused -Confirm before the cmdlet's own checks and let a
ConfirmImpact-High cmdlet (Start-/Complete-VMFailover) run without asking.
"""

import pytest

from hvlab import reference
from hvlab.engine import Command, Identity
from hvlab.engine.executor import Executor
from hvlab.engine.should_process import NON_INTERACTIVE_MODE, high_impact_cmdlets, traits
from hvlab.model.world import World

PSRP = Identity('labadmin', 'basic', 'psrp')
WINRM = Identity('labadmin', 'ntlm', 'winrm')
PROMPT = 'A command that prompts the user failed because the host program or the command type does not support user interaction.'


@pytest.fixture(name='host')
def host_fixture():
    return World.create(2).hosts[0]


def run(host, name, *parameters, identity=PSRP, preference='High'):
    with host.world.lock:
        return Executor(host, identity, confirm_preference=preference).run([[Command(name, list(parameters))]])


def test_the_traits_are_the_reference_data():
    assert traits('Start-VMFailover').confirm_impact == 'High' and traits('Complete-VMFailover').confirm_impact == 'High'
    assert traits('Stop-VMFailover').confirm_impact == 'Medium' and traits('Set-VMHost').confirm_impact == 'Medium'
    assert not traits('Get-VMHost').supports_should_process and not traits('Test-VMReplicationConnection').supports_should_process
    assert {'Start-VMFailover', 'Complete-VMFailover', 'Update-VMVersion'} <= set(high_impact_cmdlets())
    # No source settles the impact of the CDXML and AD setters: the lab takes the case that prompts.
    assert reference.cmdlet('Enable-NetFirewallRule')['confirm_impact'] == 'unknown'
    assert traits('Enable-NetFirewallRule').confirm_impact == 'High' and 'Set-ADComputer' in high_impact_cmdlets()


def test_a_hyperv_prompt_carries_the_cmdlets_own_description(host):
    error = run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3), ('Confirm', None)).errors[0]
    assert error.message.endswith('Are you sure you want to perform this action?\r\nSet-VMHost will configure host "HV01".')
    error = run(host, 'Enable-NetFirewallRule', ('Name', ['VIRT-HVRHTTPL-In-TCP-NoScope'])).errors[0]
    assert error.message.endswith('Performing the operation "Enable" on target "VIRT-HVRHTTPL-In-TCP-NoScope".')


def test_checks_after_should_process_do_not_fire_under_whatif(host):
    # Complete-VMFailover and Compare-VM ask first (reference: should_process_after_state_checks false): the mode and state
    # of a replicating primary VM are checked only after ShouldProcess.
    primary, _replica = _replicating_pair(host.world)
    assert run(primary, 'Complete-VMFailover', ('VMName', ['hv01-web']), ('WhatIf', None)).errors == []
    assert run(primary, 'Complete-VMFailover', ('VMName', ['hv01-web']), ('Confirm', False)).errors != []
    compared = run(host, 'Compare-VM', ('Name', 'no-such-vm'), ('DestinationHost', 'hv02'), ('WhatIf', None))
    assert compared.errors == [] and compared.output == []


def test_a_medium_cmdlet_runs_without_asking_at_the_default_preference(host):
    assert run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3)).errors == []
    assert host.migration.maximum_storage_migrations == 3


@pytest.mark.parametrize('identity, error_id, category, words', [
    (PSRP, 'Unspecified', 'NotSpecified', PROMPT),          # pypsrp's runspace has no host: HostException, mapped by Hyper-V
    (WINRM, 'InvalidOperation', 'InvalidOperation', NON_INTERACTIVE_MODE),  # powershell.exe -NonInteractive
])
def test_confirm_asks_and_a_remote_session_cannot_answer(host, identity, error_id, category, words):
    execution = run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3), ('Confirm', None), identity=identity)
    error = execution.errors[0]
    assert len(execution.errors) == 1 and error.fully_qualified_error_id == f'{error_id},Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.category == category and error.message.startswith(words)
    assert error.exception_type == 'Microsoft.HyperV.PowerShell.VirtualizationException'
    assert host.migration.maximum_storage_migrations == 2


def test_confirm_preference_medium_asks_for_a_medium_cmdlet_and_confirm_false_does_not(host):
    assert run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3), preference='Medium').errors[0].message.startswith(PROMPT)
    assert run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3), ('Confirm', False), preference='Medium').errors == []
    assert run(host, 'Set-VMHost', ('MaximumStorageMigrations', 4), preference='None').errors == []
    assert host.migration.maximum_storage_migrations == 4


def test_whatif_changes_nothing_and_asks_nothing(host):
    assert run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3), ('WhatIf', None), ('Confirm', None)).errors == []
    assert host.migration.maximum_storage_migrations == 2


def _replicating_pair(world):
    primary, replica = world.hosts
    for host, command in ((replica, Command('Set-VMReplicationServer', [('ReplicationEnabled', True), ('AllowedAuthenticationType', 'Kerberos')])),
                          (replica, Command('Enable-NetFirewallRule', [('Name', ['VIRT-HVRHTTPL-In-TCP-NoScope']), ('Confirm', False)])),
                          (primary, Command('Enable-VMReplication', [('VMName', ['hv01-web']), ('ReplicaServerName', replica.fqdn),
                                                                     ('ReplicaServerPort', 80), ('AuthenticationType', 'Kerberos')])),
                          (primary, Command('Start-VMInitialReplication', [('VMName', ['hv01-web'])]))):
        assert host.execute([[command]], PSRP).errors == []
    world.advance_replication(3600)
    return primary, replica


def test_a_high_cmdlet_asks_after_its_own_state_checks(host):
    primary, replica = _replicating_pair(host.world)
    # The state check comes first (the decompiled StartVMFailover validates while it lists the operands): a primary VM is refused
    # for its mode, with no prompt.
    refused = run(primary, 'Start-VMFailover', ('VMName', ['hv01-web']))
    assert len(refused.errors) == 1 and 'Prepare' in refused.errors[0].message
    # A valid failover then asks, and cannot be answered: nothing happens until -Confirm:$false.
    asked = run(replica, 'Start-VMFailover', ('VMName', ['hv01-web']))
    assert len(asked.errors) == 1 and asked.errors[0].message.startswith(PROMPT)
    assert replica.replication.relationships[replica.vms[-1].vm_id].state == 'Replicating'
    assert run(replica, 'Start-VMFailover', ('VMName', ['hv01-web']), ('Confirm', False)).errors == []
    assert replica.replication.relationships[replica.vms[-1].vm_id].state == 'FailedOverWaitingCompletion'
    assert run(replica, 'Complete-VMFailover', ('VMName', ['hv01-web']), identity=WINRM).errors[0].message == NON_INTERACTIVE_MODE
    assert run(replica, 'Complete-VMFailover', ('VMName', ['hv01-web']), ('Confirm', False)).errors == []


def test_a_cmdlet_that_is_not_hyperv_stops_at_its_first_failed_prompt(host):
    execution = run(host, 'Enable-NetFirewallRule', ('Name', ['VIRT-HVRHTTPL-In-TCP-NoScope', 'VIRT-HVRHTTPSL-In-TCP-NoScope']))
    assert len(execution.errors) == 1
    error = execution.errors[0]
    assert (error.fully_qualified_error_id, error.category, error.exception_type) == (
        'HostFunctionNotImplemented,Enable-NetFirewallRule', 'NotImplemented', 'System.Management.Automation.Host.HostException')
    assert not any(rule.enabled for rule in host.firewall_rules if rule.name.startswith('VIRT-HVR'))
