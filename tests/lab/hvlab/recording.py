"""Fidelity recordings: ``python -m hvlab compare-recording FILE`` lists where the lab differs from a real host.

A user runs the collection's read-only probe (playbooks/fidelity_probe.yml, module hyperv.mobility.fidelity_recording) on
their hosts; it writes one recording per host: the reads the collection's modules make and the shape of what came back
(plugins/module_utils/_host/shapes.py). Here the lab runs the same reads on an estate of its own (a VM replicating to a
Replica server, live migration set up on both hosts, the Recovery Services agent installed), records itself with the same code and compares the two:

- a type the host returned that the lab never returns, or whose type names differ;
- properties (and type-data members) the host has and the lab lacks, or the lab has and the host lacks;
- a property that travelled as another kind (a typed value where the lab sends a string, an I32 where the host sends a U32);
- an enum member the host spells that the lab does not know, or knows with another number;
- the error records of the probe's failing reads (command, FullyQualifiedErrorId, category, exception type).

Values are never compared (the recording has none): a property null on one side matches any kind on the other.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from hvlab.engine import Command, Identity
from hvlab.engine.objects import enum_members
from hvlab.model import programs, replication as model
from hvlab.model.world import World
from hvlab.transport.values import to_clixml

REPOSITORY = Path(__file__).resolve().parents[3]
SHAPES_PATH = REPOSITORY / 'plugins' / 'module_utils' / '_host' / 'shapes.py'
IDENTITY = Identity('labadmin', 'ntlm', 'psrp')
# The values the lab puts where the recording has a placeholder: its replicating VM and the other host.
PLACEHOLDERS = {'<vm>': 'hv01-web', '<destination>': 'hv02.hvlab.test'}
ERROR_READ_PREFIX = 'error:'
_INTEGER_KINDS = {'By', 'SB', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'Integer'}


def load_shapes():
    """The collection's shape reader (one piece of code records a host and the lab): loaded from its file, it needs no
    Ansible."""
    spec = importlib.util.spec_from_file_location('hyperv_mobility_shapes', SHAPES_PATH)
    shapes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shapes)
    return shapes


def recording_estate() -> World:
    """Two hosts: hv01-web on hv01 replicating to hv02 (initial copy done), hv01 a Replica server authorizing hv02, live migration
    enabled on both, the Recovery Services agent installed on hv01."""
    world = World.create(2)
    primary, replica = world.hosts
    steps = [
        (replica, 'Set-VMReplicationServer', [('ReplicationEnabled', True), ('AllowedAuthenticationType', 'Kerberos')]),
        (replica, 'Enable-NetFirewallRule', [('Name', ['VIRT-HVRHTTPL-In-TCP-NoScope']), ('Confirm', False)]),
        # The primary is a Replica server too (for the reverse replication after a failover), which authorizes its partner:
        # so the estate returns authorization entries, as a host set up by replica_server does.
        (primary, 'Set-VMReplicationServer', [('ReplicationEnabled', True), ('AllowedAuthenticationType', 'Kerberos'),
                                              ('ReplicationAllowedFromAnyServer', False)]),
        (primary, 'New-VMReplicationAuthorizationEntry', [('AllowedPrimaryServer', PLACEHOLDERS['<destination>']),
                                                          ('ReplicaStorageLocation', 'D:\\Replica'), ('TrustGroup', 'recording')]),
        (primary, 'Enable-VMReplication', [('VMName', [PLACEHOLDERS['<vm>']]), ('ReplicaServerName', PLACEHOLDERS['<destination>']),
                                           ('ReplicaServerPort', 80), ('AuthenticationType', 'Kerberos')]),
        (primary, 'Start-VMInitialReplication', [('VMName', [PLACEHOLDERS['<vm>']])]),
    ] + [(host, name, parameters) for host in world.hosts
         for name, parameters in (('Enable-VMMigration', []), ('Add-VMMigrationNetwork', [('Subnet', '127.0.0.0/8')]))]
    for host, name, parameters in steps:
        execution = host.execute([[Command(name, parameters)]], IDENTITY)
        if execution.errors:
            raise RuntimeError(f'the lab could not build its estate: {name}: {execution.errors[0].message}')
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
    # The Recovery Services agent installed (as Site Recovery's setup leaves a host): its service is what the agent and VMM
    # service reads return (System.ServiceProcess.ServiceController); without it the lab's recording would never hold that
    # type while a host that has it installed would.
    primary.patch({'site_recovery': {'products': {programs.AGENT_PRODUCT: programs.AGENT_VERSION}}})
    return world


def _substituted(value):
    if isinstance(value, list):
        return [_substituted(item) for item in value]
    return PLACEHOLDERS.get(value, value) if isinstance(value, str) else value


def record_lab(recording: dict, world: World | None = None) -> dict:
    """The lab's recording of the reads a recording lists, run on the lab's first host."""
    shapes = load_shapes()
    host = (world or recording_estate()).hosts[0]
    mine = shapes.new_recording('lab')
    for read in recording.get('reads', []):
        statements = [[Command(command['name'], [(name, _substituted(value)) for name, value in command['parameters'].items()])
                       for command in statement] for statement in read['statements']]
        execution = host.execute(statements, IDENTITY)
        shapes.add_read(mine, read['id'], read['statements'], [to_clixml(item) for item in execution.output], execution.errors)
    return mine


def _compatible(kind: str, other: str) -> bool:
    if kind == other:
        return True
    if kind.startswith('List[') and other.startswith('List['):
        return 'List[]' in (kind, other)
    return {kind, other} <= _INTEGER_KINDS and 'Integer' in (kind, other)


def _kind_differences(where: str, host_kinds: list, lab_kinds: list) -> list[str]:
    host_set, lab_set = set(host_kinds) - {'Nil'}, set(lab_kinds) - {'Nil'}
    if not host_set or not lab_set:
        return []          # null on one side: no kind to compare
    unmatched = sorted(kind for kind in host_set if not any(_compatible(kind, other) for other in lab_set))
    return [f'{where}: the host sends {", ".join(unmatched)}, the lab {", ".join(sorted(lab_set))}'] if unmatched else []


def _member_differences(type_name: str, section: str, host: dict, lab: dict) -> list[str]:
    label = 'property' if section == 'properties' else 'type-data member'
    found = [f'{type_name}: {label} {name} is missing in the lab' for name in host.get(section, {}) if name not in lab.get(section, {})]
    found += [f'{type_name}: {label} {name} is in the lab but not on the host' for name in lab.get(section, {})
              if name not in host.get(section, {})]
    for name, kinds in host.get(section, {}).items():
        if name in lab.get(section, {}):
            found += _kind_differences(f'{type_name}.{name}', kinds, lab[section][name])
    return found


def _reads_of(recording: dict, type_name: str) -> str:
    return ', '.join(sorted({read['id'] for read in recording['reads'] if type_name in read['outputs']})) or 'none'


def compare(host: dict, lab: dict) -> list[str]:
    """The differences between a host's recording and the lab's recording of the same reads, one sentence each."""
    found = []
    for type_name, shape in sorted(host.get('types', {}).items()):
        mine = lab['types'].get(type_name)
        if mine is None:
            found.append(f'{type_name}: returned by the host (reads: {_reads_of(host, type_name)}), never by the lab')
            continue
        if shape['type_names'] != mine['type_names']:
            found.append(f'{type_name}: type names {shape["type_names"]} on the host, {mine["type_names"]} in the lab')
        found += _member_differences(type_name, 'properties', shape, mine)
        found += _member_differences(type_name, 'extended', shape, mine)
    for enum_type, members in sorted(host.get('enums', {}).items()):
        try:
            known = enum_members(enum_type)
        except KeyError:
            found.append(f'enum {enum_type}: unknown to the lab (members seen: {", ".join(sorted(members))})')
            continue
        for member, number in sorted(members.items()):
            if member not in known:
                found.append(f'enum {enum_type}: member {member} ({number}) is unknown to the lab')
            elif number is not None and known[member] != number:
                found.append(f'enum {enum_type}: member {member} is {number} on the host, {known[member]} in the lab')
    lab_reads = {read['id']: read for read in lab.get('reads', [])}
    for read in host.get('reads', []):
        if read['id'].startswith(ERROR_READ_PREFIX) and read['errors'] != lab_reads.get(read['id'], {}).get('errors'):
            found.append(f'{read["id"]}: the host writes {json.dumps(read["errors"])}, the lab '
                         f'{json.dumps(lab_reads.get(read["id"], {}).get("errors"))}')
    return found


def compare_file(path: str) -> list[str]:
    with open(path, encoding='utf-8') as handle:
        recording = json.load(handle)
    shapes = load_shapes()
    if recording.get('format') != shapes.RECORDING_FORMAT:
        raise ValueError(f'{path} is not a fidelity recording (format {recording.get("format")!r}, expected '
                         f'{shapes.RECORDING_FORMAT!r})')
    return compare(recording, record_lab(recording))
