"""Move-VMStorage: moves a VM's files to other folders of its own host, while it runs too (storage migration is live).

Parameter sets (Move-VMStorage's page, the decompiled MoveVMStorage): the VM by -Name (alias VMName, one string) or as the object
piped in (-VM); either -DestinationStoragePath (the single-destination sets: the configuration, checkpoints, smart paging file and
every virtual hard disk go to that one folder, each disk by its file name) or any of -VirtualMachinePath, -SnapshotFilePath,
-SmartPagingFilePath and -Vhds (@{SourceFilePath; DestinationFilePath}, same file name) for each item apart. The cmdlet validates
each path before it asks ShouldProcess (ParameterValidator.ValidateMoveOrCompareVMParameters: PathUtility.IsValidPath, message
InvalidParameter_InvalidDirectoryPath, whose text the decompiled module does not carry: the lab's wording says which path), asks
once per VM ("Move-VMStorage will move the storage of virtual machine ..."), then moves; it writes nothing (no OutputType).

A storage move counts against the host's MaximumStorageMigrations (Set-VMHost: "the maximum number of storage migrations that
can be performed at the same time"); beyond it the lab queues the move as it queues live migrations (migration.Transfer), and it
takes no live-migration slot. Relative paths: the real cmdlet resolves them against the session's current location
(NormalizeMoveOrCompareVMParameters); the lab does not model that location and refuses them as not modelled.
-ResourcePoolName and -AsJob are not modelled (an honest error); -RetainVhdCopiesOnSource, -RemoveSourceUnmanagedVhds and
-AllowUnverifiedPaths change nothing the lab keeps (it models where files are, not copies left behind).
"""

from __future__ import annotations

import re

from hvlab.engine.context import CmdletContext
from hvlab.engine.cmdlets import migration
from hvlab.engine.cmdlets.vm import vms_of_objects

PATH_PARAMETERS = ('DestinationStoragePath', 'VirtualMachinePath', 'SnapshotFilePath', 'SmartPagingFilePath')
# Characters Windows refuses in a path (Path.GetInvalidPathChars: '"', '<', '>', '|' and the control characters).
_INVALID_PATH_CHARACTERS = re.compile(r'[\x00-\x1f"<>|]')


def _rooted(path: str) -> bool:
    return bool(re.match(r'^[A-Za-z]:[\\/]', path)) or path.startswith('\\\\')


class _StorageTransfer(migration.Transfer):
    """A storage-only move: the source is the destination, no memory is reserved, only storage slots count."""

    def __init__(self, request: migration.MoveRequest):
        super().__init__(request)
        self.record.moves_vm, self.record.memory_bytes = False, 0

    def _slots_free(self) -> bool:
        host = self.request.source
        return self._migrating_on(host, True) < host.migration.maximum_storage_migrations

    def _reserve_memory(self) -> None:
        return None

    def _commit(self) -> None:
        request = self.request
        if request.vm not in request.source.vms:
            raise request.failed_at_source(f"The virtual machine '{request.vm.name}' was removed during the storage migration.")
        migration.relocate_storage(request.vm, request.storage)


def _vm(ctx: CmdletContext):
    """(host, VM) the command names, or None after writing the error (ObjectNotFound for a name that matches no VM)."""
    if ctx.bound.get('VM') is not None:
        found = vms_of_objects(ctx.host, [ctx.bound.get('VM')])
        if not found:
            ctx.write_error('ObjectNotFound', 'Hyper-V was unable to find the virtual machine given as -VM on this host.', 'ObjectNotFound')
            return None
        return ctx.host, found[0]
    targets = ctx.local_targets()
    if not targets:
        return None
    name = ctx.bound.get('Name')
    found = [vm for vm in targets[0].vms if vm.name.lower() == name.lower()]
    if not found:
        ctx.write_error('ObjectNotFound', f'Hyper-V was unable to find a virtual machine with name "{name}".', 'ObjectNotFound', target=name)
        return None
    return targets[0], found[0]


def _invalid_path(ctx: CmdletContext) -> bool:
    for parameter in PATH_PARAMETERS:
        path = ctx.bound.get(parameter)
        if path is None:
            continue
        if _INVALID_PATH_CHARACTERS.search(path):
            ctx.write_error('InvalidParameter', f"The path '{path}' given to -{parameter} is not a valid directory path.", 'InvalidArgument',
                            target=path)
            return True
        if not _rooted(path):
            ctx.write_error('HvLab.NotImplemented', f"Move-VMStorage -{parameter} '{path}' is a relative path: the real cmdlet resolves it "
                                                    "against the session's current location, which the lab does not model.",
                            'NotImplemented', exception_type='System.NotImplementedException')
            return True
    return False


def move_vm_storage(ctx: CmdletContext) -> None:
    if ctx.bound.switch('AsJob') or ctx.bound.get('ResourcePoolName') is not None:
        ctx.write_error('HvLab.NotImplemented', 'Move-VMStorage -AsJob and -ResourcePoolName are documented but not modelled by the lab.',
                        'NotImplemented', exception_type='System.NotImplementedException')
        return
    found = _vm(ctx)
    if found is None or _invalid_path(ctx):
        return
    host, vm = found
    folder = ctx.bound.get('DestinationStoragePath')
    try:
        storage = migration.StoragePlan(moves=True, folder=folder) if folder is not None else migration.storage_plan(ctx, vm)
    except migration.MigrationFailure as failure:
        ctx.write_error(failure.error_id, failure.message, failure.category)
        return
    if not ctx.should_process(vm.name):
        return
    request = migration.MoveRequest(host, vm, host, host.name, storage)
    try:
        _StorageTransfer(request).run()
    except migration.MigrationFailure as failure:
        ctx.write_error(failure.error_id, failure.message, failure.category, target=vm.name)


# Get-VM -Id <guid> | Move-VMStorage: the piped VirtualMachine binds to -VM (ValueFromPipeline, the decompiled MoveVMStorage).
VM_OBJECT_INPUT = ('Move-VMStorage',)

CMDLETS = {'Move-VMStorage': move_vm_storage}
