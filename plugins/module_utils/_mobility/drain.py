# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Draining a host (host_drain): where each VM goes, and which move may start next. Pure logic, no host access.

- placement: the VMs largest first, each onto the destination with the most free memory where it fits (a running VM needs
  its assigned memory free there; a VM that is not running needs none, and is spread by the memory it would start with),
  that supports its configuration version, that has every switch its adapters are connected to or a switch_map entry for it
  (switch_map.plan), and that Compare-VM has not already refused for it; a pin names the only destination a VM may take;
- MoveSlots: the moves in flight per host, within MaximumVirtualMachineMigrations of the source and of each destination (a
  move counts on both ends, as Hyper-V counts it); which pending move may start now, largest first.
"""

import json
import os
import threading

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import switch_map as switches

MB = 1024 ** 2


class DrainVM:
    """A VM of the source as the plan sees it."""

    def __init__(self, name, vm_id, state, memory_bytes, startup_bytes, version, adapters=()):
        self.name = name
        self.vm_id = vm_id
        self.state = state
        # What the destination must hold when the VM arrives: a running (or paused) VM's assigned memory; none otherwise.
        self.memory_bytes = memory_bytes if state in ('Running', 'Paused') else 0
        self.startup_bytes = startup_bytes
        self.version = version
        self.adapters = list(adapters)      # [(adapter name, switch name or None)]

    def switch_changes(self, destination, switch_map):
        """The adapters to connect to another switch on destination (switch_map.plan); SwitchMapError when one cannot be mapped."""
        return switches.plan(self.name, self.adapters, destination.fqdn, destination.switches, switch_map)

    @property
    def size(self):
        """Largest first: what it needs now, then what it would start with."""
        return (self.memory_bytes, self.startup_bytes, self.name.lower())


class Destination:
    """A candidate host: its free memory, the VM versions it runs and its live-migration limit."""

    def __init__(self, name, fqdn, free_bytes, versions, max_moves, migration_enabled=True, switches=()):
        self.name = name
        self.fqdn = fqdn
        self.free_bytes = free_bytes
        self.versions = list(versions)
        self.max_moves = max(int(max_moves or 1), 1)
        self.migration_enabled = migration_enabled
        self.switches = list(switches)


class Unplaced:
    """Why a VM has no destination, and what to do."""

    def __init__(self, reason, fix):
        self.reason = reason
        self.fix = fix


def place(vms, destinations, pins=None, refused=None, taken=None, switch_map=None):
    """({vm_id: destination name}, {vm_id: Unplaced}) for vms.

    pins: {vm name (lower case): destination name}; refused: {vm_id: {destination names Compare-VM refused}};
    taken: {destination name: bytes already promised to placements kept from an earlier round}; switch_map: {source switch:
    destination switch} for destinations that lack a switch a VM uses.
    """
    pins, refused, taken = pins or {}, refused or {}, taken or {}
    free = dict((host.name, host.free_bytes - taken.get(host.name, 0)) for host in destinations)
    projected = dict(free)
    placed, unplaced = {}, {}
    for vm in sorted(vms, key=lambda vm: vm.size, reverse=True):
        pinned = pins.get(vm.name.lower())
        allowed = [host for host in destinations if (pinned is None or host.name == pinned) and host.name not in refused.get(vm.vm_id, ())]
        runs_it = [host for host in allowed if vm.version in host.versions]
        switch_problems = dict((host.name, _switch_problem(vm, host, switch_map)) for host in runs_it)
        connects = [host for host in runs_it if switch_problems[host.name] is None]
        fits = [host for host in connects if free[host.name] >= vm.memory_bytes]
        if not fits:
            unplaced[vm.vm_id] = _why_unplaced(vm, pinned, allowed, runs_it, free, connects, switch_problems)
            continue
        chosen = max(fits, key=lambda host: (projected[host.name], -destinations.index(host)))
        placed[vm.vm_id] = chosen.name
        free[chosen.name] -= vm.memory_bytes
        projected[chosen.name] -= max(vm.memory_bytes, vm.startup_bytes)
    return placed, unplaced


def _switch_problem(vm, host, switch_map):
    try:
        vm.switch_changes(host, switch_map)
    except switches.SwitchMapError as exc:
        return str(exc)
    return None


def _why_unplaced(vm, pinned, allowed, runs_it, free, connects, switch_problems):
    where = 'its pinned destination %s' % pinned if pinned else 'any destination'
    if not allowed:
        return Unplaced('Compare-VM found it incompatible with %s' % where,
                        'fix the incompatibilities listed for it, or add a destination it is compatible with')
    if not runs_it:
        return Unplaced('its configuration version %s is not supported by %s' % (vm.version, where),
                        'upgrade it (Update-VMVersion, while it is off) to a version the destinations support, or add a destination '
                        'running a Windows Server release that supports version %s' % vm.version)
    if not connects:
        problems = '; '.join('%s: %s' % (host.fqdn, switch_problems[host.name]) for host in runs_it)
        return Unplaced('no destination has the virtual switches it uses: %s' % problems,
                        "add a switch_map entry {'<its switch>': '<a destination switch>'}, or create a switch of that name on a destination")
    most = max(free[host.name] for host in connects)
    return Unplaced('it runs with %d MB of memory and %s has %d MB free at most' % (vm.memory_bytes // MB, where, max(most, 0) // MB),
                    'free memory on a destination, add a destination, or shut the VM down and move it off (on_off_vms: move)')


class MoveSlots:
    """The moves in flight per host, for worker threads: take() waits for a move that may start, done() frees its slots, and
    retry_later() frees them and puts the move back, to start again no sooner than its delay."""

    def __init__(self, source, source_limit, limits, moves, clock):
        """moves: [(vm, destination name)] in the order they should start; limits: {destination name: its limit}."""
        self.source = source
        self.limits = dict(limits, **{source: max(int(source_limit or 1), 1)})
        # [(vm, destination name), earliest start on clock]; a move tried again goes back to its place in the order.
        self.pending = [[move, None] for move in moves]
        self.order = dict((id(move[0]), number) for number, move in enumerate(moves))
        self.in_flight = dict((host, 0) for host in self.limits)
        self.condition = threading.Condition()
        self.clock = clock
        self.started = clock()
        self.timeline = []
        self.peak = dict((host, 0) for host in self.limits)

    def workers(self):
        """How many threads can ever move at once."""
        return max(min(self.limits[self.source], len(self.pending), sum(limit for host, limit in self.limits.items() if host != self.source)), 1) \
            if self.pending else 0

    def _startable(self, now):
        if self.in_flight[self.source] >= self.limits[self.source]:
            return None
        return next((entry for entry in self.pending
                     if (entry[1] is None or entry[1] <= now) and self.in_flight[entry[0][1]] < self.limits[entry[0][1]]), None)

    def take(self):
        """The next (vm, destination) whose hosts both have a free slot and whose retry is due (waiting for one), or None when
        nothing is left."""
        with self.condition:
            while self.pending:
                now = self.clock()
                entry = self._startable(now)
                if entry is not None:
                    self.pending.remove(entry)
                    self._count(entry[0][1], 1)
                    return entry[0]
                due = [entry[1] - now for entry in self.pending if entry[1] is not None and entry[1] > now]
                self.condition.wait(min(due) if due else None)
            return None

    def done(self, destination):
        with self.condition:
            self._count(destination, -1)
            self.condition.notify_all()

    def retry_later(self, move, delay):
        """Free the move's slots and put it back, startable again delay seconds from now."""
        with self.condition:
            self.pending.append([move, self.clock() + delay])
            self.pending.sort(key=lambda entry: self.order[id(entry[0][0])])
            self._count(move[1], -1)
            self.condition.notify_all()

    def _count(self, destination, step):
        for host in (self.source, destination):
            self.in_flight[host] += step
            self.peak[host] = max(self.peak[host], self.in_flight[host])
        self.timeline.append(dict(elapsed_seconds=round(self.clock() - self.started, 2), in_flight=self.in_flight[self.source],
                                  pending=len(self.pending)))


class ProgressFile:
    """host_drain progress_file: the drain's counts, rewritten whole (a temporary file renamed over it) as each move starts and ends,
    so a playbook that polls the running task (async_status) can show moves done / in flight / left while the task waits. None as
    path writes nothing."""

    def __init__(self, path, total):
        self.path, self.lock = path, threading.Lock()
        self.counts = dict(total=total, moved=0, failed=0, in_flight=0, left=total)
        self.last = None
        self.write()

    def started(self, label):
        self._change(label + ': moving', in_flight=1, left=-1)

    def finished(self, label, outcome):
        self._change('%s: %s' % (label, outcome), in_flight=-1, **{'moved' if outcome == 'moved' else 'failed': 1})

    def _change(self, last, **steps):
        with self.lock:
            for key, step in steps.items():
                self.counts[key] += step
            self.last = last
            self.write()

    def write(self):
        if self.path is None:
            return
        temporary = '%s.%d.tmp' % (self.path, os.getpid())
        with open(temporary, 'w', encoding='utf-8') as handle:
            json.dump(dict(self.counts, last=self.last), handle)
        os.replace(temporary, self.path)
