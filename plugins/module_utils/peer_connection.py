# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The second host of a pair module (source -> destination): its options and how to reach it.

The task's own host (hyperv_* options) is the source. The destination is named by ``destination`` and reached with
``destination_connection``, a dict with the keys of the hyperv_* options without the prefix. The action plugin fills
that dict from the destination's inventory vars when ``destination`` is an inventory host; keys still missing are
taken from the source's options when they describe the account rather than the endpoint (see INHERITED_KEYS), so
``destination_connection: {host: hv02.corp.example.com}`` under ``delegate_to: localhost`` reuses the source's account.
Documented in plugins/doc_fragments/destination.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

from ansible_collections.hyperv.mobility.plugins.module_utils.host_session import (
    AUTH_METHODS,
    PROTOCOLS,
    TRANSPORTS,
    ConnectionOptions,
)

# Every key of destination_connection; each is the hyperv_* option of the same name without the prefix.
CONNECTION_KEYS = ('host', 'port', 'user', 'password', 'transport', 'auth', 'protocol', 'validate_certs', 'ca_cert', 'cert_pem',
                   'cert_key_pem', 'connection_timeout', 'operation_timeout', 'read_timeout', 'retries')

# Keys that describe the account and the trust rather than the endpoint: a pair of hosts in one domain is usually reached
# with the same account, CA and timeouts. Endpoint keys (host, port, protocol, transport) are never inherited, because the
# source's port or transport says nothing about the destination's listener.
INHERITED_KEYS = ('user', 'password', 'auth', 'validate_certs', 'ca_cert', 'cert_pem', 'cert_key_pem', 'connection_timeout',
                  'operation_timeout', 'read_timeout', 'retries')

# No defaults in the suboptions: None means "not given", so that inheritance can tell it apart from a chosen value.
DESTINATION_ARGUMENT_SPEC = dict(
    destination=dict(type='str', required=True),
    destination_connection=dict(type='dict', options=dict(
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
    )),
)


def destination_params(params):
    """The destination's connection as hyperv_* params (the shape ConnectionOptions.from_params reads)."""
    given = params.get('destination_connection') or {}
    merged = {}
    for key in CONNECTION_KEYS:
        value = given.get(key)
        if value is None and key in INHERITED_KEYS:
            value = params.get('hyperv_' + key)
        merged['hyperv_' + key] = value
    if not merged['hyperv_host']:
        merged['hyperv_host'] = params['destination']
    return merged


def destination_options(params):
    """ConnectionOptions of the destination host."""
    return ConnectionOptions.from_params(destination_params(params))
