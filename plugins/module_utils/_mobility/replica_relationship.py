# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One VM's Hyper-V Replica relationship as the primary-side modules see it (vm_replication, vm_failover).

Pure logic, no host access:
- relationship_view: Get-VMReplication's object (and the VM's disks, DISK_STATEMENTS) -> a dict of plain, comparable values;
- explain_connection_error: why Enable-/Set-VMReplication (or -Reverse) could not reach the Replica server, in words,
  with what to do - the four documented causes (Replica server not enabled / no listener for that authentication on that
  port, listener closed by the firewall, authentication type not accepted, primary not authorized) plus an unresolvable name,
  told apart by the Windows error code in the message;
- parse_time: the DateTime values the two transports return (ISO-8601 text) and the user's start times, as aware datetimes.
"""

import datetime
import re

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command

REPLICATION_TYPE = HV + 'VMReplication'
VM_TYPE = HV + 'VirtualMachine'
DISK_TYPE = HV + 'HardDiskDrive'

# The disks of the VMs and which of them replication excludes, as top-level objects: remoting serializes at depth 1, so the
# HardDiskDrive objects inside VMReplication.ReplicatedDisks / ExcludedDisks arrive as their ToString(), without a Path.
# Both statements write HardDiskDrive objects and the output stream does not say which statement wrote one: a disk listed
# twice (attached, then among the excluded) is excluded, a disk listed once is replicated (Hyper-V's two lists split the
# VM's virtual hard disks between them).
DISK_STATEMENTS = (
    Command('Get-VMHardDiskDrive', {'VMName': '*'}),
    Command('Get-VMReplication').pipe(Command('Select-Object', {'ExpandProperty': 'ExcludedDisks'})),
)

# Get-VMReplication states (the documented enum) grouped by what a module may do next.
FAILOVER_STATES = ('FailedOverWaitingCompletion', 'FailedOver')
SUSPENDED_STATES = ('Suspended', 'ResynchronizeSuspended')
INITIAL_IN_PROGRESS_STATES = ('InitialReplicationInProgress', 'WaitingForInitialReplication')
RESYNCHRONIZE_STATES = ('WaitingForStartResynchronize',)

# Module choice -> the Replica authentication type the cmdlets accept (Enable-/Set-VMReplication -AuthenticationType,
# RecoveryAuthenticationType; Set-VMReplicationServer also takes CertificateAndKerberos).
AUTHENTICATION_NAMES = {'kerberos': 'Kerberos', 'certificate': 'Certificate'}

# The inbound firewall rules of the Replica listeners (predefined rules of the Hyper-V role), by authentication type.
LISTENER_RULES = {'kerberos': 'Hyper-V Replica HTTP Listener (TCP-In) (rule name VIRT-HVRHTTPL-In-TCP-NoScope)',
                  'certificate': 'Hyper-V Replica HTTPS Listener (TCP-In) (rule name VIRT-HVRHTTPSL-In-TCP-NoScope)'}

_TIME = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$', re.IGNORECASE)


def initial_replication_percent(state, initial_size, pending_size):
    """Percent of the initial copy sent (0-100) while it runs, else None.

    Measure-VMReplication gives, on the primary before the first replication, InitialReplicationSize (the replicated disks' files)
    and PendingReplicationSize (what of it is not sent yet: the whole size before the copy starts, then shrinking with the
    "sending initial replica" task's progress), per the VMReplicationHealth class of the Hyper-V PowerShell module.
    """
    if state != 'InitialReplicationInProgress' or not initial_size or pending_size is None:
        return None
    return max(0, min(100, int(100 * (initial_size - pending_size) // initial_size)))


def parse_time(text):
    """An ISO-8601 date and time -> an aware datetime (no zone = UTC); None for None/''; ValueError when not a time."""
    if text is None or text == '':
        return None
    if isinstance(text, datetime.datetime):
        return text if text.tzinfo else text.replace(tzinfo=datetime.timezone.utc)
    match = _TIME.match(str(text).strip())
    if not match:
        raise ValueError('%r is not an ISO-8601 date and time (for example 2026-11-23T02:00:00Z)' % (text,))
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    microsecond = int((fraction or '0')[:6].ljust(6, '0'))
    offset = datetime.timezone.utc
    if zone and zone.upper() != 'Z':
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        offset = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), microsecond, tzinfo=offset)


def iso_time(value):
    """An aware datetime as the ISO-8601 text a module returns and sends (UTC, 'Z')."""
    if value is None:
        return None
    return value.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def disks_of(result):
    """{VM id (lower case): {'replicated': [paths], 'excluded': [paths]}} from the objects of DISK_STATEMENTS."""
    seen = {}
    for disk in result.of_type(DISK_TYPE):
        path = _text(disk.get('Path'))
        if path:
            key = (str(disk.get('VMId') or '').lower(), path.lower())
            seen.setdefault(key, [path, 0])[1] += 1
    disks = {}
    for (vm_id, _unused), (path, count) in seen.items():
        entry = disks.setdefault(vm_id, {'replicated': [], 'excluded': []})
        entry['excluded' if count > 1 else 'replicated'].append(path)
    for entry in disks.values():
        entry['replicated'].sort(key=str.lower)
        entry['excluded'].sort(key=str.lower)
    return disks


def _text(value):
    return None if value is None else str(value)


def relationship_view(obj, disks=None):
    """Get-VMReplication's object (PSObjectData) -> plain values, names in the modules' vocabulary.

    disks: disks_of(result) of the same read; without it the disk lists are empty.
    """
    get = obj.get
    vm_disks = (disks or {}).get(str(get('VMId') or '').lower(), {'replicated': [], 'excluded': []})
    return {
        'vm_name': _text(get('VMName')),
        'vm_id': _text(get('VMId')),
        'mode': _text(get('ReplicationMode')),
        'state': _text(get('ReplicationState')),
        'health': _text(get('ReplicationHealth')),
        'primary_server': _text(get('PrimaryServerName')),
        'replica_server': _text(get('ReplicaServerName')),
        'replica_port': get('ReplicaServerPort'),
        'authentication': (_text(get('AuthenticationType')) or '').lower() or None,
        'certificate_thumbprint': _text(get('CertificateThumbprint')) or None,
        'frequency': get('ReplicationFrequencySec'),
        'recovery_history': get('RecoveryHistory'),
        'vss_frequency_hours': get('VSSSnapshotFrequencyHour'),
        'compression': get('CompressionEnabled'),
        'excluded_disks': list(vm_disks['excluded']),
        'replicated_disks': list(vm_disks['replicated']),
        'initial_replication_start_time': iso_time(parse_time(get('InitialReplicationStartTime'))),
        'last_replication_time': iso_time(parse_time(get('LastReplicationTime'))),
    }


def relationships_of(result):
    """{vm name (lower case): relationship_view} of every Get-VMReplication object in a pipeline result."""
    views = {}
    disks = disks_of(result)
    for obj in result.of_type(REPLICATION_TYPE):
        view = relationship_view(obj, disks)
        views[(view['vm_name'] or '').lower()] = view
    return views


def relationship_of_vm(result, vm_id):
    """relationship_view of the VM with that id in a pipeline result, None when it has none: a VM's relationship told by its id,
    since Hyper-V does not require unique VM names."""
    disks = disks_of(result)
    return next((relationship_view(obj, disks) for obj in result.of_type(REPLICATION_TYPE)
                 if str(obj.get('VMId') or '').lower() == str(vm_id or '').lower()), None)


def vm_summary(obj):
    """{'name', 'id', 'state'} of a Get-VM object."""
    return {'name': _text(obj.get('Name')) or '', 'id': _text(obj.get('Id')), 'state': _text(obj.get('State'))}


def vms_of(result):
    """{vm name (lower case): vm_summary} of every Get-VM object in a pipeline result."""
    return dict((vm['name'].lower(), vm) for vm in (vm_summary(obj) for obj in result.of_type(VM_TYPE)))


def host_fqdn(result):
    """The host's FQDN from a result that ran host_identity.IDENTITY_COMMAND (None when it returned nothing)."""
    identity = host_identity(result)
    return identity.fqdn if identity else None


def same_server(one, other):
    """Whether two names designate the same server: equal, or one is the short name of the other's FQDN.

    Hyper-V keeps the Replica server name as it was given; 'hv02' and 'hv02.corp.example.com' are one server.
    """
    if not one or not other:
        return False
    one, other = one.strip().lower().rstrip('.'), other.strip().lower().rstrip('.')
    if one == other:
        return True
    if '.' in one and '.' in other:
        return False
    return one.split('.', 1)[0] == other.split('.', 1)[0]


# ---- connection errors ----------------------------------------------------------------------------------------
class Explanation:
    """Why the Replica server refused or could not be reached, and what to do."""

    def __init__(self, cause, why, fix):
        self.cause = cause
        self.why = why
        self.fix = fix

    def to_dict(self):
        return {'cause': self.cause, 'why': self.why, 'fix': self.fix}


# Windows error codes a failed authentication quotes (SSPI and certificate lookups): the target is unknown, the function is
# not supported (the other authentication's listener), no credentials, logon denied, no authority, no such certificate.
AUTHENTICATION_CODES = ('0X80090303', '0X80090302', '0X8009030E', '0X8009030C', '0X80090311', '0X80092004')
ACCESS_DENIED_CODE = '0X80070005'


def explain_connection_error(message, replica_server, port, authentication, primary_fqdn):
    """An Explanation for an error record of Enable-/Set-VMReplication or Test-VMReplicationConnection, or None.

    Matched on the Windows error codes Hyper-V quotes in the message, never on localisable prose, and never on the error
    category: Hyper-V maps a failed replication job to OperationFailed / NotSpecified whatever the cause.
    """
    text = (message or '').upper()
    authentication = (authentication or 'kerberos').lower()
    if '0X00002EE7' in text:
        return Explanation('name_not_resolved', "the Replica server name '%s' could not be resolved" % replica_server,
                           'check replica_server (DNS name or address of the Replica server)')
    if '0X00002EE2' in text:
        return Explanation('firewall', 'the connection to %s port %s timed out: the inbound firewall rule of the Replica listener '
                                       'is not enabled on the Replica server' % (replica_server, port),
                           'enable the rule %s on %s (hyperv.mobility.replica_server does it by its name)'
                           % (LISTENER_RULES.get(authentication, LISTENER_RULES['kerberos']), replica_server))
    if '0X00002EFD' in text:
        return Explanation('replica_not_enabled', 'nothing on %s accepts Hyper-V Replica connections on port %s: it is not enabled as '
                                                  'a Replica server, or not for %s authentication on that port' % (replica_server, port, authentication),
                           'enable the Replica server with %s authentication on port %s (hyperv.mobility.replica_server), or give the '
                           'port it listens on in replica_port' % (authentication, port))
    if any(code in text for code in AUTHENTICATION_CODES):
        return Explanation('authentication', 'the Replica server %s does not accept %s authentication on port %s, or authentication '
                                             'failed' % (replica_server, authentication, port),
                           'use an authentication type and port the Replica server allows (Kerberos needs both servers in the same or '
                           'trusted domains; certificate needs certificate_thumbprint of a valid certificate on this host)')
    if ACCESS_DENIED_CODE in text:
        return Explanation('not_authorized', 'the Replica server %s does not authorize the primary server %s' % (replica_server, primary_fqdn),
                           'add an authorization entry for %s on %s (or allow any authenticated server with a default storage '
                           'location) with hyperv.mobility.replica_server' % (primary_fqdn, replica_server))
    return None
