# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/fidelity_probe.yml as a user with real hosts runs it, here on the lab over psrp and winrm.

It writes one recording per host on the controller; the lab's own ``python -m hvlab compare-recording`` finds no difference
(the lab recorded through real WSMan/PSRP/WinRS is the lab); a recording holds no name of the hosts, VMs or domain; and
the hosts received reads only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import LAB_ROOT  # pylint: disable=import-error

READ_VERBS = ('get-', 'measure-', 'select-')


def compare_recording(path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(LAB_ROOT), os.environ.get('PYTHONPATH')])))
    return subprocess.run([sys.executable, '-m', 'hvlab', 'compare-recording', str(path)], capture_output=True, text=True, env=env,
                          check=False)


def test_the_probe_records_each_host_with_shapes_only_and_matches_the_lab(lab, run_playbook, tmp_path):
    hosts = {'psrp': lab.hosts_over('psrp')[0]['name'], 'winrm': lab.hosts_over('winrm')[0]['name']}
    lab.control.reset_counters()
    run = run_playbook('playbooks/fidelity_probe.yml', inventory=lab.inventory_path,
                       extra_vars={'fidelity_recording_dir': str(tmp_path / 'recordings'), 'fidelity_hosts': ','.join(hosts.values())})
    assert run.rc == 0, run.stdout[-3000:]

    vm_names = [vm['name'] for host in hosts.values() for vm in lab.control.host_state(host)['vms']]
    assert vm_names  # the lab's hosts have VMs, so a recording that kept values would name them
    for transport, host in hosts.items():
        path = tmp_path / 'recordings' / f'{host}.json'
        text = path.read_text(encoding='utf-8')
        recording = json.loads(text)
        assert recording['transport'] == transport
        assert 'Microsoft.HyperV.PowerShell.VMHost' in recording['types']
        assert recording['enums']['Microsoft.HyperV.PowerShell.VMState']
        # Shapes only: no host, VM or domain name anywhere in the file.
        for value in [host, 'hvlab', *vm_names]:
            assert value.lower() not in text.lower(), value
        compared = compare_recording(path)
        assert compared.returncode == 0, compared.stdout + compared.stderr

    # Read-only: every command the hosts received is a read.
    for name, counters in lab.control.counters().items():
        assert [command for command in counters['commands'] if not command.lower().startswith(READ_VERBS)] == [], name


def test_compare_recording_lists_a_host_that_differs(lab, run_playbook, tmp_path):
    host = lab.hosts_over('psrp')[0]['name']
    run = run_playbook('playbooks/fidelity_probe.yml', inventory=lab.inventory_path,
                       extra_vars={'fidelity_recording_dir': str(tmp_path), 'fidelity_hosts': host})
    assert run.rc == 0, run.stdout[-3000:]
    path = tmp_path / f'{host}.json'
    recording = json.loads(path.read_text(encoding='utf-8'))
    recording['types']['Microsoft.HyperV.PowerShell.VMHost']['properties']['InventedByAHost'] = ['S']
    path.write_text(json.dumps(recording), encoding='utf-8')
    compared = compare_recording(path)
    assert compared.returncode == 1
    assert 'InventedByAHost' in compared.stdout
