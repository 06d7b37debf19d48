# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab whose hosts belong to the Samba DC's domain, for the pair tests (migration_preflight, vm_migrate).

Kerberos moves read delegation from the DC through World.configure_directory, and neither ``python -m hvlab up --dc``
nor the ``lab`` fixture wires that into the serving process yet. So this lab is served in the test process itself
(the same World + LabServer that ``hvlab serve`` runs), on free ports of its own, next to any other lab; the
ansible-playbook runs reach it over real WSMan like any lab. Tests break it through its real control endpoint
(LabControl.patch_host).

Baseline (``configure_pair``): live migration enabled with Kerberos on every host, incoming migrations on the
lab's private network 192.168.10.0/24, no delegation in AD.
"""

from __future__ import annotations

import dataclasses
import socket
import typing
from pathlib import Path

import ldap3
import pytest
import yaml

from hvlab.cli import LAB_USER, build_inventory, generate_password
from hvlab.control import LabControl
from hvlab.tls import make_lab_pki
from hvlab.transport import LabServer
from hvlab.model.world import World

MIGRATION_SERVICE = 'Microsoft Virtual System Migration Service'
PRIVATE_NETWORK = '192.168.10.0/24'
BASELINE_MIGRATION = {'enabled': True, 'authentication_type': 'Kerberos', 'performance_option': 'Compression', 'use_any_network': False,
                      'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2}
# Live migration as Hyper-V installs it: off, CredSSP, no networks (the state a first run of the mesh meets).
INSTALLED_MIGRATION = {'enabled': False, 'authentication_type': 'CredSSP', 'performance_option': 'Compression', 'use_any_network': False,
                       'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2}
WORKSTATION_TRUST_ACCOUNT = 0x1000


def free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


@dataclasses.dataclass
class MigrationLab:
    """A running in-process lab joined to a Samba DC."""

    world: typing.Any
    server: typing.Any
    control: LabControl
    inventory_path: Path
    dc: typing.Any
    hosts: list[dict]
    seeded_vms: dict = dataclasses.field(default_factory=dict)
    # Each host's processors as the lab starts them (manufacturer, model): reset() restores them.
    seeded_processors: dict = dataclasses.field(default_factory=dict)

    def stop(self) -> None:
        self.server.stop()

    # ---- the world, through the control endpoint ------------------------------------------------------------
    def configure_pair(self) -> None:
        """Every host to the baseline; the seeded VMs back on their seeded hosts is the caller's business."""
        for host in self.hosts:
            self.control.patch_host(host['name'], migration=dict(BASELINE_MIGRATION), migration_networks=[{'subnet': PRIVATE_NETWORK, 'priority': 1}],
                                    domain='hvlab.test', hyperv_installed=True)

    def reset(self) -> None:
        """Baseline settings, the seeded VMs back where they were, Windows Server 2022, one switch 'LAN', no delegation."""
        self.configure_pair()
        for host in self.hosts:
            self.control.patch_host(host['name'], vms=self.seeded_vms[host['name']], os_release='2022', switches=[{'name': 'LAN'}],
                                    **self.seeded_processors[host['name']])
        self.clear_delegation()
        for host in self.world.hosts:          # the purges of the reset are not the test's
            host.system_tickets.purges.clear()

    def reset_as_installed(self) -> None:
        """reset(), then every host's migration settings as Hyper-V installs them (off, CredSSP, no networks)."""
        self.reset()
        for host in self.hosts:
            self.control.patch_host(host['name'], migration=dict(INSTALLED_MIGRATION), migration_networks=[])

    def vm_names(self, host: str) -> list[str]:
        return sorted(vm['name'] for vm in self.control.host_state(host)['vms'])

    # ---- the directory ----------------------------------------------------------------------------------------
    def admin_connection(self) -> ldap3.Connection:
        tls = ldap3.Tls(ca_certs_file=self.dc.ca_path)
        server = ldap3.Server(self.dc.address, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE)
        return ldap3.Connection(server, user=self.dc.admin_user, password=self.dc.admin_password, auto_bind=True)

    def computer_dn(self, name: str) -> str:
        return f'CN={name.upper()},CN=Computers,{self.dc.base_dn}'

    def set_delegation(self, source: str, services: list[str], protocol_transition: bool = True, purge_tickets: bool = True) -> None:
        """Write msDS-AllowedToDelegateTo and the protocol-transition bit of SOURCE$ directly (ldap3), then (purge_tickets) empty
        the source's SYSTEM ticket cache as an admin does after a change (klist -li 0x3e7 purge), so the host uses it at once."""
        uac = WORKSTATION_TRUST_ACCOUNT | (0x1000000 if protocol_transition else 0)
        with self.admin_connection() as connection:
            changes = {'msDS-AllowedToDelegateTo': [(ldap3.MODIFY_REPLACE, list(services))],
                       'userAccountControl': [(ldap3.MODIFY_REPLACE, [str(uac)])]}
            assert connection.modify(self.computer_dn(source), changes), connection.result
        if purge_tickets:
            self.purge_system_tickets(source)

    def purge_system_tickets(self, name: str) -> None:
        outcome = self.world.get_host_by_name(name).run_program('klist -li 0x3e7 purge', skip_cmd_shell=True)
        assert outcome.exit_code == 0, outcome

    def system_ticket_purges(self) -> dict:
        """How many times each host's SYSTEM tickets were purged."""
        return {host['name']: len(self.control.host_state(host['name'])['system_tickets']['purges']) for host in self.hosts}

    def clear_delegation(self) -> None:
        for host in self.hosts:
            self.set_delegation(host['name'], [], protocol_transition=False)
            with self.admin_connection() as connection:
                connection.modify(self.computer_dn(host['name']), {'msDS-AllowedToActOnBehalfOfOtherIdentity': [(ldap3.MODIFY_REPLACE, [])]})

    def delegation_of(self, source: str) -> list[str]:
        with self.admin_connection() as connection:
            connection.search(self.computer_dn(source), '(objectClass=computer)', search_scope=ldap3.BASE, attributes=['msDS-AllowedToDelegateTo'])
            return sorted(connection.entries[0]['msDS-AllowedToDelegateTo'].values) if connection.entries else []

    def mesh_state(self) -> dict:
        """{host: its delegation, migration enabled, authentication and networks}: what playbooks/live_migration.yml configures."""
        state = {}
        for host in self.hosts:
            settings = self.control.host_state(host['name'])
            state[host['name']] = {'delegation': self.delegation_of(host['name']), 'enabled': settings['migration']['enabled'],
                                   'authentication_type': settings['migration']['authentication_type'],
                                   'networks': settings['migration_networks']}
        return state

    def ad_vars(self) -> dict:
        return {'ad_server': self.dc.address, 'ad_username': self.dc.admin_user, 'ad_password': self.dc.admin_password, 'ad_ca_cert': self.dc.ca_path}


def expected_services(peers: list[str]) -> list[str]:
    """The services a host's account delegates to for these peers of the lab's domain, sorted as delegation_of() returns them."""
    return sorted(f'{service}/{name}' for peer in peers for service in ('cifs', MIGRATION_SERVICE) for name in (peer, f'{peer}.hvlab.test'))


def configured_mesh(names: list[str]) -> dict:
    """mesh_state() once playbooks/live_migration.yml has configured every direction between names (its default network)."""
    return {name: {'delegation': expected_services([peer for peer in names if peer != name]), 'enabled': True,
                   'authentication_type': 'Kerberos', 'networks': [{'subnet': PRIVATE_NETWORK, 'priority': 1}]} for name in names}


def _has_computer(dc, name: str) -> bool:
    tls = ldap3.Tls(ca_certs_file=dc.ca_path)
    server = ldap3.Server(dc.address, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE)
    with ldap3.Connection(server, user=dc.admin_user, password=dc.admin_password, auto_bind=True) as connection:
        connection.search(dc.base_dn, f'(&(objectClass=computer)(sAMAccountName={name.upper()}$))', attributes=['cn'])
        return bool(connection.entries)


def start_migration_lab(state_dir: Path, dc, host_count: int = 3) -> MigrationLab:
    """Serve HOST_COUNT hosts joined to DC's domain; the inventory is the one `hvlab up` writes, plus the AD vars."""
    state_dir.mkdir(parents=True, exist_ok=True)
    world = World.create(host_count)
    world.migration_seconds = 0.3
    for host in world.hosts:
        if not _has_computer(dc, host.name):
            dc.add_computer(host.name, host.fqdn)
    world.configure_directory(dc.ldap_url, dc.admin_user, dc.admin_password, dc.ca_path)
    password = generate_password()
    pki = make_lab_pki(str(state_dir), world.hosts)
    ports = {'http': free_port('127.0.10.1'), 'https': free_port('127.0.10.1'), 'control': free_port('127.0.10.254')}
    server = LabServer(world, {LAB_USER: password}, pki, control=('127.0.10.254', ports['control']), http_port=ports['http'], https_port=ports['https'])
    server.start()
    hosts = [{'name': host.name, 'fqdn': host.fqdn, 'address': host.address, 'http_port': ports['http'], 'https_port': ports['https'],
              'transport': 'psrp' if index % 2 == 0 else 'winrm'} for index, host in enumerate(world.hosts)]
    lab = {'user': LAB_USER, 'password': password, 'ca_path': pki.ca_path, 'hosts': hosts,
           'dc': {'server': dc.address, 'admin_user': dc.admin_user, 'admin_password': dc.admin_password, 'ca_path': dc.ca_path}}
    inventory_path = state_dir / 'inventory.yml'
    inventory_path.write_text(yaml.safe_dump(build_inventory(lab), sort_keys=False), encoding='utf-8')
    processors = {host.name: {'processor_manufacturer': host.processor_manufacturer, 'processor_model': host.processor_model}
                  for host in world.hosts}
    return MigrationLab(world=world, server=server, control=LabControl(f'http://127.0.10.254:{ports["control"]}'), inventory_path=inventory_path,
                        dc=dc, hosts=hosts, seeded_processors=processors)


@pytest.fixture(scope='module', name='pair_lab')
def pair_lab_fixture(samba_dc, tmp_path_factory):
    """A migration lab for one test module (import this fixture into the module)."""
    lab = start_migration_lab(tmp_path_factory.mktemp('pair-lab'), samba_dc)
    lab.seeded_vms = {host['name']: lab.control.host_state(host['name'])['vms'] for host in lab.hosts}
    try:
        yield lab
    finally:
        lab.stop()
