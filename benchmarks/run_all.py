# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: what the collection costs on the wire and on the controller, measured against the lab.

Figures are printed and written to docs/performance.md (+ docs/performance/*.png). Nothing here asserts a time:
the machine running the benchmark is shared, so every figure carries the load average it was taken at.

1. WSMan requests and pipelines per task of every host module, unchanged and changed, over psrp and winrm, next to
   the protocol minimum (open a pool or shell, run one command, close) taken with bare pypsrp and pywinrm.
2. playbooks/live_migration.yml on meshes of growing size, forks and lab latency: wall time, controller CPU time,
   peak memory and the LDAP writes the Samba DC committed.
3. A PNG plot of wall time against hosts.
4. What ansible-core's own psrp/winrm connection sends to run one PowerShell module (the win_ping body in
   benchmarks/library) against what one of our tasks sends in full.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import typing
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LAB_ROOT = REPO_ROOT / 'tests' / 'lab'
sys.path.insert(0, str(LAB_ROOT))

from hvlab.control import LabControl  # noqa: E402  pylint: disable=wrong-import-position

PYTHON = sys.executable
ANSIBLE_PLAYBOOK = str(Path(PYTHON).parent / 'ansible-playbook')
DOC_PATH = REPO_ROOT / 'docs' / 'performance.md'
PLOT_DIR = REPO_ROOT / 'docs' / 'performance'
RECAP_LINE = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)')
COUNTER_FIELDS = ('requests', 'pipelines', 'shells', 'bytes_in', 'bytes_out')


def load_average() -> str:
    return '%.1f/%.1f/%.1f' % os.getloadavg()


# ---- the lab ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Ports:
    """Ports away from the defaults and from the test fixtures' random ports, so other labs keep running."""

    http: int = 45985
    https: int = 45986
    control: int = 48700


class Lab:
    """`python -m hvlab up --dc` in a state folder of its own; a context manager that always brings it down."""

    def __init__(self, host_count: int, state_dir: Path, ports: Ports) -> None:
        self.host_count = host_count
        self.state_dir = state_dir
        self.ports = ports
        self.described: dict = {}
        self.startup_seconds = 0.0

    def _hvlab(self, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
        environment = dict(os.environ, PYTHONPATH=str(LAB_ROOT))
        return subprocess.run([PYTHON, '-m', 'hvlab', *arguments, '--state-dir', str(self.state_dir)], capture_output=True, text=True,
                              env=environment, stdin=subprocess.DEVNULL, check=False, timeout=timeout)

    def __enter__(self) -> 'Lab':
        started = time.monotonic()
        result = self._hvlab('up', '--hosts', str(self.host_count), '--dc', '--timeout', '300', '--http-port', str(self.ports.http),
                             '--https-port', str(self.ports.https), '--control-port', str(self.ports.control))
        if result.returncode != 0:
            self._hvlab('down')
            raise RuntimeError('hvlab up --hosts %d failed:\n%s\n%s' % (self.host_count, result.stdout, result.stderr))
        self.startup_seconds = time.monotonic() - started
        self.described = json.loads((self.state_dir / 'lab.json').read_text(encoding='utf-8'))
        return self

    def __exit__(self, *exc_info: typing.Any) -> None:
        self._hvlab('down')

    @property
    def control(self) -> LabControl:
        return LabControl(self.described['control_url'])

    @property
    def inventory(self) -> Path:
        return self.state_dir / 'inventory.yml'

    @property
    def hosts(self) -> list:
        return self.described['hosts']

    def host(self, transport: str) -> dict:
        return next(host for host in self.hosts if host['transport'] == transport)


class Directory:
    """The Samba DC over LDAPS: counts committed writes (highestCommittedUSN) and puts delegation back as it was."""

    ATTRIBUTES = ('msDS-AllowedToDelegateTo', 'userAccountControl')

    def __init__(self, dc: dict) -> None:
        import ldap3  # pylint: disable=import-outside-toplevel  # only the mesh figures need it

        self._ldap3 = ldap3
        tls = ldap3.Tls(ca_certs_file=dc['ca_path'], validate=2)
        server = ldap3.Server(dc['server'], port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE)
        self.connection = ldap3.Connection(server, user=dc['admin_user'], password=dc['admin_password'], auto_bind=True)
        self.base = 'DC=' + ',DC='.join(dc['realm'].lower().split('.'))

    def highest_usn(self) -> int:
        self.connection.search('', '(objectClass=*)', search_scope=self._ldap3.BASE, attributes=['highestCommittedUSN'])
        return int(self.connection.entries[0]['highestCommittedUSN'].value)

    def computers(self) -> dict:
        self.connection.search(self.base, '(objectClass=computer)', attributes=list(self.ATTRIBUTES))
        return {entry.entry_dn: {name: list(entry[name].values) for name in self.ATTRIBUTES} for entry in self.connection.entries}

    def delegation_entries(self) -> int:
        return sum(len(values['msDS-AllowedToDelegateTo']) for values in self.computers().values())

    def restore(self, snapshot: dict) -> None:
        current = self.computers()
        for dn, values in snapshot.items():
            if current.get(dn) == values:
                continue
            changes = {name: [(self._ldap3.MODIFY_REPLACE, [str(value) for value in values[name]])] for name in self.ATTRIBUTES}
            if not self.connection.modify(dn, changes):
                raise RuntimeError('could not restore %s: %s' % (dn, self.connection.result))


# ---- running ansible --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ProcessCost:
    """What one ansible-playbook run cost the controller (os.wait4 of that process: it and every worker it reaped)."""

    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    returncode: int
    recap: dict
    output: str
    timed_out: bool = False


class Ansible:
    """ansible-playbook with this repository as hyperv.mobility, each run measured on its own."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.collections = workdir / 'collections'
        link = self.collections / 'ansible_collections' / 'hyperv' / 'mobility'
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(REPO_ROOT)
        self._count = 0

    def environment(self) -> dict:
        environment = dict(os.environ)
        environment.update({
            'ANSIBLE_COLLECTIONS_PATH': str(self.collections), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_PYTHON_INTERPRETER': PYTHON, 'ANSIBLE_HOST_KEY_CHECKING': 'false', 'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_NOCOLOR': 'true', 'ANSIBLE_LOCAL_TEMP': str(self.workdir / 'ansible-tmp'),
            'ANSIBLE_LIBRARY': str(REPO_ROOT / 'benchmarks' / 'library'), 'ANSIBLE_DEPRECATION_WARNINGS': 'false',
            'PATH': str(Path(PYTHON).parent) + os.pathsep + os.environ.get('PATH', ''),
        })
        return environment

    def write_playbook(self, plays: list) -> Path:
        self._count += 1
        path = self.workdir / ('playbook-%d.yml' % self._count)
        path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding='utf-8')
        return path

    def run(self, playbook: Path, inventory: Path, forks: int = 5, extra_vars: dict | None = None, timeout: float = 900) -> ProcessCost:
        command = [ANSIBLE_PLAYBOOK, '-i', str(inventory), '--forks', str(forks), str(playbook)]
        if extra_vars:
            command += ['--extra-vars', json.dumps(extra_vars)]
        self._count += 1
        log_path = self.workdir / ('ansible-%d.log' % self._count)
        started = time.monotonic()
        with open(log_path, 'w', encoding='utf-8') as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.environment(),
                                       cwd=str(self.workdir), start_new_session=True)
            deadline, timed_out = started + timeout, False
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline and not timed_out:
                    timed_out = True
                    os.killpg(process.pid, 9)  # the playbook and its forked workers: its own session, so nothing else
                time.sleep(0.05)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output = log_path.read_text(encoding='utf-8', errors='replace')
        recap = {match.group(1): dict(zip(('ok', 'changed', 'unreachable', 'failed', 'skipped'), map(int, match.groups()[1:])))
                 for match in map(RECAP_LINE.match, output.splitlines()) if match}
        return ProcessCost(wall_seconds=wall, cpu_seconds=usage.ru_utime + usage.ru_stime, peak_rss_mib=usage.ru_maxrss / 1024.0,
                           returncode=process.returncode, recap=recap, output=output, timed_out=timed_out)


# ---- figure 1: per-task cost of every host module ---------------------------------------------------------------


@dataclasses.dataclass
class ModuleCase:
    """One host module: arguments(host, peer, vm) that change the host (after `prepare` put it elsewhere); read-only modules run once."""

    module: str
    arguments: typing.Callable[[str, str, str], dict]
    prepare: typing.Callable[[str, str, str], dict] | None = None
    read_only: bool = False


def _ad_arguments() -> dict:
    return {name: '{{ %s }}' % name for name in ('ad_server', 'ad_username', 'ad_password', 'ad_ca_cert')}


MODULE_CASES = (
    ModuleCase('host_info', lambda host, peer, vm: {}, read_only=True),
    ModuleCase('live_migration',
               lambda host, peer, vm: {'state': 'enabled', 'authentication': 'kerberos', 'performance': 'compression', 'max_migrations': 2,
                                       'networks': [{'subnet': '192.168.10.0/24', 'priority': 1}]},
               prepare=lambda host, peer, vm: {'state': 'enabled', 'authentication': 'credssp', 'performance': 'tcpip', 'max_migrations': 4,
                                               'networks': [{'subnet': '10.20.0.0/16', 'priority': 1}]}),
    ModuleCase('migration_preflight', lambda host, peer, vm: dict(_ad_arguments(), destination=peer, fail_on='never'), read_only=True),
    ModuleCase('vm_migrate', lambda host, peer, vm: {'name': vm, 'destination': peer, 'include_storage': True}),  # local storage moves too
    ModuleCase('replica_server',
               lambda host, peer, vm: {'state': 'enabled', 'authentication': 'kerberos', 'kerberos_port': 80, 'allow_any_server': True,
                                       'default_storage_location': 'D:\\Replica'},
               prepare=lambda host, peer, vm: {'state': 'disabled'}),
    ModuleCase('vm_replication_info', lambda host, peer, vm: {}, read_only=True),
)


def existing_module_cases() -> list:
    return [case for case in MODULE_CASES if (REPO_ROOT / 'plugins' / 'modules' / (case.module + '.py')).exists()]


def _measured_tasks(control_url: str, label: str, module: str, arguments: dict) -> list:
    """Reset the lab's counters, run the task, read the counters (the uri calls go to the control endpoint, not the hosts)."""
    local = {'delegate_to': 'localhost', 'run_once': True}
    return [
        dict(local, name='reset counters before ' + label,
             **{'ansible.builtin.uri': {'url': control_url + '/counters/reset', 'method': 'POST', 'body_format': 'json', 'body': {}}}),
        {'name': label, 'hyperv.mobility.' + module: arguments, 'register': 'task_' + label, 'ignore_errors': True},
        dict(local, name='counters after ' + label, register='counters_' + label,
             **{'ansible.builtin.uri': {'url': control_url + '/counters', 'return_content': True}}),
    ]


def task_cost_playbook(lab: Lab, host: str, peer: str, results_path: Path) -> list:
    control_url = lab.described['control_url']
    vm = lab.control.host_state(host)['vms'][-1]['name']  # the host's last VM moves to the peer (vm_migrate)
    tasks, labels = [], []
    for case in existing_module_cases():
        if case.prepare:
            tasks.append({'name': 'prepare ' + case.module, 'hyperv.mobility.' + case.module: case.prepare(host, peer, vm), 'ignore_errors': True})
        runs = ('once',) if case.read_only else ('changed', 'unchanged')
        for run in runs:
            label = '%s_%s' % (case.module, run)
            labels.append(label)
            tasks += _measured_tasks(control_url, label, case.module, case.arguments(host, peer, vm))
    collected = '{{ {%s} | to_json }}' % ', '.join(
        "'%s': {'task': task_%s | default({}), 'counters': counters_%s.json | default({})}" % (label, label, label) for label in labels)
    tasks.append({'name': 'write the results', 'delegate_to': 'localhost', 'run_once': True,
                  'ansible.builtin.copy': {'content': collected, 'dest': str(results_path), 'mode': '0600'}})
    return [{'name': 'per-task cost on ' + host, 'hosts': host, 'gather_facts': False, 'tasks': tasks}]


def measure_task_costs(lab: Lab, ansible: Ansible) -> list:
    # Kerberos delegation and live migration settings first, as an administrator would: vm_migrate needs them.
    prepared = ansible.run(REPO_ROOT / 'playbooks' / 'live_migration.yml', lab.inventory)
    if prepared.returncode != 0:
        raise RuntimeError('playbooks/live_migration.yml failed on the 2-host lab:\n' + prepared.output[-4000:])
    rows = []
    for transport in ('psrp', 'winrm'):
        host = lab.host(transport)['name']
        peer = next(other['name'] for other in lab.hosts if other['name'] != host)
        results_path = ansible.workdir / ('task-costs-%s.json' % host)
        cost = ansible.run(ansible.write_playbook(task_cost_playbook(lab, host, peer, results_path)), lab.inventory)
        if not results_path.exists():
            raise RuntimeError('the per-task playbook on %s wrote no results:\n%s' % (host, cost.output[-4000:]))
        for label, result in json.loads(results_path.read_text(encoding='utf-8')).items():
            module, run = label.rsplit('_', 1)
            task, counters = result['task'], result['counters']
            rows.append({'module': module, 'run': {'once': 'read-only'}.get(run, run), 'transport': transport, 'host': host, 'peer': peer,
                         'changed': bool(task.get('changed')), 'failed': bool(task.get('failed')), 'msg': str(task.get('msg', ''))[:160],
                         'own': {field: counters.get(host, {}).get(field, 0) for field in COUNTER_FIELDS},
                         'peer_counters': {field: counters.get(peer, {}).get(field, 0) for field in COUNTER_FIELDS},
                         'load': load_average()})
    return rows


# ---- protocol minimum: bare pypsrp and pywinrm ---------------------------------------------------------------------


def _collection_import_path(ansible: Ansible) -> None:
    if str(ansible.collections) not in sys.path:
        sys.path.insert(0, str(ansible.collections))


def measure_protocol_minimum(lab: Lab, ansible: Ansible) -> list:
    """Open a pool/shell, run Get-VMHost once, close: the least a WSMan client can send for one command."""
    _collection_import_path(ansible)
    from pypsrp.powershell import PowerShell, RunspacePool  # pylint: disable=import-outside-toplevel
    from pypsrp.wsman import WSMan  # pylint: disable=import-outside-toplevel
    import winrm  # pylint: disable=import-outside-toplevel
    from ansible_collections.hyperv.mobility.plugins.module_utils import winrm_runner  # pylint: disable=import-outside-toplevel
    from ansible_collections.hyperv.mobility.plugins.module_utils.host_session import Command  # pylint: disable=import-outside-toplevel

    control, rows = lab.control, []
    user, password = lab.described['user'], lab.described['password']

    psrp_host = lab.host('psrp')
    control.reset_counters()
    with WSMan(psrp_host['address'], port=psrp_host['https_port'], ssl=True, auth='basic', username=user, password=password,
               cert_validation=lab.described['ca_path']) as wsman, RunspacePool(wsman) as pool:
        shell = PowerShell(pool)
        shell.add_cmdlet('Get-VMHost')
        shell.invoke()
    rows.append({'client': 'bare pypsrp RunspacePool + Get-VMHost', 'transport': 'psrp', 'counters': control.counters()[psrp_host['name']],
                 'load': load_average()})

    winrm_host = lab.host('winrm')
    control.reset_counters()
    protocol = winrm.Protocol(endpoint='http://%s:%d/wsman' % (winrm_host['address'], winrm_host['http_port']), transport='ntlm',
                              username=user, password=password, message_encryption='always')
    shell_id = protocol.open_shell(codepage=65001)
    command_id = protocol.run_command(shell_id, winrm_runner.POWERSHELL_EXE, winrm_runner.command_arguments())
    protocol.send_command_input(shell_id, command_id, winrm_runner.encode_request([Command('Get-VMHost')]), end=True)
    protocol.get_command_output(shell_id, command_id)
    protocol.cleanup_command(shell_id, command_id)
    protocol.close_shell(shell_id)
    rows.append({'client': 'bare pywinrm shell + runner + Get-VMHost', 'transport': 'winrm', 'counters': control.counters()[winrm_host['name']],
                 'load': load_average()})
    return rows


# ---- figure 4: ansible-core's own connection plugins ---------------------------------------------------------------


def _short_command(name: str) -> str:
    """A cmdlet name as it is; a script (what raw and the exec wrapper send) as its first line, shortened."""
    first_line = name.strip().splitlines()[0] if name.strip() else name
    return first_line if first_line == name else 'script: %s… (%d chars)' % (first_line[:30].replace('|', '/'), len(name))


def measure_ansible_core_path(lab: Lab, ansible: Ansible) -> list:
    """ansible-core's psrp/winrm connection running a PowerShell module (exec wrapper) and a raw command, on one host each."""
    rows = []
    cases = (('bench_win_ping (win_ping body, exec wrapper)', {'bench_win_ping': {}}),
             ('ansible.builtin.raw Get-VMHost', {'ansible.builtin.raw': 'Get-VMHost'}),
             ('hyperv.mobility.host_info (ours)', {'hyperv.mobility.host_info': {}}))
    for transport in ('psrp', 'winrm'):
        host = lab.host(transport)['name']
        for label, task in cases:
            playbook = ansible.write_playbook([{'name': label, 'hosts': host, 'gather_facts': False,
                                                'tasks': [dict(task, name=label, ignore_errors=True)]}])
            lab.control.reset_counters()
            cost = ansible.run(playbook, lab.inventory)
            commands = lab.control.commands(host)
            rows.append({'case': label, 'transport': transport, 'counters': lab.control.counters()[host], 'failed': cost.recap.get(host, {}).get('failed'),
                         'commands': [_short_command(command['name']) for command in commands][:6],
                         'script_chars': max((len(command['name']) + len(json.dumps(command.get('parameters'))) for command in commands), default=0),
                         'load': load_average()})
    return rows


# ---- figure 2: the live migration mesh ---------------------------------------------------------------------------


@dataclasses.dataclass
class MeshPlan:
    sizes: list
    forks: list
    latencies: list
    max_run_seconds: float
    budget_seconds: float


def mesh_work(hosts: int) -> int:
    """Host-task runs of the role: about 10 per host plus one preflight per direction, N·(N−1)."""
    return hosts * 10 + hosts * (hosts - 1)


class MeshBenchmark:
    """Runs playbooks/live_migration.yml from the same starting state at each size, fork count and latency."""

    def __init__(self, plan: MeshPlan, ansible: Ansible, ports: Ports, started: float) -> None:
        self.plan = plan
        self.ansible = ansible
        self.ports = ports
        self.started = started
        self.rows: list = []
        self.skipped: list = []
        self._seconds_per_work: dict = {}

    def predicted_seconds(self, hosts: int, forks: int, latency: int) -> float | None:
        """From the last run with the same effective parallelism (forks above N run N at once); None when never measured."""
        parallel = min(forks, hosts)
        rate = self._seconds_per_work.get((parallel, latency))
        if rate is None:
            other = [value for (known, _unused), value in self._seconds_per_work.items() if known == parallel]
            rate = max(other) * (1.3 if latency else 1.0) if other else None
        return None if rate is None else rate * mesh_work(hosts)

    def _reason_to_skip(self, hosts: int, forks: int, latency: int, done_forks: list) -> str | None:
        if forks >= hosts and any(done >= hosts for done in done_forks):
            return 'same as forks=%d (only %d hosts)' % (min(done for done in done_forks if done >= hosts), hosts)
        predicted = self.predicted_seconds(hosts, forks, latency)
        if predicted is not None and predicted > self.plan.max_run_seconds:
            return 'predicted %.0f s > %.0f s' % (predicted, self.plan.max_run_seconds)
        remaining = self.remaining_seconds()
        needed = self.plan.max_run_seconds if predicted is None else predicted  # never measured: it may take the whole per-run limit
        if needed > remaining:
            return 'needs up to %.0f s, %.0f s left of the benchmark budget' % (needed, remaining)
        return None

    def remaining_seconds(self) -> float:
        return self.plan.budget_seconds - (time.monotonic() - self.started)

    def run(self) -> None:
        for hosts in self.plan.sizes:
            combinations = [(latency, forks) for latency in self.plan.latencies for forks in self.plan.forks]
            if self._seconds_per_work and all((self.predicted_seconds(hosts, forks, latency) or 0) > self.plan.max_run_seconds
                                              for latency, forks in combinations):
                # Not even worth starting the lab (and joining N computers to the DC).
                self.skipped += [(hosts, forks, latency, 'predicted > %.0f s' % self.plan.max_run_seconds) for latency, forks in combinations]
                continue
            if self.remaining_seconds() < self.plan.max_run_seconds:
                self.skipped += [(hosts, forks, latency, 'benchmark budget spent') for latency, forks in combinations]
                continue
            with tempfile.TemporaryDirectory(prefix='bench-mesh-%d-' % hosts) as state_dir, Lab(hosts, Path(state_dir), self.ports) as lab:
                self._run_size(lab, combinations)

    def _run_size(self, lab: Lab, combinations: list) -> None:
        directory = Directory(lab.described['dc'])
        baseline_directory = directory.computers()
        baseline_hosts = {host['name']: lab.control.host_state(host['name']) for host in lab.hosts}
        done: dict = {}
        for latency, forks in combinations:
            reason = self._reason_to_skip(lab.host_count, forks, latency, done.setdefault(latency, []))
            if reason:
                self.skipped.append((lab.host_count, forks, latency, reason))
                print('  skip N=%d forks=%d latency=%d ms: %s' % (lab.host_count, forks, latency, reason), flush=True)
                continue
            self._restore(lab, directory, baseline_directory, baseline_hosts)
            lab.control.set_latency('*', latency)
            lab.control.reset_counters()
            usn_before = directory.highest_usn()
            load_before = load_average()
            # Never measured at this parallelism: run it, but no longer than the per-run limit.
            cost = self.ansible.run(REPO_ROOT / 'playbooks' / 'live_migration.yml', lab.inventory, forks=forks, timeout=self.plan.max_run_seconds)
            writes = directory.highest_usn() - usn_before
            counters = lab.control.counters()
            done[latency].append(forks)
            # A stopped run still tells how slow this parallelism is (a lower bound), which skips its larger sizes.
            self._seconds_per_work[(min(forks, lab.host_count), latency)] = cost.wall_seconds / mesh_work(lab.host_count)
            if cost.timed_out:
                self.skipped.append((lab.host_count, forks, latency, 'stopped after %.0f s (per-run limit)' % cost.wall_seconds))
                print('  stopped N=%d forks=%d latency=%d ms after %.0f s' % (lab.host_count, forks, latency, cost.wall_seconds), flush=True)
                continue
            row = {'hosts': lab.host_count, 'forks': forks, 'latency_ms': latency, 'wall_s': cost.wall_seconds, 'cpu_s': cost.cpu_seconds,
                   'peak_rss_mib': cost.peak_rss_mib, 'rc': cost.returncode, 'failed_hosts': sum(1 for r in cost.recap.values() if r['failed']),
                   'directions': lab.host_count * (lab.host_count - 1), 'ldap_writes': writes, 'delegation_entries': directory.delegation_entries(),
                   'wsman_requests': sum(c['requests'] for c in counters.values()), 'pipelines': sum(c['pipelines'] for c in counters.values()),
                   'load': load_before + ' → ' + load_average(), 'lab_startup_s': lab.startup_seconds}
            self.rows.append(row)
            print('  N=%(hosts)d forks=%(forks)d latency=%(latency_ms)d ms: %(wall_s).1f s wall, %(cpu_s).1f s CPU, %(peak_rss_mib).0f MiB, '
                  'rc=%(rc)d, %(ldap_writes)d LDAP writes for %(directions)d directions, %(wsman_requests)d WSMan requests (load %(load)s)' % row,
                  flush=True)
            if cost.returncode != 0:
                (self.ansible.workdir / ('mesh-failure-%d-%d-%d.log' % (lab.host_count, forks, latency))).write_text(cost.output, encoding='utf-8')
        lab.control.set_latency('*', 0)

    @staticmethod
    def _restore(lab: Lab, directory: Directory, baseline_directory: dict, baseline_hosts: dict) -> None:
        """Every run starts from the lab's first state: no delegation, the hosts' original live migration settings."""
        directory.restore(baseline_directory)
        for name, state in baseline_hosts.items():
            lab.control.patch_host(name, migration=state['migration'], migration_networks=state['migration_networks'])


# ---- report -----------------------------------------------------------------------------------------------------


def plot(rows: list) -> Path | None:
    if not rows:
        return None
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    PLOT_DIR.mkdir(parents=True, exist_ok=True)
    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for forks, latency in sorted({(row['forks'], row['latency_ms']) for row in rows}):
        # A run with forks >= N stands for every fork count >= N (ansible runs at most N hosts at once).
        series = sorted({(row['hosts'], row['wall_s']) for row in rows if row['latency_ms'] == latency
                         and (row['forks'] == forks or min(row['forks'], forks) >= row['hosts'])})
        axes.plot([x for x, _unused1 in series], [y for _unused2, y in series], marker='o', linestyle='-' if latency == 0 else '--',
                  label='forks %d, latency %d ms' % (forks, latency))
    axes.set_xlabel('hosts in the mesh (N)')
    axes.set_ylabel('wall time of playbooks/live_migration.yml (s)')
    axes.set_title('Live migration mesh: time against hosts (shared 2-core machine)')
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize='small')
    path = PLOT_DIR / 'live_migration_mesh.png'
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def table(headers: list, rows: list) -> str:
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '|'.join('---' for _unused in headers) + '|']
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines)


def task_cost_table(task_rows: list, minimum_rows: list) -> str:
    rows = [[row['client'], row['transport'], row['counters']['requests'], row['counters']['pipelines'], row['counters']['shells'],
             row['counters']['bytes_in'], row['counters']['bytes_out'], '', row['load']] for row in minimum_rows]
    for row in task_rows:
        own, peer = row['own'], row['peer_counters']
        status = 'failed: ' + row['msg'] if row['failed'] else ('changed' if row['changed'] else 'ok')
        peer_text = '%d req / %d pipelines on %s' % (peer['requests'], peer['pipelines'], row['peer']) if peer['requests'] else ''
        rows.append(['%s (%s) → %s' % (row['module'], row['run'], status), row['transport'], own['requests'], own['pipelines'], own['shells'],
                     own['bytes_in'], own['bytes_out'], peer_text, row['load']])
    return table(['task', 'transport', 'WSMan requests', 'pipelines', 'shells', 'bytes to host', 'bytes from host', 'peer host', 'load avg'], rows)


def mesh_table(rows: list) -> str:
    return table(['hosts', 'forks', 'latency', 'wall s', 'controller CPU s', 'peak RSS MiB', 'rc', 'directions N·(N−1)', 'LDAP writes',
                  'delegation entries', 'WSMan requests', 'pipelines', 'load avg (before → after)'],
                 [[row['hosts'], row['forks'], '%d ms' % row['latency_ms'], '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'], '%.0f' % row['peak_rss_mib'],
                   row['rc'], row['directions'], row['ldap_writes'], row['delegation_entries'], row['wsman_requests'], row['pipelines'], row['load']]
                  for row in rows])


def core_path_table(rows: list) -> str:
    return table(['what runs', 'transport', 'WSMan requests', 'pipelines', 'shells', 'bytes to host', 'bytes from host', 'commands the lab saw',
                  'largest command (chars)', 'load avg'],
                 [[row['case'], row['transport'], row['counters']['requests'], row['counters']['pipelines'], row['counters']['shells'],
                   row['counters']['bytes_in'], row['counters']['bytes_out'], ', '.join(row['commands']) or '—', row['script_chars'], row['load']]
                  for row in rows])


def growth_text(rows: list) -> str:
    """How directions, LDAP writes, WSMan requests and CPU grow with N, from the measured rows (the first run of each size)."""
    first_of_size = {}
    for row in rows:
        first_of_size.setdefault(row['hosts'], row)
    if not first_of_size:
        return '(the mesh was not run)'
    lines = [table(['N', 'directions N·(N−1)', 'LDAP writes', 'LDAP writes / N', 'WSMan requests', 'requests / direction',
                    'controller CPU s', 'CPU s / direction'],
                   [[n, row['directions'], row['ldap_writes'], '%.1f' % (row['ldap_writes'] / n), row['wsman_requests'],
                     '%.1f' % (row['wsman_requests'] / row['directions']), '%.1f' % row['cpu_s'], '%.2f' % (row['cpu_s'] / row['directions'])]
                    for n, row in sorted(first_of_size.items())]), '']
    lines.append(
        '- **Directions grow as N·(N−1), LDAP writes as N.** `kerberos_delegation` writes each computer account once, in one '
        'LDAP modify that carries all of its destinations\' SPNs and the protocol-transition flag, so the DC sees one write per '
        'host whatever the mesh size; the delegation entries it stores grow with the directions (%s SPNs per direction).'
        % ', '.join(sorted({'%g' % (row['delegation_entries'] / row['directions']) for row in first_of_size.values()})))
    lines.append(
        '- **WSMan work grows as N·(N−1).** Every direction is one `migration_preflight` task that reads the source and the '
        'destination (one pipeline each); the per-host tasks (delegation, live migration settings) add a constant per host. '
        'Requests per direction therefore settle to a constant as N grows, and total requests grow quadratically.')
    lines.append(
        '- **Controller CPU follows the number of task runs**, about N·(N−1) + 10·N: each task is a module process on the '
        'controller (Python start, ansible-core module wrapper, pypsrp/pywinrm, TLS/NTLM). It does not shrink with forks; '
        'forks only spread it. On this 2-core machine, shared with other suites, wall time cannot fall below about CPU time / 2, '
        'which is why forks beyond a handful stop helping and why the largest meshes were predicted over the per-run limit.')
    lines.append(
        '- **Latency** adds 20 ms to every WSMan request: per task that is requests × 20 ms (0.1 s for a psrp read, 0.2–0.4 s for '
        'winrm), paid serially with forks 1 and overlapped with more forks.')
    lines.append(
        '- **Peak memory** is that of the largest single controller process (the ansible-playbook parent holding the '
        'inventory and results, or one module process); it hardly depends on N at these sizes.')
    return '\n'.join(lines)


def write_report(results: dict, document_text: str) -> None:
    DOC_PATH.write_text(document_text, encoding='utf-8')
    (PLOT_DIR / 'results.json').write_text(json.dumps(results, indent=1, default=str), encoding='utf-8')


def render(results: dict, plot_path: Path | None) -> str:
    template = (REPO_ROOT / 'benchmarks' / 'performance.md.in').read_text(encoding='utf-8')
    skipped = '\n'.join('- N=%d, forks %d, latency %d ms: %s' % item for item in results['mesh_skipped']) or '- none'
    return template.format(
        date=results['date'], machine=results['machine'], total_seconds='%.0f' % results['total_seconds'],
        task_costs=task_cost_table(results['task_costs'], results['protocol_minimum']),
        mesh=mesh_table(results['mesh']) if results['mesh'] else '(mesh not run)', skipped=skipped,
        plot='![wall time against hosts](performance/%s)' % plot_path.name if plot_path else '(no plot: the mesh was not run)',
        core_path=core_path_table(results['ansible_core_path']), growth=growth_text(results['mesh']),
        wrapper_kib=_kib(results['ansible_core_path'], 'bench_win_ping', 'psrp'), ours_kib=_kib(results['ansible_core_path'], 'host_info', 'psrp'),
    )


def _kib(rows: list, case: str, transport: str) -> str:
    sent = [row['counters']['bytes_in'] for row in rows if case in row['case'] and row['transport'] == transport]
    return '%.0f' % (sent[0] / 1024.0) if sent else '?'


# ---- entry point -------------------------------------------------------------------------------------------------


def integers(text: str) -> list:
    return [int(item) for item in text.split(',') if item]


def parse_arguments(argv: list | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--sizes', type=integers, default=[2, 10, 25, 50], help='mesh sizes (default 2,10,25,50)')
    parser.add_argument('--forks', type=integers, default=[1, 10, 25], help='fork counts (default 1,10,25)')
    parser.add_argument('--latencies', type=integers, default=[0, 20], help='lab latency per request in ms (default 0,20)')
    parser.add_argument('--max-run-seconds', type=float, default=180, help='skip a mesh run predicted to take longer (default 180)')
    parser.add_argument('--budget-seconds', type=float, default=780, help='stop starting mesh runs past this total (default 780)')
    parser.add_argument('--http-port', type=int, default=Ports.http)
    parser.add_argument('--https-port', type=int, default=Ports.https)
    parser.add_argument('--control-port', type=int, default=Ports.control)
    parser.add_argument('--no-write', action='store_true', help='print only; leave docs/performance.md as it is')
    parser.add_argument('--mesh-only', action='store_true', help='run only the mesh and add its rows to docs/performance/results.json')
    parser.add_argument('--render-only', action='store_true', help='rewrite docs/performance.md from docs/performance/results.json, measure nothing')
    return parser.parse_args(argv)


def main(argv: list | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.render_only:
        results = json.loads((PLOT_DIR / 'results.json').read_text(encoding='utf-8'))
        results['mesh_skipped'] = [tuple(item) for item in results['mesh_skipped']]
        write_report(results, render(results, plot(results['mesh'])))
        print('wrote %s from %s' % (DOC_PATH.relative_to(REPO_ROOT), (PLOT_DIR / 'results.json').relative_to(REPO_ROOT)))
        return 0
    started = time.monotonic()
    ports = Ports(arguments.http_port, arguments.https_port, arguments.control_port)
    results: dict = {'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
                     'machine': '%d CPUs, load average %s at start' % (os.cpu_count() or 0, load_average())}
    if arguments.mesh_only:
        results = json.loads((PLOT_DIR / 'results.json').read_text(encoding='utf-8'))
    with tempfile.TemporaryDirectory(prefix='hvbench-') as workdir:
        ansible = Ansible(Path(workdir))
        if not arguments.mesh_only:
            measure_small_lab(results, ansible, ports)
        print('== playbooks/live_migration.yml mesh', flush=True)
        mesh = MeshBenchmark(MeshPlan(arguments.sizes, arguments.forks, arguments.latencies, arguments.max_run_seconds, arguments.budget_seconds),
                             ansible, ports, started)
        with contextlib.suppress(KeyboardInterrupt):
            mesh.run()
        results['mesh'] = results.get('mesh', []) + mesh.rows if arguments.mesh_only else mesh.rows
        results['mesh_skipped'] = [tuple(item) for item in results.get('mesh_skipped', [])] + mesh.skipped if arguments.mesh_only else mesh.skipped
        print(mesh_table(results['mesh']), flush=True)
    results['total_seconds'] = results.get('total_seconds', 0) + time.monotonic() - started if arguments.mesh_only else time.monotonic() - started
    plot_path = plot(results['mesh'])
    if not arguments.no_write:
        PLOT_DIR.mkdir(parents=True, exist_ok=True)
        write_report(results, render(results, plot_path))
        print('wrote %s' % DOC_PATH.relative_to(REPO_ROOT), flush=True)
    print('benchmark took %.0f s' % (time.monotonic() - started), flush=True)
    return 0


def measure_small_lab(results: dict, ansible: Ansible, ports: Ports) -> None:
    """Figures 1 and 4 (per-task cost, protocol minimum, ansible-core's path) on a 2-host lab with a Samba DC."""
    print('== per-task cost, protocol minimum, ansible-core path (2-host lab with a Samba DC)', flush=True)
    with Lab(2, ansible.workdir / 'lab-2', ports) as lab:
        print('  lab up in %.0f s' % lab.startup_seconds, flush=True)
        for key, measure in (('protocol_minimum', measure_protocol_minimum), ('task_costs', measure_task_costs),
                             ('ansible_core_path', measure_ansible_core_path)):
            phase_started = time.monotonic()
            results[key] = measure(lab, ansible)
            print('  %s measured in %.0f s' % (key, time.monotonic() - phase_started), flush=True)
    print(task_cost_table(results['task_costs'], results['protocol_minimum']), '\n', flush=True)
    print(core_path_table(results['ansible_core_path']), '\n', flush=True)


if __name__ == '__main__':
    sys.exit(main())
