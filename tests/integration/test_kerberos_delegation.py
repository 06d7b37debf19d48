# -*- coding: utf-8 -*-
"""hyperv.mobility.kerberos_delegation through real ansible-playbook against a real Samba AD DC on loopback.

Every result is checked against the directory itself (`samba-tool delegation show` and ldbsearch on sam.ldb),
not only against the module's own read-back.
"""

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
ANSIBLE_PLAYBOOK = str(Path(PYTHON).parent / 'ansible-playbook')
MIGRATION = 'Microsoft Virtual System Migration Service'
_names = itertools.count(1)


# ---- fixtures: samba_dc and collections_root come from tests/conftest.py ---------------------------------------------
class Playbooks:
    """Runs one kerberos_delegation task through ansible-playbook and returns its result."""

    def __init__(self, dc, collections_root, workdir):
        self.dc = dc
        self.collections_root = collections_root
        self.workdir = workdir
        self.inventory = workdir / 'inventory.ini'
        self.inventory.write_text(f'localhost ansible_connection=local ansible_python_interpreter={PYTHON}\n')

    def ad_options(self, **overrides):
        options = dict(ad_server=self.dc.address, ad_username=self.dc.admin_user, ad_password=self.dc.admin_password, ad_ca_cert=self.dc.ca_path)
        options.update(overrides)
        return {key: value for key, value in options.items() if value is not None}

    def run(self, args, check=False, diff=False, env=None, ad=None, inventory_vars=None):
        """One task; the AD options in the task, or (inventory_vars given) only what inventory_vars and args say."""
        task_args = dict(self.ad_options(**(ad or {}))) if inventory_vars is None else {}
        task_args.update(args)
        inventory = self.inventory
        if inventory_vars is not None:
            inventory = self.workdir / 'inventory.yml'
            inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': dict(
                inventory_vars, ansible_connection='local', ansible_python_interpreter=PYTHON)}}}))
        play = [{'hosts': 'localhost', 'gather_facts': False,
                 'tasks': [{'name': 'delegation', 'hyperv.mobility.kerberos_delegation': task_args, 'ignore_errors': True}]}]
        playbook = self.workdir / f'play{next(_names)}.yml'
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        command = [ANSIBLE_PLAYBOOK, '-i', str(inventory), str(playbook)]
        if check:
            command.append('--check')
        if diff:
            command += ['--diff', '-vvv']  # callbacks drop a result's 'diff' below verbosity 3
        # ansible-core alone has no json stdout callback; the tree callback writes each host's last result as JSON.
        tree = self.workdir / f'tree{next(_names)}'
        run_env = {**os.environ, 'ANSIBLE_COLLECTIONS_PATH': str(self.collections_root), 'ANSIBLE_CALLBACKS_ENABLED': 'ansible.builtin.tree',
                   'ANSIBLE_CALLBACK_TREE_DIR': str(tree), 'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_NOCOLOR': '1', **(env or {})}
        completed = subprocess.run(command, capture_output=True, text=True, env=run_env, timeout=180, check=False)
        result_file = tree / 'localhost'
        if not result_file.exists():
            raise AssertionError(f'ansible-playbook gave no result (rc {completed.returncode}):\n{completed.stdout}\n{completed.stderr}')
        result = json.loads(result_file.read_text())
        # Callbacks strip 'failed' and 'warnings' from what they record; the default stdout callback shows them.
        result['failed'] = 'fatal: [localhost]: FAILED!' in completed.stdout
        result['output_text'] = completed.stdout + completed.stderr
        return result


@pytest.fixture()
def playbooks(samba_dc, collections_root, tmp_path):
    return Playbooks(samba_dc, collections_root, tmp_path)


@pytest.fixture()
def pair(samba_dc):
    """Two fresh computer accounts (short names) with dNSHostName, as domain-joined Hyper-V hosts have."""
    names = []
    for _unused in range(2):
        name = f'kd{next(_names):03d}'
        samba_dc.add_computer(name, f'{name}.{samba_dc.dns_domain}')
        names.append(name)
    return names


# ---- independent view of the directory --------------------------------------------------------------------------------
def delegation_of(dc, name):
    """(services, any-protocol flag, unconstrained flag, RBCD principals) from samba-tool delegation show."""
    text = dc.delegation_show(f'{name}$')
    services, principals = [], []
    flags = {}
    for line in text.splitlines():
        key, _unused, value = line.partition(':')
        value = value.strip()
        if key == 'msDS-AllowedToDelegateTo':
            services.append(value)
        elif key.startswith('UF_'):
            flags[key] = value == 'True'
        elif key == 'msDS-AllowedToActOnBehalfOfOtherIdentity':
            principals.append(value)
    return dict(services=sorted(services, key=str.lower), any_protocol=flags['UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION'],
                unconstrained=flags['UF_TRUSTED_FOR_DELEGATION'], principals=principals, text=text)


def ldb_attribute(dc, name, attribute):
    """Raw attribute values of NAME$ read straight from sam.ldb."""
    out = subprocess.run(['ldbsearch', '-H', str(dc.sam_ldb), f'(sAMAccountName={name}$)', attribute],
                         capture_output=True, text=True, check=True).stdout
    return [line.split(':', 1)[1].strip() for line in out.splitlines() if line.lower().startswith(attribute.lower() + ':')]


def expected_spns(dc, peer):
    fqdn = f'{peer}.{dc.dns_domain}'
    return sorted([f'cifs/{peer}', f'cifs/{fqdn}', f'{MIGRATION}/{peer}', f'{MIGRATION}/{fqdn}'], key=str.lower)


def assert_failed_with(result, *fragments):
    assert result['failed'] is True, result
    for fragment in fragments:
        assert fragment.lower() in result['msg'].lower(), result['msg']
    assert not result.get('changed'), result


# ---- where the AD options come from (issue 20 item 1) -------------------------------------------------------------------
def test_ad_options_come_from_the_inventory_and_the_task_still_wins(samba_dc, playbooks, pair):
    first, second = pair
    inventory = playbooks.ad_options()
    # Only inventory vars: the play names no AD option, the environment points elsewhere and loses to the inventory.
    result = playbooks.run({'computer': first, 'migration_peers': [second]}, inventory_vars=inventory,
                           env={'HYPERV_AD_SERVER': '127.0.0.1', 'HYPERV_AD_USERNAME': 'nobody@NOWHERE'})
    assert result['changed'] is True and not result['failed'], result
    assert delegation_of(samba_dc, first)['services'] == expected_spns(samba_dc, second)
    # A task option beats the inventory var of the same name.
    refused = playbooks.run({'computer': first, 'migration_peers': [second], 'ad_port': 1}, inventory_vars=inventory)
    assert_failed_with(refused, 'cannot reach AD server', ':1')


def test_ad_options_in_the_inventory_are_templated(samba_dc, playbooks, pair):
    first, second = pair
    inventory = dict(playbooks.ad_options(), dc_address=samba_dc.address, ad_server='{{ dc_address }}')
    result = playbooks.run({'computer': first, 'migration_peers': [second]}, inventory_vars=inventory)
    assert result['changed'] is True and not result['failed'], result


# ---- constrained delegation -------------------------------------------------------------------------------------------
def test_pair_both_directions_then_idempotent(samba_dc, playbooks, pair):
    first, second = pair
    for source, peer in ((first, second), (second, first)):
        result = playbooks.run({'computer': source, 'migration_peers': [peer]})
        assert result['changed'] is True, result
        assert sorted(result['services_added'], key=str.lower) == expected_spns(samba_dc, peer)
        assert 'klist -li 0x3e7 purge' in result['caveat']
        assert result['delegation']['protocol_transition'] is True
        assert result['delegation']['trusted_for_delegation'] is False
        seen = delegation_of(samba_dc, source)
        assert seen['services'] == expected_spns(samba_dc, peer), seen['text']
        assert seen['any_protocol'] is True and seen['unconstrained'] is False
        uac = int(ldb_attribute(samba_dc, source, 'userAccountControl')[0])
        assert uac & 0x1000000 and not uac & 0x80000

    again = playbooks.run({'computer': f'{first.upper()}$', 'migration_peers': [f'{second}.{samba_dc.dns_domain}']})
    assert again['changed'] is False, again
    assert again['services_added'] == [] and again['services_removed'] == []
    assert again['delegation']['allowed_to_delegate_to'] == expected_spns(samba_dc, second)


def test_computers_delegate_every_account_in_one_task_and_fail_only_the_broken_entries(samba_dc, playbooks, pair):
    first, second = pair
    result = playbooks.run({'computers': [
        {'computer': first, 'migration_peers': [second]},
        {'computer': second, 'migration_peers': [first, 'nosuchpeer']},
        {'computer': 'nosuchhost', 'migration_peers': [first]},
    ]})
    assert result['failed'] is False and result['changed'] is True, result
    assert result['failed_computers'] == [second, 'nosuchhost']
    assert result['computers'][first]['changed'] is True
    assert sorted(result['computers'][first]['services_added'], key=str.lower) == expected_spns(samba_dc, second)
    assert "'nosuchpeer' not found" in result['computers'][second]['msg'] and result['computers'][second]['failed'] is True
    assert "'nosuchhost' not found" in result['computers']['nosuchhost']['msg']
    assert 'klist -li 0x3e7 purge' in result['caveat']
    # The directory itself: the good entry written, the entry with a missing peer left as it was.
    assert delegation_of(samba_dc, first)['services'] == expected_spns(samba_dc, second)
    assert delegation_of(samba_dc, first)['any_protocol'] is True
    assert delegation_of(samba_dc, second)['services'] == []

    again = playbooks.run({'computers': [{'computer': first.upper() + '$', 'migration_peers': [second]},
                                         {'computer': second, 'migration_peers': [f'{first}.{samba_dc.dns_domain}']}]})
    assert again['failed'] is False and again['failed_computers'] == [], again
    assert again['computers'][first.upper() + '$']['changed'] is False
    assert again['computers'][second]['changed'] is True
    assert delegation_of(samba_dc, second)['services'] == expected_spns(samba_dc, first)

    # Every entry failed: the task fails, naming each.
    broken = playbooks.run({'computers': [{'computer': 'nosuchhost', 'migration_peers': [first]}]})
    assert_failed_with(broken, 'no account could be delegated', "'nosuchhost' not found")


def test_computers_check_mode_predicts_each_entry_and_writes_nothing(samba_dc, playbooks, pair):
    first, second = pair
    result = playbooks.run({'computers': [{'computer': first, 'migration_peers': [second]}]}, check=True)
    assert result['changed'] is True and result['computers'][first]['delegation']['allowed_to_delegate_to'] == expected_spns(samba_dc, second)
    assert delegation_of(samba_dc, first)['services'] == []


def test_purge_keeps_exactly_the_listed_services(samba_dc, playbooks, pair):
    source, peer = pair
    playbooks.run({'computer': source, 'services': ['cifs/oldhost', 'HOST/oldhost.hvlab.test']})
    result = playbooks.run({'computer': source, 'migration_peers': [peer], 'purge': True})
    assert result['changed'] is True
    assert sorted(result['services_removed']) == ['HOST/oldhost.hvlab.test', 'cifs/oldhost']
    assert delegation_of(samba_dc, source)['services'] == expected_spns(samba_dc, peer)
    assert playbooks.run({'computer': source, 'migration_peers': [peer], 'purge': True})['changed'] is False


def test_absent_removes_listed_then_everything(samba_dc, playbooks, pair):
    source, peer = pair
    playbooks.run({'computer': source, 'migration_peers': [peer]})
    playbooks.run({'computer': source, 'services': ['cifs/keepme']})
    result = playbooks.run({'computer': source, 'migration_peers': [peer], 'state': 'absent'})
    assert result['changed'] is True
    seen = delegation_of(samba_dc, source)
    assert seen['services'] == ['cifs/keepme'] and seen['any_protocol'] is True  # still delegating: the bit stays
    assert playbooks.run({'computer': source, 'migration_peers': [peer], 'state': 'absent'})['changed'] is False

    cleared = playbooks.run({'computer': source, 'state': 'absent'})
    assert cleared['changed'] is True and cleared['services_removed'] == ['cifs/keepme']
    seen = delegation_of(samba_dc, source)
    assert seen['services'] == [] and seen['any_protocol'] is False
    assert ldb_attribute(samba_dc, source, 'msDS-AllowedToDelegateTo') == []


def test_check_mode_and_diff_change_nothing(samba_dc, playbooks, pair):
    source, peer = pair
    result = playbooks.run({'computer': source, 'migration_peers': [peer]}, check=True, diff=True)
    assert result['changed'] is True
    assert result['diff']['before']['allowed_to_delegate_to'] == []
    assert result['diff']['before']['protocol_transition'] is False
    assert result['diff']['after']['allowed_to_delegate_to'] == expected_spns(samba_dc, peer)
    assert result['diff']['after']['protocol_transition'] is True
    assert result['delegation']['allowed_to_delegate_to'] == expected_spns(samba_dc, peer)  # predicted
    seen = delegation_of(samba_dc, source)
    assert seen['services'] == [] and seen['any_protocol'] is False

    applied = playbooks.run({'computer': source, 'migration_peers': [peer], 'protocol_transition': False}, diff=True)
    assert applied['diff']['after']['protocol_transition'] is False
    assert delegation_of(samba_dc, source)['any_protocol'] is False
    assert delegation_of(samba_dc, source)['services'] == expected_spns(samba_dc, peer)


def test_unconstrained_account_is_warned_and_left_alone(samba_dc, playbooks, pair):
    source, peer = pair
    subprocess.run(['samba-tool', 'delegation', 'for-any-service', f'{source}$', 'on', '-H', str(samba_dc.sam_ldb)], check=True, capture_output=True)
    result = playbooks.run({'computer': source, 'migration_peers': [peer]})
    assert '[WARNING]' in result['output_text'] and 'unconstrained delegation (TRUSTED_FOR_DELEGATION)' in result['output_text'], result
    assert result['delegation']['trusted_for_delegation'] is True
    assert delegation_of(samba_dc, source)['unconstrained'] is True


# ---- resource-based ---------------------------------------------------------------------------------------------------
def test_resource_based_add_idempotent_and_absent(samba_dc, playbooks, pair):
    resource, peer = pair
    result = playbooks.run({'computer': resource, 'mode': 'resource_based', 'migration_peers': [peer]}, diff=True)
    assert result['changed'] is True, result
    assert result['principals_added'] == [f'{peer.upper()}$']
    assert result['delegation']['allowed_principals'] == [f'{peer.upper()}$']
    assert result['diff']['before']['allowed_principals'] == []
    # samba-tool decodes the descriptor we wrote and finds the peer's SID in it.
    seen = delegation_of(samba_dc, resource)
    assert seen['principals'] == [f'CN={peer.upper()},CN=Computers,{samba_dc.base_dn}'], seen['text']
    assert playbooks.run({'computer': resource, 'mode': 'resource_based', 'migration_peers': [peer]})['changed'] is False

    gone = playbooks.run({'computer': resource, 'mode': 'resource_based', 'migration_peers': [peer], 'state': 'absent'})
    assert gone['changed'] is True and gone['principals_removed'] == [f'{peer.upper()}$']
    assert ldb_attribute(samba_dc, resource, 'msDS-AllowedToActOnBehalfOfOtherIdentity') == []


def test_resource_based_reads_what_samba_tool_writes(samba_dc, playbooks, pair):
    resource, peer = pair
    subprocess.run(['samba-tool', 'delegation', 'add-principal', f'{resource}$', f'{peer}$', '-H', str(samba_dc.sam_ldb)], check=True, capture_output=True)
    result = playbooks.run({'computer': resource, 'mode': 'resource_based', 'migration_peers': [peer]})
    assert result['changed'] is False, result
    assert result['delegation']['allowed_principals'] == [f'{peer.upper()}$']


# ---- Kerberos and StartTLS ---------------------------------------------------------------------------------------------
def test_kerberos_bind_with_ticket_cache(samba_dc, playbooks, pair, tmp_path):
    source, peer = pair
    env = samba_dc.kinit(str(tmp_path / 'ccache'))
    result = playbooks.run({'computer': source, 'migration_peers': [peer]}, env=env,
                           ad={'ad_auth': 'kerberos', 'ad_username': None, 'ad_password': None})
    assert result['changed'] is True, result
    assert delegation_of(samba_dc, source)['services'] == expected_spns(samba_dc, peer)


def test_kerberos_bind_with_password_and_starttls(samba_dc, playbooks, pair):
    source, peer = pair
    env = {'KRB5_CONFIG': samba_dc.krb5_conf, 'KRB5CCNAME': 'MEMORY:unused'}
    result = playbooks.run({'computer': source, 'migration_peers': [peer]}, env=env, ad={'ad_auth': 'kerberos', 'ad_tls': 'starttls'})
    assert result['changed'] is True, result
    assert delegation_of(samba_dc, source)['services'] == expected_spns(samba_dc, peer)


def test_options_from_environment(samba_dc, playbooks, pair):
    source, peer = pair
    env = {'HYPERV_AD_SERVER': samba_dc.address, 'HYPERV_AD_USERNAME': samba_dc.admin_user, 'HYPERV_AD_PASSWORD': samba_dc.admin_password,
           'HYPERV_AD_VALIDATE_CERTS': 'false'}
    result = playbooks.run({'computer': source, 'migration_peers': [peer]}, env=env,
                           ad={'ad_server': None, 'ad_username': None, 'ad_password': None, 'ad_ca_cert': None})
    assert result['changed'] is True, result


# ---- failures: clear, and nothing changed ------------------------------------------------------------------------------
def test_wrong_password(samba_dc, playbooks, pair):
    source, peer = pair
    result = playbooks.run({'computer': source, 'migration_peers': [peer]}, ad={'ad_password': 'not-the-password'})
    assert_failed_with(result, 'rejected the credentials', samba_dc.admin_user, samba_dc.address)
    assert 'not-the-password' not in json.dumps(result)
    assert delegation_of(samba_dc, source)['services'] == []


def test_missing_account(samba_dc, playbooks, pair):
    result = playbooks.run({'computer': 'nosuchhost', 'migration_peers': [pair[1]]})
    assert_failed_with(result, "'nosuchhost' not found")
    result = playbooks.run({'computer': pair[0], 'migration_peers': ['nosuchpeer']})
    assert_failed_with(result, "'nosuchpeer' not found")
    assert delegation_of(samba_dc, pair[0])['services'] == []


def test_ambiguous_account(samba_dc, playbooks, pair):
    first, second = pair
    shared = f'shared-{first}.{samba_dc.dns_domain}'
    for name in pair:
        # Drop the HOST/<fqdn> SPN first: Samba would rewrite it with the new name and refuse the duplicate SPN.
        ldif = (f'dn: CN={name.upper()},CN=Computers,{samba_dc.base_dn}\nchangetype: modify\nreplace: servicePrincipalName\n'
                f'servicePrincipalName: HOST/{name}\n-\nreplace: dNSHostName\ndNSHostName: {shared}\n-\n')
        subprocess.run(['ldbmodify', '-H', str(samba_dc.sam_ldb)], input=ldif, text=True, check=True, capture_output=True)
    result = playbooks.run({'computer': shared, 'services': ['cifs/x']})
    assert_failed_with(result, 'ambiguous', f'CN={first.upper()}', f'CN={second.upper()}')
    assert delegation_of(samba_dc, first)['services'] == [] and delegation_of(samba_dc, second)['services'] == []


def test_plain_ldap_with_password_is_refused(samba_dc, playbooks, pair):
    result = playbooks.run({'computer': pair[0], 'migration_peers': [pair[1]]}, ad={'ad_tls': 'none'})
    assert_failed_with(result, 'refusing to send a password over plain LDAP')
    assert delegation_of(samba_dc, pair[0])['services'] == []


def test_bad_spn(samba_dc, playbooks, pair):
    result = playbooks.run({'computer': pair[0], 'services': ['cifs/hv02', 'not an spn']})
    assert_failed_with(result, "'not an spn' is not a service principal name", 'service/host[:port][/name]')
    assert delegation_of(samba_dc, pair[0])['services'] == []


def test_certificate_that_does_not_validate(samba_dc, playbooks, pair):
    # The controller's trust store does not know the lab CA.
    result = playbooks.run({'computer': pair[0], 'migration_peers': [pair[1]]}, ad={'ad_ca_cert': None})
    assert_failed_with(result, 'could not be validated', 'ad_ca_cert', samba_dc.address)
    assert delegation_of(samba_dc, pair[0])['services'] == []


def test_delegation_on_a_domain_controller_account_is_refused_naming_it(playbooks, samba_dc, pair):
    """Issue 21 class 8: the DC's own account (SERVER_TRUST_ACCOUNT, primary group 516) is refused after the read, before any write."""
    before = delegation_of(samba_dc, samba_dc.host_name)
    result = playbooks.run(dict(computer=samba_dc.host_name, migration_peers=[pair[0]]))
    assert result['failed'] is True and result.get('changed') is not True, result
    assert "computer '%s' is the account of a domain controller" % samba_dc.host_name in result['msg'], result['msg']
    assert 'OU=Domain Controllers' in result['msg'] or 'Domain Controllers' in result['msg']
    assert delegation_of(samba_dc, samba_dc.host_name)['services'] == before['services']
    krbtgt = playbooks.run(dict(computer=pair[0], services=['krbtgt/%s' % samba_dc.realm]))
    assert krbtgt['failed'] is True and 'krbtgt' in krbtgt['msg'] and delegation_of(samba_dc, pair[0])['services'] == []


# ---- resource-based delegation written by two runs at once (issue 21 class 5) -------------------------------------------
class _Module:
    """What KerberosDelegation needs of an Ansible module, for driving two runs in one process against the real DC."""

    def __init__(self, **params):
        self.params = dict(mode='resource_based', services=None, protocol_transition=False, state='present', purge=False, **params)
        self.check_mode = False
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    @staticmethod
    def run_write(_label, action, refused=()):  # pylint: disable=unused-argument
        return action()


class _OvertakenClient:
    """An ADClient whose first modify is overtaken: another run writes the same account between this run's read and its write."""

    def __init__(self, client, other_write):
        self.client = client
        self.other_write = other_write
        self.refusals = []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def modify(self, account, changes):
        if self.other_write is not None:
            other_write, self.other_write = self.other_write, None
            other_write()
        try:
            return self.client.modify(account, changes)
        except Exception as refused:
            self.refusals.append(refused)
            raise


@pytest.mark.parametrize('existing', [False, True], ids=['no descriptor yet', 'a descriptor already'])
def test_resource_based_two_runs_adding_different_principals_at_once_keep_both(samba_dc, pair, existing, collections_root, monkeypatch):
    """The descriptor is one value: the task deletes the value it read and adds its new one in one modify, so the DC refuses the
    write another run overtook (the value read is gone, or a second value for this single-valued attribute), and the task
    reads again and merges. Against the real Samba DC: both principals end up present, each reported by its own run."""
    monkeypatch.syspath_prepend(str(collections_root))   # the two runs are driven in this process, over the module's own code
    from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import (  # pylint: disable=import-outside-toplevel
        ADClient, ADConcurrentChange, ADConnectionOptions)
    from ansible_collections.hyperv.mobility.plugins.modules.kerberos_delegation import KerberosDelegation  # pylint: disable=import-outside-toplevel

    resource, first = pair
    second, third = (f'kd{next(_names):03d}' for _unused in range(2))
    for name in (second, third):
        samba_dc.add_computer(name, f'{name}.{samba_dc.dns_domain}')
    options = ADConnectionOptions.from_params(dict(ad_server=samba_dc.address, ad_username=samba_dc.admin_user, ad_password=samba_dc.admin_password,
                                                   ad_ca_cert=samba_dc.ca_path, ad_auth='simple', ad_tls='ldaps', ad_validate_certs=True))
    already = [third] if existing else []
    if existing:
        with ADClient(options) as client:
            KerberosDelegation(_Module(computer=resource, migration_peers=already), client).run()
    with ADClient(options) as this_client, ADClient(options) as other_client:
        other = _Module(computer=resource, migration_peers=already + [second])
        other_result = {}
        overtaken = _OvertakenClient(this_client, lambda: other_result.update(KerberosDelegation(other, other_client).run()))
        this = _Module(computer=resource, migration_peers=already + [first])
        result = KerberosDelegation(this, overtaken).run()
    assert other_result['changed'] is True and other_result['principals_added'] == [f'{second.upper()}$'], other_result
    assert len(overtaken.refusals) == 1 and isinstance(overtaken.refusals[0], ADConcurrentChange), overtaken.refusals
    # The DC's answer: noSuchAttribute (16) for the delete of the value read, attributeOrValueExists (20) for a second value.
    refusal = str(overtaken.refusals[0])
    assert ('noSuchAttribute' if existing else 'attributeOrValueExists') in refusal, refusal
    assert result['changed'] is True and result['principals_added'] == [f'{first.upper()}$'], result
    expected = sorted(f'CN={name.upper()},CN=Computers,{samba_dc.base_dn}' for name in already + [first, second])
    seen = delegation_of(samba_dc, resource)
    assert sorted(seen['principals']) == expected, seen['text']
    assert len(ldb_attribute(samba_dc, resource, 'msDS-AllowedToActOnBehalfOfOtherIdentity')) == 1, 'one descriptor value'
