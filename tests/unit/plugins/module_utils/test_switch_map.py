# -*- coding: utf-8 -*-
"""switch_map (issue 16): which adapters a move connects to which destination switch, bad maps, and the one pipeline of the fix."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import PSObjectData
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.switch_map import (
    REPORT_VARIABLE, SwitchMapError, check_switch_map, move_statements, plan, switch_names, vm_adapters)

HV = 'Microsoft.HyperV.PowerShell.'
VM_ID = '0f8fad5b-d9cb-469f-a165-70867728950e'


def test_adapters_on_a_switch_the_destination_has_stay_and_the_others_are_mapped_case_insensitively():
    adapters = [('Front end', 'LAN'), ('Storage', 'iSCSI'), ('Spare', None)]
    changes = plan('web', adapters, 'hv02', ['Production', 'iscsi'], {'lan': 'production', 'Unused': 'Backup'})
    assert changes == [{'adapter': 'Front end', 'switch': 'LAN', 'to': 'Production'}]
    assert plan('web', adapters, 'hv02', ['LAN', 'iSCSI'], None) == []


def test_an_unmapped_switch_names_the_adapter_the_switch_and_the_destinations_switches():
    with pytest.raises(SwitchMapError) as raised:
        plan('web', [('Front end', 'LAN')], 'hv02', ['Production', 'Backup'], {})
    assert str(raised.value) == ("network adapter 'Front end' of VM 'web' is connected to switch 'LAN', which hv02 does not have (its switches: "
                                 "Production, Backup); map it with switch_map: {'LAN': <one of hv02's switches>}")


def test_a_map_to_a_switch_the_destination_lacks_too_and_several_targets_are_refused():
    with pytest.raises(SwitchMapError, match="maps 'LAN' .* to 'Storage', which hv02 does not have either"):
        plan('web', [('Front end', 'LAN')], 'hv02', ['Production'], {'LAN': 'Storage'})
    with pytest.raises(SwitchMapError, match='would go to 2 switches of hv02 \\(Backup, Production\\)'):
        plan('web', [('A', 'LAN'), ('B', 'DMZ')], 'hv02', ['Production', 'Backup'], {'LAN': 'Production', 'DMZ': 'Backup'})


@pytest.mark.parametrize('value, words', [
    (['LAN'], 'must be a dictionary'),
    ({'LAN': 7}, 'every destination switch name must be a non-empty string, got 7'),
    ({'': 'Production'}, 'every source switch name must be a non-empty string'),
    ({'LAN': 'Pro\nduction'}, 'holds a control character'),
    ({'LAN': 'A', 'Lan': 'B'}, 'names a source switch twice'),
])
def test_bad_maps_name_the_option(value, words):
    problem = check_switch_map('switch_map', value)
    assert problem.startswith('switch_map') and words in problem


def test_the_reads_give_switch_names_and_the_vms_adapters_only():
    result = PipelineResult([PSObjectData([HV + 'VMSwitch'], {'Name': 'Production'}),
                             PSObjectData([HV + 'VMNetworkAdapter'], {'Name': 'Front end', 'VMId': VM_ID.upper(), 'SwitchName': 'LAN'}),
                             PSObjectData([HV + 'VMNetworkAdapter'], {'Name': 'Spare', 'VMId': VM_ID, 'SwitchName': None}),
                             PSObjectData([HV + 'VMNetworkAdapter'], {'Name': 'Other', 'VMId': 'another', 'SwitchName': 'LAN'})])
    assert switch_names(result) == ['Production']
    assert vm_adapters(result, VM_ID) == [('Front end', 'LAN'), ('Spare', None)]


@pytest.mark.parametrize('vm_id', [None, VM_ID])
def test_the_fix_and_the_move_are_one_pipeline_keeping_the_report_in_the_session(vm_id):
    parameters = {'DestinationHost': 'hv02.hvlab.test', 'IncludeStorage': True}
    fix, move = move_statements(parameters, vm_id, 'Production')
    names = [command.name for command in fix.commands]
    assert names == (['Get-VM'] if vm_id else []) + ['Compare-VM', 'Select-Object', 'Select-Object', 'Connect-VMNetworkAdapter']
    compare = fix.commands[-4]
    assert compare.parameters == dict(parameters, OutVariable=REPORT_VARIABLE)
    assert [command.parameters for command in fix.commands[-3:]] == [{'ExpandProperty': 'Incompatibilities'}, {'ExpandProperty': 'Source'},
                                                                     {'SwitchName': 'Production'}]
    assert [(command.name, command.parameters) for command in move.commands] == [
        ('Get-Variable', {'Name': REPORT_VARIABLE}), ('Select-Object', {'ExpandProperty': 'Value'}), ('Move-VM', {})]
