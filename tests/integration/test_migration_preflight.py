# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.migration_preflight through real ansible-playbook, on lab hosts joined to a real Samba DC.

A fully configured pair (hv01 -> hv02: Kerberos, delegation in AD, a common migration network) is all ok; then each
precondition is broken alone through the lab's control endpoint, and the preflight must name it and its fix.
hv01 is reached over psrp and hv02 over winrm (the lab's inventory alternates), so both transports are in every run.
"""

from __future__ import annotations

import pytest

from migration_lab import MIGRATION_SERVICE, pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture

FULL_DELEGATION = [f'{MIGRATION_SERVICE}/hv02', f'{MIGRATION_SERVICE}/hv02.hvlab.test', 'cifs/hv02', 'cifs/hv02.hvlab.test']
AD_OPTIONS = {'ad_server': '{{ ad_server }}', 'ad_username': '{{ ad_username }}', 'ad_password': '{{ ad_password }}', 'ad_ca_cert': '{{ ad_ca_cert }}'}


@pytest.fixture(autouse=True, name='configured')
def configured_pair(pair_lab):
    """Before every test: the baseline, the seeded VMs, and hv01's complete delegation to hv02."""
    pair_lab.reset()
    pair_lab.set_delegation('hv01', FULL_DELEGATION)
    return pair_lab


# The lab's inventory holds the DC's ad_* vars, which the action plugin fills in; an empty ad_server in the task turns
# them off (as a user does to run without AD).
NO_AD = {'ad_server': ''}


def preflight(run_playbook, lab, ad=True, **options):
    """Run migration_preflight on hv01 towards hv02 and return (PlaybookRun, hv01's result)."""
    arguments = dict(destination='hv02', **options)
    arguments.update(AD_OPTIONS if ad else NO_AD)
    play = {'hosts': 'hv01', 'gather_facts': False,
            'tasks': [{'name': 'preflight', 'hyperv.mobility.migration_preflight': arguments, 'ignore_errors': True}]}
    run = run_playbook(play, inventory=lab.inventory_path)
    return run, run.task('preflight')['hv01']


def statuses(result):
    return {check['name']: check['status'] for check in result['checks']}


def test_fully_configured_pair_is_all_ok_in_one_pipeline_per_host(run_playbook, pair_lab):
    pair_lab.control.reset_counters()
    _run, result = preflight(run_playbook, pair_lab, include_storage=True)
    assert result.get('failed') is not True, result
    assert result['summary'] == {'ok': 11, 'warning': 0, 'failed': 0}, result['checks']
    assert result['ready'] is True and result['first_failure'] is None
    assert result['source']['fqdn'] == 'hv01.hvlab.test' and result['destination']['fqdn'] == 'hv02.hvlab.test'
    delegation = next(check for check in result['checks'] if check['name'] == 'delegation')
    assert 'cifs/hv02.hvlab.test' in delegation['detail']
    counters = pair_lab.control.counters()
    assert counters['hv01']['pipelines'] == 1 and counters['hv02']['pipelines'] == 1, counters


def break_delegation(lab):
    lab.clear_delegation()


def disable_migration(lab):
    lab.control.patch_host('hv02', migration={'enabled': False})


def disjoint_networks(lab):
    lab.control.patch_host('hv02', migration_networks=[{'subnet': '10.99.0.0/24', 'priority': 1}])


def auth_mismatch(lab):
    lab.control.patch_host('hv02', migration={'authentication_type': 'CredSSP'})


def unsupported_version(lab):
    lab.control.patch_host('hv02', os_release='2016')


def outside_domain(lab):
    lab.control.patch_host('hv02', domain=None)


BROKEN = [
    # (break it, the check that must fail, words of its detail, words of its fix)
    (break_delegation, 'delegation', 'lacks Microsoft Virtual System Migration Service/hv02', 'kerberos_delegation'),
    (disable_migration, 'migration_enabled', 'disabled on destination hv02', 'Enable-VMMigration'),
    (disjoint_networks, 'networks', 'only on 10.99.0.0/24', 'common private migration network'),
    (auth_mismatch, 'authentication_type', 'source hv01 uses Kerberos and destination hv02 uses CredSSP', 'same authentication'),
    (unsupported_version, 'vm_versions', 'hv01-web (version 10.0)', 'configuration version'),
    (outside_domain, 'domain', 'destination hv02 is not in an Active Directory domain', 'join both hosts'),
]


@pytest.mark.parametrize('breaker, check, detail, fix', BROKEN, ids=[entry[1] for entry in BROKEN])
def test_each_broken_precondition_is_named_with_its_fix(run_playbook, pair_lab, breaker, check, detail, fix):
    breaker(pair_lab)
    _run, result = preflight(run_playbook, pair_lab)
    assert result.get('failed') is not True, result            # fail_on defaults to never
    failed = [entry for entry in result['checks'] if entry['status'] == 'failed']
    assert [entry['name'] for entry in failed] == [check], result['checks']
    assert result['first_failure']['name'] == check and result['ready'] is False
    assert detail in failed[0]['detail'] and fix in failed[0]['fix'], failed[0]


def test_fail_on_failed_fails_the_task_naming_the_check(run_playbook, pair_lab):
    disjoint_networks(pair_lab)
    run, result = preflight(run_playbook, pair_lab, fail_on='failed')
    assert result['failed'] is True and 'networks failed' in result['msg'] and 'hv01 -> hv02' in result['msg']
    assert run.stats['hv01']['ignored'] == 1
    assert result['summary']['failed'] == 1          # the report comes with the failure


def test_without_ad_options_delegation_is_a_warning_that_says_why(run_playbook, pair_lab):
    _run, result = preflight(run_playbook, pair_lab, ad=False, fail_on='failed')
    assert result.get('failed') is not True
    delegation = next(check for check in result['checks'] if check['name'] == 'delegation')
    assert delegation['status'] == 'warning' and 'not checked' in delegation['detail'] and 'ad_server' in delegation['detail']


def test_warning_fails_with_fail_on_warning(run_playbook, pair_lab):
    _run, result = preflight(run_playbook, pair_lab, ad=False, fail_on='warning')
    assert result['failed'] is True and 'delegation warning' in result['msg']


def test_storage_moves_need_cifs_delegation(run_playbook, pair_lab):
    pair_lab.set_delegation('hv01', [f'{MIGRATION_SERVICE}/hv02', f'{MIGRATION_SERVICE}/hv02.hvlab.test'])
    _run, without_storage = preflight(run_playbook, pair_lab)
    _run, with_storage = preflight(run_playbook, pair_lab, include_storage=True)
    assert statuses(without_storage)['delegation'] == 'ok'
    assert statuses(with_storage)['delegation'] == 'failed'
    assert 'cifs/hv02, cifs/hv02.hvlab.test (cifs because storage moves)' in with_storage['first_failure']['detail']


def test_credssp_pair_warns_that_moves_start_on_the_source(run_playbook, pair_lab):
    for name in ('hv01', 'hv02'):
        pair_lab.control.patch_host(name, migration={'authentication_type': 'CredSSP'})
    _run, result = preflight(run_playbook, pair_lab)
    delegation = next(check for check in result['checks'] if check['name'] == 'delegation')
    assert delegation['status'] == 'warning' and '0x8009030E' in delegation['detail'] and 'session on hv01' in delegation['detail']
    assert result['summary']['failed'] == 0


def test_named_vms_only_and_a_missing_vm(run_playbook, pair_lab):
    unsupported_version(pair_lab)
    pair_lab.control.patch_host('hv01', vms={'hv01-db': {'version': '8.0'}})
    _run, supported = preflight(run_playbook, pair_lab, vms=['hv01-db'])
    _run, missing = preflight(run_playbook, pair_lab, vms=['hv01-db', 'no-such-vm'])
    assert statuses(supported)['vm_versions'] == 'ok'
    assert statuses(missing)['vm_versions'] == 'failed' and 'not on source hv01: no-such-vm' in missing['first_failure']['detail']


def test_unreachable_destination_is_a_failed_connection_check(run_playbook, pair_lab):
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [{
        'name': 'preflight', 'ignore_errors': True,
        'hyperv.mobility.migration_preflight': {'destination': 'hv09.hvlab.test',
                                                'destination_connection': {'host': '127.0.10.99', 'retries': 0, 'connection_timeout': 2}}}]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('preflight')['hv01']
    assert statuses(result)['connection'] == 'failed' and 'destination hv09.hvlab.test could not be reached' in result['first_failure']['detail']
    assert result['summary']['failed'] == 1 and result['summary']['ok'] == 0


def test_explicit_connections_under_delegate_to_localhost(run_playbook, pair_lab):
    hv01, hv03 = pair_lab.hosts[0], pair_lab.hosts[2]
    pair_lab.set_delegation('hv01', [f'{MIGRATION_SERVICE}/hv03', f'{MIGRATION_SERVICE}/hv03.hvlab.test'])
    connection = {'hyperv_host': hv01['address'], 'hyperv_port': hv01['https_port'], 'hyperv_user': "{{ hostvars['hv01']['ansible_user'] }}",
                  'hyperv_password': "{{ hostvars['hv01']['ansible_password'] }}", 'hyperv_auth': 'basic',
                  'hyperv_ca_cert': "{{ hostvars['hv01']['ansible_psrp_ca_cert'] }}"}
    arguments = dict(connection, destination='hv03', destination_connection={'host': hv03['address'], 'port': hv03['https_port']}, **AD_OPTIONS)
    play = {'hosts': 'hv01', 'gather_facts': False,
            'tasks': [{'name': 'preflight', 'hyperv.mobility.migration_preflight': arguments, 'delegate_to': 'localhost'}]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    result = run.task('preflight')['hv01']
    assert run.rc == 0, run.stdout[-3000:]
    assert result['summary'] == {'ok': 11, 'warning': 0, 'failed': 0}, result['checks']
    assert result['destination']['fqdn'] == 'hv03.hvlab.test'


# ---- destinations: every direction from a source in one module run -------------------------------------------------

def delegate_hv01_to(lab, *peers):
    lab.set_delegation('hv01', [f'{service}/{name}' for peer in peers for service in (MIGRATION_SERVICE, 'cifs')
                                for name in (peer, f'{peer}.hvlab.test')])


def preflight_many(run_playbook, lab, hosts='hv01', ad=True, **options):
    """Run migration_preflight with ``destinations`` on ``hosts`` and return (PlaybookRun, {host: result})."""
    arguments = dict(options)
    arguments.update(AD_OPTIONS if ad else NO_AD)
    play = {'hosts': hosts, 'gather_facts': False,
            'tasks': [{'name': 'preflight', 'hyperv.mobility.migration_preflight': arguments, 'ignore_errors': True}]}
    run = run_playbook(play, inventory=lab.inventory_path)
    return run, run.task('preflight')


def test_destinations_checks_every_direction_in_one_pipeline_per_host(run_playbook, pair_lab):
    # hv01 (psrp) -> hv02 (winrm) and hv03 (psrp): one run reads each host once.
    delegate_hv01_to(pair_lab, 'hv02', 'hv03')
    pair_lab.control.reset_counters()
    _run, results = preflight_many(run_playbook, pair_lab, destinations=['hv02', 'hv03'], include_storage=True, fail_on='warning')
    result = results['hv01']
    assert result.get('failed') is not True, result
    assert [direction['destination'] for direction in result['directions']] == ['hv02', 'hv03']
    for direction in result['directions']:
        assert direction['summary'] == {'ok': 11, 'warning': 0, 'failed': 0}, direction['checks']
        assert direction['ready'] is True and direction['first_failure'] is None
        assert direction['destination_facts']['fqdn'] == direction['destination'] + '.hvlab.test'
    assert result['ready'] is True and result['not_ready'] == [] and result['source']['fqdn'] == 'hv01.hvlab.test'
    assert 'checks' not in result and 'destination' not in result     # the pair keys belong to `destination` only
    counters = pair_lab.control.counters()
    assert {name: counters[name]['pipelines'] for name in ('hv01', 'hv02', 'hv03')} == {'hv01': 1, 'hv02': 1, 'hv03': 1}, counters


def test_destinations_from_a_winrm_and_a_psrp_source_one_pipeline_per_host_per_run(run_playbook, pair_lab):
    # Two sources (hv01 over psrp, hv02 over winrm), one run each: every host is read once per run that involves it.
    pair_lab.control.reset_counters()
    _run, results = preflight_many(run_playbook, pair_lab, hosts='hv01:hv02', ad=False,
                                   destinations="{{ ['hv01', 'hv02', 'hv03'] | reject('equalto', inventory_hostname) | list }}")
    assert [direction['destination'] for direction in results['hv02']['directions']] == ['hv01', 'hv03']
    for result in results.values():
        assert result.get('failed') is not True, result
        for direction in result['directions']:
            assert [check['name'] for check in direction['checks'] if check['status'] != 'ok'] == ['delegation'], direction['checks']
    counters = pair_lab.control.counters()
    assert {name: counters[name]['pipelines'] for name in ('hv01', 'hv02', 'hv03')} == {'hv01': 2, 'hv02': 2, 'hv03': 2}, counters


def test_a_broken_direction_among_good_ones(run_playbook, pair_lab):
    delegate_hv01_to(pair_lab, 'hv02', 'hv03')
    unsupported_version(pair_lab)                                   # hv02 cannot host hv01's version 10.0 VMs
    _run, results = preflight_many(run_playbook, pair_lab, destinations=['hv02', 'hv03'])
    result = results['hv01']
    assert result.get('failed') is not True, result                 # fail_on defaults to never
    by_name = {direction['destination']: direction for direction in result['directions']}
    assert by_name['hv03']['ready'] is True and by_name['hv03']['summary']['failed'] == 0
    assert by_name['hv02']['ready'] is False and by_name['hv02']['first_failure']['name'] == 'vm_versions'
    assert result['ready'] is False and result['not_ready'] == ['hv02']
    _run, results = preflight_many(run_playbook, pair_lab, destinations=['hv02', 'hv03'], fail_on='failed')
    failed = results['hv01']
    assert failed['failed'] is True and 'hv01 -> hv02: vm_versions failed' in failed['msg'] and 'hv03' not in failed['msg']
    assert len(failed['directions']) == 2                           # the report comes with the failure


def test_an_unreachable_destination_among_good_ones(run_playbook, pair_lab):
    delegate_hv01_to(pair_lab, 'hv02')
    _run, results = preflight_many(run_playbook, pair_lab, destinations=['hv02', 'hv09.hvlab.test'],
                                   destination_connections=[{'destination': 'hv09.hvlab.test', 'host': '127.0.10.99', 'retries': 0,
                                                             'connection_timeout': 2}])
    directions = results['hv01']['directions']
    assert directions[0]['ready'] is True
    unreachable = directions[1]['first_failure']
    assert unreachable['name'] == 'connection' and 'destination hv09.hvlab.test could not be reached' in unreachable['detail']


@pytest.mark.parametrize('options, words', [
    ({'destination': 'hv02', 'destinations': ['hv03']}, 'mutually exclusive: destination|destinations'),
    ({'destinations': []}, 'destinations must name at least one host'),
    ({'destinations': ['hv02', 'hv01']}, 'destinations names the source host itself (hv01)'),
    ({'destinations': ['hv02', 'hv02']}, 'destinations names hv02 more than once'),
    ({'destinations': ['hv02'], 'destination_connections': [{'destination': 'hv03', 'host': 'hv03.hvlab.test'}]},
     'destination_connections has an entry for hv03, which destinations does not name'),
    ({}, 'one of the following is required: destination, destinations'),
], ids=['both', 'empty', 'source-itself', 'twice', 'stray-connection', 'neither'])
def test_bad_destinations_fail_before_reading_any_host(run_playbook, pair_lab, options, words):
    pair_lab.control.reset_counters()
    _run, results = preflight_many(run_playbook, pair_lab, **options)
    assert results['hv01']['failed'] is True and words in results['hv01']['msg'], results['hv01']['msg']
    assert 'directions' not in results['hv01']
    counters = pair_lab.control.counters()
    assert all(counters.get(name, {}).get('pipelines', 0) == 0 for name in ('hv01', 'hv02', 'hv03')), counters
