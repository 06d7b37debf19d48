# -*- coding: utf-8 -*-
"""A task for several hosts (each_host): every entry checked before any host is run, each host run as a task of its own,
a failure reported in its place with what its journal applied, the task failing only when every host failed."""

import threading

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.each_host import (
    MAX_PARALLEL, each_host, entry_params, hosts_argument_spec)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    HypervModule, ModuleFailure, OptionError, Resource)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import HostConnectionError

from test_hyperv_module import BASE_ARGS, run_module, warned  # noqa: F401  pylint: disable=unused-import  # the warned fixture

SETTINGS = dict(size=dict(type='int', default=1), outcome=dict(type='str', default='ok'))
SPEC = dict(SETTINGS, **hosts_argument_spec(SETTINGS))


class Recorded(Resource):
    """Does what its options say, without any host: the framework's part is what is tested."""

    runs = []
    lock = threading.Lock()

    def validate(self):
        if self.params['size'] < 1:
            raise OptionError('size must be positive, got %d' % self.params['size'])

    def run(self, module):
        with self.lock:
            Recorded.runs.append(module.host)
        outcome = self.params['outcome']
        if outcome == 'refused':
            raise ModuleFailure('%s refused it' % module.host, why='a test')
        if outcome == 'half':
            module.journal.plan(['first', 'second'])
            module.journal.record(applied=['first'])
            raise ModuleFailure('second failed')
        if outcome == 'unreachable':
            raise HostConnectionError('connection refused', host=module.host)
        module.warn('careful')
        return dict(changed=outcome == 'changed', size=self.params['size'], diff=dict(before={'size': 0}, after={'size': self.params['size']}))


def run_task(capsys, hosts, **options):
    Recorded.runs = []
    args = dict(BASE_ARGS, hosts=hosts, **options)
    return run_module(capsys, args, lambda: HypervModule(argument_spec=SPEC).execute(each_host(Recorded)))


def test_each_host_runs_with_its_own_settings_and_reports_in_its_place(capsys, warned):  # pylint: disable=redefined-outer-name
    result, failed = run_task(capsys, [{'host': 'hv01', 'outcome': 'changed'}, {'host': 'hv02', 'outcome': 'refused'},
                                       {'host': 'hv03', 'size': 5}, {'host': 'hv04', 'outcome': 'half'}], size=2)
    assert not failed
    assert sorted(Recorded.runs) == ['hv01', 'hv02', 'hv03', 'hv04']
    hosts = result['hosts']
    assert hosts['hv01']['changed'] is True and hosts['hv01']['size'] == 2          # the task's option, for every host
    assert hosts['hv03'] == dict(changed=False, size=5, diff=hosts['hv03']['diff'])  # its entry's own setting
    assert hosts['hv02'] == {'failed': True, 'changed': False, 'msg': 'hv02 refused it', 'why': 'a test'}
    # A host that failed after a write says what was and was not applied, and counts as changed.
    assert hosts['hv04']['failed'] is True and hosts['hv04']['changed'] is True
    assert hosts['hv04']['applied'] == ['first'] and hosts['hv04']['not_applied'] == ['second']
    assert 'second failed (applied: first; not applied: second; run the task again to converge)' == hosts['hv04']['msg']
    assert result['failed_hosts'] == ['hv02', 'hv04'] and result['changed'] is True
    assert sorted(warned) == ['hv01: careful', 'hv03: careful']      # each host's warning, named


def test_a_connection_failure_names_the_host_and_fails_only_it(capsys):
    result, failed = run_task(capsys, [{'host': 'hv01', 'outcome': 'unreachable'}, {'host': 'hv02'}])
    assert not failed and result['failed_hosts'] == ['hv01']
    assert result['hosts']['hv01']['connection_error'] is True and result['hosts']['hv01']['host'] == 'hv01'
    assert result['hosts']['hv01']['msg'] == 'connection refused' and result['hosts']['hv02']['changed'] is False


def test_the_task_fails_when_every_host_failed_with_each_hosts_result(capsys):
    result, failed = run_task(capsys, [{'host': 'hv01', 'outcome': 'refused'}, {'host': 'hv02', 'outcome': 'refused'}])
    assert failed
    assert result['msg'] == 'no host could be configured: hv01: hv01 refused it; hv02: hv02 refused it'
    assert result['failed_hosts'] == ['hv01', 'hv02'] and result['hosts']['hv02']['msg'] == 'hv02 refused it'


def test_bad_input_for_any_host_fails_before_any_host_is_run(capsys):
    result, failed = run_task(capsys, [{'host': 'hv01'}, {'host': 'hv02', 'size': 0}, {'host': 'hv01'},
                                       {'host': 'hv03', 'connection': {'port': 70000}}])
    assert failed and Recorded.runs == []
    assert 'hosts names hv01 more than once' in result['msg']
    assert 'hosts[1] (hv02): size must be positive, got 0' in result['msg']
    assert 'hosts[3] (hv03): connection.port must be between 1 and 65535, got 70000 (host hv03)' in result['msg']


def test_parallel_is_checked_even_without_hosts(capsys):
    Recorded.runs = []
    result, failed = run_module(capsys, dict(BASE_ARGS, parallel=0), lambda: HypervModule(argument_spec=SPEC).execute(each_host(Recorded)))
    assert failed and result['msg'] == 'parallel must be between 1 and %d, got 0' % MAX_PARALLEL and Recorded.runs == []
    result, failed = run_module(capsys, dict(BASE_ARGS), lambda: HypervModule(argument_spec=SPEC).execute(each_host(Recorded)))
    assert not failed and Recorded.runs == ['hv01.hvlab.test']   # without hosts: the task's own host, as before


def test_diff_mode_gives_one_diff_per_changed_host_headed_with_its_name(capsys):
    Recorded.runs = []
    args = dict(BASE_ARGS, hosts=[{'host': 'hv01', 'outcome': 'changed'}, {'host': 'hv02'}], _ansible_diff=True)
    result, failed = run_module(capsys, args, lambda: HypervModule(argument_spec=SPEC).execute(each_host(Recorded)))
    assert not failed
    assert result['diff'] == [{'before': {'size': 0}, 'after': {'size': 1}, 'before_header': 'hv01', 'after_header': 'hv01'}]


def test_an_entry_takes_the_account_of_the_task_and_its_own_endpoint():
    params = dict(BASE_ARGS, hyperv_port=5986, size=1, outcome='ok', hosts=[], parallel=20)
    merged = entry_params(params, {'host': 'hv02', 'connection': None, 'size': None, 'outcome': 'changed'})
    assert merged['hyperv_host'] == 'hv02' and merged['hyperv_user'] == 'labadmin' and merged['hyperv_password'] == 's3cret'
    assert merged['outcome'] == 'changed' and merged['size'] == 1 and merged['hosts'] is None
    assert entry_params(params, {'host': 'hv02', 'connection': {'host': '10.0.0.2', 'port': 5985}})['hyperv_host'] == '10.0.0.2'
