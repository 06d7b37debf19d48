# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recipe of the guide "Test your own role against the lab" (docs/docsite/rst/guide_test_your_role.rst), followed as a user
follows it: a role of one's own outside this repository, a scenario copied from extensions/molecule, HVLAB_PATH set, `molecule test`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import LAB_ROOT, REPO_ROOT  # pylint: disable=import-error

ROLE_TASKS = """---
- name: Prepare the host for live migration the way this team does it
  ansible.builtin.include_role:
    name: hyperv.mobility.live_migration_host
  vars:
    live_migration_networks:
      - subnet: 192.168.10.0/24
        priority: 1
      - subnet: 2001:db8:10::/64
        priority: 2
"""
ROLE_META = """---
galaxy_info:
  author: someone
  namespace: example
  role_name: my_role
  description: A role of one's own that uses hyperv.mobility.
  license: GPL-3.0-or-later
  min_ansible_version: "2.18"
dependencies: []
"""


def test_a_copied_scenario_tests_a_role_of_ones_own(tmp_path, collections_root):
    role = tmp_path / 'my_role'
    (role / 'tasks').mkdir(parents=True)
    (role / 'meta').mkdir()
    (role / 'tasks' / 'main.yml').write_text(ROLE_TASKS, encoding='utf-8')
    (role / 'meta' / 'main.yml').write_text(ROLE_META, encoding='utf-8')
    # The guide's steps: copy the scenario, then point converge.yml at the role.
    scenario = role / 'molecule' / 'default'
    shutil.copytree(REPO_ROOT / 'extensions' / 'molecule' / 'live_migration_host', scenario)
    converge = scenario / 'converge.yml'
    text = converge.read_text(encoding='utf-8')
    assert 'role: hyperv.mobility.live_migration_host' in text
    converge.write_text("---\n- name: Converge\n  hosts: hyperv_hosts\n  gather_facts: false\n  roles:\n    - role: example.my_role\n", encoding='utf-8')

    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get('PATH', '')])
    environment = dict(os.environ, HVLAB_PATH=str(LAB_ROOT), ANSIBLE_COLLECTIONS_PATH=str(collections_root), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                       ANSIBLE_HOME=str(tmp_path / 'ansible-home'), ANSIBLE_NOCOLOR='1', PATH=path)
    environment.pop('MOLECULE_EPHEMERAL_DIRECTORY', None)
    run = subprocess.run([str(Path(sys.executable).parent / 'molecule'), 'test'], cwd=str(role), env=environment, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, check=False, timeout=900)
    output = re.sub(r'\x1b\[[0-9;]*m', '', run.stdout + run.stderr)
    assert run.returncode == 0, output[-6000:]
    for step in ('create', 'converge', 'idempotence', 'verify', 'destroy'):
        assert re.search(r'%s: Executed: Successful' % step, output), (step, output[-6000:])
    # Nothing of the lab is left running: destroy stopped it, by the pids of its own state folder.
    assert not list((tmp_path / 'ansible-home').rglob('serve.pid')), 'the lab of the scenario still runs'
