# -*- coding: utf-8 -*-
"""Whether a failback gives the guest its production address back: the adapters' failover TCP/IP paired with their names, and the
recovery-site addresses a failback would keep (pure logic)."""

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.failover_identity import failover_addresses, identity_kept_on_failback

from pipeline_objects import hyperv_object as obj


def adapter(name, synthetic=True):
    return obj('VMNetworkAdapter', Name=name, VMName='web01', IsSynthetic=synthetic, IsLegacy=not synthetic)


def setting(ipv4=None, ipv6=None):
    return obj('VMNetworkAdapterFailoverSetting', IPv4Address=ipv4, IPv4SubnetMask='255.255.255.0' if ipv4 else None, IPv6Address=ipv6,
               IPv6SubnetPrefixLength='64' if ipv6 else None)


def test_settings_pair_with_the_synthetic_adapters_in_order():
    # The failover cmdlet lists the synthetic adapters only, in Get-VMNetworkAdapter's order: a legacy adapter has no setting.
    result = PipelineResult([adapter('LAN'), adapter('Boot', synthetic=False), adapter('Backup'), setting('10.2.0.15'),
                             setting(None, '2001:db8:2::15')])
    assert failover_addresses(result) == {'LAN': {'failover_ipv4': '10.2.0.15'}, 'Backup': {'failover_ipv6': '2001:db8:2::15'}}


def test_settings_that_cannot_be_paired_are_not_guessed():
    # One adapter wrote no setting (Hyper-V writes none when the WMI setting is missing): which one is unknown.
    assert failover_addresses(PipelineResult([adapter('LAN'), adapter('Backup'), setting('10.2.0.15')])) is None


def test_a_failback_keeps_each_recovery_address_the_primary_has_no_own_address_for():
    recovery = {'LAN': {'failover_ipv4': '10.2.0.15', 'failover_ipv6': '2001:db8:2::15'}, 'Backup': {'failover_ipv4': '10.9.0.15'}}
    primary = {'LAN': {'failover_ipv4': '10.1.0.15'}, 'Backup': {}}
    assert identity_kept_on_failback(recovery, primary) == [('Backup', 'failover_ipv4', '10.9.0.15'), ('LAN', 'failover_ipv6', '2001:db8:2::15')]
    assert identity_kept_on_failback(recovery, {'LAN': {'failover_ipv4': '10.1.0.15', 'failover_ipv6': '2001:db8:1::15'},
                                                'Backup': {'failover_ipv4': '10.8.0.15'}}) == []
    assert identity_kept_on_failback({'LAN': {}}, {}) == []
