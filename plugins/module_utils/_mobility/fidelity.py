# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fidelity probe: the reads the collection's modules make, run on a real host, recorded as shapes (_host/shapes.py).

Each distinct statement of the modules' reads runs as its own pipeline (so what it returned is known), then, for every
object type it returned, each property that arrived as a plain string is expanded (``| Select-Object -ExpandProperty``):
an enum then arrives as a top-level enum object, whose member name and number are recorded. A few reads that fail on
purpose (names that cannot exist) record the shape of Hyper-V's error records. Nothing is written to the host.

The statements come from the modules' read builders (READ_BUILDERS), never from a list kept here.
"""

import json

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command
from ansible_collections.hyperv.mobility.plugins.module_utils._host.shapes import add_read, new_recording, statement_data
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads, replica_relationship
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import IDENTITY_COMMAND

VM_PLACEHOLDER = '<vm>'
DESTINATION_PLACEHOLDER = '<destination>'
# A name no host has: the failing reads ask for it.
MISSING = 'hyperv-mobility-probe-missing'

# (what reads it, builder(vm, destination) -> the statements): the modules' own read builders (reads.py, preflight, the disks).
# Reads that name a VM or a destination are recorded only when the user gives one (vm / destination options).
READ_BUILDERS = (
    ('host identity (every host module)', lambda vm, destination: [IDENTITY_COMMAND]),
    ('host_info', lambda vm, destination: list(reads.HOST_FACTS)),
    ('migration_preflight, live_migration_mesh_facts, live_migration mesh_facts', lambda vm, destination: list(reads.PREFLIGHT)),
    ('live_migration', lambda vm, destination: list(reads.LIVE_MIGRATION)),
    ('replica_server', lambda vm, destination: list(reads.REPLICA_SERVER)),
    ('vm_failover, vm_replication', lambda vm, destination: list(reads.VM_REPLICATION_STATE)),
    ('vm_replication, vm_replication_info, replica relationships', lambda vm, destination: list(replica_relationship.DISK_STATEMENTS)),
    ('vm_replication_info', lambda vm, destination: reads.replication_info(None) + (reads.replication_info(vm) if vm else [])),
    ('vm_start', lambda vm, destination: [reads.vm_by_name(vm)] if vm else []),
    ('vm_failover (recovery points)', lambda vm, destination: [reads.recovery_checkpoints(vm)] if vm else []),
    ('vm_failover_network', lambda vm, destination: reads.failover_network(vm, 'Network Adapter') if vm else []),
    ('vm_failover (start), vm_migrate (source)', lambda vm, destination: [reads.vm_network_adapters(vm)] if vm else []),
    ('vm_failover (failback)', lambda vm, destination: reads.vm_failover_settings(vm) if vm else []),
    ('asr_prerequisites (VMM server), asr_vmm_registration', lambda vm, destination: list(reads.VMM_SERVICE_READ)),
    ('asr_recovery_services_agent', lambda vm, destination: list(reads.AGENT_SERVICE_READ)),
    ('host_drain (source)', lambda vm, destination: list(reads.DRAIN_SOURCE)),
    ('host_drain (destination)', lambda vm, destination: list(reads.DRAIN_DESTINATION)),
    ('vm_migrate (processor_compatibility)', lambda vm, destination: [reads.vm_processor(vm)] if vm else []),
    ('vm_migrate (storage_path)', lambda vm, destination: reads.vm_storage(vm) if vm else []),
    ('vm_migrate (destination)', lambda vm, destination: [reads.VM_SWITCHES]),
    ('vm_migrate', lambda vm, destination: [reads.compare_vm({'Name': vm, 'DestinationHost': destination})] if vm and destination else []),
)

# Reads that fail on purpose: the shape of the error records Hyper-V, CIM and NetSecurity write for something not found.
FAILING_READS = (
    ('error:Get-VM', Command('Get-VM', {'Name': [MISSING]})),
    ('error:Get-VMReplication', Command('Get-VMReplication', {'VMName': [MISSING]})),
    ('error:Measure-VMReplication', Command('Measure-VMReplication', {'VMName': [MISSING]})),
    ('error:Get-VMReplicationAuthorizationEntry', Command('Get-VMReplicationAuthorizationEntry', {'AllowedPrimaryServer': MISSING + '.invalid'})),
    ('error:Get-NetFirewallRule', Command('Get-NetFirewallRule', {'Name': [MISSING]})),
    ('error:Get-CimInstance', Command('Get-CimInstance', {'ClassName': 'HyperVMobility_NoSuchClass'})),
)


def module_statements(vm, destination):
    """[(statement, [who reads it])]: every distinct statement of the modules' reads, in first-seen order."""
    found, used_by = [], {}
    for reader, build in READ_BUILDERS:
        for statement in build(vm, destination):
            key = json.dumps(statement_data(statement, {}), sort_keys=True)
            if key not in used_by:
                used_by[key] = []
                found.append((key, statement))
            if reader not in used_by[key]:
                used_by[key].append(reader)
    return [(statement, used_by[key]) for key, statement in found]


def _string_properties(recording):
    """{type name: [property]} of the objects the last read returned whose value arrived only as a string."""
    read = recording['reads'][-1]
    found = {}
    for type_name in set(read['outputs']):
        shape = recording['types'].get(type_name)
        if shape is not None:
            found[type_name] = sorted(name for name, kinds in shape['properties'].items() if kinds == ['S'])
    return found


def record(session, transport, vm=None, destination=None):
    """Run the probe's reads through a HostSession and return the recording (a JSON-ready dict). Reads only."""
    placeholders = {VM_PLACEHOLDER: vm, DESTINATION_PLACEHOLDER: destination}
    recording = new_recording(transport)

    def run(read_id, statements, used_by=None):
        result = session.run(statements, read_only=True, check=False)
        add_read(recording, read_id, [statement_data(statement, placeholders) for statement in statements], result.raw_output, result.errors)
        if used_by:
            recording['reads'][-1]['used_by'] = used_by

    for number, (statement, used_by) in enumerate(module_statements(vm, destination), start=1):
        read_id = 'read:%d' % number
        run(read_id, [statement], used_by)
        expansions = [statement.pipe(Command('Select-Object', {'ExpandProperty': name}))
                      for names in _string_properties(recording).values() for name in names]
        if expansions:
            run('expand:%d' % number, expansions)
    for read_id, statement in FAILING_READS:
        run(read_id, [statement])
    return recording
