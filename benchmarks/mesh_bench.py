# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 2 of `make bench`: playbooks/live_migration.yml on meshes of N lab hosts, for each fork count and lab latency.

Every run starts from the lab's first state (no delegation in the DC, the hosts' original live migration settings) and is
measured on the controller (wall, CPU of ansible-playbook and everything it reaped, peak RSS), in the lab (WSMan requests
and pipelines per host) and in the DC (committed LDAP writes). A run predicted to take longer than the per-run limit is
not started: its estimate is printed and written instead. At each size the same playbook also runs on a ring (each host
checks one direction, live_migration_mesh_pairs), which costs N directions instead of N·(N−1): it separates what each host
costs (delegation, settings) from what each direction costs, at sizes where the full mesh is out of reach.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import time
from pathlib import Path

from benchlab import REPO_ROOT, Ansible, Directory, Lab, Ports, load_average, table

PLAYBOOK = REPO_ROOT / 'playbooks' / 'live_migration.yml'
# The role checks every direction of the mesh in one task of its phase 2 (run once): a stopped run has checked every
# direction when that task printed its result, none otherwise.
PREFLIGHT_TASK = re.compile(r"^TASK \[[^\]]*: Check every direction of the mesh from the hosts' facts\]", re.MULTILINE)
HOST_RESULT = re.compile(r'^(?:ok|changed|failed|fatal): \[([^\]]+)\]', re.MULTILINE)


def directions_checked(output: str, destinations_per_host: dict) -> int:
    """Directions whose preflight finished in a (stopped) run's output: all of them once phase 2 printed its one result."""
    match = PREFLIGHT_TASK.search(output)
    if match is None:
        return 0
    section = output[match.end():]
    following = re.search(r'^TASK \[', section, re.MULTILINE)
    section = section[:following.start()] if following else section
    return sum(destinations_per_host.values()) if HOST_RESULT.search(section) else 0


@dataclasses.dataclass
class MeshPlan:
    """What to run (sizes × forks × latencies) and how long it may take (per run, in all)."""

    sizes: list
    forks: list
    latencies: list
    max_run_seconds: float
    budget_seconds: float
    ring: bool = True


# What a host's own work costs, in directions: since migration_preflight checks all the directions of a source in one task
# (one module process per host), a direction is one read pipeline on its destination and a host's own work (about ten task
# runs, three of them module processes) costs as much as about 36 directions (2026-12-04, forks 1: 1.7 s per host and
# 0.046 s per direction).
HOST_WORK_IN_DIRECTIONS = 36


def mesh_work(hosts: int, directions: int | None = None) -> int:
    """The cost of a run in units of one direction: each host's own work plus one unit per direction (N·(N−1) in the full mesh)."""
    return hosts * HOST_WORK_IN_DIRECTIONS + (hosts * (hosts - 1) if directions is None else directions)


def ring_pairs(names: list) -> list:
    """live_migration_mesh_pairs of a ring: each host to the next one, the last to the first."""
    return [{'source': name, 'destination': names[(index + 1) % len(names)]} for index, name in enumerate(names)]


class MeshBenchmark:  # pylint: disable=too-many-instance-attributes
    """Runs playbooks/live_migration.yml from the same starting state at each size, fork count and latency."""

    def __init__(self, plan: MeshPlan, ansible: Ansible, ports: Ports, started: float) -> None:
        self.plan = plan
        self.ansible = ansible
        self.ports = ports
        self.started = started
        self.rows: list = []
        self.skipped: list = []
        self._seconds_per_work: dict = {}
        self._directory: Directory | None = None
        self._baseline: tuple = ({}, {})

    # ---- predictions ---------------------------------------------------------------------------------------

    def predicted_seconds(self, hosts: int, forks: int, latency: int) -> float | None:
        """From the runs at the same effective parallelism (forks above N run N at once) and latency, else the nearest one.

        On 2 cores the controller's CPU bounds every run with more than a couple of forks, so a parallelism never measured
        is predicted from the nearest measured one (and 30 % more when only the run without latency is known).
        """
        parallel = min(forks, hosts)
        known = self._seconds_per_work
        if not known:
            return None
        if (parallel, latency) in known:
            rate = known[(parallel, latency)]
        else:
            same_latency = [key for key in known if key[1] == latency]
            candidates = same_latency or list(known)
            nearest = min(candidates, key=lambda key: (abs(key[0] - parallel), -key[0]))
            rate = known[nearest] * (1.3 if latency > nearest[1] else 1.0)
        return rate * mesh_work(hosts)

    def _reason_to_skip(self, hosts: int, forks: int, latency: int, done_forks: list) -> tuple:
        """(reason, predicted seconds) or (None, predicted seconds)."""
        predicted = self.predicted_seconds(hosts, forks, latency)
        if forks >= hosts and any(done >= hosts for done in done_forks):
            return 'same as forks=%d (only %d hosts)' % (min(done for done in done_forks if done >= hosts), hosts), predicted
        if predicted is not None and predicted > self.plan.max_run_seconds:
            return 'estimated %.0f s (%.1f h) > per-run limit %.0f s' % (predicted, predicted / 3600, self.plan.max_run_seconds), predicted
        remaining = self.remaining_seconds(hosts)
        needed = self.plan.max_run_seconds if predicted is None else predicted  # never measured: it may take the whole per-run limit
        if needed > remaining:
            return 'needs up to %.0f s, %.0f s left of the benchmark budget' % (needed, remaining), predicted
        return None, predicted

    def remaining_seconds(self, size: int | None = None) -> float:
        """What is left of the budget; with a size, less what the rings of the larger sizes will need (they come later)."""
        left = self.plan.budget_seconds - (time.monotonic() - self.started)
        if size is not None and self.plan.ring:
            left -= sum(self.ring_seconds(hosts) for hosts in self.plan.sizes if hosts > size)
        return left

    def ring_seconds(self, hosts: int) -> float:
        """Lab start (about 2 s a host: the DC adds every computer) and one ring run, from the fastest rate measured."""
        rate = min(self._seconds_per_work.values(), default=0.5)
        return 2.0 * hosts + rate * mesh_work(hosts, hosts)

    def _skip(self, hosts: int, forks: int, latency: int, reason: str, predicted: float | None) -> None:  # pylint: disable=R0913,R0917
        self.skipped.append({'hosts': hosts, 'forks': forks, 'latency_ms': latency, 'reason': reason, 'predicted_s': predicted})
        print('  skip N=%d forks=%d latency=%d ms: %s' % (hosts, forks, latency, reason), flush=True)

    # ---- runs ----------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Every size in turn, on a lab of its own; cells that do not fit are estimated and listed in self.skipped."""
        for hosts in self.plan.sizes:
            combinations = [(latency, forks) for latency in self.plan.latencies for forks in self.plan.forks]
            ring_wanted = self.plan.ring and hosts > 2  # on 2 hosts the ring is the mesh
            if not ring_wanted and self._seconds_per_work and all(
                    (self.predicted_seconds(hosts, forks, latency) or 0) > self.plan.max_run_seconds for latency, forks in combinations):
                for latency, forks in combinations:  # not even worth starting the lab (and joining N computers to the DC)
                    predicted = self.predicted_seconds(hosts, forks, latency)
                    self._skip(hosts, forks, latency, 'estimated %.0f s > per-run limit %.0f s' % (predicted, self.plan.max_run_seconds), predicted)
                continue
            if self.remaining_seconds() < min(self.plan.max_run_seconds, 120):
                for latency, forks in combinations:
                    self._skip(hosts, forks, latency, 'benchmark budget spent', self.predicted_seconds(hosts, forks, latency))
                continue
            print('  starting a lab of %d hosts with a Samba DC' % hosts, flush=True)
            with tempfile.TemporaryDirectory(prefix='bench-mesh-%d-' % hosts) as state_dir, Lab(hosts, Path(state_dir), self.ports) as lab:
                print('  lab up in %.0f s' % lab.startup_seconds, flush=True)
                self._directory = Directory(lab.described['dc'])
                self._baseline = (self._directory.computers(), {name: lab.control.host_state(name) for name in lab.names})
                self._run_size(lab, combinations)
                if ring_wanted:  # at the first latency only: it is there for the per-host figures
                    self._measure(lab, max(self.plan.forks), self.plan.latencies[0], ring=True)

    def _run_size(self, lab: Lab, combinations: list) -> None:
        done: dict = {}
        for latency, forks in combinations:
            reason, predicted = self._reason_to_skip(lab.host_count, forks, latency, done.setdefault(latency, []))
            if reason:
                self._skip(lab.host_count, forks, latency, reason, predicted)
                continue
            done[latency].append(forks)
            self._measure(lab, forks, latency, ring=False)

    def _measure(self, lab: Lab, forks: int, latency: int, ring: bool) -> None:  # pylint: disable=too-many-locals
        self._restore(lab)
        lab.control.set_latency('*', latency)
        lab.control.reset_counters()
        directory = self._directory
        usn_before = directory.highest_usn()
        load_before = load_average()
        directions = lab.host_count if ring else lab.host_count * (lab.host_count - 1)
        extra_vars = {'live_migration_mesh_pairs': ring_pairs(lab.names)} if ring else None
        cost = self.ansible.run(PLAYBOOK, lab.inventory, forks=forks, extra_vars=extra_vars, timeout=self.plan.max_run_seconds)
        writes = directory.highest_usn() - usn_before
        counters = lab.control.counters()
        lab.control.set_latency('*', 0)
        topology = 'ring' if ring else 'mesh'
        if not ring:
            # A stopped run still tells how slow this parallelism is (a lower bound), which skips its larger sizes.
            self._seconds_per_work[(min(forks, lab.host_count), latency)] = cost.wall_seconds / mesh_work(lab.host_count)
        if cost.timed_out:
            self._settle(lab)
            per_host = {name: 1 for name in lab.names} if ring else {name: lab.host_count - 1 for name in lab.names}
            checked = directions_checked(cost.output, per_host)
            reason = 'stopped after %.0f s (per-run limit) with %d of %d directions checked' % (cost.wall_seconds, checked, directions)
            self._skip(lab.host_count, forks, latency, ('ring: ' if ring else '') + reason,
                       cost.wall_seconds * directions / max(checked, 1) if checked else None)
            return
        pipelines = {name: counters.get(name, {}).get('pipelines', 0) for name in lab.names}
        row = {'topology': topology, 'hosts': lab.host_count, 'forks': forks, 'latency_ms': latency, 'directions': directions,
               'ldap_writes': writes, 'delegation_entries': directory.delegation_entries(),
               'wsman_requests': sum(c['requests'] for c in counters.values()), 'pipelines': sum(pipelines.values()),
               'pipelines_per_host_min': min(pipelines.values()), 'pipelines_per_host_max': max(pipelines.values()),
               'load': load_before + ' → ' + load_average(), 'lab_startup_s': lab.startup_seconds, **cost.summary()}
        self.rows.append(row)
        print('  %(topology)s N=%(hosts)d forks=%(forks)d latency=%(latency_ms)d ms: %(wall_s).1f s wall, %(cpu_s).1f s CPU, '
              '%(peak_rss_mib).0f MiB, rc=%(rc)d, %(ldap_writes)d LDAP writes for %(directions)d directions, %(wsman_requests)d WSMan '
              'requests, %(pipelines_per_host_min)d-%(pipelines_per_host_max)d pipelines per host (load %(load)s)' % row, flush=True)
        if cost.returncode != 0:
            name = 'mesh-failure-%s-%d-%d-%d.log' % (topology, lab.host_count, forks, latency)
            (self.ansible.workdir / name).write_text(cost.output, encoding='utf-8')
            print('  (rc=%d: output in %s)\n%s' % (cost.returncode, name, cost.output[-1500:]), flush=True)

    @staticmethod
    def _settle(lab: Lab, longest: float = 60) -> None:
        """After a stopped run: wait until the lab has handled what the killed processes had in flight (its counters stay still)."""
        deadline, last = time.monotonic() + longest, None
        while time.monotonic() < deadline:
            total = sum(counts['requests'] for counts in lab.control.counters().values())
            if total == last:
                return
            last = total
            time.sleep(3)

    def _restore(self, lab: Lab) -> None:
        """Every run starts from the lab's first state: no delegation, the hosts' original live migration settings."""
        baseline_directory, baseline_hosts = self._baseline
        self._directory.restore(baseline_directory)
        for name, state in baseline_hosts.items():
            lab.control.patch_host(name, migration=state['migration'], migration_networks=state['migration_networks'])


# ---- report -----------------------------------------------------------------------------------------------------


def plot(rows: list, skipped: list, plot_dir: Path) -> Path | None:
    """Wall time against N per forks and latency (log scale), estimates dotted, the ring in grey."""
    mesh_rows = [row for row in rows if row.get('topology', 'mesh') == 'mesh']
    if not mesh_rows:
        return None
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    plot_dir.mkdir(parents=True, exist_ok=True)
    figure, axes = pyplot.subplots(figsize=(8, 5))
    for forks, latency in sorted({(row['forks'], row['latency_ms']) for row in mesh_rows}):
        # A run with forks >= N stands for every fork count >= N (ansible runs at most N hosts at once).
        series = sorted({(row['hosts'], row['wall_s']) for row in mesh_rows if row['latency_ms'] == latency
                         and (row['forks'] == forks or min(row['forks'], forks) >= row['hosts'])})
        line = axes.plot([point[0] for point in series], [point[1] for point in series], marker='o', linestyle='-' if latency == 0 else '--',
                         label='forks %d, %d ms' % (forks, latency))[0]
        estimates = sorted((item['hosts'], item['predicted_s']) for item in skipped_items(skipped) if item.get('predicted_s') and item['forks'] == forks
                           and item['latency_ms'] == latency and not item['reason'].startswith('same as'))
        if estimates and series:
            estimated = [series[-1]] + estimates
            axes.plot([point[0] for point in estimated], [point[1] for point in estimated], marker='x', linestyle=':', color=line.get_color())
    for latency in sorted({row['latency_ms'] for row in rows if row.get('topology') == 'ring'}):
        series = sorted((row['hosts'], row['wall_s']) for row in rows if row.get('topology') == 'ring' and row['latency_ms'] == latency)
        axes.plot([point[0] for point in series], [point[1] for point in series], marker='s', linestyle='-.', color='grey',
                  label='ring (N directions), %d ms' % latency)
    axes.set_xlabel('hosts (N)')
    axes.set_ylabel('wall time of playbooks/live_migration.yml (s)')
    axes.set_yscale('log')
    axes.set_title('Live migration mesh: time against hosts (x, dotted: estimated, not run)', fontsize='medium')
    axes.grid(True, alpha=0.3, which='both')
    axes.legend(fontsize='small')
    path = plot_dir / 'live_migration_mesh.png'
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def mesh_table(rows: list) -> str:
    """Every measured run, mesh and ring."""
    return table(['topology', 'hosts', 'forks', 'latency', 'wall s', 'controller CPU s', 'peak RSS MiB', 'rc', 'directions', 'LDAP writes',
                  'delegation entries', 'WSMan requests', 'pipelines', 'pipelines per host', 'load avg (before → after)'],
                 [[row.get('topology', 'mesh'), row['hosts'], row['forks'], '%d ms' % row['latency_ms'], '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'],
                   '%.0f' % row['peak_rss_mib'], row['rc'], row['directions'], row['ldap_writes'], row['delegation_entries'], row['wsman_requests'],
                   row['pipelines'], _per_host(row), row['load']]
                  for row in rows])


def _per_host(row: dict) -> str:
    if 'pipelines_per_host_min' not in row:
        return '%.0f (mean)' % (row['pipelines'] / row['hosts'])
    low, high = row['pipelines_per_host_min'], row['pipelines_per_host_max']
    return str(low) if low == high else '%d–%d' % (low, high)


def skipped_items(skipped: list) -> list:
    """The skipped runs as dicts (results.json of an earlier version holds [hosts, forks, latency, reason])."""
    return [item if isinstance(item, dict) else dict(zip(('hosts', 'forks', 'latency_ms', 'reason'), item)) for item in skipped]


def skipped_text(skipped: list) -> str:
    """The runs not made, with why and their estimate, as a Markdown list."""
    lines = []
    for item in skipped_items(skipped):
        estimate = ' (estimated %.0f s wall)' % item['predicted_s'] if item.get('predicted_s') and 'estimated' not in item['reason'] else ''
        lines.append('- N=%d, forks %d, latency %d ms: %s%s' % (item['hosts'], item['forks'], item['latency_ms'], item['reason'], estimate))
    return '\n'.join(lines) or '- none'


def growth_table(rows: list) -> str:
    """Per topology, size and latency: the run with the most forks, normalised per host and per direction."""
    chosen: dict = {}
    for row in sorted(rows, key=lambda item: -item['forks']):
        chosen.setdefault((row['latency_ms'], row['hosts'], row.get('topology', 'mesh')), row)
    lines = []
    for (latency, n, topology), row in sorted(chosen.items()):
        lines.append([topology, n, latency, row['forks'], row['directions'], row['ldap_writes'], '%.1f' % (row['ldap_writes'] / n),
                      row['wsman_requests'], '%.1f' % (row['wsman_requests'] / row['directions']), row['pipelines'], '%.1f' % (row['pipelines'] / n),
                      '%.1f' % row['cpu_s'], '%.2f' % (row['cpu_s'] / n), '%.1f' % row['wall_s']])
    return table(['topology', 'N', 'latency ms', 'forks', 'directions', 'LDAP writes', 'LDAP writes / N', 'WSMan requests', 'requests / direction',
                  'pipelines', 'pipelines / N', 'controller CPU s', 'CPU s / N', 'wall s'], lines)


def cpu_split(rows: list) -> str:
    """Controller CPU per host (the largest ring: each host's own work and one direction) and per further direction (largest mesh)."""
    rings = [row for row in rows if row.get('topology') == 'ring']
    meshes = [row for row in rows if row.get('topology', 'mesh') == 'mesh' and row['hosts'] > 2]
    if not rings or not meshes:
        return ''
    ring = max(rings, key=lambda row: row['hosts'])
    mesh = max(meshes, key=lambda row: (row['hosts'], row['forks']))
    per_host = ring['cpu_s'] / ring['hosts']
    per_direction = (mesh['cpu_s'] - per_host * mesh['hosts']) / (mesh['directions'] - mesh['hosts'])
    return ('From the N=%d ring, each host\'s own work with one direction costs about %.1f CPU-s; from the N=%d mesh, each further '
            'direction about %.3f CPU-s.' % (ring['hosts'], per_host, mesh['hosts'], per_direction))


def growth_text(rows: list) -> str:
    """How directions, LDAP writes, WSMan requests and CPU grow with N, from the measured rows."""
    if not rows:
        return '(the mesh was not run)'
    mesh_rows = [row for row in rows if row.get('topology', 'mesh') == 'mesh']
    spns = sorted({'%g' % (row['delegation_entries'] / row['directions']) for row in mesh_rows if row['directions']})
    writes_per_host = sorted({'%g' % (row['ldap_writes'] / row['hosts']) for row in rows})
    ring_rows = sorted((row for row in rows if row.get('topology') == 'ring'), key=lambda row: row['hosts'])
    ring_text = ', '.join('%s at N=%d' % (_per_host(row), row['hosts']) for row in ring_rows) or 'no ring run'
    lines = [growth_table(rows), '']
    lines.append(
        '- **Directions grow as N·(N−1), LDAP writes as N.** `kerberos_delegation` writes each computer account once, in one '
        'LDAP modify that carries all of its destinations\' SPNs and the protocol-transition flag, so the DC sees one write per '
        'host whatever the mesh size (LDAP writes / N over all the runs, ring or mesh: %s); the delegation entries it stores grow '
        'with the directions (%s SPNs per direction).' % (', '.join(writes_per_host), ', '.join(spns or ['?'])))
    lines.append(
        '- **Pipelines per host grow as N + 2 in the full mesh.** In the ring (one direction per host) every host runs the same '
        'few pipelines at every N (%s): the live migration settings (read, write), one preflight read as source and one as '
        'destination. In the full mesh a host is read once as the source of all its N−1 directions (`migration_preflight` with '
        '`destinations`: one module process, one read pipeline on the source) and once by each of the N−1 other hosts\' '
        'preflights as their destination: N + 2 pipelines per host, N·(N + 2) in all.' % ring_text)
    lines.append(
        '- **Controller CPU grows as N plus a small N·(N−1) term.** Each host costs about ten task runs whatever the mesh size, '
        'each a worker process that ansible-core forks: three of them start a module process (`kerberos_delegation`, '
        '`live_migration`, `migration_preflight`: Python start, ansible-core\'s module wrapper, ldap3 or pypsrp/pywinrm, '
        'TLS/NTLM), the others are ansible-core\'s own actions (set_fact, assert, include_role, debug); a direction adds only a read pipeline on '
        'its destination inside the source\'s one preflight process. %s It does not shrink with forks; forks only spread it. On '
        'this 2-core machine wall time cannot fall below about CPU time / 2, which is why forks beyond a handful stop helping.'
        % cpu_split(rows))
    lines.append(
        '- **Latency** adds 20 ms to every WSMan request: per task that is requests × 20 ms (0.1 s for a psrp read, 0.2–0.4 s for '
        'winrm), paid serially with forks 1 and overlapped with more forks.')
    lines.append(
        '- **Peak memory** is that of the largest single controller process (the ansible-playbook parent holding the '
        'inventory, the hostvars and every registered loop result, or one module process); it grows slowly with N.')
    return '\n'.join(lines)
