# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site_recovery_azure.yml against the lab's hosts and the fake Azure: converges, then reruns with changed=0.

Every host of the play installs the Site Recovery provider and registers with the site (asr_host_registration); the test puts the
downloaded setup and the site's registration key on the hosts, where a real playbook would copy them with win_copy.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT  # pylint: disable=import-error
from asr_lab import CREDENTIALS, INSTALLER, RESOURCE_GROUP, SITE, VAULT, azure, fake_azure, hosts_with_the_site_key, only, play, vault_state  # noqa: F401  pylint: disable=unused-import

TARGET_RG = '/subscriptions/0000/resourceGroups/rg-dr-vms'
VNET = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'
ROLE = 'hyperv.mobility.site_recovery_azure : '  # the callback names role tasks with their role

PROTECTED_VMS = ['hv01-web', 'hv02-web']


def playbook_vars(azure_handle) -> dict:
    return {'azure_resource_group': RESOURCE_GROUP, 'azure_vault_name': VAULT, 'azure_subscription_id': azure_handle.subscription_id,
            'azure_tenant': azure_handle.tenant_id, 'azure_client_id': azure_handle.client_id, 'azure_secret': azure_handle.secret,
            'azure_cloud_environment': azure_handle.base_url + '/', 'azure_ca_bundle': azure_handle.ca_path,
            'site_recovery_azure_site': SITE, 'site_recovery_azure_copy_frequency': 30, 'site_recovery_azure_recovery_point_retention': 4,
            'site_recovery_azure_friendly_name': '{{ inventory_hostname }}.hvlab.test',
            'site_recovery_azure_vms': [{'vm_name': name, 'target_resource_group_id': TARGET_RG, 'target_network_id': VNET,
                                         'target_subnet': 'apps'} for name in PROTECTED_VMS]}


def test_playbook_registers_every_host_then_protects_the_vms_and_reruns_unchanged(azure, lab, run_playbook):
    lab.control.configure_site_recovery(azure.base_url, azure.ca_path)
    for host in lab.hosts:
        lab.control.patch_host(host['name'], os_release='2022', hyperv_installed=True, site_recovery={'products': {}, 'registration': None},
                               files={INSTALLER: 'AzureSiteRecoveryProvider 5.24.0902.1', CREDENTIALS: None})
    extra_vars = playbook_vars(azure)
    first = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    assert first.rc != 0, first.stdout
    assert [fabric['name'] for fabric in vault_state(azure)['fabrics']] == [SITE]  # the site is created before the registration
    registration = first.task(ROLE + 'Install the Site Recovery provider and register the host with the site')
    assert sorted(registration) == sorted(host['name'] for host in lab.hosts)
    assert all('The vault credentials file %s was not found' % CREDENTIALS in result['msg'] for result in registration.values())
    assert vault_state(azure)['policies'] == []  # stopped before the policy

    key = azure.control.vault_credentials(RESOURCE_GROUP, VAULT, SITE)  # what the user downloads from the vault for the site
    for host in lab.hosts:
        lab.control.patch_host(host['name'], files={CREDENTIALS: key})
    azure.control.settings(job_seconds=4)  # long enough to see whether the protections wait for each other
    converged = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    azure.control.settings(job_seconds=0)
    assert converged.rc == 0, converged.stdout
    state = vault_state(azure)
    assert sorted(host['name'] for host in state['fabrics'][0]['properties']['customDetails']['hyperVHosts']) == [
        '%s.hvlab.test' % host['name'] for host in lab.hosts]
    assert state['policies'][0]['properties']['providerSpecificDetails']['replicationInterval'] == 30
    assert state['mappings'][0]['properties']['policyFriendlyName'] == 'hyperv-to-azure'
    protected = {item['properties']['friendlyName']: item['properties'] for item in state['protected_items']}
    assert sorted(protected) == PROTECTED_VMS
    assert all(item['protectionState'] == 'Protected' and item['replicationHealth'] == 'Normal' for item in protected.values())
    assert sum(counts.get('changed', 0) for counts in converged.stats.values()) >= 3 + len(lab.hosts)  # registrations, policy, ...
    # The role starts every protection before it waits for any: the enable jobs of the VMs ran at the same time.
    enable_jobs = [job['properties'] for job in vault_state(azure)['jobs'] if job['properties']['scenarioName'] == 'EnableDr']
    assert len(enable_jobs) == len(PROTECTED_VMS)
    assert max(job['startTime'] for job in enable_jobs) < min(job['endTime'] for job in enable_jobs), enable_jobs
    protections = next(iter(converged.task(ROLE + 'Protect the VMs (the result of each protection)').values()))['results']
    assert [(item['item']['item']['vm_name'], item['changed'], item.get('failed', False)) for item in protections] == [
        (name, True, False) for name in PROTECTED_VMS], protections

    again = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    assert again.rc == 0, again.stdout
    assert again.changed_hosts() == [], again.stats
    assert azure.secret not in converged.stdout + again.stdout + converged.stderr

    # Check mode with one more VM: ansible-core runs no async job in check mode, so the role protects in turn and reports the new VM.
    extra_vm = dict(extra_vars['site_recovery_azure_vms'][0], vm_name='hv03-web')
    checked = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, check=True,
                           extra_vars=dict(extra_vars, site_recovery_azure_vms=extra_vars['site_recovery_azure_vms'] + [extra_vm]))
    assert checked.rc == 0, checked.stdout
    started = checked.task(ROLE + 'Start protecting the VMs (each waits for its enable job)')
    assert [(item['item']['vm_name'], item['changed']) for item in next(iter(started.values()))['results']] == [
        ('hv01-web', False), ('hv02-web', False), ('hv03-web', True)]
    assert sorted(item['properties']['friendlyName'] for item in vault_state(azure)['protected_items']) == PROTECTED_VMS  # nothing changed

    # The drill of Microsoft's guide on what the playbook protected: a test failover into an isolated network, then its cleanup.
    drill = [{'name': action, 'hyperv.mobility.asr_failover': dict({'site': SITE, 'name': PROTECTED_VMS[0], 'action': action}, **options)}
             for action, options in (('test_failover', {'test_network_id': VNET + '-drill'}), ('test_failover_cleanup', {'comments': 'drill ok'}))]
    drilled = run_playbook(play(azure, drill))
    assert drilled.rc == 0, drilled.stdout
    assert only(drilled, 'test_failover')['changed'] is True and only(drilled, 'test_failover_cleanup')['changed'] is True
    item = next(item for item in vault_state(azure)['protected_items'] if item['properties']['friendlyName'] == PROTECTED_VMS[0])
    assert item['properties']['testFailoverState'] == 'None', item['properties']  # cleaned up
    assert item['properties']['protectionState'] == 'Protected'

    # One of two new protections fails in Azure: the run says which VM failed and why, the other VM is protected, and the
    # next run protects the failed one only.
    more_vms = extra_vars['site_recovery_azure_vms'] + [dict(extra_vm, vm_name=name) for name in ('hv03-web', 'hv01-db')]
    more_vars = dict(extra_vars, site_recovery_azure_vms=more_vms)
    azure.control.inject(kind='job_failure', resource_group=RESOURCE_GROUP, vault=VAULT, code='ProtectionFailed', message='the lab refuses once')
    halfway = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=more_vars)
    assert halfway.rc != 0, halfway.stdout
    collected = next(iter(halfway.task(ROLE + 'Protect the VMs (the result of each protection)').values()))['results']
    outcome = {item['item']['item']['vm_name']: item for item in collected}
    failed = [name for name, item in outcome.items() if item.get('failed')]
    assert len(failed) == 1 and failed[0] in ('hv03-web', 'hv01-db'), outcome
    assert failed[0] in outcome[failed[0]]['msg'] and 'the lab refuses once' in outcome[failed[0]]['msg'], outcome[failed[0]]
    other = ({'hv03-web', 'hv01-db'} - set(failed)).pop()
    assert outcome[other]['changed'] is True and not outcome[other].get('failed'), outcome[other]
    assert sorted(item['properties']['friendlyName'] for item in vault_state(azure)['protected_items']) == sorted(PROTECTED_VMS + [other])

    converged_again = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=more_vars)
    assert converged_again.rc == 0, converged_again.stdout
    collected = next(iter(converged_again.task(ROLE + 'Protect the VMs (the result of each protection)').values()))['results']
    assert sorted(item['item']['item']['vm_name'] for item in collected if item['changed']) == failed
    assert sorted(item['properties']['friendlyName'] for item in vault_state(azure)['protected_items']) == sorted(PROTECTED_VMS + ['hv01-db', 'hv03-web'])

    # Target settings through the role (site_recovery_azure_vms[].target_vm_size / target_nics): changed in place on a
    # protected VM, then a rerun changes nothing.
    sized = [dict(vm, target_vm_size='Standard_D4s_v3', target_nics=[{'subnet': 'apps', 'static_ip': '10.20.1.15'}])
             if vm['vm_name'] == PROTECTED_VMS[0] else vm for vm in more_vms]
    resized = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=dict(more_vars, site_recovery_azure_vms=sized))
    assert resized.rc == 0, resized.stdout
    item = next(item for item in vault_state(azure)['protected_items'] if item['properties']['friendlyName'] == PROTECTED_VMS[0])
    details = item['properties']['providerSpecificDetails']
    assert details['recoveryAzureVMSize'] == 'Standard_D4s_v3', details
    assert [config['recoveryStaticIPAddress'] for config in details['vmNics'][0]['ipConfigs']] == ['10.20.1.15'], details['vmNics']
    unchanged = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=dict(more_vars, site_recovery_azure_vms=sized))
    assert unchanged.rc == 0 and unchanged.changed_hosts() == [], unchanged.stats


def test_playbook_without_vms_registers_the_hosts_and_sets_up_the_policy(azure, lab, run_playbook):
    """No VM listed (the role's default): Microsoft's first steps run, and the report says that nothing is protected yet."""
    hosts_with_the_site_key(azure, lab, run_playbook)
    extra_vars = dict(playbook_vars(azure))
    del extra_vars['site_recovery_azure_vms']
    run = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    assert run.rc == 0, run.stdout
    state = vault_state(azure)
    assert sorted(host['name'] for host in state['fabrics'][0]['properties']['customDetails']['hyperVHosts']) == [
        '%s.hvlab.test' % host['name'] for host in lab.hosts]
    assert [policy['name'] for policy in state['policies']] == ['hyperv-to-azure']
    assert state['mappings'][0]['properties']['policyFriendlyName'] == 'hyperv-to-azure'
    assert state['protected_items'] == []
    report = next(iter(run.task(ROLE + 'Report the health of the listed VMs').values()))
    assert report['msg'].startswith('No VM protected yet: the hosts are registered with site %s' % SITE), report


def test_initial_replication_wait_prints_progress_each_poll(azure, lab, run_playbook, tmp_path):
    """With the default output, a person sees each poll of the initial replication: the percentage Site Recovery reports and the
    expected end, then the VM protected."""
    hosts_with_the_site_key(azure, lab, run_playbook)
    # Long enough to outlast the tasks before the wait (each Azure module run costs seconds) and leave several polls to see.
    azure.control.settings(initial_replication_seconds=20)
    extra_vars = dict(playbook_vars(azure), site_recovery_azure_poll_interval=1)
    extra_vars['site_recovery_azure_vms'] = extra_vars['site_recovery_azure_vms'][:1]
    environment = dict(run_playbook.environment(), ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_HOME=str(tmp_path / 'ansible-home'))
    run = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(lab.inventory_path),
                          str(REPO_ROOT / 'playbooks' / 'site_recovery_azure.yml'), '-e', json.dumps(extra_vars)],
                         capture_output=True, text=True, env=environment, cwd=str(tmp_path), stdin=subprocess.DEVNULL, check=False, timeout=600)
    azure.control.settings(initial_replication_seconds=0)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    progress = re.findall(r'\(item=%s: initial replication (\d+)%%, expected end (\d\d:\d\d:\d\d|not known yet)\)' % PROTECTED_VMS[0], run.stdout)
    assert len(progress) >= 2, run.stdout[-4000:]
    percents = [int(percent) for percent, _end in progress]
    assert percents == sorted(percents) and percents[-1] > percents[0], progress
    assert any(end != 'not known yet' for _percent, end in progress), progress
    assert '(item=%s: Protected (Normal))' % PROTECTED_VMS[0] in run.stdout, run.stdout[-4000:]
