"""Every object the lab emits has exactly the real type's shape (issue 14): the type names, property names, how each
property travels through remoting and the enum spellings that reference/types.json records from the decompiled Hyper-V
module, Microsoft's pages and recorded Windows output.

The lab is made to emit every object type it models - the output of every Get-/Measure-/Compare-/Test- cmdlet it implements
and every -Passthru - first through the engine, then through both transports (PSRP with pypsrp, and the winrm runner), whose
CLIXML is read with the collection's own shape reader (plugins/module_utils/_host/shapes.py, the fidelity probe's).
"""
# pylint: disable=redefined-outer-name  # pytest fixtures

import datetime
import re

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvlab import reference
from hvlab.engine import Command, Identity, LabEnum, LabObject, LabTimeSpan
from hvlab.engine.cmdlets import REGISTRY
from hvlab.engine.signatures import find_signature
from hvlab.model import replication as model
from hvlab.model.world import World
from hvlab.recording import load_shapes
from hvlab.transport.values import element_type, to_clixml, value_type
from test_transport_winrm import run_runner
from transport_helpers import lab, make_world, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order

IDENTITY = Identity('labadmin', 'ntlm', 'psrp')
TYPES = reference.load('types.json')
ENUMS = TYPES['enums']
HTTP_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
SHAPES = load_shapes()

# The CLIXML tag PowerShell's serializer writes for a value of each primitive .NET type (remoting.json primitive_types).
TAGS = {'System.String': 'S', 'System.Boolean': 'B', 'System.Byte': 'By', 'System.SByte': 'SB', 'System.Int16': 'I16',
        'System.UInt16': 'U16', 'System.Int32': 'I32', 'System.UInt32': 'U32', 'System.Int64': 'I64', 'System.UInt64': 'U64',
        'System.Double': 'Db', 'System.Single': 'Sg', 'System.DateTime': 'DT', 'System.TimeSpan': 'TS', 'System.Guid': 'G',
        'System.Version': 'Version'}

# What each write cmdlet's -Passthru (or a cmdlet that always writes) is made to emit, in an order the state allows:
# (host index, statement). Host 0 is the primary, host 1 the Replica server; 'advance' lets replication run, 'vmm' makes
# host 0 a VMM server as well.
PASSTHRU_STEPS = [
    (1, [('Set-VMReplicationServer', [('ReplicationEnabled', True), ('AllowedAuthenticationType', 'Kerberos'), ('Passthru', None)])]),
    (1, [('Enable-NetFirewallRule', [('Name', [HTTP_RULE]), ('Confirm', False), ('Passthru', None)])]),
    (1, [('Set-VMReplicationServer', [('ReplicationAllowedFromAnyServer', False), ('Passthru', None)])]),
    (1, [('New-VMReplicationAuthorizationEntry', [('AllowedPrimaryServer', 'hv01.hvlab.test'), ('ReplicaStorageLocation', 'D:\\R'),
                                                  ('TrustGroup', 'SITE')])]),
    (1, [('Set-VMReplicationAuthorizationEntry', [('AllowedPrimaryServer', 'hv01.hvlab.test'), ('ReplicaStorageLocation', 'E:\\R'),
                                                  ('Passthru', None)])]),
    (0, [('Enable-VMReplication', [('VMName', ['hv01-web']), ('ReplicaServerName', 'hv02.hvlab.test'), ('ReplicaServerPort', 80),
                                   ('AuthenticationType', 'Kerberos'), ('Passthru', None)])]),
    (0, [('Start-VMInitialReplication', [('VMName', ['hv01-web']), ('Passthru', None)])]),
    (0, [('Enable-VMReplication', [('VMName', ['hv01-app']), ('ReplicaServerName', 'hv02.hvlab.test'), ('ReplicaServerPort', 80),
                                   ('AuthenticationType', 'Kerberos')])]),
    (0, [('Start-VMInitialReplication', [('VMName', ['hv01-app'])])]),
    (0, [('Stop-VMInitialReplication', [('VMName', ['hv01-app']), ('Passthru', None)])]),
    (0, [('Remove-VMReplication', [('VMName', ['hv01-app']), ('Passthru', None)])]),
    ('vmm', []),
    (0, [('Stop-Service', [('Name', ['SCVMMService']), ('PassThru', None)])]),
    ('advance', []),
    (1, [('Set-VMNetworkAdapterFailoverConfiguration', [('VMName', 'hv01-web'), ('IPv4Address', '10.2.0.5'),
                                                        ('IPv4SubnetMask', '255.255.255.0'), ('Passthru', None)])]),
    (1, [('Set-VMNetworkAdapter', [('VMName', 'hv01-web'), ('TestReplicaSwitchName', 'Isolated'), ('Passthru', None)])]),
    (0, [('Set-VMReplication', [('VMName', ['hv01-web']), ('ReplicationFrequencySec', 300), ('Passthru', None)])]),
    (0, [('Suspend-VMReplication', [('VMName', ['hv01-web']), ('Passthru', None)])]),
    (0, [('Resume-VMReplication', [('VMName', ['hv01-web']), ('Passthru', None)])]),
    (0, [('Set-VMHost', [('MaximumVirtualMachineMigrations', 3), ('Passthru', None)])]),
    (0, [('Enable-VMMigration', [('Passthru', None)])]),
    (1, [('Enable-VMMigration', [])]),
    (0, [('Add-VMMigrationNetwork', [('Subnet', '127.0.0.0/8'), ('Passthru', None)])]),
    (1, [('Add-VMMigrationNetwork', [('Subnet', '127.0.0.0/8')])]),
    (0, [('Set-VMMigrationNetwork', [('Subnet', '127.0.0.0/8'), ('NewPriority', 2), ('Passthru', None)])]),
    (1, [('Start-VMFailover', [('VMName', ['hv01-web']), ('AsTest', None), ('Confirm', False), ('Passthru', None)])]),
    (1, [('Stop-VMFailover', [('VMName', ['hv01-web']), ('Passthru', None)])]),
    (0, [('Set-VMHost', [('VirtualMachineMigrationAuthenticationType', 'CredSSP')])]),
    (1, [('Set-VMHost', [('VirtualMachineMigrationAuthenticationType', 'CredSSP')])]),
    (0, [('Move-VM', [('Name', 'hv01-db'), ('DestinationHost', 'hv02.hvlab.test'), ('IncludeStorage', None), ('Passthru', None)])]),
    (0, [('Set-VMProcessor', [('VMName', ['hv01-app']), ('CompatibilityForMigrationEnabled', True), ('Passthru', None)])]),
    (0, [('Update-VMVersion', [('Name', ['hv01-app']), ('Confirm', False), ('Passthru', None)])]),
    (0, [('Connect-VMNetworkAdapter', [('VMName', ['hv01-app']), ('SwitchName', 'LAN'), ('Passthru', None)])]),
    (0, [('Add-VMMigrationNetwork', [('Subnet', '10.9.0.0/24')])]),
    (0, [('Remove-VMMigrationNetwork', [('Subnet', '10.9.0.0/24'), ('Passthru', None)])]),
]
# The reads, each on the state the steps left (a VM replicating, migration set up).
READS = [
    (0, [('Get-VMHost', [])]),
    (0, [('Get-VM', [])]),
    (0, [('Get-VMHardDiskDrive', [('VMName', ['*'])])]),
    (0, [('Get-VMHostSupportedVersion', [])]),
    (0, [('Get-VMMigrationNetwork', [])]),
    (1, [('Get-VMReplicationServer', [])]),
    (1, [('Get-VMReplicationAuthorizationEntry', [])]),
    (0, [('Get-VMReplication', [])]),
    (1, [('Get-VMReplication', [])]),
    (1, [('Get-VMSnapshot', [('VMName', ['hv01-web']), ('SnapshotType', 'Replica')])]),
    (1, [('Get-VMNetworkAdapter', [('VMName', ['hv01-web'])])]),
    (1, [('Get-VMNetworkAdapterFailoverConfiguration', [('VMName', ['hv01-web'])])]),
    (0, [('Get-VMProcessor', [('VMName', ['hv01-app'])])]),
    (0, [('Get-VMSwitch', [])]),
    (0, [('Measure-VMReplication', [])]),
    (0, [('Get-NetFirewallRule', [])]),
    (0, [('Get-CimInstance', [('ClassName', 'Win32_ComputerSystem')])]),
    (0, [('Get-WindowsFeature', [])]),
    (0, [('Get-Service', [])]),
    (0, [('Test-VMReplicationConnection', [('ReplicaServerName', 'hv02.hvlab.test'), ('ReplicaServerPort', 80),
                                           ('AuthenticationType', 'Kerberos')])]),
    (0, [('Compare-VM', [('Name', 'hv01-app'), ('DestinationHost', 'hv02.hvlab.test')])]),
    (0, [('Compare-VM', [('Name', 'hv01-app'), ('DestinationHost', 'hv02.hvlab.test')]),
         ('Select-Object', [('ExpandProperty', 'Incompatibilities')])]),
    (0, [('Get-VMReplication', []), ('Select-Object', [('ExpandProperty', 'ReplicatedDisks')])]),
    (0, [('Get-VM', []), ('Select-Object', [('ExpandProperty', 'State')])]),
]
# After the reads: a failover of the Replica VM, completed; the authorization entry removed, migration disabled; the VM that
# was off started (the reads above see a VM off).
FINAL_STEPS = [
    (0, [('Start-VM', [('Name', ['hv01-app']), ('Passthru', None)])]),
    (1, [('Remove-VMReplicationAuthorizationEntry', [('AllowedPrimaryServer', 'hv01.hvlab.test'), ('Passthru', None)])]),
    (0, [('Disable-VMMigration', [('Passthru', None)])]),
    (1, [('Start-VMFailover', [('VMName', ['hv01-web']), ('Confirm', False), ('Passthru', None)])]),
    (1, [('Complete-VMFailover', [('VMName', ['hv01-web']), ('Confirm', False), ('Passthru', None)])]),
]
# Migration is set to CredSSP on both hosts: Move-VM and Compare-VM then need a CredSSP session (the lab's rule).
CREDSSP = Identity('labadmin', 'credssp', 'psrp')


def identity_for(commands):
    return CREDSSP if commands[0][0] in ('Move-VM', 'Compare-VM') else IDENTITY


def _statement(commands):
    return [Command(name, list(parameters)) for name, parameters in commands]


def prepare(world, steps=None):
    """Run the -Passthru steps on a fresh world; returns every object they wrote."""
    written = []
    for where, commands in PASSTHRU_STEPS if steps is None else steps:
        if where == 'advance':
            world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
            continue
        if where == 'vmm':      # the first host plays a VMM server too: it has the VMM service (Get-Service, Stop-Service)
            world.hosts[0].patch({'vmm': {'name': world.hosts[0].fqdn}})
            continue
        execution = world.hosts[where].execute([_statement(commands)], identity_for(commands))
        assert execution.errors == [], (commands, execution.errors)
        written += execution.output
    return written


def read_all(world):
    found = []
    for where, commands in READS:
        execution = world.hosts[where].execute([_statement(commands)], identity_for(commands))
        assert execution.errors == [], (commands, execution.errors)
        assert execution.output, commands
        found += execution.output
    return found


@pytest.fixture(scope='module')
def emitted():
    world = World.create(2)
    return prepare(world) + read_all(world) + prepare(world, FINAL_STEPS)


def _nested(objects):
    """The objects and every object held by their properties (a VM's HardDrives, a report's VM and Incompatibilities...)."""
    seen = []
    for item in objects:
        if isinstance(item, LabObject):
            seen.append(item)
            for value in list(item.properties.values()) + list(item.extended.values()):
                seen += _nested(value if isinstance(value, list) else [value])
    return seen


def _writes_objects(name):
    signature = find_signature(name)
    verb = name.split('-', 1)[0].lower()
    return verb in ('get', 'measure', 'compare', 'test') or any(parameter.name.lower() == 'passthru' for parameter in signature.parameters)


def test_every_cmdlet_that_writes_objects_is_made_to_write_them():
    exercised = {name.lower() for _where, commands in PASSTHRU_STEPS + READS + FINAL_STEPS for name, _parameters in commands}
    # Select-Object and Get-Variable write what other commands wrote (Get-Variable: what -OutVariable stored in the same call,
    # test_engine_migration's switch tests).
    writing = {name for name in REGISTRY if name not in ('select-object', 'get-variable') and _writes_objects(name)}
    writing.add('new-vmreplicationauthorizationentry')      # writes its entry without -Passthru
    assert sorted(writing - exercised) == [], 'add the cmdlet to PASSTHRU_STEPS or READS'


def test_the_types_emitted_are_those_the_reference_describes(emitted):
    emitted_types = {item.type_names[0] for item in _nested(emitted)}
    assert sorted(emitted_types - set(TYPES['types'])) == []
    # Every concrete type the lab models is emitted by the steps above (abstract bases and AD's type are never output here).
    modelled = {'VMHost', 'VirtualMachine', 'HardDiskDrive', 'VMHostSupportedVersion', 'VMMigrationNetwork', 'VMReplicationServer',
                'VMReplicationAuthorizationEntry', 'VMReplication', 'VMReplicationHealth', 'VMCompatibilityReport',
                'VMCompatibilityError', 'VMSwitch', 'VMNetworkAdapter'}
    assert {'Microsoft.HyperV.PowerShell.' + name for name in modelled} <= emitted_types
    assert 'System.ServiceProcess.ServiceController' in emitted_types       # Get-Service, Stop-Service -PassThru


def _template_text(template, item):
    return re.sub(r'<(\w+)>', lambda match: str(item[match.group(1)]), template)


def _value_matches(value, spec):
    """Whether an engine value fits the property's .NET type (before serialization)."""
    dotnet = value_type(spec['type'])
    if value is None:
        return spec['type'].startswith('System.Nullable[') or dotnet not in TAGS or dotnet in ('System.String', 'System.Version')
    if spec.get('enum'):
        members = ENUMS[spec['enum']]['members']
        return isinstance(value, LabEnum) and value.type_name == spec['enum'] and members.get(value.name) == value.value
    if element_type(dotnet):
        return isinstance(value, list)
    checks = {'System.String': str, 'System.Boolean': bool, 'System.DateTime': datetime.datetime, 'System.TimeSpan': LabTimeSpan,
              'System.Guid': str, 'System.Version': str}
    if dotnet in checks:
        return isinstance(value, checks[dotnet])
    if dotnet in TAGS:
        return isinstance(value, int) and not isinstance(value, bool)
    return True


def test_every_object_has_the_reference_type_names_properties_values_and_to_string(emitted):
    for item in _nested(emitted):
        entry = TYPES['types'][item.type_names[0]]
        assert item.type_names == entry['type_names']
        assert list(item.properties) == list(entry['properties']), item.type_names[0]
        assert sorted(item.extended) == sorted(entry.get('type_data_members', {})), item.type_names[0]
        for name, spec in entry['properties'].items():
            assert _value_matches(item.properties[name], spec), (item.type_names[0], name, item.properties[name])
        template = entry.get('to_string', '')
        if template.startswith(item.type_names[0].rsplit('.', 1)[-1]) or template == item.type_names[0]:
            assert item.to_string == _template_text(template, item), item.type_names[0]


def expected_kinds(spec):
    """The CLIXML kinds a property may arrive as at depth 1, from its .NET type and remoting kind in types.json."""
    remoting, dotnet = spec['remoting'], value_type(spec['type'])
    if remoting == 'value':
        return {TAGS[dotnet], 'Nil'}
    if remoting == 'string':
        return {'S', 'Nil'}
    if remoting == 'list_of_values':
        return {'List[]', 'List[%s]' % TAGS[element_type(dotnet)], 'Nil'}
    if remoting == 'list_of_strings':
        return {'List[]', 'List[S]', 'Nil'}
    if remoting == 'dictionary':
        return {'Dict', 'Nil'}
    if remoting == 'object':
        return {'Obj', 'Nil'}
    return None         # runtime / unknown: whatever the value is


def check_shapes(recording):
    """Every recorded type's properties arrive as the reference says; enum members are the reference's."""
    for type_name, shape in recording['types'].items():
        entry = TYPES['types'][type_name]
        assert shape['type_names'] == entry['type_names']
        assert sorted(shape['properties']) == sorted(entry['properties']), type_name
        assert sorted(shape['extended']) == sorted(entry.get('type_data_members', {})), type_name
        for name, kinds in shape['properties'].items():
            allowed = expected_kinds(entry['properties'][name])
            assert allowed is None or set(kinds) <= allowed, (type_name, name, kinds, allowed)
        for name, kinds in shape['extended'].items():
            member = entry['type_data_members'][name]
            # An alias property travels as the property it names; a script property's System.Object value is an enum here.
            while member.get('of') in entry['type_data_members']:
                member = entry['type_data_members'][member['of']]        # ID = Name = InstanceID
            allowed = expected_kinds(entry['properties'][member['of']]) if 'of' in member else {'S', 'Nil'}
            assert set(kinds) <= allowed, (type_name, name, kinds)
    for enum_type, members in recording['enums'].items():
        for member, number in members.items():
            assert ENUMS[enum_type]['members'][member] == number, (enum_type, member)


def test_the_serialized_objects_have_the_reference_shape(emitted):
    recording = SHAPES.new_recording('engine')
    SHAPES.add_read(recording, 'all', [], [to_clixml(item) for item in emitted], [])
    check_shapes(recording)
    assert recording['enums']['Microsoft.HyperV.PowerShell.VMState'] == {'Off': 3, 'Running': 2}
    assert recording['values'] == ['S']       # Test-VMReplicationConnection's sentence


@pytest.fixture(scope='module')
def transport_world(transport_lab):
    """The transport lab's world after the -Passthru steps (the lab's hosts answer on 127.0.11.N)."""
    world = transport_lab.world
    fresh = make_world(2)
    for host, new in zip(world.hosts, fresh.hosts, strict=True):
        host.patch({'vms': [vm.to_state() for vm in new.vms]})
    prepare(world)
    return world


def _psrp_outputs(lab, commands):
    wsman = WSMan('127.0.11.1', port=lab.http_port, username='labadmin', password=lab.password, ssl=False, auth='ntlm',
                  cert_validation=False)
    with RunspacePool(wsman) as pool:
        shell = PowerShell(pool)
        for name, parameters in commands:
            shell.add_cmdlet(name)
            for parameter, value in parameters:
                shell.add_parameter(parameter, True if value is None else value)
        output = shell.invoke()
    assert not shell.streams.error, [str(error) for error in shell.streams.error]
    return [getattr(item, '_xml', None) or item for item in output]


def _runner_outputs(lab, commands):
    import json  # pylint: disable=import-outside-toplevel
    stdout, stderr, code = run_runner(lab, {'version': 2, 'statements': [{'commands': [
        {'name': name, 'parameters': dict((parameter, True if value is None else value) for parameter, value in parameters)}
        for name, parameters in commands]}]})
    assert code == 0, stderr
    response = json.loads(stdout)
    assert response['errors'] == []
    return response['output']


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_both_transports_carry_the_reference_shape(lab, transport_world, transport):
    recording = SHAPES.new_recording(transport)
    for where, commands in READS:
        if where != 0 or identity_for(commands) is CREDSSP:
            # The transport lab serves its first host, over NTLM (no CredSSP session for Compare-VM); the Replica side's
            # objects and Compare-VM's report are checked through the engine, serialized by the same to_clixml.
            continue
        outputs = (_psrp_outputs if transport == 'psrp' else _runner_outputs)(lab, commands)
        SHAPES.add_read(recording, commands[0][0], [], outputs, [])
    check_shapes(recording)
    assert {'Microsoft.HyperV.PowerShell.VMHost', 'Microsoft.HyperV.PowerShell.VirtualMachine', 'Microsoft.HyperV.PowerShell.VMReplication',
            'Microsoft.HyperV.PowerShell.VMReplicationHealth', 'Microsoft.HyperV.PowerShell.HardDiskDrive'} <= set(recording['types'])
    vm = recording['types']['Microsoft.HyperV.PowerShell.VirtualMachine']['properties']
    assert vm['MemoryStartup'] == ['I64'] and vm['Id'] == ['G'] and vm['State'] == ['S'] and vm['HardDrives'] == ['List[S]']
    assert recording['enums']['Microsoft.HyperV.PowerShell.VMState']
