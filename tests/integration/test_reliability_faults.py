# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault matrix: every host module under each fault the lab injects, and the Samba DC's faults for kerberos_delegation.

ONE lab (joined to the shared Samba DC, its hosts' Site Recovery provider pointed at a fake Azure with a vault and a Hyper-V
site) holds a cell of GROUP_SIZE hosts per fault kind, and ONE ansible-playbook run
(forks = one per cell) drives them all: for every module of MODULES a play arms, on every cell at once, that cell's
fault (through the control endpoint, with ansible.builtin.uri), runs the module, clears the faults, runs it again.
Cells never share a host, so the faults of one cell cannot reach another; the linear strategy finishes a task on every
host before the next starts, so clearing every fault at once after the first run is safe. The standard, asserted per
module and fault:
- the first run never ends in a traceback; when it fails, its message names the host and the fault;
- the second run converges (no failure, the world in the desired state);
- no side effect is duplicated: the write cmdlets counted by the lab (which count a pipeline that ran even when its
  connection was dropped afterwards) are exactly those of one change; for asr_host_registration, whose write is a program
  (the lab counts no cmdlet for it), the host is registered in the vault exactly once.

Command faults (HTTP 500, WSMan fault, drop before/after) hit a module's *write* pipeline (the lab's ``after`` lets
its reads through) when it has one, so the re-read of an unknown outcome is exercised; read-only modules get enough of
them to exhaust their retries. Adding a module = one Module(...) line in MODULES.
"""

from __future__ import annotations

import dataclasses
import re
import typing

import ldap3
import pytest
import yaml

from hvlab.cli import AZURE_CREDENTIALS_PATH, AZURE_INSTALLER_PATH, AZURE_RESOURCE_GROUP, AZURE_SITE, AZURE_VAULT, LabLauncher, start_azure
from asr_lab import AZURE_ADDRESS
from migration_lab import MIGRATION_SERVICE, free_port, start_migration_lab
from vm_replication_lab import make_replica_server

RETRIES = 1                      # hyperv_retries of every task: a fault that outlives one retry fails the task
EXHAUSTING = 20                  # faults armed to outlive every retry (cleared after the first run)
LATENCY_MS = 2500                # beyond the operation timeout the latency cell uses
SHORT_TIMEOUTS = {'ansible_psrp_operation_timeout': 1, 'ansible_psrp_read_timeout': 2, 'ansible_psrp_connection_timeout': 2,
                  'ansible_winrm_operation_timeout_sec': 1, 'ansible_winrm_read_timeout_sec': 2, 'ansible_winrm_connection_timeout': 2}
TRACEBACK = 'Traceback (most recent call last)'
KERBEROS_NETWORKED = {'state': 'enabled', 'authentication': 'kerberos', 'networks': [{'subnet': '192.168.10.0/24', 'priority': 1}]}
# A cell is hosts a, b, c (+ one idle host): World.create seeds 3 VMs on odd hosts and 2 on even ones, and the lab
# reaches even positions over psrp and odd ones over winrm, so 4 keeps every cell like hv01..hv03: a and c odd, over
# psrp, with hvNN-app / hvNN-db; b even, over winrm.
GROUP_SIZE = 4
ROLES = ('a', 'b', 'c')


@dataclasses.dataclass(frozen=True)
class Fault:
    """A lab fault: how to arm it through the control endpoint, and the words that name it in a message."""

    name: str
    message: str                                    # regex the failure message must match (besides the host name)
    command: bool = False                           # a command fault: aimed at the write pipeline
    count: int = 1
    host_vars: dict = dataclasses.field(default_factory=dict)   # inventory vars of the fault's cell

    def arm(self, host: str, after: int) -> dict:
        if self.name == 'latency':
            return {'path': '/latency', 'body': {'host': host, 'ms': LATENCY_MS}}
        return {'path': '/faults', 'body': {'host': host, 'kind': self.name, 'count': self.count, 'after': after}}


FAULTS = [
    Fault('http_500', r'500', command=True),
    Fault('wsman_fault', r'WSManFault', command=True),
    Fault('drop_before', r'Connection(Error| aborted|ResetError)|RemoteDisconnected', command=True),
    Fault('drop_after', r'Connection(Error| aborted|ResetError)|RemoteDisconnected', command=True),
    # Bad credentials stay bad until fixed: with NTLM the client's first request carries no credentials and is answered 401
    # anyway, so a single rejection would be absorbed by the handshake.
    Fault('auth_failure', r'Authentication to .* failed|rejected the credentials', count=EXHAUSTING),
    Fault('host_down', r'Cannot reach .* after \d+ attempt', count=EXHAUSTING),
    Fault('latency', r'(?i)timed? ?out', host_vars=SHORT_TIMEOUTS),
]


@dataclasses.dataclass(frozen=True)
class Cell:
    """The hosts of one fault's cell, by role."""

    a: str
    b: str
    c: str

    def __getitem__(self, role: str) -> str:
        return getattr(self, role)

    def names(self) -> tuple[str, ...]:
        return tuple(self[role] for role in ROLES)


@dataclasses.dataclass(frozen=True)
class Module:
    """One host module in the matrix, written for a cell's roles (options template the cell's names: {{ cell_b }}).

    role: the role the task runs on; faulted: the role the fault hits (for a pair module that only touches its
    destination, the destination). writes: {role: {cmdlet: count}} of ONE change; empty for read-only modules.
    reads_before_write: pipelines (or programs) the module runs on the faulted host before its write (the lab lets them through).
    prepare(lab, cell): makes the change necessary on a fresh lab; converged(lab, cell): the desired state is in the world.
    count_writes(lab, host, names, counters): {name: count} of the writes that happened on host (by default the lab's command
    counters). azure: the play also carries the vault login (module_defaults group/hyperv.mobility.azure).
    """

    label: str
    module: str
    role: str
    options: dict
    faulted: str = ''
    writes: dict = dataclasses.field(default_factory=dict)
    reads_before_write: int = 1
    prepare: typing.Callable[[typing.Any, Cell], None] = lambda lab, cell: None
    converged: typing.Callable[[typing.Any, Cell], bool] = lambda lab, cell: True
    count_writes: typing.Callable[[typing.Any, str, typing.Iterable[str], dict], dict] = lambda lab, host, names, counters: command_writes(
        counters, host, names)
    azure: bool = False

    @property
    def fault_role(self) -> str:
        return self.faulted or self.role


def _migration_disabled(role: str) -> typing.Callable:
    return lambda lab, cell: lab.control.patch_host(cell[role], migration={'enabled': False})


def _migration_enabled(role: str) -> typing.Callable:
    return lambda lab, cell: lab.control.host_state(cell[role])['migration']['enabled'] is True


def _vm_on(role: str, vm_role: str, suffix: str) -> typing.Callable:
    return lambda lab, cell: cell[vm_role] + suffix in [entry['name'] for entry in lab.control.host_state(cell[role])['vms']]


def _replica_server_enabled(lab, cell: Cell) -> bool:
    return lab.control.host_state(cell.c)['replica_server']['enabled'] is True


def _replicating(role: str, suffix: str) -> typing.Callable:
    return lambda lab, cell: lab.control.host_state(cell[role])['replication']['relationships'].get(cell[role] + suffix, {}).get('mode') == 'Primary'


def _registered(role: str) -> typing.Callable:
    return lambda lab, cell: lab.registrations(cell[role]) == 1


def _registration_count(lab, host: str, names: typing.Iterable[str], counters: dict) -> dict:  # pylint: disable=unused-argument
    return {'registered in the vault': lab.registrations(host)}


def _registration(role: str, transport: str) -> Module:
    """asr_host_registration on a cell's host: extract and install run, the fault hits the registration program."""
    return Module(f'asr_host_registration {transport}', 'asr_host_registration', role,
                  {'site': AZURE_SITE, 'friendly_name': '{{ cell_%s }}.hvlab.test' % role, 'installer_path': AZURE_INSTALLER_PATH,
                   'vault_credentials_path': AZURE_CREDENTIALS_PATH},
                  writes={role: {'registered in the vault': 1}}, reads_before_write=2, converged=_registered(role),
                  count_writes=_registration_count, azure=True)


# a and c are reached over psrp, b over winrm. Plays run in this order: the live_migration task on b restores the
# settings vm_migrate needs on its destination; a's -app VM replicates to b before the matrix (FaultLab).
MODULES = [
    Module('host_info', 'host_info', 'b', {}),
    Module('live_migration psrp', 'live_migration', 'c', KERBEROS_NETWORKED, writes={'c': {'Enable-VMMigration': 1}},
           prepare=_migration_disabled('c'), converged=_migration_enabled('c')),
    Module('live_migration winrm', 'live_migration', 'b', KERBEROS_NETWORKED, writes={'b': {'Enable-VMMigration': 1}},
           prepare=_migration_disabled('b'), converged=_migration_enabled('b')),
    Module('migration_preflight', 'migration_preflight', 'a', {'destination': '{{ cell_b }}', 'fail_on': 'failed'}),
    Module('vm_migrate', 'vm_migrate', 'a', {'name': '{{ cell_a }}-web', 'destination': '{{ cell_b }}', 'include_storage': True},
           # One read pipeline on the source (Get-VMHost, Get-VM, Compare-VM), then Move-VM: the fault hits Move-VM.
           writes={'a': {'Move-VM': 1}}, converged=_vm_on('b', 'a', '-web')),
    Module('replica_server', 'replica_server', 'c', {'state': 'enabled', 'authentication': 'kerberos', 'allow_any_server': True,
                                                     'default_storage_location': 'D:\\Replica'},
           writes={'c': {'Set-VMReplicationServer': 1}}, converged=_replica_server_enabled),
    Module('vm_replication', 'vm_replication', 'c', {'name': '{{ cell_c }}-db', 'replica_server': '{{ cell_b }}.hvlab.test'},
           writes={'c': {'Enable-VMReplication': 1, 'Start-VMInitialReplication': 1}}, reads_before_write=2, converged=_replicating('c', '-db')),
    Module('vm_replication_info', 'vm_replication_info', 'a', {'name': '{{ cell_a }}-app'}),
    Module('vm_failover test', 'vm_failover', 'a', {'name': '{{ cell_a }}-app', 'destination': '{{ cell_b }}', 'action': 'test'}, faulted='b',
           writes={'b': {'Start-VMFailover': 1}}, converged=_vm_on('b', 'a', '-app - Test')),
    _registration('c', 'psrp'),
    _registration('b', 'winrm'),
]


class FaultLab:
    """One lab with a cell per fault, joined to the DC: in every cell a's -app VM replicates to b and a delegates to b."""

    def __init__(self, state_dir, dc, run_playbook) -> None:
        self.lab = start_migration_lab(state_dir, dc, host_count=GROUP_SIZE * len(FAULTS))
        self.control = self.lab.control
        # Live migration on (Kerberos, the private network) everywhere, as vm_migrate's source needs it: a fresh host has it
        # off, as Windows ships, and Compare-VM rightly refuses a source without it. prepare() then turns it off where a module
        # under test must turn it on.
        self.lab.configure_pair()
        self.run_playbook = run_playbook
        # The portal's part of Site Recovery, as `hvlab up` prepares it: vault, Hyper-V site, the provider setup and the site's
        # vault credentials on every host, the hosts' provider pointed at this fake Azure.
        (state_dir / 'azure').mkdir()
        self.azure_handle, azure = start_azure(state_dir / 'azure', AZURE_ADDRESS, free_port(AZURE_ADDRESS))
        LabLauncher.prepare_azure(azure, self.control.base_url)
        self.azure_defaults = dict(self.azure_handle.auth_params(), resource_group=AZURE_RESOURCE_GROUP, vault_name=AZURE_VAULT)
        self.cells = {fault.name: Cell(*(f'hv{GROUP_SIZE * index + offset:02d}' for offset in (1, 2, 3))) for index, fault in enumerate(FAULTS)}
        self.inventory_path = state_dir / 'matrix-inventory.yml'
        self._write_inventory()
        for cell in self.cells.values():
            self.lab.set_delegation(cell.a, [f'{service}/{name}' for service in ('cifs', MIGRATION_SERVICE) for name in (cell.b, f'{cell.b}.hvlab.test')])
            make_replica_server(self, cell.b)
        seeded = self.run_playbook([{'hosts': 'role_a', 'gather_facts': False, 'tasks': [
            {'name': 'replicate', 'hyperv.mobility.vm_replication': {'name': '{{ cell_a }}-app', 'replica_server': '{{ cell_b }}.hvlab.test'}}]}],
            inventory=self.inventory_path)
        assert seeded.rc == 0, seeded.stdout
        for cell in self.cells.values():
            self.control.replication(write={'host': cell.a, 'vm': f'{cell.a}-app', 'count': 2})
        self.control.replication(advance_seconds=200)
        for module in MODULES:
            for cell in self.cells.values():
                module.prepare(self, cell)
        self.control.reset_counters()

    def _write_inventory(self) -> None:
        """The lab's inventory plus a group per role and per fault; every host knows its cell's names (cell_a...)."""
        inventory = yaml.safe_load(self.lab.inventory_path.read_text(encoding='utf-8'))
        host_vars = next(iter(inventory['all']['children'].values()))['hosts']
        children = inventory['all']['children']
        for role in ROLES:
            children[f'role_{role}'] = {'hosts': {cell[role]: {} for cell in self.cells.values()}}
        for fault in FAULTS:
            cell = self.cells[fault.name]
            children[f'fault_{fault.name}'] = {'hosts': {name: {} for name in cell.names()}, 'vars': dict(fault.host_vars, fault=fault.name)}
            for name in cell.names():
                host_vars[name].update({f'cell_{role}': cell[role] for role in ROLES})
        self.inventory_path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding='utf-8')

    def address(self, host: str) -> str:
        return next(entry['address'] for entry in self.lab.hosts if entry['name'] == host)

    def registrations(self, host: str) -> int:
        """How often the vault lists host's provider among the Hyper-V site's registered servers."""
        vault = self.azure_handle.control.state()[f'{AZURE_RESOURCE_GROUP}/{AZURE_VAULT}']
        fabric = next(fabric for fabric in vault['fabrics'] if fabric['name'] == AZURE_SITE)
        return [entry['name'] for entry in fabric['properties']['customDetails']['hyperVHosts']].count(f'{host}.hvlab.test')

    def stop(self) -> None:
        self.lab.stop()
        self.azure_handle.stop()


def _control_task(name: str, url: str, path: str, body: typing.Any = None, method: str = 'POST', run_once: bool = True) -> dict:
    task = {'name': name, 'ansible.builtin.uri': {'url': url + path, 'method': method, 'body_format': 'json'}, 'delegate_to': 'localhost'}
    if run_once:
        task['run_once'] = True
    if body is not None:
        task['ansible.builtin.uri']['body'] = body
    return task


def arming(module: Module) -> dict:
    """{fault: {path, body}} for this module: what each cell's host posts to arm its own cell's fault."""
    armed = {}
    for fault in FAULTS:
        after = module.reads_before_write if fault.command and module.writes else 0
        armed[fault.name] = fault.arm('{{ cell_%s }}' % module.fault_role, after)
        if fault.command and not module.writes:
            armed[fault.name]['body']['count'] = EXHAUSTING
    return armed


def matrix_playbook(lab: FaultLab) -> list:
    """One play per module over its role in every cell: arm each cell's fault, first run, clear all faults, second run."""
    control_url = lab.control.base_url
    plays = []
    for module in MODULES:
        task = {'hyperv.mobility.' + module.module: module.options, 'ignore_errors': True}
        defaults = {'group/hyperv.mobility.hyperv': {'hyperv_retries': RETRIES}}
        play = {'name': module.label, 'hosts': f'role_{module.role}', 'gather_facts': False, 'vars': {'arming': arming(module)}}
        if module.azure:
            defaults['group/hyperv.mobility.azure'] = lab.azure_defaults
            play['environment'] = {'REQUESTS_CA_BUNDLE': lab.azure_handle.ca_path}
        plays.append(dict(play, module_defaults=defaults,
                          tasks=[_control_task('arm', control_url, '{{ arming[fault].path }}', '{{ arming[fault].body }}', run_once=False),
                                 dict(task, name=f'{module.label} first'),
                                 _control_task('clear faults', control_url, '/faults', method='DELETE'),
                                 _control_task('clear latency', control_url, '/latency', {'host': '*', 'ms': 0}),
                                 dict(task, name=f'{module.label} again')]))
    return plays


def assert_clean_failure(result: dict, host: str, fault: Fault, address: str) -> None:
    # ansible-core 2.19 puts '(traceback unavailable)' in every failure's exception; a crash would put a Python traceback there.
    assert TRACEBACK not in str(result.get('exception', '')) + result.get('msg', ''), result
    assert re.search(fault.message, result['msg']), (fault.name, result['msg'])
    # The host as the inventory reaches it (ansible_host, the lab's address), its inventory name or its FQDN.
    assert any(name in result['msg'] for name in (host, f'{host}.hvlab.test', address)), (host, result['msg'])


def command_writes(counters: dict, host: str, cmdlets: typing.Iterable[str]) -> dict:
    commands = counters.get(host, {}).get('commands', {})
    return {name: commands.get(name, 0) for name in cmdlets}


def check_cell(lab: FaultLab, run, counters: dict, fault: Fault, module: Module) -> None:
    """The standard for one module under one fault (raises AssertionError)."""
    cell = lab.cells[fault.name]
    first = run.task(f'{module.label} first')[cell[module.role]]
    again = run.task(f'{module.label} again')[cell[module.role]]
    if first.get('failed'):
        faulted = cell[module.fault_role]
        assert_clean_failure(first, faulted, fault, lab.address(faulted))
    else:
        # Only a dropped write that the module re-read and found applied may succeed: faults outlive the retries.
        assert fault.name == 'drop_after' and module.writes, ('the fault did not fail the task', first)
        assert first['changed'] is True, first
    assert not again.get('failed'), ('the second run did not converge', again)
    if fault.name == 'drop_after' and module.writes:
        assert again['changed'] is False, ('the write of the first run was applied; the second run must see it', again)
    assert module.converged(lab, cell), 'not in the desired state after the second run'
    for role, expected in module.writes.items():
        assert module.count_writes(lab, cell[role], expected, counters) == expected, ('duplicated or missing write', counters.get(cell[role]))


def test_fault_matrix(samba_dc, run_playbook, tmp_path, monkeypatch):
    lab = FaultLab(tmp_path / 'lab', samba_dc, run_playbook)
    try:
        # Every cell's host at once: one fork per cell.
        monkeypatch.setenv('ANSIBLE_FORKS', str(len(FAULTS)))
        run = run_playbook(matrix_playbook(lab), inventory=lab.inventory_path)
        assert TRACEBACK not in run.stdout + run.stderr, run.stderr
        counters = lab.control.counters()
        problems = []
        for fault in FAULTS:
            for module in MODULES:
                try:
                    check_cell(lab, run, counters, fault, module)
                except AssertionError as error:
                    problems.append(f'{fault.name} / {module.label}: {error}')
        assert not problems, '\n'.join(problems)
    finally:
        lab.stop()


# ---- the Samba DC under kerberos_delegation -------------------------------------------------------------------------

@pytest.fixture(scope='module', name='own_dc')
def own_dc_fixture(tmp_path_factory):
    """A DC of this module's own: the test stops it, so the shared samba_dc fixture stays untouched."""
    from hvlab.samba import SambaDC  # pylint: disable=import-outside-toplevel
    from conftest import _free_dc_address  # pylint: disable=import-outside-toplevel

    dc = SambaDC(tmp_path_factory.mktemp('fault-dc'), address=_free_dc_address())
    dc.provision()
    dc.start()
    for name in ('hv01', 'hv02'):
        dc.add_computer(name, f'{name}.{dc.dns_domain}')
    try:
        yield dc
    finally:
        dc.stop()


def delegation_task(name: str, computer: str, peer: str, **ad) -> dict:
    options = {'computer': computer, 'migration_peers': [peer], 'ad_server': '{{ dc_address }}', 'ad_username': '{{ dc_user }}',
               'ad_password': '{{ dc_password }}', 'ad_ca_cert': '{{ dc_ca }}'}
    options.update(ad)
    return {'name': name, 'hyperv.mobility.kerberos_delegation': options, 'ignore_errors': True}


def delegation_values(dc, computer: str) -> list[str]:
    server = ldap3.Server(dc.address, port=636, use_ssl=True, tls=ldap3.Tls(ca_certs_file=dc.ca_path), get_info=ldap3.NONE)
    with ldap3.Connection(server, user=dc.admin_user, password=dc.admin_password, auto_bind=True) as connection:
        connection.search(dc.base_dn, f'(sAMAccountName={computer.upper()}$)', attributes=['msDS-AllowedToDelegateTo'])
        return sorted(connection.entries[0]['msDS-AllowedToDelegateTo'].values)


def expected_delegation(peer: str, domain: str) -> list[str]:
    return sorted(f'{service}/{name}' for service in ('cifs', MIGRATION_SERVICE) for name in (peer, f'{peer}.{domain}'))


def test_dc_faults_then_convergence(own_dc, run_playbook, tmp_path):
    dc = own_dc
    extra = {'dc_address': dc.address, 'dc_user': dc.admin_user, 'dc_password': dc.admin_password, 'dc_ca': dc.ca_path}
    wrong_ca = tmp_path / 'other-ca.pem'
    wrong_ca.write_text(_self_signed_ca(), encoding='utf-8')
    # The DC is stopped between two tasks of one run (its process group, which this module started).
    stop_dc = {'name': 'stop the DC', 'ansible.builtin.command': {'argv': ['kill', '-TERM', '--', f'-{dc.pid}']}, 'delegate_to': 'localhost'}
    faulty = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        delegation_task('wrong credentials', 'hv01', 'hv02', ad_password='not-the-password'),
        delegation_task('tls failure', 'hv01', 'hv02', ad_ca_cert=str(wrong_ca)),
        delegation_task('before the stop', 'hv01', 'hv02'),
        stop_dc,
        delegation_task('dc stopped', 'hv02', 'hv01'),
    ]}]
    run = run_playbook(faulty, extra_vars=extra)
    assert TRACEBACK not in run.stdout + run.stderr
    expectations = {'wrong credentials': r'(?i)invalid ?credentials|credentials|bind', 'tls failure': r'(?i)certificate|tls|ssl',
                    'dc stopped': r'(?i)cannot reach|unreachable|connect|refused|socket'}
    for task, pattern in expectations.items():
        result = run.task(task)['localhost']
        assert result.get('failed') and TRACEBACK not in str(result.get('exception', '')), result
        assert dc.address in result['msg'] and re.search(pattern, result['msg']), (task, result['msg'])
    assert run.task('before the stop')['localhost']['changed'] is True
    assert not dc.running()

    dc.start()
    again = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        delegation_task('hv01 again', 'hv01', 'hv02'), delegation_task('hv02 again', 'hv02', 'hv01')]}], extra_vars=extra)
    assert again.rc == 0, again.stdout
    assert again.task('hv01 again')['localhost']['changed'] is False       # the write before the stop stood
    assert again.task('hv02 again')['localhost']['changed'] is True
    assert delegation_values(dc, 'hv01') == expected_delegation('hv02', dc.dns_domain)
    assert delegation_values(dc, 'hv02') == expected_delegation('hv01', dc.dns_domain)


def _self_signed_ca() -> str:
    """A CA certificate that did not sign the DC's certificate."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    import datetime  # pylint: disable=import-outside-toplevel

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, 'Not the lab CA')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode('ascii')
