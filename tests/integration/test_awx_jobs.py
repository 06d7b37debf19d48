# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job templates and credential types of docs/awx run as AWX runs them (tests/awx_emulation.py: AWX's own credential injection,
ansible-runner over a private data directory) against the lab and the fake Azure.

An AWX inventory keeps each host's connection settings and no secrets; the credential holds the account. A credential created with
the required fields only must neither hide the hosts' own settings nor turn certificate validation off.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from asr_lab import RESOURCE_GROUP, SITE, VAULT, azure, fake_azure, hosts_with_the_site_key, vault_state  # noqa: F401  pylint: disable=unused-import
from awx_emulation import load_example, run_job  # pylint: disable=import-error

HOST_TYPE = load_example('credential_types', 'hyperv_host')
AZURE_TYPE = load_example('credential_types', 'azure_site_recovery')


def awx_inventory(lab, without=()) -> dict:
    """The lab's inventory as an AWX inventory holds it: every host's connection settings, the account left to the credential."""
    inventory = yaml.safe_load(Path(lab.inventory_path).read_text(encoding='utf-8'))
    hosts = inventory['all']['children']['hyperv_hosts']['hosts']
    for settings in hosts.values():
        for name in ('ansible_user', 'ansible_password') + tuple(without):
            settings.pop(name, None)
    return inventory


def job_environment(collections_root, tmp_path) -> dict:
    """What the execution environment provides: the collection (here this repository) and a home of its own."""
    return {'ANSIBLE_COLLECTIONS_PATH': str(collections_root), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_HOME': str(tmp_path / 'ansible-home'), 'ANSIBLE_ASYNC_DIR': str(tmp_path / 'ansible-async'), 'ANSIBLE_NOCOLOR': '1'}


def test_host_credential_with_the_required_fields_only_keeps_each_hosts_settings(lab, collections_root, tmp_path):
    template = load_example('job_templates', 'host_inventory_report')
    account = {'username': 'labadmin', 'password': lab.password}
    job = run_job(template, [(HOST_TYPE, account)], awx_inventory(lab), tmp_path / 'required-only',
                  environment=job_environment(collections_root, tmp_path))
    assert (job.rc, job.status) == (0, 'successful'), job.stdout[-4000:]
    # An authentication the lab's hosts refuse: it applies only where a host's inventory names none, so every host keeps its own.
    job = run_job(template, [(HOST_TYPE, dict(account, auth='kerberos'))], awx_inventory(lab), tmp_path / 'with-auth',
                  environment=job_environment(collections_root, tmp_path))
    assert (job.rc, job.status) == (0, 'successful'), job.stdout[-4000:]


def test_host_credential_keeps_certificate_validation_on_and_gives_the_ca(lab, collections_root, tmp_path):
    template = load_example('job_templates', 'host_inventory_report')
    account = {'username': 'labadmin', 'password': lab.password}
    inventory = awx_inventory(lab, without=('ansible_psrp_ca_cert',))   # the psrp hosts (HTTPS) now have no CA of their own
    psrp_hosts = [host['name'] for host in lab.hosts_over('psrp')]
    job = run_job(template, [(HOST_TYPE, account)], inventory, tmp_path / 'no-ca', environment=job_environment(collections_root, tmp_path))
    assert job.status == 'failed', job.stdout[-4000:]
    assert 'CERTIFICATE_VERIFY_FAILED' in job.stdout or 'certificate verify failed' in job.stdout, job.stdout[-4000:]
    for name in psrp_hosts:
        assert 'fatal: [%s]' % name in job.stdout
    ca_pem = Path(lab.ca_path).read_text(encoding='utf-8')
    job = run_job(template, [(HOST_TYPE, dict(account, ca_cert=ca_pem))], inventory, tmp_path / 'with-ca',
                  environment=job_environment(collections_root, tmp_path))
    assert (job.rc, job.status) == (0, 'successful'), job.stdout[-4000:]


def test_site_recovery_template_registers_the_hosts_with_the_vault_from_the_survey(azure, lab, run_playbook, collections_root, tmp_path):
    """The Site Recovery template with an Azure credential for a sovereign cloud (its metadata URL) whose CA is private, and no VM
    listed: the hosts register with the site and the policy is set up."""
    hosts_with_the_site_key(azure, lab, run_playbook)
    template = load_example('job_templates', 'site_recovery_azure')
    azure_inputs = {'subscription_id': azure.subscription_id, 'client_id': azure.client_id, 'secret': azure.secret, 'tenant': azure.tenant_id,
                    'cloud_environment': azure.base_url + '/', 'ca_bundle': Path(azure.ca_path).read_text(encoding='utf-8')}
    answers = {'azure_resource_group': RESOURCE_GROUP, 'azure_vault_name': VAULT, 'site_recovery_azure_site': SITE}
    job = run_job(template, [(HOST_TYPE, {'username': 'labadmin', 'password': lab.password}), (AZURE_TYPE, azure_inputs)],
                  awx_inventory(lab), tmp_path / 'site-recovery', answers=answers, environment=job_environment(collections_root, tmp_path))
    assert (job.rc, job.status) == (0, 'successful'), job.stdout[-4000:]
    assert 'No VM protected yet' in job.stdout
    state = vault_state(azure)
    # Registered under their inventory names (the role's default friendly name).
    assert sorted(host['name'] for host in state['fabrics'][0]['properties']['customDetails']['hyperVHosts']) == [host['name'] for host in lab.hosts]
    assert [policy['name'] for policy in state['policies']] == ['hyperv-to-azure']
    assert azure.secret not in job.stdout


def test_replica_template_replicates_the_inventorys_pairs(lab, collections_root, tmp_path):
    """The Replica template sets no pairs of its own: the inventory's replication_pairs (its group_vars) are the ones replicated."""
    inventory = awx_inventory(lab)
    inventory['all']['children']['hyperv_hosts']['vars'] = {
        'replication_pairs': [{'primary': 'hv03', 'replica': 'hv02', 'vms': ['hv03-web']}], 'replica_poll_interval': 1,
        'replica_verify_delay': 1, 'replica_storage_location': 'D:\\Replica'}
    lab.control.replication(speed=60)
    try:
        job = run_job(load_example('job_templates', 'replica'), [(HOST_TYPE, {'username': 'labadmin', 'password': lab.password})],
                      copy.deepcopy(inventory), tmp_path / 'replica', environment=job_environment(collections_root, tmp_path))
    finally:
        lab.control.replication(speed=0)
    assert (job.rc, job.status) == (0, 'successful'), job.stdout[-4000:]
    relationship = lab.control.host_state('hv03')['replication']['relationships']['hv03-web']
    assert relationship['replica_server'].lower() == 'hv02.hvlab.test' and relationship['state'] == 'Replicating'
