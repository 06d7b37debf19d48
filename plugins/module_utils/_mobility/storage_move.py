# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""vm_migrate's storage-only mode (storage_path): the VM stays on its host and its files move to one folder there with
Move-VMStorage -DestinationStoragePath (the configuration, checkpoints, smart paging file and every virtual hard disk, each disk by
its file name; a running VM too - storage migration is live).

Idempotent: the VM's paths are read first (Get-VM Path, SnapshotFileLocation, SmartPagingFilePath; Get-VMHardDiskDrive Path) and
a VM whose files are all in the folder or below it is left alone, nothing sent.
"""

import ntpath

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    Command, HostError, ModuleFailure, OutcomeUnknownError, Step, describe)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import IDENTITY_COMMAND, host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV

# Get-VM's properties for the VM's folders, as the result names them.
FOLDERS = (('configuration', 'Path'), ('checkpoints', 'SnapshotFileLocation'), ('smart_paging', 'SmartPagingFilePath'))


def _normalised(path):
    return path.replace('/', '\\').rstrip('\\').lower()


def is_under(path, folder):
    """Whether path is folder or inside it (Windows paths: case-insensitive, either slash)."""
    path, folder = _normalised(path), _normalised(folder)
    return path == folder or path.startswith(folder + '\\')


def storage_items(vm, disks):
    """[{item, path}] of the VM: its three folders and each virtual hard disk's file."""
    items = [dict(item=item, path=str(vm.get(name) or '')) for item, name in FOLDERS]
    return items + [dict(item='disk', path=str(disk.get('Path') or '')) for disk in disks]


def destination_of(item, folder):
    """Where Move-VMStorage -DestinationStoragePath puts the item: the folder itself, a disk by its file name in it."""
    if item['item'] == 'disk':
        return ntpath.join(folder.rstrip('\\/') + '\\', ntpath.basename(item['path']))
    return folder


class StorageMove:
    """One task's storage-only move: read the VM's paths, decide, Move-VMStorage."""

    def __init__(self, resource, module, view):
        self.resource, self.module, self.view = resource, module, view
        self.params = resource.params
        self.folder = self.params['storage_path']
        self.host = self.params['hyperv_host']     # the host's FQDN once it answered

    def read(self):
        """(the Get-VM object, [its disks]) or None when the host has no such VM."""
        result = self.module.read([IDENTITY_COMMAND] + reads.vm_storage(self.params['name'], self.resource.vm_id))
        names = host_identity(result)
        if names is not None:
            self.host = names.fqdn
        vm = self.resource.find_vm(result, self.host)
        if vm is None:
            return None, []
        vm_id = str(vm.get('Id') or '').lower()
        return vm, [disk for disk in result.of_type(HV + 'HardDiskDrive') if str(disk.get('VMId') or '').lower() == vm_id]

    def run(self):
        vm, disks = self.read()
        host = self.host
        if vm is None:
            raise ModuleFailure("VM '%s' is not on %s, so its storage cannot move there" % (self.resource.vm_name, host),
                                source=self.params['hyperv_host'])
        self.resource.vm_name = vm.get('Name') or self.resource.vm_name
        moves = [dict(item, destination=destination_of(item, self.folder)) for item in storage_items(vm, disks)
                 if not is_under(item['path'], self.folder)]
        base = dict(source=self.params['hyperv_host'], host=host, vm=self.view(vm), storage_path=self.folder, storage_moves=moves)
        name = self.resource.vm_name
        if not moves:
            return dict(base, changed=False, msg="The files of VM '%s' are already in %s" % (name, self.folder))
        listed = ', '.join('%s %s' % (move['item'], move['path']) for move in moves)
        if self.module.check_mode:
            return dict(base, changed=True, msg="VM '%s' would move %s to %s" % (name, listed, self.folder))
        return self.move(base, listed)

    def move(self, base, listed):
        name = self.resource.vm_name
        parameters = {'DestinationStoragePath': self.folder}
        if self.resource.vm_id is None:
            parameters['Name'] = self.params['name']
        command = Command('Move-VMStorage', parameters)
        outcome = self.module.run_step_within(Step(self.module.session, [reads.for_vm(command, self.resource.vm_id)], [describe(command)]),
                                              self.params['timeout'])
        if not outcome.finished:
            raise ModuleFailure("Move-VMStorage of VM '%s' to %s did not finish within %d seconds; Hyper-V goes on with it. Run the task "
                                'again later: it reads where the files are' % (name, self.folder, self.params['timeout']), **base)
        if isinstance(outcome.error, OutcomeUnknownError):
            return self.settle_unknown(outcome, describe(command), base)
        if outcome.error is not None:
            message = outcome.error.message if isinstance(outcome.error, HostError) else str(outcome.error)
            raise ModuleFailure("Move-VMStorage of VM '%s' to %s: %s" % (name, self.folder, message), **base)
        if outcome.result.errors:
            raise ModuleFailure("Move-VMStorage of VM '%s' to %s failed: %s" % (name, self.folder, ' '.join(error.message for error in outcome.result.errors)),
                                errors=[error.to_dict() for error in outcome.result.errors], **base)
        return dict(base, changed=True, duration_seconds=outcome.seconds,
                    msg="VM '%s' moved %s to %s in %.1f s" % (name, listed, self.folder, outcome.seconds))

    def settle_unknown(self, outcome, label, base):
        """The connection failed while Move-VMStorage ran: read the paths again to tell whether the files moved."""
        try:
            vm, disks = self.read()
        except HostError:
            vm = None
        if vm is None or any(not is_under(item['path'], self.folder) for item in storage_items(vm, disks)):
            raise ModuleFailure('%s; the VM\'s files are not all in %s (or could not be read), so whether they moved is unknown'
                                % (outcome.error.message, self.folder), outcome_unknown=True, **base)
        self.module.journal.settle([label])
        self.module.warn('The connection failed during Move-VMStorage; the host reports the files in %s, so they moved.' % self.folder)
        return dict(base, changed=True, duration_seconds=outcome.seconds)
