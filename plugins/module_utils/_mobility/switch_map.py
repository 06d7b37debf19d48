# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A move to a host whose virtual switches have other names (switch_map: {source switch: destination switch}).

Hyper-V refuses to move a VM whose network adapter is connected to a switch the destination does not have: Compare-VM reports it as
an incompatibility (MessageId 33012, "Could not find Ethernet switch '<name>'.", the adapter as its Source). Microsoft's documented
fix is on the compatibility report: Connect-VMNetworkAdapter on the incompatibility's Source, then the report goes to the move
(Move-VM -CompatibilityReport). A report read over remoting arrives at depth 1 (its Incompatibilities as strings), so the fix and the
move run in one pipeline on the source (move_statements): Compare-VM -OutVariable keeps the report in the session, its
incompatibilities' adapters are connected to the mapped switch, and Get-Variable hands the report to Move-VM.

Pure logic, no I/O: the modules read the source VM's adapters (Get-VMNetworkAdapter) and the destination's switches (Get-VMSwitch)
and decide here, from those reads, never from the incompatibility's words.
"""

import re

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.reads import for_vm

# Compare-VM's page (example 2): the incompatibility of an adapter whose switch the host does not have.
MISSING_SWITCH_MESSAGE_ID = 33012
# The session variable the report is kept in between the two statements of the move (a name no runner variable uses).
REPORT_VARIABLE = 'HyperVMobilityCompatibilityReport'
CONTROL_CHARACTERS = re.compile(r'[\x00-\x1f\x7f]')


class SwitchMapError(Exception):
    """The move cannot be planned: the message names the adapter, the switch and the destination's switches (the fix)."""


def check_switch_map(option, value):
    """{source switch: destination switch} with non-empty names free of control characters; an error message naming option, or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return '%s must be a dictionary {source switch name: destination switch name}, got %s' % (option, type(value).__name__)
    for source, destination in value.items():
        for what, name in (('source switch name', source), ('destination switch name', destination)):
            if not isinstance(name, str) or not name.strip():
                return '%s: every %s must be a non-empty string, got %r (in %r: %r)' % (option, what, name, source, destination)
            if CONTROL_CHARACTERS.search(name):
                return '%s: the %s %r holds a control character; switch names have none' % (option, what, name)
    lowered = [source.lower() for source in value]
    if len(set(lowered)) != len(lowered):
        return '%s names a source switch twice (switch names are not case-sensitive): %s' % (option, ', '.join(sorted(value)))
    return None


def switch_names(result):
    """The switch names a Get-VMSwitch read returned."""
    return [str(item.get('Name')) for item in result.of_type(HV + 'VMSwitch') if item.get('Name')]


def vm_adapters(result, vm_id):
    """The network adapters of the VM with vm_id in a Get-VMNetworkAdapter read: [(adapter name, switch name or None)]."""
    wanted = str(vm_id or '').lower()
    return [(str(item.get('Name')), item.get('SwitchName') or None) for item in result.of_type(HV + 'VMNetworkAdapter')
            if str(item.get('VMId') or '').lower() == wanted]


def _named(names, wanted):
    return next((name for name in names if name.lower() == wanted.lower()), None)


def plan(vm_name, adapters, destination, destination_switches, switch_map):
    """[{adapter, switch, to}] for each adapter whose switch the destination lacks, mapped by switch_map.

    Raises SwitchMapError when such a switch is not mapped, is mapped to a switch the destination does not have either, or when the
    adapters would go to several destination switches (one pipeline connects every adapter of the report to one switch).
    """
    switch_map = switch_map or {}
    available = ', '.join(destination_switches) or 'none'
    changes = []
    for adapter, switch in adapters:
        if switch is None or _named(destination_switches, switch) is not None:
            continue
        source = _named(list(switch_map), switch)
        if source is None:
            raise SwitchMapError("network adapter '%s' of VM '%s' is connected to switch '%s', which %s does not have (its switches: %s); "
                                 "map it with switch_map: {'%s': <one of %s's switches>}"
                                 % (adapter, vm_name, switch, destination, available, switch, destination))
        target = _named(destination_switches, switch_map[source])
        if target is None:
            raise SwitchMapError("switch_map maps '%s' (network adapter '%s' of VM '%s') to '%s', which %s does not have either (its switches: %s)"
                                 % (source, adapter, vm_name, switch_map[source], destination, available))
        changes.append(dict(adapter=adapter, switch=switch, to=target))
    targets = sorted(set(change['to'] for change in changes))
    if len(targets) > 1:
        raise SwitchMapError("the network adapters of VM '%s' would go to %d switches of %s (%s): a move connects every adapter whose switch %s "
                             'lacks to one switch; map those switches to one destination switch, or connect the adapters to switches %s has '
                             'before the move' % (vm_name, len(targets), destination, ', '.join(targets), destination, destination))
    return changes


def move_statements(compare_parameters, vm_id, target_switch):
    """The one pipeline that fixes the report and moves (compare_parameters: Compare-VM's, as Move-VM would take them):

    1. [Get-VM -Id |] Compare-VM ... -OutVariable R | Select-Object -ExpandProperty Incompatibilities | Select-Object -ExpandProperty
       Source | Connect-VMNetworkAdapter -SwitchName <target>   (only adapters: the module refused every other incompatibility before)
    2. Get-Variable -Name R | Select-Object -ExpandProperty Value | Move-VM   (the report binds to -CompatibilityReport)
    """
    compare = for_vm(Command('Compare-VM', dict(compare_parameters, OutVariable=REPORT_VARIABLE)), vm_id)
    fix = compare.pipe(Command('Select-Object', {'ExpandProperty': 'Incompatibilities'})).pipe(
        Command('Select-Object', {'ExpandProperty': 'Source'})).pipe(Command('Connect-VMNetworkAdapter', {'SwitchName': target_switch}))
    move = Command('Get-Variable', {'Name': REPORT_VARIABLE}).pipe(Command('Select-Object', {'ExpandProperty': 'Value'})).pipe(Command('Move-VM'))
    return [fix, move]
