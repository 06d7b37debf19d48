# -*- coding: utf-8 -*-
"""live_migration_mesh_preflight builds the role's summary table and problem lines itself (no template over every direction)."""

from ansible_collections.hyperv.mobility.plugins.modules.live_migration_mesh_preflight import TABLE_HEADER, MeshPreflight

FACTS = {'reachable': True, 'hyperv_installed': True, 'domain': 'corp.example.com', 'migration_networks': [{'subnet': '192.168.10.0/24', 'priority': 1}],
         'supported_vm_versions': ['9.0', '10.0'], 'vms': [{'name': 'web', 'version': '10.0', 'id': ''}],
         'live_migration': {'enabled': True, 'authentication_type': 'Kerberos', 'performance_option': 'Compression',
                            'use_any_network': False, 'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2}}


def params(host_facts):
    return dict(host_facts=host_facts, directions=None, planned={}, include_storage=True, fail_on='never', ad_server=None, ad_port=None,
                ad_username=None, ad_password=None, ad_auth='simple', ad_tls='ldaps', ad_ca_cert=None, ad_validate_certs=True)


def facts(name, **changes):
    return dict(FACTS, computer_name=name.upper(), fqdn='%s.corp.example.com' % name, **changes)


def test_the_table_and_the_problems_come_with_the_evaluation():
    old = facts('hv03', supported_vm_versions=['8.0'])        # cannot host the 10.0 VMs of the others
    result = MeshPreflight(params({'hv01': facts('hv01'), 'hv02': facts('hv02'), 'hv03': old, 'hv04': None})).run(None)
    table = result['table']
    assert table[0] == TABLE_HEADER and len(table) == 1 + 12
    rows = dict((tuple(row.split(' | ')[:2]), row) for row in table[1:])
    # No AD options: the delegation is a warning, the first one shown when nothing failed.
    assert rows[('hv01', 'hv02')].startswith('hv01 | hv02 | warning | delegation: not checked: no Active Directory options')
    assert rows[('hv01', 'hv03')].startswith('hv01 | hv03 | failed | vm_versions: ')
    assert rows[('hv04', 'hv01')].startswith('hv04 | hv01 | not checked (host unreachable) | connection: ')
    failed = [problem['text'] for problem in result['problems'] if problem['status'] == 'failed']
    assert any(text.startswith('hv01 -> hv03: vm_versions (') for text in failed)
    assert not any(text.startswith('hv01 -> hv02:') for text in failed)
    assert all(problem['status'] in ('failed', 'warning') for problem in result['problems'])
    # Every failed or warning check of every direction, in the directions' order.
    expected = [(entry['source'], entry['destination'], check['name']) for entry in result['directions'] for check in entry['checks']
                if check['status'] in ('failed', 'warning')]
    assert [tuple(problem['text'].split(' (', 1)[0].replace(' -> ', ': ').split(': ')[:3]) for problem in result['problems']] == expected
