# -*- coding: utf-8 -*-
"""Hostile numbers (issue 21 classes 1 and 3): every int and float option of every module, its sub-options included (the
connection options, destination_connection, networks' priority), given a huge, a hugely negative, an infinite or a NaN value,
fails with a message that names the option, never a Python exception, and before any connection is tried.

Each module runs with a baseline of options that would otherwise get as far as connecting (BASELINE), so a failure can only
come from the value under test. Every socket connection and every name lookup is refused and counted: a value that slipped
past validation would show as a connection attempt.
"""

import functools
import json
import socket

import pytest

from test_bad_input_properties import MODULE_NAMES, SECRET, TRACEBACK, documented_options, load, run_module
from test_hostile_inputs import placeholder

HOST = '127.0.0.1'   # an address, so a connection attempt reaches socket.connect (a name would stop at the lookup)
AZURE = {'vault_name': 'vault', 'resource_group': 'rg', 'subscription_id': '00000000-0000-0000-0000-000000000001', 'auth_source': 'env',
         'client_id': '00000000-0000-0000-0000-000000000002', 'secret': SECRET, 'tenant': '00000000-0000-0000-0000-000000000003'}
HYPERV = {'hyperv_host': HOST, 'hyperv_password': SECRET}
AD = {'ad_server': HOST, 'ad_username': 'admin@corp.test', 'ad_password': SECRET}

# What live_migration_mesh_facts returns for a Kerberos host that answered: its directions read the computer accounts in AD.
MESH_FACTS = {'reachable': True, 'hyperv_installed': True, 'domain': 'corp.example.com', 'migration_networks': [], 'supported_vm_versions': ['10.0'],
              'vms': [], 'live_migration': {'enabled': True, 'authentication_type': 'Kerberos', 'performance_option': 'Compression',
                                            'use_any_network': True, 'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2}}

# Options that get each module as far as connecting (to the host, the DC or Azure).
BASELINE = {
    'asr_failover': dict(AZURE, name='vm1', site='hq'),
    'asr_host_registration': dict(AZURE, **HYPERV, site='hq', friendly_name='hv01', installer_path='C:\\setup.exe',
                                  vault_credentials_path='C:\\vault.VaultCredentials'),
    'asr_hyperv_site': dict(AZURE, name='hq'),
    'asr_hyperv_site_info': dict(AZURE),
    'asr_network_mapping': dict(AZURE, name='map1', recovery_network='net-dr'),
    'asr_network_mapping_info': dict(AZURE),
    'asr_policy_association': dict(AZURE),
    'asr_prerequisites': dict(HYPERV),
    'asr_protected_vm': dict(AZURE, name='vm1', policy='policy1', target_storage_account_id='/subscriptions/x/storageAccounts/s'),
    'asr_protected_vm_info': dict(AZURE),
    'asr_recovery_plan': dict(AZURE, name='plan1', site='hq', groups=[{'vms': ['vm1']}]),
    'asr_recovery_plan_info': dict(AZURE),
    'asr_recovery_point_info': dict(AZURE),
    'asr_recovery_services_agent': dict(HYPERV),
    'asr_replication_policy': dict(AZURE, name='policy1'),
    'asr_replication_policy_info': dict(AZURE),
    'asr_vmm_registration': dict(AZURE, **HYPERV, installer_path='C:\\setup.exe', vault_credentials_path='C:\\vault.VaultCredentials'),
    'fidelity_recording': dict(HYPERV),
    'host_drain': dict(HYPERV, destinations=['hv02']),
    'host_info': dict(HYPERV),
    'kerberos_delegation': dict(AD, computer='hv01', services=['cifs/hv02']),
    'kerberos_tickets': dict(HYPERV),
    'live_migration': dict(HYPERV),
    'live_migration_mesh_facts': dict(HYPERV),
    'live_migration_mesh_preflight': dict(AD, host_facts={name: MESH_FACTS for name in ('hv01', 'hv02')}),
    'migration_preflight': dict(HYPERV, destination='hv02'),
    'replica_server': dict(HYPERV),
    'vm_failover': dict(HYPERV, name='vm1'),
    'vm_failover_network': dict(HYPERV, name='vm1'),
    'vm_migrate': dict(HYPERV, name='vm1', destination='hv02'),
    'vm_replication': dict(HYPERV, name='vm1'),
    'vm_replication_info': dict(HYPERV),
    'vm_start': dict(HYPERV, name='vm1'),
}
HOSTILE = [10 ** 30, -10 ** 30, 2 ** 63, 'inf', '-inf', 'nan']


def numeric_options(options):
    """(path, name, spec of the parent list/dict or None) of every int/float option, sub-options included."""
    for name, spec in options.items():
        if spec.get('type') in ('int', 'float'):
            yield name, name, None
        for child, child_spec in (spec.get('suboptions') or {}).items():
            if child_spec.get('type') in ('int', 'float'):
                yield '%s.%s' % (name, child), child, (name, spec)


@functools.lru_cache(maxsize=None)
def options_of(module_name):
    """The module's documented options (read once: ansible-doc's parser is slow and every case needs them)."""
    return documented_options(load(module_name))


def baseline(module_name):
    options = options_of(module_name)
    return dict({name: placeholder(spec) for name, spec in options.items() if spec.get('required')}, **BASELINE[module_name])


def with_value(module_name, path, parent, value):
    arguments = baseline(module_name)
    if parent is None:
        arguments[path] = value
        return arguments
    parent_name, parent_spec = parent
    required = {child: '10.0.0.0/24' if child == 'subnet' else 'hv02' for child, spec in (parent_spec.get('suboptions') or {}).items()
                if spec.get('required')}
    entry = dict(required, **{path.split('.')[1]: value})
    arguments[parent_name] = [entry] if parent_spec.get('type') == 'list' else entry
    if parent_name == 'destination_connections':
        arguments['destinations'] = ['hv02']
        arguments.pop('destination', None)
    return arguments


CASES = [(name, path, parent) for name in MODULE_NAMES for path, _leaf, parent in numeric_options(options_of(name))]


def test_every_module_has_a_baseline():
    assert sorted(BASELINE) == MODULE_NAMES


@pytest.fixture
def no_lookups(monkeypatch):
    """Every name lookup refused and counted (an Azure or AD client resolving its endpoint is a connection attempt too)."""
    lookups = []

    def refuse(*args, **_kwargs):
        lookups.append(args[0])
        raise socket.gaierror(socket.EAI_NONAME, 'no name lookups in this test')
    monkeypatch.setattr(socket, 'getaddrinfo', refuse)
    return lookups


@pytest.mark.parametrize('value', HOSTILE, ids=['huge', 'hugely negative', '2**63', 'inf', '-inf', 'nan'])
@pytest.mark.parametrize('module_name, path, parent', CASES, ids=['%s:%s' % (name, path) for name, path, _parent in CASES])
def test_a_hostile_number_fails_naming_the_option_before_any_connection(module_name, path, parent, value, no_lookups, monkeypatch):
    result, guard = run_module(load(module_name), with_value(module_name, path, parent, value), monkeypatch)
    assert result.get('failed'), result
    assert TRACEBACK not in str(result.get('exception', '')) and 'unexpected error' not in result['msg'], result
    assert path.split('.')[-1] in result['msg'], result['msg']
    assert guard.attempts == 0 and no_lookups == [], result['msg']
    assert SECRET not in json.dumps(result)


@pytest.mark.parametrize('module_name', MODULE_NAMES)
def test_the_baseline_gets_as_far_as_connecting(module_name, no_lookups, monkeypatch):
    """Without a hostile number the module passes validation and tries to connect: the failures above are the numbers'."""
    result, guard = run_module(load(module_name), baseline(module_name), monkeypatch)
    assert guard.attempts + len(no_lookups) > 0, result.get('msg')


# ---- connection options that cannot work (issue 21 class 3), for every module that has them ------------------------------------
MISSING = '/nonexistent/hostile/ca.pem'
CONNECTION_CASES = [
    ('hyperv_ca_cert', {'hyperv_ca_cert': MISSING}),
    ('hyperv_cert_pem', {'hyperv_auth': 'certificate', 'hyperv_protocol': 'https', 'hyperv_cert_pem': MISSING, 'hyperv_cert_key_pem': MISSING}),
    ('ad_ca_cert', {'ad_ca_cert': MISSING}),
    ('ad_port', {'ad_port': 0}),
    ('ad_port', {'ad_port': 65536}),
]
CONNECTION_ROWS = [(name, option, values) for name in MODULE_NAMES for option, values in CONNECTION_CASES
                   if option in options_of(name)]


@pytest.mark.parametrize('module_name, option, values', CONNECTION_ROWS,
                         ids=['%s:%s=%s' % (name, option, values[option]) for name, option, values in CONNECTION_ROWS])
def test_a_connection_option_that_cannot_work_fails_naming_it_before_any_connection(module_name, option, values, no_lookups, monkeypatch):
    arguments = dict(baseline(module_name), **(dict(AD, **values) if option.startswith('ad_') else values))
    result, guard = run_module(load(module_name), arguments, monkeypatch)
    assert result.get('failed') and option in result['msg'], result.get('msg')
    assert TRACEBACK not in str(result.get('exception', '')) and 'unexpected error' not in result['msg'], result
    assert guard.attempts == 0 and no_lookups == [], result['msg']
