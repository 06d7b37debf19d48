# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line of the lab: ``python -m hvlab up | down | serve | compare-recording FILE``.

``up`` starts ``serve`` as a detached background process, waits until every simulated host
answers, optionally provisions and starts a Samba AD DC, and writes ``inventory.yml`` and
``lab.json`` into the state folder.  ``down`` stops what ``up`` started, by the pids it recorded.
``serve`` runs the lab in the foreground until SIGTERM / SIGINT.

The simulated hosts always sit at 127.0.10.N and the control endpoint at 127.0.10.254 (see
docs/dev/contracts.md); the ports default to 5985 / 5986 / 8700.  A second lab on the same machine
(the test fixtures while ``make lab-up`` runs) uses its own state folder and its own ports
(``--http-port``, ``--https-port``, ``--control-port``); ``up`` refuses to start when the ports it
would use are taken, and says what to stop.

``up`` also starts the lab's fake Azure (hvlab.azure; ``--no-azure`` leaves it out) on 127.0.10.253:8443
(``--azure-address``, ``--azure-port``), prepares the vault and the Hyper-V site the site_recovery_azure role works with,
puts the provider setup and the site's vault credentials file on every host (the role installs the provider and registers
the host, whose VMs become protectable items), and writes the vault login into the inventory's
``all`` vars the way a sovereign-cloud user sets it (``azure_cloud_environment`` = the metadata URL, the service principal,
``azure_ca_bundle`` for REQUESTS_CA_BUNDLE).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import typing
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from hvlab.control import LabControl

DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent / '.state'
CONTROL_ADDRESS = ('127.0.10.254', 8700)
LAB_USER = 'labadmin'
HTTP_PORT = 5985
HTTPS_PORT = 5986
INVENTORY_GROUP = 'hyperv_hosts'
# Ports of the Samba DC (hvlab.samba) that a second DC would collide with.
# The lab's Samba DC: a loopback address of its own, so it runs beside the test suites' DCs (127.0.20.x).
DC_ADDRESS = '127.0.10.250'
DC_PORTS = (389, 636, 88)
# The lab's fake Azure (hvlab.azure) and what `up` prepares in it for playbooks/site_recovery_azure.yml.
AZURE_ADDRESS = '127.0.10.253'
AZURE_PORT = 8443
AZURE_RESOURCE_GROUP = 'rg-dr'
AZURE_VAULT = 'vault-dr'
AZURE_SITE = 'hyperv-site'  # the site_recovery_azure role's default site
# Where the site_recovery_azure role looks for the provider setup and the site's vault credentials file (its defaults).
AZURE_INSTALLER_PATH = 'C:\\ASR\\AzureSiteRecoveryProvider.exe'
AZURE_CREDENTIALS_PATH = f'C:\\ASR\\{AZURE_SITE}.VaultCredentials'
# Hyper-V Replica time (World.replication_speed): simulated seconds per wall-clock second. `up` lets it pass at the pace of a real
# host, so an initial replication (hvlab.model.replication.INITIAL_REPLICATION_SECONDS) takes minutes, as a person expects;
# tests pass --replication-speed 0 and move the clock themselves.
REPLICATION_SPEED = 1.0


class LabError(Exception):
    """A lab command could not do what it was asked; the message says what to do."""


class StatePaths:
    """The files a lab keeps in its state folder."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        self.root = Path(state_dir).resolve()
        self.lab_json = self.root / 'lab.json'
        self.inventory = self.root / 'inventory.yml'
        self.serve_pid = self.root / 'serve.pid'
        self.serve_log = self.root / 'serve.log'
        self.serve_ready = self.root / 'serve-ready.json'
        self.credentials = self.root / 'credentials.json'

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


def write_private_json(path: Path, document: dict) -> None:
    """Write JSON readable by the owner only (it holds passwords), replacing the file atomically."""
    temporary = path.with_suffix(path.suffix + '.tmp')
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write('\n')
    os.replace(temporary, path)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return None


def generate_password(length: int = 20) -> str:
    """A random password that satisfies Windows' complexity rules (upper, lower, digit, symbol)."""
    alphabet = string.ascii_letters + string.digits
    body = ''.join(secrets.choice(alphabet) for _index in range(length - 4))
    return 'Aa1!' + body


def port_answers(address: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def control_url(control: tuple[str, int] = CONTROL_ADDRESS) -> str:
    return f'http://{control[0]}:{control[1]}'


def control_healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + '/health', timeout=timeout) as response:  # nosec - loopback control endpoint
            return bool(json.loads(response.read()).get('ok'))
    except (OSError, ValueError, urllib.error.URLError):
        return False


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


# ---- inventory --------------------------------------------------------------------------------------


def host_transport(index: int) -> str:
    """Hosts alternate: the first speaks psrp, the second winrm, and so on, so every lab covers both."""
    return 'psrp' if index % 2 == 0 else 'winrm'


def connection_vars(host: dict, user: str, password: str, ca_path: str) -> dict:
    """ansible-core psrp / winrm connection variables for one lab host."""
    common = {'ansible_host': host['address'], 'ansible_user': user, 'ansible_password': password}
    if host['transport'] == 'psrp':
        # HTTPS with basic auth, validated against the lab's own CA.
        return dict(common, ansible_connection='psrp', ansible_port=host['https_port'], ansible_psrp_protocol='https',
                    ansible_psrp_auth='basic', ansible_psrp_cert_validation='validate', ansible_psrp_ca_cert=ca_path)
    # HTTP with NTLM and WinRM message encryption, as a domain-less Windows host accepts it.
    return dict(common, ansible_connection='winrm', ansible_port=host['http_port'], ansible_winrm_scheme='http',
                ansible_winrm_transport='ntlm', ansible_winrm_message_encryption='always')


def azure_vars(azure: dict) -> dict:
    """The vault login of playbooks/site_recovery_azure.yml, as a user of a sovereign cloud with a private CA sets it."""
    return {'azure_cloud_environment': azure['base_url'].rstrip('/') + '/', 'azure_tenant': azure['tenant_id'],
            'azure_client_id': azure['client_id'], 'azure_secret': azure['secret'], 'azure_subscription_id': azure['subscription_id'],
            'azure_resource_group': azure['resource_group'], 'azure_vault_name': azure['vault_name'], 'azure_ca_bundle': azure['ca_path'],
            'site_recovery_azure_site': azure['site']}


def build_inventory(lab: dict) -> dict:
    """The YAML inventory of a lab described by lab.json."""
    hosts = {host['name']: connection_vars(host, lab['user'], lab['password'], lab['ca_path']) for host in lab['hosts']}
    inventory: dict[str, typing.Any] = {'all': {'children': {INVENTORY_GROUP: {'hosts': hosts}}}}
    shared: dict[str, typing.Any] = {}
    dc = lab.get('dc')
    if dc:
        shared.update({'ad_server': dc['server'], 'ad_username': dc['admin_user'], 'ad_password': dc['admin_password'], 'ad_ca_cert': dc['ca_path']})
    if lab.get('azure'):
        shared.update(azure_vars(lab['azure']))
    if shared:
        inventory['all']['vars'] = shared
    return inventory


def write_inventory(path: Path, lab: dict) -> None:
    text = '# Written by `python -m hvlab up`; holds the lab\'s generated passwords.\n'
    text += yaml.safe_dump(build_inventory(lab), default_flow_style=False, sort_keys=False)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
        handle.write(text)


# ---- serve (foreground) -------------------------------------------------------------------------------


class Ports(typing.NamedTuple):
    """Where a lab listens: every host on http/https, the control endpoint on control."""

    http: int = HTTP_PORT
    https: int = HTTPS_PORT
    control: int = CONTROL_ADDRESS[1]
    azure: int = AZURE_PORT


def start_azure(state_dir: Path, address: str, port: int) -> tuple[typing.Any, dict]:
    """Start the fake Azure in this process; return its handle and what a client needs (written to serve-ready.json, private)."""
    from hvlab.azure import start_fake_azure  # pylint: disable=import-outside-toplevel  # only a lab with Azure

    handle = start_fake_azure(str(state_dir), address=address, port=port)
    return handle, {'base_url': handle.base_url, 'ca_path': handle.ca_path, 'subscription_id': handle.subscription_id,
                    'tenant_id': handle.tenant_id, 'client_id': handle.client_id, 'secret': handle.secret}


def serve(state_dir: Path, host_count: int, ports: Ports = Ports(), stop_event: threading.Event | None = None,  # pylint: disable=too-many-arguments
          azure_address: str | None = None, replication_speed: float = REPLICATION_SPEED) -> None:
    """Run the lab in this process until stop_event is set (or SIGTERM / SIGINT); with azure_address, the fake Azure too."""
    # Imported here: the engine and transport are only needed by the serving process.
    from hvlab.tls import make_lab_pki  # pylint: disable=import-outside-toplevel
    from hvlab.transport import LabServer  # pylint: disable=import-outside-toplevel
    from hvlab.model.world import World  # pylint: disable=import-outside-toplevel

    paths = StatePaths(state_dir)
    paths.ensure()
    credentials = read_json(paths.credentials) or {'user': LAB_USER, 'password': generate_password()}
    write_private_json(paths.credentials, credentials)

    world = World.create(host_count)
    world.replication_control({'speed': replication_speed})
    pki = make_lab_pki(str(paths.root), world.hosts)
    control = (CONTROL_ADDRESS[0], ports.control)
    server = LabServer(world, {credentials['user']: credentials['password']}, pki, control=control,
                       http_port=ports.http, https_port=ports.https)
    stop_event = stop_event or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_number, lambda _number, _frame: stop_event.set())
    server.start()
    azure_handle = None
    try:
        azure = None
        if azure_address:
            azure_handle, azure = start_azure(paths.root, azure_address, ports.azure)
        hosts = [{'name': host.name, 'fqdn': host.fqdn, 'address': host.address, 'http_port': ports.http,
                  'https_port': ports.https, 'transport': host_transport(index)} for index, host in enumerate(world.hosts)]
        # Tells `up` what is being served; written only once every listener is bound.
        write_private_json(paths.serve_ready, {'pid': os.getpid(), 'hosts': hosts, 'ca_path': pki.ca_path,
                                               'control_url': control_url(control), 'azure': azure})
        print(f'hvlab: serving {len(hosts)} hosts, control {control_url(control)}' + (f', fake Azure {azure["base_url"]}' if azure else ''),
              flush=True)
        stop_event.wait()
    finally:
        if azure_handle is not None:
            azure_handle.stop()
        server.stop()
        print('hvlab: stopped', flush=True)


# ---- up / down ----------------------------------------------------------------------------------------


class LabLauncher:
    """Starts `serve` in the background and turns what it serves into lab.json + inventory.yml."""

    def __init__(self, paths: StatePaths, host_count: int, with_dc: bool, timeout: float, ports: Ports = Ports(),  # pylint: disable=too-many-arguments
                 dc_address: str = DC_ADDRESS, azure_address: str | None = AZURE_ADDRESS, replication_speed: float = REPLICATION_SPEED) -> None:
        self.paths = paths
        self.replication_speed = replication_speed
        self.azure_address = azure_address
        self.host_count = host_count
        self.ports = ports
        self.with_dc = with_dc
        self.dc_address = dc_address
        self.timeout = timeout

    def refuse_if_occupied(self) -> None:
        lab = read_json(self.paths.lab_json)
        if lab and pid_alive(lab.get('pid')):
            raise LabError(f'a lab from {self.paths.root} is already running (pid {lab["pid"]}); '
                           f'run `python -m hvlab down --state-dir {self.paths.root}` first')
        first_host = '127.0.10.1'
        wanted = [(CONTROL_ADDRESS[0], self.ports.control), (first_host, self.ports.http), (first_host, self.ports.https)]
        taken = [f'{address}:{port}' for address, port in wanted if port_answers(address, port)]
        if self.with_dc:
            taken += [f'{self.dc_address}:{port}' for port in DC_PORTS if port_answers(self.dc_address, port)]
        if self.azure_address and port_answers(self.azure_address, self.ports.azure):
            taken.append(f'{self.azure_address}:{self.ports.azure} (fake Azure; or start with --no-azure / another --azure-port)')
        if taken:
            raise LabError('another lab (or program) already listens on ' + ', '.join(taken) +
                           '; stop it first, e.g. `make lab-down` or `python -m hvlab down --state-dir <its state folder>`')

    def start_server(self) -> int:
        self.paths.serve_ready.unlink(missing_ok=True)
        # A new password for every lab: `serve` reads it from here, the inventory gets it from lab.json.
        write_private_json(self.paths.credentials, {'user': LAB_USER, 'password': generate_password()})
        command = [sys.executable, '-m', 'hvlab', 'serve', '--hosts', str(self.host_count), '--state-dir', str(self.paths.root),
                   '--http-port', str(self.ports.http), '--https-port', str(self.ports.https), '--control-port', str(self.ports.control),
                   '--replication-speed', str(self.replication_speed)]
        command += ['--azure-address', self.azure_address, '--azure-port', str(self.ports.azure)] if self.azure_address else ['--no-azure']
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                                                os.environ.get('PYTHONPATH')])))
        with open(self.paths.serve_log, 'ab') as log:
            # A new session: the lab outlives this command and does not get the terminal's signals.
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                       env=environment, start_new_session=True, cwd=str(self.paths.root))
        self.paths.serve_pid.write_text(f'{process.pid}\n', encoding='ascii')
        self._wait_until_ready(process)
        return process.pid

    def _wait_until_ready(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.paths.serve_pid.unlink(missing_ok=True)
                raise LabError(f'the lab server exited with {process.returncode}; its log {self.paths.serve_log} ends with:\n'
                               + tail(self.paths.serve_log))
            ready = read_json(self.paths.serve_ready)
            if ready and ready.get('pid') == process.pid and self._all_hosts_answer(ready):
                return
            time.sleep(0.2)
        stop_process_group(process.pid)
        raise LabError(f'the lab did not answer within {self.timeout:.0f}s; see {self.paths.serve_log}:\n' + tail(self.paths.serve_log))

    @staticmethod
    def _all_hosts_answer(ready: dict) -> bool:
        if not control_healthy(ready['control_url']):
            return False
        azure = ready.get('azure')
        if azure:
            where = urllib.parse.urlsplit(azure['base_url'])
            if not port_answers(where.hostname, where.port):
                return False
        return all(port_answers(host['address'], port) for host in ready['hosts'] for port in (host['http_port'], host['https_port']))

    def start_dc(self, hosts: list[dict]) -> dict:
        from hvlab.samba import SambaDC  # pylint: disable=import-outside-toplevel  # only with --dc

        dc = SambaDC(str(self.paths.root), address=self.dc_address)
        if dc.provisioned:
            # A domain left by an earlier lab (nothing runs from this folder: refuse_if_occupied checked) may carry another
            # address, and its accounts the delegation of earlier runs: every lab starts with a fresh domain.
            shutil.rmtree(dc.dir)
            dc = SambaDC(str(self.paths.root), address=self.dc_address)
        dc.provision()
        for host in hosts:
            dc.add_computer(host['name'], host['fqdn'])
        dc.start()
        return {'server': dc.address, 'ldap_url': dc.ldap_url, 'admin_user': dc.admin_user, 'admin_password': dc.admin_password,
                'ca_path': dc.ca_path, 'krb5_conf': dc.krb5_conf, 'realm': dc.realm, 'pid': dc.pid}

    @staticmethod
    def prepare_azure(azure: dict, control: str) -> dict:
        """The portal's part of Site Recovery for the role: vault, Hyper-V site, and on every host the provider setup and the site's
        vault credentials file where the role looks for them (the user copies them with win_get_url / win_copy)."""
        from hvlab.azure.bootstrap import prepare_lab_vault  # pylint: disable=import-outside-toplevel
        from hvlab.model.programs import INSTALLER_CONTENT  # pylint: disable=import-outside-toplevel

        credentials = prepare_lab_vault(azure, AZURE_RESOURCE_GROUP, AZURE_VAULT, AZURE_SITE)
        lab_control = LabControl(control)
        # The hosts' Site Recovery provider reaches this cloud (the public endpoints of a real one).
        lab_control.configure_site_recovery(azure['base_url'], azure['ca_path'])
        for host in lab_control.hosts():
            lab_control.put_files(host['name'], {AZURE_INSTALLER_PATH: INSTALLER_CONTENT, AZURE_CREDENTIALS_PATH: credentials})
        return dict(azure, resource_group=AZURE_RESOURCE_GROUP, vault_name=AZURE_VAULT, site=AZURE_SITE)

    def up(self) -> dict:
        self.paths.ensure()
        self.refuse_if_occupied()
        pid = self.start_server()
        try:
            ready = read_json(self.paths.serve_ready) or {}
            credentials = read_json(self.paths.credentials) or {}
            lab = {'pid': pid, 'state_dir': str(self.paths.root), 'control_url': ready['control_url'], 'ca_path': ready['ca_path'],
                   'user': credentials['user'], 'password': credentials['password'], 'hosts': ready['hosts'],
                   'inventory': str(self.paths.inventory), 'dc': self.start_dc(ready['hosts']) if self.with_dc else None,
                   'azure': self.prepare_azure(ready['azure'], ready['control_url']) if ready.get('azure') else None}
            if lab['dc']:
                # The hosts are domain members: Kerberos live migrations read the delegation from this DC.
                LabControl(lab['control_url']).configure_directory(lab['dc']['ldap_url'], lab['dc']['admin_user'],
                                                                   lab['dc']['admin_password'], lab['dc']['ca_path'])
        except Exception:
            stop_lab(self.paths)
            raise
        write_private_json(self.paths.lab_json, lab)
        write_inventory(self.paths.inventory, lab)
        return lab


def tail(path: Path, lines: int = 20) -> str:
    try:
        return '\n'.join(path.read_text(encoding='utf-8', errors='replace').splitlines()[-lines:])
    except OSError:
        return '(no log)'


def stop_process_group(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM the process group that `up` created for `serve`, then SIGKILL if it lingers."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid) or _is_zombie(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f'/proc/{pid}/stat').read_text(encoding='ascii').rsplit(')', 1)[1].split()[0] == 'Z'
    except (OSError, IndexError):
        return False


def _recorded_serve_pid(paths: StatePaths) -> int | None:
    try:
        pid = int(paths.serve_pid.read_text(encoding='ascii').strip())
    except (OSError, ValueError):
        return None
    # A stale pid file must never make us signal an unrelated process.
    try:
        command_line = Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')
    except OSError:
        return None
    return pid if b'hvlab' in command_line and b'serve' in command_line else None


def stop_lab(paths: StatePaths) -> list[str]:
    """Stop the lab server and the DC recorded in the state folder; return what was stopped."""
    stopped = []
    pid = _recorded_serve_pid(paths)
    if pid is not None:
        stop_process_group(pid)
        stopped.append(f'lab server (pid {pid})')
    if (paths.root / 'samba' / 'dc.json').exists():
        from hvlab.samba import SambaDC  # pylint: disable=import-outside-toplevel

        dc = SambaDC(str(paths.root))
        if dc.running():
            dc.stop()
            stopped.append('Samba DC')
    for stale in (paths.serve_pid, paths.serve_ready, paths.lab_json, paths.inventory):
        stale.unlink(missing_ok=True)
    return stopped


# ---- argument parsing -------------------------------------------------------------------------------


def host_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 253:
        raise argparse.ArgumentTypeError('must be between 1 and 253 (127.0.10.254 is the control endpoint)')
    return value


def loopback_address(text: str) -> str:
    if not ipaddress.ip_address(text).is_loopback:
        raise argparse.ArgumentTypeError(f'{text} is not a loopback address: the lab only listens on loopback')
    return text


def port_number(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError('must be a TCP port number (1-65535), or 0 for a free one')
    return value


def free_port(address: str) -> int:
    """A TCP port nothing listens on at address now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def replication_speed(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError('must be 0 (the clock moves only when asked) or a positive number of simulated seconds per second')
    return value


def ports_of(args: argparse.Namespace) -> Ports:
    """The ports asked for; 0 picks a free one (every host listens on the same pair, probed on the first host's address), so a
    lab started by a molecule scenario or a test never collides with another on the machine."""
    chosen = {'http': args.http_port, 'https': args.https_port, 'control': args.control_port, 'azure': args.azure_port}
    where = {'http': '127.0.10.1', 'https': '127.0.10.1', 'control': CONTROL_ADDRESS[0], 'azure': args.azure_address}
    for name, port in chosen.items():
        while chosen[name] == 0 or (port == 0 and list(chosen.values()).count(chosen[name]) > 1):
            chosen[name] = free_port(where[name])
    return Ports(**chosen)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m hvlab', description='The Hyper-V digital twin lab.')
    commands = parser.add_subparsers(dest='command', required=True)

    def add_state_dir(subparser: argparse.ArgumentParser) -> None:
        subparser.add_argument('--state-dir', type=Path, default=DEFAULT_STATE_DIR, help=f'state folder (default {DEFAULT_STATE_DIR})')

    def add_ports(subparser: argparse.ArgumentParser) -> None:
        subparser.add_argument('--http-port', type=port_number, default=HTTP_PORT,
                               help=f'every host\'s WinRM HTTP port (default {HTTP_PORT}; 0 for a free one, as for every port option)')
        subparser.add_argument('--https-port', type=port_number, default=HTTPS_PORT, help=f'every host\'s WinRM HTTPS port (default {HTTPS_PORT})')
        subparser.add_argument('--control-port', type=port_number, default=CONTROL_ADDRESS[1],
                               help=f'port of the control endpoint on {CONTROL_ADDRESS[0]} (default {CONTROL_ADDRESS[1]})')
        subparser.add_argument('--azure', action=argparse.BooleanOptionalAction, default=True,
                               help='also serve the fake Azure (Entra ID token, cloud metadata, ARM for Site Recovery); --no-azure leaves it out')
        subparser.add_argument('--azure-address', type=loopback_address, default=AZURE_ADDRESS,
                               help=f'loopback address of the fake Azure (default {AZURE_ADDRESS})')
        subparser.add_argument('--azure-port', type=port_number, default=AZURE_PORT, help=f'HTTPS port of the fake Azure (default {AZURE_PORT})')
        subparser.add_argument('--replication-speed', type=replication_speed, default=REPLICATION_SPEED,
                               help=f'simulated Hyper-V Replica seconds per wall-clock second (default {REPLICATION_SPEED:g}, a real host\'s '
                                    'pace; 0 stops the clock: tests move it through the control endpoint)')

    up = commands.add_parser('up', help='start the lab in the background and write inventory.yml')
    up.add_argument('--hosts', type=host_count, default=3, help='number of simulated Hyper-V hosts (default 3)')
    up.add_argument('--dc', action='store_true', help=f'also provision and start a Samba AD DC (on --dc-address, default {DC_ADDRESS})')
    up.add_argument('--dc-address', type=loopback_address, default=DC_ADDRESS, help=f'loopback address of the DC (default {DC_ADDRESS})')
    up.add_argument('--timeout', type=float, default=120.0, help='seconds to wait for the lab to answer (default 120)')
    add_state_dir(up)
    add_ports(up)

    down = commands.add_parser('down', help='stop the lab started by up')
    add_state_dir(down)

    serve_parser = commands.add_parser('serve', help='run the lab in the foreground')
    serve_parser.add_argument('--hosts', type=host_count, default=3)
    add_state_dir(serve_parser)
    add_ports(serve_parser)
    compare_parser = commands.add_parser(
        'compare-recording', help="list where the lab differs from a host's fidelity recording (exit code 1 when it differs)")
    compare_parser.add_argument('recording', help='a JSON file written by playbooks/fidelity_probe.yml')
    return parser


def compare_recording(path: str) -> int:
    """Print each difference between the lab and the recording; 0 when there is none, 1 when there are, 2 for a bad file."""
    from hvlab.recording import compare_file  # pylint: disable=import-outside-toplevel  # only this command needs the engine
    try:
        differences = compare_file(path)
    except (OSError, ValueError) as error:
        print(f'hvlab: compare-recording: {error}', file=sys.stderr)
        return 2
    for line in differences:
        print(line)
    print(f'hvlab: compare-recording: {len(differences)} difference(s) between the lab and {path}')
    return 1 if differences else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == 'compare-recording':
        return compare_recording(args.recording)
    paths = StatePaths(args.state_dir)
    try:
        if args.command == 'serve':
            serve(paths.root, args.hosts, ports_of(args), azure_address=args.azure_address if args.azure else None,
                  replication_speed=args.replication_speed)
        elif args.command == 'up':
            lab = LabLauncher(paths, args.hosts, args.dc, args.timeout, ports_of(args), dc_address=args.dc_address,
                              azure_address=args.azure_address if args.azure else None, replication_speed=args.replication_speed).up()
            names = ', '.join(f'{host["name"]} ({host["address"]}, {host["transport"]})' for host in lab['hosts'])
            print(f'hvlab: up: {names}' + (f'; Samba DC at {lab["dc"]["ldap_url"]}' if lab['dc'] else '')
                  + (f'; fake Azure at {lab["azure"]["base_url"]} (vault {AZURE_RESOURCE_GROUP}/{AZURE_VAULT}, site {AZURE_SITE})' if lab['azure'] else ''))
            print(f'hvlab: inventory {paths.inventory}')
        else:
            stopped = stop_lab(paths)
            print('hvlab: down: ' + (', '.join(stopped) if stopped else f'nothing was running from {paths.root}'))
    except LabError as error:
        print(f'hvlab: {error}', file=sys.stderr)
        return 1
    return 0
