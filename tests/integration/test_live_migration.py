# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.live_migration against the lab, through real ansible-playbook, over psrp and winrm.

Each test starts from a fresh host (Microsoft's defaults: migration off, CredSSP, Compression, 2/2, no networks)
and reads the outcome from the lab's world, not only from the module's own result.
"""

from __future__ import annotations

import pytest

FRESH_HOST = {
    'domain': 'hvlab.test',
    'migration': {'enabled': False, 'authentication_type': 'CredSSP', 'performance_option': 'Compression',
                  'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2, 'use_any_network': False},
    'migration_networks': [],
}

RECOMMENDED = {'state': 'enabled', 'authentication': 'kerberos', 'performance': 'compression', 'max_migrations': 2,
               'max_storage_migrations': 2, 'use_any_network': False,
               'networks': [{'subnet': '192.168.10.0/24', 'priority': 1}]}


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    for host in lab.hosts:
        lab.control.patch_host(host['name'], **FRESH_HOST)
    lab.control.clear_faults()
    lab.control.reset_counters()
    yield


def play(task_options, hosts='hyperv_hosts', name='configure'):
    return [{'hosts': hosts, 'gather_facts': False,
             'tasks': [{'name': name, 'hyperv.mobility.live_migration': task_options, 'ignore_errors': True}]}]


def migration_of(lab, host_name):
    state = lab.control.host_state(host_name)
    return state['migration'], state['migration_networks']


def writes(lab, host_name):
    """Commands other than reads that reached the host since the counters were reset."""
    commands = lab.control.counters()[host_name]['commands']
    return {name: count for name, count in commands.items() if not name.lower().startswith('get-')}


def test_recommended_settings_on_every_host_then_idempotent_in_one_pipeline(lab, run_playbook):
    first = run_playbook(play(RECOMMENDED), inventory=lab.inventory_path)
    assert first.rc == 0, first.stdout + first.stderr
    for host in lab.hosts:
        result = first.task('configure')[host['name']]
        assert result['changed'] is True, result
        assert result['changes'] == ['Enable-VMMigration', 'Add-VMMigrationNetwork 192.168.10.0/24 (priority 1)',
                                     'Set-VMHost VirtualMachineMigrationAuthenticationType=Kerberos']
        migration, networks = migration_of(lab, host['name'])
        assert migration['enabled'] is True and migration['authentication_type'] == 'Kerberos'
        assert migration['use_any_network'] is False
        assert networks == [{'subnet': '192.168.10.0/24', 'priority': 1}]
        assert result['after']['networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]
    assert {host['transport'] for host in lab.hosts} == {'psrp', 'winrm'}

    lab.control.reset_counters()
    second = run_playbook(play(RECOMMENDED), inventory=lab.inventory_path)
    assert second.rc == 0 and second.changed_hosts() == [], second.stdout
    counters = lab.control.counters()
    for host in lab.hosts:
        assert counters[host['name']]['pipelines'] == 1, counters[host['name']]
        assert writes(lab, host['name']) == {}


def test_every_setting_and_the_smbtransport_alias(lab, run_playbook):
    options = {'state': 'enabled', 'authentication': 'credssp', 'performance': 'smbtransport', 'max_migrations': 5,
               'max_storage_migrations': 3, 'use_any_network': True}
    run = run_playbook(play(options), inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout
    for host in lab.hosts:
        result = run.task('configure')[host['name']]
        assert result['changed'] and result['after']['performance'] == 'smb'
        migration, _unused = migration_of(lab, host['name'])
        assert migration == {'enabled': True, 'authentication_type': 'CredSSP', 'performance_option': 'SMB',
                             'maximum_vm_migrations': 5, 'maximum_storage_migrations': 3, 'use_any_network': True}
        # CredSSP only works from a session on the source host: the module says so.
        assert any('0x8009030E' in warning for warning in result.get('warnings', [])), result
    again = run_playbook(play(dict(options, performance='smb')), inventory=lab.inventory_path)
    assert again.changed_hosts() == [], again.stdout


def test_check_mode_reports_and_changes_nothing(lab, run_playbook):
    run = run_playbook(play(RECOMMENDED), inventory=lab.inventory_path, check=True)
    for host in lab.hosts:
        result = run.task('configure')[host['name']]
        assert result['changed'] is True and result['after']['migration_enabled'] is True
        assert result['changes'][0] == 'Enable-VMMigration'
        assert migration_of(lab, host['name']) == (FRESH_HOST['migration'], [])
        assert writes(lab, host['name']) == {}


def test_diff_mode_shows_before_and_after(lab, run_playbook):
    run = run_playbook(play(RECOMMENDED), inventory=lab.inventory_path, diff=True, verbosity=3)
    result = run.task('configure')[lab.hosts[0]['name']]
    assert result['diff']['before']['migration_enabled'] is False and result['diff']['before']['networks'] == []
    assert result['diff']['after']['migration_enabled'] is True
    assert result['diff']['after']['networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]


def test_networks_exclusive_add_remove_and_ipv6(lab, run_playbook):
    host = lab.hosts[0]['name']
    lab.control.patch_host(host, migration_networks=[{'subnet': '10.0.0.0/8', 'priority': 5},
                                                     {'subnet': '192.168.10.0/24', 'priority': 1}])
    added = run_playbook(play({'networks': [{'subnet': '2001:DB8:10:0::/64', 'priority': 2}], 'networks_mode': 'add'}, hosts=host),
                         inventory=lab.inventory_path)
    assert added.task('configure')[host]['changed'], added.stdout
    assert migration_of(lab, host)[1] == [{'subnet': '10.0.0.0/8', 'priority': 5}, {'subnet': '192.168.10.0/24', 'priority': 1},
                                          {'subnet': '2001:db8:10::/64', 'priority': 2}]

    exclusive = run_playbook(play({'networks': [{'subnet': '192.168.10.0/24', 'priority': 3}, {'subnet': '2001:db8:10::/64'}]},
                                  hosts=host), inventory=lab.inventory_path)
    result = exclusive.task('configure')[host]
    assert 'Set-VMMigrationNetwork 192.168.10.0/24 (priority 3)' in result['changes']
    assert 'Remove-VMMigrationNetwork 10.0.0.0/8' in result['changes']
    assert migration_of(lab, host)[1] == [{'subnet': '192.168.10.0/24', 'priority': 3}, {'subnet': '2001:db8:10::/64', 'priority': 2}]

    removed = run_playbook(play({'networks': [{'subnet': '2001:db8:10::/64'}, {'subnet': '172.16.0.0/12'}], 'networks_mode': 'remove'},
                                hosts=host), inventory=lab.inventory_path)
    assert removed.task('configure')[host]['changes'] == ['Remove-VMMigrationNetwork 2001:db8:10::/64']
    assert migration_of(lab, host)[1] == [{'subnet': '192.168.10.0/24', 'priority': 3}]


def test_disable(lab, run_playbook):
    host = lab.hosts[1]['name']
    lab.control.patch_host(host, migration=dict(FRESH_HOST['migration'], enabled=True))
    run = run_playbook(play({'state': 'disabled'}, hosts=host), inventory=lab.inventory_path)
    assert run.task('configure')[host]['changes'] == ['Disable-VMMigration']
    assert migration_of(lab, host)[0]['enabled'] is False


@pytest.mark.parametrize('options, message', [
    ({'authentication': 'ntlm'}, "value of authentication must be one of: kerberos, credssp, got: ntlm"),
    ({'max_migrations': 0}, 'max_migrations must be a positive integer (1..4294967295, UInt32), got 0'),
    ({'max_storage_migrations': -2}, 'max_storage_migrations must be a positive integer (1..4294967295, UInt32), got -2'),
    ({'networks': [{'subnet': '192.168.300.0/24'}]}, "networks[0].subnet: '192.168.300.0/24' is not an IPv4/IPv6 address or CIDR prefix"),
    ({'networks': [{'subnet': '192.168.10.7/24'}]}, "networks[0].subnet: '192.168.10.7/24' has host bits set; did you mean 192.168.10.0/24?"),
    ({'networks': [{'subnet': '192.168.10.0/24'}], 'use_any_network': True}, 'networks and use_any_network=true contradict each other'),
])
def test_bad_input_fails_naming_the_option_and_changes_nothing(lab, run_playbook, options, message):
    host = lab.hosts[0]['name']
    run = run_playbook(play(dict(RECOMMENDED, **options), hosts=host), inventory=lab.inventory_path)
    result = run.task('configure')[host]
    assert result.get('failed') and message in result['msg'], result
    assert migration_of(lab, host) == (FRESH_HOST['migration'], [])
    assert writes(lab, host) == {}


def test_host_outside_a_domain_is_refused(lab, run_playbook):
    host = lab.hosts[1]['name']
    lab.control.patch_host(host, domain=None)
    run = run_playbook(play(RECOMMENDED, hosts=host), inventory=lab.inventory_path)
    result = run.task('configure')[host]
    assert result.get('failed') and 'is not in an Active Directory domain' in result['msg'], result
    assert writes(lab, host) == {}
    assert migration_of(lab, host) == (FRESH_HOST['migration'], [])


def test_partial_failure_says_what_was_applied_and_the_next_run_converges(lab, run_playbook):
    host = lab.hosts[0]['name']
    # The host refuses the Set-VMHost of the change pipeline once; Enable-VMMigration and the network go through.
    lab.control.patch_host(host, failing_commands={'Set-VMHost': 1})
    run = run_playbook(play(RECOMMENDED, hosts=host), inventory=lab.inventory_path)
    result = run.task('configure')[host]
    assert result.get('failed'), result
    assert 'Set-VMHost failed' in result['msg']
    assert result['applied'] == ['migration_enabled', 'networks'] and result['not_applied'] == ['authentication']
    migration, networks = migration_of(lab, host)
    assert migration['enabled'] is True and migration['authentication_type'] == 'CredSSP'
    assert networks == [{'subnet': '192.168.10.0/24', 'priority': 1}]

    converged = run_playbook(play(RECOMMENDED, hosts=host), inventory=lab.inventory_path)
    assert converged.task('configure')[host]['changes'] == ['Set-VMHost VirtualMachineMigrationAuthenticationType=Kerberos']
    assert migration_of(lab, host)[0]['authentication_type'] == 'Kerberos'


# ------------------------------------------------------------------ several hosts in one task (issue 19)

def play_once(task_options, name='configure all'):
    """One task for every host of the group, run once (as the role live_migration_host runs it)."""
    return [{'hosts': 'hyperv_hosts', 'gather_facts': False,
             'tasks': [{'name': name, 'hyperv.mobility.live_migration': task_options, 'run_once': True, 'ignore_errors': True}]}]


def test_hosts_configures_each_host_with_its_own_settings_in_one_task_then_reruns_unchanged(lab, run_playbook):
    names = [host['name'] for host in lab.hosts]
    entries = [{'host': names[0]}, {'host': names[1], 'max_migrations': 4}]
    first = run_playbook(play_once(dict(RECOMMENDED, hosts=entries)), inventory=lab.inventory_path)
    assert first.rc == 0, first.stdout + first.stderr
    (result,) = first.task('configure all').values()
    assert result['changed'] is True and result['failed_hosts'] == [] and sorted(result['hosts']) == names[:2]
    assert result['hosts'][names[0]]['changes'] == [
        'Enable-VMMigration', 'Add-VMMigrationNetwork 192.168.10.0/24 (priority 1)', 'Set-VMHost VirtualMachineMigrationAuthenticationType=Kerberos']
    assert 'Set-VMHost MaximumVirtualMachineMigrations=4 VirtualMachineMigrationAuthenticationType=Kerberos' in result['hosts'][names[1]]['changes']
    # Each host reached over its own inventory connection (psrp and winrm), configured as asked, in one read and one write;
    # a host the task does not list is not contacted.
    assert {host['transport'] for host in lab.hosts[:2]} == {'psrp', 'winrm'}
    counters = lab.control.counters()
    for name, maximum in ((names[0], 2), (names[1], 4)):
        migration, networks = migration_of(lab, name)
        assert migration['enabled'] is True and migration['authentication_type'] == 'Kerberos'
        assert migration['maximum_vm_migrations'] == maximum and networks == [{'subnet': '192.168.10.0/24', 'priority': 1}]
        assert counters[name]['pipelines'] == 2, counters[name]
    assert all(counters[host['name']]['pipelines'] == 0 for host in lab.hosts[2:]), counters

    lab.control.reset_counters()
    second = run_playbook(play_once(dict(RECOMMENDED, hosts=entries)), inventory=lab.inventory_path)
    (again,) = second.task('configure all').values()
    assert again['changed'] is False and all(entry['changed'] is False for entry in again['hosts'].values()), again
    counters = lab.control.counters()
    for name in names[:2]:
        assert counters[name]['pipelines'] == 1 and writes(lab, name) == {}


def test_hosts_a_host_that_fails_fails_alone_and_the_others_are_configured(lab, run_playbook):
    names = [host['name'] for host in lab.hosts]
    lab.control.patch_host(names[1], domain=None)
    run = run_playbook(play_once(dict(RECOMMENDED, hosts=[{'host': name} for name in names])), inventory=lab.inventory_path)
    (result,) = run.task('configure all').values()
    assert not result.get('failed') and result['failed_hosts'] == [names[1]], result
    assert result['hosts'][names[1]]['failed'] is True and 'is not in an Active Directory domain' in result['hosts'][names[1]]['msg']
    for name in names[:1] + names[2:]:
        assert result['hosts'][name]['changed'] is True and migration_of(lab, name)[0]['enabled'] is True
    assert migration_of(lab, names[1]) == (FRESH_HOST['migration'], []) and writes(lab, names[1]) == {}


def test_hosts_bad_input_for_one_host_fails_naming_it_and_changes_nothing_anywhere(lab, run_playbook):
    names = [host['name'] for host in lab.hosts]
    entries = [{'host': names[0]}, {'host': names[1], 'max_migrations': 0}]
    run = run_playbook(play_once(dict(RECOMMENDED, hosts=entries)), inventory=lab.inventory_path)
    (result,) = run.task('configure all').values()
    assert result.get('failed'), result
    assert 'hosts[1] (%s): max_migrations must be a positive integer (1..4294967295, UInt32), got 0' % names[1] in result['msg']
    counters = lab.control.counters()
    for name in names:
        assert counters[name]['pipelines'] == 0 and migration_of(lab, name) == (FRESH_HOST['migration'], [])


def test_hosts_check_and_diff_mode_show_each_host_and_change_nothing(lab, run_playbook):
    names = [host['name'] for host in lab.hosts]
    run = run_playbook(play_once(dict(RECOMMENDED, hosts=[{'host': name} for name in names])), inventory=lab.inventory_path,
                       check=True, diff=True)
    (result,) = run.task('configure all').values()
    assert result['changed'] is True
    assert [diff['before_header'] for diff in result['diff']] == names
    assert all(diff['before']['migration_enabled'] is False and diff['after']['migration_enabled'] is True for diff in result['diff'])
    for name in names:
        assert result['hosts'][name]['changes'][0] == 'Enable-VMMigration'
        assert writes(lab, name) == {} and migration_of(lab, name) == (FRESH_HOST['migration'], [])


def test_the_host_role_configures_all_hosts_in_one_module_process_and_a_refused_host_fails_alone(lab, run_playbook):
    # Play variables (not in hostvars) reach every host; hv02 overrides them with no network and no use_any_network, which
    # the role refuses: it fails in its own report with the reason and is not contacted, while the others are configured by
    # the one live_migration task.
    names = [host['name'] for host in lab.hosts]
    playbook = [{'hosts': 'hyperv_hosts', 'gather_facts': False,
                 'vars': {'live_migration_networks': [{'subnet': '192.168.10.0/24', 'priority': 1}], 'live_migration_max_migrations': 3},
                 'pre_tasks': [{'name': 'no network on the second host', 'ansible.builtin.set_fact': {'live_migration_networks': []},
                                'when': 'inventory_hostname == %r' % names[1]}],
                 'roles': [{'role': 'hyperv.mobility.live_migration_host'}]}]
    run = run_playbook(playbook, inventory=lab.inventory_path)
    assert run.rc != 0
    (configured,) = run.task('hyperv.mobility.live_migration_host : Configure live migration on every host of the play').values()
    assert sorted(configured['hosts']) == sorted(names[:1] + names[2:])
    failed = [(result['task']['name'], host) for result in run.results for host, outcome in result['hosts'].items() if outcome.get('failed')]
    assert failed == [("hyperv.mobility.live_migration_host : The host's live-migration settings (changed, or failed with what was "
                       "and was not applied)", names[1]), ('hyperv.mobility.live_migration_host : Fail as the task did', names[1])], failed
    report = run.task('hyperv.mobility.live_migration_host : Fail as the task did')[names[1]]
    assert 'live_migration_networks is empty and live_migration_use_any_network is false' in report['msg']
    assert lab.control.counters()[names[1]]['pipelines'] == 0 and migration_of(lab, names[1]) == (FRESH_HOST['migration'], [])
    for name in names[:1] + names[2:]:
        migration, networks = migration_of(lab, name)
        assert migration['enabled'] is True and migration['maximum_vm_migrations'] == 3
        assert networks == [{'subnet': '192.168.10.0/24', 'priority': 1}]
    assert sorted(run.changed_hosts()) == sorted(names[:1] + names[2:])
    assert sum(1 for result in run.results for outcome in result['hosts'].values() if 'invocation' in outcome) == 1
