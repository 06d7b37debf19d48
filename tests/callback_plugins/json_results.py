# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only stdout callback: the whole playbook run as one JSON document on stdout.

ansible-core ships no JSON stdout callback (ansible.posix.json is not installed here), so the
``run_playbook`` fixture in tests/conftest.py loads this one through ANSIBLE_CALLBACK_PLUGINS.
The document has the shape of ansible.posix.json: ``{"plays": [{"play", "tasks": [{"task", "hosts"}]}], "stats"}``.
Unlike the screen callbacks it keeps ``diff``, ``warnings``, ``deprecations`` and ``exception`` in each result.
"""

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: json_results
type: stdout
short_description: the playbook run as one JSON document (tests only)
description:
  - Prints plays, tasks, per-host results and stats as one JSON document when the playbook ends.
"""

# Keys that CallbackBase._dump_results drops for screen output but tests assert on.
KEPT_KEYS = ('diff', 'warnings', 'deprecations', 'exception')


class CallbackModule(CallbackBase):
    """Collect every result and print them as JSON at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'json_results'

    def __init__(self, display=None):
        super().__init__(display)
        self.plays = []
        self.tasks_by_id = {}

    def _start_task(self, task):
        entry = {'task': {'name': task.get_name(), 'action': task.action, 'id': str(task._uuid)}, 'hosts': {}}
        self.tasks_by_id[entry['task']['id']] = entry
        self.plays[-1]['tasks'].append(entry)

    def _record(self, result, **status):
        plain = self._dump_results(result.result, keep_invocation=True, serialize=False)
        plain.update({key: result.result[key] for key in KEPT_KEYS if key in result.result})
        plain.update(status)
        entry = self.tasks_by_id.get(str(result.task._uuid))
        if entry is None:  # a result for a task that never announced itself (e.g. a failed include)
            self._start_task(result.task)
            entry = self.tasks_by_id[str(result.task._uuid)]
        entry['hosts'][result.host.get_name()] = plain

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name(), 'id': str(play._uuid)}, 'tasks': []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start_task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start_task(task)

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True, ignored=bool(ignore_errors))

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        document = {'plays': self.plays, 'stats': summary}
        self._display.display(json.dumps(document, default=str, sort_keys=True))
