# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: when each task started, written as JSON to $HVBENCH_TIMELINE at the end of the run.

benchmarks/benchlab.py enables it for every measured ansible-playbook run; requests logged with a time (the fake Azure's
request log) are then attributed to the task that was running (the linear strategy runs one task at a time).
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timeline
type: aggregate
short_description: task start times for the benchmarks (benchmarks only)
description:
  - Writes [{time, task, action}] of every task and handler start, and the end of the run, to the file named by HVBENCH_TIMELINE.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""


class CallbackModule(CallbackBase):
    """Record the start of every task and handler."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timeline'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display)
        self.events = []
        self.path = os.environ.get('HVBENCH_TIMELINE')

    def _started(self, task):
        self.events.append({'time': time.time(), 'task': task.get_name(), 'action': task.action})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._started(task)

    def v2_playbook_on_stats(self, stats):
        self.events.append({'time': time.time(), 'task': None, 'action': 'end of run'})
        if self.path:
            with open(self.path, 'w', encoding='utf-8') as handle:
                json.dump(self.events, handle)
