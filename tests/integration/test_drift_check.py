# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/drift_check.yml on three lab hosts joined to a real Samba DC, and the report filters in a play on the mesh's real results.

The mesh is configured with playbooks/live_migration.yml; the drift check then passes. A host is changed behind Ansible's
back (its migration networks removed, as an administrator would in Hyper-V Manager): the drift check fails for that host only,
names what would change, and writes nothing - the host keeps its drifted state.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from migration_lab import pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture

FRESH_MIGRATION = {'enabled': False, 'authentication_type': 'CredSSP', 'performance_option': 'Compression', 'use_any_network': False,
                   'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2}
# The desired state, as playbooks/live_migration.yml sets it; the drift check takes it as extra variables.
DESIRED = {'live_migration_auth': 'kerberos', 'live_migration_networks': [{'subnet': '192.168.10.0/24', 'priority': 1}]}
GATE = 'Fail when the host has drifted from the desired state'
REPO_ROOT = Path(__file__).resolve().parents[2]
GREEN = '#2e7d32'  # STATUS_COLOURS['ok'] of plugins/plugin_utils/reports.py
MESH_RESULTS = 'live_migration_mesh_preflight'  # the one evaluation of phase 2 (run_once: registered on every host)


@pytest.fixture(autouse=True)
def fresh_domain_hosts(pair_lab):
    pair_lab.reset()
    for host in pair_lab.hosts:
        pair_lab.control.patch_host(host['name'], migration=dict(FRESH_MIGRATION), migration_networks=[])


def test_drift_check_passes_on_the_desired_state_and_fails_only_where_a_host_drifted(run_playbook, pair_lab):
    configured = run_playbook('playbooks/live_migration.yml', inventory=pair_lab.inventory_path)
    assert configured.rc == 0, configured.stdout[-4000:]

    clean = run_playbook('playbooks/drift_check.yml', inventory=pair_lab.inventory_path, extra_vars=DESIRED)
    assert clean.rc == 0, clean.stdout[-4000:]
    assert clean.changed_hosts() == []
    assert all(result['msg'].endswith('matches the desired state') for result in clean.task(GATE).values())

    pair_lab.control.patch_host('hv02', migration_networks=[])
    pair_lab.control.reset_counters()
    drifted = run_playbook('playbooks/drift_check.yml', inventory=pair_lab.inventory_path, extra_vars=DESIRED)
    assert drifted.rc != 0
    gate = drifted.task(GATE)
    assert gate['hv02'].get('failed') is True and 'hv02 has drifted' in gate['hv02']['msg'] and '"live_migration"' in gate['hv02']['msg']
    assert not gate['hv01'].get('failed') and not gate['hv03'].get('failed')
    # check mode: nothing reached the hosts but reads, and hv02 keeps its drifted state
    for name, counters in pair_lab.control.counters().items():
        assert [command for command in counters['commands'] if not command.lower().startswith(('get-', 'compare-', 'select-'))] == [], name
    assert pair_lab.control.host_state('hv02')['migration_networks'] == []


def report_task(name, path, expression):
    return {'name': name, 'run_once': True, 'delegate_to': 'localhost',
            'ansible.builtin.copy': {'dest': str(path), 'mode': '0644', 'content': '{{ %s }}' % expression}}


def test_report_filters_render_the_mesh_preflight_of_every_host(run_playbook, pair_lab, tmp_path):
    plays = [{'import_playbook': str(REPO_ROOT / 'playbooks' / 'live_migration.yml')},
             {'name': 'Reports', 'hosts': 'hyperv_hosts', 'gather_facts': False, 'tasks': [
                 report_task('Markdown report', tmp_path / 'preflight.md', MESH_RESULTS + " | hyperv.mobility.preflight_markdown(title='')"),
                 report_task('HTML report', tmp_path / 'preflight.html', MESH_RESULTS + ' | hyperv.mobility.preflight_html')]}]
    run = run_playbook(plays, inventory=pair_lab.inventory_path)
    assert run.rc == 0, run.stdout[-4000:]

    names = [host['name'] for host in pair_lab.hosts]
    markdown = (tmp_path / 'preflight.md').read_text(encoding='utf-8')
    # hosts are named by their computer names (HV01), whatever address the inventory reaches them at
    rows = sorted(line.lower().split(' | ')[:3] for line in markdown.splitlines()[2:])
    assert rows == sorted(['| ' + source, destination, 'ok'] for source in names for destination in names if source != destination)

    page = (tmp_path / 'preflight.html').read_text(encoding='utf-8')
    svg = ET.fromstring(page[page.index('<svg'):page.index('</svg>') + len('</svg>')])
    paths = [element for element in svg.iter('{http://www.w3.org/2000/svg}path') if element.get('marker-end')]
    assert len(paths) == len(names) * (len(names) - 1)
    assert all(path.get('stroke') == GREEN and path.get('stroke-dasharray') is None for path in paths)
