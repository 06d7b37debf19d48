# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What Active Directory says about the computer accounts of the preflight's directions: one LDAP connection, one search.

migration_preflight (a pair, or one source and its destinations) and live_migration_mesh_preflight (every direction of a
mesh) both read AD here; the checks themselves are _mobility/preflight's pure functions.
"""

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import HAS_LDAP3, ADClient, ADConnectionOptions, ADError
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import (
    DirectoryFacts, account_identities, directories, needs_directory)


def read_directories(params, pairs):
    """DirectoryFacts for each (source, destination) HostFacts pair, in order: the accounts of every host whose delegation
    check reads AD, found by one search over one connection (the AD options in params)."""
    hosts = list({id(host): host for source, destination in pairs if needs_directory(source, destination)
                  for host in (source, destination)}.values())   # each host once, in order, without a list scan per direction
    if not hosts:
        return directories(pairs)
    if not params['ad_server']:
        return directories(pairs, problem=DirectoryFacts.not_read('no Active Directory options were given (ad_server), so the delegation in AD was not read'))
    if not HAS_LDAP3:
        return directories(pairs, problem=DirectoryFacts.failed('the Python package ldap3 is missing on the controller'))
    try:
        with ADClient(ADConnectionOptions.from_params(params)) as client:
            accounts = client.find_computers(account_identities(hosts))
    except ADError as error:
        return directories(pairs, problem=DirectoryFacts.failed(str(error)))
    return directories(pairs, accounts=accounts)
