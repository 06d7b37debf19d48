# -*- coding: utf-8 -*-
"""vm_migrate storage_path: which of a VM's files are outside the folder, where Move-VMStorage -DestinationStoragePath puts each,
and the read that tells where they are."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.reads import vm_storage
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.storage_move import destination_of, is_under, storage_items

GUID = '0f8fad5b-d9cb-469f-a165-70867728950e'


@pytest.mark.parametrize('path, folder, under', [
    ('D:\\VMs\\web', 'D:\\VMs\\web', True),
    ('d:\\vms\\WEB\\', 'D:\\VMs\\web', True),
    ('D:\\VMs\\web\\Disks\\web.vhdx', 'D:\\VMs\\web\\', True),
    ('D:/VMs/web/web.vhdx', 'D:\\VMs\\web', True),
    ('D:\\VMs\\web2\\web.vhdx', 'D:\\VMs\\web', False),     # a sibling that shares the prefix is not inside
    ('D:\\VMs', 'D:\\VMs\\web', False),
    ('\\\\fs\\vms\\web\\web.vhdx', '\\\\FS\\VMs', True),
])
def test_a_file_is_under_the_folder_only_inside_it(path, folder, under):
    assert is_under(path, folder) is under


def test_every_item_goes_to_the_folder_and_a_disk_keeps_its_file_name():
    vm = {'Path': 'C:\\Hyper-V\\web', 'SnapshotFileLocation': 'C:\\Snapshots', 'SmartPagingFilePath': 'C:\\Paging'}
    items = storage_items(vm, [{'Path': 'C:\\Disks\\web.vhdx'}, {'Path': 'E:\\data.vhdx'}])
    assert [item['item'] for item in items] == ['configuration', 'checkpoints', 'smart_paging', 'disk', 'disk']
    expected = ['D:\\VMs\\web\\'] * 3 + ['D:\\VMs\\web\\web.vhdx', 'D:\\VMs\\web\\data.vhdx']
    assert [destination_of(item, 'D:\\VMs\\web\\') for item in items] == expected


def test_the_paths_are_read_by_name_or_from_the_vm_object_of_get_vm():
    by_name = vm_storage('web')
    assert [[(command.name, command.parameters) for command in statement.commands] for statement in by_name] == [
        [('Get-VM', {'Name': ['web']})], [('Get-VMHardDiskDrive', {'VMName': ['web']})]]
    by_id = vm_storage(None, GUID)
    assert [[(command.name, command.parameters) for command in statement.commands] for statement in by_id] == [
        [('Get-VM', {'Id': GUID})], [('Get-VM', {'Id': GUID}), ('Get-VMHardDiskDrive', {})]]
    assert all(statement.read_only for statement in by_name + by_id)
