"""Fixtures' building blocks for the transport tests: a lab on high loopback addresses, and a stand-in host.

The stand-in SimHost is used only while the real engine (hvlab.engine.executor) is not importable; it answers
Get-VMHost and refuses unknown parameters the way the contract describes, with the engine's own value classes.
"""

import datetime
import importlib.util
import typing

import os
import secrets
import socket

import pytest

from hvlab.control import LabControl
from hvlab.tls import make_lab_pki
from hvlab.transport import LabServer

import hvlab.engine.values as engine_values

try:  # the engine package exports its values once it has landed; until then lend them to it.
    from hvlab.engine import Command, Identity  # noqa: F401  pylint: disable=unused-import
except ImportError:
    import hvlab.engine as _engine_package
    for _name in ('Command', 'Identity', 'LabObject', 'LabEnum', 'LabTimeSpan', 'ErrorInfo', 'Execution'):
        setattr(_engine_package, _name, getattr(engine_values, _name))

REAL_ENGINE = importlib.util.find_spec('hvlab.engine.executor') is not None
TEST_ADDRESS_PREFIX = '127.0.11.'


class StandInHost:
    """Just enough of SimHost for the transport: identity, execute, to_state/patch."""

    def __init__(self, number: int) -> None:
        self.name = 'hv%02d' % number
        self.domain = 'hvlab.test'
        self.fqdn = '%s.%s' % (self.name, self.domain)
        self.address = '127.0.10.%d' % number
        self.migration_enabled = False
        self.identities: typing.List[typing.Any] = []

    def to_state(self) -> dict:
        return {'name': self.name, 'migration': {'enabled': self.migration_enabled}}

    def patch(self, fields: dict) -> None:
        self.migration_enabled = bool(fields.get('migration', {}).get('enabled', self.migration_enabled))

    def execute(self, statements: list, identity: typing.Any) -> typing.Any:
        self.identities.append(identity)
        execution = engine_values.Execution()
        for statement in statements:
            command = statement[0]
            unknown = [name for name, _unused in command.parameters if name and name.lower() not in ('computername', 'name')]
            if command.name.lower() != 'get-vmhost':
                execution.errors.append(engine_values.ErrorInfo(
                    command.name, "The term '%s' is not recognized as the name of a cmdlet." % command.name,
                    'CommandNotFoundException', 'ObjectNotFound', 'System.Management.Automation.CommandNotFoundException', command.name))
            elif unknown:
                execution.errors.append(engine_values.ErrorInfo(
                    'Get-VMHost', "A parameter cannot be found that matches parameter name '%s'." % unknown[0],
                    'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost', 'InvalidArgument',
                    'System.Management.Automation.ParameterBindingException', None))
            else:
                execution.output.append(engine_values.LabObject(
                    ['Microsoft.HyperV.PowerShell.VMHost', 'Microsoft.HyperV.PowerShell.VirtualizationObject', 'System.Object'],
                    {'ComputerName': self.name, 'FullyQualifiedDomainName': self.fqdn,
                     'VirtualMachineMigrationEnabled': self.migration_enabled,
                     'VirtualMachineMigrationAuthenticationType': engine_values.LabEnum(
                         'Microsoft.HyperV.PowerShell.MigrationAuthenticationType', 'CredSSP', 0),
                     'MaximumVirtualMachineMigrations': 2,
                     'MacAddressMinimum': '00155D000000',
                     'ResourceMeteringSaveInterval': engine_values.LabTimeSpan(5400.0),
                     'Created': datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)},
                    self.name))
        return execution


class StandInWorld:
    def __init__(self, host_count: int) -> None:
        self.hosts = [StandInHost(number) for number in range(1, host_count + 1)]

    def get_host_by_address(self, address: str) -> typing.Any:
        return next((host for host in self.hosts if host.address == address), None)


def make_world(host_count: int = 2) -> typing.Any:
    """The real world when the engine is there, else the stand-in; hosts moved to 127.0.11.N."""
    if REAL_ENGINE:
        from hvlab.model.world import World  # pylint: disable=import-outside-toplevel
        world = World.create(host_count)
    else:
        world = StandInWorld(host_count)
    for number, host in enumerate(world.hosts, start=1):
        host.address = TEST_ADDRESS_PREFIX + str(number)
    return world


# The collection's runner (the lab recognises the real file); tests that need one fixed text use their own file.
TEST_RUNNER = r'''
ALLOWED_CMDLETS = ('Get-VMHost', 'Set-VMHost')
NOT_ALLOWED_ERROR_ID = 'HyperVMobility.CommandNotAllowed'
RUNNER_SCRIPT = "$ErrorActionPreference='Stop' # hvlab transport test runner"
'''


def _free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class TransportLab(typing.NamedTuple):
    server: LabServer
    world: typing.Any
    control: LabControl
    password: str
    ca_path: str
    runner_path: str
    http_port: int
    https_port: int


@pytest.fixture(scope='session')
def runner_path(tmp_path_factory) -> str:
    repo_runner = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'plugins', 'module_utils', '_host', 'runner.py')
    if os.path.isfile(repo_runner):
        return os.path.abspath(repo_runner)
    path = tmp_path_factory.mktemp('runner') / 'winrm_runner.py'
    path.write_text(TEST_RUNNER)
    return str(path)


@pytest.fixture(scope='module')
def transport_lab(tmp_path_factory, runner_path) -> typing.Iterator[TransportLab]:
    world = make_world(2)
    state_dir = tmp_path_factory.mktemp('lab-state')
    pki = make_lab_pki(str(state_dir), world.hosts)
    password = 'Lab-' + secrets.token_urlsafe(12)
    control_port = _free_port('127.0.11.254')
    # Each test module imports these fixtures, so each gets its own lab: free ports avoid collisions.
    http_port, https_port = _free_port(world.hosts[0].address), _free_port(world.hosts[0].address)
    server = LabServer(world, {'labadmin': password}, pki, control=('127.0.11.254', control_port),
                       http_port=http_port, https_port=https_port, runner_path=runner_path)
    server.start()
    try:
        yield TransportLab(server, world, LabControl('http://127.0.11.254:%d' % control_port), password, pki.ca_path,
                           runner_path, http_port, https_port)
    finally:
        server.stop()


@pytest.fixture
def lab(transport_lab) -> TransportLab:
    transport_lab.control.clear_faults()
    transport_lab.control.set_latency('*', 0)
    transport_lab.control.reset_counters()
    return transport_lab
