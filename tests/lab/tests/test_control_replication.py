"""POST /replication on the control endpoint: Hyper-V Replica's simulated time driven over HTTP by LabControl."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import datetime

import pytest

from hvlab.model import firewall
from hvlab.model import replication as model
from hvlab.control import ControlError
from hvlab.engine import Command, Identity
from transport_helpers import lab, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order

IDENTITY = Identity('labadmin', 'basic', 'psrp')


def run(host, name, **parameters):
    execution = host.execute([[Command(name, list(parameters.items()))]], IDENTITY)
    assert not execution.errors, [error.message for error in execution.errors]
    return execution.output


def replicate_first_vm(world):
    """hv02 becomes a Kerberos Replica server open to hv01; hv01's first VM starts its initial replication."""
    primary, replica = world.hosts[0], world.hosts[1]
    run(replica, 'Set-VMReplicationServer', ReplicationEnabled=True, AllowedAuthenticationType='Kerberos',
        ReplicationAllowedFromAnyServer=True, DefaultStorageLocation='D:\\Replica')
    run(replica, 'Enable-NetFirewallRule', Name=[firewall.HTTP_LISTENER_RULE], Confirm=False)
    vm = primary.vms[0]
    run(primary, 'Enable-VMReplication', VMName=[vm.name], ReplicaServerName=replica.fqdn, ReplicaServerPort=80,
        AuthenticationType='Kerberos')
    run(primary, 'Start-VMInitialReplication', VMName=[vm.name])
    return vm.name


def relationship(lab, host, vm_name):
    return lab.control.host_state(host)['replication']['relationships'][vm_name]


def test_replication_route_advances_the_clock_writes_and_faults(lab):
    vm_name = replicate_first_vm(lab.world)
    before = lab.control.replication()
    assert before['speed'] == 0
    clock = datetime.datetime.fromisoformat(before['clock'])

    after = lab.control.replication(advance_seconds=model.INITIAL_REPLICATION_SECONDS)
    assert datetime.datetime.fromisoformat(after['clock']) - clock == datetime.timedelta(seconds=model.INITIAL_REPLICATION_SECONDS)
    assert relationship(lab, 'hv01', vm_name)['state'] == 'Replicating'

    lab.control.replication(write={'host': 'hv01', 'vm': vm_name, 'count': 2})
    lab.control.replication(fault={'host': 'hv01', 'vm': vm_name, 'kind': 'network'}, advance_seconds=300)
    primary = relationship(lab, 'hv01', vm_name)
    assert (primary['health'], primary['fault']) == ('Warning', 'network')

    lab.control.replication(fault={'host': 'hv01', 'vm': vm_name, 'kind': None}, advance_seconds=300)
    assert relationship(lab, 'hv01', vm_name)['health'] == 'Normal'
    primary_vm = lab.world.hosts[0].vms[0]
    assert model.find_vm_by_id(lab.world.hosts[1], primary_vm.vm_id).data_version == primary_vm.data_version

    assert lab.control.replication(speed=30)['speed'] == 30
    assert lab.control.replication(speed=0)['speed'] == 0


def test_replication_route_refuses_bad_requests(lab):
    with pytest.raises(ControlError) as unknown_field:
        lab.control.replication(rewind_seconds=10)
    assert unknown_field.value.status == 400
    assert 'rewind_seconds' in unknown_field.value.message
    with pytest.raises(ControlError) as backwards:
        lab.control.replication(advance_seconds=-1)
    assert backwards.value.status == 400
    with pytest.raises(ControlError) as no_vm:
        lab.control.replication(write={'host': 'hv01', 'vm': 'no-such-vm'})
    assert no_vm.value.status == 400 and 'no-such-vm' in no_vm.value.message
