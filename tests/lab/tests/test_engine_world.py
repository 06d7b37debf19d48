"""The world: seeding, lookups, to_state/patch, thread safety."""

import json
import threading

import pytest

from hvlab.engine import Command, Identity
from hvlab.model.world import World

IDENTITY = Identity('labadmin', 'ntlm', 'psrp')


def test_create_seeds_hosts_addresses_and_vms():
    world = World.create(3)
    assert [(h.name, h.address, h.fqdn, h.domain) for h in world.hosts] == [
        ('hv01', '127.0.10.1', 'hv01.hvlab.test', 'hvlab.test'),
        ('hv02', '127.0.10.2', 'hv02.hvlab.test', 'hvlab.test'),
        ('hv03', '127.0.10.3', 'hv03.hvlab.test', 'hvlab.test'),
    ]
    names = [vm.name for host in world.hosts for vm in host.vms]
    assert len(names) == len(set(names))
    assert all(2 <= len(host.vms) <= 3 for host in world.hosts)
    assert all(name.startswith(host.name + '-') for host in world.hosts for name in (vm.name for vm in host.vms))
    state = world.hosts[0].to_state()
    assert state['os_caption'].startswith('Microsoft Windows Server 2022') and state['os_version'] == '10.0.20348'


def test_create_two_digit_names_and_limits():
    world = World.create(12)
    assert world.hosts[-1].name == 'hv12' and world.hosts[-1].address == '127.0.10.12'
    with pytest.raises(ValueError):
        World.create(0)


def test_lookup_by_address_and_name():
    world = World.create(2)
    assert world.get_host_by_address('127.0.10.2') is world.hosts[1]
    assert world.get_host_by_address('127.0.10.9') is None
    assert world.get_host_by_name('HV02.hvlab.test') is world.hosts[1]


def test_to_state_is_json_and_round_trips_through_patch():
    world = World.create(2)
    source, target = world.hosts[0], world.hosts[1]
    state = json.loads(json.dumps(source.to_state()))
    movable = {key: value for key, value in state.items()
               if key not in ('name', 'fqdn', 'address', 'os_caption', 'os_version', 'hyperv_installed')}
    target.patch(movable)
    copied = target.to_state()
    for key in movable:
        assert copied[key] == state[key], key


def test_patch_breaks_one_thing_at_a_time():
    host = World.create(1).hosts[0]
    host.patch({'domain': None})
    assert host.fqdn == 'hv01' and host.to_state()['domain'] is None
    host.patch({'migration': {'enabled': True}})
    assert host.migration.enabled is True and host.migration.authentication_type == 'CredSSP'
    host.patch({'migration_networks': [{'subnet': '10.0.0.0/8', 'priority': 2}]})
    output = host.execute([[Command('Get-VMMigrationNetwork', [])]], IDENTITY).output
    assert [(n['Subnet'], n['Priority']) for n in output] == [('10.0.0.0/8', 2)]
    host.patch({'vms': {'hv01-web': {'version': '9.0', 'state': 'Off'}}})
    web = host.execute([[Command('Get-VM', [('Name', 'hv01-web')])]], IDENTITY).output[0]
    assert web['Version'] == '9.0' and web['State'].name == 'Off'


def test_patch_rejects_bad_input_and_leaves_the_host_unchanged():
    host = World.create(1).hosts[0]
    before = host.to_state()
    for bad in ({'migration': {'enabled': True, 'authentication_type': 'NTLM'}},
                {'bogus': 1},
                {'address': '127.0.10.9'},
                {'migration_networks': [{'subnet': 'nope'}]},
                {'vms': {'ghost': {'state': 'Off'}}},
                {'domain': None, 'default_vm_version': '99.0'}):
        with pytest.raises(ValueError):
            host.patch(bad)
        assert host.to_state() == before, bad


def test_patch_replaces_vm_list():
    host = World.create(1).hosts[0]
    host.patch({'vms': [{'name': 'solo', 'version': '8.0', 'state': 'Running', 'processor_compatibility': True}]})
    state = host.to_state()['vms']
    assert [(vm['name'], vm['version'], vm['processor_compatibility']) for vm in state] == [('solo', '8.0', True)]


def test_execute_is_serialised_by_the_world_lock():
    world = World.create(2)
    host = world.hosts[0]
    failures = []

    def add_networks(offset):
        for index in range(50):
            execution = host.execute([[Command('Add-VMMigrationNetwork', [('Subnet', f'10.{offset}.{index}.0/24')])]], IDENTITY)
            failures.extend(execution.errors)

    threads = [threading.Thread(target=add_networks, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(host.migration_networks) == 200


def test_injected_command_failure_fails_that_cmdlet_once_like_a_vmms_failure():
    world = World.create(1)
    host = world.hosts[0]
    host.patch({'failing_commands': {'Set-VMHost': 1}})
    identity = Identity(user='labadmin', auth='ntlm', transport='psrp')
    failed = host.execute([[Command('Enable-VMMigration', [])], [Command('Set-VMHost', [('MaximumVirtualMachineMigrations', 5)])]], identity)
    assert [error.fully_qualified_error_id for error in failed.errors] == ['OperationFailed,Microsoft.HyperV.PowerShell.Commands.SetVMHost']
    assert failed.errors[0].exception_type == 'Microsoft.HyperV.PowerShell.VirtualizationException'
    assert host.migration.enabled is True and host.migration.maximum_vm_migrations == 2
    assert host.to_state()['failing_commands'] == {}
    again = host.execute([[Command('Set-VMHost', [('MaximumVirtualMachineMigrations', 5)])]], identity)
    assert again.errors == [] and host.migration.maximum_vm_migrations == 5


def test_failing_commands_must_name_documented_cmdlets():
    world = World.create(1)
    with pytest.raises(ValueError, match="failing_commands: 'Format-Disk' is not a documented cmdlet"):
        world.hosts[0].patch({'failing_commands': {'Format-Disk': 1}})
