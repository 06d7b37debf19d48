# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures: the lab, the Samba DC and real ansible-playbook runs (docs/dev/contracts.md "Test fixtures").

``lab`` starts the lab through its real command line (``python -m hvlab up``) in a temporary state
folder, on free ports of its own, so it runs next to a lab started by ``make lab-up`` (which keeps
5985 / 5986 / 8700).  Each session's Samba DC listens on a free loopback address of 127.0.20.0/24 with its own pid
folder, so it runs beside other test sessions and ``make lab-up DC=1`` (127.0.10.250).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import socket
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LAB_ROOT = REPO_ROOT / 'tests' / 'lab'
CALLBACK_PLUGINS = REPO_ROOT / 'tests' / 'callback_plugins'
if str(LAB_ROOT) not in sys.path:
    sys.path.insert(0, str(LAB_ROOT))

from hvlab.control import LabControl  # noqa: E402  pylint: disable=wrong-import-position

# ansible-playbook of the interpreter running pytest (the repository's .venv under make).
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / 'ansible-playbook')
LAB_HOSTS_DEFAULT = 3


@dataclasses.dataclass(frozen=True)
class LabHandle:
    """A running lab: where its state is, how to reach and steer it."""

    state_dir: Path
    inventory_path: Path
    control: LabControl
    hosts: list[dict]
    password: str
    ca_path: str

    def host(self, name: str) -> dict:
        return next(host for host in self.hosts if host['name'] == name)

    def hosts_over(self, transport: str) -> list[dict]:
        """The hosts that the inventory reaches over 'psrp' or 'winrm'."""
        return [host for host in self.hosts if host['transport'] == transport]


@dataclasses.dataclass(frozen=True)
class PlaybookRun:
    """One ansible-playbook run: exit code, raw output and the JSON callback's results."""

    rc: int
    stdout: str
    stderr: str
    results: list[dict]
    stats: dict

    def task(self, name: str) -> dict[str, dict]:
        """{host: result} of the (last) task called name."""
        matches = [entry['hosts'] for entry in self.results if entry['task']['name'] == name]
        if not matches:
            raise KeyError(f'no task {name!r} in this run; tasks: {[entry["task"]["name"] for entry in self.results]}')
        return matches[-1]

    def changed_hosts(self) -> list[str]:
        return sorted(host for host, counts in self.stats.items() if counts.get('changed'))


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def _hvlab(*arguments: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(LAB_ROOT), os.environ.get('PYTHONPATH')])))
    return subprocess.run([sys.executable, '-m', 'hvlab', *arguments], capture_output=True, text=True, env=environment,
                          stdin=subprocess.DEVNULL, check=False, timeout=300)


@pytest.fixture(scope='session')
def lab(request, tmp_path_factory) -> typing.Iterator[LabHandle]:
    """A lab of 3 hosts (``@pytest.mark.parametrize('lab', [N], indirect=True)`` asks for N) for the whole session."""
    host_count = getattr(request, 'param', LAB_HOSTS_DEFAULT)
    state_dir = tmp_path_factory.mktemp('lab-state')
    ports = {'--http-port': _free_port('127.0.10.1'), '--https-port': _free_port('127.0.10.1'), '--control-port': _free_port('127.0.10.254')}
    port_arguments = [str(item) for pair in ports.items() for item in pair]
    # The Site Recovery tests start a fake Azure of their own (tests/integration/asr_lab.py): this lab leaves it out.
    # Manual replication time: tests move the clock themselves (POST /replication), `make lab-up` lets it pass.
    started = _hvlab('up', '--hosts', str(host_count), '--state-dir', str(state_dir), '--no-azure', '--replication-speed', '0', *port_arguments)
    if started.returncode != 0:
        _hvlab('down', '--state-dir', str(state_dir))
        pytest.fail(f'python -m hvlab up failed ({started.returncode}):\n{started.stdout}\n{started.stderr}', pytrace=False)
    try:
        described = json.loads((state_dir / 'lab.json').read_text(encoding='utf-8'))
        yield LabHandle(state_dir=state_dir, inventory_path=state_dir / 'inventory.yml', control=LabControl(described['control_url']),
                        hosts=described['hosts'], password=described['password'], ca_path=described['ca_path'])
    finally:
        stopped = _hvlab('down', '--state-dir', str(state_dir))
        assert stopped.returncode == 0, stopped.stderr


def _dc_address_answers(address: str) -> bool:
    """Whether something listens on one of a DC's ports (LDAP, LDAPS, Kerberos) at address."""
    for port in (389, 636, 88):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((address, port)) == 0:
                return True
    return False


def _free_dc_address() -> str:
    """A loopback address of 127.0.20.0/24 whose LDAP, LDAPS and KDC ports are free (each test session gets a DC of its own).

    The addresses are tried in a random order: test sessions of other worktrees probe at the same time, and provisioning takes
    seconds between the probe and the start, so two sessions starting from the same address would meet there.
    """
    candidates = [f'127.0.20.{number}' for number in range(1, 250)]
    random.shuffle(candidates)
    for address in candidates:
        if not _dc_address_answers(address):
            return address
    raise RuntimeError('no free loopback address for a Samba DC in 127.0.20.0/24')


@pytest.fixture(scope='session')
def samba_dc(tmp_path_factory):
    """A provisioned, running Samba AD DC (hvlab.samba.SambaDC) on a free loopback address for the whole session."""
    from hvlab.samba import SambaDC  # pylint: disable=import-outside-toplevel  # only sessions that need AD pay for it

    for attempt in range(3):
        dc = SambaDC(tmp_path_factory.mktemp('samba-dc'), address=_free_dc_address())
        dc.provision()
        if not _dc_address_answers(dc.address) or attempt == 2:
            break  # another session took the address while this one provisioned: provision on another
    dc.start()
    try:
        yield dc
    finally:
        dc.stop()


@pytest.fixture(scope='session')
def collections_root(tmp_path_factory) -> Path:
    """<tmp>/ansible_collections/hyperv/mobility -> this repository, for ANSIBLE_COLLECTIONS_PATH."""
    parts = REPO_ROOT.parts
    if len(parts) >= 4 and parts[-3] == 'ansible_collections':
        return Path(*parts[:-3])  # already inside a collections tree (the sanity copy)
    root = tmp_path_factory.mktemp('collections')
    namespace = root / 'ansible_collections' / 'hyperv'
    namespace.mkdir(parents=True)
    (namespace / 'mobility').symlink_to(REPO_ROOT)
    return root


class PlaybookRunner:
    """Runs the real ansible-playbook with this repository as hyperv.mobility and the JSON callback."""

    def __init__(self, collections_root: Path, workdir: Path) -> None:
        self.collections_root = collections_root
        self.workdir = workdir
        self.local_inventory = workdir / 'localhost.ini'
        self.local_inventory.write_text(f'localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n', encoding='utf-8')
        self._count = 0

    def _playbook_path(self, playbook: typing.Any) -> Path:
        """A path (absolute, or relative to the repository), YAML text, or a list of plays."""
        if isinstance(playbook, (list, dict)):
            playbook = yaml.safe_dump(playbook if isinstance(playbook, list) else [playbook], sort_keys=False)
        if isinstance(playbook, str) and '\n' in playbook:
            self._count += 1
            path = self.workdir / f'playbook-{self._count}.yml'
            path.write_text(playbook, encoding='utf-8')
            return path
        path = Path(playbook)
        return path if path.is_absolute() else REPO_ROOT / path

    def environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        environment.update({
            'ANSIBLE_COLLECTIONS_PATH': str(self.collections_root),
            'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_CALLBACK_PLUGINS': str(CALLBACK_PLUGINS),
            'ANSIBLE_STDOUT_CALLBACK': 'json_results',
            'ANSIBLE_LOAD_CALLBACK_PLUGINS': 'true',
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'ANSIBLE_HOST_KEY_CHECKING': 'false',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_NOCOLOR': 'true',
            'ANSIBLE_LOCAL_TEMP': str(self.workdir / 'ansible-tmp'),
            # Nothing a test run writes lands in the user's home (~/.ansible, ~/.ansible_async: the roles' controller jobs).
            'ANSIBLE_HOME': str(self.workdir / 'ansible-home'),
            'ANSIBLE_ASYNC_DIR': str(self.workdir / 'ansible-async'),
        })
        return environment

    def __call__(self, playbook: typing.Any, inventory: str | os.PathLike | None = None, extra_vars: dict | None = None,
                 check: bool = False, diff: bool = False, verbosity: int = 0, timeout: float = 600, limit: str | None = None,
                 environment: dict[str, str] | None = None) -> PlaybookRun:
        """limit: ansible-playbook --limit (a slice of a sliced run); environment: extra ANSIBLE_* settings (a fact cache)."""
        command = [ANSIBLE_PLAYBOOK, '-i', str(inventory or self.local_inventory), str(self._playbook_path(playbook))]
        if extra_vars:
            command += ['--extra-vars', json.dumps(extra_vars)]
        if limit:
            command += ['--limit', limit]
        if check:
            command.append('--check')
        if diff:
            command.append('--diff')
        if verbosity:
            command.append('-' + 'v' * verbosity)
        completed = subprocess.run(command, capture_output=True, text=True, env=dict(self.environment(), **(environment or {})), cwd=str(self.workdir),
                                   stdin=subprocess.DEVNULL, check=False, timeout=timeout)
        document = _last_json_document(completed.stdout)
        results = [task for play in document.get('plays', []) for task in play['tasks']]
        return PlaybookRun(rc=completed.returncode, stdout=completed.stdout, stderr=completed.stderr, results=results,
                           stats=document.get('stats', {}))


def _last_json_document(stdout: str) -> dict:
    """The callback prints one JSON document at the end; verbose runs may print other lines before it."""
    for line in reversed(stdout.splitlines()):
        if line.startswith('{"plays"'):
            return json.loads(line)
    return {}


@pytest.fixture(scope='session')
def run_playbook(collections_root, tmp_path_factory) -> PlaybookRunner:
    """run_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False, verbosity=0) -> PlaybookRun.

    inventory None = localhost only (controller-side modules); pass ``lab.inventory_path`` for the lab's hosts.
    """
    return PlaybookRunner(collections_root, tmp_path_factory.mktemp('playbooks'))
