# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role hyperv.mobility.replica through playbooks/replica.yml against the lab: two primaries replicate to one Replica server.

The lab's replication clock runs at 60 simulated seconds per second during these tests, so the initial replications
that vm_replication waits for finish in a few seconds. Outcomes are read from the lab's world.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import LAB_ROOT, REPO_ROOT, _free_port  # pylint: disable=import-error

RUN_ID = uuid.uuid4().hex[:6]
VM_A, VM_B = f'rr{RUN_ID}-a', f'rr{RUN_ID}-b'
HTTP_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
HTTPS_RULE = 'VIRT-HVRHTTPSL-In-TCP-NoScope'
VERIFY_TASK = 'hyperv.mobility.replica : Verify every listed VM replicates with health Normal'
FRESH_REPLICA_SERVER = {'enabled': False, 'allowed_authentication_type': 'Kerberos', 'kerberos_port': 80, 'certificate_port': 443,
                        'certificate_thumbprint': None, 'allow_any_server': True,
                        'default_storage_location': 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V', 'authorization_entries': []}
PAIRS = [{'primary': 'hv01', 'replica': 'hv02', 'vms': [VM_A]},
         {'primary': 'hv03', 'replica': 'hv02', 'vms': [VM_B], 'storage_location': 'E:\\Replica\\hv03', 'trust_group': 'BRANCH'}]
EXTRA_VARS = {'replication_pairs': PAIRS, 'replica_hosts': 'hv01:hv02:hv03', 'replica_storage_location': 'D:\\Replica',
              'replica_verify_retries': 5, 'replica_verify_delay': 1, 'replica_timeout': 120}


def new_vm(name):
    return {'name': name, 'id': str(uuid.uuid4()), 'state': 'Running', 'version': '10.0', 'path': f'C:\\VMs\\{name}',
            'disks': [{'path': f'C:\\VMs\\{name}\\{name}.vhdx'}]}


@pytest.fixture(scope='module', autouse=True)
def estate(lab):
    for host_name, vm_name in (('hv01', VM_A), ('hv03', VM_B)):
        lab.control.patch_host(host_name, vms=lab.control.host_state(host_name)['vms'] + [new_vm(vm_name)])
    lab.control.patch_host('hv02', replica_server=FRESH_REPLICA_SERVER,
                           firewall_rules={HTTP_RULE: {'enabled': False}, HTTPS_RULE: {'enabled': False}})
    lab.control.replication(speed=60)
    yield
    lab.control.replication(speed=0)


def unrelated_rules(state):
    return {rule['name']: rule['enabled'] for rule in state['firewall_rules'] if rule['name'] not in (HTTP_RULE, HTTPS_RULE)}


def test_pairs_replicate_verified_healthy_then_idempotent(lab, run_playbook):
    rules_before = unrelated_rules(lab.control.host_state('hv02'))
    first = run_playbook('playbooks/replica.yml', inventory=lab.inventory_path, extra_vars=EXTRA_VARS)
    assert first.rc == 0, first.stdout[-4000:] + first.stderr[-2000:]

    replica = lab.control.host_state('hv02')
    server = replica['replica_server']
    assert server['enabled'] is True and server['allow_any_server'] is False
    entries = sorted((entry['allowed_primary_server'], entry['replica_storage_location'], entry['trust_group'])
                     for entry in server['authorization_entries'])
    assert entries == [('hv01.hvlab.test', 'D:\\Replica', 'DEFAULT'), ('hv03.hvlab.test', 'E:\\Replica\\hv03', 'BRANCH')]
    rules = {rule['name']: rule['enabled'] for rule in replica['firewall_rules']}
    assert rules[HTTP_RULE] is True and rules[HTTPS_RULE] is False
    assert unrelated_rules(replica) == rules_before, 'only the listener rule may change'
    for host_name, vm_name in (('hv01', VM_A), ('hv03', VM_B)):
        relationship = lab.control.host_state(host_name)['replication']['relationships'][vm_name]
        assert (relationship['state'], relationship['health']) == ('Replicating', 'Normal'), relationship
        assert relationship['replica_server'].lower() == 'hv02.hvlab.test'
        assert vm_name in replica['replication']['relationships']
    verified = first.task(VERIFY_TASK)
    assert set(verified) >= {'hv01', 'hv03'} and all('failed' not in verified[name] for name in ('hv01', 'hv03'))

    lab.control.reset_counters()
    second = run_playbook('playbooks/replica.yml', inventory=lab.inventory_path, extra_vars=EXTRA_VARS)
    assert second.rc == 0 and second.changed_hosts() == [], second.stdout[-4000:]
    counters = lab.control.counters()
    for host_name in ('hv01', 'hv02', 'hv03'):
        writes = {name: count for name, count in counters[host_name]['commands'].items()
                  if not name.lower().startswith(('get-', 'measure-', 'test-', 'select-'))}
        assert writes == {}, (host_name, writes)


def test_unhealthy_replication_fails_the_verification_in_words(lab, run_playbook):
    lab.control.replication(fault={'host': 'hv01', 'vm': VM_A, 'kind': 'authorization'}, advance_seconds=600)
    try:
        run = run_playbook('playbooks/replica.yml', inventory=lab.inventory_path,
                           extra_vars=dict(EXTRA_VARS, replication_pairs=PAIRS[:1], replica_hosts='hv01:hv02'))
    finally:
        lab.control.replication(fault={'host': 'hv01', 'vm': VM_A, 'kind': None})
    assert run.rc != 0
    verdict = run.task(VERIFY_TASK)['hv01']
    assert verdict['failed'] is True
    assert 'administrator' in verdict['msg'] and 'not authorized' in verdict['msg'], verdict['msg']


def test_bad_pairs_are_refused_before_any_change(lab, run_playbook):
    lab.control.reset_counters()
    run = run_playbook('playbooks/replica.yml', inventory=lab.inventory_path,
                       extra_vars=dict(EXTRA_VARS, replication_pairs=[{'primary': 'hv01', 'replica': 'hv01', 'vms': [VM_A]}]))
    assert run.rc != 0
    check = run.task('hyperv.mobility.replica : Check the replication pairs')['hv01']
    assert check['failed'] is True
    assert any('must be two different hosts' in item.get('msg', '') for item in check['results']), check
    assert all(counts['requests'] == 0 for counts in lab.control.counters().values())


def test_replica_playbook_on_a_lab_where_time_passes_prints_progress(tmp_path, collections_root):
    """playbooks/replica.yml as a person runs it after `make lab-up` (a lab whose replication time passes by itself, here three times
    a real host's pace: the lab's 120 s copy takes 40 s, long enough for several polls even on a loaded machine) with the default
    output: it completes, and each poll of the wait prints how much of the initial copy is sent and when it should end."""
    state_dir = tmp_path / 'lab'
    ports = [str(_free_port('127.0.10.1')), str(_free_port('127.0.10.1')), str(_free_port('127.0.10.254'))]
    lab_env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(LAB_ROOT), os.environ.get('PYTHONPATH')])))
    up = subprocess.run([sys.executable, '-m', 'hvlab', 'up', '--hosts', '2', '--state-dir', str(state_dir), '--no-azure',
                         '--replication-speed', '3', '--http-port', ports[0], '--https-port', ports[1], '--control-port', ports[2]],
                        capture_output=True, text=True, env=lab_env, stdin=subprocess.DEVNULL, check=False, timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_root), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                           ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1', ANSIBLE_HOME=str(tmp_path / 'ansible-home'),
                           ANSIBLE_STDOUT_CALLBACK='default')
        pairs = [{'primary': 'hv01', 'replica': 'hv02', 'vms': ['hv01-web']}]
        run = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(state_dir / 'inventory.yml'),
                              str(REPO_ROOT / 'playbooks' / 'replica.yml'), '-e', json.dumps({
                                  'replication_pairs': pairs, 'replica_poll_interval': 2, 'replica_verify_delay': 2})],
                             capture_output=True, text=True, env=environment, cwd=str(tmp_path), stdin=subprocess.DEVNULL, check=False,
                             timeout=600)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        progress = re.findall(r'\(item=hv01-web: (\d+)% of ([\d.]+) GiB sent, expected end (\d\d:\d\d:\d\d|not known yet)\)', run.stdout)
        assert len(progress) >= 2, run.stdout[-4000:]
        percents = [int(percent) for percent, _size, _end in progress]
        assert percents == sorted(percents) and percents[-1] > percents[0], progress
        assert {size for _percent, size, _end in progress} == {'8.0'}  # one virtual disk of the lab's size
        assert any(re.fullmatch(r'\d\d:\d\d:\d\d', end) for _percent, _size, end in progress), progress
        assert re.search(r'\(item=hv01-web: Replicating/Normal\)', run.stdout), run.stdout[-4000:]
        assert 'hv01-web replicate with health Normal.' in run.stdout
    finally:
        subprocess.run([sys.executable, '-m', 'hvlab', 'down', '--state-dir', str(state_dir)], capture_output=True, env=lab_env,
                       stdin=subprocess.DEVNULL, check=False, timeout=120)
