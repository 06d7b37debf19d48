# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.replica_server against the lab, through real ansible-playbook, over psrp and winrm.

Each test starts from Hyper-V's defaults (Replica off, Kerberos on 80 / certificates on 443, any authenticated server
into the default location, no authorization entry, every listener and unrelated firewall rule as installed) and reads
the outcome from the lab's world. The firewall assertions prove the module enables the listener rules by name only:
the lab's Enable-NetFirewallRule without a selector enables every rule, as Windows does.
"""

from __future__ import annotations

import threading

import pytest

HTTP_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
HTTPS_RULE = 'VIRT-HVRHTTPSL-In-TCP-NoScope'
DEFAULT_LOCATION = 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'

FRESH_REPLICA_SERVER = {'enabled': False, 'allowed_authentication_type': 'Kerberos', 'kerberos_port': 80, 'certificate_port': 443,
                        'certificate_thumbprint': None, 'allow_any_server': True, 'default_storage_location': DEFAULT_LOCATION,
                        'authorization_entries': []}
# As installed: only WinRM is open (the lab is managed over it).
FRESH_FIREWALL = {HTTP_RULE: {'enabled': False}, HTTPS_RULE: {'enabled': False}, 'FPS-SMB-In-TCP': {'enabled': False},
                  'FPS-ICMP4-ERQ-In': {'enabled': False}, 'RemoteSvcAdmin-In-TCP': {'enabled': False},
                  'WMI-WINMGMT-In-TCP': {'enabled': False}, 'WINRM-HTTP-In-TCP': {'enabled': True}}
UNRELATED_RULES = {'FPS-SMB-In-TCP': False, 'FPS-ICMP4-ERQ-In': False, 'RemoteSvcAdmin-In-TCP': False, 'WMI-WINMGMT-In-TCP': False,
                   'WINRM-HTTP-In-TCP': True}

DOMAIN_ENTRY = {'primary_server': '*.hvlab.test', 'storage_location': 'D:\\Replica', 'trust_group': 'HVLAB'}
KERBEROS_WITH_ENTRY = {'state': 'enabled', 'authentication': 'kerberos', 'kerberos_port': 80, 'authorization_entries': [DOMAIN_ENTRY]}


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    for host in lab.hosts:
        lab.control.patch_host(host['name'], replica_server=FRESH_REPLICA_SERVER, firewall_rules=FRESH_FIREWALL)
    lab.control.clear_faults()
    lab.control.reset_counters()
    yield


def play(task_options, hosts='hyperv_hosts', name='configure'):
    return [{'hosts': hosts, 'gather_facts': False,
             'tasks': [{'name': name, 'hyperv.mobility.replica_server': task_options, 'ignore_errors': True}]}]


def replica_server_of(lab, host_name):
    state = lab.control.host_state(host_name)
    return state['replica_server'], {rule['name']: rule['enabled'] for rule in state['firewall_rules']}


def thumbprint_of(lab, host_name):
    """The Replica-capable machine certificate in the lab host's LocalMachine\\My store."""
    return lab.control.host_state(host_name)['replication']['certificates'][0]


def writes(lab, host_name):
    """Commands other than reads that reached the host since the counters were reset."""
    commands = lab.control.counters()[host_name]['commands']
    return {name: count for name, count in commands.items() if not name.lower().startswith('get-')}


def assert_untouched(lab):
    for host in lab.hosts:
        server, rules = replica_server_of(lab, host['name'])
        assert server == dict(server, **FRESH_REPLICA_SERVER), server
        assert rules == dict(UNRELATED_RULES, **{HTTP_RULE: False, HTTPS_RULE: False}), rules


def test_kerberos_replica_with_a_wildcard_entry_then_idempotent_in_one_pipeline(lab, run_playbook):
    first = run_playbook(play(KERBEROS_WITH_ENTRY), inventory=lab.inventory_path)
    assert first.rc == 0, first.stdout + first.stderr
    for host in lab.hosts:
        result = first.task('configure')[host['name']]
        assert result['changed'] is True, result
        assert result['changes'] == [
            'Set-VMReplicationServer ReplicationAllowedFromAnyServer=False ReplicationEnabled=True',
            'New-VMReplicationAuthorizationEntry *.hvlab.test (storage D:\\Replica, trust group HVLAB)',
            'Enable-NetFirewallRule %s' % HTTP_RULE]
        server, rules = replica_server_of(lab, host['name'])
        assert server['enabled'] is True and server['allowed_authentication_type'] == 'Kerberos'
        assert server['allow_any_server'] is False
        assert server['authorization_entries'] == [{'allowed_primary_server': '*.hvlab.test', 'replica_storage_location': 'D:\\Replica',
                                                    'trust_group': 'HVLAB'}]
        # Only the HTTP listener was enabled: the HTTPS listener and every unrelated rule are as they were.
        assert rules == dict(UNRELATED_RULES, **{HTTP_RULE: True, HTTPS_RULE: False})
        assert result['after']['listener_rules'] == {HTTP_RULE: True, HTTPS_RULE: False}
        assert result['after']['authorization_entries'] == [DOMAIN_ENTRY]
        assert result['before']['allow_any_server'] is True
    assert {host['transport'] for host in lab.hosts} == {'psrp', 'winrm'}

    lab.control.reset_counters()
    second = run_playbook(play(KERBEROS_WITH_ENTRY), inventory=lab.inventory_path)
    assert second.rc == 0 and second.changed_hosts() == [], second.stdout
    counters = lab.control.counters()
    for host in lab.hosts:
        assert counters[host['name']]['pipelines'] == 1, counters[host['name']]
        assert writes(lab, host['name']) == {}
        assert second.task('configure')[host['name']]['changes'] == []


def test_both_authentication_types_with_certificate_ports_and_thumbprint(lab, run_playbook):
    host = lab.hosts[0]['name']
    thumbprint = thumbprint_of(lab, host)
    # Lower case with spaces, as certificate dialogs show it: normalised before it is compared or sent.
    spaced = ' '.join(thumbprint[index:index + 4] for index in range(0, 40, 4)).lower()
    options = {'authentication': 'both', 'kerberos_port': 8080, 'certificate_port': 8443, 'certificate_thumbprint': spaced,
               'allow_any_server': True, 'default_storage_location': 'E:\\Replica'}
    run = run_playbook(play(options, hosts=host), inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout
    result = run.task('configure')[host]
    assert result['changed'] is True
    server, rules = replica_server_of(lab, host)
    assert (server['allowed_authentication_type'], server['kerberos_port'], server['certificate_port']) == ('CertificateAndKerberos', 8080, 8443)
    assert server['certificate_thumbprint'] == thumbprint
    assert (server['allow_any_server'], server['default_storage_location']) == (True, 'E:\\Replica')
    assert rules == dict(UNRELATED_RULES, **{HTTP_RULE: True, HTTPS_RULE: True})
    assert result['after']['authentication'] == 'both' and result['after']['certificate_thumbprint'] == thumbprint

    again = run_playbook(play(options, hosts=host), inventory=lab.inventory_path)
    assert again.rc == 0 and again.changed_hosts() == [], again.stdout


def test_certificate_only_enables_only_the_https_listener(lab, run_playbook):
    host = lab.hosts[1]['name']
    options = {'authentication': 'certificate', 'certificate_thumbprint': thumbprint_of(lab, host), 'allow_any_server': True,
               'default_storage_location': 'D:\\Replica'}
    run = run_playbook(play(options, hosts=host), inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout
    server, rules = replica_server_of(lab, host)
    assert server['allowed_authentication_type'] == 'Certificate'
    assert rules == dict(UNRELATED_RULES, **{HTTP_RULE: False, HTTPS_RULE: True})


def test_authorization_entry_modes(lab, run_playbook):
    host = lab.hosts[0]['name']
    branch = {'primary_server': 'hv02.hvlab.test', 'storage_location': 'E:\\Branch', 'trust_group': 'BRANCH'}
    other = {'primary_server': 'hv03.hvlab.test', 'storage_location': 'F:\\Other'}
    lab.control.patch_host(host, replica_server={'allow_any_server': False, 'authorization_entries': [
        {'allowed_primary_server': 'old.hvlab.test', 'replica_storage_location': 'D:\\Old', 'trust_group': 'OLD'},
        {'allowed_primary_server': 'HV02.hvlab.test', 'replica_storage_location': 'D:\\Replica', 'trust_group': 'BRANCH'}]})

    added = run_playbook(play({'authorization_entries': [branch, other], 'authorization_entries_mode': 'add'}, hosts=host),
                         inventory=lab.inventory_path).task('configure')[host]
    assert added['changes'] == [
        'Set-VMReplicationServer ReplicationEnabled=True',
        'New-VMReplicationAuthorizationEntry hv03.hvlab.test (storage F:\\Other, trust group DEFAULT)',
        # The entry keeps the host's spelling of its primary server; only the storage location differed.
        'Set-VMReplicationAuthorizationEntry HV02.hvlab.test (storage E:\\Branch, trust group BRANCH)',
        'Enable-NetFirewallRule %s' % HTTP_RULE]
    entries = {entry['allowed_primary_server']: (entry['replica_storage_location'], entry['trust_group'])
               for entry in replica_server_of(lab, host)[0]['authorization_entries']}
    assert entries == {'old.hvlab.test': ('D:\\Old', 'OLD'), 'HV02.hvlab.test': ('E:\\Branch', 'BRANCH'),
                       'hv03.hvlab.test': ('F:\\Other', 'DEFAULT')}

    removed = run_playbook(play({'authorization_entries': [{'primary_server': 'OLD.hvlab.test'}, {'primary_server': 'gone.hvlab.test'}],
                                 'authorization_entries_mode': 'remove'}, hosts=host), inventory=lab.inventory_path).task('configure')[host]
    assert removed['changes'] == ['Remove-VMReplicationAuthorizationEntry old.hvlab.test']
    assert sorted(entry['allowed_primary_server'] for entry in replica_server_of(lab, host)[0]['authorization_entries']) == [
        'HV02.hvlab.test', 'hv03.hvlab.test']

    exclusive = run_playbook(play({'authorization_entries': [DOMAIN_ENTRY]}, hosts=host), inventory=lab.inventory_path).task('configure')[host]
    assert exclusive['changes'] == ['New-VMReplicationAuthorizationEntry *.hvlab.test (storage D:\\Replica, trust group HVLAB)',
                                    'Remove-VMReplicationAuthorizationEntry HV02.hvlab.test',
                                    'Remove-VMReplicationAuthorizationEntry hv03.hvlab.test']
    assert replica_server_of(lab, host)[0]['authorization_entries'] == [
        {'allowed_primary_server': '*.hvlab.test', 'replica_storage_location': 'D:\\Replica', 'trust_group': 'HVLAB'}]


def test_back_to_any_server_and_disabled(lab, run_playbook):
    host = lab.hosts[0]['name']
    assert run_playbook(play(KERBEROS_WITH_ENTRY, hosts=host), inventory=lab.inventory_path).rc == 0
    opened = run_playbook(play({'allow_any_server': True, 'default_storage_location': 'd:\\any'}, hosts=host),
                          inventory=lab.inventory_path).task('configure')[host]
    assert opened['changes'] == ['Set-VMReplicationServer DefaultStorageLocation=d:\\any ReplicationAllowedFromAnyServer=True']
    server = replica_server_of(lab, host)[0]
    assert (server['allow_any_server'], server['default_storage_location']) == (True, 'd:\\any')
    # Windows compares paths without regard to case.
    same = run_playbook(play({'allow_any_server': True, 'default_storage_location': 'D:\\ANY'}, hosts=host), inventory=lab.inventory_path)
    assert same.changed_hosts() == [], same.stdout

    disabled = run_playbook(play({'state': 'disabled'}, hosts=host), inventory=lab.inventory_path).task('configure')[host]
    assert disabled['changes'] == ['Set-VMReplicationServer ReplicationEnabled=False']
    server, rules = replica_server_of(lab, host)
    assert server['enabled'] is False
    assert rules[HTTP_RULE] is True      # rules are only ever enabled, never disabled


def test_check_mode_reports_without_changing(lab, run_playbook):
    run = run_playbook(play(KERBEROS_WITH_ENTRY), inventory=lab.inventory_path, check=True)
    assert run.rc == 0, run.stdout
    counters = lab.control.counters()
    for host in lab.hosts:
        result = run.task('configure')[host['name']]
        assert result['changed'] is True
        assert result['after']['enabled'] is True and result['after']['listener_rules'][HTTP_RULE] is True
        assert len(result['changes']) == 3
        assert counters[host['name']]['pipelines'] == 1 and writes(lab, host['name']) == {}
    assert_untouched(lab)


def test_diff_mode_shows_before_and_after(lab, run_playbook):
    host = lab.hosts[0]['name']
    run = run_playbook(play(KERBEROS_WITH_ENTRY, hosts=host), inventory=lab.inventory_path, diff=True)
    result = run.task('configure')[host]
    assert result['diff']['before']['authorization_entries'] == []
    assert result['diff']['after']['authorization_entries'] == [DOMAIN_ENTRY]
    assert result['diff']['before']['enabled'] is False and result['diff']['after']['enabled'] is True


@pytest.mark.parametrize('options, message', [
    ({'allow_any_server': True}, 'allow_any_server=true requires default_storage_location'),
    ({'authentication': 'certificate'}, 'authentication=certificate (certificate-based, HTTPS) requires certificate_thumbprint'),
    ({'authentication': 'both'}, 'authentication=both (certificate-based, HTTPS) requires certificate_thumbprint'),
    ({'authentication': 'certificate', 'certificate_thumbprint': 'not-a-thumbprint'}, 'certificate_thumbprint must be 40 hexadecimal'),
    ({'kerberos_port': 70000}, 'kerberos_port must be between 1 and 65535 (a TCP port), got 70000'),
    ({'authorization_entries': [{'primary_server': 'hv01', 'storage_location': 'D:\\R'}]}, "authorization_entries[0].primary_server 'hv01'"),
    ({'authorization_entries': [{'primary_server': 'hv01.*.test', 'storage_location': 'D:\\R'}]}, 'is not valid'),
    ({'authorization_entries': [{'primary_server': 'hv01.hvlab.test'}]}, 'authorization_entries[0].storage_location is required'),
    ({'authorization_entries': [{'primary_server': 'hv01.hvlab.test', 'storage_location': 'Replica'}]}, 'is not a local'),
    ({'authorization_entries': [DOMAIN_ENTRY], 'allow_any_server': True, 'default_storage_location': 'D:\\R'}, 'contradict each other'),
    ({'default_storage_location': 'relative\\path', 'allow_any_server': True}, "default_storage_location 'relative\\\\path' is not a local"),
])
def test_bad_input_fails_clearly_without_touching_the_host(lab, run_playbook, options, message):
    run = run_playbook(play(options), inventory=lab.inventory_path)
    counters = lab.control.counters()
    for host in lab.hosts:
        result = run.task('configure')[host['name']]
        assert result['failed'] is True
        assert message in result['msg'], result['msg']
        assert counters[host['name']]['requests'] == 0, 'rejected before connecting'
    assert_untouched(lab)


def test_certificate_port_with_kerberos_is_refused_after_reading(lab, run_playbook):
    host = lab.hosts[0]['name']
    run = run_playbook(play({'certificate_port': 8443}, hosts=host), inventory=lab.inventory_path)
    result = run.task('configure')[host]
    assert result['failed'] is True
    assert 'certificate_port can be set only when the Replica server uses certificate authentication' in result['msg']
    assert writes(lab, host) == {} and lab.control.counters()[host]['pipelines'] == 1
    assert_untouched(lab)


def test_unknown_certificate_is_the_hosts_error_quoted(lab, run_playbook):
    host = lab.hosts[0]['name']
    options = {'authentication': 'certificate', 'certificate_thumbprint': 'AB' * 20}
    result = run_playbook(play(options, hosts=host), inventory=lab.inventory_path).task('configure')[host]
    assert result['failed'] is True
    assert 'Set-VMReplicationServer' in result['msg'] and 'was not found in the LocalMachine\\My store' in result['msg']
    # Statements of the write pipeline run on after a failed one (PowerShell's rule): the result says what did not apply.
    assert {'authentication', 'certificate_thumbprint', 'enabled'} <= set(result['not_applied'])
    server, rules = replica_server_of(lab, host)
    assert (server['allowed_authentication_type'], server['enabled']) == ('Kerberos', False)
    assert rules == dict(UNRELATED_RULES, **{HTTP_RULE: False, HTTPS_RULE: True})


def test_two_runs_enabling_the_same_replica_server_at_once_both_succeed(lab, run_playbook):
    """Two runs of one play at once, over psrp (hv01) and winrm (hv02), the hosts slowed down so that both read before either
    writes. Set-VMReplicationServer with the values the other run just set is no error (the decompiled cmdlet writes the
    settings it is given, compared with nothing), and the authorization entry the other run added first is taken as its change
    (issue 21 class 5): both runs succeed, the server is configured once, and what each run reports it changed is on the host."""
    for host in lab.hosts:
        lab.control.set_latency(host['name'], 150)
    start = threading.Barrier(2)
    runs = [None, None]

    def run(index):
        start.wait()
        runs[index] = run_playbook(play(KERBEROS_WITH_ENTRY), inventory=lab.inventory_path)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for host in lab.hosts:
            lab.control.set_latency(host['name'], 0)
    for done in runs:
        assert done.rc == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for host in lab.hosts:
        server, rules = replica_server_of(lab, host['name'])
        assert server['enabled'] is True and server['allow_any_server'] is False
        assert server['authorization_entries'] == [{'allowed_primary_server': '*.hvlab.test', 'replica_storage_location': 'D:\\Replica',
                                                    'trust_group': 'HVLAB'}]
        assert rules[HTTP_RULE] is True
        results = [done.task('configure')[host['name']] for done in runs]
        assert not any(result.get('failed') for result in results), [result.get('msg') for result in results]
        assert any(result['changed'] for result in results), [(result.get('msg'), result.get('changes')) for result in results]
        entry_adds = [line for result in results for line in result.get('changes', []) if line.startswith('New-VMReplicationAuthorizationEntry')]
        assert len(entry_adds) == 1, results    # the entry is reported as added by exactly one run
