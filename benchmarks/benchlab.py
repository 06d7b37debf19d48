# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every benchmark of `make bench` shares: a lab of its own, measured ansible-playbook runs, Markdown tables.

A lab here is `python -m hvlab up` in a temporary state folder, on ports and a DC address of its own (never the
`make lab-up` state in tests/lab/.state, never the test fixtures' random ports or 127.0.20.x DCs). Every
ansible-playbook run is measured with os.wait4 (wall time, CPU of it and every process it reaped, peak RSS) and
records a timeline of its task starts (callback_plugins/bench_timeline.py) to attribute requests to tasks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import typing
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LAB_ROOT = REPO_ROOT / 'tests' / 'lab'
if str(LAB_ROOT) not in sys.path:
    sys.path.insert(0, str(LAB_ROOT))

from hvlab.control import LabControl  # noqa: E402  pylint: disable=wrong-import-position

PYTHON = sys.executable
ANSIBLE_PLAYBOOK = str(Path(PYTHON).parent / 'ansible-playbook')
CALLBACK_DIR = Path(__file__).resolve().parent / 'callback_plugins'
RECAP_LINE = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)')
COUNTER_FIELDS = ('requests', 'pipelines', 'shells', 'bytes_in', 'bytes_out')
READ_VERBS = ('get', 'test', 'measure')


def load_average() -> str:
    return '%.1f/%.1f/%.1f' % os.getloadavg()


def table(headers: list, rows: list) -> str:
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '|'.join('---' for _unused in headers) + '|']
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines)


def write_commands(counters: dict) -> int:
    """Commands other than reads (Get-/Test-/Measure-) in one host's counters."""
    return sum(count for name, count in counters.get('commands', {}).items() if name.split('-')[0].lower() not in READ_VERBS)


# ---- the lab ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Ports:
    """Ports and addresses away from the defaults and from the test fixtures' random ports, so other labs keep running.

    The DC sits on 127.0.30.1: `make lab-up DC=1` uses 127.0.10.250 and the test sessions 127.0.20.x.
    """

    http: int = 45985
    https: int = 45986
    control: int = 48700
    azure: int = 48443
    dc_address: str = '127.0.30.1'


class Lab:
    """`python -m hvlab up` in a state folder of its own; a context manager that always brings it down."""

    def __init__(self, host_count: int, state_dir: Path, ports: Ports, with_dc: bool = True) -> None:
        self.host_count = host_count
        self.state_dir = state_dir
        self.ports = ports
        self.with_dc = with_dc
        self.described: dict = {}
        self.startup_seconds = 0.0

    def _hvlab(self, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
        environment = dict(os.environ, PYTHONPATH=str(LAB_ROOT))
        return subprocess.run([PYTHON, '-m', 'hvlab', *arguments, '--state-dir', str(self.state_dir)], capture_output=True, text=True,
                              env=environment, stdin=subprocess.DEVNULL, check=False, timeout=timeout)

    def __enter__(self) -> 'Lab':
        started = time.monotonic()
        dc_arguments = ['--dc', '--dc-address', self.ports.dc_address] if self.with_dc else []
        # --no-azure: the Site Recovery figures start a fake Azure of their own (roles_bench.py), the others need none.
        # Manual replication time, as in the tests: the figures move the clock themselves.
        result = self._hvlab('up', '--hosts', str(self.host_count), *dc_arguments, '--no-azure', '--replication-speed', '0', '--timeout', '300',
                             '--http-port', str(self.ports.http),
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

    @property
    def names(self) -> list:
        """The lab's host names (hv01, hv02, ...), in order."""
        return [host['name'] for host in self.hosts]

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
class ProcessCost:  # pylint: disable=too-many-instance-attributes
    """What one ansible-playbook run cost the controller (os.wait4 of that process: it and every worker it reaped)."""

    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    returncode: int
    recap: dict
    output: str
    timed_out: bool = False
    timeline: list = dataclasses.field(default_factory=list)

    @property
    def changed(self) -> int:
        """Changed tasks over all hosts (the recap's changed counts)."""
        return sum(counts['changed'] for counts in self.recap.values())

    @property
    def failed_hosts(self) -> int:
        """Hosts with a failed or unreachable task."""
        return sum(1 for counts in self.recap.values() if counts['failed'] or counts['unreachable'])

    def summary(self) -> dict:
        """The figures every table shows for a run."""
        return {'wall_s': self.wall_seconds, 'cpu_s': self.cpu_seconds, 'peak_rss_mib': self.peak_rss_mib, 'rc': self.returncode,
                'changed': self.changed, 'failed_hosts': self.failed_hosts, 'timed_out': self.timed_out}


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
            'ANSIBLE_CALLBACK_PLUGINS': str(CALLBACK_DIR), 'ANSIBLE_CALLBACKS_ENABLED': 'bench_timeline',
            'PATH': str(Path(PYTHON).parent) + os.pathsep + os.environ.get('PATH', ''),
        })
        return environment

    def write_playbook(self, plays: list) -> Path:
        self._count += 1
        path = self.workdir / ('playbook-%d.yml' % self._count)
        path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding='utf-8')
        return path

    def run(self, playbook: Path, inventory: Path, forks: int = 5, extra_vars: dict | None = None,  # pylint: disable=R0913,R0917,R0914
            timeout: float = 900) -> ProcessCost:
        """Run a playbook in a session of its own, killed with its workers past `timeout`; what it cost the controller."""
        command = [ANSIBLE_PLAYBOOK, '-i', str(inventory), '--forks', str(forks), str(playbook)]
        if extra_vars:
            command += ['--extra-vars', json.dumps(extra_vars)]
        self._count += 1
        log_path = self.workdir / ('ansible-%d.log' % self._count)
        timeline_path = self.workdir / ('timeline-%d.json' % self._count)
        environment = dict(self.environment(), HVBENCH_TIMELINE=str(timeline_path))
        started = time.monotonic()
        with open(log_path, 'w', encoding='utf-8') as log:
            process = subprocess.Popen(command,  # pylint: disable=consider-using-with  # waited for with os.wait4 below
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
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
        timeline = json.loads(timeline_path.read_text(encoding='utf-8')) if timeline_path.exists() else []
        return ProcessCost(wall_seconds=wall, cpu_seconds=usage.ru_utime + usage.ru_stime, peak_rss_mib=usage.ru_maxrss / 1024.0,
                           returncode=process.returncode, recap=recap, output=output, timed_out=timed_out, timeline=timeline)


def task_at(timeline: list, moment: float) -> dict | None:
    """The task that was running at `moment` (the last one started before it; the linear strategy runs one task at a time)."""
    current = None
    for event in timeline:
        if event['time'] > moment:
            break
        current = event
    return current
