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

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import AUTH_METHODS, ConnectionOptions, PROTOCOLS, TRANSPORTS

# Every key of destination_connection; each is the hyperv_* option of the same name without the prefix.
CONNECTION_KEYS = ('host', 'port', 'user', 'password', 'transport', 'auth', 'protocol', 'validate_certs', 'ca_cert', 'cert_pem',
                   'cert_key_pem', 'connection_timeout', 'operation_timeout', 'read_timeout', 'retries')

# Keys that describe the account and the trust rather than the endpoint: a pair of hosts in one domain is usually reached
# with the same account, CA and timeouts. Endpoint keys (host, port, protocol, transport) are never inherited, because the
# source's port or transport says nothing about the destination's listener.
INHERITED_KEYS = ('user', 'password', 'auth', 'validate_certs', 'ca_cert', 'cert_pem', 'cert_key_pem', 'connection_timeout',
                  'operation_timeout', 'read_timeout', 'retries')

# No defaults in the suboptions: None means "not given", so that inheritance can tell it apart from a chosen value.
CONNECTION_SUBOPTIONS = dict(
    host=dict(type='str'),
    port=dict(type='int'),
    user=dict(type='str'),
    password=dict(type='str', no_log=True),
    transport=dict(type='str', choices=list(TRANSPORTS)),
    auth=dict(type='str', choices=list(AUTH_METHODS)),
    protocol=dict(type='str', choices=list(PROTOCOLS)),
    validate_certs=dict(type='bool'),
    ca_cert=dict(type='path'),
    cert_pem=dict(type='path'),
    cert_key_pem=dict(type='path', no_log=False),
    connection_timeout=dict(type='int'),
    operation_timeout=dict(type='int'),
    read_timeout=dict(type='int'),
    retries=dict(type='int'),
)

DESTINATION_ARGUMENT_SPEC = dict(
    destination=dict(type='str', required=True),
    destination_connection=dict(type='dict', options=CONNECTION_SUBOPTIONS),
)

# Several destinations checked in one run (migration_preflight): ``destinations`` instead of ``destination``, and one
# entry of ``destination_connections`` per destination that needs one (a list rather than a mapping, so that each
# password is a no_log suboption). Documented in plugins/doc_fragments/destination.py (DESTINATIONS).
DESTINATIONS_ARGUMENT_SPEC = dict(
    destinations=dict(type='list', elements='str'),
    destination_connections=dict(type='list', elements='dict', options=dict(destination=dict(type='str', required=True), **CONNECTION_SUBOPTIONS)),
)


def peer_params(params, name, given):
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


def destination_params(params):
    """The destination's connection as hyperv_* params."""
    return peer_params(params, params['destination'], params.get('destination_connection'))


def destination_options(params):
    """ConnectionOptions of the destination host."""
    return ConnectionOptions.from_params(destination_params(params))


def destinations_problems(params):
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
    itself = [name for name, options in destinations_options(params) if _same_endpoint(source, options) or name.lower() == source.host.lower()]
    if itself:
        problems.append('destinations names the source host itself (%s): a host cannot be a migration destination of itself'
                        % ', '.join(itself))
    return problems


def _same_endpoint(one, other):
    return one.host.lower() == other.host.lower() and one.port == other.port


def destinations_options(params):
    """[(name, ConnectionOptions)] for each host of ``destinations``, in order."""
    given = dict((entry['destination'], entry) for entry in params.get('destination_connections') or [])
    return [(name, ConnectionOptions.from_params(peer_params(params, name, given.get(name)))) for name in params['destinations']]
