"""Fixtures of the transport tests: the real world and transport in this process, on loopback addresses of their own.

``transport_lab`` serves a 2-host World on 127.0.11.N (beside a lab that ``make lab-up`` keeps on 127.0.10.N) with the
collection's runner script; ``lab`` is the same lab with faults, latency and counters reset for each test.
"""

import os
import secrets
import socket
import typing

import pytest

from hvlab.control import LabControl
from hvlab.model.world import World
from hvlab.tls import make_lab_pki
from hvlab.transport import LabServer

TEST_ADDRESS_PREFIX = '127.0.11.'
RUNNER_PATH = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'plugins', 'module_utils', '_host', 'runner.py'))


def make_world(host_count: int = 2) -> World:
    """A World whose hosts are moved to 127.0.11.N."""
    world = World.create(host_count)
    for number, host in enumerate(world.hosts, start=1):
        host.address = TEST_ADDRESS_PREFIX + str(number)
    return world


def _free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class TransportLab(typing.NamedTuple):
    server: LabServer
    world: World
    control: LabControl
    password: str
    ca_path: str
    runner_path: str
    http_port: int
    https_port: int


@pytest.fixture(scope='session')
def runner_path() -> str:
    """The collection's runner script (the lab recognises the winrm runner by its exact text)."""
    return RUNNER_PATH


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
