# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The network identity a failover gives a guest, and whether a failback gives the production one back.

Hyper-V applies a failing-over VM's own failover TCP/IP settings inside its guest (Msvm_FailoverNetworkAdapterSettingData), and
the guest keeps them: a failback (a planned failover of the primary VM) brings the production address back only from the primary
VM's own failover settings (docs/dev/fidelity.md). No I/O here: the objects come from the reads of reads.vm_failover_settings.

Get-VMNetworkAdapterFailoverConfiguration's objects name neither the VM nor the adapter. Both it and Get-VMNetworkAdapter list a
VM's adapters through one resolver (ParameterResolvers.ResolveNetworkAdapters in the decompiled module), in the same order;
the failover cmdlet keeps the synthetic adapters only and writes nothing for an adapter without a setting. So the settings are
paired with the synthetic adapters in order, and only when there are as many of each; otherwise which adapter holds which is
unknown, and the caller says so rather than guess.
"""

ADAPTER_TYPE = 'Microsoft.HyperV.PowerShell.VMNetworkAdapter'
SETTING_TYPE = 'Microsoft.HyperV.PowerShell.VMNetworkAdapterFailoverSetting'
# (the vm_failover_network option of the family, the setting's address property)
FAMILY_ADDRESSES = (('failover_ipv4', 'IPv4Address'), ('failover_ipv6', 'IPv6Address'))


def failover_addresses(result):
    """{adapter name: {family option: address}} of the VM's synthetic adapters in a pipeline result (a family without a failover
    address is left out); None when the settings cannot be paired with the adapters (their numbers differ)."""
    adapters = [item for item in result.of_type(ADAPTER_TYPE) if item.get('IsSynthetic') is not False]
    settings = result.of_type(SETTING_TYPE)
    if len(adapters) != len(settings):
        return None
    return dict((adapter.get('Name'), dict((option, setting.get(name)) for option, name in FAMILY_ADDRESSES if setting.get(name)))
                for adapter, setting in zip(adapters, settings, strict=True))


def identity_kept_on_failback(recovery, primary):
    """[(adapter, family option, address)]: each recovery-site address (the Replica VM's failover TCP/IP, which the guest took when
    it failed over there) that a failback keeps, because the primary VM has no failover address of that family on that adapter.
    recovery and primary are failover_addresses() of the two VMs (not None)."""
    kept = []
    for adapter, families in sorted(recovery.items()):
        own = primary.get(adapter) or {}
        kept.extend((adapter, option, address) for option, address in sorted(families.items()) if option not in own)
    return kept
