# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lab helpers of the vm_replication / vm_failover integration tests.

``reset_replication`` brings every host back to its seeded state: no replication relationship (removed with the real
Remove-VMReplication over PSRP, the only way a relationship goes away, as on Windows), the seeded VMs (which drops replica
and test-failover VMs and resets data versions), Hyper-V's default Replica server settings and firewall rules, and the
replication clock in manual mode. ``make_replica_server`` prepares a host as a Kerberos Replica server through the lab's
control endpoint (the replica_server module has its own tests).
"""

from __future__ import annotations

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

HTTP_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
HTTPS_RULE = 'VIRT-HVRHTTPSL-In-TCP-NoScope'
DEFAULT_LOCATION = 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'
FRESH_REPLICA_SERVER = {'enabled': False, 'allowed_authentication_type': 'Kerberos', 'kerberos_port': 80, 'certificate_port': 443,
                        'certificate_thumbprint': None, 'allow_any_server': True, 'default_storage_location': DEFAULT_LOCATION,
                        'authorization_entries': []}
FRESH_FIREWALL = {HTTP_RULE: {'enabled': False}, HTTPS_RULE: {'enabled': False}}

_SEEDED: dict[str, list] = {}


def run_cmdlet(lab, host_name: str, name: str, **parameters) -> list:
    """One cmdlet on a lab host over real PSRP (HTTPS, basic auth, the lab's CA)."""
    host = lab.host(host_name)
    wsman = WSMan(host['address'], port=host['https_port'], username='labadmin', password=lab.password, ssl=True, auth='basic',
                  cert_validation=lab.ca_path)
    with wsman, RunspacePool(wsman) as pool:
        shell = PowerShell(pool)
        shell.add_cmdlet(name)
        for key, value in parameters.items():
            shell.add_parameter(key, value)
        output = shell.invoke()
        assert not shell.had_errors and not shell.streams.error, [str(error) for error in shell.streams.error]
        return output


def seeded_vms(lab, host_name: str) -> list:
    if host_name not in _SEEDED:
        vms = lab.control.host_state(host_name)['vms']
        _SEEDED[host_name] = [vm for vm in vms if not vm['name'].endswith(' - Test') and vm['name'].startswith(host_name + '-')]
    return _SEEDED[host_name]


def reset_replication(lab) -> None:
    lab.control.replication(speed=0)
    for host in lab.hosts:  # a test of another file may have left a host without the role (the lab is shared per worker)
        lab.control.patch_host(host['name'], hyperv_installed=True)
    for host in lab.hosts:
        seeded_vms(lab, host['name'])
    for host in lab.hosts:
        if lab.control.host_state(host['name'])['replication']['relationships']:
            run_cmdlet(lab, host['name'], 'Remove-VMReplication', VMName='*')
    for host in lab.hosts:
        lab.control.patch_host(host['name'], vms=seeded_vms(lab, host['name']), replica_server=FRESH_REPLICA_SERVER,
                               firewall_rules=FRESH_FIREWALL)
    lab.control.clear_faults()
    lab.control.reset_counters()


def make_replica_server(lab, host_name: str, **changes) -> None:
    """Kerberos Replica server on port 80 accepting any authenticated server into D:\\Replica, its HTTP listener rule open."""
    settings = dict(FRESH_REPLICA_SERVER, enabled=True, default_storage_location='D:\\Replica')
    settings.update(changes)
    lab.control.patch_host(host_name, replica_server=settings, firewall_rules={HTTP_RULE: {'enabled': True}, HTTPS_RULE: {'enabled': True}})


def add_data_disk(lab, host_name: str, vm_name: str) -> list[str]:
    """Give the VM a second (data) disk; returns the VM's disk paths, system disk first."""
    disks = vm(lab, host_name, vm_name)['disks']
    data = dict(disks[0], path='D:\\Data\\%s-data.vhdx' % vm_name, controller_location=1)
    lab.control.patch_host(host_name, vms={vm_name: {'disks': disks + [data]}})
    return [disk['path'] for disk in disks + [data]]


def relationship(lab, host_name: str, vm_name: str) -> dict | None:
    return lab.control.host_state(host_name)['replication']['relationships'].get(vm_name)


def vm(lab, host_name: str, vm_name: str) -> dict | None:
    return next((item for item in lab.control.host_state(host_name)['vms'] if item['name'] == vm_name), None)


def writes(lab, host_name: str) -> dict:
    """Commands other than reads (Get-/Test-/Measure-/Compare-/Select-) that reached the host since the counters were reset."""
    commands = lab.control.counters()[host_name]['commands']
    return {name: count for name, count in commands.items()
            if name.split('-')[0].lower() not in ('get', 'test', 'measure', 'compare', 'select')}


def task_play(module: str, options: dict, hosts: str, name: str = 'task') -> list:
    return [{'hosts': hosts, 'gather_facts': False,
             'tasks': [{'name': name, 'hyperv.mobility.' + module: options, 'ignore_errors': True}]}]
