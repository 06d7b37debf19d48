# -*- coding: utf-8 -*-
"""vm_failover_network: option checks, the state read from the adapter objects, and the write pipeline (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import OptionError
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.modules.vm_failover_network import FailoverNetwork

from pipeline_objects import hyperv_object as obj

IPV4 = dict(address=None, subnet_mask=None, default_gateway=None, dns_servers=None)
IPV6 = dict(address=None, prefix_length=None, default_gateway=None, dns_servers=None)


def resource(**given):
    params = dict(name='web01', adapter='Network Adapter', failover_ipv4=None, failover_ipv6=None, test_switch=None)
    for option, base in (('failover_ipv4', IPV4), ('failover_ipv6', IPV6)):
        if option in given:
            given[option] = dict(base, **given[option])
    params.update(given)
    found = FailoverNetwork(params)
    found.validate()
    found.host = 'hv02'
    return found


def read(**setting):
    return PipelineResult([obj('VirtualMachine', Name='web01', Id='0f8fad5b-d9cb-469f-a165-70867728950e', State='Off'),
                           obj('VMNetworkAdapter', Name='Network Adapter', VMName='web01', SwitchName='LAN', TestReplicaSwitchName=None),
                           obj('VMNetworkAdapterFailoverSetting', **setting)])


@pytest.mark.parametrize('given, words', [
    ({'failover_ipv4': {'address': '10.2.0.5'}}, 'failover_ipv4 needs address and subnet_mask together'),
    ({'failover_ipv4': {'address': '10.2.0.5', 'subnet_mask': '255.0.255.0'}}, 'failover_ipv4.subnet_mask must be a subnet mask'),
    ({'failover_ipv4': {'address': '2001:db8::5', 'subnet_mask': '255.255.255.0'}}, "failover_ipv4.address must be an IPv4 address, got '2001:db8::5'"),
    ({'failover_ipv4': {'address': '10.2.0.5', 'subnet_mask': '24', 'dns_servers': ['10.0.0.1', '10.0.0.2', '10.0.0.3']}},
     'takes at most two servers'),
    ({'failover_ipv4': {'default_gateway': '10.2.0.1'}}, 'sets a gateway or DNS servers only with an address'),
    ({'failover_ipv6': {'address': '2001:db8::5', 'prefix_length': 129}}, 'failover_ipv6.prefix_length must be between 1 and 128, got 129'),
    ({'failover_ipv6': {'address': '2001:db8::5', 'prefix_length': 64, 'dns_servers': ['10.0.0.1']}},
     "failover_ipv6.dns_servers must hold IPv6 addresses, got '10.0.0.1'"),
    ({'adapter': 'Network*'}, "adapter 'Network*' holds the wildcard character(s) *"),
    ({'test_switch': ' '}, 'test_switch must be a virtual switch name, got an empty string'),
    ({'name': 'web?'}, 'holds the wildcard character(s) ?'),
])
def test_bad_input_is_refused_naming_the_option(given, words):
    with pytest.raises(OptionError) as raised:
        resource(**given)
    assert words in str(raised.value)


def test_settings_are_compared_canonically_and_written_once():
    wanted = resource(failover_ipv4={'address': '10.2.0.5', 'subnet_mask': '24', 'default_gateway': '10.2.0.1', 'dns_servers': ['10.2.0.10']},
                      failover_ipv6={'address': '2001:DB8:0::5', 'prefix_length': 64}, test_switch='Isolated')
    before = wanted.current_state(read())
    assert before == dict(vm='web01', adapter='Network Adapter', switch='LAN', test_switch=None, failover_ipv4=None, failover_ipv6=None)
    after = wanted.desired_state(before)
    assert after['failover_ipv4'] == dict(address='10.2.0.5', subnet_mask='255.255.255.0', default_gateway='10.2.0.1', dns_servers=['10.2.0.10'])
    assert after['failover_ipv6'] == dict(address='2001:db8::5', prefix_length=64, default_gateway=None, dns_servers=[])
    commands = wanted.apply_commands(before, after)
    assert [(command.name, command.parameters) for command in commands] == [
        ('Set-VMNetworkAdapterFailoverConfiguration', {'VMName': 'web01', 'VMNetworkAdapterName': 'Network Adapter', 'IPv4Address': '10.2.0.5',
                                                       'IPv4SubnetMask': '255.255.255.0', 'IPv4DefaultGateway': '10.2.0.1',
                                                       'IPv4PreferredDNSServer': '10.2.0.10'}),
        ('Set-VMNetworkAdapterFailoverConfiguration', {'VMName': 'web01', 'VMNetworkAdapterName': 'Network Adapter', 'IPv6Address': '2001:db8::5',
                                                       'IPv6SubnetPrefixLength': 64}),
        ('Set-VMNetworkAdapter', {'VMName': 'web01', 'Name': 'Network Adapter', 'TestReplicaSwitchName': 'Isolated'}),
    ]
    # The same settings as the host writes them back: nothing to do.
    now = wanted.current_state(read(IPv4Address='10.2.0.5', IPv4SubnetMask='255.255.255.0', IPv4DefaultGateway='10.2.0.1',
                                    IPv4PreferredDNSServer='10.2.0.10', IPv6Address='2001:db8:0:0::5', IPv6SubnetPrefixLength='64'))
    assert wanted.desired_state(now)['failover_ipv4'] == now['failover_ipv4'] and wanted.desired_state(now)['failover_ipv6'] == now['failover_ipv6']


def test_an_empty_family_clears_it_and_a_changed_one_is_replaced_whole():
    current = read(IPv4Address='10.2.0.5', IPv4SubnetMask='255.255.255.0', IPv4DefaultGateway='10.2.0.1')
    cleared = resource(failover_ipv4={})
    before = cleared.current_state(current)
    assert [(command.name, command.parameters) for command in cleared.apply_commands(before, cleared.desired_state(before))] == [
        ('Set-VMNetworkAdapterFailoverConfiguration', {'VMName': 'web01', 'VMNetworkAdapterName': 'Network Adapter', 'ClearFailoverIPv4Settings': True})]
    moved = resource(failover_ipv4={'address': '10.2.0.6', 'subnet_mask': '255.255.255.0'})
    assert [command.parameters.get('ClearFailoverIPv4Settings', command.parameters.get('IPv4Address'))
            for command in moved.apply_commands(before, moved.desired_state(before))] == [True, '10.2.0.6']


def test_a_vm_without_replication_has_no_failover_settings_and_the_task_says_to_enable_replication():
    from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import ModuleFailure
    without = PipelineResult([obj('VirtualMachine', Name='web01', Id='0f8fad5b-d9cb-469f-a165-70867728950e', State='Off'),
                              obj('VMNetworkAdapter', Name='Network Adapter', VMName='web01', SwitchName='LAN', TestReplicaSwitchName=None)])
    with pytest.raises(ModuleFailure) as raised:
        resource(failover_ipv4={'address': '10.2.0.5', 'subnet_mask': '24'}).current_state(without)
    assert "VM 'web01' on hv02 has no failover TCP/IP settings" in str(raised.value) and 'hyperv.mobility.vm_replication' in str(raised.value)
