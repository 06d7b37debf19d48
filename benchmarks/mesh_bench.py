# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 2 of `make bench`: playbooks/live_migration.yml (the two-phase mesh) on meshes of N lab hosts, per fork count and lab latency.

Every cell runs from the lab's first state (no delegation in the DC, the hosts' original live migration settings), then
once more as it left it (the rerun, which changes nothing). Each run is measured on the controller (wall, CPU of
ansible-playbook and everything it reaped, peak RSS, task runs per host, the phase-2 evaluation's wall from the task
timeline), in the lab (WSMan requests and pipelines per host) and in the DC (committed LDAP writes). A run predicted to
take longer than the per-run limit is not started: its estimate is printed and written instead. Optionally (--ring) the
same playbook also runs on a ring (each host checks one direction, live_migration_mesh_pairs).

The one-phase role's figures (results.json's mesh_one_phase, recorded on 2026-12-04) are shown beside the new ones; and
what one task run costs the controller (a worker fork alone, and a module process) is measured on its own
(measure_task_run_costs), since that is what bounds the two-phase mesh.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from benchlab import REPO_ROOT, Ansible, Directory, Lab, Ports, load_average, table

PLAYBOOK = REPO_ROOT / 'playbooks' / 'live_migration.yml'
# The role checks every direction of the mesh in one task of its phase 2 (run once): a stopped run has checked every
# direction when that task printed its result, none otherwise.
EVALUATION_TASK = "Check every direction of the mesh from the hosts' facts"
PREFLIGHT_TASK = re.compile(r"^TASK \[[^\]]*: %s\]" % re.escape(EVALUATION_TASK), re.MULTILINE)
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
    ring: bool = False
    rerun: bool = True
    all_forks_up_to: int | None = None  # larger sizes run only the largest fork count


# What a host's own work costs, in directions. In the two-phase mesh a direction is its share of the one phase-2 evaluation
# and of the delegation's peer lookups (no host round trip), and a host's own work is its five task runs (none of them a
# module process: live_migration and kerberos_delegation each run once for every host) and its share of those two
# processes: fitted on the 2026-12-06 15:20 runs (forks 25, from scratch, N = 50 and 100, load 1-2): about 0.37 s of wall
# per host and 3.1 ms per direction - a host costs as much as about 120 directions. (Before, with a module process per
# host: 340; the one-phase role, where each direction was a read pipeline on its destination: 36.)
HOST_WORK_IN_DIRECTIONS = 120


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
            if reason is None and self.plan.all_forks_up_to is not None and lab.host_count > self.plan.all_forks_up_to \
                    and forks < max(self.plan.forks):
                reason = 'forks %d only up to N=%d (--all-forks-up-to)' % (forks, self.plan.all_forks_up_to)
            if reason:
                self._skip(lab.host_count, forks, latency, reason, predicted)
                continue
            done[latency].append(forks)
            self._measure(lab, forks, latency, ring=False)

    def _measure(self, lab: Lab, forks: int, latency: int, ring: bool) -> None:
        """The cell from the lab's first state, then (mesh, plan.rerun) once more from the state it left: the rerun."""
        self._restore(lab)
        if self._measure_run(lab, forks, latency, ring, 'scratch') and self.plan.rerun and not ring:
            self._measure_run(lab, forks, latency, ring, 'rerun')

    def _measure_run(self, lab: Lab, forks: int, latency: int, ring: bool, run: str) -> bool:  # pylint: disable=R0913,R0917,R0914
        """One measured run of the playbook; False when it was stopped (the per-run limit)."""
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
        if not ring and run == 'scratch':
            # A stopped run still tells how slow this parallelism is (a lower bound), which skips its larger sizes.
            self._seconds_per_work[(min(forks, lab.host_count), latency)] = cost.wall_seconds / mesh_work(lab.host_count)
        if cost.timed_out:
            self._settle(lab)
            per_host = {name: 1 for name in lab.names} if ring else {name: lab.host_count - 1 for name in lab.names}
            checked = directions_checked(cost.output, per_host)
            reason = 'stopped after %.0f s (per-run limit) with %d of %d directions checked' % (cost.wall_seconds, checked, directions)
            self._skip(lab.host_count, forks, latency, ('ring: ' if ring else '') + ('rerun: ' if run == 'rerun' else '') + reason,
                       cost.wall_seconds * directions / max(checked, 1) if checked else None)
            return False
        pipelines = {name: counters.get(name, {}).get('pipelines', 0) for name in lab.names}
        task_runs = [counts['ok'] + counts['failed'] + counts['skipped'] + counts['unreachable'] for counts in cost.recap.values()]
        row = {'topology': topology, 'run': run, 'hosts': lab.host_count, 'forks': forks, 'latency_ms': latency, 'directions': directions,
               'ldap_writes': writes, 'delegation_entries': directory.delegation_entries(),
               'wsman_requests': sum(c['requests'] for c in counters.values()), 'pipelines': sum(pipelines.values()),
               'pipelines_per_host_min': min(pipelines.values()), 'pipelines_per_host_max': max(pipelines.values()),
               'task_runs_per_host': statistics.median(task_runs) if task_runs else 0, 'evaluation_s': task_seconds(cost.timeline, EVALUATION_TASK),
               'load': load_before + ' → ' + load_average(), 'lab_startup_s': lab.startup_seconds, **cost.summary()}
        self.rows.append(row)
        print('  %(topology)s %(run)s N=%(hosts)d forks=%(forks)d latency=%(latency_ms)d ms: %(wall_s).1f s wall, %(cpu_s).1f s CPU, '
              '%(peak_rss_mib).0f MiB, rc=%(rc)d, changed=%(changed)d, %(ldap_writes)d LDAP writes for %(directions)d directions, '
              '%(wsman_requests)d WSMan requests, %(pipelines_per_host_min)d-%(pipelines_per_host_max)d pipelines per host, '
              '%(task_runs_per_host)g task runs per host, evaluation %(evaluation_s).1f s (load %(load)s)' % row, flush=True)
        if cost.returncode != 0:
            name = 'mesh-failure-%s-%s-%d-%d-%d.log' % (topology, run, lab.host_count, forks, latency)
            (self.ansible.workdir / name).write_text(cost.output, encoding='utf-8')
            print('  (rc=%d: output in %s)\n%s' % (cost.returncode, name, cost.output[-1500:]), flush=True)
        return True

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


def task_seconds(timeline: list, name: str) -> float | None:
    """Wall time of the task whose name ends with `name`, from its start to the next task's (the linear strategy runs one task
    at a time; for a run_once task that is the task itself)."""
    for index, event in enumerate(timeline[:-1]):
        if (event.get('task') or '').endswith(name):
            return timeline[index + 1]['time'] - event['time']
    return None


# ---- what one task run costs the controller -------------------------------------------------------------------------

# The task runs compared, each as the only task of a play on N hosts (connection local: nothing is contacted).
TASK_RUN_CASES = (
    ('empty play (baseline)', []),
    ('ansible.builtin.assert (action plugin in the worker, no module process)', [{'ansible.builtin.assert': {'that': [True], 'quiet': True}}]),
    # A module process that stops at its option check, before any connection: the module's start (AnsiballZ, Python,
    # ansible-core's module wrapper, the collection's imports, argument parsing) and nothing else.
    ('hyperv.mobility.live_migration, refused at its option check (module process start)',
     [{'hyperv.mobility.live_migration': {'max_migrations': 0}, 'ignore_errors': True}]),
)


def measure_task_run_costs(ansible: Ansible, hosts: int, forks: int) -> list:
    """Controller CPU and wall of one task run per host, for each case, from plays on `hosts` local hosts (less the empty play)."""
    inventory = ansible.workdir / ('task-run-inventory-%d.yml' % hosts)
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'bench%03d' % index: {} for index in range(hosts)}, 'vars': {
        'ansible_connection': 'local', 'hyperv_host': '{{ inventory_hostname }}', 'hyperv_password': 'unused', 'hyperv_username': 'unused'}}}),
        encoding='utf-8')
    rows = []
    for label, tasks in TASK_RUN_CASES:
        playbook = ansible.write_playbook([{'name': label, 'hosts': 'all', 'gather_facts': False, 'tasks': tasks}])
        load_before = load_average()
        cost = ansible.run(playbook, inventory, forks=forks)
        rows.append({'case': label, 'hosts': hosts, 'forks': forks, 'tasks': len(tasks), 'wall_s': cost.wall_seconds, 'cpu_s': cost.cpu_seconds,
                     'peak_rss_mib': cost.peak_rss_mib, 'rc': cost.returncode, 'load': load_before + ' → ' + load_average()})
        print('  task runs: %s on %d hosts, forks %d: %.1f s wall, %.1f CPU-s' % (label, hosts, forks, cost.wall_seconds, cost.cpu_seconds), flush=True)
    return rows


def task_run_cost_table(rows: list) -> str:
    """Per case: the play's wall and CPU, and per task run (less the empty play, over the hosts)."""
    baseline = next((row for row in rows if not row['tasks']), None)
    lines = []
    for row in rows:
        per_run = ''
        if baseline is not None and row['tasks']:
            per_run = '%.0f ms CPU, %.0f ms wall' % (1000 * (row['cpu_s'] - baseline['cpu_s']) / (row['hosts'] * row['tasks']),
                                                     1000 * (row['wall_s'] - baseline['wall_s']) / (row['hosts'] * row['tasks']))
        lines.append([row['case'], row['hosts'], row['forks'], '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'], '%.0f' % row['peak_rss_mib'],
                      per_run or '—', row['load']])
    return table(['task', 'hosts', 'forks', 'wall s', 'controller CPU s', 'peak RSS MiB', 'per task run (less the empty play)', 'load avg'], lines)


# ---- report -----------------------------------------------------------------------------------------------------


def _label(row: dict) -> str:
    return '%s, %s' % (row.get('topology', 'mesh'), row.get('run', 'scratch'))


def plot(rows: list, skipped: list, plot_dir: Path, one_phase: list | None = None) -> Path | None:  # pylint: disable=too-many-locals
    """Wall time against N: the two-phase mesh from scratch and rerun per forks (estimates dotted), the recorded one-phase role in grey."""
    mesh_rows = [row for row in rows if row.get('topology', 'mesh') == 'mesh']
    if not mesh_rows:
        return None
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    plot_dir.mkdir(parents=True, exist_ok=True)
    figure, axes = pyplot.subplots(figsize=(8, 5))
    for run, forks, latency in sorted({(row.get('run', 'scratch'), row['forks'], row['latency_ms']) for row in mesh_rows}):
        series = sorted({(row['hosts'], row['wall_s']) for row in mesh_rows if row['latency_ms'] == latency and row.get('run', 'scratch') == run
                         and (row['forks'] == forks or min(row['forks'], forks) >= row['hosts'])})
        line = axes.plot([point[0] for point in series], [point[1] for point in series], marker='o' if run == 'scratch' else '^',
                         linestyle='-' if run == 'scratch' else '--', label='two phases, %s, forks %d, %d ms' % (run, forks, latency))[0]
        estimates = sorted((item['hosts'], item['predicted_s']) for item in skipped_items(skipped) if item.get('predicted_s') and item['forks'] == forks
                           and item['latency_ms'] == latency and run == 'scratch' and not item['reason'].startswith(('same as', 'rerun', 'forks ')))
        if estimates and series:
            estimated = [series[-1]] + estimates
            axes.plot([point[0] for point in estimated], [point[1] for point in estimated], marker='x', linestyle=':', color=line.get_color())
    for forks in sorted({row['forks'] for row in one_phase or [] if row.get('topology', 'mesh') == 'mesh' and row['latency_ms'] == 0 and row['forks'] > 1}):
        series = sorted((row['hosts'], row['wall_s']) for row in one_phase if row.get('topology', 'mesh') == 'mesh' and row['latency_ms'] == 0
                        and row['forks'] == forks)
        axes.plot([point[0] for point in series], [point[1] for point in series], marker='s', linestyle='-.', color='grey' if forks >= 25 else 'silver',
                  label='one phase (recorded 2026-12-04), forks %d, 0 ms' % forks)
    axes.set_xlabel('hosts (N)')
    axes.set_ylabel('wall time of playbooks/live_migration.yml (s)')
    axes.set_yscale('log')
    loads = [float(part.split('/')[0]) for row in mesh_rows for part in row['load'].split(' → ')]
    axes.set_title('Live migration mesh: time against hosts (x, dotted: estimated, not run)\nthe measured runs at load average %.1f-%.1f '
                   '(1 min, 2 cores)' % (min(loads), max(loads)), fontsize='medium')
    axes.grid(True, alpha=0.3, which='both')
    axes.legend(fontsize='small')
    path = plot_dir / 'live_migration_mesh.png'
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def mesh_table(rows: list) -> str:
    """Every measured run."""
    return table(['run', 'hosts', 'forks', 'latency', 'wall s', 'controller CPU s', 'CPU s / host', 'peak RSS MiB', 'rc', 'changed', 'directions',
                  'LDAP writes', 'delegation entries', 'WSMan requests', 'pipelines', 'pipelines per host', 'task runs per host',
                  'phase 2 (evaluation) s', 'load avg (before → after)'],
                 [[_label(row), row['hosts'], row['forks'], '%d ms' % row['latency_ms'], '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'],
                   '%.2f' % (row['cpu_s'] / row['hosts']), '%.0f' % row['peak_rss_mib'], row['rc'], row.get('changed', '—'), row['directions'],
                   row['ldap_writes'], row['delegation_entries'], row['wsman_requests'], row['pipelines'], _per_host(row),
                   '%g' % row['task_runs_per_host'] if 'task_runs_per_host' in row else '—',
                   '%.1f' % row['evaluation_s'] if row.get('evaluation_s') is not None else '—', row['load']]
                  for row in rows])


def comparison_table(rows: list, one_phase: list) -> str:
    """Per N and forks (latency 0): the one-phase role as recorded, the two-phase role from scratch and on a rerun."""
    lines = []
    keys = sorted({(row['hosts'], row['forks']) for row in rows + one_phase if row.get('topology', 'mesh') == 'mesh' and row['latency_ms'] == 0
                   and row['forks'] > 1})
    for hosts, forks in keys:
        for label, source, run in (('one phase (recorded 2026-12-04)', one_phase, None), ('two phases, from scratch', rows, 'scratch'),
                                   ('two phases, rerun', rows, 'rerun')):
            row = next((item for item in source if item.get('topology', 'mesh') == 'mesh' and item['hosts'] == hosts and item['forks'] == forks
                        and item['latency_ms'] == 0 and (run is None or item.get('run', 'scratch') == run)), None)
            if row is None:
                continue
            lines.append([hosts, forks, label, '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'], '%.2f' % (row['cpu_s'] / hosts), _per_host(row),
                          row['wsman_requests'], '%.0f' % row['peak_rss_mib'], row['load']])
    return table(['N', 'forks', 'role', 'wall s', 'controller CPU s', 'CPU s / host', 'pipelines per host', 'WSMan requests', 'peak RSS MiB',
                  'load avg (before → after)'], lines)


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
    """Per run kind, size and latency: the run with the most forks, normalised per host and per direction."""
    chosen: dict = {}
    for row in sorted(rows, key=lambda item: -item['forks']):
        chosen.setdefault((row['latency_ms'], row['hosts'], _label(row)), row)
    lines = []
    for (latency, n, label), row in sorted(chosen.items()):
        evaluation = row.get('evaluation_s')
        lines.append([label, n, latency, row['forks'], row['directions'], row['ldap_writes'], '%.1f' % (row['ldap_writes'] / n),
                      row['wsman_requests'], '%.1f' % (row['wsman_requests'] / n), row['pipelines'], '%.1f' % (row['pipelines'] / n),
                      '%.1f' % row['cpu_s'], '%.2f' % (row['cpu_s'] / n), '—' if evaluation is None else '%.2f' % (1000 * evaluation / row['directions']),
                      '%.1f' % row['wall_s']])
    return table(['run', 'N', 'latency ms', 'forks', 'directions', 'LDAP writes', 'LDAP writes / N', 'WSMan requests', 'requests / N',
                  'pipelines', 'pipelines / N', 'controller CPU s', 'CPU s / N', 'evaluation ms / direction', 'wall s'], lines)


def growth_text(rows: list) -> str:
    """How the two-phase mesh's cost grows with N, from the measured rows."""
    mesh_rows = [row for row in rows if row.get('topology', 'mesh') == 'mesh']
    if not mesh_rows:
        return '(the mesh was not run)'
    writes_per_host = sorted({'%g' % (row['ldap_writes'] / row['hosts']) for row in mesh_rows if row.get('run', 'scratch') == 'scratch'})
    rerun_writes = sorted({row['ldap_writes'] for row in mesh_rows if row.get('run') == 'rerun'})
    per_host = sorted({_per_host(row) + ' (%s)' % row.get('run', 'scratch') for row in mesh_rows})
    task_runs = sorted({'%g' % row['task_runs_per_host'] for row in mesh_rows if 'task_runs_per_host' in row})
    lines = [growth_table(rows), '']
    lines.append(
        '- **LDAP writes grow as N, and none on a rerun.** `kerberos_delegation` writes each computer account once, in one LDAP '
        'modify that carries all of its destinations\' SPNs and the protocol-transition flag (LDAP writes / N from scratch: %s; '
        'on a rerun: %s).' % (', '.join(writes_per_host) or '?', ', '.join(str(count) for count in rerun_writes) or 'not run'))
    lines.append(
        '- **Pipelines per host do not grow with N**: %s. Phase 1 reads each host once (`live_migration` with `hosts` and '
        '`mesh_facts`: each host\'s settings and mesh facts in one pipeline) and writes its settings when they differ; phase 2 '
        'reads no host.'
        % ', '.join(per_host))
    lines.append(
        '- **Task runs per host do not grow with N** (median over the hosts: %s; the first host also runs the run-once tasks). '
        'Controller CPU therefore grows as N, plus the one evaluation of phase 2, which grows as N·(N−1) but costs well under '
        'a millisecond per direction (the "evaluation ms / direction" column: the run_once task\'s wall time, which on a quiet '
        'machine is its module process\'s CPU and one LDAP search).' % (', '.join(task_runs) or '?'))
    lines.append(
        '- **Peak memory** is that of the largest single controller process (the ansible-playbook parent holding the inventory, '
        'the hostvars with every host\'s mesh facts, and the evaluation\'s result of N·(N−1) directions registered on every host).')
    return '\n'.join(lines)
