#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: vm_replication_info
short_description: State, health and statistics of Hyper-V Replica relationships on a host
version_added: 0.1.0
description:
  - Reads the Hyper-V Replica relationships of one virtual machine, or of every replication-enabled virtual machine of the host,
    with C(Get-VMReplication) and C(Measure-VMReplication) in one pipeline.
  - Works on either side of a relationship; RV(replications[].mode) says whether the host holds the primary or the Replica VM.
  - Explains every health problem in words and classifies it the way Microsoft's Site Recovery architecture guide classifies
    replication errors. C(administrator) - not retried, an administrator must act (broken virtual hard disk chain, invalid
    Replica VM state, authentication or authorization failure, Replica VM not found; also replication suspended or an initial
    replication never started). C(retried) - Hyper-V retries by itself, with an exponential back-off (network errors, low
    disk space, low memory). C(resynchronization) - the VM is marked for resynchronization (for example the change log grew
    past half the size of the disk) or is resynchronizing.
  - Read-only; never changes the host.
options:
  name:
    description:
      - Name of the virtual machine. Wildcards (C(*)) select several; without it every replication-enabled VM of the host is read.
      - A name without wildcards that matches no VM on the host is an error. A VM that exists but has no replication is listed
        in RV(not_replicated).
      - Hyper-V does not require unique VM names; VMs that share the name are each listed, told apart by RV(replications[].vm_id).
      - Mutually exclusive with O(vm_id).
    type: str
    aliases: [vm_name]
  vm_id:
    description:
      - Id of the virtual machine, a GUID as C(Get-VM | Select-Object Name, Id) shows it. Reads the relationships of exactly
        that VM, whatever its name. An id no VM of the host has is an error; the VM without replication is listed in
        RV(not_replicated).
      - Mutually exclusive with O(name).
    type: str
    version_added: 0.1.0
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.host_group
seealso:
  - module: hyperv.mobility.vm_replication
  - module: hyperv.mobility.replica_server
  - name: Hyper-V to Azure replication architecture (retry process, resynchronization)
    description: The classification of replication errors used by RV(replications[].problems).
    link: https://learn.microsoft.com/azure/site-recovery/hyper-v-azure-architecture
author:
  - hyperv.mobility contributors (@hyperv-mobility)
'''

EXAMPLES = r'''
- name: Health of one replicated VM
  hyperv.mobility.vm_replication_info:
    name: web01
  register: web01_replication

- name: Fail when a relationship needs an administrator
  ansible.builtin.assert:
    that: web01_replication.summary.needs_administrator | length == 0
    fail_msg: "{{ web01_replication.replications | map(attribute='problems') | flatten | map(attribute='explanation') | list }}"

- name: Every relationship of the host, waiting until all are healthy
  hyperv.mobility.vm_replication_info:
  register: all_replication
  until: all_replication.summary.healthy
  retries: 10
  delay: 30
'''

RETURN = r'''
replications:
  description: One entry per replication relationship found, sorted by VM name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name.
      type: str
      sample: web01
    vm_id:
      description: VM id (GUID).
      type: str
      sample: 0f8fad5b-d9cb-469f-a165-70867728950e
    mode:
      description: C(Primary), C(Replica), C(TestReplica) or C(ExtendedReplica) (ReplicationMode).
      type: str
      sample: Primary
    state:
      description: Hyper-V's replication state (ReplicationState), e.g. C(Replicating), C(InitialReplicationInProgress), C(Error).
      type: str
      sample: Replicating
    health:
      description: C(Normal), C(Warning), C(Critical) or C(NotApplicable) (ReplicationHealth).
      type: str
      sample: Normal
    relationship_type:
      description: C(Simple) or C(Extended).
      type: str
      sample: Simple
    primary_server:
      description: Primary server name.
      type: str
      sample: hv01.corp.example.com
    replica_server:
      description: Replica server name.
      type: str
      sample: hv02.corp.example.com
    replica_port:
      description: Replica server port.
      type: int
      sample: 80
    authentication:
      description: C(Kerberos) or C(Certificate).
      type: str
      sample: Kerberos
    frequency_sec:
      description: Replication frequency in seconds.
      type: int
      sample: 300
    recovery_history:
      description: Additional recovery points kept.
      type: int
      sample: 0
    vss_snapshot_frequency_hour:
      description: Application-consistent snapshot frequency in hours (0 = none).
      type: int
      sample: 0
    compression:
      description: Whether replication traffic is compressed.
      type: bool
      sample: true
    auto_resynchronize:
      description: Whether resynchronization starts automatically (in its time window).
      type: bool
      sample: true
    replicated_disks:
      description: Paths of the replicated virtual disks.
      type: list
      elements: str
      sample: ['C:\VMs\web01\web01.vhdx']
    excluded_disks:
      description: Paths of the virtual disks excluded from replication.
      type: list
      elements: str
      sample: []
    last_replication_time:
      description: When changes last reached the Replica server (ISO-8601), V(null) before the first replication.
      type: str
      sample: '2026-11-22T00:10:00+00:00'
    initial_replication_start_time:
      description: Scheduled start of the initial replication (ISO-8601), V(null) when none is scheduled.
      type: str
      sample: null
    statistics:
      description: Measure-VMReplication over the Replica server's monitoring window.
      type: dict
      contains:
        initial_replication_size:
          description: On the primary before the first replication, bytes the initial copy sends (the replicated disks' files); 0 after it.
          type: int
          sample: 42949672960
        pending_replication_size:
          description: Bytes not replicated yet (before the first replication, what the initial copy has not sent yet).
          type: int
          sample: 0
        average_replication_latency_sec:
          description: Average time to send a change log, in seconds.
          type: float
          sample: 2.0
        average_replication_size:
          description: Average bytes per replication cycle.
          type: int
          sample: 4194304
        maximum_replication_size:
          description: Largest cycle in bytes.
          type: int
          sample: 8388608
        successful_replication_count:
          description: Successful cycles.
          type: int
          sample: 12
        missed_replication_count:
          description: Missed cycles.
          type: int
          sample: 0
        replication_errors:
          description: Errors.
          type: int
          sample: 0
        monitoring_start_time:
          description: Start of the monitoring window (ISO-8601).
          type: str
        monitoring_end_time:
          description: End of the monitoring window (ISO-8601).
          type: str
    initial_replication_percent:
      description:
        - How much of the initial copy was sent (0 to 100) while the initial replication runs (C(InitialReplicationInProgress)),
          from RV(replications[].statistics.initial_replication_size) and RV(replications[].statistics.pending_replication_size).
        - V(null) in every other state.
      type: int
      sample: 45
    health_details:
      description: Hyper-V's own health messages (ReplicationHealthDetails), as text.
      type: list
      elements: str
      sample: []
    problems:
      description: Each health problem explained, worst first; empty when the relationship is healthy.
      type: list
      elements: dict
      contains:
        reason:
          description:
            - C(vhd_chain), C(invalid_replica_state), C(authentication), C(authorization), C(vm_not_found), C(network),
              C(disk_space), C(memory), C(resynchronization_required), C(resynchronizing), C(resynchronization_suspended),
              C(suspended), C(initial_replication_not_started), C(initial_replication_import_pending), C(error_unknown) or
              C(warning_unknown).
          type: str
          sample: network
        classification:
          description: C(administrator) (not retried), C(retried) (Hyper-V retries by itself) or C(resynchronization).
          type: str
          sample: retried
        explanation:
          description: What the problem means.
          type: str
        action:
          description: What to do about it.
          type: str
        detail:
          description: The health message the problem was read from, if any.
          type: str
    needs:
      description: The worst classification among RV(replications[].problems), or V(null) when there is none.
      type: str
      sample: null
not_replicated:
  description: VMs selected by O(name) that exist but have no replication relationship.
  returned: always
  type: list
  elements: str
  sample: []
summary:
  description: Counts and the VMs that need attention, by classification.
  returned: always
  type: dict
  contains:
    count:
      description: Number of relationships read.
      type: int
    healthy:
      description: Whether every relationship is C(Normal) and has no problem (V(true) when there are none).
      type: bool
    health:
      description: Number of relationships per health value.
      type: dict
      sample: {Normal: 2, Warning: 1}
    needs_administrator:
      description: VMs with a problem that an administrator must fix.
      type: list
      elements: str
    resynchronization:
      description: VMs that need or are in resynchronization.
      type: list
      elements: str
    retried:
      description: VMs with errors that Hyper-V retries by itself.
      type: list
      elements: str
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    HypervModule, InfoResource, ModuleFailure, OptionError, describe_errors)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import check_vm_id
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import (
    disks_of, initial_replication_percent)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replication_health import (
    ADMINISTRATOR, RESYNCHRONIZATION, RETRIED, classify, verdict)

REPLICATION_TYPE = HV + 'VMReplication'
HEALTH_TYPE = HV + 'VMReplicationHealth'
VM_TYPE = HV + 'VirtualMachine'


read_commands = reads.replication_info


def _text(value):
    return None if value is None else str(value)


def _int(value):
    return None if value is None else int(value)


def _detail_text(detail):
    """ReplicationHealthDetails items are messages; objects (real hosts' event records) carry them in Message."""
    if isinstance(detail, dict):
        return str(detail.get('Message') or detail.get('Description') or detail)
    return str(detail)


def statistics_of(measure):
    if measure is None:
        return None
    latency = measure.get('AverageReplicationLatency')
    return {
        'initial_replication_size': _int(measure.get('InitialReplicationSize')),
        'pending_replication_size': _int(measure.get('PendingReplicationSize')),
        'average_replication_latency_sec': None if latency is None else float(latency),
        'average_replication_size': _int(measure.get('AverageReplicationSize')),
        'maximum_replication_size': _int(measure.get('MaximumReplicationSize')),
        'successful_replication_count': _int(measure.get('SuccessfulReplicationCount')),
        'missed_replication_count': _int(measure.get('MissedReplicationCount')),
        'replication_errors': _int(measure.get('ReplicationErrors')),
        'monitoring_start_time': _text(measure.get('MonitoringStartTime')),
        'monitoring_end_time': _text(measure.get('MonitoringEndTime')),
    }


def relationship_of(replication, measure, disks=None):
    """One entry of the result from a VMReplication object, its VMReplicationHealth object (may be None) and disks_of()."""
    details = [_detail_text(item) for item in (measure.get('ReplicationHealthDetails') if measure else None) or []]
    state, health = _text(replication.get('ReplicationState')), _text(replication.get('ReplicationHealth'))
    problems = classify(state, health, details)
    statistics = statistics_of(measure)
    vm_disks = (disks or {}).get(str(replication.get('VMId') or '').lower(), {'replicated': [], 'excluded': []})
    return {
        'name': replication.get('VMName'),
        'vm_id': _text(replication.get('VMId')),
        'mode': _text(replication.get('ReplicationMode')),
        'state': state,
        'health': health,
        'relationship_type': _text(replication.get('ReplicationRelationshipType')),
        'primary_server': replication.get('PrimaryServerName'),
        'replica_server': replication.get('ReplicaServerName'),
        'replica_port': _int(replication.get('ReplicaServerPort')),
        'authentication': _text(replication.get('AuthenticationType')),
        'frequency_sec': _int(replication.get('ReplicationFrequencySec')),
        'recovery_history': _int(replication.get('RecoveryHistory')),
        'vss_snapshot_frequency_hour': _int(replication.get('VSSSnapshotFrequencyHour')),
        'compression': replication.get('CompressionEnabled'),
        'auto_resynchronize': replication.get('AutoResynchronizeEnabled'),
        'replicated_disks': vm_disks['replicated'],
        'excluded_disks': vm_disks['excluded'],
        'last_replication_time': _text(replication.get('LastReplicationTime')),
        'initial_replication_start_time': _text(replication.get('InitialReplicationStartTime')),
        'statistics': statistics,
        'initial_replication_percent': initial_replication_percent(state, (statistics or {}).get('initial_replication_size'),
                                                                   (statistics or {}).get('pending_replication_size')),
        'health_details': details,
        'problems': [problem.to_dict() for problem in problems],
        'needs': verdict(problems),
    }


def summarize(replications):
    health = {}
    for entry in replications:
        health[entry['health']] = health.get(entry['health'], 0) + 1

    def needing(classification):
        return sorted(set(entry['name'] for entry in replications
                          if any(problem['classification'] == classification for problem in entry['problems'])))

    return {
        'count': len(replications),
        'healthy': all(entry['health'] == 'Normal' and not entry['problems'] for entry in replications),
        'health': health,
        'needs_administrator': needing(ADMINISTRATOR),
        'resynchronization': needing(RESYNCHRONIZATION),
        'retried': needing(RETRIED),
    }


class ReplicationReport:
    """The read pipeline's result turned into the module's result, or the reason it cannot be."""

    def __init__(self, name, result, vm_id=None):
        self.name = name
        self.vm_id = vm_id
        self.result = result

    def unknown_vm_errors(self):
        """Get-VM's errors: the named VM (or the VM of vm_id) is not on the host (only asked for a name without wildcards, or an id)."""
        if self.name is None and self.vm_id is None:
            return []
        return self.result.errors_of('Get-VM')

    def of_the_vm(self, items, key):
        """items (replication or VM objects) of the VM of vm_id (all of them when the task gave no id)."""
        return [item for item in items if self.vm_id is None or str(item.get(key) or '').lower() == self.vm_id]

    def blocking_errors(self):
        """Errors other than 'replication is not enabled' for a VM that exists (that one is an answer, not a failure)."""
        vm_names = set(item.get('Name', '').lower() for item in self.result.of_type(VM_TYPE))
        blocking = []
        for error in self.result.errors:
            # A record without invocation info (a binding error of a statement of several) names no command.
            if (error.command or '').lower() == 'get-vm':
                continue
            if error.category == 'InvalidOperation' and self.name is not None and self.name.lower() in vm_names:
                continue
            blocking.append(error)
        return blocking

    def not_replicated(self):
        if self.vm_id is not None:
            replicated_ids = set(str(item.get('VMId') or '').lower() for item in self.result.of_type(REPLICATION_TYPE))
            return sorted(item.get('Name') for item in self.of_the_vm(self.result.of_type(VM_TYPE), 'Id') if self.vm_id not in replicated_ids)
        replicated = set(item.get('VMName', '').lower() for item in self.result.of_type(REPLICATION_TYPE))
        return sorted(item.get('Name') for item in self.result.of_type(VM_TYPE) if item.get('Name', '').lower() not in replicated)

    def replications(self):
        measures = dict((item.get('VMId'), item) for item in self.result.of_type(HEALTH_TYPE))
        disks = disks_of(self.result)
        entries = [relationship_of(item, measures.get(item.get('VMId')), disks)
                   for item in self.of_the_vm(self.result.of_type(REPLICATION_TYPE), 'VMId')]
        return sorted(entries, key=lambda entry: ((entry['name'] or '').lower(), entry['mode'] or ''))

    def as_result(self):
        replications = self.replications()
        return {'replications': replications, 'not_replicated': self.not_replicated(), 'summary': summarize(replications)}


class ReplicationInfo(InfoResource):
    """Replication of one VM (a name, wildcards allowed, or an id) or of every replication-enabled VM, in one read pipeline."""

    vm_id = None  # the vm_id option, normalised by validate()

    def validate(self):
        name = self.params['name']
        if name is not None and not name.strip():
            raise OptionError('name must be a VM name (wildcards allowed) or left out to read every replication-enabled VM; got an empty string')
        self.vm_id = check_vm_id('vm_id', self.params['vm_id'])

    def read_commands(self):
        return read_commands(self.params['name'], self.vm_id)

    def report(self, result):
        return ReplicationReport(self.params['name'], result, self.vm_id)

    def refuse(self, result, host):
        unknown = self.report(result).unknown_vm_errors()
        if unknown:
            which = "named '%s'" % self.params['name'] if self.vm_id is None else 'with id %s' % self.vm_id
            raise ModuleFailure('%s: no virtual machine %s on this host (%s)' % (host, which, describe_errors(unknown)),
                                errors=[error.to_dict() for error in unknown], host=host)
        super().refuse(result, host)

    def failures(self, result):
        return self.report(result).blocking_errors()

    def facts(self, result):
        return self.report(result).as_result()


def main():
    HypervModule(argument_spec=dict(name=dict(type='str', aliases=['vm_name']), vm_id=dict(type='str')), supports_check_mode=True,
                 mutually_exclusive=[('name', 'vm_id')]).execute(ReplicationInfo)


if __name__ == '__main__':
    main()
