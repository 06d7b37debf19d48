# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What is wrong with a Hyper-V Replica relationship, in words, and who or what will fix it.

Pure logic (no host access): the input is what Get-VMReplication and Measure-VMReplication report for one VM
(replication state, health, mode and the health detail messages); the output is a list of problems, each classified
the way Microsoft's Site Recovery architecture page ("Hyper-V to Azure replication architecture", retry process and
resynchronization sections) classifies replication errors:

- ``administrator`` - non-recoverable errors: no retry, the VM's health is Critical and an administrator must act
  (broken virtual hard disk chain, invalid state of the Replica VM, network authentication errors, authorization
  errors, Replica VM not found on a standalone Hyper-V server);
- ``retried`` - recoverable errors: Hyper-V retries every replication interval with an exponential back-off
  (1, 2, 4, 8 and 10 minutes from the first attempt, then every 30 minutes) - network errors, low disk space,
  low memory;
- ``resynchronization`` - the VM is marked for resynchronization (for example the replication log reached 50% of
  the disk's size); by default it runs automatically outside business hours, or an administrator starts it now
  (Resume-VMReplication -Resynchronize).

A relationship may also need an administrator for reasons that are states rather than errors (replication suspended,
initial replication never started, an exported initial copy waiting for import); they are reported the same way so
that a playbook has one list to act on.
"""


import re

ADMINISTRATOR = 'administrator'
RETRIED = 'retried'
RESYNCHRONIZATION = 'resynchronization'

# Worst first: the overall verdict of a VM is the worst class among its problems.
SEVERITY = (ADMINISTRATOR, RESYNCHRONIZATION, RETRIED)

RETRY_SCHEDULE = ('Hyper-V retries at every replication interval with an exponential back-off (1, 2, 4, 8 and 10 minutes '
                  'after the first attempt), then every 30 minutes while the error persists.')


class Reason:
    """One known cause: its key, class, what it means and what to do."""

    def __init__(self, key, classification, explanation, action):
        self.key = key
        self.classification = classification
        self.explanation = explanation
        self.action = action


REASONS = dict((reason.key, reason) for reason in (
    Reason('vhd_chain', ADMINISTRATOR, 'The virtual hard disk chain of the Replica virtual machine is broken.',
           'Repair or restore the Replica VM\'s disks (or remove replication and enable it again), then resume replication.'),
    Reason('invalid_replica_state', ADMINISTRATOR, 'The Replica virtual machine is in a state that does not accept replication '
                                                   '(for example it was failed over or is not a replica).',
           'Bring the Replica VM back to a replica state (complete or cancel the failover) or recreate the relationship, '
           'then resume replication.'),
    Reason('authentication', ADMINISTRATOR, 'The primary server could not authenticate with the Replica server.',
           'Check the authentication type and port against the Replica server (Kerberos needs the same or trusted domains; '
           'certificates must be valid on both servers), then resume replication.'),
    Reason('authorization', ADMINISTRATOR, 'The primary server is not authorized on the Replica server.',
           'Add an authorization entry for the primary server on the Replica server (or allow any authenticated server), '
           'then resume replication.'),
    Reason('vm_not_found', ADMINISTRATOR, 'The Replica virtual machine was not found on the Replica server.',
           'Recreate the Replica VM (remove replication and enable it again with initial replication).'),
    Reason('network', RETRIED, 'A network error interrupted replication to the Replica server.',
           'Nothing, unless it persists: then check the network path, DNS and the Replica server\'s listener firewall rule.'),
    Reason('disk_space', RETRIED, 'There is not enough free disk space for the replication log or the replica.',
           'Nothing, unless it persists: then free disk space on the primary or Replica storage.'),
    Reason('memory', RETRIED, 'There is not enough memory to process replication.',
           'Nothing, unless it persists: then free memory on the host.'),
    Reason('resynchronization_required', RESYNCHRONIZATION,
           'Delta replication cannot continue (for example the replication log grew past half the size of the virtual disk); '
           'the VM is marked for resynchronization.',
           'Wait for the automatic resynchronization window (outside business hours by default), or start it now with '
           'Resume-VMReplication -Resynchronize.'),
    Reason('resynchronizing', RESYNCHRONIZATION, 'Resynchronization is running: only the differing blocks are sent.',
           'Nothing: delta replication resumes when it finishes.'),
    Reason('resynchronization_suspended', RESYNCHRONIZATION, 'Resynchronization was started and then suspended.',
           'Resume it with Resume-VMReplication -Resynchronize -Continue (or -Resynchronize to start over).'),
    Reason('suspended', ADMINISTRATOR, 'Replication is suspended; changes are queued and sent when it resumes.',
           'Resume replication with Resume-VMReplication.'),
    Reason('initial_replication_not_started', ADMINISTRATOR, 'Replication is enabled but the initial copy was never started.',
           'Start the initial replication (Start-VMInitialReplication), now or at a scheduled time.'),
    Reason('initial_replication_import_pending', ADMINISTRATOR,
           'The initial copy was exported to external media and waits to be imported on the Replica server.',
           'Import the initial copy on the Replica server (Import-VMInitialReplication).'),
    Reason('error_unknown', ADMINISTRATOR, 'Replication stopped with an error Hyper-V does not retry.',
           'Read the health details, correct the cause, then resume replication.'),
    Reason('warning_unknown', RETRIED, 'Replication is behind or had transient errors; Hyper-V keeps replicating.',
           'Nothing, unless the warning persists: then read the health details and the Hyper-V-VMMS event log.'),
))

# Health detail text -> reason, most specific first. Matched case-insensitively against each message.
DETAIL_PATTERNS = (
    ('vhd_chain', re.compile(r'(disk|vhd|vhdx)\b.*\bchain|chain\b.*\b(broken|corrupt)')),
    ('resynchronization_required', re.compile(r'resynchroni[sz]')),
    ('authorization', re.compile(r'not authori[sz]ed|authori[sz]ation')),
    ('authentication', re.compile(r'authenticat|certificate|kerberos')),
    ('vm_not_found', re.compile(r'(virtual machine|\bvm\b).*(not found|could not (be )?f(i|ou)nd|does not exist)')),
    ('invalid_replica_state', re.compile(r'state that does not accept|invalid state|not in a valid state')),
    ('disk_space', re.compile(r'disk space|not enough (free )?space|disk (is )?full')),
    ('memory', re.compile(r'memory')),
    ('network', re.compile(r'network|connect|timed out|unreachable|resolve')),
)

QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")

# Replication states that are a problem in themselves.
STATE_REASONS = {
    'WaitingForStartResynchronize': 'resynchronization_required',
    'Resynchronizing': 'resynchronizing',
    'ResynchronizeSuspended': 'resynchronization_suspended',
    'Suspended': 'suspended',
    'ReadyForInitialReplication': 'initial_replication_not_started',
    'WaitingForInitialReplication': 'initial_replication_import_pending',
}


def reason_of_detail(message):
    """The reason key a health detail message names, or None."""
    # Quoted names (VMs, servers) are the user's words, not Hyper-V's: a VM called 'network-gw' says nothing about the network.
    text = QUOTED.sub("''", message or '').lower()
    for key, pattern in DETAIL_PATTERNS:
        if pattern.search(text):
            return key
    return None


class Problem:
    """One problem of a relationship, ready for a module result."""

    def __init__(self, reason, detail=None):
        self.reason = reason
        self.detail = detail

    def to_dict(self):
        return {'reason': self.reason.key, 'classification': self.reason.classification, 'explanation': self.reason.explanation,
                'action': self.reason.action, 'detail': self.detail}


def classify(state, health, health_details=None):
    """Problems of one relationship (a list of Problem, worst first) from its state, health and health detail messages."""
    problems = []
    seen = set()

    def add(key, detail=None):
        if key not in seen:
            seen.add(key)
            problems.append(Problem(REASONS[key], detail))

    if state in STATE_REASONS:
        add(STATE_REASONS[state])
    for message in health_details or []:
        key = reason_of_detail(message)
        if key is not None:
            add(key, message)
    if not problems:
        if state == 'Error' or health == 'Critical':
            add('error_unknown', _first(health_details))
        elif health == 'Warning':
            add('warning_unknown', _first(health_details))
    problems.sort(key=lambda problem: SEVERITY.index(problem.reason.classification))
    return problems


def verdict(problems):
    """The worst classification among problems ('administrator', 'resynchronization', 'retried'), or None."""
    return problems[0].reason.classification if problems else None


def _first(messages):
    return messages[0] if messages else None
