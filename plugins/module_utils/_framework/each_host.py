# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One task for several hosts: each host's resource runs as a task of its own would, in a thread, in one module process.

A module process costs the controller about a CPU-second before it reaches any host (Python, AnsiballZ, ansible-core's
module wrapper, the collection's imports: docs/performance.md, "What one task run costs the controller"); a play that runs
a module on each of N hosts pays that N times. A task run once with ``hosts`` pays it once (issue 19). Each host gets a
HostRun: the part of HypervModule a resource uses (its own session, the journal of its writes, its warnings, check and diff
mode) whose fail() raises HostRunFailed instead of exiting, so a host that fails is reported in its place, with what was
and was not applied, while the others go on.

Every host's options are checked before any connection: bad input for one host fails the task and changes nothing anywhere.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    HostRunFailed, HypervModule, Journal, ModuleFailure, OptionError, Params, Resource, built, error_details, run_resource,
    with_journal)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import peer_params
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import HostError
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import CONNECTION_SUBOPTIONS, ConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession, missing_library

# Bounds of the option ``parallel``: a session (one TLS connection, a thread) per host at once.
MAX_PARALLEL = 256


def hosts_argument_spec(settings: Mapping[str, Any]) -> Params:
    """The ``hosts`` and ``parallel`` options of a module whose settings (the suboptions besides host and connection, each
    overriding the task's option of the same name for its host, unset by default) can be given per host."""
    suboptions = dict(host=dict(type='str', required=True), connection=dict(type='dict', options=CONNECTION_SUBOPTIONS))
    for name, spec in settings.items():
        suboptions[name] = dict((key, value) for key, value in spec.items() if key != 'default')
    return dict(hosts=dict(type='list', elements='dict', options=suboptions),
                parallel=dict(type='int', default=20))


class HostRun:
    """One host of a task for several hosts, as a resource sees its module: session, journal, warnings, check and diff mode."""

    def __init__(self, module: HypervModule, params: Params) -> None:
        self.params = params
        self.check_mode = module.check_mode
        self.diff_mode = module.diff_mode
        self.journal = Journal()
        self.warnings: List[str] = []
        self._session: Optional[HostSession] = None

    @property
    def host(self) -> Optional[str]:
        return self.params.get('hyperv_host')

    @property
    def session(self) -> HostSession:
        if self._session is None:
            self._session = HostSession(ConnectionOptions.from_params(self.params))
        return self._session

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def fail(self, msg: str, **details: Any) -> None:
        self.close()
        msg, details = with_journal(self.journal, msg, details)
        raise HostRunFailed(msg, **details)

    def fail_from_error(self, exc: HostError, msg: Optional[str] = None, **details: Any) -> None:
        self.fail(msg or exc.message, **dict(details, **error_details(exc, self.host)))


def entry_params(params: Mapping[str, Any], entry: Mapping[str, Any]) -> Params:
    """One host's options: the task's, its entry's settings where set, and its connection (the account keys it leaves out
    taken from the task's own hyperv_* options, as for a destination)."""
    merged = dict(params, hosts=None)
    for key, value in entry.items():
        if key not in ('host', 'connection') and value is not None:
            merged[key] = value
    merged.update(peer_params(params, entry['host'], entry.get('connection')))
    return merged


def prepared(module: HypervModule, factory: Callable[[Params], Resource], entries: Sequence[Mapping[str, Any]]) -> List[Tuple[str, Params, Resource]]:
    """(name, params, resource) of each entry, every entry's options and connection checked first; OptionError naming
    hosts[i] and its host for every entry that cannot work."""
    names = [entry['host'] for entry in entries]
    problems = ['hosts names %s more than once' % name for name in sorted(set(name for name in names if names.count(name) > 1))]
    runs = []
    for index, entry in enumerate(entries):
        where = 'hosts[%d] (%s)' % (index, entry['host'])
        params = entry_params(module.params, entry)
        try:
            options = ConnectionOptions.from_params(params)
        except ValueError as exc:
            problems.append('%s: connection: %s' % (where, exc))
            continue
        missing = missing_library(options.transport)
        if missing:
            problems.append('%s: %s' % (where, missing_required_lib(missing[0])))
        problems.extend('%s: %s' % (where, problem) for problem in options.problems('connection.'))
        try:
            runs.append((entry['host'], params, built(factory, params)))
        except ModuleFailure as exc:
            problems.append('%s: %s' % (where, exc.msg))
    if problems:
        raise OptionError('; '.join(problems))
    return runs


def run_each(module: HypervModule, factory: Callable[[Params], Resource], entries: Sequence[Mapping[str, Any]], parallel: int) -> Params:
    """Run factory's resource on each host of entries (at most ``parallel`` at once) and gather their results.

    Returns the task's result: ``hosts`` (each host's result under its name, with the keys a task on that host returns, or
    ``failed`` and ``msg`` with the failure's details), ``failed_hosts`` in the order given, ``changed`` when any host
    changed (a failed host too, when its journal says something was applied), each host's warnings prefixed with its name,
    and with diff mode one diff per changed host. Raises ModuleFailure (with the same keys) when every host failed.
    """
    runs = prepared(module, factory, entries)

    def one(run: Tuple[str, Params, Resource]) -> Tuple[Params, List[str]]:
        host_run = HostRun(module, run[1])
        try:
            result = run_resource(run[2], host_run)
        except HostRunFailed as exc:
            result = dict(exc.details, failed=True, msg=exc.msg)
            result.setdefault('changed', False)
        finally:
            host_run.close()
        return result, host_run.warnings

    with ThreadPoolExecutor(max_workers=min(parallel, max(len(runs), 1))) as pool:
        outcomes = list(pool.map(one, runs))
    results: Dict[str, Params] = {}
    failed, diffs = [], []
    for (name, _params, _resource), (result, warnings) in zip(runs, outcomes, strict=True):
        results[name] = result
        for warning in warnings:
            module.warn('%s: %s' % (name, warning))
        if result.get('failed'):
            failed.append(name)
        elif result.get('changed') and 'diff' in result:
            diffs.append(dict(result['diff'], before_header=name, after_header=name))
    report: Params = dict(changed=any(result.get('changed') for result in results.values()), hosts=results, failed_hosts=failed)
    if module.diff_mode:
        report['diff'] = diffs
    if runs and len(failed) == len(runs):
        raise ModuleFailure('no host could be configured: %s' % '; '.join('%s: %s' % (name, results[name]['msg']) for name in failed),
                            **report)
    return report


class EachHost(Resource):
    """The resource of a task with ``hosts``: the host resource of each entry, run by run_each."""

    def __init__(self, params: Params, factory: Callable[[Params], Resource]) -> None:
        super().__init__(params)
        self.factory = factory

    def run(self, module: HypervModule) -> Params:
        return run_each(module, self.factory, self.params['hosts'], self.params['parallel'])


def each_host(factory: Callable[[Params], Resource]) -> Callable[[Params], Resource]:
    """The factory of a module that takes ``hosts``: EachHost when the task gives hosts, else factory's own resource."""
    def build(params: Params) -> Resource:
        parallel = params['parallel']
        if not 1 <= parallel <= MAX_PARALLEL:
            raise OptionError('parallel must be between 1 and %d, got %d' % (MAX_PARALLEL, parallel))
        if params.get('hosts') is not None:
            return EachHost(params, factory)
        return factory(params)
    return build
