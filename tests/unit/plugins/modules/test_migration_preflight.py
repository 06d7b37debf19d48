# -*- coding: utf-8 -*-
"""migration_preflight: the checks as pure functions over both hosts' facts, the report, and the destination's connection."""

import pytest

from ansible_collections.hyperv.mobility.plugins.action.controller_module import destination_connection_from_vars
from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ComputerAccount, DelegationDescriptor
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ADError
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import (
    destination_options, destination_params, destinations_options, destinations_problems)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import (
    CHECK_NAMES, DirectoryFacts, HostFacts, PreflightRequest, first_failure, run_checks, should_fail, summarize)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, PSObjectData
from ansible_collections.hyperv.mobility.plugins.module_utils._framework import preflight_directory

from pipeline_objects import computer_system

HV = 'Microsoft.HyperV.PowerShell.'
MVSMS = 'Microsoft Virtual System Migration Service'
SOURCE_SID = 'S-1-5-21-1-2-3-1101'


def facts(role, name, domain='hvlab.test', auth='Kerberos', enabled=True, networks=('192.168.10.0/24',), use_any=False,
          versions=('8.0', '9.0', '10.0'), vms=(('web', '10.0'),), performance='Compression', limits=(2, 2)):
    host = HostFacts(role, name)
    host.hyperv_installed = True
    host.computer_name = name.upper()
    host.fqdn = '%s.%s' % (name, domain) if domain else name
    host.domain = domain
    host.migration = dict(enabled=enabled, authentication_type=auth, performance_option=performance, use_any_network=use_any,
                          maximum_vm_migrations=limits[0], maximum_storage_migrations=limits[1])
    host.networks = [dict(subnet=subnet, priority=1) for subnet in networks]
    host.supported_versions = list(versions)
    host.vms = [dict(name=vm, version=version, id='') for vm, version in vms]
    return host


def account(name, services=(), transition=True, sid=SOURCE_SID, allowed=None):
    return ComputerAccount('CN=%s,CN=Computers,DC=hvlab,DC=test' % name.upper(), name.upper() + '$', name + '.hvlab.test', sid,
                           0x1000 | (0x1000000 if transition else 0), list(services), allowed)


FULL = ['%s/hv02' % MVSMS, '%s/hv02.hvlab.test' % MVSMS, 'cifs/hv02', 'cifs/hv02.hvlab.test']


def report(source=None, destination=None, directory=None, **request):
    source = source or facts('source', 'hv01')
    destination = destination or facts('destination', 'hv02')
    directory = directory or DirectoryFacts(account('hv01', FULL), account('hv02', sid='S-1-5-21-1-2-3-1102'))
    checks = run_checks(source, destination, PreflightRequest(**request), directory)
    return dict((check.name, check) for check in checks), checks


def failed_names(checks):
    return [check.name for check in checks if check.status == 'failed']


def test_a_configured_pair_is_all_ok_and_every_check_is_reported_in_order():
    by_name, checks = report(include_storage=True)
    assert [check.name for check in checks] == list(CHECK_NAMES)
    assert summarize(checks) == {'ok': 11, 'warning': 0, 'failed': 0} and first_failure(checks) is None


@pytest.mark.parametrize('destination, check, words', [
    (facts('destination', 'hv02', enabled=False), 'migration_enabled', 'disabled on destination hv02'),
    (facts('destination', 'hv02', networks=('10.99.0.0/24',)), 'networks', 'no common network'),
    (facts('destination', 'hv02', networks=()), 'networks', 'on no network'),
    (facts('destination', 'hv02', auth='CredSSP'), 'authentication_type', 'uses CredSSP'),
    (facts('destination', 'hv02', versions=('5.0', '8.0')), 'vm_versions', 'web (version 10.0)'),
    (facts('destination', 'hv02', domain=None), 'domain', 'not in an Active Directory domain'),
    (facts('destination', 'hv02', limits=(0, 2)), 'concurrency', 'MaximumVirtualMachineMigrations 0'),
])
def test_one_broken_precondition_fails_one_check(destination, check, words):
    by_name, checks = report(destination=destination)
    assert failed_names(checks) == [check]
    assert words in by_name[check].detail and by_name[check].fix


def test_networks_overlap_by_prefix_and_use_any_accepts_everything():
    by_name, _checks = report(source=facts('source', 'hv01', networks=('192.168.0.0/16',)))
    assert by_name['networks'].status == 'ok' and '192.168.10.0/24' in by_name['networks'].detail
    by_name, _checks = report(destination=facts('destination', 'hv02', networks=(), use_any=True))
    assert by_name['networks'].status == 'ok'
    by_name, _checks = report(source=facts('source', 'hv01', networks=(), use_any=True))
    assert by_name['networks'].status == 'warning'


def test_different_dns_domains_are_a_warning_because_trusts_are_invisible():
    by_name, _checks = report(destination=facts('destination', 'hv02', domain='other.test'))
    assert by_name['domain'].status == 'warning' and 'trust' in by_name['domain'].detail


def test_delegation_needs_both_names_cifs_with_storage_and_protocol_transition():
    only_migration = DirectoryFacts(account('hv01', FULL[:2]), account('hv02', sid='S-1-5-21-9'))
    assert report(directory=only_migration)[0]['delegation'].status == 'ok'
    by_name, _checks = report(directory=only_migration, include_storage=True)
    assert by_name['delegation'].status == 'failed' and 'cifs/hv02, cifs/hv02.hvlab.test' in by_name['delegation'].detail
    smb = facts('source', 'hv01', performance='SMB')
    assert report(source=smb, destination=facts('destination', 'hv02', performance='SMB'), directory=only_migration)[0]['delegation'].status == 'failed'
    short_only = DirectoryFacts(account('hv01', FULL[:1]), account('hv02', sid='S-1-5-21-9'))
    assert '%s/hv02.hvlab.test' % MVSMS in report(directory=short_only)[0]['delegation'].detail
    no_transition = DirectoryFacts(account('hv01', FULL, transition=False), account('hv02', sid='S-1-5-21-9'))
    assert report(directory=no_transition)[0]['delegation'].status == 'failed'
    assert report(directory=no_transition, source_connection_auth='kerberos')[0]['delegation'].status == 'ok'


def test_resource_based_delegation_on_the_destination_is_enough():
    destination = account('hv02', sid='S-1-5-21-9', allowed=DelegationDescriptor.for_principals([SOURCE_SID]))
    by_name, _checks = report(directory=DirectoryFacts(account('hv01'), destination))
    assert by_name['delegation'].status == 'ok' and 'resource-based' in by_name['delegation'].detail


def test_delegation_without_ad_is_a_warning_and_a_missing_account_fails():
    assert report(directory=DirectoryFacts.not_read('no AD options'))[0]['delegation'].status == 'warning'
    assert report(directory=DirectoryFacts.failed('bind refused'))[0]['delegation'].status == 'warning'
    by_name, _checks = report(directory=DirectoryFacts(account('hv01', FULL), None))
    assert by_name['delegation'].status == 'failed' and 'no computer account for destination hv02' in by_name['delegation'].detail


def test_credssp_warns_that_moves_start_on_the_source():
    by_name, _checks = report(source=facts('source', 'hv01', auth='CredSSP'), destination=facts('destination', 'hv02', auth='CredSSP'))
    assert by_name['delegation'].status == 'warning' and '0x8009030E' in by_name['delegation'].detail


def test_smb_on_one_end_only_warns():
    by_name, _checks = report(source=facts('source', 'hv01', performance='SMB'), directory=DirectoryFacts(account('hv01', FULL), account('hv02', sid='S-9')))
    assert by_name['smb_performance'].status == 'warning'


def test_unreachable_host_fails_connection_and_leaves_the_rest_unchecked():
    down = HostFacts.unreachable('destination', 'hv02', 'connection refused')
    _by_name, checks = report(destination=down)
    assert failed_names(checks) == ['connection'] and all(check.status == 'warning' for check in checks[1:])
    assert len(checks) == len(CHECK_NAMES)


def test_facts_from_a_pipeline_and_an_access_denied_get_vmhost():
    feature = PSObjectData(['Microsoft.Windows.ServerManager.Commands.Feature'], {'Name': 'Hyper-V', 'Installed': True})
    denied = ErrorRecordData('Get-VMHost', 'You do not have the required permission', 'AccessDenied,Microsoft.HyperV.PowerShell.Commands.GetVMHost')
    host = HostFacts.from_result('source', '127.0.10.1', PipelineResult([feature], [denied]))
    assert host.hyperv_installed and not host.answered and 'required permission' in host.hyperv_error
    checks = run_checks(host, facts('destination', 'hv02'), PreflightRequest(), DirectoryFacts.not_read('x'))
    assert failed_names(checks) == ['administrator'] and 'Hyper-V Administrators' in checks[2].fix


def test_names_and_domain_come_from_win32_computer_system():
    # Get-VMHost's FullyQualifiedDomainName is the domain (Win32_ComputerSystem.Domain), never the host's FQDN.
    vmhost = PSObjectData([HV + 'VMHost'], {'ComputerName': 'HV01', 'FullyQualifiedDomainName': 'hvlab.test',
                                            'VirtualMachineMigrationEnabled': True, 'VirtualMachineMigrationAuthenticationType': 'Kerberos'})
    joined = HostFacts.from_result('source', '127.0.10.1', PipelineResult([computer_system('hv01.hvlab.test'), vmhost]))
    assert (joined.fqdn, joined.domain, joined.short_name, joined.answered) == ('hv01.hvlab.test', 'hvlab.test', 'hv01', True)
    alone = HostFacts.from_result('source', '127.0.10.1', PipelineResult([computer_system('hv01', workgroup='LAB'), vmhost]))
    assert (alone.fqdn, alone.domain) == ('hv01', None)


@pytest.mark.parametrize('fail_on, expected', [('never', False), ('failed', True), ('warning', True)])
def test_fail_on(fail_on, expected):
    _by_name, checks = report(destination=facts('destination', 'hv02', enabled=False))
    assert should_fail(checks, fail_on) is expected
    _by_name, clean = report(directory=DirectoryFacts.not_read('no AD options'))
    assert should_fail(clean, fail_on) is (fail_on == 'warning')


def test_destination_connection_inherits_the_account_but_not_the_endpoint():
    params = dict(hyperv_host='127.0.10.1', hyperv_port=5985, hyperv_protocol='http', hyperv_transport='winrm', hyperv_user='lab',
                  hyperv_password='pw', hyperv_auth='ntlm', hyperv_ca_cert='/ca.pem', hyperv_retries=1, destination='hv02',
                  destination_connection={'port': 5986})
    merged = destination_params(params)
    assert merged['hyperv_host'] == 'hv02' and merged['hyperv_port'] == 5986 and merged['hyperv_protocol'] is None
    assert merged['hyperv_transport'] is None and merged['hyperv_user'] == 'lab' and merged['hyperv_auth'] == 'ntlm'
    options = destination_options(params)
    assert options.protocol == 'https' and options.transport == 'psrp' and options.ca_cert == '/ca.pem' and options.retries == 1


def test_action_plugin_maps_destination_inventory_vars_without_the_prefix():
    values = destination_connection_from_vars({'inventory_hostname': 'hv02', 'ansible_host': '127.0.10.2', 'ansible_connection': 'winrm',
                                               'ansible_user': 'lab', 'ansible_password': 'pw', 'ansible_winrm_transport': 'ntlm',
                                               'ansible_winrm_scheme': 'http', 'ansible_port': 5985})
    assert values == {'host': '127.0.10.2', 'transport': 'winrm', 'user': 'lab', 'password': 'pw', 'auth': 'ntlm', 'protocol': 'http', 'port': 5985}


SOURCE_PARAMS = dict(hyperv_host='127.0.10.1', hyperv_port=5986, hyperv_protocol=None, hyperv_transport='psrp', hyperv_user='lab',
                     hyperv_password='pw', hyperv_auth='ntlm', hyperv_ca_cert='/ca.pem', hyperv_retries=1)


def test_each_destination_gets_its_own_connection_and_inherits_the_account():
    params = dict(SOURCE_PARAMS, destinations=['hv02', 'hv03'],
                  destination_connections=[{'destination': 'hv03', 'host': '127.0.10.3', 'transport': 'winrm', 'user': 'other'}])
    (hv02, to_hv02), (hv03, to_hv03) = destinations_options(params)
    assert (hv02, to_hv02.host, to_hv02.transport, to_hv02.user, to_hv02.ca_cert) == ('hv02', 'hv02', 'psrp', 'lab', '/ca.pem')
    assert (hv03, to_hv03.host, to_hv03.transport, to_hv03.user, to_hv03.password) == ('hv03', '127.0.10.3', 'winrm', 'other', 'pw')
    assert destinations_problems(params) == []


@pytest.mark.parametrize('destinations, connections, words', [
    ([], None, 'destinations must name at least one host'),
    (['hv02', 'hv02'], None, 'destinations names hv02 more than once'),
    (['hv02'], [{'destination': 'hv09'}], 'destination_connections has an entry for hv09, which destinations does not name'),
    (['hv02'], [{'destination': 'hv02'}, {'destination': 'hv02'}], 'destination_connections has more than one entry for hv02'),
    (['hv02', '127.0.10.1'], None, 'destinations names the source host itself (127.0.10.1)'),
    (['hv01'], [{'destination': 'hv01', 'host': '127.0.10.1', 'port': 5986}], 'destinations names the source host itself (hv01)'),
])
def test_bad_destinations_are_named(destinations, connections, words):
    problems = destinations_problems(dict(SOURCE_PARAMS, destinations=destinations, destination_connections=connections))
    assert any(words in problem for problem in problems), problems


def test_same_address_on_another_port_is_not_the_source():
    params = dict(SOURCE_PARAMS, destinations=['hv01b'], destination_connections=[{'destination': 'hv01b', 'host': '127.0.10.1', 'port': 15986}])
    assert destinations_problems(params) == []


class CountingDirectory:
    """A stand-in for ADClient: counts the connections opened and the searches made (with the names each asked for)."""

    connections = 0
    searches = []
    fail = False

    def __init__(self, options):
        self.options = options

    def __enter__(self):
        CountingDirectory.connections += 1
        return self

    def __exit__(self, *exc_info):
        return False

    def find_computers(self, names):
        CountingDirectory.searches.append(list(names))
        if CountingDirectory.fail:
            raise ADError('the domain controller went away')
        short = sorted(set(name.split('.')[0] for name in names if name.split('.')[0] != 'hv09'))   # AD has no hv09
        return [account(name, FULL if name == 'hv01' else (), sid='S-1-5-21-1-2-3-%d' % (1100 + int(name[2:]))) for name in short]


@pytest.fixture(name='directory')
def fixture_directory(monkeypatch):
    monkeypatch.setattr(preflight_directory, 'ADClient', CountingDirectory)
    monkeypatch.setattr(preflight_directory, 'HAS_LDAP3', True)
    monkeypatch.setattr(preflight_directory.ADConnectionOptions, 'from_params', classmethod(lambda cls, params: params))
    monkeypatch.setattr(CountingDirectory, 'connections', 0)
    monkeypatch.setattr(CountingDirectory, 'searches', [])
    monkeypatch.setattr(CountingDirectory, 'fail', False)
    return CountingDirectory


def pairs(source, destinations):
    return [(source, destination) for destination in destinations]


def test_directory_is_read_in_one_search_for_every_destination(directory):
    destinations = [facts('destination', name) for name in ('hv02', 'hv03', 'hv09')]
    found = preflight_directory.read_directories({'ad_server': 'dc'}, pairs(facts('source', 'hv01'), destinations))
    assert directory.connections == 1 and len(directory.searches) == 1
    assert directory.searches[0].count('hv01.hvlab.test') == 1      # the source's account asked for once, not once per direction
    assert [entry.destination_account.sam_account_name if entry.destination_account else None for entry in found] == ['HV02$', 'HV03$', None]
    assert all(entry.source_account.sam_account_name == 'HV01$' for entry in found)


def test_directory_is_not_read_for_directions_that_do_not_need_it(directory):
    silent = facts('destination', 'hv03')
    silent.migration = None                                      # Hyper-V did not answer: no delegation check
    found = preflight_directory.read_directories({'ad_server': 'dc'}, pairs(facts('source', 'hv01'), [facts('destination', 'hv02'), silent]))
    assert directory.searches == [['hv01.hvlab.test', 'hv01', 'hv02.hvlab.test', 'hv02']] and found[1].skipped
    credssp = preflight_directory.read_directories({'ad_server': 'dc'}, pairs(facts('source', 'hv01', auth='CredSSP'), [facts('destination', 'hv02')]))
    assert directory.connections == 1 and credssp[0].skipped == 'the source does not use Kerberos'
    no_ad = preflight_directory.read_directories({'ad_server': None}, pairs(facts('source', 'hv01'), [facts('destination', 'hv02')]))
    assert 'ad_server' in no_ad[0].skipped and directory.connections == 1


def test_a_failed_search_leaves_the_delegation_of_every_kerberos_direction_unread(directory):
    directory.fail = True
    credssp = facts('source', 'hv04', auth='CredSSP')
    kerberos = pairs(facts('source', 'hv01'), [facts('destination', 'hv02'), facts('destination', 'hv03')])
    found = preflight_directory.read_directories({'ad_server': 'dc'}, kerberos + [(credssp, facts('destination', 'hv02'))])
    assert [entry.error for entry in found] == ['the domain controller went away'] * 2 + [None]
    assert found[2].skipped == 'the source does not use Kerberos'


def test_each_host_of_a_mesh_is_matched_to_its_account_once(directory, monkeypatch):
    # A host is in 2·(N−1) directions of a mesh; matching it to its account (a scan of the N accounts) once per direction made
    # phase 2 grow as N³. Counted: N matches for the N hosts, whatever the number of directions.
    from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import preflight  # pylint: disable=import-outside-toplevel
    matched = []
    real_account_of = preflight.account_of
    monkeypatch.setattr(preflight, 'account_of', lambda host, accounts: matched.append(host.name) or real_account_of(host, accounts))
    names = ['hv01', 'hv02', 'hv03', 'hv04', 'hv09']
    sources = dict((name, facts('source', name)) for name in names)
    destinations = dict((name, facts('destination', name)) for name in names)
    mesh = [(sources[source], destinations[destination]) for source in names for destination in names if source != destination]
    found = preflight_directory.read_directories({'ad_server': 'dc'}, mesh)
    assert len(found) == 20 and sorted(matched) == sorted(names * 2)     # each host once as a source, once as a destination
    assert [entry.destination_account is None for entry in found].count(True) == 4      # AD has no hv09: its 4 incoming directions
