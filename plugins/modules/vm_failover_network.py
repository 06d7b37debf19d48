#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: vm_failover_network
short_description: The network identity a replicated VM takes on failover - failover TCP/IP settings and the test failover switch
version_added: 0.1.0
description:
  - Sets, for one network adapter of a replicated VM, what Hyper-V Manager shows as the adapter's B(Failover TCP/IP) and
    B(Test Failover) settings - the IPv4 and IPv6 address, subnet, default gateway and DNS servers the guest gets when the VM
    fails over (C(Set-VMNetworkAdapterFailoverConfiguration)), and the virtual switch the adapter of a test failover VM is
    connected to (C(Set-VMNetworkAdapter -TestReplicaSwitchName)).
  - Run it against the B(Replica server) for the Replica VM (the settings apply when it fails over there), and against the
    primary server for the primary VM with the VM's own production address. Hyper-V applies failover TCP/IP settings inside
    the guest, which keeps them and replicates them back with its disks; a failback (a planned failover to the primary VM)
    gives the guest its production address again only from the primary VM's own failover TCP/IP settings.
  - Only the options given are managed; running the task again changes nothing.
  - Hyper-V keeps these settings only for a VM enabled for replication (the primary or the Replica VM); for any other VM the task
    fails, before anything changes, saying to enable replication first (M(hyperv.mobility.vm_replication)).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: The settings that would change are in RV(after).
  diff_mode:
    details: The adapter's test failover switch and failover TCP/IP settings before and after.
options:
  name:
    description:
      - Name of the VM on the host, matched exactly (case-insensitive); wildcard characters (C(*), C(?), C([)) are refused. A name
        several VMs share fails naming each with its id, before anything changes.
    type: str
    required: true
  adapter:
    description: Name of the VM's network adapter (C(Get-VMNetworkAdapter)); wildcard characters are refused.
    type: str
    default: Network Adapter
  failover_ipv4:
    description:
      - The IPv4 settings the guest gets on failover. V(address) and V(subnet_mask) go together.
      - An empty dictionary (C({})) clears them (C(-ClearFailoverIPv4Settings)) - the VM keeps the primary's address. Omitted, they
        are left as they are. Given, they replace the adapter's IPv4 failover settings whole (a gateway or DNS server left out is removed).
    type: dict
    suboptions:
      address:
        description: IPv4 address, for example V(10.2.0.15).
        type: str
      subnet_mask:
        description: Subnet mask, for example V(255.255.255.0).
        type: str
      default_gateway:
        description: Default gateway.
        type: str
      dns_servers:
        description: Preferred and alternate DNS servers, in that order (at most two).
        type: list
        elements: str
  failover_ipv6:
    description:
      - The IPv6 settings the guest gets on failover. V(address) and V(prefix_length) go together.
      - An empty dictionary (C({})) clears them (C(-ClearFailoverIPv6Settings)); omitted, they are left as they are; given, they are
        replaced whole.
    type: dict
    suboptions:
      address:
        description: IPv6 address.
        type: str
      prefix_length:
        description: Subnet prefix length (1 to 128).
        type: int
      default_gateway:
        description: Default gateway.
        type: str
      dns_servers:
        description: Preferred and alternate DNS servers, in that order (at most two).
        type: list
        elements: str
  test_switch:
    description:
      - The virtual switch the adapter of a test failover VM (M(hyperv.mobility.vm_failover) V(action=test)) is connected to
        (C(TestReplicaSwitchName)) - typically an isolated switch, so the test VM does not meet the production VM on the network.
        Hyper-V applies it to VMs enabled for replication only.
    type: str
notes:
  - Cmdlets run - C(Get-VM -Name), C(Get-VMNetworkAdapter), C(Get-VMNetworkAdapterFailoverConfiguration) (one pipeline), then as needed
    C(Set-VMNetworkAdapterFailoverConfiguration) and C(Set-VMNetworkAdapter -TestReplicaSwitchName) (one more).
seealso:
  - module: hyperv.mobility.vm_failover
  - module: hyperv.mobility.vm_replication
  - name: Set-VMNetworkAdapterFailoverConfiguration
    description: The cmdlet page.
    link: https://learn.microsoft.com/powershell/module/hyper-v/set-vmnetworkadapterfailoverconfiguration
'''

EXAMPLES = r'''
- name: web01 gets the recovery site's address on failover, and its test VM an isolated switch
  hyperv.mobility.vm_failover_network:
    name: web01
    failover_ipv4:
      address: 10.2.0.15
      subnet_mask: 255.255.255.0
      default_gateway: 10.2.0.1
      dns_servers: [10.2.0.10, 10.2.0.11]
    test_switch: Isolated
  when: inventory_hostname == 'hv02'

- name: The Replica VM keeps the primary's IPv6 address
  hyperv.mobility.vm_failover_network:
    name: web01
    failover_ipv6: {}
'''

RETURN = r'''
before:
  description: The adapter's settings before the task.
  returned: always
  type: dict
  contains:
    vm:
      description: The VM's name.
      type: str
    adapter:
      description: The adapter's name.
      type: str
    switch:
      description: The switch the adapter is connected to (null when not connected).
      type: str
    test_switch:
      description: The test failover switch, null when none is set.
      type: str
    failover_ipv4:
      description: The IPv4 failover settings (address, subnet_mask, default_gateway, dns_servers), null when none are set.
      type: dict
    failover_ipv6:
      description: The IPv6 failover settings (address, prefix_length, default_gateway, dns_servers), null when none are set.
      type: dict
  sample: {vm: web01, adapter: Network Adapter, switch: LAN, test_switch: null, failover_ipv4: null, failover_ipv6: null}
after:
  description: The adapter's settings after the task (predicted in check mode), same keys as RV(before).
  returned: always
  type: dict
  sample: {vm: web01, adapter: Network Adapter, switch: LAN, test_switch: Isolated, failover_ipv6: null,
           failover_ipv4: {address: 10.2.0.15, subnet_mask: 255.255.255.0, default_gateway: 10.2.0.1, dns_servers: [10.2.0.10]}}
'''

import ipaddress

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.failover_identity import ADAPTER_TYPE, SETTING_TYPE
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.heartbeat import VM_TYPE
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    Command, HostResource, HypervModule, ModuleFailure, OptionError)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import WILDCARD_CHARACTERS, check_vm_name, find_one_vm

# Per family: the option, the cmdlet's parameters for address, subnet, gateway, the two DNS servers, and its clear switch.
FAMILIES = (
    ('failover_ipv4', 4, ('IPv4Address', 'IPv4SubnetMask', 'IPv4DefaultGateway', 'IPv4PreferredDNSServer', 'IPv4AlternateDNSServer'),
     'ClearFailoverIPv4Settings', 'subnet_mask'),
    ('failover_ipv6', 6, ('IPv6Address', 'IPv6SubnetPrefixLength', 'IPv6DefaultGateway', 'IPv6PreferredDNSServer', 'IPv6AlternateDNSServer'),
     'ClearFailoverIPv6Settings', 'prefix_length'),
)


def address_or_none(text, version):
    """An address in its canonical text (IPv6 compressed), None for none; ValueError when it is not one of that family."""
    if text in (None, ''):
        return None
    address = ipaddress.ip_address(str(text).strip())
    if address.version != version:
        raise ValueError(text)
    return str(address)


def subnet_of(family_option, value):
    """The subnet part in its canonical form: a dotted IPv4 mask, or an IPv6 prefix length as an int."""
    if value in (None, ''):
        return None
    if family_option == 'failover_ipv4':
        return str(ipaddress.IPv4Network('0.0.0.0/%s' % str(value).strip()).netmask)
    length = int(value)
    if not 1 <= length <= 128:
        raise ValueError(value)
    return length


def family_settings(family, values):
    """{address, subnet, default_gateway, dns_servers} of one family in canonical form from the cmdlet's five values; None when unset."""
    option, version, _names, _clear, subnet_key = family
    address, subnet, gateway, preferred, alternate = values
    if not address:
        return None         # Hyper-V sets an address with its subnet; without one the guest keeps the primary's settings
    return {'address': address_or_none(address, version), subnet_key: subnet_of(option, subnet),
            'default_gateway': address_or_none(gateway, version),
            'dns_servers': [server for server in (address_or_none(preferred, version), address_or_none(alternate, version)) if server]}


def wanted_settings(family, given):
    """The family's settings the option asks for, canonical; None for {} (clear). OptionError naming the option on bad input."""
    option, version, _names, _clear, subnet_key = family
    if not any(value not in (None, []) for value in given.values()):
        return None
    if (given.get('address') is None) != (given.get(subnet_key) is None):
        raise OptionError('%s needs address and %s together (Hyper-V sets them as a pair), got only %s'
                          % (option, subnet_key, 'address' if given.get('address') is not None else subnet_key))
    servers = given.get('dns_servers') or []
    if len(servers) > 2:
        raise OptionError('%s.dns_servers takes at most two servers (preferred, alternate), got %d' % (option, len(servers)))
    checked = {}
    for key in ('address', 'default_gateway'):
        try:
            checked[key] = address_or_none(given.get(key), version)
        except ValueError:
            raise OptionError('%s.%s must be an IPv%d address, got %r' % (option, key, version, given.get(key)))
    try:
        checked[subnet_key] = subnet_of(option, given.get(subnet_key))
    except ValueError:
        accepted = 'a subnet mask such as 255.255.255.0' if version == 4 else 'between 1 and 128'
        raise OptionError('%s.%s must be %s, got %r' % (option, subnet_key, accepted, given.get(subnet_key)))
    dns = []
    for server in servers:
        try:
            dns.append(address_or_none(server, version))
        except ValueError:
            raise OptionError('%s.dns_servers must hold IPv%d addresses, got %r' % (option, version, server))
    if checked['address'] is None and (checked['default_gateway'] or dns):
        raise OptionError('%s sets a gateway or DNS servers only with an address and %s' % (option, subnet_key))
    return dict(checked, dns_servers=dns)


def set_parameters(family, settings):
    """Set-VMNetworkAdapterFailoverConfiguration's parameters for one family's settings."""
    _option, _version, names, _clear, subnet_key = family
    servers = settings['dns_servers'] + [None, None]
    values = (settings['address'], settings[subnet_key], settings['default_gateway'], servers[0], servers[1])
    return dict((name, value) for name, value in zip(names, values, strict=True) if value is not None)


def check_single_name(option, text, what):
    if not text.strip():
        raise OptionError('%s must be a %s, got an empty string' % (option, what))
    wildcards = sorted(set(WILDCARD_CHARACTERS) & set(text))
    if wildcards:
        raise OptionError('%s %r holds the wildcard character(s) %s: it names one %s, never a pattern' % (option, text, ' '.join(wildcards), what))


class FailoverNetwork(HostResource):
    """One adapter of one VM: its test failover switch and its failover TCP/IP settings."""

    def validate(self):
        params = self.params
        check_vm_name('name', params['name'])
        check_single_name('adapter', params['adapter'], 'network adapter name')
        if params['test_switch'] is not None:
            check_single_name('test_switch', params['test_switch'], 'virtual switch name')
        self.wanted = {}
        for family in FAMILIES:
            if params[family[0]] is not None:
                self.wanted[family[0]] = wanted_settings(family, params[family[0]])

    def read_commands(self):
        return reads.failover_network(self.params['name'], self.params['adapter'])

    def current_state(self, result):
        params = self.params
        vm = find_one_vm(result.of_type(VM_TYPE), params['name'], None, self.host)
        adapters = result.of_type(ADAPTER_TYPE)
        settings = result.of_type(SETTING_TYPE)
        if vm is None or not adapters or (not settings and result.errors):
            said = '; '.join(error.message for error in result.errors) or 'not found'
            raise ModuleFailure("VM '%s' adapter '%s' on %s: %s" % (params['name'], params['adapter'], self.host, said))
        if not settings:
            # Hyper-V keeps failover settings only for a Primary, Replica or ExtendedReplica VM (VMNetworkAdapter.FailoverSetting).
            raise ModuleFailure("VM '%s' on %s has no failover TCP/IP settings to manage: Hyper-V keeps them only for a VM enabled for "
                                'replication (a primary or Replica VM). Enable its replication first (hyperv.mobility.vm_replication), '
                                'then run this task again' % (vm.get('Name'), self.host))
        adapter, setting = adapters[0], settings[0]
        state = dict(vm=vm.get('Name'), adapter=adapter.get('Name'), switch=adapter.get('SwitchName'),
                     test_switch=adapter.get('TestReplicaSwitchName') or None)
        for family in FAMILIES:
            state[family[0]] = family_settings(family, [setting.get(name) for name in family[2]])
        return state

    def desired_state(self, before):
        after = dict(before, **self.wanted)
        if self.params['test_switch'] is not None:
            after['test_switch'] = self.params['test_switch']
        return after

    def apply_commands(self, before, after):
        target = {'VMName': before['vm'], 'VMNetworkAdapterName': before['adapter']}
        commands = []
        for family in FAMILIES:
            option, clear = family[0], family[3]
            if after[option] == before[option]:
                continue
            if before[option] is not None:
                commands.append(Command('Set-VMNetworkAdapterFailoverConfiguration', dict(target, **{clear: True})))
            if after[option] is not None:
                commands.append(Command('Set-VMNetworkAdapterFailoverConfiguration', dict(target, **set_parameters(family, after[option]))))
        if after['test_switch'] != before['test_switch']:
            commands.append(Command('Set-VMNetworkAdapter', {'VMName': before['vm'], 'Name': before['adapter'],
                                                             'TestReplicaSwitchName': after['test_switch']}))
        return commands

    def run(self, module):
        self.host = module.host
        return super().run(module)


FAMILY_SUBOPTIONS = dict(address=dict(type='str'), default_gateway=dict(type='str'), dns_servers=dict(type='list', elements='str'))


def main():
    HypervModule(argument_spec=dict(
        name=dict(type='str', required=True),
        adapter=dict(type='str', default='Network Adapter'),
        failover_ipv4=dict(type='dict', options=dict(FAMILY_SUBOPTIONS, subnet_mask=dict(type='str'))),
        failover_ipv6=dict(type='dict', options=dict(FAMILY_SUBOPTIONS, prefix_length=dict(type='int'))),
        test_switch=dict(type='str'),
    ), supports_check_mode=True).execute(FailoverNetwork)


if __name__ == '__main__':
    main()
