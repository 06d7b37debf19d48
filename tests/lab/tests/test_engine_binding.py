"""Parameter binding: PowerShell's rules and error records, driven through SimHost.execute."""

import pytest

from hvlab.engine import Command, Identity, LabEnum, LabTimeSpan
from hvlab.model.world import World

IDENTITY = Identity('labadmin', 'ntlm', 'psrp')
BINDING_EXCEPTION = 'System.Management.Automation.ParameterBindingException'


@pytest.fixture(name='host')
def host_fixture():
    return World.create(2).hosts[0]


def run(host, name, *parameters):
    return host.execute([[Command(name, list(parameters))]], IDENTITY)


def only_error(execution):
    assert len(execution.errors) == 1, execution.errors
    return execution.errors[0]


def test_unknown_parameter_is_named_parameter_not_found(host):
    error = only_error(run(host, 'Set-VMHost', ('Bogus', 1)))
    assert error.message == "A parameter cannot be found that matches parameter name 'Bogus'."
    assert error.fully_qualified_error_id == 'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.category == 'InvalidArgument'
    assert error.exception_type == BINDING_EXCEPTION
    assert error.command == 'Set-VMHost'
    assert error.target is None


def test_binding_error_changes_nothing_and_next_statement_runs(host):
    execution = host.execute([
        [Command('Set-VMHost', [('MaximumVirtualMachineMigrations', 5), ('Bogus', 1)])],
        [Command('Get-VMHost', [])],
    ], IDENTITY)
    assert len(execution.errors) == 1
    assert execution.output[0]['MaximumVirtualMachineMigrations'] == 2


def test_names_are_case_insensitive_and_unique_prefixes_bind(host):
    execution = run(host, 'sET-vmHOST', ('maximumvirtualmachinem', 7), ('USEANY', True))
    assert execution.errors == []
    assert host.migration.maximum_vm_migrations == 7
    assert host.migration.use_any_network is True


def test_leading_dash_in_name_is_accepted(host):
    assert run(host, 'Set-VMHost', ('-MaximumStorageMigrations', 4)).errors == []
    assert host.migration.maximum_storage_migrations == 4


def test_ambiguous_prefix_lists_possible_matches(host):
    error = only_error(run(host, 'Set-VMHost', ('Max', 3)))
    assert error.fully_qualified_error_id == 'AmbiguousParameter,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.message == ("Parameter cannot be processed because the parameter name 'Max' is ambiguous. "
                             'Possible matches include: -MaximumStorageMigrations -MaximumVirtualMachineMigrations.')


def test_aliases_bind(host):
    execution = run(host, 'Get-VM', ('VMName', 'hv01-web'))
    assert [vm['Name'] for vm in execution.output] == ['hv01-web']
    execution = run(host, 'Get-WindowsFeature', ('Cn', 'hv01'), ('Name', 'Hyper-V'))
    assert [feature['Name'] for feature in execution.output] == ['Hyper-V']


def test_common_parameters_and_their_aliases_bind(host):
    execution = run(host, 'Get-VMHost', ('Verbose', None), ('ea', 'Continue'), ('OutVariable', 'x'))
    assert execution.errors == []
    assert len(execution.output) == 1


def test_whatif_alias_wi_changes_nothing(host):
    assert run(host, 'Set-VMHost', ('MaximumStorageMigrations', 9), ('wi', None)).errors == []
    assert host.migration.maximum_storage_migrations == 2


def test_parameter_specified_twice(host):
    error = only_error(run(host, 'Set-VMHost', ('MaximumStorageMigrations', 3), ('maximumstoragemigrations', 4)))
    assert error.fully_qualified_error_id == 'ParameterAlreadyBound,Microsoft.HyperV.PowerShell.Commands.SetVMHost'


def test_positional_parameters_bind_in_position_order(host):
    execution = run(host, 'Add-VMMigrationNetwork', (None, '192.168.10.0/24'), (None, '5'), ('Passthru', None))
    assert execution.errors == []
    assert execution.output[0]['Subnet'] == '192.168.10.0/24'
    assert execution.output[0]['Priority'] == 5


def test_too_many_positional_arguments(host):
    error = only_error(run(host, 'Add-VMMigrationNetwork', (None, '10.0.0.0/8'), (None, 1), (None, 'extra')))
    assert error.fully_qualified_error_id == 'PositionalParameterNotFound,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork'
    assert error.message == "A positional parameter cannot be found that accepts argument 'extra'."


def test_positional_value_prefers_default_parameter_set(host):
    execution = run(host, 'Get-VMHost', (None, 'localhost'))
    assert execution.errors == []
    assert execution.output[0]['Name'] == 'HV01'


def test_missing_mandatory_parameter(host):
    error = only_error(run(host, 'Remove-VMMigrationNetwork'))
    assert error.fully_qualified_error_id == 'MissingMandatoryParameter,Microsoft.HyperV.PowerShell.Commands.RemoveVMMigrationNetwork'
    assert error.message == 'Cannot process command because of one or more missing mandatory parameters: Subnet.'


def test_mandatory_parameter_given_null_or_empty(host):
    error = only_error(run(host, 'Add-VMMigrationNetwork', ('Subnet', None)))
    assert error.fully_qualified_error_id.startswith('ParameterArgumentValidationErrorNullNotAllowed,')
    error = only_error(run(host, 'Add-VMMigrationNetwork', ('Subnet', '')))
    assert error.message == "Cannot bind argument to parameter 'Subnet' because it is an empty string."


def test_parameters_of_two_sets_are_ambiguous(host):
    error = only_error(run(host, 'Get-VM', ('Name', 'x'), ('Id', '4f1c2c9e-8a4e-4e63-9d5e-0c1f6b4c2a11')))
    assert error.fully_qualified_error_id == 'AmbiguousParameterSet,Microsoft.HyperV.PowerShell.Commands.GetVM'
    assert error.message == 'Parameter set cannot be resolved using the specified named parameters.'


def test_parameter_set_chosen_by_named_parameter(host):
    vm = host.vms[1]
    execution = run(host, 'Get-VM', ('Id', vm.vm_id.upper()))
    assert execution.errors == []
    assert [item['Name'] for item in execution.output] == [vm.name]


@pytest.mark.parametrize('typed', ['kerberos', 'KERBEROS', 'Kerberos'])
def test_enum_values_are_case_insensitive_and_stored_canonically(host, typed):
    execution = run(host, 'Set-VMHost', ('VirtualMachineMigrationAuthenticationType', typed), ('Passthru', None))
    assert execution.errors == []
    assert host.migration.authentication_type == 'Kerberos'
    value = execution.output[0]['VirtualMachineMigrationAuthenticationType']
    assert value == LabEnum('Microsoft.HyperV.PowerShell.MigrationAuthenticationType', 'Kerberos', 1)


def test_enum_accepts_numeric_value(host):
    assert run(host, 'Set-VMHost', ('VirtualMachineMigrationPerformanceOption', 2)).errors == []
    assert host.migration.performance_option == 'SMB'


def test_invalid_enum_name_error(host):
    error = only_error(run(host, 'Set-VMHost', ('VirtualMachineMigrationPerformanceOption', 'SMBTransport')))
    assert error.fully_qualified_error_id == 'CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.message == (
        "Cannot bind parameter 'VirtualMachineMigrationPerformanceOption'. Cannot convert value \"SMBTransport\" to type "
        '"Microsoft.HyperV.PowerShell.VMMigrationPerformance". Error: "Unable to match the identifier name SMBTransport to a '
        'valid enumerator name. Specify one of the following enumerator names and try again:\r\nTCPIP, Compression, SMB"')
    assert host.migration.performance_option == 'Compression'


def test_integer_conversion_from_strings_and_range_errors(host):
    assert run(host, 'Set-VMHost', ('MaximumVirtualMachineMigrations', '6')).errors == []
    assert host.migration.maximum_vm_migrations == 6
    error = only_error(run(host, 'Set-VMHost', ('MaximumVirtualMachineMigrations', 'six')))
    assert error.message == ("Cannot bind parameter 'MaximumVirtualMachineMigrations'. Cannot convert value \"six\" to type "
                             '"System.UInt32". Error: "Input string was not in a correct format."')
    error = only_error(run(host, 'Set-VMHost', ('MaximumVirtualMachineMigrations', -1)))
    assert error.fully_qualified_error_id == 'CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.message.endswith('Error: "Value was either too large or too small for a UInt32."')
    error = only_error(run(host, 'Set-VMHost', ('MaximumVirtualMachineMigrations', 2 ** 32)))
    assert 'too large or too small for a UInt32' in error.message


def test_boolean_accepts_bools_and_numbers_only(host):
    assert run(host, 'Set-VMHost', ('NumaSpanningEnabled', 0)).errors == []
    assert host.settings.numa_spanning_enabled is False
    error = only_error(run(host, 'Set-VMHost', ('NumaSpanningEnabled', 'true')))
    assert error.fully_qualified_error_id == 'CannotConvertArgument,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.message.startswith("Cannot convert 'System.String' to the type 'System.Boolean' required by parameter 'NumaSpanningEnabled'.")
    error = only_error(run(host, 'Set-VMHost', ('NumaSpanningEnabled', None)))
    assert error.message == "Cannot bind argument to parameter 'NumaSpanningEnabled' because it is null."


def test_switch_without_value_is_true_and_explicit_false_is_false(host):
    assert len(run(host, 'Enable-VMMigration', ('Passthru', None)).output) == 1
    assert run(host, 'Disable-VMMigration', ('Passthru', False)).output == []
    assert host.migration.enabled is False


def test_timespan_from_string_and_invalid_string(host):
    execution = run(host, 'Set-VMHost', ('ResourceMeteringSaveInterval', '02:30:00'), ('Passthru', None))
    assert execution.errors == []
    assert execution.output[0]['ResourceMeteringSaveInterval'] == LabTimeSpan(9000.0)
    error = only_error(run(host, 'Set-VMHost', ('ResourceMeteringSaveInterval', 'soon')))
    assert error.message == ("Cannot bind parameter 'ResourceMeteringSaveInterval'. Cannot convert value \"soon\" to type "
                             '"System.TimeSpan". Error: "String was not recognized as a valid TimeSpan."')


def test_string_array_from_scalar_and_array_to_scalar_refused(host):
    execution = run(host, 'Get-VMHost', ('ComputerName', 'hv01'))
    assert len(execution.output) == 1
    execution = run(host, 'Get-VMHost', ('ComputerName', ['hv01', 'hv01.hvlab.test', '.']))
    assert len(execution.output) == 3
    error = only_error(run(host, 'Add-VMMigrationNetwork', ('Subnet', ['10.0.0.0/8', '10.1.0.0/16'])))
    assert error.fully_qualified_error_id == 'CannotConvertArgument,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork'
    assert error.message.startswith("Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'Subnet'.")


def test_string_parameter_takes_numbers_as_text(host):
    assert run(host, 'Set-VMHost', ('VirtualMachinePath', 42)).errors == []
    assert host.settings.virtual_machine_path == '42'


def test_guid_conversion_error(host):
    error = only_error(run(host, 'Get-VM', ('Id', 'not-a-guid')))
    assert error.fully_qualified_error_id == 'CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.GetVM'
    assert 'to type "System.Guid"' in error.message


def test_credential_as_plain_string_fails_argument_transformation(host):
    error = only_error(run(host, 'Get-VMHost', ('Credential', 'labadmin')))
    assert error.fully_qualified_error_id == 'ParameterArgumentTransformationError,Microsoft.HyperV.PowerShell.Commands.GetVMHost'
    assert error.message.startswith("Cannot process argument transformation on parameter 'Credential'.")


def test_cim_session_cannot_be_sent_as_text(host):
    error = only_error(run(host, 'Get-VMHost', ('CimSession', 'hv01')))
    assert error.fully_qualified_error_id == 'CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.GetVMHost'
    assert 'Microsoft.Management.Infrastructure.CimSession' in error.message


def test_unknown_command(host):
    error = only_error(run(host, 'Get-Nothing'))
    assert error.fully_qualified_error_id == 'CommandNotFoundException'
    assert error.category == 'ObjectNotFound'
    assert error.exception_type == 'System.Management.Automation.CommandNotFoundException'
    assert error.target == 'Get-Nothing'
    assert error.message.startswith("The term 'Get-Nothing' is not recognized as the name of a cmdlet, function, script file, or operable program.")


def test_fqid_class_names_per_module(host):
    assert only_error(run(host, 'Get-WindowsFeature', ('Bogus', 1))).fully_qualified_error_id == \
        'NamedParameterNotFound,Microsoft.Windows.ServerManager.Commands.GetWindowsFeatureCommand'
    assert only_error(run(host, 'Get-ADComputer', ('Bogus', 1))).fully_qualified_error_id == \
        'NamedParameterNotFound,Microsoft.ActiveDirectory.Management.Commands.GetADComputer'
    assert only_error(run(host, 'Get-NetFirewallRule', ('Bogus', 1))).fully_qualified_error_id == \
        'NamedParameterNotFound,Get-NetFirewallRule'


def test_documented_but_unmodelled_cmdlet_still_binds_first(host):
    error = only_error(run(host, 'Move-VM', ('Bogus', 1)))
    assert error.fully_qualified_error_id == 'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.MoveVM'
    error = only_error(run(host, 'Get-ADComputer', ('Filter', '*')))
    assert error.fully_qualified_error_id == 'HvLab.NotImplemented,Microsoft.ActiveDirectory.Management.Commands.GetADComputer'
    assert error.category == 'NotImplemented'


def test_error_action_silently_continue_hides_and_stop_ends_invocation(host):
    execution = run(host, 'Get-VM', ('Name', 'missing'), ('ErrorAction', 'silentlycontinue'))
    assert execution.errors == [] and execution.output == []
    execution = host.execute([
        [Command('Get-VM', [('Name', 'missing'), ('ea', 'Stop')])],
        [Command('Get-VMHost', [])],
    ], IDENTITY)
    assert len(execution.errors) == 1 and execution.output == []


def test_piped_commands_run_as_one_statement(host):
    # Replaces the refusal of piped commands (the lab did not model pipelines): each command after the first receives the
    # objects the previous one wrote; one that takes no pipeline input refuses each of them, as PowerShell's binder does.
    drives = host.execute([[Command('Get-VM', [('Name', ['hv01-web'])]), Command('Select-Object', [('ExpandProperty', 'HardDrives')])],
                           [Command('Get-VMHost', [])]], IDENTITY)
    assert drives.errors == []
    assert [item.type_names[0] for item in drives.output] == ['Microsoft.HyperV.PowerShell.HardDiskDrive',
                                                              'Microsoft.HyperV.PowerShell.VMHost']
    refused = host.execute([[Command('Get-VM', []), Command('Get-VMHost', [])]], IDENTITY)
    assert refused.output == [] and len(refused.errors) == len(host.vms)
    assert {error.fully_qualified_error_id for error in refused.errors} == {'InputObjectNotBound,Microsoft.HyperV.PowerShell.Commands.GetVMHost'}


def test_a_binding_error_anywhere_in_a_statement_runs_none_of_it(host):
    execution = host.execute([[Command('Set-VMHost', [('MaximumStorageMigrations', 5)]), Command('Select-Object', [('Bogus', 1)])]],
                             IDENTITY)
    assert only_error(execution).fully_qualified_error_id == 'NamedParameterNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand'
    assert host.migration.maximum_storage_migrations == 2


def test_select_object_expand_property(host):
    missing = host.execute([[Command('Get-VMHost', []), Command('Select-Object', [('ExpandProperty', 'NoSuchProperty')])]], IDENTITY)
    error = only_error(missing)
    assert (error.fully_qualified_error_id, error.message) == (
        'ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand', 'Property "NoSuchProperty" cannot be found.')
    names = host.execute([[Command('Get-VM', []), Command('Select-Object', [('ExpandProperty', 'name')])]], IDENTITY)
    assert names.output == [vm.name for vm in host.vms]
    unmodelled = only_error(host.execute([[Command('Get-VM', []), Command('Select-Object', [('First', 1)])]], IDENTITY))
    assert unmodelled.category == 'NotImplemented'
