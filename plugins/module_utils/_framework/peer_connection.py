# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The second host of a pair module (source -> destination): its options and how to reach it.

The task's own host (hyperv_* options) is the source. The destination is named by ``destination`` and reached with
``destination_connection``, a dict with the keys of the hyperv_* options without the prefix. The action plugin fills
that dict from the destination's inventory vars when ``destination`` is an inventory host; keys still missing are
taken from the source's options when they describe the account rather than the endpoint (see INHERITED_KEYS), so
``destination_connection: {host: hv02.corp.example.com}`` under ``delegate_to: localhost`` reuses the source's account.
A module that checks several destinations in one run (migration_preflight) takes ``destinations`` instead, and one
``destination_connections`` entry per destination (``destination`` plus the same keys), filled and inherited alike.
Documented in plugins/doc_fragments/destination.py.
"""

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import CONNECTION_OPTIONS, CONNECTION_SUBOPTIONS, ConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import OptionError
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import host_names_match

# Every key of destination_connection (the hyperv_* options without the prefix), and those a peer takes from the source
# when its own connection leaves them out (see ConnectionOption.inherited).
CONNECTION_KEYS = tuple(option.key for option in CONNECTION_OPTIONS)
INHERITED_KEYS = tuple(option.key for option in CONNECTION_OPTIONS if option.inherited)

DESTINATION_ARGUMENT_SPEC = dict(
    destination=dict(type='str', required=True),
    destination_connection=dict(type='dict', options=CONNECTION_SUBOPTIONS),
)

# Several destinations checked in one run (migration_preflight): ``destinations`` instead of ``destination``, and one
# entry of ``destination_connections`` per destination that needs one (a list rather than a mapping, so that each
# password is a no_log suboption). Documented in plugins/doc_fragments/destination.py (DESTINATIONS).
DESTINATIONS_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = dict(
    destinations=dict(type='list', elements='str'),
    destination_connections=dict(type='list', elements='dict', options=dict(destination=dict(type='str', required=True), **CONNECTION_SUBOPTIONS)),
)


def peer_params(params: Mapping[str, Any], name: str, given: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The connection of the peer host ``name`` as hyperv_* params (the shape ConnectionOptions.from_params reads).

    ``given`` is its destination_connection (or its destination_connections entry), possibly None.
    """
    given = given or {}
    merged = {}
    for key in CONNECTION_KEYS:
        value = given.get(key)
        if value is None and key in INHERITED_KEYS:
            value = params.get('hyperv_' + key)
        merged['hyperv_' + key] = value
    if not merged['hyperv_host']:
        merged['hyperv_host'] = name
    return merged


def destination_params(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The destination's connection as hyperv_* params."""
    return peer_params(params, params['destination'], params.get('destination_connection'))


def destination_options(params: Mapping[str, Any]) -> ConnectionOptions:
    """ConnectionOptions of the destination host."""
    return ConnectionOptions.from_params(destination_params(params))


def destinations_problems(params: Mapping[str, Any]) -> List[str]:
    """What is wrong with ``destinations`` / ``destination_connections`` (empty when nothing is), before any connection."""
    names = params['destinations']
    problems = []
    if not names:
        problems.append('destinations must name at least one host')
    repeated = sorted(set(name for name in names if names.count(name) > 1))
    if repeated:
        problems.append('destinations names %s more than once' % ', '.join(repeated))
    given = [entry['destination'] for entry in params.get('destination_connections') or []]
    stray = sorted(set(name for name in given if name not in names))
    if stray:
        problems.append('destination_connections has an entry for %s, which destinations does not name' % ', '.join(stray))
    twice = sorted(set(name for name in given if given.count(name) > 1))
    if twice:
        problems.append('destination_connections has more than one entry for %s' % ', '.join(twice))
    source = ConnectionOptions.from_params(params)
    itself = [name for name, options in destinations_options(params) if _same_host(source, name, options)]
    if itself:
        problems.append('destinations names the source host itself (%s): a host cannot be a migration destination of itself'
                        % ', '.join(itself))
    return problems


def _same_host(source: ConnectionOptions, name: str, peer: ConnectionOptions) -> bool:
    """Whether the peer called name is the source: the same endpoint, or a name of the source's (short name or FQDN)."""
    return (source.host.lower() == peer.host.lower() and source.port == peer.port) or host_names_match(name, source.host)


def refuse_destination_is_source(params: Mapping[str, Any]) -> None:
    """OptionError when ``destination`` is the task's own host ("same host"), before any connection."""
    source = ConnectionOptions.from_params(params)
    if _same_host(source, params['destination'], destination_options(params)):
        raise OptionError('destination %r and the source (hyperv_host %r) are the same host: a host cannot be its own destination'
                          % (params['destination'], source.host))


def destinations_options(params: Mapping[str, Any]) -> List[Tuple[str, ConnectionOptions]]:
    """[(name, ConnectionOptions)] for each host of ``destinations``, in order."""
    given = dict((entry['destination'], entry) for entry in params.get('destination_connections') or [])
    return [(name, ConnectionOptions.from_params(peer_params(params, name, given.get(name)))) for name in params['destinations']]
