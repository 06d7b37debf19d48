# -*- coding: utf-8 -*-
"""Hostile input (issue 21 classes 1, 2, 4 and 8): each class's values are refused naming the option and what it accepts,
before any I/O.

Table-driven over every module's documented options (its own and its doc fragments', which ansible-test sanity keeps equal
to the argument spec): every text option that is not a secret refuses each control character; then one row per value class
8 lists. Each run is the module's main() in-process with every outbound connection refused and counted (test_bad_input_properties).
"""

import json

import pytest

from test_bad_input_properties import MODULE_NAMES, SECRET, documented_options, load, run_module

CONTROL_CHARACTERS = ['\x00', '\x01', '\x08', '\x0b', '\x1b', '\n', '\t', '\x7f', '\ufffe', '\uffff']


def placeholder(spec):
    """A value the option accepts on its own (its first choice, or a plain name)."""
    if spec.get('choices'):
        return spec['choices'][0]
    kind = spec.get('type', 'str')
    if kind == 'int':
        return 1
    if kind == 'bool':
        return False
    if kind == 'list':
        return ['hv02'] if spec.get('elements', 'str') == 'str' else []
    if kind == 'dict':
        return {}
    return 'hv02'


def required_arguments(options):
    arguments = {name: placeholder(spec) for name, spec in options.items() if spec.get('required')}
    if 'hyperv_host' in options:
        arguments.update(hyperv_host='hv01', hyperv_password=SECRET)
    return arguments


def text_options(options):
    """(option, spec) of every text option a user could give a name or a path in (secrets are never names; the documentation
    does not say no_log, so secrets are known by their names, as in test_bad_input_properties)."""
    return [(name, spec) for name, spec in sorted(options.items()) if not name.endswith(('password', 'secret'))
            and (spec.get('type', 'str') in ('str', 'path') or (spec.get('type') == 'list' and spec.get('elements', 'str') == 'str'))
            and not spec.get('choices')]


TEXT_CASES = [(module, option, spec) for module in MODULE_NAMES for option, spec in text_options(documented_options(load(module)))]


def refused(module, arguments, monkeypatch):
    result, guard = run_module(load(module), arguments, monkeypatch)
    assert result.get('failed') is True, result
    assert guard.attempts == 0, 'a connection was tried before the input was refused'
    assert SECRET not in json.dumps(result)
    return result['msg']


@pytest.mark.parametrize('module, option, spec', TEXT_CASES, ids=['%s.%s' % (case[0], case[1]) for case in TEXT_CASES])
def test_every_text_option_refuses_control_characters_naming_it(module, option, spec, monkeypatch):
    options = documented_options(load(module))
    for character in CONTROL_CHARACTERS:
        value = 'hv0%s2' % character
        arguments = dict(required_arguments(options), **{option: [value] if spec.get('type') == 'list' else value})
        msg = refused(module, arguments, monkeypatch)
        named = '%s[0]' % option if spec.get('type') == 'list' else option
        assert msg.startswith('%s holds the character U+%04X' % (named, ord(character))), msg
        assert 'accepted: printable characters only' in msg


def test_a_password_may_hold_any_character(monkeypatch):
    """Secrets are never names: a control character in one is not refused (the module goes on and meets no host)."""
    result, _unused = run_module(load('host_info'), {'hyperv_host': 'hv01', 'hyperv_password': 'p\x1bss\n'}, monkeypatch)
    assert 'holds the character' not in result['msg']


HOST = {'hyperv_host': 'hv01', 'hyperv_password': SECRET}
AD = {'ad_server': 'dc01.corp.example.com', 'ad_password': SECRET, 'ad_username': 'admin'}
THUMBPRINT = 'C7968ED2BEEED354EEC1458B30F638C19EA74C05'
GUID = '0f8fad5b-d9cb-469f-a165-70867728950e'

# (module, arguments, what the message must say): class 8 values, class 2 names and ids, the documented ranges (class 1).
CASES = [
    ('live_migration', dict(HOST, networks=[{'subnet': 'fe80::%eth0/64'}]), "networks[0].subnet: 'fe80::%eth0/64' holds an IPv6 zone id"),
    ('live_migration', dict(HOST, networks=[{'subnet': 'fe80::%12'}]), 'holds an IPv6 zone id'),
    ('live_migration', dict(HOST, networks=[{'subnet': '0.0.0.0/0'}]), "networks[0].subnet: '0.0.0.0/0' is every address, not a restricted network; to "
                                                                       'accept live migrations on any network set use_any_network: true'),
    ('live_migration', dict(HOST, networks=[{'subnet': '::/0'}]), "'::/0' is every address"),
    ('live_migration', dict(HOST, networks=[{'subnet': '0.0.0.0/0.0.0.0'}]), 'is every address'),
    ('vm_replication', dict(HOST, name='web01', replica_server='hv02.corp.example.com', authentication='certificate', certificate_thumbprint='12345'),
     'certificate_thumbprint must be 40 hexadecimal characters'),
    ('vm_failover', dict(HOST, name='web01', action='planned', destination='hv02', reverse_authentication='certificate',
                         reverse_certificate_thumbprint='xyz'), 'reverse_certificate_thumbprint must be 40 hexadecimal characters'),
    ('vm_replication', dict(HOST, name='web01', app_consistent_frequency_hours=13, recovery_history=4),
     'app_consistent_frequency_hours must be 0 (off) or between 1 and 12 hours, got 13'),
    ('vm_replication', dict(HOST, name='web01', app_consistent_frequency_hours=-1), 'app_consistent_frequency_hours must be 0 (off) or between 1 and 12'),
    ('vm_replication', dict(HOST, name='web01', recovery_history=25), 'recovery_history must be between 0 and 24'),
    ('vm_replication', dict(HOST, name='web01', replica_port=0), 'replica_port must be between 1 and 65535 (a TCP port), got 0'),
    ('vm_replication', dict(HOST, name='web01', replica_server='HV01.corp.example.com.'), 'are the same host'),
    ('vm_failover', dict(HOST, name='web01', action='planned', destination='hv02', reverse_port=65536), 'reverse_port must be between 1 and 65535'),
    ('vm_failover', dict(HOST, name='web01', action='planned', destination='hv01.corp.example.com'), 'are the same host'),
    ('vm_migrate', dict(HOST, name='web01', destination='HV01'), "destination 'HV01' and the source (hyperv_host 'hv01') are the same host"),
    ('vm_migrate', dict(HOST, name='web01', destination='hv02', destination_connection={'host': 'hv01'}), 'are the same host'),
    ('vm_migrate', dict(HOST, destination='hv02'), "give either name (the VM's name) or vm_id (its id, for a name several VMs share), not neither"),
    ('vm_migrate', dict(HOST, name='web01', vm_id=GUID, destination='hv02'), 'not both'),
    ('vm_migrate', dict(HOST, vm_id='web01', destination='hv02'), "vm_id must be a VM id, a GUID such as"),
    ('vm_migrate', dict(HOST, name='web*', destination='hv02'), "name 'web*' holds the wildcard character(s) *"),
    ('vm_migrate', dict(HOST, name='web01'), 'give destination (the host to move the VM to) or storage_path'),
    ('vm_migrate', dict(HOST, name='web01', storage_path='VMs\\web'), "storage_path must be an absolute folder path on the host"),
    ('vm_migrate', dict(HOST, name='web01', storage_path='D:VMs'), "storage_path must be an absolute folder path on the host"),
    ('vm_migrate', dict(HOST, name='web01', storage_path='D:\\VMs\\we|b'), "storage_path 'D:\\\\VMs\\\\we|b' holds '|'"),
    ('vm_migrate', dict(HOST, name='web01', storage_path='D:\\VMs\\web', destination='hv02'),
     "storage_path moves only the VM's storage on its own host and excludes destination"),
    ('vm_migrate', dict(HOST, name='web01', storage_path='D:\\VMs\\web', include_storage=True, processor_compatibility=True),
     'excludes processor_compatibility, include_storage'),
    ('vm_migrate', dict(HOST, name='web01', storage_path='D:\\VMs\\web', upgrade_version=True), 'excludes upgrade_version'),
    ('vm_migrate', dict(HOST, name='web01', destination='hv02', include_storage=True, destination_storage_path='web'),
     'destination_storage_path must be an absolute folder path on the host'),
    ('vm_start', dict(HOST, name='web[1]'), 'holds the wildcard character(s) ['),
    ('vm_replication', dict(HOST, name='web?'), "name 'web?' holds the wildcard character(s) ?"),
    ('vm_failover', dict(HOST, name='*', action='planned', destination='hv02'), "name '*' holds the wildcard character(s) *"),
    ('vm_start', dict(HOST, vm_id='{%s}x' % GUID), 'vm_id must be a VM id'),
    ('vm_start', dict(HOST, name=' '), 'name must be a VM name, got an empty string'),
    ('replica_server', dict(HOST, authentication='both', certificate_thumbprint=THUMBPRINT, kerberos_port=443, certificate_port=443),
     'kerberos_port and certificate_port must differ'),
    ('kerberos_delegation', dict(AD, computer='hv01', services=['krbtgt/CORP.EXAMPLE.COM']), 'names the Kerberos ticket-granting service (krbtgt)'),
    ('kerberos_delegation', dict(AD, computer='hv01', services=['KRBTGT/corp']), 'krbtgt'),
    ('kerberos_delegation', dict(AD, computer='HV01$', migration_peers=['hv02', 'hv01.corp.example.com']),
     "migration_peers[1] 'hv01.corp.example.com' and computer 'HV01$' are the same host"),
    ('kerberos_delegation', dict(AD, computers=[{'computer': 'hv01', 'migration_peers': ['hv02']}, {'computer': 'HV01', 'migration_peers': ['hv03']}]),
     "computers[1].computer 'HV01' is given twice"),
    ('kerberos_delegation', dict(AD, computers=[{'computer': 'hv02', 'migration_peers': ['hv01', 'HV02$']}]),
     "computers[0].migration_peers[1] 'HV02$' and computers[0].computer 'hv02' are the same host"),
    # Found by tests/unit/test_hostile_properties.py: each ended as "unexpected error" (a library's bare exception) before.
    ('host_info', dict(HOST, hyperv_auth='basic', hyperv_password=SECRET), 'hyperv_auth=basic over psrp needs hyperv_user (host hv01)'),
    ('host_info', dict(HOST, hyperv_transport='winrm', hyperv_auth='ntlm', hyperv_user='admin', hyperv_password=None),
     'hyperv_auth=ntlm over winrm needs hyperv_password'),
    ('host_info', dict(HOST, hyperv_connection_timeout=True), 'hyperv_connection_timeout must be a number, not a boolean (True)'),
    ('live_migration', dict(HOST, networks=[{'subnet': '10.0.0.0/24', 'priority': False}]), 'networks[0].priority must be a number, not a boolean'),
    ('kerberos_delegation', dict(AD, ad_server="{'': ''}", computer='hv01', services=['cifs/hv02']),
     "ad_server must be a domain controller's DNS name or IP address, got \"{'': ''}\""),
    ('asr_hyperv_site_info', dict(vault_name='v', resource_group='rg', subscription_id=GUID, auth_source='env', client_id=GUID, secret=SECRET,
                                  tenant='{'), "tenant must be a tenant id (a GUID) or a domain name"),
    ('asr_hyperv_site_info', dict(vault_name='v', resource_group='rg', subscription_id=GUID, auth_source='env', client_id=GUID, secret=SECRET,
                                  adfs_authority_url='A:'), 'adfs_authority_url must be the https URL of the AD FS authority'),
    ('live_migration_mesh_preflight', dict(AD, host_facts={'hv01': 'up', 'hv02': None}),
     "host_facts['hv01'] must be the facts live_migration_mesh_facts returned for that host (a dictionary) or null, got 'up'"),
]


@pytest.mark.parametrize('module, arguments, message', CASES, ids=['%s-%d' % (case[0], index) for index, case in enumerate(CASES)])
def test_values_accepted_before_are_refused_naming_the_option(module, arguments, message, monkeypatch):
    msg = refused(module, arguments, monkeypatch)
    assert message in msg, msg


def test_a_zone_id_is_refused_by_the_role_filter_as_by_the_module():
    from ansible_collections.hyperv.mobility.plugins.filter.migration_network_problems import migration_network_problems
    assert migration_network_problems([{'subnet': '10.0.0.0/24'}, {'subnet': '2001:db8::/64', 'priority': 1}]) == []
    assert migration_network_problems([{'subnet': '::/0'}]) == [
        "live_migration_networks[0].subnet: '::/0' is every address, not a restricted network; to accept live migrations on any "
        'network set use_any_network: true instead']
    assert 'zone id' in migration_network_problems(['fe80::%eth0/64'])[0]


@pytest.mark.parametrize('first, second, same', [
    ('hv01', 'HV01', True), ('hv01', 'hv01.corp.example.com', True), ('hv01.corp.example.com.', 'HV01.CORP.EXAMPLE.COM', True),
    ('HV01$', 'hv01', True), ('hv01', 'hv010', False), ('hv01.corp.example.com', 'hv01.other.example.com', False),
    ('10.0.0.1', '10.0.0.10', False), ('10.0.0.1', '10', False), ('', 'hv01', False),
])
def test_same_host_compares_short_names_and_fqdns(first, second, same):
    from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import host_names_match
    assert {host_names_match(*pair) for pair in ((first, second), (second, first))} == {same}  # either way round


def test_a_domain_controller_account_is_recognised():
    from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ComputerAccount
    account = dict(dn='CN=X', sam_account_name='X$', dns_host_name=None, object_sid=None, allowed_to_delegate_to=[], allowed_to_act=None)
    assert ComputerAccount(user_account_control=0x2000 | 0x80000, **account).domain_controller
    assert ComputerAccount(user_account_control=0x1000, primary_group_id=516, **account).domain_controller
    assert not ComputerAccount(user_account_control=0x1000, primary_group_id=515, **account).domain_controller
