# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The option checks several modules share (issue 21 classes 1, 2 and 8), in one place: each raises OptionError naming the
option and what it accepts, and none does I/O, so a module calls them from Resource.validate(), before the first request.

Control characters in any text option are refused for every module by the AnsibleModule itself (ansible_module.py).
"""

import re
import uuid

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import ModuleFailure, OptionError, check_range

# A certificate thumbprint as Hyper-V takes it (-CertificateThumbprint): the SHA-1 hash of the certificate, 40 hex digits.
THUMBPRINT = re.compile(r'^[0-9A-F]{40}$')

# Documented limits (the decompiled Hyper-V module's [ValidateRange] on Enable-/Set-VMReplication, the cmdlets' pages).
RECOVERY_HISTORY_RANGE = (0, 24)             # -RecoveryHistory: up to 24 additional recovery points
APP_CONSISTENT_HOURS_RANGE = (1, 12)         # -VSSSnapshotFrequencyHour [ValidateRange(1, 12)]; 0 = off (the module's way to say it)
TCP_PORT_RANGE = (1, 65535)


def normalize_thumbprint(text):
    """The thumbprint as Hyper-V reports it: no white space, upper case (the certificate MMC shows it spaced, lower case)."""
    return re.sub(r'\s', '', text).upper() if text else None


def check_thumbprint(option, text):
    """The thumbprint of option normalised (None when not given); OptionError unless it is 40 hex digits."""
    thumbprint = normalize_thumbprint(text)
    if thumbprint is not None and not THUMBPRINT.match(thumbprint):
        raise OptionError('%s must be 40 hexadecimal characters (a SHA-1 certificate thumbprint; spaces are ignored), got %r' % (option, text))
    return thumbprint


def check_port(option, value):
    check_range(option, value, TCP_PORT_RANGE[0], TCP_PORT_RANGE[1], ' (a TCP port)')


def check_vm_id(option, text):
    """A VM id (Get-VM -Id takes a Guid) in the form Hyper-V reports it (lower case, with hyphens), or None."""
    if text is None:
        return None
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise OptionError('%s must be a VM id, a GUID such as 0f8fad5b-d9cb-469f-a165-70867728950e (Get-VM | Select-Object Name, Id), '
                          'got %r' % (option, text))


def host_names_match(first, second):
    """Whether two names given for hosts name the same host: equal ignoring case and a trailing dot, or one is the short
    name (first label) of the other FQDN (hv01 and hv01.corp.example.com). Addresses compare as text."""
    first, second = (str(name or '').strip().rstrip('.').rstrip('$').lower() for name in (first, second))
    if not first or not second:
        return False
    if first == second:
        return True
    if re.match(r'^[0-9.:\[\]]+$', first) or re.match(r'^[0-9.:\[\]]+$', second):
        return False
    short, long_name = sorted((first, second), key=len)
    return '.' not in short and long_name.split('.')[0] == short


def refuse_same_host(option, value, other_option, other):
    """OptionError when option names the host other_option names ("same host")."""
    if host_names_match(value, other):
        raise OptionError('%s %r and %s %r are the same host: a host cannot be its own %s' % (option, value, other_option, other, option))


# ---- a folder on a Windows host ------------------------------------------------------------------------------------------
# A host's cmdlets resolve a relative path against the remote session's current location (the Hyper-V module's
# NormalizeMoveOrCompareVMParameters), which a task cannot see: only an absolute path (drive letter or UNC share) means one
# folder. '"', '<', '>', '|' and the control characters are never part of a Windows path; '?' and '*' are wildcards.
_WINDOWS_FOLDER = re.compile(r'^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+)')
_NOT_IN_A_PATH = re.compile(r'[\x00-\x1f\x7f"<>|?*]')


def check_windows_folder(option, path):
    """An absolute folder path on a Windows host (D:\\VMs\\web or \\\\server\\share\\web), else OptionError naming the option."""
    bad = _NOT_IN_A_PATH.search(path)
    if bad:
        raise OptionError('%s %r holds %r, which no Windows path holds (control characters, newlines, " < > | ? *)' % (option, path, bad.group()))
    if not _WINDOWS_FOLDER.match(path) or ':' in path[2:]:
        raise OptionError('%s must be an absolute folder path on the host, a drive letter (D:\\VMs\\web) or a UNC share '
                          '(\\\\server\\share\\web), got %r: a relative path would be resolved against the remote session\'s '
                          'current folder' % (option, path))


# ---- which VM a task means (issue 21 class 2) ------------------------------------------------------------------------------
# Hyper-V does not require unique VM names, so a name can mean several VMs; the id (Get-VM -Id, a Guid) always means one.
# Wildcard characters: the cmdlets' pages say the -Name / -VMName of Move-VM, Compare-VM, Start-VM and the replication cmdlets
# take no wildcards, but Get-VM's -Name does and the Hyper-V module resolves names for several cmdlets through the same
# lookup, so a '*', '?' or '[' cannot be relied on to be literal: a module that changes a VM refuses them in a name, and such
# a VM is given by vm_id.
WILDCARD_CHARACTERS = '*?['


def check_vm_name_or_id(params, name='name', vm_id='vm_id'):
    """Exactly one of the VM's name and id; the id normalised (None when the name is given)."""
    if (params.get(name) is None) == (params.get(vm_id) is None):
        raise OptionError("give either %s (the VM's name) or %s (its id, for a name several VMs share), not %s"
                          % (name, vm_id, 'both' if params.get(name) is not None else 'neither'))
    if params.get(name) is not None:
        check_vm_name(name, params[name], 'give the VM by %s (Get-VM | Select-Object Name, Id) instead' % vm_id)
    return check_vm_id(vm_id, params.get(vm_id))


def check_vm_name(option, name, instead='rename the VM'):
    """A name that means one VM: not empty, no wildcard character."""
    if not name.strip():
        raise OptionError('%s must be a VM name, got an empty string' % option)
    wildcards = sorted(set(WILDCARD_CHARACTERS) & set(name))
    if wildcards:
        raise OptionError('%s %r holds the wildcard character(s) %s: a name here means one VM, never a pattern; %s'
                          % (option, name, ' '.join(wildcards), instead))


def vm_label(vm):
    """'web01 (id 0f8f...)' for a Get-VM object."""
    return '%s (id %s)' % (vm.get('Name'), str(vm.get('Id') or '').lower())


def find_one_vm(vms, name, vm_id, where):
    """The one Get-VM object of vms the task means (by id, or by name ignoring case), None when there is none; ModuleFailure
    naming every match with its id when a name matches several VMs (nothing has been changed yet)."""
    if vm_id is not None:
        found = [vm for vm in vms if str(vm.get('Id') or '').lower() == vm_id]
    else:
        found = [vm for vm in vms if str(vm.get('Name') or '').lower() == name.lower()]
    if len(found) > 1:
        raise ModuleFailure("VM name '%s' matches %d VMs on %s: %s. Hyper-V does not require unique names: give the one you mean "
                            'by vm_id' % (name, len(found), where, ', '.join(vm_label(vm) for vm in found)),
                            vms=[dict(name=vm.get('Name'), id=str(vm.get('Id') or '').lower()) for vm in found])
    return found[0] if found else None
