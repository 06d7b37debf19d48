# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The skeleton the Site Recovery modules share (AsrResource.run / apply, poll_until), reading ARM documents and Retry-After parsing
(no network, no real sleeping)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import STATE_POLL_SECONDS, AsrResource, Operation
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import arm_property, fabric_type
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureTimeoutError, retry_after_seconds


class FakeModule:  # pylint: disable=too-few-public-methods
    def __init__(self, check_mode=False, **params):
        self.params = dict({'timeout': 60, 'poll_interval': None}, **params)
        self.check_mode = check_mode


class FakeClient:
    """check_vault / run_operation of SiteRecoveryClient, recording the calls; run_operation answers (document, done)."""

    def __init__(self, answer=(None, True)):
        self.calls = []
        self.answer = answer

    def check_vault(self):
        self.calls.append('check_vault')

    def run_operation(self, action, begin, *arguments, watch=None):  # pylint: disable=unused-argument  # the client waits through watch
        self.calls.append((action, begin, arguments))
        return self.answer


class Thing(AsrResource):
    """A resource whose state is one 'size' the options ask for; settle() marks what it was given."""

    key = 'thing'

    def __init__(self, module, client, current):
        super().__init__(module, client)
        self.current = current
        self.operations = 0

    def read(self):
        self.subject = 'thing t1'
        return self.current

    def desired(self, before):
        return before if before.get('size') == self.params['size'] else dict(before, size=self.params['size'])

    def operation(self, before, after):
        self.operations += 1
        return Operation('resize thing t1', 'begin_update', ('t1', after['size']), view=lambda document: {'size': document['properties']['size']})

    def settle(self, view):
        return dict(view, settled=True)


def test_nothing_to_change_is_one_read_and_changed_false():
    client = FakeClient()
    assert Thing(FakeModule(size=2), client, {'size': 2}).run() == {'changed': False, 'thing': {'size': 2, 'settled': True}}
    assert client.calls == ['check_vault']


def test_a_change_runs_the_one_operation_and_returns_what_azure_made():
    client = FakeClient(answer=({'properties': {'size': 3}}, True))
    result = Thing(FakeModule(size=3), client, {'size': 2}).run()
    assert client.calls == ['check_vault', ('resize thing t1', 'begin_update', ('t1', 3))]
    assert result == {'changed': True, 'thing': {'size': 3, 'settled': True}, 'operation_done': True,
                      'diff': {'before': {'size': 2}, 'after': {'size': 3, 'settled': True}, 'before_header': 'thing t1', 'after_header': 'thing t1'}}


def test_check_mode_predicts_without_building_the_operation_and_wait_false_keeps_the_prediction():
    client = FakeClient()
    thing = Thing(FakeModule(check_mode=True, size=3), client, {'size': 2})
    assert thing.run() == {'changed': True, 'thing': {'size': 3}, 'operation_done': False,
                           'diff': {'before': {'size': 2}, 'after': {'size': 3}, 'before_header': 'thing t1', 'after_header': 'thing t1'}}
    assert thing.operations == 0 and client.calls == ['check_vault']
    accepted = Thing(FakeModule(size=3), FakeClient(answer=(None, False)), {'size': 2}).run()  # wait=false: Azure accepted it
    assert accepted['thing'] == {'size': 3} and accepted['operation_done'] is False


class Failover(Thing):
    """A step of two operations (bring the VM up from another point, then commit) that also returns the point it chose."""

    key = 'vm'

    def operation(self, before, after):
        self.operations += 1
        return [Operation('apply point p1 to vm1', 'begin_apply_recovery_point', ('vm1', 'p1')),
                Operation('commit vm1', 'begin_failover_commit', ('vm1',), view=lambda document: {'size': document['properties']['size']})]

    def also_returned(self):
        return {'recovery_point': 'p1'}


class Answers(FakeClient):
    """run_operation answering each call from a list, in turn."""

    def __init__(self, *answers):
        super().__init__()
        self.answers = list(answers)

    def run_operation(self, action, begin, *arguments, watch=None):  # pylint: disable=unused-argument  # the client waits through watch
        self.calls.append(action)
        return self.answers.pop(0)


def test_a_list_of_operations_runs_in_order_and_the_last_one_makes_the_view():
    client = Answers(({'properties': {'size': 'ignored'}}, True), ({'properties': {'size': 3}}, True))
    result = Failover(FakeModule(size=3), client, {'size': 2}).run()
    assert client.calls == ['check_vault', 'apply point p1 to vm1', 'commit vm1']
    assert result['vm'] == {'size': 3, 'settled': True} and result['operation_done'] is True and result['recovery_point'] == 'p1'


def test_an_unfinished_operation_of_a_list_starts_none_after_it():
    client = Answers((None, False))
    result = Failover(FakeModule(size=3), client, {'size': 2}).run()  # wait=false: the point is being applied
    assert client.calls == ['check_vault', 'apply point p1 to vm1']
    assert result['vm'] == {'size': 3} and result['operation_done'] is False


def test_also_returned_goes_with_every_result():
    client = FakeClient()
    assert Failover(FakeModule(size=2), client, {'size': 2}).run() == {'changed': False, 'vm': {'size': 2, 'settled': True},
                                                                       'recovery_point': 'p1'}
    checked = Failover(FakeModule(check_mode=True, size=3), client, {'size': 2}).run()
    assert checked['recovery_point'] == 'p1' and checked['operation_done'] is False


def test_arm_property_reads_any_depth_and_missing_levels_are_none():
    fabric = {'properties': {'friendlyName': 'hq', 'customDetails': {'instanceType': 'HyperVSite'}}}
    assert arm_property(fabric, 'friendlyName') == 'hq' and fabric_type(fabric) == 'HyperVSite'
    assert arm_property(fabric) == fabric['properties']
    assert arm_property({}, 'customDetails', 'instanceType') is None and arm_property(None, 'x') is None
    assert arm_property({'properties': None}, 'x') is None and fabric_type({'properties': {'customDetails': None}}) is None


class Clock:
    """time.time / time.sleep stand-ins: sleeping moves the clock, and every sleep is recorded."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def reads(*answers):
    """read() answering (value, retry_after) from answers in turn."""
    pending = list(answers)
    return lambda: pending.pop(0)


def poll(resource, clock, answers, **keywords):
    return resource.poll_until('initial replication of app01', reads(*answers), lambda value: value == 'done',
                               sleep=clock.sleep, clock=clock.time, **keywords)


def test_default_interval_is_the_historic_two_seconds():
    clock = Clock()
    assert poll(AsrResource(FakeModule(), None), clock, [('busy', None), ('busy', None), ('done', None)]) == 'done'
    assert clock.slept == [STATE_POLL_SECONDS, STATE_POLL_SECONDS] == [2, 2]


def test_poll_interval_option_sets_the_wait_and_retry_after_wins():
    clock = Clock()
    resource = AsrResource(FakeModule(poll_interval=7), None)
    assert poll(resource, clock, [('busy', None), ('busy', 0.5), ('busy', 12), ('done', None)]) == 'done'
    assert clock.slept == [7, 0.5, 12]


def test_timeout_names_the_work_and_its_progress_and_never_sleeps_past_the_deadline():
    clock = Clock()
    resource = AsrResource(FakeModule(timeout=5, poll_interval=3), None)
    with pytest.raises(AzureTimeoutError) as raised:
        poll(resource, clock, [('busy', None), ('busy', None), ('busy', None)], progress=lambda value: '40% done')
    assert clock.slept == [3, 2]  # the second wait stops at the deadline
    assert raised.value.kind == 'timeout'
    assert raised.value.message == 'initial replication of app01 not finished after 5 seconds (40% done); it goes on in Azure.'


def test_changed_result_carries_the_step_the_diff_and_whether_azure_finished():
    result = AsrResource(FakeModule(), None).changed('policy', {'a': 1}, {'a': 2}, False, 'policy p')
    assert result == {'changed': True, 'policy': {'a': 2}, 'operation_done': False,
                      'diff': {'before': {'a': 1}, 'after': {'a': 2}, 'before_header': 'policy p', 'after_header': 'policy p'}}


@pytest.mark.parametrize('headers, seconds', [
    ({}, None),
    ({'retry-after': '4'}, 4.0),
    ({'retry-after-ms': '1500', 'retry-after': '9'}, 1.5),
    ({'x-ms-retry-after-ms': '250'}, 0.25),
    ({'retry-after': 'Thu, 01 Jan 1970 00:16:50 GMT'}, 10.0),  # an HTTP date, 10 s after now=1000
    ({'retry-after': 'soon'}, None),
    ({'retry-after': '-3'}, 0.0),
])
def test_retry_after_headers(headers, seconds):
    assert retry_after_seconds(headers, now=1000.0) == seconds
