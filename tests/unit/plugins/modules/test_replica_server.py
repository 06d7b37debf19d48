# -*- coding: utf-8 -*-
"""replica_server: option validation, the authorization-entry plan, and the write pipeline it builds (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import ChangeRefused, state_diff
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import PSObjectData
from ansible_collections.hyperv.mobility.plugins.modules.replica_server import (
    ARGUMENT_SPEC, HTTP_LISTENER_RULE, HTTPS_LISTENER_RULE, OptionError, ReplicaServer, parse_entries, plan_entries, valid_primary_server,
    validate)

HV = 'Microsoft.HyperV.PowerShell.'
THUMBPRINT = 'C7968ED2BEEED354EEC1458B30F638C19EA74C05'
DOMAIN_ENTRY = {'primary_server': '*.hvlab.test', 'storage_location': 'D:\\Replica', 'trust_group': 'HVLAB'}


def params(**given):
    """Module params as AnsibleModule leaves them: every option present, defaults applied."""
    values = dict((name, spec.get('default')) for name, spec in ARGUMENT_SPEC.items())
    values['hyperv_host'] = 'hv01'
    for entry in given.get('authorization_entries') or []:
        entry.setdefault('trust_group', 'DEFAULT')
        entry.setdefault('storage_location', None)
    values.update(given)
    return values


def host_result(enabled=False, auth='Kerberos', allow_any=True, thumbprint=None, entries=(), http_rule=False, https_rule=False):
    server = PSObjectData([HV + 'VMReplicationServer', 'System.Object'], {
        'ReplicationEnabled': enabled, 'AllowedAuthenticationType': auth, 'KerberosAuthenticationPort': 80,
        'CertificateAuthenticationPort': 443, 'CertificateThumbprint': thumbprint, 'ReplicationAllowedFromAnyServer': allow_any,
        'DefaultStorageLocation': 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'})
    entry_objects = [PSObjectData([HV + 'VMReplicationAuthorizationEntry', 'System.Object'],
                                  {'AllowedPrimaryServer': server_name, 'ReplicaStorageLocation': storage, 'TrustGroup': group})
                     for server_name, storage, group in entries]
    rule_type = ['Microsoft.Management.Infrastructure.CimInstance#root/StandardCimv2/MSFT_NetFirewallRule',
                 'Microsoft.Management.Infrastructure.CimInstance', 'System.Object']
    rules = [PSObjectData(rule_type, {'Name': HTTP_LISTENER_RULE, 'Enabled': 'True' if http_rule else 'False'}),
             PSObjectData(rule_type, {'Name': HTTPS_LISTENER_RULE, 'Enabled': 'True' if https_rule else 'False'})]
    return PipelineResult([server] + entry_objects + rules)


def plan(resource, result):
    before = resource.current_state(result)
    after = resource.desired_state(before)
    return before, after, resource.apply_commands(before, after)


def test_read_pipeline_is_one_of_three_reads_naming_the_listener_rules():
    commands = ReplicaServer(params()).read_commands()
    assert [command.name for command in commands] == ['Get-VMReplicationServer', 'Get-VMReplicationAuthorizationEntry', 'Get-NetFirewallRule']
    assert commands[2].parameters == {'Name': [HTTP_LISTENER_RULE, HTTPS_LISTENER_RULE]}
    assert all(command.read_only for command in commands)


def test_current_state_from_the_host_objects():
    resource = ReplicaServer(params())
    state = resource.current_state(host_result(auth='CertificateAndKerberos', thumbprint='c796 8ed2' + THUMBPRINT[8:].lower(),
                                               entries=[('hv02.hvlab.test', 'E:\\R', 'G'), ('*.hvlab.test', 'D:\\R', 'DEFAULT')],
                                               http_rule=True))
    assert state['authentication'] == 'both' and state['certificate_thumbprint'] == THUMBPRINT
    assert [entry['primary_server'] for entry in state['authorization_entries']] == ['*.hvlab.test', 'hv02.hvlab.test']
    assert state['listener_rules'] == {HTTP_LISTENER_RULE: True, HTTPS_LISTENER_RULE: False}


def test_kerberos_with_an_entry_turns_allow_any_off_first_and_enables_only_the_http_listener():
    resource = ReplicaServer(params(authentication='kerberos', authorization_entries=[dict(DOMAIN_ENTRY)]))
    before, after, commands = plan(resource, host_result())
    assert [command.name for command in commands] == ['Set-VMReplicationServer', 'New-VMReplicationAuthorizationEntry', 'Enable-NetFirewallRule']
    assert commands[0].parameters == {'ReplicationEnabled': True, 'ReplicationAllowedFromAnyServer': False, 'Force': True}
    assert commands[1].parameters == {'AllowedPrimaryServer': '*.hvlab.test', 'ReplicaStorageLocation': 'D:\\Replica', 'TrustGroup': 'HVLAB'}
    # No source states Enable-NetFirewallRule's ConfirmImpact: the collection answers a possible prompt with -Confirm:$false.
    assert commands[2].parameters == {'Name': [HTTP_LISTENER_RULE], 'Confirm': False}
    assert state_diff(before, after) == ['allow_any_server', 'authorization_entries', 'enabled', 'listener_rules']


def test_no_write_ever_enables_firewall_rules_without_a_name():
    for authentication, thumbprint in (('kerberos', None), ('certificate', THUMBPRINT), ('both', THUMBPRINT)):
        resource = ReplicaServer(params(authentication=authentication, certificate_thumbprint=thumbprint))
        commands = plan(resource, host_result())[2]
        enables = [command for command in commands if command.name == 'Enable-NetFirewallRule']
        # Name is the only selector (Confirm answers a prompt, it selects nothing).
        assert len(enables) == 1 and set(enables[0].parameters) == {'Name', 'Confirm'} and enables[0].parameters['Name']


def test_certificate_authentication_sends_the_thumbprint_with_it():
    resource = ReplicaServer(params(authentication='certificate', certificate_thumbprint=THUMBPRINT.lower(), certificate_port=8443))
    after, commands = plan(resource, host_result())[1:]
    assert commands[0].parameters['AllowedAuthenticationType'] == 'Certificate'
    assert commands[0].parameters['CertificateThumbprint'] == THUMBPRINT
    assert commands[0].parameters['CertificateAuthenticationPort'] == 8443
    assert commands[-1].parameters == {'Name': [HTTPS_LISTENER_RULE], 'Confirm': False}
    assert after['listener_rules'] == {HTTP_LISTENER_RULE: False, HTTPS_LISTENER_RULE: True}


def test_allow_any_sends_the_storage_location_with_it():
    resource = ReplicaServer(params(allow_any_server=True, default_storage_location='C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'))
    commands = plan(resource, host_result(enabled=True, allow_any=False, http_rule=True))[2]
    assert commands[0].parameters == {'ReplicationAllowedFromAnyServer': True, 'Force': True,
                                      'DefaultStorageLocation': 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'}


def test_unchanged_host_needs_no_write():
    resource = ReplicaServer(params(authentication='kerberos', authorization_entries=[dict(DOMAIN_ENTRY)]))
    result = host_result(enabled=True, allow_any=False, entries=[('*.HVLAB.test', 'd:\\replica', 'HVLAB')], http_rule=True)
    before, after = plan(resource, result)[:2]
    assert state_diff(before, after) == []


def test_disabled_leaves_the_firewall_alone():
    resource = ReplicaServer(params(state='disabled'))
    before, after, commands = plan(resource, host_result(enabled=True))
    assert [command.name for command in commands] == ['Set-VMReplicationServer']
    assert after['listener_rules'] == before['listener_rules']


def test_manage_firewall_false_never_touches_rules():
    resource = ReplicaServer(params(manage_firewall=False))
    commands = plan(resource, host_result())[2]
    assert 'Enable-NetFirewallRule' not in [command.name for command in commands]


def test_certificate_port_with_kerberos_is_refused():
    resource = ReplicaServer(params(certificate_port=8443))
    before = resource.current_state(host_result())
    with pytest.raises(ChangeRefused, match='certificate_port can be set only'):
        resource.check_change(before, resource.desired_state(before))


def test_certificate_from_the_host_satisfies_an_unchanged_certificate_setup():
    resource = ReplicaServer(params(certificate_port=8443))
    before = resource.current_state(host_result(auth='Certificate', thumbprint=THUMBPRINT, enabled=True, https_rule=True))
    assert resource.check_change(before, resource.desired_state(before)) == []


def test_warns_when_no_primary_can_replicate():
    resource = ReplicaServer(params(allow_any_server=False))
    before = resource.current_state(host_result())
    warnings = resource.check_change(before, resource.desired_state(before))
    assert warnings and 'accepts no primary server' in warnings[0]


class TestEntryPlan:
    CURRENT = [{'primary_server': 'HV02.hvlab.test', 'storage_location': 'D:\\R', 'trust_group': 'A'},
               {'primary_server': 'old.hvlab.test', 'storage_location': 'D:\\Old', 'trust_group': 'A'}]

    def test_exclusive_adds_changes_and_removes(self):
        desired = [{'primary_server': 'hv02.hvlab.test', 'storage_location': 'E:\\R', 'trust_group': 'A'},
                   {'primary_server': 'hv03.hvlab.test', 'storage_location': 'D:\\R', 'trust_group': 'A'}]
        result = plan_entries(self.CURRENT, desired, 'exclusive')
        assert [entry['primary_server'] for entry in result['add']] == ['hv03.hvlab.test']
        assert [entry['storage_location'] for entry in result['change']] == ['E:\\R']
        assert [entry['primary_server'] for entry in result['remove']] == ['old.hvlab.test']

    def test_add_keeps_others(self):
        desired = [{'primary_server': 'hv03.hvlab.test', 'storage_location': 'D:\\R', 'trust_group': 'A'}]
        assert plan_entries(self.CURRENT, desired, 'add')['remove'] == []

    def test_remove_only_what_exists(self):
        desired = [{'primary_server': 'OLD.hvlab.test', 'storage_location': None, 'trust_group': ''},
                   {'primary_server': 'never.hvlab.test', 'storage_location': None, 'trust_group': ''}]
        result = plan_entries(self.CURRENT, desired, 'remove')
        assert result == {'add': [], 'change': [], 'remove': [self.CURRENT[1]]}

    def test_trust_group_is_compared_exactly_storage_without_case(self):
        same = [{'primary_server': 'hv02.hvlab.test', 'storage_location': 'd:\\r', 'trust_group': 'A'}]
        assert plan_entries(self.CURRENT[:1], same, 'exclusive')['change'] == []
        other_case = [{'primary_server': 'hv02.hvlab.test', 'storage_location': 'D:\\R', 'trust_group': 'a'}]
        assert len(plan_entries(self.CURRENT[:1], other_case, 'exclusive')['change']) == 1


@pytest.mark.parametrize('name, valid', [
    ('hv01.corp.example.com', True), ('*.corp.example.com', True), ('HV-01.Corp.Example.com', True),
    ('hv01', False), ('*', False), ('*.', False), ('hv01.*.com', False), ('**.corp.com', False), ('hv_01.corp.com', False), ('', False),
])
def test_primary_server_names(name, valid):
    assert valid_primary_server(name) is valid


@pytest.mark.parametrize('given, message', [
    (dict(allow_any_server=True), 'allow_any_server=true requires default_storage_location'),
    (dict(authentication='certificate'), 'authentication=certificate (certificate-based, HTTPS) requires certificate_thumbprint'),
    (dict(authentication='both'), 'authentication=both'),
    (dict(certificate_thumbprint='12345'), 'certificate_thumbprint must be 40 hexadecimal characters'),
    (dict(kerberos_port=0), 'kerberos_port must be between 1 and 65535 (a TCP port), got 0'),
    (dict(certificate_port=65536), 'certificate_port must be between 1 and 65535 (a TCP port), got 65536'),
    (dict(authentication='both', certificate_thumbprint='A' * 40, kerberos_port=8080, certificate_port=8080),
     'kerberos_port and certificate_port must differ'),
    (dict(default_storage_location='Replica'), "default_storage_location 'Replica' is not a local"),
    (dict(allow_any_server=True, default_storage_location='D:\\R', authorization_entries=[dict(DOMAIN_ENTRY)]), 'contradict each other'),
    (dict(authorization_entries=[{'primary_server': 'hv01'}]), "authorization_entries[0].primary_server 'hv01' is not valid"),
    (dict(authorization_entries=[{'primary_server': 'hv01.corp.com'}]), 'authorization_entries[0].storage_location is required'),
    (dict(authorization_entries=[{'primary_server': 'hv01.corp.com', 'storage_location': 'D:\\R', 'trust_group': ' '}]),
     'authorization_entries[0].trust_group must not be empty'),
    (dict(authorization_entries=[dict(DOMAIN_ENTRY), dict(DOMAIN_ENTRY, primary_server='*.HVLAB.TEST')]), 'more than once'),
])
def test_validation_messages_name_the_option(given, message):
    with pytest.raises(OptionError) as caught:
        validate(params(**given))
    assert message in str(caught.value)


def test_valid_inputs_pass():
    validate(params(authentication='both', certificate_thumbprint=' '.join([THUMBPRINT[:20], THUMBPRINT[20:]]), certificate_port=443))
    validate(params(allow_any_server=True, default_storage_location='\\\\fs01\\replica\\hv'))
    validate(params(authorization_entries=[{'primary_server': 'x.corp.com'}], authorization_entries_mode='remove', allow_any_server=True,
                    default_storage_location='D:\\R'))
    assert parse_entries([{'primary_server': ' hv01.corp.com ', 'storage_location': 'D:\\R', 'trust_group': 'G'}], 'add') == [
        {'primary_server': 'hv01.corp.com', 'storage_location': 'D:\\R', 'trust_group': 'G'}]
