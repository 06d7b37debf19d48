"""Compare-VM / Move-VM: every rule of hvlab.engine.cmdlets.migration.

Engine level (no network) for networks, versions, enablement, auth type, CredSSP, concurrency and storage;
a real Samba DC (the lab_dc fixture) for the Kerberos delegation rule.
"""

import threading
import time

import pytest

from directory_helpers import ace, reset_delegation, security_descriptor, set_attribute
from hvlab.model.directory import TRUSTED_TO_AUTH_FOR_DELEGATION, Directory
from hvlab.engine import Command, Identity, LabObject
from hvlab.control import peak_in_flight
from hvlab.engine.objects import vm_object
from hvlab.model.world import World

HV = 'Microsoft.HyperV.PowerShell'
MOVE_FQID = 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM'
CREDSSP = Identity('labadmin', 'credssp', 'psrp')     # a user signed in to the source with CredSSP
NTLM = Identity('labadmin', 'ntlm', 'psrp')           # what the lab transport gives a remote session
STORAGE = (('IncludeStorage', None), ('DestinationStoragePath', 'D:\\Moved'))


@pytest.fixture(name='world')
def world_fixture():
    """Three hosts ready for CredSSP live migration on the private network 192.168.10.0/24."""
    world = World.create(3)
    world.migration_seconds = 0.05
    for host in world.hosts:
        host.migration.enabled = True
        host.add_migration_network('192.168.10.0/24')
    return world


def run(host, name, *parameters, identity=CREDSSP):
    return host.execute([[Command(name, list(parameters))]], identity)


def move(host, vm, destination, *parameters, identity=CREDSSP):
    return run(host, 'Move-VM', ('Name', vm), ('DestinationHost', destination), *parameters, identity=identity)


def only_error(execution):
    assert len(execution.errors) == 1, execution.errors
    return execution.errors[0]


def vm_names(host):
    return [vm.name for vm in host.vms]


def assert_not_moved(world, vm='hv01-web'):
    assert vm in vm_names(world.hosts[0]) and vm not in vm_names(world.hosts[1])


# ---- success ------------------------------------------------------------------------------------------
def test_move_with_storage_moves_the_vm_and_its_files(world):
    hv01, hv02 = world.hosts[0], world.hosts[1]
    execution = move(hv01, 'hv01-web', 'hv02', *STORAGE)
    assert execution.errors == [] and execution.output == []
    assert 'hv01-web' not in vm_names(hv01) and 'hv01-web' in vm_names(hv02)
    moved = next(vm for vm in hv02.vms if vm.name == 'hv01-web')
    assert moved.path == 'D:\\Moved' and [disk.path for disk in moved.disks] == ['D:\\Moved\\hv01-web.vhdx']
    assert run(hv02, 'Get-VM', ('Name', 'hv01-web')).output[0]['ComputerName'] == 'HV02'
    assert run(hv01, 'Get-VM', ('Name', 'hv01-web')).errors[0].message.startswith('Hyper-V was unable to find')


def test_include_storage_without_a_path_keeps_the_paths(world):
    before = [disk.path for disk in world.hosts[0].vms[0].disks]
    assert move(world.hosts[0], 'hv01-web', 'hv02', ('IncludeStorage', None)).errors == []
    assert [disk.path for disk in world.hosts[1].vms[-1].disks] == before


@pytest.mark.parametrize('destination', ['hv02', 'HV02', 'hv02.hvlab.test', '127.0.10.2', '192.168.10.2', '2001:db8:10::2'])
def test_destination_by_short_name_fqdn_or_any_address(world, destination):
    assert move(world.hosts[0], 'hv01-web', destination, *STORAGE).errors == []
    assert 'hv01-web' in vm_names(world.hosts[1])


def test_passthru_and_positional_name_and_destination(world):
    execution = run(world.hosts[0], 'Move-VM', (None, 'hv01-db'), (None, 'hv03'), ('IncludeStorage', None), ('Passthru', None))
    assert execution.errors == []
    assert execution.output[0].type_names[0] == f'{HV}.VirtualMachine' and execution.output[0]['ComputerName'] == 'HV03'


def test_vm_object_parameter_set(world):
    hv01 = world.hosts[0]
    vm = vm_object(hv01, hv01.vms[0])
    assert run(hv01, 'Move-VM', ('VM', vm), ('DestinationHost', 'hv02'), ('IncludeStorage', None)).errors == []
    assert vm['Name'] in vm_names(world.hosts[1])


def test_shared_storage_moves_without_include_storage(world):
    world.hosts[0].patch({'vms': {'hv01-web': {'path': '\\\\fs01\\vms\\web',
                                               'disks': [{'path': '\\\\fs01\\vms\\web\\web.vhdx'}]}}})
    assert move(world.hosts[0], 'hv01-web', 'hv02').errors == []
    assert world.hosts[1].vms[-1].disks[0].path == '\\\\fs01\\vms\\web\\web.vhdx'


def test_vhds_place_each_disk_and_the_configuration(world):
    vhds = [{'SourceFilePath': world.hosts[0].vms[0].disks[0].path, 'DestinationFilePath': 'E:\\Disks\\hv01-web.vhdx'}]
    execution = move(world.hosts[0], 'hv01-web', 'hv02', ('Vhds', vhds), ('VirtualMachinePath', 'E:\\Config'))
    assert execution.errors == []
    moved = world.hosts[1].vms[-1]
    assert moved.path == 'E:\\Config' and moved.disks[0].path == 'E:\\Disks\\hv01-web.vhdx'


def test_vhds_with_a_different_file_name_is_refused(world):
    vhds = [{'SourceFilePath': world.hosts[0].vms[0].disks[0].path, 'DestinationFilePath': 'E:\\Disks\\other.vhdx'}]
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv02', ('Vhds', vhds)))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM'
    assert_not_moved(world)


def test_include_storage_and_vhds_are_in_disjoint_parameter_sets(world):
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv02', ('IncludeStorage', None), ('Vhds', [{}])))
    assert error.fully_qualified_error_id == 'AmbiguousParameterSet,Microsoft.HyperV.PowerShell.Commands.MoveVM'
    assert error.exception_type == 'System.Management.Automation.ParameterBindingException'


def test_whatif_moves_nothing(world):
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE, ('WhatIf', None)).errors == []
    assert_not_moved(world)


# ---- resolving -------------------------------------------------------------------------------------------
def test_unknown_vm_and_unknown_destination(world):
    error = only_error(move(world.hosts[0], 'nope', 'hv02'))
    assert error.message == 'Hyper-V was unable to find a virtual machine with name "nope".'
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv77', *STORAGE))
    assert error.fully_qualified_error_id == MOVE_FQID and error.category == 'NotSpecified'
    assert error.message.startswith("Virtual machine migration operation for 'hv01-web' failed at migration source 'HV01'.")
    assert "Failed to establish a connection with host 'hv77': No such host is known. (0x80072AF9)" in error.message


def test_moving_to_its_own_host_fails(world):
    assert 'cannot be migrated to its own host' in only_error(move(world.hosts[0], 'hv01-web', 'hv01.hvlab.test')).message


# ---- rule 1-2: enabled, networks ------------------------------------------------------------------------
def test_source_with_migration_disabled(world):
    world.hosts[0].migration.enabled = False
    assert "Virtual machine migration is not enabled on host 'HV01'" in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)).message
    assert_not_moved(world)


@pytest.mark.parametrize('breakage', [{'migration': {'enabled': False}}, {'hyperv_installed': False}])
def test_destination_not_listening_refuses_the_connection(world, breakage):
    world.hosts[1].patch(breakage)
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE))
    assert 'actively refused it. (0x8007274D)' in error.message
    assert_not_moved(world)


def test_destination_without_any_incoming_network_refuses(world):
    world.hosts[1].patch({'migration_networks': []})
    assert '(0x8007274D)' in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)).message


def test_destination_network_the_source_has_no_nic_in_times_out(world):
    world.hosts[0].patch({'network_addresses': ['127.0.10.1/24', '10.9.9.1/24']})
    assert '(0x8007274C)' in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)).message
    world.hosts[1].patch({'migration_networks': [{'subnet': '10.9.9.0/24'}], 'network_addresses': ['10.9.9.2/24']})
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


def test_destination_network_without_a_destination_address_in_it_refuses(world):
    world.hosts[1].patch({'migration_networks': [{'subnet': '172.16.0.0/16'}]})
    assert '(0x8007274D)' in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)).message


def test_ipv6_migration_network(world):
    world.hosts[1].patch({'migration_networks': [{'subnet': '2001:db8:10::/64'}]})
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


def test_use_any_network_accepts_on_the_management_network(world):
    for host in world.hosts[:2]:
        host.patch({'migration_networks': [], 'network_addresses': [f'{host.address}/24'],
                    'migration': {'use_any_network': True}})
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


def test_source_networks_do_not_limit_outgoing_moves(world):
    world.hosts[0].patch({'migration_networks': [{'subnet': '10.0.0.0/8'}]})
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


# ---- rule 3-4: authentication type, CredSSP --------------------------------------------------------------
def test_authentication_type_mismatch(world):
    world.hosts[1].migration.authentication_type = 'Kerberos'
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE))
    assert '(0x80090302)' in error.message and 'accepts Kerberos authentication and the source host uses CredSSP' in error.message
    assert_not_moved(world)


@pytest.mark.parametrize('identity', [NTLM, Identity('labadmin', 'basic', 'winrm')])
def test_credssp_from_a_remote_session_has_no_credentials(world, identity):
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE, identity=identity))
    assert error.message == ("Virtual machine migration operation for 'hv01-web' failed at migration source 'HV01'. "
                             f"(Virtual machine ID {world.hosts[0].vms[0].vm_id.upper()})\n"
                             "Failed to establish a connection with host 'hv02': No credentials are available in the security "
                             'package (0x8009030E).')
    assert error.exception_type == f'{HV}.VirtualizationException'
    assert_not_moved(world)


def test_kerberos_without_a_directory_reports_no_domain_controller(world):
    for host in world.hosts:
        host.migration.authentication_type = 'Kerberos'
    error = only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE, identity=NTLM))
    assert 'No authority could be contacted for authentication. (0x80090311)' in error.message
    assert 'no directory configured' in error.message


def test_kerberos_to_a_host_outside_the_domain(world):
    for host in world.hosts:
        host.migration.authentication_type = 'Kerberos'
    world.hosts[1].domain = None
    assert '(0x80090311)' in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE, identity=NTLM)).message


# ---- rule 6: compatibility ---------------------------------------------------------------------------------
def test_compare_vm_reports_an_unsupported_configuration_version_and_never_moves(world):
    world.hosts[1].patch({'os_release': '2016'})
    execution = run(world.hosts[0], 'Compare-VM', ('Name', 'hv01-web'), ('DestinationHost', 'hv02'), ('IncludeStorage', None))
    assert execution.errors == []
    report = execution.output[0]
    assert isinstance(report, LabObject) and report.type_names[0] == f'{HV}.VMCompatibilityReport'
    assert report['VM']['Name'] == 'hv01-web' and report['Destination'] == 'hv02'
    (incompatibility,) = report['Incompatibilities']
    assert incompatibility.type_names[0] == f'{HV}.VMCompatibilityError'
    assert incompatibility['MessageId'] == 24002 and 'configuration version 10.0' in incompatibility['Message']
    assert_not_moved(world)


def test_compare_vm_of_a_compatible_vm_has_no_incompatibilities_and_never_moves(world):
    execution = run(world.hosts[0], 'Compare-VM', (None, 'hv01-web'), (None, 'hv02'), ('IncludeStorage', None))
    assert execution.errors == [] and execution.output[0]['Incompatibilities'] == []
    assert_not_moved(world)


def test_compare_vm_fails_like_move_vm_when_the_connection_fails(world):
    error = only_error(run(world.hosts[0], 'Compare-VM', (None, 'hv01-web'), (None, 'hv02'), identity=NTLM))
    assert error.fully_qualified_error_id == 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.CompareVM'
    assert '(0x8009030E)' in error.message


def test_move_of_an_unsupported_version_fails_with_the_report(world):
    world.hosts[1].patch({'os_release': '2016'})
    execution = move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)
    assert 'not supported by the destination host' in only_error(execution).message
    assert execution.output[0].type_names[0] == f'{HV}.VMCompatibilityReport'
    assert_not_moved(world)
    world.hosts[0].patch({'vms': {'hv01-web': {'version': '8.0'}}})
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


def test_local_storage_without_include_storage_is_incompatible(world):
    report = run(world.hosts[0], 'Compare-VM', (None, 'hv01-web'), (None, 'hv02')).output[0]
    assert {item['MessageId'] for item in report['Incompatibilities']} == {40010}
    assert 'shared storage' in only_error(move(world.hosts[0], 'hv01-web', 'hv02')).message


def test_same_vm_id_on_the_destination_is_incompatible(world):
    vm = world.hosts[0].vms[0]
    world.hosts[1].patch({'vms': [{'name': 'copy', 'id': vm.vm_id}]})
    assert 'already exists on host' in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)).message


NEWER_MODEL = 'Intel(R) Xeon(R) Gold 6430 CPU @ 2.10GHz'


def processor_messages(world, vm='hv01-web'):
    report = run(world.hosts[0], 'Compare-VM', (None, vm), (None, 'hv02'), *STORAGE).output[0]
    return {item['MessageId']: item['Message'] for item in report['Incompatibilities']}


def test_another_processor_model_needs_processor_compatibility_for_a_running_vm(world):
    world.hosts[1].patch({'processor_model': NEWER_MODEL})
    world.hosts[0].patch({'vms': {'hv01-web': {'state': 'Running'}}})
    assert 'processor-specific features' in processor_messages(world)[24004]
    assert 'processor-specific features' in only_error(move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)).message
    assert_not_moved(world)
    world.hosts[0].patch({'vms': {'hv01-web': {'processor_compatibility': True}}})
    assert processor_messages(world) == {}
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


@pytest.mark.parametrize('state', ['Saved', 'Paused'])
def test_a_saved_or_paused_vm_keeps_its_processor_state(world, state):
    world.hosts[1].patch({'processor_model': NEWER_MODEL})
    world.hosts[0].patch({'vms': {'hv01-web': {'state': state}}})
    assert 24004 in processor_messages(world)


def test_a_vm_that_is_off_moves_between_processor_models_and_manufacturers(world):
    world.hosts[1].patch({'processor_model': 'AMD EPYC 9354 32-Core Processor', 'processor_manufacturer': 'AuthenticAMD'})
    world.hosts[0].patch({'vms': {'hv01-web': {'state': 'Off'}}})
    assert processor_messages(world) == {}


def test_processor_compatibility_does_not_span_manufacturers(world):
    world.hosts[1].patch({'processor_model': 'AMD EPYC 9354 32-Core Processor', 'processor_manufacturer': 'AuthenticAMD'})
    world.hosts[0].patch({'vms': {'hv01-web': {'state': 'Running', 'processor_compatibility': True}}})
    assert 'AuthenticAMD' in processor_messages(world)[24006]


def test_get_and_set_vmprocessor_compatibility_only_while_the_vm_is_off(world):
    hv01 = world.hosts[0]
    hv01.patch({'vms': {'hv01-web': {'state': 'Off'}}})
    (processor,) = run(hv01, 'Get-VMProcessor', ('VMName', ['hv01-web'])).output
    assert processor.type_names[0] == f'{HV}.VMProcessor' and processor['CompatibilityForMigrationEnabled'] is False
    assert processor['VMName'] == 'hv01-web' and processor['Count'] == 2
    assert run(hv01, 'Set-VMProcessor', ('VMName', ['hv01-web']), ('CompatibilityForMigrationEnabled', True)).output == []
    assert hv01.vms[0].processor_compatibility is True
    hv01.patch({'vms': {'hv01-web': {'state': 'Running'}}})
    error = only_error(run(hv01, 'Set-VMProcessor', ('VMName', ['hv01-web']), ('CompatibilityForMigrationEnabled', False)))
    assert error.category == 'InvalidOperation' and 'Running' in error.message
    assert hv01.vms[0].processor_compatibility is True
    assert only_error(run(hv01, 'Get-VMProcessor', ('VMName', ['nope']))).category == 'ObjectNotFound'


def test_vmprocessor_takes_the_vm_object_get_vm_writes(world):
    hv01 = world.hosts[0]
    hv01.patch({'vms': {'hv01-web': {'state': 'Off'}}})
    vm_id = hv01.vms[0].vm_id
    set_processor = Command('Set-VMProcessor', [('CompatibilityForMigrationEnabled', True), ('Passthru', None)])
    execution = hv01.execute([[Command('Get-VM', [('Id', vm_id)]), set_processor]], CREDSSP)
    assert execution.errors == [] and execution.output[0]['CompatibilityForMigrationEnabled'] is True
    assert hv01.vms[0].processor_compatibility is True


def test_set_vmprocessor_refuses_what_the_lab_does_not_model(world):
    error = only_error(run(world.hosts[0], 'Set-VMProcessor', ('VMName', ['hv01-web']), ('ExposeVirtualizationExtensions', True)))
    assert error.category == 'NotImplemented' and world.hosts[0].vms[0].processor_compatibility is False


# ---- rules 7-8: concurrency and the transfer ------------------------------------------------------------------
class PeakWatcher:
    """Samples world.active_migrations to find the largest number of simultaneous transfers."""

    def __init__(self, world):
        self.world = world
        self.peak = 0
        self.seen_migrating = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            with self.world.lock:
                migrating = [active for active in self.world.active_migrations if active.state == 'migrating']
                self.seen_migrating += [active.vm_name for active in migrating]
                self.peak = max(self.peak, len(migrating))
            time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def move_in_parallel(world, moves):
    """Run moves [(vm, destination), ...] from hv01 at once; return (errors per move, elapsed seconds)."""
    results = {}

    def one(vm, destination):
        results[vm] = move(world.hosts[0], vm, destination, *STORAGE).errors

    threads = [threading.Thread(target=one, args=item) for item in moves]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


@pytest.mark.parametrize('limits, expected_peak', [({'maximum_vm_migrations': 1}, 1), ({'maximum_storage_migrations': 1}, 1),
                                                   ({}, 2)])
def test_moves_beyond_the_limit_are_queued_not_refused(world, limits, expected_peak):
    world.migration_seconds = 0.3
    world.hosts[0].patch({'migration': limits})
    with PeakWatcher(world) as watcher:
        results, elapsed = move_in_parallel(world, [('hv01-web', 'hv02'), ('hv01-db', 'hv03')])
    assert results == {'hv01-web': [], 'hv01-db': []}
    assert watcher.peak == expected_peak
    assert (elapsed >= 0.6) if expected_peak == 1 else (elapsed < 0.55), elapsed
    assert 'hv01-web' in vm_names(world.hosts[1]) and 'hv01-db' in vm_names(world.hosts[2])


def test_destination_limit_counts_incoming_moves(world):
    world.migration_seconds = 0.3
    world.hosts[1].patch({'migration': {'maximum_vm_migrations': 1}})
    with PeakWatcher(world) as watcher:
        results, _unused = move_in_parallel(world, [('hv01-web', 'hv02'), ('hv01-db', 'hv02')])
    assert results == {'hv01-web': [], 'hv01-db': []} and watcher.peak == 1


def test_during_the_transfer_the_vm_is_migrating_on_the_source_and_other_sessions_run(world):
    world.migration_seconds = 0.4
    hv01 = world.hosts[0]
    mover = threading.Thread(target=move, args=(hv01, 'hv01-web', 'hv02', *STORAGE))
    mover.start()
    time.sleep(0.15)
    started = time.monotonic()
    assert run(world.hosts[1], 'Get-VMHost').errors == []
    assert time.monotonic() - started < 0.2            # the world lock is not held during the transfer
    assert [(active.vm_name, active.state) for active in world.active_migrations] == [('hv01-web', 'migrating')]
    assert 'hv01-web' in vm_names(hv01)
    assert 'already being migrated' in only_error(move(hv01, 'hv01-web', 'hv03', *STORAGE)).message
    mover.join()
    assert world.active_migrations == [] and 'hv01-web' in vm_names(world.hosts[1])


def test_move_takes_the_configured_duration(world):
    world.migration_seconds = 0.25
    started = time.monotonic()
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []
    assert 0.25 <= time.monotonic() - started < 1.0


def test_the_history_keeps_every_move_with_its_times_and_result(world):
    world.hosts[1].patch({'migration': {'maximum_vm_migrations': 1}})
    results, _unused = move_in_parallel(world, [('hv01-web', 'hv02'), ('hv01-db', 'hv02')])
    assert results == {'hv01-web': [], 'hv01-db': []}
    records = world.migrations()
    assert sorted((record['vm_name'], record['destination'], record['result']) for record in records) == [
        ('hv01-db', 'hv02', 'moved'), ('hv01-web', 'hv02', 'moved')]
    assert all(record['queued'] <= record['started'] <= record['finished'] for record in records)
    assert peak_in_flight(records, 'hv02') == 1 and peak_in_flight(records, 'hv01') == 1
    world.clear_migrations()
    assert world.migrations() == []


# ---- rule 8: memory on the destination --------------------------------------------------------------------
GIB = 1024 ** 3


def test_a_running_vm_needs_its_memory_free_on_the_destination(world):
    hv01, hv02 = world.hosts[0], world.hosts[1]
    running_there = sum(vm.memory_startup for vm in hv02.vms if vm.state == 'Running')
    hv02.patch({'memory_bytes': running_there + GIB})          # 1 GiB left; hv01-web needs 2 GiB
    error = only_error(move(hv01, 'hv01-web', 'hv02', *STORAGE))
    assert error.fully_qualified_error_id == MOVE_FQID
    assert "failed at migration destination 'HV02'" in error.message and '0x8007000E' in error.message
    assert_not_moved(world)
    assert world.migrations()[-1]['result'] == 'failed'
    # Compare-VM checks the configuration, not the destination's load.
    assert run(hv01, 'Compare-VM', ('Name', 'hv01-web'), ('DestinationHost', 'hv02'), ('IncludeStorage', None)).errors == []
    # A VM that is off moves without memory on the destination.
    assert move(hv01, 'hv01-app', 'hv02', *STORAGE).errors == []


def test_moves_transferring_to_a_host_hold_their_memory_there(world):
    hv02 = world.hosts[1]
    running_there = sum(vm.memory_startup for vm in hv02.vms if vm.state == 'Running')
    hv02.patch({'memory_bytes': running_there + 3 * GIB})      # room for one 2 GiB VM, not two
    world.migration_seconds = 0.3
    results, _unused = move_in_parallel(world, [('hv01-web', 'hv02'), ('hv01-db', 'hv02')])
    failed = [vm for vm, errors in results.items() if errors]
    assert len(failed) == 1 and '0x8007000E' in results[failed[0]][0].message


def test_win32_operating_system_reports_the_free_memory_in_kilobytes(world):
    hv01 = world.hosts[0]
    hv01.patch({'memory_bytes': 16 * GIB})
    running = sum(vm.memory_startup for vm in hv01.vms if vm.state == 'Running')
    found = run(hv01, 'Get-CimInstance', ('ClassName', 'Win32_OperatingSystem')).output[0]
    assert found['TotalVisibleMemorySize'] == 16 * GIB // 1024
    assert found['FreePhysicalMemory'] == (16 * GIB - running) // 1024


# ---- rule 5: Kerberos against a real Samba DC -------------------------------------------------------------------
@pytest.fixture(name='kerberos_world')
def kerberos_world_fixture(world, lab_dc):
    reset_delegation(lab_dc)
    for host in world.hosts:
        host.migration.authentication_type = 'Kerberos'
    world.configure_directory(lab_dc.ldap_url, lab_dc.admin_user, lab_dc.admin_password, lab_dc.ca_path)
    return world


def write_delegation(dc, source, services, protocol_transition=True):
    set_attribute(dc, source, 'msDS-AllowedToDelegateTo', services)
    set_attribute(dc, source, 'userAccountControl', [str(0x1000 | (TRUSTED_TO_AUTH_FOR_DELEGATION if protocol_transition else 0))])


def purge_system_tickets(world, name):
    outcome = world.get_host_by_name(name).run_program('klist -li 0x3e7 purge', skip_cmd_shell=True)
    assert outcome.exit_code == 0, outcome


def delegate(world, dc, source, services, protocol_transition=True):
    """Write the delegation, then purge the source's SYSTEM tickets as Microsoft's procedure asks (klist -li 0x3e7 purge)."""
    write_delegation(dc, source, services, protocol_transition)
    purge_system_tickets(world, source)


def kerberos_move(world, destination, *parameters):
    return move(world.hosts[0], 'hv01-web', destination, *parameters, identity=NTLM)


def assert_delegation_missing(execution):
    error = only_error(execution)
    assert error.fully_qualified_error_id == MOVE_FQID
    assert 'No credentials are available in the security package (0x8009030E).' in error.message
    assert 'failed to authenticate the connection for a Virtual Machine migration at the source host' in error.message


def test_kerberos_fails_before_delegation_and_until_the_system_tickets_are_purged(kerberos_world, lab_dc):
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', *STORAGE))
    assert_not_moved(kerberos_world)
    write_delegation(lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02', 'cifs/hv02'])
    # The host's SYSTEM session still holds the tickets it got at boot, issued before the delegation existed.
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', *STORAGE))
    assert_not_moved(kerberos_world)
    purge_system_tickets(kerberos_world, 'hv02')             # another host's purge does not help hv01
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', *STORAGE))
    purge_system_tickets(kerberos_world, 'hv01')
    assert kerberos_move(kerberos_world, 'hv02', *STORAGE).errors == []
    assert 'hv01-web' in vm_names(kerberos_world.hosts[1])


def test_kerberos_delegation_is_seen_once_the_cached_tickets_expire(kerberos_world, lab_dc):
    write_delegation(lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02', 'cifs/hv02'])
    kerberos_world.advance_replication(10 * 3600 - 60)
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', *STORAGE))
    kerberos_world.advance_replication(60)                  # the default ticket lifetime: 10 hours
    assert kerberos_move(kerberos_world, 'hv02', *STORAGE).errors == []


def test_a_removed_delegation_fails_at_once(kerberos_world, lab_dc):
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02', 'cifs/hv02'])
    assert kerberos_move(kerberos_world, 'hv02', *STORAGE).errors == []
    write_delegation(lab_dc, 'hv01', [])
    # The conservative case (no source settles it): the tickets cached with the delegation do not outlive its removal.
    assert_delegation_missing(move(kerberos_world.hosts[0], 'hv01-db', 'hv02', *STORAGE, identity=NTLM))


def test_the_system_tickets_are_part_of_the_host_state(kerberos_world, lab_dc):
    state = kerberos_world.hosts[0].to_state()['system_tickets']
    assert state['obtained_at'] is not None and state['delegates_to'] == [] and state['purges'] == []
    write_delegation(lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02'])
    purge_system_tickets(kerberos_world, 'hv01')
    state = kerberos_world.hosts[0].to_state()['system_tickets']           # new tickets at once, with the delegation
    assert state['delegates_to'] == ['Microsoft Virtual System Migration Service/hv02'] and len(state['purges']) == 1


def test_kerberos_spn_must_match_the_destination_name_as_written(kerberos_world, lab_dc):
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02', 'cifs/hv02'])
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02.hvlab.test', *STORAGE))
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02.hvlab.test', 'cifs/hv02.hvlab.test'])
    assert kerberos_move(kerberos_world, 'hv02.hvlab.test', *STORAGE).errors == []


def test_kerberos_cifs_is_needed_only_when_storage_moves(kerberos_world, lab_dc):
    kerberos_world.hosts[0].patch({'vms': {'hv01-web': {'path': '\\\\fs01\\vms\\web', 'disks': [{'path': '\\\\fs01\\vms\\w.vhdx'}]}}})
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02'])
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', ('IncludeStorage', None)))
    assert kerberos_move(kerberos_world, 'hv02').errors == []           # shared storage: only the migration service


def test_kerberos_smb_performance_option_needs_cifs(kerberos_world, lab_dc):
    kerberos_world.hosts[0].patch({'vms': {'hv01-web': {'path': '\\\\fs01\\vms\\web', 'disks': [{'path': '\\\\fs01\\vms\\w.vhdx'}]}},
                                   'migration': {'performance_option': 'SMB'}})
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02'])
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02'))


def test_kerberos_from_an_ntlm_session_needs_protocol_transition(kerberos_world, lab_dc):
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02', 'cifs/hv02'], protocol_transition=False)
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', *STORAGE))


def test_kerberos_resource_based_delegation_on_the_destination(kerberos_world, lab_dc):
    directory = Directory(lab_dc.ldap_url, lab_dc.admin_user, lab_dc.admin_password, lab_dc.ca_path)
    other_sid = directory.computer('hv03').sid
    set_attribute(lab_dc, 'hv02', 'msDS-AllowedToActOnBehalfOfOtherIdentity', [security_descriptor([ace(0, other_sid)])])
    assert_delegation_missing(kerberos_move(kerberos_world, 'hv02', *STORAGE))
    source_sid = directory.computer('hv01').sid
    set_attribute(lab_dc, 'hv02', 'msDS-AllowedToActOnBehalfOfOtherIdentity', [security_descriptor([ace(0, source_sid)])])
    assert kerberos_move(kerberos_world, 'hv02', *STORAGE).errors == []


def test_kerberos_delegation_is_read_fresh_on_every_move(kerberos_world, lab_dc):
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv02', 'cifs/hv02'])
    delegate(kerberos_world, lab_dc, 'hv02', ['Microsoft Virtual System Migration Service/hv01', 'cifs/hv01'])
    assert kerberos_move(kerberos_world, 'hv02', *STORAGE).errors == []
    delegate(kerberos_world, lab_dc, 'hv02', [])
    back = move(kerberos_world.hosts[1], 'hv01-web', 'hv01', *STORAGE, identity=NTLM)
    assert_delegation_missing(back)


def test_kerberos_destination_without_a_computer_account(kerberos_world, lab_dc):
    extra = World.create(4).hosts[3]           # hv04 exists in the world, not in the domain's directory
    kerberos_world.hosts.append(extra)
    extra.world = kerberos_world
    extra.migration.enabled = True
    extra.migration.authentication_type = 'Kerberos'
    extra.add_migration_network('192.168.10.0/24')
    delegate(kerberos_world, lab_dc, 'hv01', ['Microsoft Virtual System Migration Service/hv04', 'cifs/hv04'])
    error = only_error(kerberos_move(kerberos_world, 'hv04', *STORAGE))
    assert 'The specified target is unknown or unreachable (0x80090303).' in error.message


def test_kerberos_with_an_unreachable_dc(kerberos_world):
    kerberos_world.configure_directory('ldaps://127.0.31.250:636', 'Administrator@HVLAB.TEST', 'x', None)
    kerberos_world.directory.timeout = 1
    error = only_error(kerberos_move(kerberos_world, 'hv02', *STORAGE))
    assert '(0x80090311)' in error.message and 'did not answer' in error.message


# ---- virtual switches: Compare-VM's 33012, the fix on the report, Move-VM -CompatibilityReport ------------------------------------
REPORT = 'HyperVMobilityReport'


def switch_statements(destination, target_switch, *parameters):
    """The one pipeline that fixes the report and moves: Compare-VM -OutVariable | ... | Connect-VMNetworkAdapter, then the report
    from Get-Variable piped into Move-VM."""
    compare = Command('Compare-VM', [('Name', 'hv01-web'), ('DestinationHost', destination), *parameters, ('OutVariable', REPORT)])
    return [[compare, Command('Select-Object', [('ExpandProperty', 'Incompatibilities')]),
             Command('Select-Object', [('ExpandProperty', 'Source')]), Command('Connect-VMNetworkAdapter', [('SwitchName', target_switch)])],
            [Command('Get-Variable', [('Name', REPORT)]), Command('Select-Object', [('ExpandProperty', 'Value')]), Command('Move-VM', [])]]


def adapter_switches(host, vm='hv01-web'):
    return [adapter.switch_name for adapter in next(item for item in host.vms if item.name == vm).network_adapters]


def test_get_vmswitch_lists_the_hosts_switches(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}, {'name': 'Backup', 'switch_type': 'Internal'}]})
    found = run(world.hosts[1], 'Get-VMSwitch').output
    assert [(item.properties['Name'], item.properties['SwitchType'].name) for item in found] == [('Production', 'External'), ('Backup', 'Internal')]
    assert [item.properties['Name'] for item in run(world.hosts[0], 'Get-VMSwitch').output] == ['LAN']
    missing = run(world.hosts[1], 'Get-VMSwitch', ('Name', 'LAN'))
    assert only_error(missing).fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVMSwitch'
    assert run(world.hosts[1], 'Get-VMSwitch', ('Name', 'L*')).output == [] and run(world.hosts[1], 'Get-VMSwitch', ('Name', 'L*')).errors == []


def test_a_switch_the_destination_lacks_is_incompatibility_33012_with_the_adapter_as_source(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}]})
    found = run(world.hosts[0], 'Compare-VM', ('Name', 'hv01-web'), ('DestinationHost', 'hv02'), *STORAGE).output[0]
    [error] = found.properties['Incompatibilities']
    assert (error.properties['Message'], error.properties['MessageId']) == ("Could not find Ethernet switch 'LAN'.", 33012)
    assert error.properties['Source'].type_names[0] == f'{HV}.VMNetworkAdapter'
    assert error.properties['Source'].properties['VMName'] == 'hv01-web'
    refused = move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE)
    assert "Could not find Ethernet switch 'LAN'." in only_error(refused).message
    assert_not_moved(world)


def test_a_disconnected_adapter_needs_no_switch(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}]})
    world.hosts[0].patch({'vms': {'hv01-web': {'network_adapters': [{'name': 'Network Adapter', 'switch_name': None}]}}})
    assert move(world.hosts[0], 'hv01-web', 'hv02', *STORAGE).errors == []


def test_the_report_fixed_on_the_host_moves_the_vm_onto_the_mapped_switch(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}]})
    result = world.hosts[0].execute(switch_statements('hv02', 'Production', *STORAGE), CREDSSP)
    assert result.errors == [] and result.output == []
    assert 'hv01-web' in vm_names(world.hosts[1])
    assert adapter_switches(world.hosts[1]) == ['Production']


def test_connecting_the_report_adapter_changes_only_the_report(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}]})
    statements = switch_statements('hv02', 'Production', *STORAGE)[:1]
    assert world.hosts[0].execute(statements, CREDSSP).errors == []
    assert adapter_switches(world.hosts[0]) == ['LAN']     # the VM on the source keeps its switch until it moves


def test_the_report_mapped_to_a_switch_the_destination_lacks_is_refused_and_nothing_moves(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}]})
    result = world.hosts[0].execute(switch_statements('hv02', 'Backup', *STORAGE), CREDSSP)
    assert [error.fully_qualified_error_id for error in result.errors] == [
        'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.ConnectVMNetworkAdapter', MOVE_FQID]
    assert "Could not find Ethernet switch 'LAN'." in result.errors[1].message
    assert_not_moved(world)


def test_move_vm_compatibility_report_rechecks_the_rules(world):
    world.hosts[1].patch({'switches': [{'name': 'Production'}]})
    world.hosts[1].migration.enabled = False
    result = world.hosts[0].execute(switch_statements('hv02', 'Production', *STORAGE), CREDSSP)
    assert any('0x8007274D' in error.message for error in result.errors)
    assert_not_moved(world)


def test_get_variable_reads_what_out_variable_stored_in_the_same_call(world):
    result = world.hosts[0].execute([[Command('Get-VMHost', [('OutVariable', 'hostSettings')])],
                                     [Command('Get-Variable', [('Name', 'hostSettings')])], [Command('Get-Variable', [('Name', 'other')])]],
                                    CREDSSP)
    variable = result.output[1]
    assert variable.type_names[0] == 'System.Management.Automation.PSVariable'
    assert variable.properties['Name'] == 'hostSettings' and variable.properties['Value'][0].type_names[0] == f'{HV}.VMHost'
    assert only_error(result).fully_qualified_error_id == 'VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand'
    assert run(world.hosts[0], 'Get-Variable', ('Name', 'hostSettings')).errors != []     # a new call: a new session state
