#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: vm_migrate
short_description: Live-migrate a virtual machine from one Hyper-V host to another
version_added: 0.1.0
description:
  - Moves the VM O(name) from the task's host (the source) to O(destination) with C(Move-VM), optionally with its storage.
  - Reads the destination first (C(Get-VMHost), C(Get-VM)); a VM that is already there and no longer on the source is
    reported V(ok) without change. A VM on neither host is an error.
  - Runs C(Compare-VM) on the source in the same pipeline as the read, and fails with its incompatibilities as a readable list
    (for example an unsupported configuration version, or files that are not on shared storage when O(include_storage=false))
    instead of a bare C(Move-VM) error. Errors of the connection between the hosts (authentication, delegation, networks)
    are explained with the fix.
  - The destination is named to C(Move-VM) by the fully qualified name it reports (C(Get-VMHost)); with Kerberos, the
    source's delegation must list C(Microsoft Virtual System Migration Service/<that name>) (and C(cifs/<that name>) when storage
    moves). M(hyperv.mobility.kerberos_delegation) with C(migration_peers) writes both the short name and the FQDN.
  - With CredSSP, a move can only start from a session on the source host; started by this module over WinRM it fails with
    0x8009030E, which the module explains.
  - With O(storage_path) instead of O(destination), the VM stays on its host and only its files move, to one folder of that host
    (C(Move-VMStorage)); see O(storage_path).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.destination
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: Runs the reads and C(Compare-VM) only, and reports whether the move would happen and its incompatibilities.
  diff_mode:
    support: none
    description: The result says where the VM was and is.
options:
  destination:
    description:
      - The host to move the VM to; the task's own host (O(hyperv_host)) is the source.
      - An inventory host name, or a host name or address that is not in the inventory. When it is an inventory host, the
        C(hyperv.mobility.controller_module) action plugin fills O(destination_connection) from that host's connection vars,
        unless the task sets O(destination_connection) itself.
      - Required unless O(storage_path) is given (a move of the VM's storage on its own host); the two exclude each other.
    type: str
    required: false
  storage_path:
    description:
      - Move only the VM's storage, on its own host, to this folder (C(Move-VMStorage -DestinationStoragePath)), for example
        to free a volume or to put the VM on faster disks. The configuration, the
        checkpoint and smart paging folders and every virtual hard disk (by its file name) go to this one folder. A running VM keeps
        running (storage migration is live); concurrent storage moves are limited by the host's C(MaximumStorageMigrations).
      - An absolute folder path on the host, a drive letter (C(D:\VMs\web)) or a UNC share (C(\\server\share\web)); relative
        paths, control characters and the characters C(" < > | ? *) are refused before any connection.
      - Idempotent - the task reads where the VM's files are (C(Get-VM), C(Get-VMHardDiskDrive)); when every one is in this folder or
        below it, the task reports V(ok) and sends nothing. In check mode it lists what would move (RV(storage_moves)).
      - A separate option rather than O(destination) naming the source itself, because a host cannot be its own destination and a
        storage move needs none of the destination's connection, reads or C(Compare-VM). Excludes O(destination),
        O(include_storage), O(destination_storage_path), O(processor_compatibility) and O(upgrade_version).
    type: str
    version_added: 0.1.0
  name:
    description:
      - Name of the VM on the source host. Hyper-V does not require unique VM names - a name that several VMs share on the
        source (or on the destination) fails naming each with its id, before anything changes; give O(vm_id) for such a VM.
      - The name is matched exactly (case-insensitive). Wildcard characters (C(*), C(?), C([)) are refused - the VM is then
        given by O(vm_id).
      - Exactly one of O(name) and O(vm_id) is required.
    type: str
  vm_id:
    description:
      - The VM's id (C(Get-VM | Select-Object Name, Id)), a GUID; the VM is then read with C(Get-VM -Id) and handed to
        C(Compare-VM) and C(Move-VM) as an object. The alternative to O(name).
    type: str
    version_added: 0.1.0
  include_storage:
    description:
      - Move the VM's files (configuration, checkpoints, virtual hard disks) too (C(Move-VM -IncludeStorage)).
      - Without it, every file of the VM must be on storage both hosts reach (an SMB share).
    type: bool
    default: false
  destination_storage_path:
    description:
      - Folder on the destination for all the VM's files (C(-DestinationStoragePath)). Needs O(include_storage=true).
      - Default is the same paths as on the source. An absolute folder path, as for O(storage_path).
    type: str
  processor_compatibility:
    description:
      - Processor compatibility for migration (C(Set-VMProcessor -CompatibilityForMigrationEnabled)), set before the move when the VM's
        setting differs. V(true) limits the processor features the VM sees, so a running or saved VM can move to a host whose
        processors are of another generation of the same manufacturer; no setting moves a running VM between Intel and AMD hosts.
      - Hyper-V changes processor settings only while the VM is off, so when the setting differs and the VM is not V(Off) the task
        fails naming the option, the VM and its state, before anything changes. Microsoft recommends turning it off again once the VM
        has moved, so that it uses every feature of its new host's processors.
      - Not given, the setting is left as it is. A VM already on the destination is left as it is.
    type: bool
    version_added: 0.1.0
  upgrade_version:
    description:
      - When the destination does not support the VM's configuration version (C(Get-VMHostSupportedVersion)), upgrade it on the
        source first with C(Update-VMVersion), then move it - for moves between hosts of different Windows Server releases.
      - C(Update-VMVersion) upgrades a VM to its host's current version and cannot be undone - the VM can no longer run on or move
        to hosts that support only its old version. The task upgrades only when the destination supports every version the upgrade
        can produce (the source's default and highest), and refuses otherwise, naming the versions, before anything changes.
      - Hyper-V upgrades a VM that is shut down, so when an upgrade is needed and the VM is not V(Off) the task fails naming the
        option, the VM and its state, before anything changes (a saved VM would lose its saved state).
      - C(Compare-VM) runs again after the upgrade, and the move goes on only when it reports nothing else. Without this option a
        version the destination does not support fails with C(Compare-VM)'s report and a fix that says whether this option helps.
      - In check mode the task says it would upgrade and move (RV(version_upgrade)); RV(compatible) is then V(null), as
        C(Compare-VM) is asked again only after the upgrade.
    type: bool
    default: false
  switch_map:
    description:
      - Virtual switches of the destination to connect the VM's network adapters to, by the name of the switch each is connected to on
        the source (a dictionary, source switch name to destination switch name), for a destination whose switches have other names.
      - Hyper-V moves a VM only when the destination has a switch of the name each of its adapters is connected to (C(Compare-VM) reports
        it otherwise, message id 33012). An adapter whose switch the destination lacks is connected to the mapped switch as Microsoft
        documents it - C(Connect-VMNetworkAdapter) on the adapter of C(Compare-VM)'s report, then C(Move-VM -CompatibilityReport) - in one
        pipeline on the source, so the VM never leaves the source with its adapter unmapped and the VM on the source keeps its switch
        until it has moved.
      - Without a mapping for such a switch (or mapped to a switch the destination does not have either) the task fails before anything
        moves, naming the adapter, the switch and the destination's switches.
      - Adapters whose switch exists on the destination stay on it; entries for switches the VM does not use are ignored. The adapters
        that need a new switch must all go to one destination switch in one move. Names are not case-sensitive.
      - A VM already on the destination is left as it is.
    type: dict
    version_added: 0.1.0
  timeout:
    description:
      - Seconds to wait for C(Move-VM) (C(Move-VMStorage) with O(storage_path)) to finish. When it has not finished by then the task
        fails and says so; the move itself goes on on the host (Hyper-V does not cancel it), so check the VM's host before trying again.
    type: int
    default: 1800
notes:
  - Cmdlets run - on the destination C(Get-CimInstance -ClassName Win32_ComputerSystem), C(Get-VMHost), C(Get-VM),
    C(Get-VMHostSupportedVersion), C(Get-VMSwitch); on the source C(Get-CimInstance), C(Get-VMHost), C(Get-VM),
    C(Compare-VM | Select-Object -ExpandProperty Incompatibilities) and C(Get-VMNetworkAdapter) (and C(Get-VMProcessor) with
    O(processor_compatibility), C(Get-VMHostSupportedVersion) with O(upgrade_version)), then C(Set-VMProcessor) when the processor
    setting differs, C(Update-VMVersion) and C(Compare-VM) again when the version is upgraded, and C(Move-VM). With adapters to map
    (O(switch_map)) the move is C(Compare-VM -OutVariable ... | Select-Object -ExpandProperty Incompatibilities | Select-Object
    -ExpandProperty Source | Connect-VMNetworkAdapter -SwitchName ...) followed by C(Get-Variable | Select-Object -ExpandProperty Value |
    Move-VM) in the same pipeline. An unchanged run costs one pipeline per host.
  - With O(storage_path) - on the host only, C(Get-VM) and C(Get-VMHardDiskDrive) (one pipeline), then C(Move-VMStorage) when a file
    is outside the folder.
  - C(Move-VM) and C(Compare-VM) name the destination by its fully qualified name, C(Win32_ComputerSystem) C(DNSHostName).C(Domain);
    the delegation Kerberos needs is for that name.
  - C(Move-VM) reports no byte count, so the result has the duration of the move only.
  - O(destination) cannot be the source itself (O(hyperv_host), by short name or FQDN); the task fails saying "same host"
    before any connection.
seealso:
  - module: hyperv.mobility.migration_preflight
  - module: hyperv.mobility.kerberos_delegation
  - name: Move-VM
    description: The cmdlet that moves the VM.
    link: https://learn.microsoft.com/powershell/module/hyper-v/move-vm
  - name: Move-VMStorage
    description: The cmdlet that moves the VM's storage on its host (O(storage_path)).
    link: https://learn.microsoft.com/powershell/module/hyper-v/move-vmstorage
  - name: Upgrade virtual machine version in Hyper-V
    description: What upgrading a VM's configuration version does, and that it cannot be undone (O(upgrade_version)).
    link: https://learn.microsoft.com/windows-server/virtualization/hyper-v/deploy/upgrade-virtual-machine-version-in-hyper-v-on-windows-or-windows-server
  - name: Processor compatibility mode in Hyper-V
    description: When processor compatibility is needed, and that it does not span processor manufacturers.
    link: https://learn.microsoft.com/windows-server/virtualization/hyper-v/manage/processor-compatibility-mode-hyper-v
'''

EXAMPLES = r'''
- name: Move web01 from hv01 to hv02 with its storage
  hyperv.mobility.vm_migrate:
    name: web01
    destination: hv02
    include_storage: true
    destination_storage_path: D:\VMs\web01
  when: inventory_hostname == 'hv01'

- name: Move a VM that is off to a host with newer processors, so that it can later move back while running
  hyperv.mobility.vm_migrate:
    name: app01
    destination: hv03
    include_storage: true
    processor_compatibility: true

- name: Move app02 to a host whose external switch is called Production instead of LAN
  hyperv.mobility.vm_migrate:
    name: app02
    destination: hv04
    include_storage: true
    switch_map:
      LAN: Production

- name: Move only web01's files to D:\VMs\web on its own host (it keeps running)
  hyperv.mobility.vm_migrate:
    name: web01
    storage_path: D:\VMs\web

- name: Move app02, shut down, to a newer host that no longer runs its configuration version, upgrading it first (irreversible)
  hyperv.mobility.vm_migrate:
    name: app02
    destination: hv04
    include_storage: true
    upgrade_version: true

- name: Only report whether db01 could move (Compare-VM)
  hyperv.mobility.vm_migrate:
    name: db01
    destination: hv02
  check_mode: true
  register: compat

- name: From the controller, both hosts given explicitly
  hyperv.mobility.vm_migrate:
    hyperv_host: hv01.corp.example.com
    hyperv_user: CORP\hvadmin
    hyperv_password: "{{ vault_hvadmin_password }}"
    destination: hv02.corp.example.com
    destination_connection:
      host: hv02.corp.example.com
    name: web01
    include_storage: true
  delegate_to: localhost
'''

RETURN = r'''
vm:
  description: The VM as the host that holds it after the task reports it.
  returned: always
  type: dict
  contains:
    name:
      description: VM name.
      type: str
    id:
      description: VM id.
      type: str
    state:
      description: VM state.
      type: str
    version:
      description: Configuration version.
      type: str
  sample: {name: web01, id: 0f8fad5b-d9cb-469f-a165-70867728950e, state: Running, version: '10.0'}
source:
  description: The source host as the task names it.
  returned: always
  type: str
  sample: hv01
destination:
  description: The destination's fully qualified name, as given to C(Move-VM -DestinationHost).
  returned: when O(destination) is given
  type: str
  sample: hv02.corp.example.com
host:
  description: The host the VM is on after the task (in check mode, where it would be).
  returned: always
  type: str
  sample: hv02.corp.example.com
compatible:
  description: Whether C(Compare-VM) found no incompatibility (V(null) when it did not run because the VM was already moved).
  returned: when O(destination) is given
  type: bool
incompatibilities:
  description: What C(Compare-VM) found that prevents the move.
  returned: when O(destination) is given
  type: list
  elements: dict
  contains:
    message:
      description: The incompatibility as Hyper-V words it.
      type: str
    message_id:
      description: Hyper-V's message id.
      type: int
  sample: [{message_id: 24002, message: "The virtual machine 'web01' is using configuration version 10.0, which is not supported..."}]
switches:
  description:
    - The VM's network adapters connected to another switch for the move (O(switch_map)), in check mode those it would connect;
      empty when every switch the VM uses exists on the destination.
  returned: when the VM was on the source
  type: list
  elements: dict
  contains:
    adapter:
      description: The network adapter's name.
      type: str
    switch:
      description: The switch it is connected to on the source.
      type: str
    to:
      description: The destination's switch it is connected to.
      type: str
  sample: [{adapter: Network Adapter, switch: LAN, to: Production}]
processor_compatibility:
  description: The VM's processor compatibility for migration after the task (in check mode, what it would be).
  returned: when O(processor_compatibility) is given and the VM was on the source
  type: bool
  sample: true
version_upgrade:
  description: The VM's configuration version before and after C(Update-VMVersion) (O(upgrade_version); in check mode, what it would be).
  returned: when the VM was (or in check mode would be) upgraded, also when the move failed after the upgrade
  type: dict
  contains:
    from:
      description: The version before.
      type: str
    to:
      description: The version after, as the source reports it (in check mode, the source's current version).
      type: str
  sample: {from: '5.0', to: '10.0'}
fix:
  description: What would make the VM movable, when C(Compare-VM) found a configuration version the destination does not support.
  returned: on such a failure
  type: str
storage_path:
  description: The folder the VM's files were moved to (O(storage_path)).
  returned: when O(storage_path) is given
  type: str
  sample: D:\VMs\web
storage_moves:
  description:
    - The VM's files that were outside O(storage_path), so moved (in check mode, that would move); empty when all were in it.
  returned: when O(storage_path) is given
  type: list
  elements: dict
  contains:
    item:
      description: V(configuration), V(checkpoints), V(smart_paging) (the VM's folders) or V(disk) (a virtual hard disk's file).
      type: str
    path:
      description: Where it was.
      type: str
    destination:
      description: Where C(Move-VMStorage) puts it (a disk keeps its file name).
      type: str
  sample: [{item: disk, path: 'C:\ProgramData\Microsoft\Windows\Virtual Hard Disks\web01.vhdx', destination: 'D:\VMs\web\web01.vhdx'}]
duration_seconds:
  description: How long C(Move-VM) (or C(Move-VMStorage)) took.
  returned: when the VM moved
  type: float
  sample: 12.4
errors:
  description: The error records of C(Compare-VM) or C(Move-VM) when the move is refused.
  returned: on failure
  type: list
  elements: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    Command, HostError, HypervModule, MAX_WAIT_SECONDS, ModuleFailure, OptionError, OutcomeUnknownError, Resource, Step, StepFailed, describe,
    explained)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import check_vm_name_or_id, check_windows_folder, find_one_vm
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import (
    DESTINATION_ARGUMENT_SPEC, destination_options, refuse_destination_is_source)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import IDENTITY_COMMAND, host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV, HostVersions
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.move_errors import explain, incompatibilities_of
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import switch_map
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.storage_move import StorageMove
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.version_upgrade import upgrade_refusal


def vm_view(vm):
    return dict(name=vm.get('Name'), id=str(vm.get('Id') or '') or None, state=vm.get('State') and str(vm.get('State')),
                version=vm.get('Version') and str(vm.get('Version')))


def compare_errors(result):
    """The error records of Compare-VM in a read (those without a command come from it too)."""
    return [error for error in result.errors if (error.command or '').lower() == 'compare-vm' or error.command is None]


class VmMigration(Resource):
    """One task: read both hosts (with Compare-VM), decide, move."""

    def validate(self):
        params = self.params
        if params['storage_path'] is not None:
            self.validate_storage_only()
        elif params['destination'] is None:
            raise OptionError('give destination (the host to move the VM to) or storage_path (a folder of its own host to move only its '
                              'storage to)')
        if params['destination_storage_path'] is not None:
            check_windows_folder('destination_storage_path', params['destination_storage_path'])
        if params['destination_storage_path'] and not params['include_storage']:
            raise OptionError('destination_storage_path needs include_storage=true (Move-VM takes -DestinationStoragePath only with -IncludeStorage)')
        if not 1 <= params['timeout'] <= MAX_WAIT_SECONDS:
            raise OptionError('timeout must be a positive number of seconds, at most %d (7 days), got %d' % (MAX_WAIT_SECONDS, params['timeout']))
        problem = switch_map.check_switch_map('switch_map', params['switch_map'])
        if problem:
            raise OptionError(problem)
        self.vm_id = check_vm_name_or_id(params)
        self.vm_name = params['name'] or self.vm_id     # how messages name the VM until it is found
        if params['destination'] is not None:
            refuse_destination_is_source(params)

    def validate_storage_only(self):
        params = self.params
        check_windows_folder('storage_path', params['storage_path'])
        given = [option for option in ('destination', 'destination_storage_path', 'processor_compatibility') if params[option] is not None]
        given += [option for option in ('include_storage', 'upgrade_version') if params[option]]
        if given:
            raise OptionError('storage_path moves only the VM\'s storage on its own host and excludes %s; to move the VM to another host '
                              'with its storage, give destination, include_storage=true and destination_storage_path' % ', '.join(given))

    def find_vm(self, result, where):
        return find_one_vm(result.of_type(HV + 'VirtualMachine'), self.params['name'], self.vm_id, where)

    def by_vm(self, command):
        """The command for the VM the task means: by -Name, or (vm_id) given the VM object Get-VM -Id writes."""
        return reads.for_vm(command, self.vm_id)

    def read_destination(self, module):
        options = destination_options(self.params)
        module.check_connection(options, prefix='destination_connection.')
        self.destination_session = module.peer_session(options)
        try:
            result = module.read([IDENTITY_COMMAND, Command('Get-VMHost'), Command('Get-VM'), Command('Get-VMHostSupportedVersion'),
                                  reads.VM_SWITCHES], session=self.destination_session, check=True)
        except HostError as exc:
            raise ModuleFailure('destination %s: %s' % (self.params['destination'], exc.message), host=exc.host or self.params['destination'])
        names = host_identity(result)
        if not result.of_type(HV + 'VMHost') or names is None:
            raise ModuleFailure('destination %s: Get-VMHost returned no host (is the Hyper-V role installed?)' % self.params['destination'])
        return names.fqdn, result

    def move_parameters(self, destination_name):
        parameters = {'DestinationHost': destination_name} if self.vm_id else {'Name': self.params['name'], 'DestinationHost': destination_name}
        if self.params['include_storage']:
            parameters['IncludeStorage'] = True
            if self.params['destination_storage_path']:
                parameters['DestinationStoragePath'] = self.params['destination_storage_path']
        elif self.vm_id:
            # A piped VM and -DestinationHost fit both VMSingleDestination and VMMultipleDestinations, and neither is the default
            # set: PowerShell's binder refuses the ambiguity. -IncludeStorage (bound, even false) belongs to the single-destination set only.
            parameters['IncludeStorage'] = False
        return parameters

    def run(self, module):
        params = self.params
        if params['storage_path'] is not None:
            return StorageMove(self, module, vm_view).run()
        self.source_name = params['hyperv_host']     # the source's FQDN once it answered (for messages)
        destination_name, destination_read = self.read_destination(module)
        compare = reads.compare_vm(self.move_parameters(destination_name), self.vm_id)
        processor_read = [] if params['processor_compatibility'] is None else [reads.vm_processor(params['name'], self.vm_id)]
        versions_read = [Command('Get-VMHostSupportedVersion')] if params['upgrade_version'] else []
        adapters_read = reads.vm_network_adapters(params['name'], self.vm_id)
        source_read = module.read([IDENTITY_COMMAND, Command('Get-VMHost'), Command('Get-VM'), compare, adapters_read] + processor_read
                                  + versions_read)
        vmhosts = source_read.of_type(HV + 'VMHost')
        names = host_identity(source_read)
        if names is not None:
            self.source_name = names.fqdn
        on_source, on_destination = self.find_vm(source_read, self.source_name), self.find_vm(destination_read, destination_name)
        self.vm_name = (on_source or on_destination or {}).get('Name') or self.vm_name
        base = dict(source=params['hyperv_host'], destination=destination_name, incompatibilities=[])
        if on_source is None:
            if on_destination is None:
                raise ModuleFailure("VM '%s' is on neither %s (the source) nor %s (the destination)" % (self.vm_name, self.source_name, destination_name),
                                    **base)
            return dict(base, changed=False, vm=vm_view(on_destination), host=destination_name, compatible=None,
                        msg="VM '%s' is already on %s" % (self.vm_name, destination_name))
        authentication_type = str(vmhosts[0].get('VirtualMachineMigrationAuthenticationType')) if vmhosts else None
        set_processor = self.processor_change(source_read, on_source, base)
        refused = compare_errors(source_read)
        if refused:
            raise self.refusal('Compare-VM', refused, authentication_type, base)
        if params['processor_compatibility'] is not None:
            base['processor_compatibility'] = params['processor_compatibility']
        found = incompatibilities_of(source_read)
        destination_versions = HostVersions(destination_read)
        upgrade = self.version_upgrade(source_read, destination_versions, on_source, base)
        base['switches'] = self.switch_changes(source_read, destination_read, on_source, destination_name, found, base)
        found = self.blocking(found, base)
        if found and upgrade is None:
            raise self.incompatible(found, on_source, destination_versions, base)
        if module.check_mode:
            if upgrade is not None:
                # Compare-VM's report is the one before the upgrade; the move is compared again once the VM is upgraded.
                return dict(base, changed=True, compatible=None, incompatibilities=found, vm=vm_view(on_source), host=destination_name,
                            msg="VM '%s' would be upgraded from configuration version %s to %s (irreversible) "
                            'and move to %s' % (self.vm_name, upgrade['from'], upgrade['to'], destination_name))
            return dict(base, changed=True, compatible=True, vm=vm_view(on_source), host=destination_name,
                        msg="VM '%s' would move to %s%s" % (self.vm_name, destination_name, self.connecting(base['switches'])))
        if set_processor is not None:
            self.run_before_move(module, set_processor, base)
        if upgrade is not None:
            on_source = self.upgrade_version(module, upgrade, destination_name, destination_versions, authentication_type, base)
        return self.move(module, destination_name, on_source, authentication_type, base)

    def incompatible(self, found, vm, destination_versions, base):
        """The failure for Compare-VM's incompatibilities; when the destination does not support the VM's version, the fix says
        whether upgrade_version would make it movable."""
        details = dict(base, compatible=False, vm=vm_view(vm), incompatibilities=found)
        listed = '; '.join(entry['message'] for entry in found)
        msg = "VM '%s' cannot move from %s to %s: %s" % (self.vm_name, self.source_name, base['destination'], listed)
        version = vm_view(vm)['version']
        if version and destination_versions.supported and not destination_versions.supports(version):
            details['fix'] = ('upgrade_version=true upgrades its configuration version %s on %s first (Update-VMVersion: irreversible, the VM '
                              'must be off), which works when %s supports the version %s upgrades VMs to; %s supports %s'
                              % (version, self.source_name, base['destination'], self.source_name, base['destination'],
                                 ', '.join(destination_versions.supported)))
            msg = explained(msg, None, details['fix'])
        return ModuleFailure(msg, **details)

    def version_upgrade(self, source_read, destination_versions, vm, base):
        """{'from', 'to'} when upgrade_version is on and the destination does not support the VM's version (None otherwise);
        refused, before anything changes, when an upgrade cannot help or the VM is not off."""
        version = vm_view(vm)['version']
        if not self.params['upgrade_version'] or not version or destination_versions.supports(version):
            return None
        source_versions = HostVersions(source_read)
        refusal = upgrade_refusal(version, source_versions, destination_versions)
        if refusal is not None:
            raise ModuleFailure("upgrade_version cannot make VM '%s' movable to %s: %s" % (self.vm_name, base['destination'], refusal),
                                vm=vm_view(vm), **base)
        state = vm_view(vm)['state']
        if state != 'Off':
            raise ModuleFailure("upgrade_version=true needs VM '%s' off: Update-VMVersion upgrades a VM that is shut down, and it is %s on %s "
                                '(configuration version %s, which %s does not support). Shut the VM down first'
                                % (self.vm_name, state, self.source_name, version, base['destination']), vm=vm_view(vm), **base)
        base['version_upgrade'] = {'from': version, 'to': source_versions.upgrade_results[-1]}
        return base['version_upgrade']

    def upgrade_version(self, module, upgrade, destination_name, destination_versions, authentication_type, base):
        """Update-VMVersion on the source, then Compare-VM again with the VM read back (its version as upgraded, in the result): the
        move goes on only when nothing else stands in its way."""
        self.run_before_move(module, Command('Update-VMVersion', {} if self.vm_id else {'Name': [self.params['name']]}), base)
        again = module.read([reads.compare_vm(self.move_parameters(destination_name), self.vm_id), Command('Get-VM')])
        errors = compare_errors(again)
        if errors:
            raise self.refusal('Compare-VM', errors, authentication_type, base)
        upgraded = self.find_vm(again, self.source_name)
        if upgraded is not None:
            upgrade['to'] = vm_view(upgraded)['version']
        found = self.blocking(incompatibilities_of(again), base)
        if found:
            failure = self.incompatible(found, upgraded or {}, destination_versions, base)
            raise ModuleFailure("VM '%s' was upgraded to configuration version %s (irreversible) but still cannot move: %s"
                                % (self.vm_name, upgrade['to'], failure.msg), **failure.details)
        return upgraded or {}

    @staticmethod
    def blocking(found, base):
        """Compare-VM's incompatibilities that stop the move: a missing switch the map connects is fixed on the report by the move."""
        if not base.get('switches'):
            return found
        return [entry for entry in found if entry['message_id'] != switch_map.MISSING_SWITCH_MESSAGE_ID]

    def switch_changes(self, source_read, destination_read, vm, destination_name, found, base):
        """[{adapter, switch, to}]: the VM's adapters whose switch the destination lacks, mapped by switch_map; a switch that is not mapped
        (or mapped to a switch the destination lacks too) fails naming the adapter, the switch and the destination's switches."""
        adapters = switch_map.vm_adapters(source_read, vm.get('Id'))
        try:
            return switch_map.plan(self.vm_name, adapters, destination_name, switch_map.switch_names(destination_read), self.params['switch_map'])
        except switch_map.SwitchMapError as exc:
            raise ModuleFailure("VM '%s' cannot move from %s to %s: %s" % (self.vm_name, self.source_name, destination_name, exc),
                                **dict(base, compatible=False, vm=vm_view(vm), incompatibilities=found))

    @staticmethod
    def connecting(changes):
        """', connecting network adapter 'A' (switch 'S') to 'T'' for a message, or ''."""
        return ''.join(", connecting network adapter '%s' (switch '%s') to '%s'" % (change['adapter'], change['switch'], change['to'])
                       for change in changes)

    def processor_change(self, source_read, vm, base):
        """The Set-VMProcessor command processor_compatibility needs (None when it is not given or already so); refused unless the VM is
        off, as Hyper-V changes processor settings only then."""
        wanted = self.params['processor_compatibility']
        if wanted is None:
            return None
        vm_id = str(vm.get('Id') or '').lower()
        settings = [item for item in source_read.of_type(HV + 'VMProcessor') if str(item.get('VMId') or '').lower() == vm_id]
        if not settings:
            errors = [error for error in source_read.errors if (error.command or '').lower() == 'get-vmprocessor']
            raise ModuleFailure("Get-VMProcessor of VM '%s' on %s returned no processor settings: %s"
                                % (self.vm_name, self.source_name, ' '.join(error.message for error in errors) or 'no output'),
                                errors=[error.to_dict() for error in errors], **base)
        current = settings[0].get('CompatibilityForMigrationEnabled')
        if isinstance(current, str):
            current = current.lower() == 'true'
        if bool(current) == wanted:
            return None
        state = vm_view(vm)['state']
        if state != 'Off':
            raise ModuleFailure("processor_compatibility=%s needs VM '%s' off: Hyper-V changes processor settings only while the VM is off, and it "
                                'is %s on %s (its setting is %s). Shut the VM down first, or leave processor_compatibility out to move it '
                                'with its current setting' % (wanted, self.vm_name, state, self.source_name, bool(current)),
                                vm=vm_view(vm), processor_compatibility=bool(current), **base)
        parameters = {} if self.vm_id else {'VMName': [self.params['name']]}
        parameters['CompatibilityForMigrationEnabled'] = wanted
        return Command('Set-VMProcessor', parameters)

    def run_before_move(self, module, command, base):
        """One change to the VM on the source that the move needs (Set-VMProcessor, Update-VMVersion); its failure ends the task."""
        try:
            module.run_steps([Step(module.session, [self.by_vm(command)], [describe(command)])])
        except StepFailed as failed:
            raise ModuleFailure("%s of VM '%s' on %s failed, so it did not move: %s"
                                % (command.name, self.vm_name, self.source_name, ' '.join(error.message for error in failed.result.errors)),
                                errors=failed.details.get('errors'), **base)

    def refusal(self, cmdlet, errors, authentication_type, base):
        why, fix = explain(errors, authentication_type, self.params['hyperv_auth'], self.params['include_storage'])
        messages = ' '.join(error.message for error in errors)
        msg = "%s of VM '%s' from %s to %s failed: %s" % (cmdlet, self.vm_name, self.source_name, base['destination'], messages)
        return ModuleFailure(explained(msg, why, fix), errors=[error.to_dict() for error in errors], why=why, fix=fix, **base)

    def move_step(self, module, destination_name, changes):
        """Move-VM; with adapters to connect, the pipeline that connects them on Compare-VM's report and moves with the report."""
        parameters = self.move_parameters(destination_name)
        command = Command('Move-VM', parameters)
        if not changes:
            return Step(module.session, [self.by_vm(command)], [describe(command)])
        statements = switch_map.move_statements(parameters, self.vm_id, changes[0]['to'])
        adapters = ', '.join("'%s'" % change['adapter'] for change in changes)
        labels = ['Connect-VMNetworkAdapter SwitchName=%s (network adapter %s, on the compatibility report of %s)'
                  % (changes[0]['to'], adapters, describe(Command('Compare-VM', parameters))),
                  'Move-VM -CompatibilityReport (%s)' % describe(command)]
        return Step(module.session, statements, labels)

    def move(self, module, destination_name, vm, authentication_type, base):
        step = self.move_step(module, destination_name, base['switches'])
        outcome = module.run_step_within(step, self.params['timeout'])
        if not outcome.finished:
            raise ModuleFailure("Move-VM of VM '%s' to %s did not finish within %d seconds; Hyper-V goes on with it on %s. Check where the VM is "
                                '(hyperv.mobility.host_info) before running the task again'
                                % (self.vm_name, destination_name, self.params['timeout'], self.source_name), **base)
        if isinstance(outcome.error, OutcomeUnknownError):
            return self.settle_unknown(module, outcome, step.labels, destination_name, base)
        if outcome.error is not None:
            message = outcome.error.message if isinstance(outcome.error, HostError) else str(outcome.error)
            raise ModuleFailure("Move-VM of VM '%s' to %s: %s" % (self.vm_name, destination_name, message), **base)
        if outcome.result.errors:
            raise self.refusal('Move-VM', outcome.result.errors, authentication_type, dict(base, incompatibilities=incompatibilities_of(outcome.result)))
        return dict(base, changed=True, compatible=True, vm=dict(vm_view(vm)), host=destination_name, duration_seconds=outcome.seconds,
                    msg="VM '%s' moved to %s in %.1f s%s" % (self.vm_name, destination_name, outcome.seconds, self.connecting(base['switches'])))

    def settle_unknown(self, module, outcome, labels, destination_name, base):
        """The connection failed while Move-VM ran: ask the destination whether the VM arrived."""
        try:
            now = module.read([Command('Get-VM')], session=self.destination_session, check=True)
        except HostError:
            raise ModuleFailure('%s; the destination could not be read afterwards, so whether the VM moved is unknown' % outcome.error.message,
                                outcome_unknown=True, **base)
        arrived = self.find_vm(now, destination_name)
        if arrived is None:
            raise ModuleFailure('%s; the VM is not on %s' % (outcome.error.message, destination_name), outcome_unknown=True, **base)
        module.journal.settle(labels)
        module.warn('The connection to the source failed during Move-VM; the destination reports the VM, so it moved.')
        return dict(base, changed=True, compatible=True, vm=vm_view(arrived), host=destination_name, duration_seconds=outcome.seconds)


ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    vm_id=dict(type='str'),
    include_storage=dict(type='bool', default=False),
    destination_storage_path=dict(type='str'),
    processor_compatibility=dict(type='bool'),
    upgrade_version=dict(type='bool', default=False),
    storage_path=dict(type='str'),
    switch_map=dict(type='dict'),
    timeout=dict(type='int', default=1800),
    # destination is optional here: storage_path moves the storage on the VM's own host instead.
    **dict(DESTINATION_ARGUMENT_SPEC, destination=dict(type='str'))
)


def main():
    HypervModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(VmMigration)


if __name__ == '__main__':
    main()
