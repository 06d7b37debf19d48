# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures 5 and 6 of `make bench`: the replica role and Site Recovery against the fake Azure, first run and idempotent rerun.

Replica: playbooks/replica.yml on a lab of N hosts where the last host is the Replica server of all the others (one new VM
each, initial replication over the network, verified healthy); the lab's counters give WSMan requests and pipelines per host.

Site Recovery: playbooks/site_recovery_azure.yml against a 2-host lab and a fake Azure of its own (tests/lab/hvlab/azure),
with N new VMs spread over the hosts. The hosts have the provider setup but not yet the site's vault credentials file, so the
first run creates the site and stops at the registration (as a user's first run does); the key is then copied to the hosts,
then come the converging run and the rerun. ARM requests come from the fake Azure's request log, attributed to the task that
was running (benchlab.task_at).
"""

from __future__ import annotations

import collections
import sys
import tempfile
import uuid
from pathlib import Path

from benchlab import COUNTER_FIELDS, REPO_ROOT, Ansible, Lab, Ports, load_average, table, task_at, write_commands

sys.path.insert(0, str(REPO_ROOT / 'tests' / 'integration'))

from vm_replication_lab import FRESH_FIREWALL, FRESH_REPLICA_SERVER  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order

REPLICA_PLAYBOOK = REPO_ROOT / 'playbooks' / 'replica.yml'
SITE_RECOVERY_PLAYBOOK = REPO_ROOT / 'playbooks' / 'site_recovery_azure.yml'
REPLICATION_SPEED = 60  # simulated seconds per wall-clock second, as in tests/integration/test_replica_role.py
AZURE_ADDRESS = '127.0.10.253'
AZURE_SETTINGS = {'job_seconds': 1.0, 'poll_seconds': 1, 'initial_replication_seconds': 2.0}
RESOURCE_GROUP, VAULT, SITE = 'rg-bench', 'vault-bench', 'site-bench'
RUNS = ('first run', 'rerun')
BEFORE_KEY = 'without the vault key'
INSTALLER = 'C:\\ASR\\AzureSiteRecoveryProvider.exe'  # the role's defaults: where the provider setup and the site's key are
CREDENTIALS = 'C:\\ASR\\%s.VaultCredentials' % SITE


def task_durations(timeline: list) -> list:
    """[(task name, seconds)] from the start of each task to the start of the next (the last event is the end of the run)."""
    return [(event['task'], following['time'] - event['time']) for event, following in zip(timeline, timeline[1:])]


def slowest_task(timeline: list) -> str:
    """The task that took longest, without its role prefix, and its seconds."""
    durations = task_durations(timeline)
    if not durations:
        return '—'
    name, seconds = max(durations, key=lambda item: item[1])
    return '%s (%.1f s)' % (name.split(' : ', 1)[-1], seconds)


# ---- replica ------------------------------------------------------------------------------------------------------


def new_vm(name: str) -> dict:
    """A running VM with one disk, in the lab's host state format."""
    return {'name': name, 'id': str(uuid.uuid4()), 'state': 'Running', 'version': '10.0', 'path': 'C:\\VMs\\%s' % name,
            'disks': [{'path': 'C:\\VMs\\%s\\%s.vhdx' % (name, name)}]}


def measure_replica(ansible: Ansible, ports: Ports, sizes: list, max_forks: int) -> list:  # pylint: disable=too-many-locals
    """First run and rerun of playbooks/replica.yml at each lab size: the last host replicates all the others."""
    rows = []
    for hosts in sizes:
        with tempfile.TemporaryDirectory(prefix='bench-replica-%d-' % hosts) as state_dir, Lab(hosts, Path(state_dir), ports, with_dc=False) as lab:
            names = lab.names
            replica, primaries = names[-1], names[:-1]
            for name in primaries:
                lab.control.patch_host(name, vms=lab.control.host_state(name)['vms'] + [new_vm('bench-%s' % name)])
            lab.control.patch_host(replica, replica_server=FRESH_REPLICA_SERVER, firewall_rules=FRESH_FIREWALL)
            lab.control.replication(speed=REPLICATION_SPEED)
            extra_vars = {'replication_pairs': [{'primary': name, 'replica': replica, 'vms': ['bench-%s' % name]} for name in primaries],
                          'replica_hosts': ':'.join(names), 'replica_storage_location': 'D:\\Replica',
                          'replica_verify_retries': 10, 'replica_verify_delay': 1, 'replica_timeout': 300}
            for run in RUNS:
                lab.control.reset_counters()
                load_before = load_average()
                cost = ansible.run(REPLICA_PLAYBOOK, lab.inventory, forks=min(hosts, max_forks), extra_vars=extra_vars, timeout=900)
                counters = lab.control.counters()
                per_host = {name: dict({field: counters[name][field] for field in COUNTER_FIELDS}, writes=write_commands(counters[name]))
                            for name in names}
                row = {'hosts': hosts, 'pairs': len(primaries), 'run': run, 'forks': min(hosts, max_forks), 'replica': replica,
                       'per_host': per_host, 'wsman_requests': sum(item['requests'] for item in per_host.values()),
                       'pipelines': sum(item['pipelines'] for item in per_host.values()), 'writes': sum(item['writes'] for item in per_host.values()),
                       'slowest_task': slowest_task(cost.timeline), 'load': load_before + ' → ' + load_average(), **cost.summary()}
                rows.append(row)
                print('  replica N=%(hosts)d (%(pairs)d pairs) %(run)s: %(wall_s).1f s wall, %(cpu_s).1f s CPU, %(peak_rss_mib).0f MiB, rc=%(rc)d, '
                      'changed=%(changed)d, %(wsman_requests)d WSMan requests, %(pipelines)d pipelines, %(writes)d writes (load %(load)s)' % row,
                      flush=True)
                if cost.returncode != 0:
                    print(cost.output[-3000:], flush=True)
            lab.control.replication(speed=0)
    return rows


def _span(values: list) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else '%d–%d' % (low, high)


def replica_table(rows: list) -> str:
    """One line a run; per-host figures as the primaries' range / the Replica server's."""
    lines = []
    for row in rows:
        primaries = [item for name, item in row['per_host'].items() if name != row['replica']]
        replica = row['per_host'][row['replica']]
        lines.append(['%d (%d → 1)' % (row['hosts'], row['pairs']), row['run'], row['forks'], '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'],
                      '%.0f' % row['peak_rss_mib'], row['rc'], row['changed'], row['wsman_requests'], row['pipelines'],
                      '%s / %s' % (_span([item['requests'] for item in primaries]), replica['requests']),
                      '%s / %s' % (_span([item['pipelines'] for item in primaries]), replica['pipelines']),
                      '%s / %s' % (_span([item['writes'] for item in primaries]), replica['writes']), row['slowest_task'], row['load']])
    return table(['hosts (primaries → replica)', 'run', 'forks', 'wall s', 'controller CPU s', 'peak RSS MiB', 'rc', 'changed', 'WSMan requests',
                  'pipelines', 'requests per host (primary / replica)', 'pipelines per host (primary / replica)', 'writes (primary / replica)',
                  'slowest task', 'load avg (before → after)'], lines)


# ---- Site Recovery ------------------------------------------------------------------------------------------------


def request_kind(request: dict) -> str:
    """discovery, token, LRO poll, read or write, from the method and the path."""
    path = request['path'].lower()
    if path.endswith('/oauth2/v2.0/token'):
        return 'token'
    if path.startswith('/metadata/') or '/.well-known/' in path or 'discovery' in path:
        return 'discovery'
    if '/replicationoperationstatus/' in path or '/replicationoperationresults/' in path:
        return 'LRO poll'
    return 'read' if request['method'] == 'GET' else 'write'


REQUEST_KINDS = ('discovery', 'token', 'read', 'write', 'LRO poll')


def with_modules(timeline: list) -> list:
    """The timeline, each task with the module it stands for ('module'). An async_status task collects the jobs the task
    before it started (the role protects its VMs as async jobs), so its time and the requests that arrive during it are
    that module's."""
    annotated, owner = [], '(before the first task)'
    for event in timeline:
        module = event['action'].rsplit('.', 1)[-1]
        owner = owner if module == 'async_status' else module
        annotated.append(dict(event, module=owner))
    return annotated


def requests_per_module(requests: list, timeline: list) -> dict:
    """{module: Counter(kind)} of the ARM requests logged while each task ran."""
    per_module: dict = collections.defaultdict(collections.Counter)
    timeline = with_modules(timeline)
    for request in requests:
        task = task_at(timeline, request['time'])
        per_module[task['module'] if task else '(before the first task)'][request_kind(request)] += 1
    return {module: dict(counts) for module, counts in per_module.items()}


def measure_site_recovery(ansible: Ansible, ports: Ports, vm_counts: list) -> list:
    """The three runs of playbooks/site_recovery_azure.yml for each number of VMs, on one lab and one fake Azure."""
    from hvlab.azure import start_fake_azure  # pylint: disable=import-outside-toplevel

    rows = []
    with tempfile.TemporaryDirectory(prefix='bench-asr-') as state_dir, Lab(2, Path(state_dir) / 'lab', ports, with_dc=False) as lab:
        azure = start_fake_azure(state_dir, address=AZURE_ADDRESS, port=ports.azure)
        try:
            for count in vm_counts:
                rows += _site_recovery_runs(ansible, lab, azure, count)
        finally:
            azure.stop()
    return rows


def _prepare_site_recovery_hosts(lab: Lab, azure, count: int) -> list:
    """Hosts ready for the role (Windows Server 2022, Hyper-V, the provider setup copied, no key yet) with `count` new VMs in all."""
    control = azure.control
    control.reset()
    control.settings(**AZURE_SETTINGS)
    control.create_vault(RESOURCE_GROUP, VAULT)
    lab.control.configure_site_recovery(azure.base_url, azure.ca_path)  # where the hosts' provider registers
    names = ['asr-vm%02d' % index for index in range(1, count + 1)]
    for position, host in enumerate(lab.names):
        seeded = [vm for vm in lab.control.host_state(host)['vms'] if not vm['name'].startswith('asr-vm')]
        lab.control.patch_host(host, os_release='2022', hyperv_installed=True, site_recovery={'products': {}, 'registration': None},
                               files={INSTALLER: 'AzureSiteRecoveryProvider 5.24.0902.1', CREDENTIALS: None},
                               vms=seeded + [new_vm(name) for name in names[position::len(lab.names)]])
    return names


def _site_recovery_runs(ansible: Ansible, lab: Lab, azure, count: int) -> list:
    names = _prepare_site_recovery_hosts(lab, azure, count)
    extra_vars = {'azure_resource_group': RESOURCE_GROUP, 'azure_vault_name': VAULT, 'azure_subscription_id': azure.subscription_id,
                  'azure_tenant': azure.tenant_id, 'azure_client_id': azure.client_id, 'azure_secret': azure.secret,
                  'azure_cloud_environment': azure.base_url + '/', 'azure_ca_bundle': azure.ca_path, 'site_recovery_azure_site': SITE,
                  'site_recovery_azure_copy_frequency': 30, 'site_recovery_azure_timeout': 300,
                  'site_recovery_azure_friendly_name': '{{ inventory_hostname }}.hvlab.test',
                  'site_recovery_azure_vms': [{'vm_name': name, 'target_resource_group_id': '/subscriptions/0000/resourceGroups/rg-dr-vms',
                                               'target_network_id': '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/'
                                                                    'virtualNetworks/vnet-dr', 'target_subnet': 'apps'} for name in names]}
    rows = []
    for run in (BEFORE_KEY,) + RUNS:
        if run == RUNS[0]:  # the user downloads the site's vault credentials file and copies it to the hosts
            key = azure.control.vault_credentials(RESOURCE_GROUP, VAULT, SITE)
            for host in lab.names:
                lab.control.patch_host(host, files={CREDENTIALS: key})
        azure.control.call('DELETE', 'requests')
        lab.control.reset_counters()
        load_before = load_average()
        cost = ansible.run(SITE_RECOVERY_PLAYBOOK, lab.inventory, forks=5, extra_vars=extra_vars, timeout=900)
        requests = azure.control.requests()
        counters = lab.control.counters()
        row = {'vms': count, 'run': run, 'arm_requests': len(requests), 'per_module': requests_per_module(requests, cost.timeline),
               'kinds': dict(collections.Counter(request_kind(request) for request in requests)),
               'wsman_requests': sum(item['requests'] for item in counters.values()), 'pipelines': sum(item['pipelines'] for item in counters.values()),
               'durations': _module_durations(cost.timeline), 'slowest_task': slowest_task(cost.timeline),
               'load': load_before + ' → ' + load_average(), **cost.summary()}
        rows.append(row)
        print('  site recovery %(vms)d VMs, %(run)s: %(wall_s).1f s wall, %(cpu_s).1f s CPU, %(peak_rss_mib).0f MiB, rc=%(rc)d, changed=%(changed)d, '
              '%(arm_requests)d ARM requests %(kinds)s, %(wsman_requests)d WSMan requests (load %(load)s)' % row, flush=True)
        if cost.returncode != 0 and run != BEFORE_KEY:
            print(cost.output[-3000:], flush=True)
    return rows


def _module_durations(timeline: list) -> dict:
    seconds: dict = collections.defaultdict(float)
    timeline = with_modules(timeline)
    for event, following in zip(timeline, timeline[1:]):
        seconds[event['module']] += following['time'] - event['time']
    return dict(seconds)


def site_recovery_table(rows: list) -> str:
    """One line a run."""
    return table(['VMs', 'run', 'wall s', 'controller CPU s', 'peak RSS MiB', 'rc', 'changed', 'ARM requests', 'of which token',
                  'of which LRO polls', 'WSMan requests (host tasks)', 'pipelines', 'slowest task', 'load avg (before → after)'],
                 [[row['vms'], row['run'], '%.1f' % row['wall_s'], '%.1f' % row['cpu_s'], '%.0f' % row['peak_rss_mib'], row['rc'], row['changed'],
                   row['arm_requests'], row['kinds'].get('token', 0), row['kinds'].get('LRO poll', 0), row['wsman_requests'], row['pipelines'],
                   row['slowest_task'], row['load']] for row in rows])


def site_recovery_module_table(rows: list) -> str:
    """ARM requests per module and kind, converging run and rerun."""
    lines = []
    for row in rows:
        if row['run'] == BEFORE_KEY:
            continue
        for module, counts in sorted(row['per_module'].items()):
            lines.append([row['vms'], row['run'], module, sum(counts.values())] + [counts.get(kind, 0) for kind in REQUEST_KINDS]
                         + ['%.1f' % row['durations'].get(module, 0.0)])
    return table(['VMs', 'run', 'module', 'ARM requests'] + list(REQUEST_KINDS) + ['task wall s'], lines)
