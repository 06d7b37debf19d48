# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: what the collection costs on the wire and on the controller, measured against the lab.

Figures are printed and written to docs/performance.md (+ docs/performance/*.png, results.json). Nothing here asserts a
time: the machine running the benchmark is shared, so every figure carries the load average it was taken at.

1. WSMan requests and pipelines per task of every host module, unchanged and changed, over psrp and winrm, next to
   the protocol minimum (open a pool or shell, run one command, close) taken with bare pypsrp and pywinrm.
2. playbooks/live_migration.yml (the two-phase mesh) on meshes of 10, 25, 50 and 100 hosts, forks 10 and 25, from scratch
   and rerun: wall time, controller CPU time, peak memory, pipelines and task runs per host, the phase-2 evaluation's time
   and the LDAP writes the Samba DC committed (mesh_bench.py), beside the one-phase role's recorded figures; runs over the
   per-run limit or the budget are estimated and said so; and what one task run (a worker fork, a module process) costs.
3. A PNG plot of wall time against hosts.
4. What ansible-core's own psrp/winrm connection sends to run one PowerShell module (the win_ping body in
   benchmarks/library) against what one of our tasks sends in full.
5. The replica role and 6. Site Recovery against the fake Azure, first run and rerun (roles_bench.py).
7. Draining a host of 40 VMs onto 4 destinations: host_drain against a serial loop of vm_migrate tasks (drain_bench.py).

`--quick` is the development mode (small sizes, short limits); `--parts` runs some figures and keeps the others from
docs/performance/results.json; `--render-only` rewrites the document from results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import time
import typing
from pathlib import Path

from benchlab import COUNTER_FIELDS, REPO_ROOT, Ansible, Lab, Ports, load_average, table
from drain_bench import drain_table, measure as measure_drain
from mesh_bench import (MeshBenchmark, MeshPlan, comparison_table, growth_text, measure_task_run_costs, mesh_table, plot, skipped_items,
                        skipped_text, task_run_cost_table)
from roles_bench import (AZURE_SETTINGS, REPLICATION_SPEED, measure_replica, measure_site_recovery, replica_table, site_recovery_module_table,
                         site_recovery_table)

DOC_PATH = REPO_ROOT / 'docs' / 'performance.md'
PLOT_DIR = REPO_ROOT / 'docs' / 'performance'
FINDINGS_PATH = REPO_ROOT / 'benchmarks' / 'findings.md'  # written by hand after a run, kept across runs
PARTS = ('tasks', 'replica', 'asr', 'drain', 'mesh')


# ---- figure 1: per-task cost of every host module ---------------------------------------------------------------


@dataclasses.dataclass
class ModuleCase:
    """One host module: arguments(host, peer, vm) that change the host (after `prepare` put it elsewhere); read-only modules run once."""

    module: str
    arguments: typing.Callable[[str, str, str], dict]
    prepare: typing.Callable[[str, str, str], dict] | None = None
    read_only: bool = False


def _ad_arguments() -> dict:
    return {name: '{{ %s }}' % name for name in ('ad_server', 'ad_username', 'ad_password', 'ad_ca_cert')}


MODULE_CASES = (
    ModuleCase('host_info', lambda host, peer, vm: {}, read_only=True),
    ModuleCase('live_migration',
               lambda host, peer, vm: {'state': 'enabled', 'authentication': 'kerberos', 'performance': 'compression', 'max_migrations': 2,
                                       'networks': [{'subnet': '192.168.10.0/24', 'priority': 1}]},
               prepare=lambda host, peer, vm: {'state': 'enabled', 'authentication': 'credssp', 'performance': 'tcpip', 'max_migrations': 4,
                                               'networks': [{'subnet': '10.20.0.0/16', 'priority': 1}]}),
    ModuleCase('migration_preflight', lambda host, peer, vm: dict(_ad_arguments(), destination=peer, fail_on='never'), read_only=True),
    ModuleCase('vm_migrate', lambda host, peer, vm: {'name': vm, 'destination': peer, 'include_storage': True}),  # local storage moves too
    ModuleCase('replica_server',
               lambda host, peer, vm: {'state': 'enabled', 'authentication': 'kerberos', 'kerberos_port': 80, 'allow_any_server': True,
                                       'default_storage_location': 'D:\\Replica'},
               prepare=lambda host, peer, vm: {'state': 'disabled'}),
    ModuleCase('vm_replication_info', lambda host, peer, vm: {}, read_only=True),
)


def existing_module_cases() -> list:
    return [case for case in MODULE_CASES if (REPO_ROOT / 'plugins' / 'modules' / (case.module + '.py')).exists()]


def _measured_tasks(control_url: str, label: str, module: str, arguments: dict) -> list:
    """Reset the lab's counters, run the task, read the counters (the uri calls go to the control endpoint, not the hosts)."""
    local = {'delegate_to': 'localhost', 'run_once': True}
    return [
        dict(local, name='reset counters before ' + label,
             **{'ansible.builtin.uri': {'url': control_url + '/counters/reset', 'method': 'POST', 'body_format': 'json', 'body': {}}}),
        {'name': label, 'hyperv.mobility.' + module: arguments, 'register': 'task_' + label, 'ignore_errors': True},
        dict(local, name='counters after ' + label, register='counters_' + label,
             **{'ansible.builtin.uri': {'url': control_url + '/counters', 'return_content': True}}),
    ]


def task_cost_playbook(lab: Lab, host: str, peer: str, results_path: Path) -> list:
    control_url = lab.described['control_url']
    vm = lab.control.host_state(host)['vms'][-1]['name']  # the host's last VM moves to the peer (vm_migrate)
    tasks, labels = [], []
    for case in existing_module_cases():
        if case.prepare:
            tasks.append({'name': 'prepare ' + case.module, 'hyperv.mobility.' + case.module: case.prepare(host, peer, vm), 'ignore_errors': True})
        runs = ('once',) if case.read_only else ('changed', 'unchanged')
        for run in runs:
            label = '%s_%s' % (case.module, run)
            labels.append(label)
            tasks += _measured_tasks(control_url, label, case.module, case.arguments(host, peer, vm))
    collected = '{{ {%s} | to_json }}' % ', '.join(
        "'%s': {'task': task_%s | default({}), 'counters': counters_%s.json | default({})}" % (label, label, label) for label in labels)
    tasks.append({'name': 'write the results', 'delegate_to': 'localhost', 'run_once': True,
                  'ansible.builtin.copy': {'content': collected, 'dest': str(results_path), 'mode': '0600'}})
    return [{'name': 'per-task cost on ' + host, 'hosts': host, 'gather_facts': False, 'tasks': tasks}]


def measure_task_costs(lab: Lab, ansible: Ansible) -> list:
    # Kerberos delegation and live migration settings first, as an administrator would: vm_migrate needs them.
    prepared = ansible.run(REPO_ROOT / 'playbooks' / 'live_migration.yml', lab.inventory)
    if prepared.returncode != 0:
        raise RuntimeError('playbooks/live_migration.yml failed on the 2-host lab:\n' + prepared.output[-4000:])
    rows = []
    for transport in ('psrp', 'winrm'):
        host = lab.host(transport)['name']
        peer = next(other['name'] for other in lab.hosts if other['name'] != host)
        results_path = ansible.workdir / ('task-costs-%s.json' % host)
        cost = ansible.run(ansible.write_playbook(task_cost_playbook(lab, host, peer, results_path)), lab.inventory)
        if not results_path.exists():
            raise RuntimeError('the per-task playbook on %s wrote no results:\n%s' % (host, cost.output[-4000:]))
        for label, result in json.loads(results_path.read_text(encoding='utf-8')).items():
            module, run = label.rsplit('_', 1)
            task, counters = result['task'], result['counters']
            rows.append({'module': module, 'run': {'once': 'read-only'}.get(run, run), 'transport': transport, 'host': host, 'peer': peer,
                         'changed': bool(task.get('changed')), 'failed': bool(task.get('failed')), 'msg': str(task.get('msg', ''))[:160],
                         'own': {field: counters.get(host, {}).get(field, 0) for field in COUNTER_FIELDS},
                         'peer_counters': {field: counters.get(peer, {}).get(field, 0) for field in COUNTER_FIELDS},
                         'load': load_average()})
    return rows


# ---- protocol minimum: bare pypsrp and pywinrm ---------------------------------------------------------------------


def _collection_import_path(ansible: Ansible) -> None:
    if str(ansible.collections) not in sys.path:
        sys.path.insert(0, str(ansible.collections))


def measure_protocol_minimum(lab: Lab, ansible: Ansible) -> list:
    """Open a pool/shell, run Get-VMHost once, close: the least a WSMan client can send for one command."""
    _collection_import_path(ansible)
    from pypsrp.powershell import PowerShell, RunspacePool  # pylint: disable=import-outside-toplevel
    from pypsrp.wsman import WSMan  # pylint: disable=import-outside-toplevel
    import winrm  # pylint: disable=import-outside-toplevel
    from ansible_collections.hyperv.mobility.plugins.module_utils._host import runner as winrm_runner  # pylint: disable=import-outside-toplevel
    from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command  # pylint: disable=import-outside-toplevel

    control, rows = lab.control, []
    user, password = lab.described['user'], lab.described['password']

    psrp_host = lab.host('psrp')
    control.reset_counters()
    with WSMan(psrp_host['address'], port=psrp_host['https_port'], ssl=True, auth='basic', username=user, password=password,
               cert_validation=lab.described['ca_path']) as wsman, RunspacePool(wsman) as pool:
        shell = PowerShell(pool)
        shell.add_cmdlet('Get-VMHost')
        shell.invoke()
    rows.append({'client': 'bare pypsrp RunspacePool + Get-VMHost', 'transport': 'psrp', 'counters': control.counters()[psrp_host['name']],
                 'load': load_average()})

    winrm_host = lab.host('winrm')
    control.reset_counters()
    protocol = winrm.Protocol(endpoint='http://%s:%d/wsman' % (winrm_host['address'], winrm_host['http_port']), transport='ntlm',
                              username=user, password=password, message_encryption='always')
    shell_id = protocol.open_shell(codepage=65001)
    command_id = protocol.run_command(shell_id, winrm_runner.POWERSHELL_EXE, winrm_runner.command_arguments())
    protocol.send_command_input(shell_id, command_id, winrm_runner.encode_request([Command('Get-VMHost')]), end=True)
    protocol.get_command_output(shell_id, command_id)
    protocol.cleanup_command(shell_id, command_id)
    protocol.close_shell(shell_id)
    rows.append({'client': 'bare pywinrm shell + runner + Get-VMHost', 'transport': 'winrm', 'counters': control.counters()[winrm_host['name']],
                 'load': load_average()})
    return rows


# ---- figure 4: ansible-core's own connection plugins ---------------------------------------------------------------


def _short_command(name: str) -> str:
    """A cmdlet name as it is; a script (what raw and the exec wrapper send) as its first line, shortened."""
    first_line = name.strip().splitlines()[0] if name.strip() else name
    return first_line if first_line == name else 'script: %s… (%d chars)' % (first_line[:30].replace('|', '/'), len(name))


def measure_ansible_core_path(lab: Lab, ansible: Ansible) -> list:
    """ansible-core's psrp/winrm connection running a PowerShell module (exec wrapper) and a raw command, on one host each."""
    rows = []
    cases = (('bench_win_ping (win_ping body, exec wrapper)', {'bench_win_ping': {}}),
             ('ansible.builtin.raw Get-VMHost', {'ansible.builtin.raw': 'Get-VMHost'}),
             ('hyperv.mobility.host_info (ours)', {'hyperv.mobility.host_info': {}}))
    for transport in ('psrp', 'winrm'):
        host = lab.host(transport)['name']
        for label, task in cases:
            playbook = ansible.write_playbook([{'name': label, 'hosts': host, 'gather_facts': False,
                                                'tasks': [dict(task, name=label, ignore_errors=True)]}])
            lab.control.reset_counters()
            cost = ansible.run(playbook, lab.inventory)
            commands = lab.control.commands(host)
            rows.append({'case': label, 'transport': transport, 'counters': lab.control.counters()[host], 'failed': cost.recap.get(host, {}).get('failed'),
                         'commands': [_short_command(command['name']) for command in commands][:6],
                         'script_chars': max((len(command['name']) + len(json.dumps(command.get('parameters'))) for command in commands), default=0),
                         'load': load_average()})
    return rows


# ---- report -----------------------------------------------------------------------------------------------------


def task_cost_table(task_rows: list, minimum_rows: list) -> str:
    rows = [[row['client'], row['transport'], row['counters']['requests'], row['counters']['pipelines'], row['counters']['shells'],
             row['counters']['bytes_in'], row['counters']['bytes_out'], '', row['load']] for row in minimum_rows]
    for row in task_rows:
        own, peer = row['own'], row['peer_counters']
        status = 'failed: ' + row['msg'] if row['failed'] else ('changed' if row['changed'] else 'ok')
        peer_text = '%d req / %d pipelines on %s' % (peer['requests'], peer['pipelines'], row['peer']) if peer['requests'] else ''
        rows.append(['%s (%s) → %s' % (row['module'], row['run'], status), row['transport'], own['requests'], own['pipelines'], own['shells'],
                     own['bytes_in'], own['bytes_out'], peer_text, row['load']])
    return table(['task', 'transport', 'WSMan requests', 'pipelines', 'shells', 'bytes to host', 'bytes from host', 'peer host', 'load avg'], rows)


def core_path_table(rows: list) -> str:
    return table(['what runs', 'transport', 'WSMan requests', 'pipelines', 'shells', 'bytes to host', 'bytes from host', 'commands the lab saw',
                  'largest command (chars)', 'load avg'],
                 [[row['case'], row['transport'], row['counters']['requests'], row['counters']['pipelines'], row['counters']['shells'],
                   row['counters']['bytes_in'], row['counters']['bytes_out'], ', '.join(row['commands']) or '—', row['script_chars'], row['load']]
                  for row in rows])


def write_results(results: dict) -> None:
    """docs/performance/results.json: every figure, to render the document again or add to it."""
    PLOT_DIR.mkdir(parents=True, exist_ok=True)
    (PLOT_DIR / 'results.json').write_text(json.dumps(results, indent=1, default=str), encoding='utf-8')


def _or_not_run(rows: list | None, render_rows: typing.Callable[[list], str], what: str) -> str:
    return render_rows(rows) if rows else '(%s not run)' % what


def render(results: dict, plot_path: Path | None) -> str:
    """docs/performance.md from benchmarks/performance.md.in, the results and benchmarks/findings.md."""
    template = (REPO_ROOT / 'benchmarks' / 'performance.md.in').read_text(encoding='utf-8')
    findings = FINDINGS_PATH.read_text(encoding='utf-8').strip() if FINDINGS_PATH.exists() else '(no findings written yet)'
    core_path = results.get('ansible_core_path') or []
    return template.format(
        date=results['date'], machine=results['machine'], total_seconds='%.0f' % results['total_seconds'], options=results.get('options', '—'),
        task_costs=task_cost_table(results.get('task_costs') or [], results.get('protocol_minimum') or []),
        mesh=_or_not_run(results.get('mesh'), mesh_table, 'mesh'), skipped=skipped_text(results.get('mesh_skipped') or []),
        mesh_comparison=comparison_table(results.get('mesh') or [], results.get('mesh_one_phase') or []),
        task_run_costs=_or_not_run(results.get('task_run_costs'), task_run_cost_table, 'task-run costs'),
        plot='![wall time against hosts](performance/%s)' % plot_path.name if plot_path else '(no plot: the mesh was not run)',
        core_path=_or_not_run(core_path, core_path_table, 'ansible-core path'), growth=growth_text(results.get('mesh') or []),
        wrapper_kib=_kib(core_path, 'bench_win_ping', 'psrp'), ours_kib=_kib(core_path, 'host_info', 'psrp'),
        replica=_or_not_run(results.get('replica'), replica_table, 'replica role'), replication_speed=REPLICATION_SPEED,
        site_recovery=_or_not_run(results.get('site_recovery'), site_recovery_table, 'Site Recovery'),
        site_recovery_modules=_or_not_run(results.get('site_recovery'), site_recovery_module_table, 'Site Recovery'),
        azure_settings=', '.join('%s=%s' % item for item in AZURE_SETTINGS.items()), findings=findings,
        drain=_or_not_run(results.get('drain'), drain_table, 'drain'),
    )


def _kib(rows: list, case: str, transport: str) -> str:
    sent = [row['counters']['bytes_in'] for row in rows if case in row['case'] and row['transport'] == transport]
    return '%.0f' % (sent[0] / 1024.0) if sent else '?'


# ---- entry point -------------------------------------------------------------------------------------------------


def integers(text: str) -> list:
    return [int(item) for item in text.split(',') if item]


def parts(text: str) -> list:
    """--parts: a comma-separated subset of PARTS."""
    chosen = [item for item in text.split(',') if item]
    unknown = set(chosen) - set(PARTS)
    if unknown:
        raise argparse.ArgumentTypeError('unknown part(s) %s; choose from %s' % (', '.join(sorted(unknown)), ', '.join(PARTS)))
    return chosen


QUICK = {'sizes': [3, 10], 'forks': [10], 'latencies': [0], 'max_run_seconds': 120, 'budget_seconds': 900, 'replica_sizes': [3],
         'asr_vms': [2], 'task_run_hosts': 10}


def parse_arguments(argv: list | None) -> argparse.Namespace:
    """The options; --quick replaces the sizes, limits and counts by QUICK."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--sizes', type=integers, default=[10, 25, 50, 100], help='mesh sizes (default 10,25,50,100)')
    parser.add_argument('--forks', type=integers, default=[10, 25], help='fork counts (default 10,25)')
    parser.add_argument('--latencies', type=integers, default=[0], help='lab latency per request in ms (default 0)')
    parser.add_argument('--max-run-seconds', type=float, default=900,
                        help='do not start a mesh run estimated to take longer, stop one that does (default 900)')
    parser.add_argument('--budget-seconds', type=float, default=3600,
                        help='the whole benchmark\'s time: mesh runs that would end past it are estimated instead (default 3600)')
    parser.add_argument('--ring', action='store_true', help='also run a ring (N directions) at each mesh size')
    parser.add_argument('--no-rerun', action='store_true', help='measure each mesh cell from scratch only, without its rerun')
    parser.add_argument('--all-forks-up-to', type=int, default=25,
                        help='mesh sizes above this run only the largest fork count (default 25)')
    parser.add_argument('--task-run-hosts', type=int, default=50,
                        help='hosts of the plays that measure what one task run costs (default 50; 0 skips them)')
    parser.add_argument('--replica-sizes', type=integers, default=[3, 10], help='replica role: lab sizes, the last host replicates the others (default 3,10)')
    parser.add_argument('--drain-move-seconds', type=float, default=None,
                        help='drain: how long each move transfers in the lab (default the lab\'s, 0.2); a longer time makes the '
                             'migration limits bind, so the moves in flight show them')
    parser.add_argument('--asr-vms', type=integers, default=[2, 10], help='Site Recovery: numbers of protected VMs (default 2,10)')
    parser.add_argument('--quick', action='store_true', help='development mode: ' + ', '.join('%s=%s' % item for item in QUICK.items()))
    parser.add_argument('--parts', type=parts, default=list(PARTS),
                        help='figures to measure (default all: %s); the others are kept from docs/performance/results.json' % ','.join(PARTS))
    parser.add_argument('--http-port', type=int, default=Ports.http)
    parser.add_argument('--https-port', type=int, default=Ports.https)
    parser.add_argument('--control-port', type=int, default=Ports.control)
    parser.add_argument('--azure-port', type=int, default=Ports.azure)
    parser.add_argument('--dc-address', default=Ports.dc_address)
    parser.add_argument('--append', action='store_true',
                        help='add the mesh runs to those in docs/performance/results.json (a cell measured now leaves the list of runs not made)')
    parser.add_argument('--no-write', action='store_true', help='print only; leave docs/performance.md as it is')
    parser.add_argument('--render-only', action='store_true', help='rewrite docs/performance.md from docs/performance/results.json, measure nothing')
    arguments = parser.parse_args(argv)
    if arguments.quick:
        for name, value in QUICK.items():
            setattr(arguments, name, value)
    return arguments


def main(argv: list | None = None) -> int:
    """Measure the chosen parts, then write results.json, the plot and the document."""
    arguments = parse_arguments(argv)
    results_path = PLOT_DIR / 'results.json'
    if arguments.render_only:
        results = json.loads(results_path.read_text(encoding='utf-8'))
        DOC_PATH.write_text(render(results, _plot(results)), encoding='utf-8')
        print('wrote %s from %s' % (DOC_PATH.relative_to(REPO_ROOT), results_path.relative_to(REPO_ROOT)))
        return 0
    started = time.monotonic()
    ports = Ports(arguments.http_port, arguments.https_port, arguments.control_port, arguments.azure_port, arguments.dc_address)
    kept = json.loads(results_path.read_text(encoding='utf-8')) if results_path.exists() and set(arguments.parts) != set(PARTS) else {}
    options = ' '.join(argv if argv is not None else sys.argv[1:]) or '(defaults)'
    if arguments.append and kept:
        results = dict(kept, options='%s`, then `%s' % (kept.get('options', '?'), options))
        # Only a new mesh part is added to the earlier runs; without one, the kept runs stay as they are (not twice).
        earlier_mesh, earlier_skipped = (kept.get('mesh') or [], kept.get('mesh_skipped') or []) if 'mesh' in arguments.parts else ([], [])
    else:
        results = dict(kept, date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), total_seconds=0.0, options=options,
                       machine='%d CPUs, load average %s at start' % (os.cpu_count() or 0, load_average()))
        earlier_mesh, earlier_skipped = [], []
    with tempfile.TemporaryDirectory(prefix='hvbench-') as workdir:
        ansible = Ansible(Path(workdir))
        with contextlib.suppress(KeyboardInterrupt):
            _measure(arguments, results, ansible, ports, started)
    if earlier_mesh or earlier_skipped:
        measured = {(row['hosts'], row['forks'], row['latency_ms']) for row in results.get('mesh') or [] if row.get('topology', 'mesh') == 'mesh'}
        results['mesh'] = earlier_mesh + (results.get('mesh') or [])
        results['mesh_skipped'] = [item for item in skipped_items(earlier_skipped) + (results.get('mesh_skipped') or [])
                                   if (item['hosts'], item['forks'], item['latency_ms']) not in measured]
    results['total_seconds'] = results.get('total_seconds', 0.0) + time.monotonic() - started
    if not arguments.no_write:
        write_results(results)  # first: the document can be made again from it (--render-only)
        DOC_PATH.write_text(render(results, _plot(results)), encoding='utf-8')
        print('wrote %s' % DOC_PATH.relative_to(REPO_ROOT), flush=True)
    print('benchmark took %.0f s' % (time.monotonic() - started), flush=True)
    return 0


def _plot(results: dict) -> Path | None:
    return plot(results.get('mesh') or [], results.get('mesh_skipped') or [], PLOT_DIR, results.get('mesh_one_phase') or [])


def _measure(arguments: argparse.Namespace, results: dict, ansible: Ansible, ports: Ports, started: float) -> None:
    """The chosen parts, cheapest first; the mesh last, as it fills what is left of the budget."""
    if 'tasks' in arguments.parts:
        measure_small_lab(results, ansible, ports)
    if 'replica' in arguments.parts:
        print('== playbooks/replica.yml (last host replicates the others)', flush=True)
        results['replica'] = measure_replica(ansible, ports, arguments.replica_sizes, max(arguments.forks))
        print(replica_table(results['replica']), '\n', flush=True)
    if 'asr' in arguments.parts:
        print('== playbooks/site_recovery_azure.yml against the fake Azure', flush=True)
        results['site_recovery'] = measure_site_recovery(ansible, ports, arguments.asr_vms)
        print(site_recovery_table(results['site_recovery']), '\n', flush=True)
        print(site_recovery_module_table(results['site_recovery']), '\n', flush=True)
    if 'drain' in arguments.parts:
        print('== playbooks/drain_host.yml against a serial vm_migrate loop (40 VMs, 4 destinations)', flush=True)
        results['drain'] = measure_drain(ansible, ports, arguments.drain_move_seconds)
        print(drain_table(results['drain']), '\n', flush=True)
    if 'mesh' in arguments.parts:
        print('== playbooks/live_migration.yml mesh', flush=True)
        plan = MeshPlan(arguments.sizes, arguments.forks, arguments.latencies, arguments.max_run_seconds, arguments.budget_seconds,
                        ring=arguments.ring, rerun=not arguments.no_rerun, all_forks_up_to=arguments.all_forks_up_to)
        mesh = MeshBenchmark(plan, ansible, ports, started)
        results['mesh'], results['mesh_skipped'] = mesh.rows, mesh.skipped  # the same lists: what is measured before an interrupt is kept
        mesh.run()
        print(mesh_table(results['mesh']), '\n', flush=True)
        print(skipped_text(results['mesh_skipped']), flush=True)
        if arguments.task_run_hosts:
            print('== what one task run costs the controller (%d local hosts, forks %d)' % (arguments.task_run_hosts, max(arguments.forks)), flush=True)
            results['task_run_costs'] = measure_task_run_costs(ansible, arguments.task_run_hosts, max(arguments.forks))
            print(task_run_cost_table(results['task_run_costs']), '\n', flush=True)


def measure_small_lab(results: dict, ansible: Ansible, ports: Ports) -> None:
    """Figures 1 and 4 (per-task cost, protocol minimum, ansible-core's path) on a 2-host lab with a Samba DC."""
    print('== per-task cost, protocol minimum, ansible-core path (2-host lab with a Samba DC)', flush=True)
    with tempfile.TemporaryDirectory(prefix='bench-tasks-') as state_dir, Lab(2, Path(state_dir), ports) as lab:
        print('  lab up in %.0f s' % lab.startup_seconds, flush=True)
        for key, measure in (('protocol_minimum', measure_protocol_minimum), ('task_costs', measure_task_costs),
                             ('ansible_core_path', measure_ansible_core_path)):
            phase_started = time.monotonic()
            results[key] = measure(lab, ansible)
            print('  %s measured in %.0f s' % (key, time.monotonic() - phase_started), flush=True)
    print(task_cost_table(results['task_costs'], results['protocol_minimum']), '\n', flush=True)
    print(core_path_table(results['ansible_core_path']), '\n', flush=True)


if __name__ == '__main__':
    sys.exit(main())
