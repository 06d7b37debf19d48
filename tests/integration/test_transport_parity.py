# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every read-only module (and check mode of the others) returns the same result over psrp and over winrm, key for key.

A Windows host serializes a pipeline's objects at depth 1 over PSRP; the WinRM runner serializes them with PSSerializer at the
same depth, and both are read by one converter. This test holds the modules to it against one host state (a Replica pair with
an excluded disk), each module run twice in one play: once over psrp (HTTPS, basic), once over winrm (HTTP, NTLM).
"""

from __future__ import annotations

import pytest

from vm_replication_lab import add_data_disk, make_replica_server, reset_replication

PRIMARY, REPLICA, VM = 'hv01', 'hv02', 'hv01-web'
# What a task's result carries that is about the run, not the host: the arguments (they name the transport) and warnings
# about the connection.
RUN_KEYS = ('invocation', 'warnings', 'deprecations')


@pytest.fixture(name='pair')
def pair_fixture(lab, run_playbook):
    reset_replication(lab)
    make_replica_server(lab, REPLICA)
    disks = add_data_disk(lab, PRIMARY, VM)
    play = [{'hosts': PRIMARY, 'gather_facts': False, 'tasks': [{
        'name': 'replicate', 'hyperv.mobility.vm_replication': {'name': VM, 'replica_server': 'hv02.hvlab.test', 'excluded_disks': [disks[1]],
                                                                'initial_replication': 'none'}}]}]
    run = run_playbook(play, inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout + run.stderr
    yield disks
    reset_replication(lab)


def options(lab, host_name: str, transport: str) -> dict:
    host = lab.host(host_name)
    common = {'hyperv_host': host['address'], 'hyperv_user': 'labadmin', 'hyperv_password': lab.password, 'hyperv_retries': 1}
    if transport == 'psrp':
        return dict(common, hyperv_transport='psrp', hyperv_protocol='https', hyperv_port=host['https_port'], hyperv_auth='basic',
                    hyperv_ca_cert=lab.ca_path)
    return dict(common, hyperv_transport='winrm', hyperv_protocol='http', hyperv_port=host['http_port'], hyperv_auth='ntlm')


def destination(lab, host_name: str, transport: str) -> dict:
    """The same connection as options(), as a module's destination_connection."""
    return {'destination_connection': dict((key[len('hyperv_'):], value) for key, value in options(lab, host_name, transport).items())}


# (task name, module, host, arguments, check mode)
READS = [
    ('host facts', 'hyperv.mobility.host_info', PRIMARY, {}, False),
    ('replica facts', 'hyperv.mobility.host_info', REPLICA, {}, False),
    ('replication of the primary', 'hyperv.mobility.vm_replication_info', PRIMARY, {}, False),
    ('replication of one VM', 'hyperv.mobility.vm_replication_info', PRIMARY, {'name': VM}, False),
    ('replication of the replica', 'hyperv.mobility.vm_replication_info', REPLICA, {}, False),
    ('site recovery prerequisites', 'hyperv.mobility.asr_prerequisites', PRIMARY, {}, False),
    ('preflight', 'hyperv.mobility.migration_preflight', PRIMARY, {'destination': REPLICA}, False),
    ('replication unchanged', 'hyperv.mobility.vm_replication', PRIMARY,
     {'name': VM, 'replica_server': 'hv02.hvlab.test', 'initial_replication': 'none'}, True),
    ('replication with other disks', 'hyperv.mobility.vm_replication', PRIMARY,
     {'name': VM, 'replica_server': 'hv02.hvlab.test', 'excluded_disks': [], 'initial_replication': 'none'}, True),
    ('live migration would change', 'hyperv.mobility.live_migration', PRIMARY, {'state': 'enabled', 'authentication': 'kerberos'}, True),
    ('replica server unchanged', 'hyperv.mobility.replica_server', REPLICA,
     {'authentication': 'kerberos', 'allow_any_server': True, 'default_storage_location': 'D:\\Replica'}, True),
]


def test_read_only_modules_return_the_same_over_both_transports(lab, run_playbook, pair):
    tasks = []
    for name, module, host_name, arguments, check in READS:
        for transport in ('psrp', 'winrm'):
            arguments_here = dict(arguments, **options(lab, host_name, transport))
            if 'destination' in arguments:
                arguments_here.update(destination(lab, arguments['destination'], transport))
            tasks.append({'name': '%s over %s' % (name, transport), module: arguments_here, 'check_mode': check})
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout + run.stderr
    for name, _module, _host, _arguments, _check in READS:
        over_psrp = dict((key, value) for key, value in run.task('%s over psrp' % name)['localhost'].items() if key not in RUN_KEYS)
        over_winrm = dict((key, value) for key, value in run.task('%s over winrm' % name)['localhost'].items() if key not in RUN_KEYS)
        assert not over_psrp.get('failed'), (name, over_psrp)
        assert over_psrp == over_winrm, name


def test_the_pair_state_is_seen_through_both_transports(lab, run_playbook, pair):
    # The facts the parity test compares are the real ones, not two equal mistakes: FQDN from Win32_ComputerSystem, the
    # excluded disk read from top-level drive objects.
    tasks = [{'name': 'facts', 'hyperv.mobility.host_info': options(lab, PRIMARY, 'winrm')},
             {'name': 'replication', 'hyperv.mobility.vm_replication_info': dict(options(lab, PRIMARY, 'psrp'), name=VM)}]
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout + run.stderr
    facts = run.task('facts')['localhost']
    assert (facts['fqdn'], facts['domain'], facts['computer_name']) == ('hv01.hvlab.test', 'hvlab.test', 'HV01')
    relationship = run.task('replication')['localhost']['replications'][0]
    assert relationship['excluded_disks'] == [pair[1]] and relationship['replicated_disks'] == [pair[0]]
