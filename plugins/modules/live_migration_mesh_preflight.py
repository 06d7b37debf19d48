#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: live_migration_mesh_preflight
short_description: Check every direction of a live-migration mesh from its hosts' facts, once, on the controller
version_added: 0.1.0
description:
  - Phase 2 of the mesh (role P(hyperv.mobility.live_migration_mesh#role)) - evaluates every direction from the facts that
    M(hyperv.mobility.live_migration_mesh_facts) read on each host (phase 1), with the checks of
    M(hyperv.mobility.migration_preflight) (the same functions), and reads the computer accounts of every host in one LDAP
    search. No host is contacted.
  - A host of O(host_facts) without facts (V(null)) (unreachable in phase 1, or its phase-1 tasks failed) is not dropped - each of its
    directions is reported with status C(not checked (host unreachable)).
  - In check mode the role passes O(planned) - the settings and delegation the phase-1 tasks would have written - and the
    directions are evaluated as they would be after the run's changes.
  - Run it once (C(run_once), or a play on localhost).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.ad
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.ad_group
options:
  host_facts:
    description:
      - The mesh facts of each host, by inventory name - the C(ansible_facts.hyperv_mobility_mesh) of each host (V(null) for a host
        without facts).
    type: dict
    required: true
  directions:
    description:
      - The directions to check, each C({source, destination}) (inventory names, keys of O(host_facts)).
      - Default is every ordered pair of the keys of O(host_facts).
    type: list
    elements: dict
  planned:
    description:
      - By inventory name, what the run would change on that host and was not written (check mode) - C(settings), the C(after)
        of M(hyperv.mobility.live_migration), and C(delegation), the C(delegation) of M(hyperv.mobility.kerberos_delegation).
    type: dict
    default: {}
  include_storage:
    description: As in M(hyperv.mobility.migration_preflight) - moves take the storage along, so cifs delegation is required too.
    type: bool
    default: false
  fail_on:
    description: As in M(hyperv.mobility.migration_preflight), over every direction.
    type: str
    choices: [never, failed, warning]
    default: never
seealso:
  - module: hyperv.mobility.live_migration_mesh_facts
  - module: hyperv.mobility.migration_preflight
'''

EXAMPLES = r'''
- name: Phase 2 from the fact cache, once
  hyperv.mobility.live_migration_mesh_preflight:
    host_facts: >-
      {{ dict(groups['hyperv_hosts'] | zip(groups['hyperv_hosts'] | map('extract', hostvars, ['ansible_facts', 'hyperv_mobility_mesh'])
         | map('default', none))) }}
    include_storage: true
    ad_server: dc01.corp.example.com
  run_once: true
  register: mesh
'''

RETURN = r'''
directions:
  description: One entry per direction, in the order of O(directions).
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: Inventory name of the source.
      type: str
    destination:
      description: Inventory name of the destination.
      type: str
    status:
      description: V(ok), V(warning), V(failed), or V(not checked (host unreachable)) when a host of the direction has no facts.
      type: str
    checks:
      description: The checks of M(hyperv.mobility.migration_preflight), in its order.
      type: list
      elements: dict
    summary:
      description: How many checks have each status.
      type: dict
    first_failure:
      description: The first failed check, or V(null).
      type: dict
    ready:
      description: Whether no check failed.
      type: bool
ready:
  description: Whether every direction is ready.
  returned: always
  type: bool
not_ready:
  description: C(source -> destination) of each direction with a failed check (or not checked).
  returned: always
  type: list
  elements: str
not_checked:
  description: C(source -> destination) of each direction not checked because a host of it has no facts.
  returned: always
  type: list
  elements: str
table:
  description:
    - "The summary table, one line per direction after the header C(source | destination | status | first failing check) (the
      first failed check, else the first warning, as C(name: detail)). Built here, not by the role's templates, which cost
      the controller tens of seconds over the 9,900 directions of a 100-host mesh."
  returned: always
  type: list
  elements: str
  sample: ['source | destination | status | first failing check', 'hv01 | hv02 | ok | ']
problems:
  description: "Every failed or warning check of every direction, in order, as C(source -> destination: check (fix)) with its status."
  returned: always
  type: list
  elements: dict
  contains:
    status:
      description: V(failed) or V(warning).
      type: str
    text:
      description: "C(source -> destination: check (fix))."
      type: str
'''

import copy

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import AD_ARGUMENT_SPEC, UF_TRUSTED_TO_AUTH_FOR_DELEGATION, ADConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HypervModule, ModuleFailure, OptionError, Resource
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.preflight_directory import read_directories
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import (
    FAILED, NOT_CHECKED_UNREACHABLE, WARNING, HostFacts, PreflightRequest, direction_status, flagged, report, run_checks)

NO_FACTS = 'no facts from phase 1 (the host was unreachable, or its phase-1 tasks failed)'
TABLE_HEADER = 'source | destination | status | first failing check'


def table_row(entry):
    """One direction's line of the summary table: its first failed check, else its first warning, as 'name: detail'."""
    first = entry['first_failure'] or next((check for check in entry['checks'] if check['status'] == WARNING), None)
    return ' | '.join((entry['source'], entry['destination'], entry['status'], '%s: %s' % (first['name'], first['detail']) if first else ''))


def argument_spec():
    spec = dict(
        host_facts=dict(type='dict', required=True),
        directions=dict(type='list', elements='dict'),
        planned=dict(type='dict', default={}),
        include_storage=dict(type='bool', default=False),
        fail_on=dict(type='str', choices=['never', 'failed', 'warning'], default='never'),
    )
    spec.update(AD_ARGUMENT_SPEC)
    return spec


def host_of(name, role, facts, planned):
    """The HostFacts of one end of a direction: read in phase 1 (with what check mode would have changed), or unreachable."""
    if not facts:
        return HostFacts.unreachable(role, name, NO_FACTS)
    return HostFacts.from_facts(role, name, facts).with_settings((planned.get(name) or {}).get('settings'))


def with_planned_delegation(directory, source_name, planned):
    """Check mode: the source's account as kerberos_delegation would have left it (its planned `delegation` view)."""
    view = (planned.get(source_name) or {}).get('delegation')
    if not view or directory.source_account is None:
        return directory
    directory = copy.copy(directory)
    account = copy.copy(directory.source_account)
    account.allowed_to_delegate_to = list(view['allowed_to_delegate_to'])
    if view.get('protocol_transition'):
        account.user_account_control |= UF_TRUSTED_TO_AUTH_FOR_DELEGATION
    directory.source_account = account
    return directory


class MeshPreflight(Resource):
    """Every direction from the facts, AD in one search, no host round trip."""

    def validate(self):
        params = self.params
        problems = []
        hosts = params['host_facts']
        problems += ['host_facts[%r] must be the facts live_migration_mesh_facts returned for that host (a dictionary) or null, got %r'
                     % (name, facts) for name, facts in sorted(hosts.items()) if facts is not None and not isinstance(facts, dict)]
        for index, direction in enumerate(self.directions()):
            for end in ('source', 'destination'):
                if direction.get(end) not in hosts:
                    problems.append('directions[%d].%s %r is not a key of host_facts (accepted: %s)'
                                    % (index, end, direction.get(end), ', '.join(sorted(hosts))))
            if direction.get('source') == direction.get('destination'):
                problems.append('directions[%d] names %r as its own destination (same host)' % (index, direction.get('source')))
        problems += ADConnectionOptions.from_params(params).problems()
        if problems:
            raise OptionError('; '.join(problems))

    def directions(self):
        if self.params['directions'] is not None:
            return self.params['directions']
        names = list(self.params['host_facts'])
        return [dict(source=source, destination=destination) for source in names for destination in names if source != destination]

    def run(self, module):
        params, planned = self.params, self.params['planned'] or {}
        # Each host's facts parsed once per role, not once per direction (a host is in 2·(N−1) directions of the mesh).
        ends = dict(((name, role), host_of(name, role, facts, planned)) for name, facts in params['host_facts'].items()
                    for role in ('source', 'destination'))
        pairs = [(ends[(d['source'], 'source')], ends[(d['destination'], 'destination')]) for d in self.directions()]
        results, messages = [], []
        for (source, destination), directory in zip(pairs, read_directories(params, pairs), strict=True):
            request = PreflightRequest(include_storage=params['include_storage'],
                                       source_connection_auth=(params['host_facts'][source.name] or {}).get('connection_auth', 'negotiate'))
            checks = run_checks(source, destination, request, with_planned_delegation(directory, source.name, planned))
            results.append(dict(report(checks), source=source.name, destination=destination.name, status=direction_status(checks)))
            message = flagged(source, destination, checks, params['fail_on'])
            if message:
                messages.append(message)
        result = dict(changed=False, directions=results, ready=all(entry['ready'] for entry in results),
                      table=[TABLE_HEADER] + [table_row(entry) for entry in results],
                      problems=[dict(status=check['status'], text='%s -> %s: %s (%s)' % (entry['source'], entry['destination'], check['name'], check['fix']))
                                for entry in results for check in entry['checks'] if check['status'] in (FAILED, WARNING)],
                      not_ready=['%s -> %s' % (entry['source'], entry['destination']) for entry in results if not entry['ready']],
                      not_checked=['%s -> %s' % (entry['source'], entry['destination']) for entry in results if entry['status'] == NOT_CHECKED_UNREACHABLE])
        if messages:
            raise ModuleFailure('live migration mesh preflight %s' % ' | '.join(messages), **result)
        return result


def main():
    HypervModule(argument_spec=argument_spec(), supports_check_mode=True, host_connection=False).execute(MeshPreflight)


if __name__ == '__main__':
    main()
