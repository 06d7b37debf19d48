#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: migration_preflight
short_description: Check that a VM can live-migrate from one Hyper-V host to another
version_added: 0.1.0
description:
  - Read-only check of a source to destination pair of Hyper-V hosts without failover clustering, against the requirements
    of Microsoft's "Set up hosts for live migration without failover clustering".
  - The task's host is the source; O(destination) is the destination. Each host is read in one pipeline; with Kerberos
    the two computer accounts are read from Active Directory over LDAP.
  - With O(destinations) instead of O(destination), one run checks every direction from the source to each of those hosts -
    the source is read once (one pipeline), each destination once (one pipeline each), and the computer accounts of the
    source and of every destination that needs the delegation check are read over one LDAP connection. The result then
    has one entry per destination in RV(directions); the checks of each direction are those of a pair.
  - Returns one entry per check with its status (V(ok), V(warning) or V(failed)), what was found and how to fix it.
    The task fails only when O(fail_on) asks for it.
  - "The checks, in order:"
  - C(connection) - both hosts answer over WinRM.
  - C(hyperv_installed) - the Hyper-V role is installed on both.
  - C(administrator) - the connecting account can administer Hyper-V on both. C(Get-VMHost) needs membership of the local
    Administrators or Hyper-V Administrators group, so when it answers on a host the account is a member there.
  - C(domain) - both hosts are in the same Active Directory domain or in domains that trust each other. Only the DNS
    domains (the suffix of the FQDN each host reports) can be seen, not the trusts, so different domains are a warning;
    a host without a domain suffix fails.
  - C(migration_enabled) - live migration is enabled on both.
  - C(networks) - the destination accepts incoming live migrations on a network the source can use - the destination uses
    any network, or one of its migration networks overlaps one of the source's. The source's own migration networks stand
    for the networks it has addresses in (the collection runs no cmdlet that lists NIC addresses); when the source uses any
    network and lists none, this is a warning.
  - C(authentication_type) - both hosts use the same authentication type (the destination rejects the other one).
  - C(delegation) - with Kerberos, the source's computer account may delegate to
    C(Microsoft Virtual System Migration Service/<destination>) for the destination's short name and FQDN (and to
    C(cifs/<destination>) when O(include_storage=true) or the source uses the SMB performance option), with "use any
    authentication protocol" unless O(hyperv_auth=kerberos); or the destination account allows the source by resource-based
    constrained delegation. Without O(ad_server) this check is a warning that says it was not checked. With CredSSP it is a
    warning that moves must start from a session on the source.
  - C(vm_versions) - the destination supports the configuration version of each VM of O(vms), or of every VM on the source.
  - C(smb_performance) - when one host uses the SMB performance option, the other does too.
  - C(concurrency) - both hosts allow at least one simultaneous live migration (and storage migration when storage moves).
  - With O(fail_on) other than V(never), the task fails when a check of any direction has that status; the result then
    carries the whole report all the same.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.destination
  - hyperv.mobility.destination.destinations
  - hyperv.mobility.ad
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.host_and_ad_groups
options:
  destination:
    # The description is the hyperv.mobility.destination fragment's; here it is optional, as O(destinations) may name the destinations.
    required: false
  vms:
    description:
      - Names of the source's VMs whose configuration version the destination must support.
      - Default is every VM on the source.
    type: list
    elements: str
  include_storage:
    description:
      - Whether the moves will take the VMs' storage along (C(Move-VM -IncludeStorage)).
      - With Kerberos, delegation to C(cifs/<destination>) is then required too.
    type: bool
    default: false
  fail_on:
    description:
      - V(never) returns the report whatever it says.
      - V(failed) fails the task when a check failed (of any direction, with O(destinations)).
      - V(warning) fails the task when a check failed or warned (of any direction, with O(destinations)).
    type: str
    choices: [never, failed, warning]
    default: never
notes:
  - Cmdlets run on each host, in one pipeline per run (also with O(destinations)) - C(Get-CimInstance -ClassName Win32_ComputerSystem)
    (the host's names and domain), C(Get-WindowsFeature -Name Hyper-V), C(Get-VMHost), C(Get-VMHostSupportedVersion),
    C(Get-VMMigrationNetwork), C(Get-VM).
  - A delegation change takes effect on the hosts once they get new Kerberos tickets; a C(delegation) check that is V(ok)
    reads what AD holds, which the hosts use after C(klist -li 0x3e7 purge) or a reboot.
seealso:
  - module: hyperv.mobility.live_migration
  - module: hyperv.mobility.kerberos_delegation
  - module: hyperv.mobility.vm_migrate
'''

EXAMPLES = r'''
- name: Check that every VM of hv01 can move to hv02 (both in the inventory)
  hyperv.mobility.migration_preflight:
    destination: hv02
    ad_server: dc01.corp.example.com
    ad_username: CORP\ansible-ad
    ad_password: "{{ vault_ad_password }}"
    ad_ca_cert: /etc/pki/corp-ca.pem
    fail_on: failed
  when: inventory_hostname == 'hv01'

- name: Check two VMs that will move with their storage, and show the first failure
  hyperv.mobility.migration_preflight:
    destination: hv02
    vms: [web01, db01]
    include_storage: true
  register: preflight

- name: Print it
  ansible.builtin.debug:
    msg: "{{ preflight.first_failure.name }}: {{ preflight.first_failure.detail }} -> {{ preflight.first_failure.fix }}"
  when: preflight.first_failure

- name: Check every direction from each host of the group in one task per host (all inventory hosts)
  hyperv.mobility.migration_preflight:
    destinations: "{{ ansible_play_hosts_all | reject('equalto', inventory_hostname) | list }}"
    include_storage: true
  register: mesh_preflight

- name: Name the destinations that are not ready, with their first failure
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} -> {{ item.destination }}: {{ item.first_failure.name }}: {{ item.first_failure.fix }}"
  loop: "{{ mesh_preflight.directions | rejectattr('ready') | list }}"
  loop_control:
    label: "{{ item.destination }}"

- name: Several destinations, one of them outside the inventory
  hyperv.mobility.migration_preflight:
    destinations: [hv02, hv09.branch.example.com]
    destination_connections:
      - destination: hv09.branch.example.com
        port: 15986
        ca_cert: /etc/pki/branch-ca.pem
    fail_on: failed

- name: From the controller, with explicit connections for both hosts
  hyperv.mobility.migration_preflight:
    hyperv_host: hv01.corp.example.com
    hyperv_user: CORP\hvadmin
    hyperv_password: "{{ vault_hvadmin_password }}"
    destination: hv02.corp.example.com
    destination_connection:
      host: hv02.corp.example.com
  delegate_to: localhost
'''

RETURN = r'''
checks:
  description: One entry per check, in the order of the description.
  returned: when O(destination) is given
  type: list
  elements: dict
  contains:
    name:
      description: Identifier of the check.
      type: str
      sample: networks
    status:
      description: V(ok), V(warning) or V(failed).
      type: str
      sample: failed
    detail:
      description: What was found.
      type: str
      sample: destination hv02 accepts incoming live migrations only on 10.99.0.0/24, and source hv01 migrates on 192.168.10.0/24
    fix:
      description: How to fix it; V(null) for a check that is V(ok).
      type: str
      sample: give both hosts a common private migration network (hyperv.mobility.live_migration networks on both)
summary:
  description: How many checks have each status.
  returned: when O(destination) is given
  type: dict
  sample: {ok: 10, warning: 0, failed: 1}
first_failure:
  description: The first failed check (same keys as an entry of RV(checks)), or V(null) when none failed.
  returned: when O(destination) is given
  type: dict
ready:
  description: Whether no check failed; with O(destinations), whether no check of any direction failed.
  returned: always
  type: bool
source:
  description: Facts of the source host the checks used.
  returned: always
  type: dict
  contains:
    name:
      description: The host as the task names it.
      type: str
    reachable:
      description: Whether the host answered.
      type: bool
    computer_name:
      description: NetBIOS name.
      type: str
    fqdn:
      description: Fully qualified name (C(Win32_ComputerSystem) C(DNSHostName).C(Domain); the host name alone outside a domain).
      type: str
    domain:
      description: Active Directory domain, V(null) for a host in a workgroup.
      type: str
    hyperv_installed:
      description: Whether the Hyper-V role is installed.
      type: bool
    live_migration:
      description: Live-migration settings (enabled, authentication_type, performance_option, use_any_network, maximum_vm_migrations,
        maximum_storage_migrations).
      type: dict
    migration_networks:
      description: Incoming migration networks.
      type: list
      elements: dict
    supported_vm_versions:
      description: Supported VM configuration versions.
      type: list
      elements: str
destination:
  description: Facts of the destination host, as RV(source).
  returned: when O(destination) is given
  type: dict
directions:
  description:
    - One entry per host of O(destinations), in the order of O(destinations) - the report of that source to destination
      direction, with the keys RV(checks), RV(summary), RV(first_failure) and RV(ready) have for a pair.
  returned: when O(destinations) is given
  type: list
  elements: dict
  contains:
    destination:
      description: The destination as O(destinations) names it.
      type: str
      sample: hv02
    checks:
      description: One entry per check, as RV(checks).
      type: list
      elements: dict
    summary:
      description: How many checks of this direction have each status, as RV(summary).
      type: dict
      sample: {ok: 11, warning: 0, failed: 0}
    first_failure:
      description: The first failed check of this direction, or V(null), as RV(first_failure).
      type: dict
    ready:
      description: Whether no check of this direction failed.
      type: bool
    destination_facts:
      description: Facts of this destination host, as RV(source).
      type: dict
not_ready:
  description: The hosts of O(destinations) whose direction has a failed check, in the order of O(destinations).
  returned: when O(destinations) is given
  type: list
  elements: str
  sample: [hv03]
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import AD_ARGUMENT_SPEC, ADConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    HostError, HypervModule, ModuleFailure, OptionError, Resource)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import (
    DESTINATION_ARGUMENT_SPEC, DESTINATIONS_ARGUMENT_SPEC, destination_options, destinations_options, destinations_problems)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.preflight_directory import read_directories
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import (
    READ_COMMANDS, HostFacts, PreflightRequest, flagged, report, run_checks)


def argument_spec():
    spec = dict(
        vms=dict(type='list', elements='str'),
        include_storage=dict(type='bool', default=False),
        fail_on=dict(type='str', choices=['never', 'failed', 'warning'], default='never'),
    )
    spec.update(DESTINATION_ARGUMENT_SPEC)
    spec['destination'] = dict(DESTINATION_ARGUMENT_SPEC['destination'], required=False)  # or destinations
    spec.update(DESTINATIONS_ARGUMENT_SPEC)
    spec.update(AD_ARGUMENT_SPEC)
    return spec


MUTUALLY_EXCLUSIVE = [('destination', 'destinations'), ('destination_connection', 'destinations'), ('destination', 'destination_connections')]
REQUIRED_ONE_OF = [('destination', 'destinations')]


def read_host(session, role, name):
    """One read pipeline; a host that cannot be reached becomes a failed 'connection' check instead of a task failure."""
    try:
        return HostFacts.from_result(role, name, session.run(list(READ_COMMANDS), check=False))
    except HostError as exc:
        return HostFacts.unreachable(role, name, exc.message)


def read_peer(module, options, name):
    """The destination's facts, read in one pipeline of a session of its own (closed at once: a mesh has many destinations)."""
    session = module.peer_session(options)
    try:
        return read_host(session, 'destination', name)
    finally:
        session.close()


def check_one(module, params, source, request):
    """``destination``: one direction, the result keys of a pair."""
    destination = read_peer(module, destination_options(params), params['destination'])
    checks = run_checks(source, destination, request, read_directories(params, [(source, destination)])[0])
    result = dict(report(checks), source=source.summary(), destination=destination.summary())
    message = flagged(source, destination, checks, params['fail_on'])
    return result, [message] if message else []


def check_many(module, params, source, request):
    """``destinations``: every direction from the source, each destination read once, AD over one connection."""
    destinations = [read_peer(module, options, name) for name, options in destinations_options(params)]
    directions, messages = [], []
    for destination, directory in zip(destinations, read_directories(params, [(source, destination) for destination in destinations]), strict=True):
        checks = run_checks(source, destination, request, directory)
        directions.append(dict(report(checks), destination=destination.name, destination_facts=destination.summary()))
        message = flagged(source, destination, checks, params['fail_on'])
        if message:
            messages.append(message)
    result = dict(directions=directions, ready=all(direction['ready'] for direction in directions), source=source.summary(),
                  not_ready=[direction['destination'] for direction in directions if not direction['ready']])
    return result, messages


class Preflight(Resource):
    """Read-only: the source, each destination and AD once each, then the checks of every direction."""

    def validate(self):
        params = self.params
        if params['destinations'] is not None:
            problems = destinations_problems(params)
            if problems:
                raise OptionError('; '.join(problems))
        problems = ADConnectionOptions.from_params(params).problems()
        if problems:
            raise OptionError('; '.join(problems))

    def peers(self):
        if self.params['destinations'] is None:
            return [destination_options(self.params)]
        return [options for name, options in destinations_options(self.params)]

    def run(self, module):
        params = self.params
        for options in self.peers():
            module.check_connection(options, prefix='destination_connection.')
        source = read_host(module.session, 'source', params['hyperv_host'])
        module.close()
        request = PreflightRequest(vms=params['vms'], include_storage=params['include_storage'], source_connection_auth=params['hyperv_auth'])
        result, messages = (check_one if params['destinations'] is None else check_many)(module, params, source, request)
        if messages:
            raise ModuleFailure('live migration preflight %s' % ' | '.join(messages), changed=False, **result)
        return dict(result, changed=False)


def main():
    HypervModule(argument_spec=argument_spec(), supports_check_mode=True, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                 required_one_of=REQUIRED_ONE_OF).execute(Preflight)


if __name__ == '__main__':
    main()
