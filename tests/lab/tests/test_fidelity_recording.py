"""The fidelity probe's recording (plugins/module_utils/_mobility/fidelity.py) and ``python -m hvlab compare-recording``.

The lab recorded by the collection's own probe code - through the engine, and through the collection's HostSession over psrp
and winrm - matches the lab; a doctored recording lists each difference; nothing identifying is recorded.
"""
# pylint: disable=redefined-outer-name  # pytest fixtures

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from hvlab import cli
from hvlab.engine import Command as LabCommand, Identity
from hvlab.model.programs import AGENT_PRODUCT, AGENT_VERSION
from hvlab.model.world import World
from hvlab.recording import compare, record_lab, recording_estate
from hvlab.transport.values import to_clixml
from transport_helpers import lab, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order

_PATH_HELPER = Path(__file__).resolve().parents[2] / 'unit' / 'collection_path.py'
_spec = importlib.util.spec_from_file_location('collection_path', _PATH_HELPER)
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))     # puts ansible_collections.hyperv.mobility on sys.path

# pylint: disable=wrong-import-position,wrong-import-order
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult  # noqa: E402
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import ConnectionOptions  # noqa: E402
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession  # noqa: E402
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import fidelity  # noqa: E402

HV = 'Microsoft.HyperV.PowerShell.'


class EngineSession:
    """A HostSession stand-in that runs the statements on a lab host's engine, serialized as the transports do."""

    def __init__(self, host):
        self.host = host
        self.pipelines = 0

    def run(self, statements, read_only=None, check=True):
        assert read_only is True and check is False
        self.pipelines += 1
        execution = self.host.execute([[LabCommand(command.name, list(command.parameters.items())) for command in statement.commands]
                                       for statement in statements], Identity('labadmin', 'ntlm', 'psrp'))
        return PipelineResult(errors=execution.errors, raw_output=[to_clixml(item) for item in execution.output])


@pytest.fixture(scope='module')
def engine_recording():
    world = recording_estate()
    return fidelity.record(EngineSession(world.hosts[0]), 'engine', vm='hv01-web', destination='hv02.hvlab.test')


def test_the_lab_recorded_by_the_probe_matches_the_lab(engine_recording):
    assert compare(engine_recording, record_lab(engine_recording)) == []
    assert {HV + 'VMHost', HV + 'VirtualMachine', HV + 'HardDiskDrive'} <= set(engine_recording['types'])
    # The expansions of the string properties brought the enums back as objects: their members and numbers.
    assert engine_recording['enums'][HV + 'VMState']['Running'] == 2
    assert engine_recording['enums'][HV + 'MigrationAuthenticationType']


def test_a_host_with_or_without_the_recovery_services_agent_matches_the_lab(engine_recording):
    # The agent's service read returns a ServiceController only where the agent is installed: the lab's own estate has it, so
    # a host that has it (or a lab host a Site Recovery run installed it on) compares clean, and so does a host without it.
    assert 'System.ServiceProcess.ServiceController' in engine_recording['types']
    bare = World.create(2).hosts[0]
    without = fidelity.record(EngineSession(bare), 'engine', vm='hv01-web', destination='hv02.hvlab.test')
    assert 'System.ServiceProcess.ServiceController' not in without['types']
    assert compare(without, record_lab(without)) == []
    bare.patch({'site_recovery': {'products': {AGENT_PRODUCT: AGENT_VERSION}}})
    installed = fidelity.record(EngineSession(bare), 'engine', vm='hv01-web', destination='hv02.hvlab.test')
    assert 'System.ServiceProcess.ServiceController' in installed['types']
    assert compare(installed, record_lab(installed)) == []


def test_the_failing_reads_record_the_error_shapes_only(engine_recording):
    errors = {read['id']: read['errors'] for read in engine_recording['reads'] if read['id'].startswith('error:')}
    assert errors['error:Get-VM'] == [{'command': 'Get-VM', 'fully_qualified_error_id': 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM',
                                       'category': 'InvalidArgument', 'exception_type': 'Microsoft.HyperV.PowerShell.VirtualizationException'}]
    assert set(errors) == {read_id for read_id, _statement in fidelity.FAILING_READS}
    assert all(errors.values())


def test_the_reads_are_the_modules_read_statements_each_once(engine_recording):
    reads = [read for read in engine_recording['reads'] if read['id'].startswith('read:')]
    names = [read['statements'][0][0]['name'] for read in reads]
    # Every read of every host module (reads.py, preflight, the disks), each distinct statement once; the VM and the destination
    # as placeholders.
    assert names == ['Get-CimInstance', 'Get-WindowsFeature', 'Get-VMHost', 'Get-VMHostSupportedVersion', 'Get-VMMigrationNetwork',
                     'Get-VM', 'Get-VMReplicationServer', 'Get-VMReplicationAuthorizationEntry', 'Get-NetFirewallRule', 'Get-VMReplication',
                     'Get-VMHardDiskDrive', 'Get-VMReplication', 'Measure-VMReplication', 'Get-VM', 'Get-VMReplication',
                     'Measure-VMReplication', 'Get-VM', 'Get-VMSnapshot', 'Get-VMNetworkAdapter', 'Get-VMNetworkAdapterFailoverConfiguration',
                     'Get-VMNetworkAdapter', 'Get-VMNetworkAdapterFailoverConfiguration', 'Get-Service', 'Get-Service', 'Get-VMNetworkAdapter',
                     'Get-CimInstance', 'Get-VMSwitch',
                     'Get-VMProcessor', 'Get-VMHardDiskDrive', 'Compare-VM']
    assert reads[0]['used_by'] == ['host identity (every host module)', 'host_info',
                                   'migration_preflight, live_migration_mesh_facts, live_migration mesh_facts', 'live_migration',
                                   'vm_failover, vm_replication', 'host_drain (source)', 'host_drain (destination)']
    assert reads[11]['statements'] == [[{'name': 'Get-VMReplication', 'parameters': {}},
                                        {'name': 'Select-Object', 'parameters': {'ExpandProperty': 'ExcludedDisks'}}]]
    assert reads[13]['statements'] == [[{'name': 'Get-VM', 'parameters': {'Name': ['<vm>']}}]]
    assert reads[17]['statements'] == [[{'name': 'Get-VMSnapshot', 'parameters': {'VMName': ['<vm>'], 'SnapshotType': 'Replica'}}]]
    assert reads[18]['statements'] == [[{'name': 'Get-VMNetworkAdapter', 'parameters': {'VMName': ['<vm>'], 'Name': 'Network Adapter'}}]]
    assert reads[20]['statements'] == [[{'name': 'Get-VMNetworkAdapter', 'parameters': {'VMName': ['<vm>']}}]]
    assert reads[20]['used_by'] == ['vm_failover (start), vm_migrate (source)', 'vm_failover (failback)']
    assert reads[21]['statements'] == [[{'name': 'Get-VMNetworkAdapterFailoverConfiguration', 'parameters': {'VMName': ['<vm>']}}]]
    assert reads[21]['used_by'] == ['vm_failover (failback)']
    assert reads[22]['statements'] == [[{'name': 'Get-Service', 'parameters': {'Name': 'SCVMMService'}}]]
    assert reads[23]['statements'] == [[{'name': 'Get-Service', 'parameters': {'Name': 'obengine'}}]]
    assert reads[24]['statements'] == [[{'name': 'Get-VMNetworkAdapter', 'parameters': {'VMName': '*'}}]]
    assert reads[24]['used_by'] == ['host_drain (source)']
    assert reads[25]['statements'] == [[{'name': 'Get-CimInstance', 'parameters': {'ClassName': 'Win32_OperatingSystem'}}]]
    assert reads[25]['used_by'] == ['host_drain (destination)']
    assert reads[26]['statements'] == [[{'name': 'Get-VMSwitch', 'parameters': {}}]]
    assert reads[26]['used_by'] == ['host_drain (destination)', 'vm_migrate (destination)']
    assert reads[27]['statements'] == [[{'name': 'Get-VMProcessor', 'parameters': {'VMName': ['<vm>']}}]]
    assert reads[27]['used_by'] == ['vm_migrate (processor_compatibility)']
    assert reads[28]['statements'] == [[{'name': 'Get-VMHardDiskDrive', 'parameters': {'VMName': ['<vm>']}}]]
    assert reads[28]['used_by'] == ['vm_migrate (storage_path)']
    assert reads[-1]['statements'] == [[{'name': 'Compare-VM', 'parameters': {'Name': '<vm>', 'DestinationHost': '<destination>'}},
                                        {'name': 'Select-Object', 'parameters': {'ExpandProperty': 'Incompatibilities'}}]]


def _doctored(recording):
    doctored = copy.deepcopy(recording)
    host = doctored['types'][HV + 'VMHost']['properties']
    del host['MemoryCapacity']
    host['TeleportEnabled'] = ['B']
    host['MaximumStorageMigrations'] = ['S']
    doctored['enums'][HV + 'VMState']['Teleporting'] = 99
    doctored['enums'][HV + 'VMState']['Running'] = 7
    doctored['enums'][HV + 'NoSuchEnum'] = {'Some': 1}
    doctored['types']['Microsoft.HyperV.PowerShell.VMTeleporter'] = {'type_names': ['Microsoft.HyperV.PowerShell.VMTeleporter'],
                                                                     'properties': {}, 'extended': {}, 'seen': 1}
    next(read for read in doctored['reads'] if read['id'] == 'error:Get-VM')['errors'][0]['category'] = 'ObjectNotFound'
    return doctored


def test_a_doctored_recording_lists_each_difference(engine_recording):
    differences = compare(_doctored(engine_recording), record_lab(engine_recording))
    vmhost = HV + 'VMHost'
    expected = [
        f'{vmhost}: property TeleportEnabled is missing in the lab',
        f'{vmhost}: property MemoryCapacity is in the lab but not on the host',
        f'{vmhost}.MaximumStorageMigrations: the host sends S, the lab U32',
        f'enum {HV}NoSuchEnum: unknown to the lab (members seen: Some)',
        f'enum {HV}VMState: member Running is 7 on the host, 2 in the lab',
        f'enum {HV}VMState: member Teleporting (99) is unknown to the lab',
        f'{HV}VMTeleporter: returned by the host (reads: none), never by the lab',
    ]
    for line in expected:
        assert line in differences
    assert any(line.startswith('error:Get-VM: the host writes') and '"ObjectNotFound"' in line for line in differences)
    assert len(differences) == len(expected) + 1


def test_compare_recording_command_exit_codes(engine_recording, tmp_path, capsys):
    same, doctored, other = tmp_path / 'same.json', tmp_path / 'doctored.json', tmp_path / 'other.json'
    same.write_text(json.dumps(engine_recording))
    doctored.write_text(json.dumps(_doctored(engine_recording)))
    other.write_text(json.dumps({'hosts': []}))
    assert cli.main(['compare-recording', str(same)]) == 0
    assert cli.main(['compare-recording', str(doctored)]) == 1
    assert 'TeleportEnabled is missing in the lab' in capsys.readouterr().out
    assert cli.main(['compare-recording', str(other)]) == 2
    assert 'is not a fidelity recording' in capsys.readouterr().err


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_the_collection_session_records_the_lab_over_both_transports(lab, transport):
    options = ConnectionOptions(host='127.0.11.1', port=lab.http_port, user='labadmin', password=lab.password, transport=transport,
                                auth='ntlm', protocol='http')
    host = lab.world.hosts[0]
    vm = host.vms[0].name
    with HostSession(options) as session:
        recording = fidelity.record(session, transport, vm=vm, destination=None)
    assert compare(recording, record_lab(recording)) == []
    assert recording['types'][HV + 'VirtualMachine']['properties']['Id'] == ['G']
    # Shapes only: no host or VM name, no address, no path anywhere in the file.
    text = json.dumps(recording).lower()
    for identifying in (vm.lower(), host.name.lower(), '127.0.', 'c:\\\\', 'hvlab.test'):
        assert identifying not in text, identifying
