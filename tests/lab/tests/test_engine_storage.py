"""Move-VMStorage (hvlab.engine.cmdlets.storage): a VM's files move to other folders of its own host, running VMs too, within the
host's MaximumStorageMigrations; Get-VM and Get-VMHardDiskDrive report the new paths."""

import threading

import pytest

from hvlab.control import peak_in_flight
from hvlab.engine import Command, Identity
from hvlab.model.world import World

NTLM = Identity('labadmin', 'ntlm', 'psrp')


@pytest.fixture(name='world')
def world_fixture():
    world = World.create(2)
    world.migration_seconds = 0.05
    return world


def run(host, *commands):
    return host.execute([list(commands)], NTLM)


def move_storage(host, vm, *parameters):
    return run(host, Command('Move-VMStorage', [('Name', vm), *parameters]))


def paths(host, vm):
    (read,) = run(host, Command('Get-VM', [('Name', [vm])])).output
    disks = [disk['Path'] for disk in run(host, Command('Get-VMHardDiskDrive', [('VMName', [vm])])).output]
    return {'Path': read['Path'], 'ConfigurationLocation': read['ConfigurationLocation'], 'SnapshotFileLocation': read['SnapshotFileLocation'],
            'SmartPagingFilePath': read['SmartPagingFilePath'], 'disks': disks}


def test_one_folder_takes_every_file_of_a_running_vm_which_stays_on_its_host_and_runs(world):
    hv01 = world.hosts[0]
    hv01.patch({'vms': {'hv01-web': {'state': 'Running'}}})
    before = paths(hv01, 'hv01-web')
    assert before['SnapshotFileLocation'] == before['SmartPagingFilePath'] == before['Path'] != 'D:\\VMs\\web'
    execution = move_storage(hv01, 'hv01-web', ('DestinationStoragePath', 'D:\\VMs\\web'))
    assert execution.errors == [] and execution.output == []
    assert paths(hv01, 'hv01-web') == {'Path': 'D:\\VMs\\web', 'ConfigurationLocation': 'D:\\VMs\\web', 'SnapshotFileLocation': 'D:\\VMs\\web',
                                       'SmartPagingFilePath': 'D:\\VMs\\web', 'disks': ['D:\\VMs\\web\\hv01-web.vhdx']}
    vm = next(vm for vm in hv01.vms if vm.name == 'hv01-web')
    assert vm.state == 'Running'
    (record,) = world.migration_history
    assert record.moves_vm is False and record.with_storage and record.source == record.destination == hv01.name


def test_each_item_apart_moves_only_what_is_given(world):
    hv01 = world.hosts[0]
    before = paths(hv01, 'hv01-web')
    assert move_storage(hv01, 'hv01-web', ('VirtualMachinePath', 'E:\\Config'), ('SmartPagingFilePath', 'F:\\Paging')).errors == []
    after = paths(hv01, 'hv01-web')
    assert after['Path'] == 'E:\\Config' and after['SmartPagingFilePath'] == 'F:\\Paging'
    assert after['SnapshotFileLocation'] == before['Path'] and after['disks'] == before['disks']
    disk = before['disks'][0]
    moved = {'SourceFilePath': disk, 'DestinationFilePath': 'G:\\Disks\\hv01-web.vhdx'}
    assert move_storage(hv01, 'hv01-web', ('Vhds', [moved]), ('SnapshotFilePath', 'G:\\Checkpoints')).errors == []
    assert paths(hv01, 'hv01-web')['disks'] == ['G:\\Disks\\hv01-web.vhdx']
    assert paths(hv01, 'hv01-web')['SnapshotFileLocation'] == 'G:\\Checkpoints'
    renamed = {'SourceFilePath': 'G:\\Disks\\hv01-web.vhdx', 'DestinationFilePath': 'H:\\other.vhdx'}
    error, = move_storage(hv01, 'hv01-web', ('Vhds', [renamed])).errors
    assert error.category == 'InvalidArgument' and paths(hv01, 'hv01-web')['disks'] == ['G:\\Disks\\hv01-web.vhdx']


def test_the_vm_object_get_vm_writes_binds_to_vm(world):
    hv01 = world.hosts[0]
    vm_id = hv01.vms[0].vm_id
    execution = run(hv01, Command('Get-VM', [('Id', vm_id)]), Command('Move-VMStorage', [('DestinationStoragePath', 'D:\\ById')]))
    assert execution.errors == [] and hv01.vms[0].path == 'D:\\ById'


@pytest.mark.parametrize('path, category', [('D:\\VMs\\we|b', 'InvalidArgument'), ('D:\\VMs\nweb', 'InvalidArgument'),
                                            ('VMs\\web', 'NotImplemented')])
def test_a_path_windows_refuses_or_the_lab_cannot_resolve_changes_nothing(world, path, category):
    hv01 = world.hosts[0]
    before = paths(hv01, 'hv01-web')
    error, = move_storage(hv01, 'hv01-web', ('DestinationStoragePath', path)).errors
    assert error.category == category and paths(hv01, 'hv01-web') == before and world.migration_history == []


def test_unknown_vm_and_whatif(world):
    hv01 = world.hosts[0]
    error, = move_storage(hv01, 'nope', ('DestinationStoragePath', 'D:\\VMs')).errors
    assert error.category == 'ObjectNotFound'
    before = paths(hv01, 'hv01-web')
    assert move_storage(hv01, 'hv01-web', ('DestinationStoragePath', 'D:\\VMs'), ('WhatIf', None)).errors == []
    assert paths(hv01, 'hv01-web') == before


@pytest.mark.parametrize('limit, expected_peak', [(1, 1), (2, 2)])
def test_storage_moves_beyond_maximum_storage_migrations_wait_and_take_no_live_migration_slot(world, limit, expected_peak):
    world.migration_seconds = 0.3
    hv01 = world.hosts[0]
    hv01.patch({'migration': {'maximum_storage_migrations': limit, 'maximum_vm_migrations': 1}})
    names = [vm.name for vm in hv01.vms][:2]
    results = {}

    def one(name):
        results[name] = move_storage(hv01, name, ('DestinationStoragePath', 'D:\\' + name)).errors

    threads = [threading.Thread(target=one, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {name: [] for name in names}
    assert peak_in_flight([record.to_state() for record in world.migration_history], hv01.name) == expected_peak
