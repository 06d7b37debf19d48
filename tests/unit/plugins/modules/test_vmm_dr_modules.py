# -*- coding: utf-8 -*-
"""Desired-state logic of the VMM to a secondary site modules: recovery plans, recovery points, the provider's and the agent's programs,
the VM heartbeat (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import id_segment
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.recovery import (
    boot_groups, choose_point, describe_points, failback_input, plan_action_body, plan_groups, plan_view, same_groups)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.provider_setup import program_option_problem, same_machine
from ansible_collections.hyperv.mobility.plugins.modules.asr_failover import option_problem
from ansible_collections.hyperv.mobility.plugins.modules.asr_recovery_plan import group_problem
from ansible_collections.hyperv.mobility.plugins.modules.asr_recovery_services_agent import agent_program
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HypervModule, ModuleFailure
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.heartbeat import heartbeat_ok
from ansible_collections.hyperv.mobility.plugins.modules.vm_start import wait_for_heartbeat

ITEM = ('/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/vmm01/replicationProtectionContainers/c1'
        '/replicationProtectedItems/app01')


def point(name, time, kind='CrashConsistent'):
    return {'id': ITEM + '/recoveryPoints/' + name, 'name': name, 'properties': {'recoveryPointTime': time, 'recoveryPointType': kind}}


POINTS = [point('rp1', '2026-01-01T01:00:00Z', 'ApplicationConsistent'), point('rp3', '2026-01-01T03:00:00Z'), point('rp2', '2026-01-01T02:00:00Z')]


@pytest.mark.parametrize('wanted, chosen', [
    ('latest', 'rp3'), ('latest_application_consistent', 'rp1'), ('RP2', 'rp2'), (ITEM + '/recoveryPoints/rp2', 'rp2'),
    ('/other/recoveryPoints/rp2', None), ('rp9', None),
])
def test_a_recovery_point_is_chosen_by_name_id_or_kind(wanted, chosen):
    found = choose_point(POINTS, wanted)
    assert (found['name'] if found else None) == chosen


def test_recovery_points_are_listed_newest_first_in_messages():
    assert describe_points(POINTS).startswith('rp3 (CrashConsistent, 2026-01-01T03:00:00Z), rp2')
    assert describe_points([]) == 'none'
    assert choose_point([point('rp1', 't')], 'latest_application_consistent') is None


def test_plan_groups_are_shutdown_failover_then_boot_groups_in_order():
    groups = plan_groups([['a', 'b'], ['c']])
    assert [group['groupType'] for group in groups] == ['Shutdown', 'Failover', 'Boot', 'Boot']
    plan = {'name': 'rp', 'properties': {'groups': groups, 'primaryFabricFriendlyName': 'vmm01', 'recoveryFabricFriendlyName': 'vmm01'}}
    assert boot_groups(plan) == [['a', 'b'], ['c']]
    assert same_groups([['A', 'b'], ['c']], boot_groups(plan)) and not same_groups([['c'], ['a', 'b']], boot_groups(plan))
    assert plan_view(plan)['groups'] == [{'vms': ['a', 'b']}, {'vms': ['c']}] and plan_view(None) == {}


def test_plan_action_bodies_follow_the_sdk_inputs():
    assert plan_action_body('commit', 'PrimaryToRecovery') is None and plan_action_body('reprotect', 'PrimaryToRecovery') is None
    assert plan_action_body('unplanned_failover', 'PrimaryToRecovery', shut_down_source=True) == {
        'properties': {'failoverDirection': 'PrimaryToRecovery', 'sourceSiteOperations': 'Required'}}
    assert plan_action_body('test_failover', 'RecoveryToPrimary')['properties']['networkType'] == 'NoNetworkAttachAsInput'
    to_azure = plan_action_body('planned_failover', 'PrimaryToRecovery', point_type='latest_application_consistent')
    assert to_azure['properties']['providerSpecificDetails'] == [{'instanceType': 'HyperVReplicaAzure', 'recoveryPointType': 'LatestApplicationConsistent'}]
    assert plan_action_body('test_failover_cleanup', 'PrimaryToRecovery', comments='ok') == {'properties': {'comments': 'ok'}}
    failback = plan_action_body('planned_failover', 'RecoveryToPrimary', failback=failback_input('minimize_downtime', False))
    assert failback == {'properties': {'failoverDirection': 'RecoveryToPrimary', 'providerSpecificDetails': [
        {'instanceType': 'HyperVReplicaAzureFailback', 'dataSyncOption': 'ForDownTime', 'recoveryVmCreationOption': 'NoAction'}]}}
    assert failback_input('full_download', True) == {'instanceType': 'HyperVReplicaAzureFailback', 'dataSyncOption': 'ForSynchronization',
                                                     'recoveryVmCreationOption': 'CreateVmIfNotFound'}


def test_arm_id_segments():
    assert id_segment(ITEM, 'replicationFabrics') == 'vmm01' and id_segment(ITEM, 'REPLICATIONPROTECTIONCONTAINERS') == 'c1'
    assert id_segment(ITEM, 'replicationNetworks') is None and id_segment('/a/replicationFabrics', 'replicationFabrics') is None


def failover_params(**overrides):
    params = dict(name='app01', site='vmm01', recovery_plan=None, action='commit', recovery_point=None, recovery_point_type=None,
                  direction='primary_to_recovery')
    params.update(overrides)
    return params


@pytest.mark.parametrize('overrides, fragment', [
    (dict(site=None), 'site is required with name'),
    (dict(name=None, recovery_plan='rp', recovery_point='rp1'), 'recovery_point picks a point of one VM'),
    (dict(recovery_point_type='latest'), 'recovery_point_type applies to recovery plans'),
    (dict(action='reprotect', recovery_point='rp1'), 'recovery_point applies to test_failover, planned_failover, unplanned_failover, commit'),
    (dict(action='planned_failover', recovery_point='rp1', direction='recovery_to_primary'), 'a failback (direction=recovery_to_primary)'),
    (dict(name=None, recovery_plan='rp', action='commit', recovery_point_type='latest'), 'recovery_point_type applies to test_failover'),
])
def test_failover_options_refused_together(overrides, fragment):
    assert fragment in option_problem(failover_params(**overrides))


def test_failover_options_accepted():
    assert option_problem(failover_params(recovery_point='rp1')) is None
    assert option_problem(failover_params(name=None, recovery_plan='rp', action='unplanned_failover', recovery_point_type='latest')) is None


@pytest.mark.parametrize('groups, fragment', [
    ([], 'at least one group'), ([{'vms': []}], 'groups[1].vms is empty'), ([{'vms': ['a']}, {'vms': ['A']}], "VM 'A' is in more than one group"),
])
def test_plan_groups_option(groups, fragment):
    assert fragment in group_problem(groups)
    assert group_problem([{'vms': ['a', 'b']}, {'vms': ['c']}]) is None


def program_params(**overrides):
    params = dict(installer_path='C:\\ASR', vault_credentials_path='C:\\ASR\\key', proxy_address=None, proxy_port=None, proxy_username=None,
                  proxy_password=None, state='present', install_path=None, cache_path=None)
    params.update(overrides)
    return params


@pytest.mark.parametrize('overrides, fragment', [
    (dict(vault_credentials_path=None), 'state=present needs vault_credentials_path'),
    (dict(proxy_address='p'), 'proxy_address and proxy_port go together'),
    (dict(proxy_address='p', proxy_port=8080, proxy_username='u'), 'proxy_username and proxy_password go together'),
    (dict(proxy_username='u', proxy_password='x'), 'proxy_username needs proxy_address'),
    (dict(proxy_address='p', proxy_port=0), 'proxy_port must be between 1 and 65535'),
    (dict(installer_path='C:\\"x'), 'installer_path cannot contain a double quote'),
    (dict(proxy_address='p', proxy_port=1, proxy_username='u', proxy_password='a"b'),
     'proxy_password cannot contain a double quote or a control character (it becomes a program argument): (hidden)'),
])
def test_program_options(overrides, fragment):
    assert fragment in program_option_problem(program_params(**overrides), ('installer_path', 'vault_credentials_path'),
                                              ('installer_path', 'proxy_password'))


def test_agent_command_lines_mask_the_proxy_password():
    program = agent_program(program_params(install_path='D:\\MARS', proxy_address='proxy', proxy_port=3128, proxy_username='svc', proxy_password='pw'))
    assert program.display() == 'C:\\ASR\\MARSAgentInstaller.exe /q /nu /p:D:\\MARS /ph:proxy /po:3128 /pu:svc ********'
    assert agent_program(program_params(installer_path='C:\\x\\MARSAgentInstaller.exe', state='absent')).arguments == ['/q', '/d']


@pytest.mark.parametrize('name, wanted, same', [
    ('hv03.hvlab.test', 'hv03', True), ('HV03', 'hv03.hvlab.test', True), ('hv03.hvlab.test', 'HV03.HVLAB.TEST', True),
    ('hv030.hvlab.test', 'hv03', False), (None, 'hv03', False),
])
def test_machine_names_match_short_and_full(name, wanted, same):
    assert same_machine(name, wanted) is same


class FakeModule:
    """What wait_for_heartbeat uses of HypervModule: params, host, the skeleton's wait_until and the reads (here: a list of answers)."""

    wait_until = HypervModule.wait_until

    def __init__(self, answers, timeout=10):
        self.params = dict(name='vmm01', timeout=timeout, poll_interval=2)
        self.host = 'hv02'
        self.answers = list(answers)


def test_the_heartbeat_is_awaited_until_ok_or_the_timeout(monkeypatch):
    from ansible_collections.hyperv.mobility.plugins.modules import vm_start
    assert heartbeat_ok('OkApplicationsHealthy') and not heartbeat_ok('NoContact') and not heartbeat_ok(None)
    clock = {'now': 0.0}
    module = FakeModule([dict(name='vmm01', state='Running', heartbeat='NoContact'), dict(name='vmm01', state='Running', heartbeat='OkApplicationsUnknown')])
    monkeypatch.setattr(vm_start, 'read_vm', lambda m: m.answers.pop(0))
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock['now'] += seconds
    view = wait_for_heartbeat(module, dict(name='vmm01', state='Running', heartbeat='NoContact'), True, sleep=sleep, clock=lambda: clock['now'])
    assert view['heartbeat'] == 'OkApplicationsUnknown' and sleeps == [2, 2]
    stuck = FakeModule([dict(name='vmm01', state='Running', heartbeat='NoContact')] * 10, timeout=5)
    with pytest.raises(ModuleFailure) as failed:
        wait_for_heartbeat(stuck, dict(name='vmm01', state='Running', heartbeat='NoContact'), True, sleep=sleep, clock=lambda: clock['now'])
    assert 'not up and running' in failed.value.msg and failed.value.details['changed'] is True
