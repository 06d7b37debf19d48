"""Hyper-V Replica in the lab: Replica server, authorization, firewall, relationships, time passing, failover cycles."""

import dataclasses
import datetime
import json
import uuid

import pytest

from hvlab.model import replication as model
from hvlab.engine import Command, Identity, LabObject
from hvlab.engine.cmdlets.replication_objects import recovery_point_object
from hvlab.model.world import World

IDENTITY = Identity('labadmin', 'ntlm', 'psrp')
HV = 'Microsoft.HyperV.PowerShell'
HTTP_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
HTTPS_RULE = 'VIRT-HVRHTTPSL-In-TCP-NoScope'
VM = 'hv01-web'
# No source states Enable-NetFirewallRule's ConfirmImpact: the lab models it High (the conservative case), so callers answer.
CONFIRMED = ('Confirm', False)


@pytest.fixture(name='world')
def world_fixture():
    return World.create(3)


@pytest.fixture(name='hosts')
def hosts_fixture(world):
    return world.hosts[0], world.hosts[1]


def run(host, name, *parameters):
    """(name, value) tuples are named parameters, anything else a positional value."""
    arguments = [item if isinstance(item, tuple) else (None, item) for item in parameters]
    return host.execute([[Command(name, arguments)]], IDENTITY)


def ok(execution):
    assert execution.errors == [], execution.errors
    return execution.output


def only_error(execution):
    assert len(execution.errors) == 1, execution.errors
    return execution.errors[0]


def make_replica_server(host, auth='Kerberos', **extra):
    parameters = [('ReplicationEnabled', True), ('AllowedAuthenticationType', auth)]
    if auth != 'Kerberos':
        parameters.append(('CertificateThumbprint', host.replication.certificates[0]))
    ok(run(host, 'Set-VMReplicationServer', *parameters, *extra.items()))
    for rule in ([HTTP_RULE] if auth == 'Kerberos' else [HTTPS_RULE] if auth == 'Certificate' else [HTTP_RULE, HTTPS_RULE]):
        ok(run(host, 'Enable-NetFirewallRule', ('Name', rule), CONFIRMED))


def enable(primary, replica_name='hv02.hvlab.test', port=80, auth='Kerberos', vm=VM, *extra):
    return run(primary, 'Enable-VMReplication', ('VMName', vm), ('ReplicaServerName', replica_name), ('ReplicaServerPort', port),
               ('AuthenticationType', auth), *extra)


def replication(host, vm=VM):
    output = ok(run(host, 'Get-VMReplication', ('VMName', vm)))
    assert len(output) == 1
    return output[0]


def state(host, vm=VM):
    item = replication(host, vm)
    return item['ReplicationState'].name, item['ReplicationHealth'].name, item['ReplicationMode'].name


def vm_of(host, name=VM):
    return model.find_vm(host, name)


def replicating(world, primary, replica, **settings):
    """hv01-web replicating to hv02 with the initial copy done."""
    make_replica_server(replica)
    extra = list(settings.items())
    ok(enable(primary, 'hv02.hvlab.test', 80, 'Kerberos', VM, *extra))
    ok(run(primary, 'Start-VMInitialReplication', ('VMName', VM)))
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
    assert state(primary)[0] == 'Replicating'


def piped(host, *commands):
    """One statement of commands piped together; each command is (name, (parameter, value), ...)."""
    return host.execute([[Command(name, list(parameters)) for name, *parameters in commands]], IDENTITY)


def twin_of(host, name=VM):
    """A second VM called name on host, turned off (Hyper-V does not require unique names); returns it."""
    twin = dataclasses.replace(vm_of(host, name), vm_id=str(uuid.uuid4()), state='Off')
    host.vms.append(twin)
    return twin


def test_vm_objects_piped_into_the_replication_and_failover_cmdlets_select_one_of_two_vms_of_a_name(world, hosts):
    """Get-VM -Id ... | <cmdlet> binds the VirtualMachine to -VM (ValueFromPipeline in each cmdlet's VMObject set, cmdlets.json):
    only that VM of the name changes, from Enable-VMReplication to Set-VMReplication -Reverse."""
    primary, replica = hosts
    make_replica_server(primary)
    make_replica_server(replica)
    first, twin = vm_of(primary), twin_of(primary)
    by_id = ('Get-VM', ('Id', twin.vm_id))
    ok(piped(primary, by_id, ('Enable-VMReplication', ('ReplicaServerName', 'hv02.hvlab.test'), ('ReplicaServerPort', 80),
                              ('AuthenticationType', 'Kerberos'))))
    ok(piped(primary, by_id, ('Start-VMInitialReplication',)))
    assert set(primary.replication.relationships) == {twin.vm_id}
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
    ok(piped(primary, by_id, ('Set-VMReplication', ('RecoveryHistory', 3))))
    (item,) = ok(piped(primary, by_id, ('Get-VMReplication',)))
    assert (item['VMId'], item['RecoveryHistory'], item['ReplicationState'].name) == (twin.vm_id, 3, 'Replicating')
    assert [obj['VMId'] for obj in ok(piped(primary, by_id, ('Measure-VMReplication',)))] == [twin.vm_id]
    # -VMName selects every VM of the name: the twin's relationship, and an error for the other (it has none).
    by_name = run(primary, 'Get-VMReplication', ('VMName', VM))
    assert [obj['VMId'] for obj in by_name.output] == [twin.vm_id]
    assert [error.target for error in by_name.errors] == [first.name]
    # A planned failover: -Prepare on the primary, the failover and -Reverse on the Replica, each with the piped VM.
    ok(piped(primary, by_id, ('Start-VMFailover', ('Prepare', True), CONFIRMED)))
    ok(piped(replica, by_id, ('Start-VMFailover', CONFIRMED)))
    ok(piped(replica, by_id, ('Set-VMReplication', ('Reverse', True))))
    assert replica.replication.relationships[twin.vm_id].mode == 'Primary'
    assert primary.replication.relationships[twin.vm_id].mode == 'Replica' and first.vm_id not in primary.replication.relationships


# ---- Replica server ------------------------------------------------------------------------------------------
def test_replica_server_defaults_and_type(hosts):
    server = ok(run(hosts[0], 'Get-VMReplicationServer'))[0]
    assert server.type_names[0] == f'{HV}.VMReplicationServer'
    # RepEnabled, AuthType, KerbAuthPort... are the default table view's column labels, not properties of the type (types.json).
    assert server['ReplicationEnabled'] is False and 'RepEnabled' not in server.properties
    assert server['AllowedAuthenticationType'].type_name == f'{HV}.RecoveryAuthenticationType'
    assert (server['AllowedAuthenticationType'].name, server['KerberosAuthenticationPort'], server['CertificateAuthenticationPort']) == \
        ('Kerberos', 80, 443)


def test_set_replica_server_with_passthru(hosts):
    output = ok(run(hosts[1], 'Set-VMReplicationServer', True, 'CertificateAndKerberos', ('CertificateThumbprint',
                                                                                          hosts[1].replication.certificates[0].lower()),
                    ('KerberosAuthenticationPort', 8080), ('CertificateAuthenticationPort', 8443), ('Passthru', None)))
    assert output[0]['AllowedAuthenticationType'].name == 'CertificateAndKerberos'
    assert (output[0]['KerberosAuthenticationPort'], output[0]['CertificateAuthenticationPort']) == (8080, 8443)
    assert hosts[1].replica_server.certificate_thumbprint == hosts[1].replication.certificates[0]


def test_replica_server_binding_uses_the_recovery_auth_enum(hosts):
    error = only_error(run(hosts[1], 'Set-VMReplicationServer', ('AllowedAuthenticationType', 'CredSSP')))
    assert error.fully_qualified_error_id.startswith('CannotConvertArgumentNoMessage')
    assert 'Kerberos, Certificate, CertificateAndKerberos' in error.message


@pytest.mark.parametrize('parameters, target', [
    ([('AllowedAuthenticationType', 'Certificate')], 'CertificateThumbprint'),
    ([('AllowedAuthenticationType', 'Certificate'), ('CertificateThumbprint', 'AA' * 20)], 'CertificateThumbprint'),
    ([('CertificateAuthenticationPort', 8443)], 'CertificateAuthenticationPort'),
    ([('KerberosAuthenticationPort', 0)], 'KerberosAuthenticationPort'),
    ([('MonitoringInterval', '05:00:00')], 'MonitoringInterval'),
    ([('DefaultStorageLocation', 'nowhere')], 'DefaultStorageLocation'),
])
def test_set_replica_server_documented_validations(hosts, parameters, target):
    before = vars(hosts[1].replica_server).copy()
    error = only_error(run(hosts[1], 'Set-VMReplicationServer', ('ReplicationEnabled', True), *parameters))
    assert error.target == target and error.category == 'InvalidArgument'
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMReplicationServer'
    assert vars(hosts[1].replica_server) == before


def test_allow_any_server_needs_a_default_storage_location(hosts):
    hosts[1].patch({'replica_server': {'default_storage_location': '', 'allow_any_server': False}})
    error = only_error(run(hosts[1], 'Set-VMReplicationServer', ('ReplicationAllowedFromAnyServer', True)))
    assert error.target == 'DefaultStorageLocation'
    ok(run(hosts[1], 'Set-VMReplicationServer', ('ReplicationAllowedFromAnyServer', True), ('DefaultStorageLocation', 'D:\\Replica')))
    assert hosts[1].replica_server.allow_any_server and hosts[1].replica_server.default_storage_location == 'D:\\Replica'


# ---- authorization entries -----------------------------------------------------------------------------------
def test_authorization_entries_lifecycle(hosts):
    replica = hosts[1]
    error = only_error(run(replica, 'New-VMReplicationAuthorizationEntry', 'hv01.hvlab.test', 'D:\\R', 'DEFAULT'))
    assert error.category == 'InvalidOperation'          # only usable when allow-any is off
    ok(run(replica, 'Set-VMReplicationServer', ('ReplicationAllowedFromAnyServer', False)))
    created = ok(run(replica, 'New-VMReplicationAuthorizationEntry', 'hv01.hvlab.test', 'D:\\R', 'SITE-A'))[0]
    assert created.type_names[0] == f'{HV}.VMReplicationAuthorizationEntry' and created['TrustGroup'] == 'SITE-A'
    ok(run(replica, 'New-VMReplicationAuthorizationEntry', '*.branch.hvlab.test', 'E:\\R', 'SITE-B'))
    assert only_error(run(replica, 'New-VMReplicationAuthorizationEntry', 'HV01.hvlab.test', 'D:\\R', 'X')).category == 'InvalidArgument'
    for bad in ('hv01', 'hv*.hvlab.test', 'a.*.test'):
        assert only_error(run(replica, 'New-VMReplicationAuthorizationEntry', bad, 'D:\\R', 'X')).target == bad
    assert [entry['AllowedPrimaryServer'] for entry in ok(run(replica, 'Get-VMReplicationAuthorizationEntry'))] == \
        ['hv01.hvlab.test', '*.branch.hvlab.test']
    assert len(ok(run(replica, 'Get-VMReplicationAuthorizationEntry', ('TrustGroup', 'site-b')))) == 1
    assert only_error(run(replica, 'Get-VMReplicationAuthorizationEntry', 'hv09.hvlab.test')).category == 'ObjectNotFound'
    changed = ok(run(replica, 'Set-VMReplicationAuthorizationEntry', 'hv01.hvlab.test', 'F:\\R', ('Passthru', None)))[0]
    assert (changed['ReplicaStorageLocation'], changed['TrustGroup']) == ('F:\\R', 'SITE-A')
    assert model.authorization_for(replica, 'x.branch.hvlab.test') == {'storage': 'E:\\R', 'trust_group': 'SITE-B'}
    assert model.authorization_for(replica, 'hv03.hvlab.test') is None
    ok(run(replica, 'Remove-VMReplicationAuthorizationEntry', ('TrustGroup', 'SITE-B')))
    ok(run(replica, 'Remove-VMReplicationAuthorizationEntry', 'hv01.hvlab.test'))
    assert ok(run(replica, 'Get-VMReplicationAuthorizationEntry')) == []


# ---- firewall ------------------------------------------------------------------------------------------------
def test_replica_listener_rules_exist_disabled(hosts):
    rules = ok(run(hosts[1], 'Get-NetFirewallRule', ('Name', 'VIRT-HVR*')))
    assert [(rule['Name'], rule['DisplayName'], rule['Enabled'].name) for rule in rules] == [
        (HTTP_RULE, 'Hyper-V Replica HTTP Listener (TCP-In)', 'False'),
        (HTTPS_RULE, 'Hyper-V Replica HTTPS Listener (TCP-In)', 'False')]
    # The namespace as Get-Member shows it on Windows (lower case; the lab wrote root/StandardCimv2 before).
    assert rules[0].type_names[0] == 'Microsoft.Management.Infrastructure.CimInstance#root/standardcimv2/MSFT_NetFirewallRule'
    assert (rules[0]['Direction'].name, rules[0]['Action'].name, rules[0]['PrimaryStatus'].name) == ('Inbound', 'Allow', 'OK')
    # Enabled, Direction... are NetSecurity's script properties over the CIM instance's uint16 codes.
    assert (rules[0].properties['Enabled'], rules[0].properties['Direction'], rules[0].properties['Action']) == (2, 1, 2)


def test_enable_rule_by_name_or_display_name_only_touches_that_rule(hosts):
    host = hosts[1]
    ok(run(host, 'Enable-NetFirewallRule', HTTP_RULE, CONFIRMED))
    ok(run(host, 'Enable-NetFirewallRule', ('DisplayName', 'Hyper-V Replica HTTPS Listener (TCP-In)'), CONFIRMED))
    enabled = {rule.name for rule in host.firewall_rules if rule.enabled}
    assert enabled == {HTTP_RULE, HTTPS_RULE, 'WINRM-HTTP-In-TCP'}


def test_rule_not_found_and_whatif(hosts):
    error = only_error(run(hosts[1], 'Get-NetFirewallRule', ('Name', 'NoSuchRule')))
    assert error.fully_qualified_error_id == 'CmdletizationQuery_NotFound_Name,Get-NetFirewallRule'
    assert error.category == 'ObjectNotFound'
    assert ok(run(hosts[1], 'Get-NetFirewallRule', ('Name', 'NoSuch*'))) == []
    ok(run(hosts[1], 'Enable-NetFirewallRule', ('Name', HTTP_RULE), ('WhatIf', None)))
    assert not any(rule.enabled for rule in hosts[1].firewall_rules if rule.name == HTTP_RULE)


def test_bare_enable_net_firewall_rule_enables_every_rule(hosts):
    ok(run(hosts[1], 'Enable-NetFirewallRule', CONFIRMED))
    assert all(rule.enabled for rule in hosts[1].firewall_rules)
    assert len(hosts[1].firewall_rules) > 2


def test_get_rules_by_query(hosts):
    enabled = ok(run(hosts[1], 'Get-NetFirewallRule', ('Enabled', 'True')))
    assert [rule['Name'] for rule in enabled] == ['WINRM-HTTP-In-TCP']
    assert len(ok(run(hosts[1], 'Get-NetFirewallRule', ('Group', 'Hyper-V Replica*')))) == 2


# ---- Test-VMReplicationConnection and the documented connection errors ------------------------------------------
def test_connection_succeeds_once_replica_server_is_ready(hosts):
    make_replica_server(hosts[1])
    assert ok(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 80, 'Kerberos')) == [
        'The connection to the specified Replica server with the specified parameters was successful.']


def test_no_connection_error_uses_a_category_hyperv_never_writes(hosts):
    make_replica_server(hosts[1], 'Certificate')
    hosts[0].patch({'domain': None})
    attempts = [('nowhere.hvlab.test', 80, 'Kerberos'), ('hv02.hvlab.test', 80, 'Kerberos'), ('hv02.hvlab.test', 443, 'Kerberos'),
                ('hv02.hvlab.test', 443, 'Certificate', 'AB' * 20)]
    categories = {only_error(run(hosts[0], 'Test-VMReplicationConnection', *attempt)).category for attempt in attempts}
    assert categories == {'NotSpecified'}


def test_replica_not_enabled(hosts):
    error = only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 80, 'Kerberos'))
    # Hyper-V maps a failed replication job to NotSpecified (ExceptionHelper); the lab used to invent ConnectionError.
    assert error.category == 'NotSpecified' and '0x00002EFD' in error.message
    assert error.fully_qualified_error_id == 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.TestVMReplicationConnection'


def test_port_closed_by_firewall(hosts):
    ok(run(hosts[1], 'Set-VMReplicationServer', True, 'Kerberos'))
    error = only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 80, 'Kerberos'))
    assert error.category == 'NotSpecified' and '0x00002EE2' in error.message and 'timed out' in error.message


def test_port_that_no_listener_uses(hosts):
    make_replica_server(hosts[1])
    assert '0x00002EFD' in only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 8080, 'Kerberos')).message


def test_authentication_type_not_allowed(hosts):
    make_replica_server(hosts[1], 'Certificate')
    thumbprint = hosts[0].replication.certificates[0]
    error = only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 443, 'Kerberos'))
    assert error.category == 'NotSpecified' and '0x80090302' in error.message and 'using Kerberos authentication' in error.message
    ok(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 443, 'Certificate', thumbprint))
    error = only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 443, 'Certificate', 'AB' * 20))
    assert error.category == 'NotSpecified' and '0x80092004' in error.message
    assert only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 443, 'Certificate')).target == \
        'CertificateThumbprint'


def test_primary_not_authorized(hosts):
    make_replica_server(hosts[1], ReplicationAllowedFromAnyServer=False)
    error = only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 80, 'Kerberos'))
    assert error.category == 'NotSpecified' and "'hv01.hvlab.test'" in error.message and '0x80070005' in error.message
    ok(run(hosts[1], 'New-VMReplicationAuthorizationEntry', '*.hvlab.test', 'D:\\Replica', 'LAB'))
    ok(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 80, 'Kerberos'))


def test_unknown_server_and_workgroup_kerberos(hosts):
    assert '0x00002EE7' in only_error(run(hosts[0], 'Test-VMReplicationConnection', 'nowhere.hvlab.test', 80, 'Kerberos')).message
    make_replica_server(hosts[1])
    hosts[0].patch({'domain': None})
    error = only_error(run(hosts[0], 'Test-VMReplicationConnection', 'hv02.hvlab.test', 80, 'Kerberos'))
    assert error.category == 'NotSpecified' and '0x80090303' in error.message


# ---- Enable-VMReplication --------------------------------------------------------------------------------------
def test_enable_creates_both_sides(hosts):
    primary, replica = hosts
    make_replica_server(replica)
    assert ok(enable(primary, 'hv02.hvlab.test', 80, 'Kerberos', VM, ('RecoveryHistory', 4), ('ReplicationFrequencySec', 30),
                     ('Passthru', None)))[0].type_names[0] == f'{HV}.VMReplication'
    item = replication(primary)
    assert (item['ReplicationState'].name, item['ReplicationMode'].name, item['ReplicationHealth'].name) == \
        ('ReadyForInitialReplication', 'Primary', 'Normal')
    assert item['ReplicationState'].type_name == f'{HV}.VMReplicationState' and item['ReplicationState'].value == 1
    assert (item['PrimaryServerName'], item['ReplicaServerName'], item['ReplicaServerPort']) == ('hv01.hvlab.test', 'hv02.hvlab.test', 80)
    assert (item['AuthenticationType'].type_name, item['RecoveryHistory'], item['ReplicationFrequencySec']) == \
        (f'{HV}.ReplicationAuthenticationType', 4, 30)
    replica_vm = vm_of(replica)
    assert replica_vm.vm_id == vm_of(primary).vm_id and replica_vm.state == 'Off' and replica_vm.data_version == 0
    assert state(replica) == ('WaitingForInitialReplication', 'Normal', 'Replica')
    # VMReplication has no TrustGroup (decompiled Hyper-V module; the lab had invented one): the trust group is the Replica
    # server's authorization, which Get-VMReplication -TrustGroup filters by.
    assert 'TrustGroup' not in replication(replica).properties
    assert [item['VMName'] for item in ok(run(replica, 'Get-VMReplication', ('TrustGroup', 'DEFAULT')))] == [VM]
    assert [item['VMName'] for item in ok(run(primary, 'Get-VMReplication'))] == [VM]


def test_enable_errors(hosts):
    primary, replica = hosts
    error = only_error(enable(primary))
    assert error.message.startswith(f"Hyper-V failed to enable replication for virtual machine '{VM}'.")
    assert error.fully_qualified_error_id == 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.EnableVMReplication'
    assert vm_of(replica) is None and primary.replication.relationships == {}
    make_replica_server(replica)
    assert only_error(enable(primary, vm='nope')).message == 'Hyper-V was unable to find a virtual machine with name "nope".'
    assert only_error(enable(primary, 'hv02.hvlab.test', 80, 'Kerberos', VM, ('RecoveryHistory', 25))).target == 'RecoveryHistory'
    assert only_error(enable(primary, 'hv02.hvlab.test', 80, 'Kerberos', VM, ('VSSSnapshotFrequencyHour', 4))).target == \
        'VSSSnapshotFrequencyHour'
    assert only_error(enable(primary, 'hv02.hvlab.test', 80, 'Kerberos', VM, ('ReplicationFrequencySec', 0))).target == \
        'ReplicationFrequencySec'
    assert only_error(enable(primary, 'hv02.hvlab.test', 443, 'Certificate')).target == 'CertificateThumbprint'
    binding = only_error(enable(primary, 'hv02.hvlab.test', 80, 'CertificateAndKerberos'))
    assert binding.fully_qualified_error_id.startswith('CannotConvertArgumentNoMessage') and 'Kerberos, Certificate' in binding.message
    assert only_error(enable(primary, 'hv01.hvlab.test')).category == 'InvalidArgument'
    assert only_error(enable(primary, 'hv02.hvlab.test', 80, 'Kerberos', VM, ('ExcludedVhdPath', 'C:\\x.vhdx'))).target == 'C:\\x.vhdx'
    ok(enable(primary))
    assert only_error(enable(primary)).message == f"Replication is already enabled for virtual machine '{VM}'."


def test_frequency_is_a_plain_int32_the_lab_uses_as_cycle_period(world, hosts):
    replicating(world, *hosts, ReplicationFrequencySec=60)
    vm_of(hosts[0]).data_version = 3
    world.advance_replication(59)
    assert vm_of(hosts[1]).data_version == 0
    world.advance_replication(1)
    assert vm_of(hosts[1]).data_version == 3


def test_excluded_disks_are_reported(hosts):
    make_replica_server(hosts[1])
    disk = vm_of(hosts[0]).disks[0].path
    ok(enable(hosts[0], 'hv02.hvlab.test', 80, 'Kerberos', VM, ('ExcludedVhdPath', disk.upper())))
    item = replication(hosts[0])
    assert [drive['Path'] for drive in item['ExcludedDisks']] == [disk] and item['ReplicatedDisks'] == []
    # Remoting hands the nested drives over as text; expanded, they are top-level objects with their Path.
    expanded = hosts[0].execute([[Command('Get-VMReplication', []), Command('Select-Object', [('ExpandProperty', 'ExcludedDisks')])]],
                                IDENTITY)
    assert [drive['Path'] for drive in ok(expanded)] == [disk]


# ---- initial replication ---------------------------------------------------------------------------------------
def test_initial_replication_over_the_network_takes_time(world, hosts):
    primary, replica = hosts
    make_replica_server(replica)
    ok(enable(primary))
    vm_of(primary).data_version = 7
    ok(run(primary, 'Start-VMInitialReplication', VM))
    assert state(primary)[0] == 'InitialReplicationInProgress'
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS - 1)
    assert state(primary)[0] == 'InitialReplicationInProgress' and vm_of(replica).data_version == 0
    world.advance_replication(1)
    assert state(primary) == ('Replicating', 'Normal', 'Primary') and state(replica) == ('Replicating', 'Normal', 'Replica')
    assert vm_of(replica).data_version == 7
    assert replication(primary)['LastReplicationTime'] == world.replication_clock
    assert only_error(run(primary, 'Start-VMInitialReplication', VM)).category == 'InvalidOperation'


def test_initial_replication_scheduled_at_most_seven_days_ahead(world, hosts):
    primary, replica = hosts
    make_replica_server(replica)
    ok(enable(primary))
    late = world.replication_clock + datetime.timedelta(days=8)
    assert only_error(run(primary, 'Start-VMInitialReplication', VM, ('InitialReplicationStartTime', late.isoformat()))).target == \
        'InitialReplicationStartTime'
    start = world.replication_clock + datetime.timedelta(hours=1)
    ok(run(primary, 'Start-VMInitialReplication', VM, ('IRTime', start.replace(tzinfo=None).isoformat())))
    assert state(primary)[0] == 'ReadyForInitialReplication' and replication(primary)['InitialReplicationStartTime'] == start
    world.advance_replication(3600)
    assert state(primary)[0] == 'InitialReplicationInProgress'
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
    assert state(primary)[0] == 'Replicating'


def test_stop_initial_replication_returns_to_ready(world, hosts):
    primary, replica = hosts
    make_replica_server(replica)
    ok(enable(primary))
    assert only_error(run(primary, 'Stop-VMInitialReplication', VM)).category == 'InvalidOperation'
    ok(run(primary, 'Start-VMInitialReplication', VM))
    ok(run(primary, 'Stop-VMInitialReplication', VM))
    world.advance_replication(1000)
    assert state(primary)[0] == 'ReadyForInitialReplication' and vm_of(replica).data_version == 0


def test_initial_replication_by_export_waits_for_import(world, hosts):
    primary, replica = hosts
    make_replica_server(replica)
    ok(enable(primary))
    vm_of(primary).data_version = 4
    ok(run(primary, 'Start-VMInitialReplication', VM, ('DestinationPath', 'E:\\Export')))
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
    assert state(primary)[0] == 'WaitingForInitialReplication'
    assert 'no longer be stopped' in only_error(run(primary, 'Stop-VMInitialReplication', VM)).message
    vm_of(primary).data_version = 6
    world.replication_control({'import_initial_replication': {'host': 'hv02', 'vm': VM}})
    assert state(primary)[0] == 'Replicating' and vm_of(replica).data_version == 4
    world.advance_replication(300)
    assert vm_of(replica).data_version == 6


# ---- replicating: cycles, statistics, suspend / resume -----------------------------------------------------------
def test_cycles_copy_changes_and_measure_reports(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    world.replication_control({'write': {'host': 'hv01', 'vm': VM, 'count': 3}})
    health = ok(run(primary, 'Measure-VMReplication', VM))[0]
    assert health.type_names[0] == f'{HV}.VMReplicationHealth'
    assert health['PendingReplicationSize'] == 3 * model.BYTES_PER_CHANGE and health['SuccessfulReplicationCount'] == 0
    world.advance_replication(300)
    health = ok(run(primary, 'Measure-VMReplication'))[0]
    assert vm_of(replica).data_version == 3
    assert (health['PendingReplicationSize'], health['SuccessfulReplicationCount'], health['ReplicationHealthDetails']) == (0, 1, [])
    assert health['LastReplicationTime'] == world.replication_clock
    assert ok(run(primary, 'Get-VMReplication', ('ReplicationState', 'Suspended'))) == []
    assert len(ok(run(primary, 'Get-VMReplication', ('ReplicaServerName', 'HV02')))) == 1


def test_suspend_and_resume(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    ok(run(primary, 'Suspend-VMReplication', VM))
    vm_of(primary).data_version = 2
    world.advance_replication(900)
    assert state(primary)[0] == 'Suspended' and vm_of(replica).data_version == 0
    ok(run(primary, 'Resume-VMReplication', VM))
    assert 'cannot be resumed' in only_error(run(primary, 'Resume-VMReplication', VM)).message
    world.advance_replication(300)
    assert state(primary)[0] == 'Replicating' and vm_of(replica).data_version == 2


def test_get_replication_of_a_vm_without_replication(hosts):
    error = only_error(run(hosts[0], 'Get-VMReplication', 'hv01-db'))
    assert error.message == "Replication is not enabled for virtual machine 'hv01-db'." and error.category == 'InvalidOperation'
    assert ok(run(hosts[0], 'Get-VMReplication')) == []


# ---- faults: the three classes ---------------------------------------------------------------------------------
def test_network_fault_is_retried_with_warning(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    world.replication_control({'fault': {'host': 'hv01', 'vm': VM, 'kind': 'network'}})
    vm_of(primary).data_version = 1
    world.advance_replication(300)
    assert state(primary) == ('Replicating', 'Warning', 'Primary') and vm_of(replica).data_version == 0
    details = ok(run(primary, 'Measure-VMReplication', VM))[0]['ReplicationHealthDetails']
    assert 'retry' in details[0] and details[0].startswith('Hyper-V could not replicate')
    world.replication_control({'fault': {'host': 'hv01', 'vm': VM, 'kind': None}})
    world.advance_replication(300)
    assert state(primary) == ('Replicating', 'Normal', 'Primary') and vm_of(replica).data_version == 1


def test_closed_firewall_during_replication_is_a_network_error(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    replica.patch({'firewall_rules': {HTTP_RULE: {'enabled': False}}})
    world.advance_replication(300)
    assert state(primary)[1] == 'Warning'


@pytest.mark.parametrize('kind', ['vhd_chain', 'invalid_replica_state', 'authentication', 'authorization', 'vm_not_found'])
def test_administrator_faults_stop_replication(world, hosts, kind):
    primary, replica = hosts
    replicating(world, primary, replica)
    primary.patch({'replication': {'relationships': {VM: {'fault': kind}}}})
    assert state(primary) == ('Error', 'Critical', 'Primary')
    assert 'an administrator must correct' in primary.replication.relationships[vm_of(primary).vm_id].health_messages[0]
    vm_of(primary).data_version = 5
    world.advance_replication(3000)
    assert vm_of(replica).data_version == 0                 # not retried
    ok(run(primary, 'Resume-VMReplication', VM))            # the fault is still there: it fails again at once
    assert state(primary)[0] == 'Error'
    primary.patch({'replication': {'relationships': {VM: {'fault': None}}}})
    ok(run(primary, 'Resume-VMReplication', VM))
    assert state(primary) == ('Replicating', 'Normal', 'Primary') and vm_of(replica).data_version == 5


def test_resynchronization_required(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica, AutoResynchronizeEnabled=False)
    world.replication_control({'fault': {'host': 'hv01', 'vm': VM, 'kind': 'resync_required'}})
    assert state(primary) == ('WaitingForStartResynchronize', 'Critical', 'Primary')
    assert '-Resynchronize' in only_error(run(primary, 'Resume-VMReplication', VM)).message
    vm_of(primary).data_version = 9
    world.advance_replication(86400)
    assert state(primary)[0] == 'WaitingForStartResynchronize'
    ok(run(primary, 'Resume-VMReplication', VM, ('Resynchronize', None)))
    assert state(primary)[0] == 'Resynchronizing'
    ok(run(primary, 'Suspend-VMReplication', VM))
    assert state(primary)[0] == 'ResynchronizeSuspended'
    ok(run(primary, 'Resume-VMReplication', VM, ('Continue', None)))
    world.advance_replication(model.RESYNCHRONIZATION_SECONDS)
    assert state(primary) == ('Replicating', 'Normal', 'Primary') and vm_of(replica).data_version == 9


def test_automatic_resynchronization_waits_for_its_window(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    clock = world.replication_clock
    start = (clock + datetime.timedelta(hours=2))
    seconds = start.hour * 3600 + start.minute * 60
    rel = primary.replication.relationships[vm_of(primary).vm_id]
    rel.auto_resync_start, rel.auto_resync_end = seconds, (seconds + 3600) % 86400
    model.inject_fault(world, 'hv01', VM, 'resync_required')
    world.advance_replication(3600)
    assert state(primary)[0] == 'WaitingForStartResynchronize'
    world.advance_replication(3600 + 300 + model.RESYNCHRONIZATION_SECONDS)
    assert state(primary)[0] == 'Replicating'


# ---- failover cycles -----------------------------------------------------------------------------------------
def test_test_failover_and_cleanup(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    vm_of(primary).data_version = 11
    world.advance_replication(300)
    assert only_error(run(primary, 'Start-VMFailover', VM, ('AsTest', None))).category == 'InvalidOperation'
    test_vm = ok(run(replica, 'Start-VMFailover', VM, ('AsTest', None), ('Passthru', None), CONFIRMED))[0]
    assert test_vm['Name'] == f'{VM} - Test' and test_vm['ReplicationMode'].name == 'TestReplica'
    assert vm_of(replica, f'{VM} - Test').data_version == 11
    assert 'already in progress' in only_error(run(replica, 'Start-VMFailover', VM, ('AsTest', None))).message
    vm_of(primary).data_version = 12
    world.advance_replication(300)
    assert vm_of(replica).data_version == 12 and state(primary)[0] == 'Replicating'     # replication goes on meanwhile
    ok(run(replica, 'Stop-VMFailover', VM))
    assert vm_of(replica, f'{VM} - Test') is None
    assert state(replica) == ('Replicating', 'Normal', 'Replica')


def test_planned_failover_reverse_and_failback_keep_the_data(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    world.replication_control({'write': {'host': 'hv01', 'vm': VM, 'count': 5}})
    # 1. Prepare on the primary: the VM must be off; pending changes are sent.
    assert 'must be turned off' in only_error(run(primary, 'Start-VMFailover', VM, ('Prepare', None))).message
    primary.patch({'vms': {VM: {'state': 'Off'}}})
    ok(run(primary, 'Start-VMFailover', VM, ('Prepare', None), CONFIRMED))
    assert state(primary)[0] == 'PreparedForFailover' and vm_of(replica).data_version == 5
    # 2. Fail over on the Replica server.
    assert only_error(run(primary, 'Start-VMFailover', VM)).category == 'InvalidOperation'
    ok(run(replica, 'Start-VMFailover', VM, CONFIRMED))
    assert state(replica)[0] == 'FailedOverWaitingCompletion'
    # 3. Reverse: the old primary must be a ready Replica server too.
    error = only_error(run(replica, 'Set-VMReplication', VM, ('Reverse', None)))
    assert error.message.startswith(f"Hyper-V failed to reverse replication for virtual machine '{VM}'.")
    make_replica_server(primary)
    ok(run(replica, 'Set-VMReplication', VM, ('Reverse', None)))
    assert state(replica) == ('Replicating', 'Normal', 'Primary') and state(primary) == ('Replicating', 'Normal', 'Replica')
    assert replication(replica)['ReplicaServerName'] == 'hv01.hvlab.test'
    # The VM now runs on hv02 and changes there; the changes flow back to hv01.
    replica.patch({'vms': {VM: {'state': 'Running'}}})
    world.replication_control({'write': {'host': 'hv02', 'vm': VM, 'count': 2}, 'advance_seconds': 300})
    assert vm_of(primary).data_version == 7
    # 4. Failback: the same planned sequence in the other direction.
    replica.patch({'vms': {VM: {'state': 'Off'}}})
    ok(run(replica, 'Start-VMFailover', VM, ('Prepare', None), CONFIRMED))
    ok(run(primary, 'Start-VMFailover', VM, CONFIRMED))
    ok(run(primary, 'Set-VMReplication', VM, ('Reverse', None)))
    assert state(primary) == ('Replicating', 'Normal', 'Primary') and state(replica) == ('Replicating', 'Normal', 'Replica')
    assert vm_of(primary).data_version == vm_of(replica).data_version == 7
    primary.patch({'vms': {VM: {'state': 'Running'}}})
    world.replication_control({'write': {'host': 'hv01', 'vm': VM}, 'advance_seconds': 300})
    assert vm_of(replica).data_version == 8


def test_cancelling_a_prepared_planned_failover(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    primary.patch({'vms': {VM: {'state': 'Off'}}})
    ok(run(primary, 'Start-VMFailover', VM, ('Prepare', None), CONFIRMED))
    ok(run(primary, 'Stop-VMFailover', VM))
    assert state(primary)[0] == 'Replicating'


def hourly_points(world, primary, replica):
    """hv01-web replicating with three hours of history, data versions 1, 2, 3: the Replica VM's recovery points."""
    replicating(world, primary, replica, RecoveryHistory=3)
    for version in (1, 2, 3):
        vm_of(primary).data_version = version
        world.advance_replication(3600)
    return replica.replication.relationships[vm_of(replica).vm_id].recovery_points


def test_unplanned_failover_to_a_chosen_recovery_point(world, hosts):
    primary, replica = hosts
    points = hourly_points(world, primary, replica)
    # Hourly points, the newest one following every cycle (it is the latest replicated state).
    assert [point.data_version for point in points] == [1, 2, 3, 3]
    snapshot = recovery_point_object(replica, vm_of(replica), points[0])
    ok(run(replica, 'Start-VMFailover', ('VMRecoverySnapshot', snapshot), CONFIRMED))
    assert state(replica)[0] == 'FailedOverWaitingCompletion' and vm_of(replica).data_version == 1
    ok(run(replica, 'Stop-VMFailover', VM))                       # cancel: back to replicating, latest data
    assert state(replica)[0] == 'Replicating' and vm_of(replica).data_version == 3
    ok(run(replica, 'Start-VMFailover', ('VMRecoverySnapshot', recovery_point_object(replica, vm_of(replica), points[1])), CONFIRMED))
    ok(run(replica, 'Complete-VMFailover', VM, ('Passthru', None), CONFIRMED))
    assert state(replica)[0] == 'FailedOver' and vm_of(replica).data_version == 2
    assert 'no longer be cancelled' in only_error(run(replica, 'Stop-VMFailover', VM)).message
    # Complete-VMFailover asks ShouldProcess before it checks the state (decompiled CompleteVMFailover).
    assert only_error(run(replica, 'Complete-VMFailover', VM, CONFIRMED)).category == 'InvalidOperation'
    # The primary keeps trying and meets a replica that no longer accepts replication.
    world.advance_replication(300)
    assert state(primary) == ('Error', 'Critical', 'Primary')
    # Reverse after an unplanned failover needs a new initial replication (the old primary may have diverged).
    make_replica_server(primary)
    assert 'is running' in only_error(run(replica, 'Set-VMReplication', VM, ('Reverse', None))).message
    primary.patch({'vms': {VM: {'state': 'Off'}}})
    ok(run(replica, 'Set-VMReplication', VM, ('Reverse', None)))
    assert state(replica)[0] == 'ReadyForInitialReplication' and state(primary)[0] == 'WaitingForInitialReplication'
    ok(run(replica, 'Start-VMInitialReplication', VM))
    world.advance_replication(model.INITIAL_REPLICATION_SECONDS)
    assert state(replica)[0] == 'Replicating' and vm_of(primary).data_version == 2


def test_recovery_points_are_bounded_by_recovery_history(world, hosts):
    replicating(world, *hosts, RecoveryHistory=1)
    for version in range(1, 6):
        vm_of(hosts[0]).data_version = version
        world.advance_replication(3600)
    points = hosts[1].replication.relationships[vm_of(hosts[1]).vm_id].recovery_points
    assert [point.data_version for point in points] == [5, 5]       # the latest point plus one hourly point
    assert points[1].created - points[0].created == datetime.timedelta(hours=1)


def test_failover_needs_a_recovery_point(hosts):
    make_replica_server(hosts[1])
    ok(enable(hosts[0]))
    assert only_error(run(hosts[1], 'Start-VMFailover', VM)).category == 'InvalidOperation'


# ---- Set- / Remove-VMReplication -------------------------------------------------------------------------------
def test_set_replication_changes_in_place(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    ok(run(primary, 'Set-VMReplication', VM, ('ReplicationFrequencySec', 900), ('RecoveryHistory', 24), ('CompressionEnabled', False)))
    item = replication(primary)
    assert (item['ReplicationFrequencySec'], item['RecoveryHistory'], item['CompressionEnabled']) == (900, 24, False)
    assert only_error(run(primary, 'Set-VMReplication', VM, ('RecoveryHistory', 25))).target == 'RecoveryHistory'
    assert replication(primary)['RecoveryHistory'] == 24
    assert 'remove replication' in only_error(run(primary, 'Set-VMReplication', VM, 'hv03.hvlab.test')).message
    ok(run(primary, 'Set-VMReplication', VM, 'HV02', 80))
    assert replication(primary)['ReplicaServerName'] == 'HV02'
    assert '0x00002EFD' in only_error(run(primary, 'Set-VMReplication', VM, ('ReplicaServerPort', 8080))).message
    assert only_error(run(replica, 'Set-VMReplication', VM, ('RecoveryHistory', 2))).category == 'InvalidOperation'
    assert 'cannot be reversed' in only_error(run(primary, 'Set-VMReplication', VM, ('Reverse', None))).message


def test_remove_replication_on_each_side(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    ok(run(replica, 'Remove-VMReplication', VM))
    assert vm_of(replica) is not None and ok(run(replica, 'Get-VMReplication')) == []
    world.advance_replication(300)
    assert state(primary) == ('Error', 'Critical', 'Primary')
    assert 'not found' in primary.replication.relationships[vm_of(primary).vm_id].health_messages[0]
    removed = ok(run(primary, 'Remove-VMReplication', VM, ('Passthru', None)))
    assert removed[0]['VMName'] == VM and primary.replication.relationships == {}


def test_whatif_changes_nothing(hosts):
    make_replica_server(hosts[1])
    ok(enable(hosts[0], 'hv02.hvlab.test', 80, 'Kerberos', VM, ('WhatIf', None)))
    assert hosts[0].replication.relationships == {} and vm_of(hosts[1]) is None


# ---- world state and the control wrapper -----------------------------------------------------------------------
def test_state_is_json_and_patchable(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    state_json = json.loads(json.dumps(primary.to_state()))
    assert state_json['replication']['relationships'][VM]['state'] == 'Replicating'
    assert state_json['vms'][0]['data_version'] == 0
    assert {rule['name'] for rule in json.loads(json.dumps(replica.to_state()))['firewall_rules'] if rule['enabled']} == \
        {HTTP_RULE, 'WINRM-HTTP-In-TCP'}
    with pytest.raises(ValueError):
        primary.patch({'replication': {'relationships': {VM: {'fault': 'gremlins'}}}})
    with pytest.raises(ValueError):
        replica.patch({'replication': {'relationships': {VM: {'fault': 'network'}}}})     # faults go on the primary side
    assert state(primary)[0] == 'Replicating'


def test_control_wrapper_and_real_time_mode(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    before = world.replication_clock
    answer = world.replication_control({'advance_seconds': 60})
    assert answer['clock'] == (before + datetime.timedelta(seconds=60)).isoformat() and answer['speed'] == 0
    with pytest.raises(ValueError):
        world.replication_control({'advance_seconds': -1})
    with pytest.raises(ValueError):
        world.replication_control({'bogus': 1})
    world.replication_control({'speed': 1e9})
    vm_of(primary).data_version = 1
    ok(run(primary, 'Get-VMHost'))                       # every command catches the clock up with wall-clock time
    assert world.replication_clock > before + datetime.timedelta(seconds=60)
    assert vm_of(replica).data_version == 1


def test_output_objects_serialize_for_remoting(world, hosts):
    from hvlab.transport.values import to_clixml  # pylint: disable=import-outside-toplevel
    replicating(world, *hosts)
    for name in ('Get-VMReplication', 'Measure-VMReplication', 'Get-VMReplicationServer', 'Get-NetFirewallRule'):
        for item in ok(run(hosts[0], name)):
            assert isinstance(item, LabObject)
            assert to_clixml(item).startswith('<Objs ')


def test_initial_replication_from_a_backup_prepared_with_as_replica(world, hosts):
    primary, replica = hosts
    make_replica_server(replica)
    primary_vm = vm_of(primary)
    # A restored copy of the VM (same Id) on the Replica server, prepared as the replication target.
    replica.patch({'vms': [vm.to_state() for vm in replica.vms] + [dict(primary_vm.to_state(), state='Off', data_version=0)]})
    ok(run(replica, 'Enable-VMReplication', VM, ('AsReplica', None), ('AllowedPrimaryServer', '*.hvlab.test')))
    assert state(replica) == ('WaitingForInitialReplication', 'Normal', 'Replica')
    ok(enable(primary))
    assert len([vm for vm in replica.vms if vm.vm_id == primary_vm.vm_id]) == 1          # the prepared VM is reused
    primary_vm.data_version = 3
    ok(run(primary, 'Start-VMInitialReplication', VM, ('UseBackup', None)))
    world.advance_replication(model.RESYNCHRONIZATION_SECONDS)
    assert state(primary)[0] == 'Replicating' and vm_of(replica).data_version == 3


def test_use_backup_needs_a_prepared_replica(hosts):
    make_replica_server(hosts[1])
    ok(enable(hosts[0]))
    assert 'AsReplica' in only_error(run(hosts[0], 'Start-VMInitialReplication', VM, ('UseBackup', None))).message


def test_recovery_checkpoints_listed_by_get_vmsnapshot_and_piped_into_start_vmfailover(world, hosts):
    primary, replica = hosts
    points = hourly_points(world, primary, replica)
    listed = ok(run(replica, 'Get-VMSnapshot', VM, ('SnapshotType', 'Replica')))
    assert [item.properties['Name'] for item in listed] == [point.name for point in points]
    assert {item.properties['SnapshotType'].name for item in listed} == {'Replica'}
    # The primary VM has no recovery checkpoints: asking for a type (or a name) that matches none is ObjectNotFound.
    assert only_error(run(primary, 'Get-VMSnapshot', VM, ('SnapshotType', 'Replica'))).fully_qualified_error_id == \
        'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMSnapshot'
    assert ok(run(primary, 'Get-VMSnapshot', VM)) == []
    assert only_error(run(replica, 'Get-VMSnapshot', VM, ('Name', 'no such point'))).category == 'ObjectNotFound'
    oldest = [Command('Get-VMSnapshot', [('VMName', VM), ('Name', points[0].name), ('SnapshotType', 'Replica')]),
              Command('Start-VMFailover', [CONFIRMED])]
    ok(replica.execute([oldest], IDENTITY))
    assert state(replica)[0] == 'FailedOverWaitingCompletion' and vm_of(replica).data_version == 1
    # A test failover from a chosen point: the test VM holds that point's data.
    ok(run(replica, 'Stop-VMFailover', VM))
    second = [Command('Get-VMSnapshot', [('VMName', VM), ('Name', points[1].name)]), Command('Start-VMFailover', [('AsTest', None), CONFIRMED])]
    ok(replica.execute([second], IDENTITY))
    assert vm_of(replica, VM + ' - Test').data_version == 2 and vm_of(replica).data_version == 3
    # Anything else piped into Start-VMFailover is not bound.
    wrong = [Command('Get-VMReplication', [('VMName', VM)]), Command('Start-VMFailover', [CONFIRMED])]
    assert only_error(replica.execute([wrong], IDENTITY)).fully_qualified_error_id.startswith('InputObjectNotBound,')


def adapter_of(host, name=VM):
    return vm_of(host, name).network_adapters[0]


def test_failover_network_settings_and_the_test_replica_switch(world, hosts):
    primary, replica = hosts
    replicating(world, primary, replica)
    ok(run(replica, 'Set-VMNetworkAdapterFailoverConfiguration', VM, ('VMNetworkAdapterName', 'Network Adapter'), ('IPv4Address', '10.2.0.5'),
           ('IPv4SubnetMask', '255.255.255.0'), ('IPv4DefaultGateway', '10.2.0.1'), ('IPv4PreferredDNSServer', '10.2.0.10')))
    ok(run(replica, 'Set-VMNetworkAdapter', VM, ('TestReplicaSwitchName', 'Isolated')))
    setting, = ok(run(replica, 'Get-VMNetworkAdapterFailoverConfiguration', VM, ('VMNetworkAdapterName', 'network adapter')))
    assert (setting['IPv4Address'], setting['IPv4SubnetMask'], setting['IPv4DefaultGateway'], setting['IPv6Address']) == \
        ('10.2.0.5', '255.255.255.0', '10.2.0.1', None)
    adapter, = ok(run(replica, 'Get-VMNetworkAdapter', VM))
    assert (adapter['Name'], adapter['SwitchName'], adapter['TestReplicaSwitchName'], adapter['IPAddresses']) == \
        ('Network Adapter', 'LAN', 'Isolated', [])
    # The pages' pairing rules, and addresses of the wrong family, fail before anything changes.
    assert 'requires -IPv4SubnetMask' in only_error(run(replica, 'Set-VMNetworkAdapterFailoverConfiguration', VM, ('IPv4Address', '10.2.0.6'))).message
    assert only_error(run(replica, 'Set-VMNetworkAdapterFailoverConfiguration', VM, ('IPv6Address', '10.2.0.6'),
                          ('IPv6SubnetPrefixLength', 64))).category == 'InvalidArgument'
    assert adapter_of(replica).failover['IPv4Address'] == '10.2.0.5'
    # A VM without replication has no test replica switch, and no failover setting (VMNetworkAdapter.FailoverSetting): nothing listed,
    # and setting one is refused.
    assert only_error(run(primary, 'Set-VMNetworkAdapter', 'hv01-app', ('TestReplicaSwitchName', 'Isolated'))).category == 'InvalidOperation'
    assert ok(run(primary, 'Get-VMNetworkAdapterFailoverConfiguration', 'hv01-app')) == []
    refused = only_error(run(primary, 'Set-VMNetworkAdapterFailoverConfiguration', 'hv01-app', ('IPv4Address', '10.1.0.9'),
                             ('IPv4SubnetMask', '255.255.255.0')))
    assert 'Replication is not enabled' in refused.message and refused.fully_qualified_error_id.startswith('InvalidState,')
    assert adapter_of(primary, 'hv01-app').failover == {}
    # The primary VM has one (the failback's own settings).
    assert len(ok(run(primary, 'Get-VMNetworkAdapterFailoverConfiguration', VM))) == 1
    # The test VM: its adapter on the test switch, the failover address given to the guest, reported once it runs and answers.
    ok(run(replica, 'Start-VMFailover', VM, ('AsTest', None), CONFIRMED))
    ok(run(replica, 'Start-VM', VM + ' - Test'))
    test_adapter, = ok(run(replica, 'Get-VMNetworkAdapter', VM + ' - Test'))
    assert (test_adapter['SwitchName'], test_adapter['IPAddresses']) == ('Isolated', ['10.2.0.5'])
    # Clearing the IPv4 settings: the Replica VM keeps the primary's address after a failover.
    ok(run(replica, 'Set-VMNetworkAdapterFailoverConfiguration', VM, ('ClearFailoverIPv4Settings', None)))
    assert adapter_of(replica).failover == {}


def reported_addresses(host, name=VM):
    """Get-VMNetworkAdapter's IPAddresses of the VM's adapter, the VM running (what Hyper-V reads from the guest)."""
    host.patch({'vms': {name: {'state': 'Running'}}})
    adapter, = ok(run(host, 'Get-VMNetworkAdapter', name))
    return adapter['IPAddresses']


def fail_over_planned(world, source, target):
    """Prepare on ``source`` (the VM off), fail over on ``target``, reverse replication from ``target``."""
    source.patch({'vms': {VM: {'state': 'Off'}}})
    ok(run(source, 'Start-VMFailover', VM, ('Prepare', None), CONFIRMED))
    ok(run(target, 'Start-VMFailover', VM, CONFIRMED))
    ok(run(target, 'Set-VMReplication', VM, ('Reverse', None)))


@pytest.mark.parametrize('primary_failover_settings', [True, False], ids=['primary-has-failover-tcpip', 'primary-has-none'])
def test_the_guest_network_identity_over_a_planned_failover_and_failback(world, hosts, primary_failover_settings):
    primary, replica = hosts
    adapter_of(primary).guest_addresses = ['10.1.0.15', 'fd00:1::15']      # the guest's own configuration on the primary site
    replicating(world, primary, replica)
    make_replica_server(primary)
    assert adapter_of(replica).guest_addresses == ['10.1.0.15', 'fd00:1::15'], 'the guest configuration replicates with its disks'
    ok(run(replica, 'Set-VMNetworkAdapterFailoverConfiguration', VM, ('IPv4Address', '10.2.0.15'), ('IPv4SubnetMask', '255.255.255.0')))
    if primary_failover_settings:
        ok(run(primary, 'Set-VMNetworkAdapterFailoverConfiguration', VM, ('IPv4Address', '10.1.0.15'), ('IPv4SubnetMask', '255.255.255.0')))
    # Failover: the Replica VM's failover IPv4 settings replace the guest's IPv4 address; IPv6 (none set) stays the guest's.
    fail_over_planned(world, primary, replica)
    assert reported_addresses(replica) == ['10.2.0.15', 'fd00:1::15']
    world.replication_control({'write': {'host': 'hv02', 'vm': VM, 'count': 2}, 'advance_seconds': 300})
    assert adapter_of(primary).guest_addresses == ['10.2.0.15', 'fd00:1::15'], 'the injected address is the guest configuration now'
    # Failback: the primary VM applies its own failover settings; without them the guest keeps the recovery site's address.
    fail_over_planned(world, replica, primary)
    assert vm_of(primary).data_version == 2
    assert reported_addresses(primary) == (['10.1.0.15', 'fd00:1::15'] if primary_failover_settings else ['10.2.0.15', 'fd00:1::15'])


def test_an_older_recovery_point_brings_its_guest_network_back_and_cancelling_restores_the_replica(world, hosts):
    primary, replica = hosts
    adapter_of(primary).guest_addresses = ['10.1.0.15']
    points = hourly_points(world, primary, replica)
    assert points and all(point.guest_network == [['10.1.0.15']] for point in points)
    second = next(point for point in points if point.data_version == 2)
    adapter_of(primary).guest_addresses = ['10.1.0.99']        # the guest's administrator changed it: replicated next cycle
    vm_of(primary).data_version = 4
    world.advance_replication(3600)
    assert adapter_of(replica).guest_addresses == ['10.1.0.99']
    ok(replica.execute([[Command('Get-VMSnapshot', [('VMName', VM), ('Name', second.name)]), Command('Start-VMFailover', [CONFIRMED])]], IDENTITY))
    assert vm_of(replica).data_version == 2 and adapter_of(replica).guest_addresses == ['10.1.0.15']
    ok(run(replica, 'Stop-VMFailover', VM))
    assert vm_of(replica).data_version == 4 and adapter_of(replica).guest_addresses == ['10.1.0.99']
