# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's command line (python -m hvlab up/down), its inventory, and the shared test fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hvlab import cli

LAB_ROOT = Path(__file__).resolve().parent.parent


def lab_description(with_dc: bool) -> dict:
    hosts = [{'name': f'hv0{number}', 'fqdn': f'hv0{number}.hvlab.test', 'address': f'127.0.10.{number}', 'http_port': 5985,
              'https_port': 5986, 'transport': cli.host_transport(number - 1)} for number in (1, 2, 3)]
    dc = {'server': '127.0.0.1', 'admin_user': 'Administrator@HVLAB.TEST', 'admin_password': 'dc-secret', 'ca_path': '/state/samba/ca.pem'}
    return {'user': 'labadmin', 'password': 'lab-secret', 'ca_path': '/state/ca.pem', 'hosts': hosts, 'dc': dc if with_dc else None}


def test_inventory_alternates_psrp_over_https_and_winrm_over_http_with_ntlm():
    hosts = cli.build_inventory(lab_description(with_dc=False))['all']['children']['hyperv_hosts']['hosts']

    assert list(hosts) == ['hv01', 'hv02', 'hv03']
    assert hosts['hv01'] == {'ansible_host': '127.0.10.1', 'ansible_user': 'labadmin', 'ansible_password': 'lab-secret',
                             'ansible_connection': 'psrp', 'ansible_port': 5986, 'ansible_psrp_protocol': 'https',
                             'ansible_psrp_auth': 'basic', 'ansible_psrp_cert_validation': 'validate',
                             'ansible_psrp_ca_cert': '/state/ca.pem'}
    assert hosts['hv02'] == {'ansible_host': '127.0.10.2', 'ansible_user': 'labadmin', 'ansible_password': 'lab-secret',
                             'ansible_connection': 'winrm', 'ansible_port': 5985, 'ansible_winrm_scheme': 'http',
                             'ansible_winrm_transport': 'ntlm', 'ansible_winrm_message_encryption': 'always'}
    assert hosts['hv03']['ansible_connection'] == 'psrp'


def test_inventory_carries_the_directory_only_with_a_dc():
    assert 'vars' not in cli.build_inventory(lab_description(with_dc=False))['all']
    assert cli.build_inventory(lab_description(with_dc=True))['all']['vars'] == {
        'ad_server': '127.0.0.1', 'ad_username': 'Administrator@HVLAB.TEST', 'ad_password': 'dc-secret', 'ad_ca_cert': '/state/samba/ca.pem'}


def test_inventory_file_is_private_yaml(tmp_path):
    path = tmp_path / 'inventory.yml'
    cli.write_inventory(path, lab_description(with_dc=True))

    assert path.stat().st_mode & 0o077 == 0
    assert yaml.safe_load(path.read_text())['all']['vars']['ad_password'] == 'dc-secret'


def test_generated_passwords_meet_windows_complexity_and_differ():
    passwords = {cli.generate_password() for _index in range(20)}

    assert len(passwords) == 20
    for password in passwords:
        assert len(password) == 20
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)


@pytest.mark.parametrize('arguments', [['up', '--hosts', '0'], ['up', '--hosts', '254'], ['up', '--http-port', '70000'], ['sideways']])
def test_parser_rejects_bad_arguments(arguments):
    with pytest.raises(SystemExit) as raised:
        cli.build_parser().parse_args(arguments)
    assert raised.value.code == 2


def test_parser_defaults_to_contract_ports_and_state_folder():
    args = cli.build_parser().parse_args(['up'])

    assert (args.hosts, args.dc, args.state_dir) == (3, False, LAB_ROOT / '.state')
    assert cli.ports_of(args) == cli.Ports(http=5985, https=5986, control=8700)


def test_down_without_a_lab_says_so(tmp_path):
    assert cli.main(['down', '--state-dir', str(tmp_path)]) == 0


def test_down_ignores_a_stale_pid_file(tmp_path):
    # pid 1 is not a lab server: down must not signal it
    (tmp_path / 'serve.pid').write_text('1\n')
    assert cli.main(['down', '--state-dir', str(tmp_path)]) == 0
    assert not (tmp_path / 'serve.pid').exists()


def test_lab_fixture_answers_on_every_host_and_port(lab):
    assert [host['name'] for host in lab.hosts] == ['hv01', 'hv02', 'hv03']
    assert [host['transport'] for host in lab.hosts] == ['psrp', 'winrm', 'psrp']
    assert lab.control.health() == {'ok': True}
    for host in lab.hosts:
        assert cli.port_answers(host['address'], host['http_port'])
        assert cli.port_answers(host['address'], host['https_port'])
    inventory = yaml.safe_load(lab.inventory_path.read_text())
    assert inventory['all']['children']['hyperv_hosts']['hosts']['hv01']['ansible_password'] == lab.password


def test_second_up_on_the_same_ports_is_refused(lab, tmp_path):
    http_port = lab.hosts[0]['http_port']
    command = [sys.executable, '-m', 'hvlab', 'up', '--state-dir', str(tmp_path), '--http-port', str(http_port),
               '--https-port', str(lab.hosts[0]['https_port']), '--control-port', lab.control.base_url.rsplit(':', 1)[1]]
    refused = subprocess.run(command, capture_output=True, text=True, cwd=str(LAB_ROOT), check=False, timeout=60,
                             env={'PYTHONPATH': str(LAB_ROOT), 'PATH': '/usr/bin:/bin'})

    assert refused.returncode == 1
    assert f'127.0.10.1:{http_port}' in refused.stderr
    assert not (tmp_path / 'serve.pid').exists()
    assert lab.control.health() == {'ok': True}


def test_run_playbook_returns_per_task_per_host_results(run_playbook):
    run = run_playbook([{'name': 'probe', 'hosts': 'localhost', 'gather_facts': False,
                         'tasks': [{'name': 'say', 'ansible.builtin.debug': {'msg': 'hello'}},
                                   {'name': 'fail', 'ansible.builtin.fail': {'msg': 'boom'}, 'ignore_errors': True}]}])

    assert run.rc == 0, run.stderr
    assert run.task('say')['localhost']['msg'] == 'hello'
    assert run.task('fail')['localhost']['failed'] is True
    assert run.task('fail')['localhost']['msg'] == 'boom'
    assert run.stats['localhost']['ignored'] == 1


def test_demo_playbook_reads_both_transports_and_changes_nothing(lab, run_playbook):
    run = run_playbook('playbooks/host_info.yml', inventory=lab.inventory_path)

    assert run.rc == 0, run.stdout + run.stderr
    facts = run.task('Gather Hyper-V host facts')
    assert sorted(facts) == ['hv01', 'hv02', 'hv03']
    assert {name: result['fqdn'] for name, result in facts.items()} == {host['name']: host['fqdn'] for host in lab.hosts}
    assert all(result['changed'] is False for result in facts.values())
    assert not run.changed_hosts()
