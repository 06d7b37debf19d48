# -*- coding: utf-8 -*-
"""The controller_module action plugin: inventory vars -> module options, through ansible's own classes and a real playbook."""

import copy
import json
import os
import subprocess
import sys
import textwrap

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins import loader as plugin_loader
from ansible.plugins.loader import action_loader
from ansible.template import Templar, trust_as_template
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

import collection_path
from ansible_collections.hyperv.mobility.plugins.action import controller_module
from ansible_collections.hyperv.mobility.plugins.action.controller_module import (
    InventoryConnectionVars, documented_options, fill_connection_args, fill_destination_connections, fill_host_connections, transport_of,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import DESTINATIONS_ARGUMENT_SPEC

INVENTORY = textwrap.dedent('''
    all:
      vars:
        lab_user: labadmin
      children:
        hyperv_hosts:
          hosts:
            hv01:
              ansible_host: 127.0.10.1
              ansible_connection: psrp
              ansible_user: "{{ lab_user }}"
              ansible_password: s3cret
              ansible_psrp_protocol: http
              ansible_port: 5985
              ansible_psrp_auth: ntlm
              ansible_psrp_cert_validation: ignore
              ansible_psrp_read_timeout: "45"
            hv02:
              ansible_host: 127.0.10.2
              ansible_connection: winrm
              ansible_user: labadmin
              ansible_winrm_password: w1nrm
              ansible_winrm_scheme: https
              ansible_winrm_transport: [ssl]
              ansible_winrm_server_cert_validation: validate
              ansible_winrm_ca_trust_path: /lab/ca.pem
              ansible_winrm_operation_timeout_sec: 25
            hv03:
              ansible_connection: ansible.builtin.psrp
              ansible_psrp_ca_cert: /lab/ca.pem
''')


@pytest.fixture(name='inventory')
def fixture_inventory(tmp_path):
    path = tmp_path / 'inventory.yml'
    path.write_text(INVENTORY)
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    return loader, inventory, VariableManager(loader=loader, inventory=inventory)


def action_for(loader, task_data, variables):
    task = Task.load(task_data, loader=loader)
    templar = Templar(loader=loader, variables=variables)
    return action_loader.get('hyperv.mobility.controller_module', task=task, connection=None, play_context=PlayContext(),
                             loader=loader, templar=templar, shared_loader_obj=plugin_loader)


def filled_args(inventory, host_name, task_data):
    loader, manager, variable_manager = inventory
    host_vars = variable_manager.get_vars(host=manager.get_host(host_name))
    action = action_for(loader, task_data, host_vars)
    return fill_connection_args(action._task.args, action._templated_host_vars(host_vars))  # pylint: disable=protected-access


def test_psrp_host_vars_become_options(inventory):
    assert filled_args(inventory, 'hv01', {'hyperv.mobility.host_info': {}}) == {
        'hyperv_transport': 'psrp', 'hyperv_host': '127.0.10.1', 'hyperv_port': 5985, 'hyperv_user': 'labadmin',
        'hyperv_password': 's3cret', 'hyperv_auth': 'ntlm', 'hyperv_protocol': 'http', 'hyperv_validate_certs': False,
        'hyperv_read_timeout': 45,
    }


def test_winrm_host_vars_become_options(inventory):
    assert filled_args(inventory, 'hv02', {'hyperv.mobility.host_info': {}}) == {
        'hyperv_transport': 'winrm', 'hyperv_host': '127.0.10.2', 'hyperv_user': 'labadmin', 'hyperv_password': 'w1nrm',
        'hyperv_auth': 'basic', 'hyperv_protocol': 'https', 'hyperv_validate_certs': True, 'hyperv_ca_cert': '/lab/ca.pem',
        'hyperv_operation_timeout': 25,
    }


def test_inventory_name_is_the_host_without_ansible_host(inventory):
    args = filled_args(inventory, 'hv03', {'hyperv.mobility.host_info': {}})
    assert args == {'hyperv_transport': 'psrp', 'hyperv_host': 'hv03', 'hyperv_ca_cert': '/lab/ca.pem'}


def test_task_options_win_over_inventory(inventory):
    args = filled_args(inventory, 'hv01', {'hyperv.mobility.host_info': {'hyperv_port': 15985, 'hyperv_user': 'other'}})
    assert (args['hyperv_port'], args['hyperv_user'], args['hyperv_password']) == (15985, 'other', 's3cret')


def executed(inventory, host_name, task_data, extra_vars=None):
    """What run() hands to _execute_module for a task on host_name: (module_name, module_args, task_vars), and the task vars given."""
    loader, manager, variable_manager = inventory
    task_vars = dict(variable_manager.get_vars(host=manager.get_host(host_name)), **(extra_vars or {}))
    task_vars['hostvars'] = HostVars(manager, variable_manager, loader)
    action = action_for(loader, task_data, task_vars)
    calls = []
    action._execute_module = lambda **kwargs: calls.append(kwargs) or {}  # pylint: disable=protected-access
    action.run(task_vars=task_vars)
    assert len(calls) == 1
    return calls[0]['module_name'], calls[0]['module_args'], calls[0]['task_vars'], task_vars


def test_run_fills_the_connection_options_and_runs_the_module_under_the_controllers_python(inventory):
    name, args, task_vars, _given = executed(inventory, 'hv01', {'hyperv.mobility.host_info': {'hyperv_retries': 0}})
    assert name == 'hyperv.mobility.host_info'
    assert args == {'hyperv_retries': 0, 'hyperv_transport': 'psrp', 'hyperv_host': '127.0.10.1', 'hyperv_port': 5985, 'hyperv_user': 'labadmin',
                    'hyperv_password': 's3cret', 'hyperv_auth': 'ntlm', 'hyperv_protocol': 'http', 'hyperv_validate_certs': False,
                    'hyperv_read_timeout': 45}
    assert task_vars['ansible_python_interpreter'] == sys.executable


# Inventory values are templates Ansible trusts; a literal in a test is not one until marked so.
AD_VARS = {'ad_server': trust_as_template('{{ dc_name }}'), 'dc_name': 'dc01.hvlab.test', 'ad_username': 'admin@HVLAB.TEST', 'ad_password': 'adpass',
           'ad_port': 636, 'ad_validate_certs': False, 'unrelated': 'x'}


def test_run_fills_ad_options_from_inventory_vars_and_no_host_option_for_an_ad_module(inventory):
    name, args, _task_vars, _given = executed(inventory, 'hv01', {'hyperv.mobility.kerberos_delegation': {'computer': 'hv01', 'ad_port': 3269}},
                                              extra_vars=AD_VARS)
    assert name == 'hyperv.mobility.kerberos_delegation'
    # templated, the task's own ad_port kept, no hyperv_* option (the module documents none), nothing else copied
    assert args == {'computer': 'hv01', 'ad_port': 3269, 'ad_server': 'dc01.hvlab.test', 'ad_username': 'admin@HVLAB.TEST',
                    'ad_password': 'adpass', 'ad_validate_certs': False}


def test_run_fills_both_host_and_ad_options_for_a_module_that_documents_both(inventory):
    _name, args, _task_vars, _given = executed(inventory, 'hv02', {'hyperv.mobility.migration_preflight': {'destination': 'hv01'}},
                                               extra_vars=AD_VARS)
    assert args['hyperv_host'] == '127.0.10.2' and args['ad_server'] == 'dc01.hvlab.test'
    assert args['destination_connection']['host'] == '127.0.10.1'


def test_run_delegated_to_localhost_fills_ad_but_no_connection_options(inventory):
    _name, args, _task_vars, _given = executed(inventory, 'hv01', {'hyperv.mobility.migration_preflight': {'destination': 'elsewhere'},
                                                                   'delegate_to': 'localhost'}, extra_vars=AD_VARS)
    assert not [key for key in args if key.startswith('hyperv_')] and args['ad_server'] == 'dc01.hvlab.test'


def test_run_delegated_to_another_host_uses_its_vars_and_leaves_the_shared_delegated_vars_alone(inventory):
    delegated = {'hv02': {'ansible_host': '127.0.10.2', 'ansible_connection': 'winrm', 'ansible_user': 'other'}}
    _name, args, task_vars, given = executed(inventory, 'hv01', {'hyperv.mobility.host_info': {}, 'delegate_to': 'hv02'},
                                             extra_vars={'ansible_delegated_vars': delegated})
    snapshot = copy.deepcopy(delegated)
    assert (args['hyperv_host'], args['hyperv_transport'], args['hyperv_user']) == ('127.0.10.2', 'winrm', 'other')
    assert task_vars['ansible_delegated_vars']['hv02']['ansible_python_interpreter'] == sys.executable
    assert given['ansible_delegated_vars'] == snapshot and 'ansible_python_interpreter' not in delegated['hv02']


def test_the_documented_options_decide_and_are_read_once_per_module(inventory):
    loader = inventory[0]
    documented_options.cache_clear()
    host_info = action_for(loader, {'hyperv.mobility.host_info': {}}, {})
    found = host_info._documented_options(host_info._find_module())  # pylint: disable=protected-access
    assert 'hyperv_host' in found and 'ad_server' not in found
    host_info._documented_options(host_info._find_module())  # pylint: disable=protected-access
    assert documented_options.cache_info().hits == 1 and documented_options.cache_info().misses == 1
    delegation = action_for(loader, {'hyperv.mobility.kerberos_delegation': {}}, {})
    assert 'ad_server' in delegation._documented_options(delegation._find_module())  # pylint: disable=protected-access
    ping = action_for(loader, {'ansible.builtin.ping': {}}, {})
    assert 'hyperv_host' not in ping._documented_options(ping._find_module())  # pylint: disable=protected-access


def test_the_inventory_variables_are_derived_from_the_connection_table():
    assert controller_module.PSRP_VARS['hyperv_ca_cert'] == ('ansible_psrp_ca_cert', 'ansible_psrp_cert_trust_path')
    assert controller_module.COMMON_VARS['hyperv_password'] == ('ansible_password',)
    assert set(controller_module.AD_OPTIONS) == {'ad_server', 'ad_port', 'ad_username', 'ad_password', 'ad_auth', 'ad_tls', 'ad_ca_cert',
                                                 'ad_validate_certs'}


def filled_destination(inventory, task_args):
    """The args the action plugin passes to migration_preflight run on hv01 (destination vars only: the task runs delegated)."""
    loader, manager, variable_manager = inventory
    task_vars = dict(variable_manager.get_vars(host=manager.get_host('hv01')), hostvars=HostVars(manager, variable_manager, loader))
    action = action_for(loader, {'hyperv.mobility.migration_preflight': task_args}, task_vars)
    return action._fill_destination(dict(action._task.args), task_vars)  # pylint: disable=protected-access


HV02_CONNECTION = {'transport': 'winrm', 'host': '127.0.10.2', 'user': 'labadmin', 'password': 'w1nrm', 'auth': 'basic', 'protocol': 'https',
                   'validate_certs': True, 'ca_cert': '/lab/ca.pem', 'operation_timeout': 25}


def test_destination_connection_is_filled_from_the_destination_inventory_vars(inventory):
    assert filled_destination(inventory, {'destination': 'hv02'})['destination_connection'] == HV02_CONNECTION
    assert 'destination_connection' not in filled_destination(inventory, {'destination': 'elsewhere.example.com'})
    own = {'destination': 'hv02', 'destination_connection': {'host': 'x'}}
    assert filled_destination(inventory, own)['destination_connection'] == {'host': 'x'}


def test_destination_connections_get_an_entry_per_inventory_destination(inventory):
    args = filled_destination(inventory, {'destinations': ['hv02', 'elsewhere.example.com', 'hv03']})
    assert args['destination_connections'] == [dict(HV02_CONNECTION, destination='hv02'),
                                               {'destination': 'hv03', 'transport': 'psrp', 'host': 'hv03', 'ca_cert': '/lab/ca.pem'}]
    assert 'destination_connection' not in args


def test_destination_connections_set_by_the_task_are_kept_and_completed(inventory):
    own = {'destination': 'hv02', 'host': 'hv02.other.example', 'port': 15986}
    args = filled_destination(inventory, {'destinations': 'hv02,hv03', 'destination_connections': [own]})
    assert args['destination_connections'][0] == own                        # the task's entry, untouched
    assert [entry['destination'] for entry in args['destination_connections']] == ['hv02', 'hv03']
    assert 'destination_connections' not in filled_destination(inventory, {'destinations': ['elsewhere.example.com']})


def test_fill_destination_connections_adds_only_missing_inventory_hosts():
    known = {'hv02': {'host': '10.0.0.2'}, 'hv03': {'host': '10.0.0.3'}}
    entries = fill_destination_connections(['hv02', 'hv03', 'nowhere'], [{'destination': 'hv03', 'port': 1}], known.get)
    assert entries == [{'destination': 'hv03', 'port': 1}, {'destination': 'hv02', 'host': '10.0.0.2'}]
    assert fill_destination_connections([], None, known.get) == []


def test_fill_host_connections_fills_only_entries_of_inventory_hosts_without_a_connection():
    known = {'hv02': {'host': '10.0.0.2'}, 'hv03': {'host': '10.0.0.3'}}
    args = {'hosts': [{'host': 'hv02', 'max_migrations': 4}, {'host': 'hv03', 'connection': {'port': 1}}, {'host': 'nowhere'}], 'state': 'enabled'}
    filled = fill_host_connections(args, known.get)
    assert filled == {'state': 'enabled', 'hosts': [{'host': 'hv02', 'max_migrations': 4, 'connection': {'host': '10.0.0.2'}},
                                                    {'host': 'hv03', 'connection': {'port': 1}}, {'host': 'nowhere'}]}
    assert args['hosts'][0] == {'host': 'hv02', 'max_migrations': 4}      # the task's own args are not changed
    assert fill_host_connections({'state': 'enabled'}, known.get) == {'state': 'enabled'}


def test_hosts_entries_get_the_connection_of_their_inventory_host(inventory):
    loader, manager, variable_manager = inventory
    task_vars = dict(variable_manager.get_vars(host=manager.get_host('hv01')), hostvars=HostVars(manager, variable_manager, loader))
    action = action_for(loader, {'hyperv.mobility.live_migration': {'hosts': [{'host': 'hv02'}, {'host': 'elsewhere.example.com'}]}}, task_vars)
    connection_of = action._connection_of_inventory_host(task_vars)  # pylint: disable=protected-access
    filled = fill_host_connections(dict(action._task.args), connection_of)
    assert filled['hosts'] == [{'host': 'hv02', 'connection': HV02_CONNECTION}, {'host': 'elsewhere.example.com'}]


def test_the_passwords_of_filled_destination_connections_are_no_log():
    assert DESTINATIONS_ARGUMENT_SPEC['destination_connections']['options']['password']['no_log'] is True


@pytest.mark.parametrize('connection, transport', [
    ('psrp', 'psrp'), ('ansible.builtin.psrp', 'psrp'), ('winrm', 'winrm'), ('ansible.builtin.winrm', 'winrm'),
    (None, 'psrp'), ('ssh', 'psrp'), ('local', 'psrp'),
])
def test_transport_from_ansible_connection(connection, transport):
    assert transport_of(connection) == transport


@pytest.mark.parametrize('value, auth', [('ntlm', 'ntlm'), ('kerberos,ntlm', 'kerberos'), (['credssp'], 'credssp'),
                                         ('plaintext', 'basic'), ('certificate', 'certificate')])
def test_winrm_transport_names_map_to_auth(value, auth):
    mapped = InventoryConnectionVars({'ansible_connection': 'winrm', 'ansible_winrm_transport': value})
    assert mapped.value_of('hyperv_auth') == auth


def test_winrm_ssl_with_a_client_certificate_means_certificate_auth():
    mapped = InventoryConnectionVars({'ansible_connection': 'winrm', 'ansible_winrm_transport': 'ssl', 'ansible_winrm_cert_pem': '/c.pem'})
    assert mapped.value_of('hyperv_auth') == 'certificate'


def test_runtime_routes_modules_through_the_action_plugin():
    context = plugin_loader.module_loader.find_plugin_with_context('hyperv.mobility.host_info')
    assert context.resolved and context.action_plugin == 'hyperv.mobility.controller_module'
    delegation = plugin_loader.module_loader.find_plugin_with_context('hyperv.mobility.kerberos_delegation')
    assert delegation.resolved and delegation.action_plugin == 'hyperv.mobility.controller_module'


# ------------------------------------------------------------------ a real playbook run on the controller

PLAYBOOK = textwrap.dedent('''
    - hosts: hyperv_hosts
      gather_facts: false
      tasks:
        - name: inventory vars
          hyperv.mobility.host_info:
            hyperv_retries: 0
          ignore_errors: true
        - name: module defaults win over inventory vars, task options over both
          hyperv.mobility.host_info:
            hyperv_connection_timeout: 3
          module_defaults:
            group/hyperv.mobility.hyperv:
              hyperv_port: 2
              hyperv_retries: 0
          ignore_errors: true
    - hosts: hv01
      gather_facts: false
      tasks:
        - name: delegated to the controller, nothing is filled
          hyperv.mobility.host_info:
          delegate_to: localhost
          ignore_errors: true
''')

PLAYBOOK_INVENTORY = textwrap.dedent('''
    all:
      children:
        hyperv_hosts:
          hosts:
            hv01:
              ansible_host: 127.0.0.1
              ansible_port: 1
              ansible_connection: psrp
              ansible_psrp_protocol: http
              ansible_user: "{{ 'lab' ~ 'admin' }}"
              ansible_password: s3cret
            hv02:
              ansible_host: 127.0.0.1
              ansible_port: 1
              ansible_connection: winrm
              ansible_winrm_scheme: http
              ansible_winrm_transport: ntlm
              ansible_user: labadmin
              ansible_password: s3cret
''')


# ansible-core has no JSON stdout callback of its own; this one records every task result to a file.
RECORD_CALLBACK = textwrap.dedent('''
    import json, os
    from ansible.plugins.callback import CallbackBase

    class CallbackModule(CallbackBase):
        CALLBACK_VERSION = 2.0
        CALLBACK_TYPE = 'notification'
        CALLBACK_NAME = 'record'
        CALLBACK_NEEDS_ENABLED = True

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.results = []

        def _record(self, status, result):
            entry = dict(result.result, status=status)
            self.results.append({'task': result.task_name, 'host': result.host.get_name(), 'result': entry})

        def v2_runner_on_ok(self, result, *args, **kwargs):
            self._record('ok', result)

        def v2_runner_on_failed(self, result, *args, **kwargs):
            self._record('failed', result)

        def v2_runner_on_unreachable(self, result, *args, **kwargs):
            self._record('unreachable', result)

        def v2_playbook_on_stats(self, stats):
            with open(os.environ['RECORD_RESULTS'], 'w') as handle:
                json.dump(self.results, handle, default=str)
''')


@pytest.fixture(name='playbook_results', scope='module')
def fixture_playbook_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp('play')
    (folder / 'inventory.yml').write_text(PLAYBOOK_INVENTORY)
    (folder / 'play.yml').write_text(PLAYBOOK)
    (folder / 'callback_plugins').mkdir()
    (folder / 'callback_plugins' / 'record.py').write_text(RECORD_CALLBACK)
    record = folder / 'results.json'
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path.COLLECTIONS_ROOT, ANSIBLE_CALLBACKS_ENABLED='record',
               RECORD_RESULTS=str(record), ANSIBLE_NOCOLOR='1', ANSIBLE_LOCAL_TEMP=str(folder / 'tmp'))
    process = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'inventory.yml', 'play.yml'],
                             cwd=str(folder), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert record.exists(), process.stdout + process.stderr
    return {(entry['task'], entry['host']): entry['result'] for entry in json.loads(record.read_text())}


def test_playbook_fills_options_from_inventory_and_runs_on_the_controller(playbook_results):
    psrp = playbook_results[('inventory vars', 'hv01')]
    winrm = playbook_results[('inventory vars', 'hv02')]
    # The module ran (on the controller: pypsrp/pywinrm tried to reach 127.0.0.1:1) with the endpoint built from the vars.
    assert psrp['status'] == 'failed' and psrp['connection_error'] and 'http://127.0.0.1:1/wsman over psrp (negotiate auth)' in psrp['msg']
    assert winrm['status'] == 'failed' and 'http://127.0.0.1:1/wsman over winrm (ntlm auth)' in winrm['msg']
    assert "after 1 attempt(s)" in psrp['msg'] and 'Connection refused' in psrp['msg']
    assert 's3cret' not in json.dumps(psrp)


def test_playbook_module_defaults_override_inventory(playbook_results):
    result = playbook_results[('module defaults win over inventory vars, task options over both', 'hv01')]
    assert 'http://127.0.0.1:2/wsman' in result['msg'] and 'after 1 attempt(s)' in result['msg']


def test_playbook_delegated_to_localhost_fills_nothing(playbook_results):
    result = playbook_results[('delegated to the controller, nothing is filled', 'hv01')]
    assert result['status'] == 'failed' and 'missing required arguments: hyperv_host' in result['msg']
