# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values that would break a command line reach the lab byte for byte as parameter values, over psrp and over winrm.

VM names (Get-VM -Name) and paths (Set-VMReplicationServer -DefaultStorageLocation,
New-VMReplicationAuthorizationEntry -ReplicaStorageLocation) are checked against the commands the lab
recorded (GET /hosts/<name>/commands) and the lab's world. Host names with such characters cannot be DNS names: the
module refuses them with a message naming the option and sends nothing. SPNs against the Samba DC's msDS-AllowedToDelegateTo.

SPN host parts and Unicode: [MS-KILE] (its section on SPNs) defines SPN = serviceclass "/" hostname [":" port] ["/" servicename] with
hostname per RFC 2396 3.2.2 (letters, digits and hyphens), the FQDN of the system. An internationalized host name
therefore goes into an SPN in its ASCII (IDNA A-label, xn--) form; a raw Unicode host part is not an SPN and is refused.
Unicode is free in the servicename part, and AD stores the whole SPN as a Unicode string, so it reaches the DC unchanged.

Control characters (newline, carriage return, tab, ...) no Windows name, path or SPN can hold: every text option refuses
them, naming the option, before anything is sent (issue 21 classes 4 and 8), so CONTROL values are checked for the refusal.
"""

from __future__ import annotations

import ldap3
import pytest

# Quotes, statement separators, subexpressions, backticks, newlines and Unicode; no PowerShell wildcard characters
# ([ ] * ?), which Get-VM -Name documents as patterns.
AWKWARD = [
    'it\'s "quoted"',
    'a; Stop-Computer -Force',
    '$(Remove-Item C:\\ -Recurse)',
    '`$env:USERNAME` `n',
    'Ünïcødé 名前 🚀 \u202ertl',
]
# Values with control characters: refused naming the option, never sent.
CONTROL = ['ctl-two\nlines\r\nand a tab\t', 'ctl-bell\x07', 'ctl-escape\x1b[2J']


TRACEBACK = 'Traceback (most recent call last)'


@pytest.fixture(autouse=True)
def fresh(lab):
    lab.control.clear_faults()
    lab.control.reset_counters()


def with_vm(lab, host: str, name: str) -> None:
    vms = lab.control.host_state(host)['vms']
    template = dict(vms[0], name=name)
    template.pop('id', None)
    lab.control.patch_host(host, vms=[vm for vm in vms if vm['name'] != name] + [template])


def recorded_values(lab, host: str, cmdlet: str, parameter: str) -> list:
    values = []
    for command in lab.control.commands(host):
        if command['name'].lower() == cmdlet.lower():
            values += [value for name, value in command['parameters'] if (name or '').lower() == parameter.lower()]
    return values


@pytest.mark.parametrize('transport', ['psrp', 'winrm'])
def test_vm_names_host_names_and_paths_arrive_unchanged(lab, run_playbook, transport):
    host = lab.hosts_over(transport)[0]['name']
    for name in AWKWARD:
        with_vm(lab, host, name)
    lab.control.patch_host(host, replica_server={'enabled': False, 'authorization_entries': []})
    tasks = [{'name': 'vm', 'hyperv.mobility.vm_replication_info': {'name': '{{ item }}'}, 'loop': AWKWARD, 'ignore_errors': True},
             {'name': 'server', 'ignore_errors': True, 'hyperv.mobility.replica_server': {
                 'state': 'enabled', 'authentication': 'kerberos', 'allow_any_server': False, 'manage_firewall': False,
                 'default_storage_location': 'D:\\Replica\\' + AWKWARD[0] + AWKWARD[2],
                 'authorization_entries': [{'primary_server': 'hv09.hvlab.test', 'storage_location': 'E:\\' + ''.join(AWKWARD)}]}},
             # Host names that no DNS name can be: refused by validation, naming the option; never sent.
             {'name': 'bad host', 'hyperv.mobility.replica_server': {'authorization_entries': [{'primary_server': '{{ item }}'}],
                                                                     'authorization_entries_mode': 'add'},
              'loop': AWKWARD, 'ignore_errors': True},
             {'name': 'control', 'hyperv.mobility.vm_replication_info': {'name': '{{ item }}'}, 'loop': CONTROL, 'ignore_errors': True},
             {'name': 'control path', 'ignore_errors': True, 'hyperv.mobility.replica_server': {
                 'state': 'enabled', 'authentication': 'kerberos', 'default_storage_location': 'D:\\Replica\\' + CONTROL[0]}}]
    run = run_playbook([{'hosts': host, 'gather_facts': False, 'tasks': tasks}], inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout[-3000:]

    # VM names: the module found each VM (its name came back unchanged) and Get-VM received it as one value.
    results = run.task('vm')[host]['results']
    for name, result in zip(AWKWARD, results):
        assert not result.get('failed'), result
    assert sum(recorded_values(lab, host, 'Get-VM', 'Name'), []) == AWKWARD

    # Paths: the recorded parameters and the lab's world hold the exact strings.
    server_result = run.task('server')[host]
    assert not server_result.get('failed'), server_result['msg']
    assert recorded_values(lab, host, 'Set-VMReplicationServer', 'DefaultStorageLocation') == ['D:\\Replica\\' + AWKWARD[0] + AWKWARD[2]]
    assert recorded_values(lab, host, 'New-VMReplicationAuthorizationEntry', 'AllowedPrimaryServer') == ['hv09.hvlab.test']
    assert recorded_values(lab, host, 'New-VMReplicationAuthorizationEntry', 'ReplicaStorageLocation') == ['E:\\' + ''.join(AWKWARD)]
    server = lab.control.host_state(host)['replica_server']
    assert server['default_storage_location'] == 'D:\\Replica\\' + AWKWARD[0] + AWKWARD[2]
    assert [entry['replica_storage_location'] for entry in server['authorization_entries']] == ['E:\\' + ''.join(AWKWARD)]
    for result in run.task('bad host')[host]['results']:
        assert result['failed'] and 'primary_server' in result['msg'] and TRACEBACK not in str(result.get('exception', '')), result
    # Control characters: refused naming the option (no character a name or path can hold), nothing of them sent.
    refusals = run.task('control')[host]['results'] + [run.task('control path')[host]]
    assert [result['msg'].split(' holds ')[0] for result in refusals] == ['name'] * len(CONTROL) + ['default_storage_location'], refusals
    assert all(result['failed'] and 'printable characters only' in result['msg'] for result in refusals), refusals
    sent = str([command['parameters'] for command in lab.control.commands(host)])
    assert 'ctl-' not in sent

    # Nothing else ran: every recorded command is one the modules send.
    allowed = {'get-vm', 'get-vmreplication', 'measure-vmreplication', 'get-vmreplicationserver', 'get-vmreplicationauthorizationentry',
               'get-netfirewallrule', 'set-vmreplicationserver', 'new-vmreplicationauthorizationentry',
               # vm_replication_info reads the VM's disks (Get-VMHardDiskDrive | Select-Object), as on a real host.
               'get-vmharddiskdrive', 'select-object'}
    assert {command['name'].lower() for command in lab.control.commands(host)} <= allowed


def test_spns_arrive_unchanged_in_active_directory(samba_dc, run_playbook):
    computer = 'hvinject'
    samba_dc.add_computer(computer, f'{computer}.{samba_dc.dns_domain}')
    # SPNs of the documented form service/host[:port][/name] whose parts carry the awkward characters.
    idn_host = 'ünïcødé-hv.hvlab.test'.encode('idna').decode('ascii')    # the A-label form a DNS name has on the wire
    services = ['MSSQLSvc/hv02.hvlab.test:1433/it\'s;$(x)`y`"z"', 'HTTP/hv02.hvlab.test/a`n b', f'HTTP/{idn_host}/{AWKWARD[4]}']
    options = {'computer': computer, 'ad_server': samba_dc.address, 'ad_username': samba_dc.admin_user,
               'ad_password': samba_dc.admin_password, 'ad_ca_cert': samba_dc.ca_path}
    tasks = [{'name': 'spns', 'hyperv.mobility.kerberos_delegation': dict(options, services=services), 'ignore_errors': True},
             {'name': 'not spns', 'hyperv.mobility.kerberos_delegation': dict(options, services=['cifs/' + '{{ item }}'], purge=True),
              'loop': AWKWARD[:3] + ['ünïcødé-hv.hvlab.test'], 'ignore_errors': True},
             {'name': 'control spn', 'hyperv.mobility.kerberos_delegation': dict(options, services=['HTTP/hv02.hvlab.test/a\nb'], purge=True),
              'ignore_errors': True}]
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}])
    written = run.task('spns')['localhost']
    assert not written.get('failed'), written['msg']
    refusals = run.task('not spns')['localhost']['results']
    assert len(refusals) == 4
    control = run.task('control spn')['localhost']
    assert control['failed'] and control['msg'].startswith('services[0] holds the character U+000A'), control
    for refused in refusals:
        # No host part an SPN can have (a Unicode host goes in its xn-- form): refused before anything is written,
        # with the value and the expected form.
        assert refused['failed'] and 'is not a service principal name' in refused['msg'] and refused['item'] in refused['msg'], refused
        assert TRACEBACK not in str(refused.get('exception', ''))
    server = ldap3.Server(samba_dc.address, port=636, use_ssl=True, tls=ldap3.Tls(ca_certs_file=samba_dc.ca_path), get_info=ldap3.NONE)
    with ldap3.Connection(server, user=samba_dc.admin_user, password=samba_dc.admin_password, auto_bind=True) as connection:
        connection.search(samba_dc.base_dn, f'(sAMAccountName={computer.upper()}$)', attributes=['msDS-AllowedToDelegateTo'])
        assert sorted(connection.entries[0]['msDS-AllowedToDelegateTo'].values) == sorted(services)
