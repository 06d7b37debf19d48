# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's command line (python -m hvlab up/down), its inventory, and the shared test fixtures."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request
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


@pytest.mark.parametrize('arguments', [['up', '--hosts', '0'], ['up', '--hosts', '254'], ['up', '--http-port', '70000'],
                                       ['up', '--replication-speed', '-1'], ['sideways']])
def test_parser_rejects_bad_arguments(arguments):
    with pytest.raises(SystemExit) as raised:
        cli.build_parser().parse_args(arguments)
    assert raised.value.code == 2


def test_parser_defaults_to_contract_ports_and_state_folder():
    args = cli.build_parser().parse_args(['up'])

    assert (args.hosts, args.dc, args.state_dir) == (3, False, LAB_ROOT / '.state')
    assert cli.ports_of(args) == cli.Ports(http=5985, https=5986, control=8700)
    # `make lab-up` gives a lab where Hyper-V Replica time passes at a real host's pace.
    assert args.replication_speed == 1.0


def test_lab_fixture_keeps_replication_time_manual(lab):
    assert lab.control.replication()['speed'] == 0


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


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def _https_json(url: str, ca_path: str, data: bytes | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {'Authorization': 'Bearer ' + token} if token else {}
    request = urllib.request.Request(url, data=data, headers=headers, method='POST' if data else 'GET')
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca_path), timeout=10) as response:  # nosec - loopback lab
        return response.status, json.loads(response.read())


def test_inventory_carries_the_azure_vars_without_a_dc_too():
    azure = {'base_url': 'https://127.0.10.253:8443', 'ca_path': '/state/azure-pki/ca.pem', 'subscription_id': 'sub', 'tenant_id': 'tenant',
             'client_id': 'app', 'secret': 'sp-secret', 'resource_group': 'rg-dr', 'vault_name': 'vault-dr', 'site': 'hyperv-site'}
    shared = cli.build_inventory(dict(lab_description(with_dc=False), azure=azure))['all']['vars']
    assert shared == {'azure_cloud_environment': 'https://127.0.10.253:8443/', 'azure_tenant': 'tenant', 'azure_client_id': 'app',
                      'azure_secret': 'sp-secret', 'azure_subscription_id': 'sub', 'azure_resource_group': 'rg-dr', 'azure_vault_name': 'vault-dr',
                      'azure_ca_bundle': '/state/azure-pki/ca.pem', 'site_recovery_azure_site': 'hyperv-site'}


def test_parser_serves_the_fake_azure_by_default():
    args = cli.build_parser().parse_args(['up'])
    assert (args.azure, args.azure_address, args.azure_port) == (True, '127.0.10.253', 8443)
    assert cli.build_parser().parse_args(['up', '--no-azure']).azure is False


def test_up_serves_the_fake_azure_the_inventory_reaches_and_the_site_recovery_playbook_converges(tmp_path, run_playbook):
    ports = ['--http-port', str(_free_port('127.0.10.1')), '--https-port', str(_free_port('127.0.10.1')),
             '--control-port', str(_free_port('127.0.10.254')), '--azure-port', str(_free_port(cli.AZURE_ADDRESS))]
    command = [sys.executable, '-m', 'hvlab', 'up', '--hosts', '2', '--state-dir', str(tmp_path), *ports]
    started = subprocess.run(command, capture_output=True, text=True, cwd=str(LAB_ROOT), check=False, timeout=180,
                             env={'PYTHONPATH': str(LAB_ROOT), 'PATH': '/usr/bin:/bin'})
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert 'fake Azure at https://127.0.10.253:' in started.stdout
        shared = yaml.safe_load((tmp_path / 'inventory.yml').read_text())['all']['vars']
        ca_path, cloud = shared['azure_ca_bundle'], shared['azure_cloud_environment']
        # What a sovereign-cloud client does with these settings: the cloud's metadata, a token from its login endpoint, then ARM.
        status, clouds = _https_json(cloud + 'metadata/endpoints?api-version=2022-09-01', ca_path)
        login = clouds[0]['authentication']['loginEndpoint']
        form = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': shared['azure_client_id'], 'client_secret': shared['azure_secret'],
                                       'scope': clouds[0]['authentication']['audiences'][0] + '.default'}).encode()
        status, token = _https_json(f'{login}{shared["azure_tenant"]}/oauth2/v2.0/token', ca_path, data=form)
        assert status == 200
        vault_path = (f'{clouds[0]["resourceManager"]}subscriptions/{shared["azure_subscription_id"]}/resourceGroups/{shared["azure_resource_group"]}'
                      f'/providers/Microsoft.RecoveryServices/vaults/{shared["azure_vault_name"]}')
        status, vault = _https_json(vault_path + '?api-version=2025-08-01', ca_path, token=token['access_token'])
        assert status == 200 and vault['name'] == 'vault-dr'
        status, site = _https_json(f'{vault_path}/replicationFabrics/{shared["site_recovery_azure_site"]}?api-version=2025-08-01', ca_path,
                                   token=token['access_token'])
        assert status == 200 and site['properties']['customDetails']['hyperVHosts'] == []  # the role registers the hosts

        vms = [{'vm_name': 'hv01-web', 'target_resource_group_id': f'/subscriptions/{shared["azure_subscription_id"]}/resourceGroups/rg-dr-vms'}]
        run = run_playbook('playbooks/site_recovery_azure.yml', inventory=tmp_path / 'inventory.yml', extra_vars={'site_recovery_azure_vms': vms})
        assert run.rc == 0, run.stdout
        health = run.task('hyperv.mobility.site_recovery_azure : Read the replication health of the site\'s VMs')['hv01']['protected_vms']
        assert [(vm['vm_name'], vm['protection_state']) for vm in health] == [('hv01-web', 'Protected')]
        assert shared['azure_secret'] not in run.stdout
        registered = run.task('hyperv.mobility.site_recovery_azure : Install the Site Recovery provider and register the host with the site')
        assert sorted(registered) == ['hv01', 'hv02'] and all(result['changed'] for result in registered.values())
    finally:
        stopped = subprocess.run([sys.executable, '-m', 'hvlab', 'down', '--state-dir', str(tmp_path)], capture_output=True, text=True,
                                 cwd=str(LAB_ROOT), check=False, timeout=60, env={'PYTHONPATH': str(LAB_ROOT), 'PATH': '/usr/bin:/bin'})
    assert stopped.returncode == 0, stopped.stderr
    assert not cli.port_answers(cli.AZURE_ADDRESS, int(ports[-1]))


def test_port_zero_picks_free_distinct_ports():
    args = cli.build_parser().parse_args(['up', '--http-port', '0', '--https-port', '0', '--control-port', '0', '--no-azure'])
    ports = cli.ports_of(args)
    assert 0 not in (ports.http, ports.https, ports.control)
    assert ports.http != ports.https
    assert not cli.port_answers('127.0.10.1', ports.http) and not cli.port_answers('127.0.10.254', ports.control)
