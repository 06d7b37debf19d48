# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The reads of the host modules, in one place: each module builds its read pipelines from these, and the fidelity probe
(fidelity.py) records the shape of what each returns on a user's host - so the probe follows the modules by construction.
"""

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import IDENTITY_COMMAND
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import DISK_STATEMENTS

# migration_preflight (each host of a pair), live_migration_mesh_facts and live_migration with mesh_facts (phase 1 of the
# mesh): everything the checks need.
PREFLIGHT = (
    IDENTITY_COMMAND,
    Command('Get-WindowsFeature', {'Name': 'Hyper-V'}),
    Command('Get-VMHost'),
    Command('Get-VMHostSupportedVersion'),
    Command('Get-VMMigrationNetwork'),
    Command('Get-VM'),
)

# host_info: every fact in one pipeline (the preflight's, and the replica server).
HOST_FACTS = PREFLIGHT + (Command('Get-VMReplicationServer'),)

# live_migration: the host's migration settings and networks.
LIVE_MIGRATION = (IDENTITY_COMMAND, Command('Get-VMHost'), Command('Get-VMMigrationNetwork'))

# replica_server: the server settings, the authorization entries and Hyper-V's two listener rules (Windows' own rule names).
HTTP_LISTENER_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
HTTPS_LISTENER_RULE = 'VIRT-HVRHTTPSL-In-TCP-NoScope'
LISTENER_RULES = (HTTP_LISTENER_RULE, HTTPS_LISTENER_RULE)
REPLICA_SERVER = (Command('Get-VMReplicationServer'), Command('Get-VMReplicationAuthorizationEntry'),
                  Command('Get-NetFirewallRule', {'Name': list(LISTENER_RULES)}))

# vm_failover (each site) and vm_replication: the host, its VMs and their replication.
VM_REPLICATION_STATE = (IDENTITY_COMMAND, Command('Get-VM'), Command('Get-VMReplication'))


def failover_network(name, adapter):
    """vm_failover_network: the VM (its name may mean several), the adapter (switch, test replica switch) and its failover TCP/IP
    settings. Get-VMNetworkAdapterFailoverConfiguration's objects name neither the VM nor the adapter, so the adapter is named."""
    return [Command('Get-VM', {'Name': [name]}), Command('Get-VMNetworkAdapter', {'VMName': [name], 'Name': adapter}),
            Command('Get-VMNetworkAdapterFailoverConfiguration', {'VMName': [name], 'VMNetworkAdapterName': adapter})]


def vm_network_adapters(name, vm_id=None):
    """vm_failover (start): the started VM's adapters - switch and the addresses its guest reports (IPAddresses); vm_migrate (source):
    the switch each adapter of the moving VM is connected to."""
    return for_vm(Command('Get-VMNetworkAdapter', {} if vm_id else {'VMName': [name]}), vm_id)


def vm_failover_settings(name, vm_id=None):
    """vm_failover (failback): the VM's adapters and their failover TCP/IP settings, on each site. The settings' objects name no
    adapter: failover_identity.failover_addresses pairs them with the adapters (same order, synthetic ones)."""
    return [vm_network_adapters(name, vm_id),
            for_vm(Command('Get-VMNetworkAdapterFailoverConfiguration', {} if vm_id else {'VMName': [name]}), vm_id)]


def recovery_checkpoints(name, vm_id=None):
    """vm_failover (test, unplanned): the recovery points of a Replica VM, the checkpoints of type Replica (Get-VMSnapshot,
    oldest first). A VM with none is an ObjectNotFound error record of Get-VMSnapshot (the decompiled GetVMSnapshot)."""
    return for_vm(Command('Get-VMSnapshot', dict({} if vm_id else {'VMName': [name]}, SnapshotType='Replica')), vm_id)


def replication_info(name, vm_id=None):
    """vm_replication_info: Get-VM (only for a named VM: tells an unknown VM from one without replication), Get- and
    Measure-VMReplication, the disks. With vm_id: Get-VM -Id (the same answer for that one VM) and every relationship of the
    host, which the module filters by VMId (the replication cmdlets select VMs by name, and a name may mean several VMs)."""
    if vm_id is not None:
        return [vm_by_id(vm_id)] + replication_info(None)
    if name is None:
        return [Command('Get-VMReplication'), Command('Measure-VMReplication')] + list(DISK_STATEMENTS)
    return [Command('Get-VM', {'Name': [name]}), Command('Get-VMReplication', {'VMName': [name]}),
            Command('Measure-VMReplication', {'VMName': [name]})] + list(DISK_STATEMENTS)


def compare_vm(parameters, vm_id=None):
    """vm_migrate: Compare-VM with its report's Incompatibilities expanded: remoting hands nested objects over as their
    ToString() (the type name, for a VMCompatibilityError), so the errors must come back as top-level objects to keep their message.
    With vm_id, Compare-VM gets the VM object Get-VM -Id writes (a name may mean several VMs)."""
    return for_vm(Command('Compare-VM', parameters), vm_id).pipe(Command('Select-Object', {'ExpandProperty': 'Incompatibilities'}))


def vm_processor(name, vm_id=None):
    """vm_migrate (processor_compatibility): the VM's processor settings (VMProcessor.CompatibilityForMigrationEnabled), by name,
    or with vm_id of the VM object Get-VM -Id writes (bound to -VM)."""
    return for_vm(Command('Get-VMProcessor', {} if vm_id is not None else {'VMName': [name]}), vm_id)


def vm_storage(name, vm_id=None):
    """vm_migrate (storage_path): where the VM's files are - Get-VM (Path, SnapshotFileLocation, SmartPagingFilePath) and its
    virtual hard disks (Get-VMHardDiskDrive Path), by name, or with vm_id of the VM object Get-VM -Id writes (bound to -VM)."""
    return [vm_by_id(vm_id) if vm_id is not None else Command('Get-VM', {'Name': [name]}),
            for_vm(Command('Get-VMHardDiskDrive', {} if vm_id is not None else {'VMName': [name]}), vm_id)]


# vm_migrate and host_drain (destination): the switches a moving VM's adapters need (a switch of each name, or a switch_map entry).
VM_SWITCHES = Command('Get-VMSwitch')

# host_drain: the source's VMs (state, memory, configuration version, path), disks and network adapters (their switches); each
# destination's free memory (Win32_OperatingSystem, kilobytes), migration settings and limit (Get-VMHost), the versions it runs,
# its VMs and its switches.
FREE_MEMORY_COMMAND = Command('Get-CimInstance', {'ClassName': 'Win32_OperatingSystem'})
DRAIN_SOURCE = (IDENTITY_COMMAND, Command('Get-VMHost'), Command('Get-VM'), Command('Get-VMHardDiskDrive', {'VMName': '*'}),
                Command('Get-VMNetworkAdapter', {'VMName': '*'}))
DRAIN_DESTINATION = (IDENTITY_COMMAND, FREE_MEMORY_COMMAND, Command('Get-VMHost'), Command('Get-VMHostSupportedVersion'), Command('Get-VM'),
                     VM_SWITCHES)


# Site Recovery on a VMM server (asr_prerequisites server_role=vmm_server, asr_vmm_registration) and the Recovery Services
# agent on a host (asr_recovery_services_agent): the Windows services that tell whether the product is there and runs.
VMM_SERVICE = 'SCVMMService'
AGENT_SERVICE = 'obengine'
VMM_SERVICE_READ = (Command('Get-Service', {'Name': VMM_SERVICE}),)
AGENT_SERVICE_READ = (Command('Get-Service', {'Name': AGENT_SERVICE}),)


def vm_by_name(name):
    """vm_start: the VM by its name."""
    return Command('Get-VM', {'Name': name})


def vm_by_id(vm_id):
    """vm_start, vm_replication_info: the VM by its id (a name may mean several VMs)."""
    return Command('Get-VM', {'Id': vm_id})


def for_vm(command, vm_id):
    """command as given (it names its VM with -Name), or, with vm_id, given the VM object Get-VM -Id writes (bound to -VM)."""
    return command if vm_id is None else vm_by_id(vm_id).pipe(command)
