#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: kerberos_delegation
short_description: Manage Kerberos constrained delegation of Hyper-V hosts' computer accounts in Active Directory
version_added: 0.1.0
description:
  - Step 1 of Microsoft's procedure for live migration with Kerberos authentication. Each host's computer account
    must be trusted to delegate to the peer's C(cifs) service (storage moves) and C(Microsoft Virtual System Migration Service)
    (VM moves), for the peer's short name and FQDN, with "use any authentication protocol".
  - O(mode=constrained) manages C(msDS-AllowedToDelegateTo) and the C(TRUSTED_TO_AUTH_FOR_DELEGATION) bit of the
    account O(computer) (what "Active Directory Users and Computers" writes on the Delegation tab).
  - O(mode=resource_based) manages C(msDS-AllowedToActOnBehalfOfOtherIdentity) on O(computer), the resource,
    listing the accounts allowed to delegate to it (what C(Set-ADComputer -PrincipalsAllowedToDelegateToAccount) writes).
  - Talks LDAP from the Ansible controller; it never runs on the Hyper-V host.
  - Never sets C(TRUSTED_FOR_DELEGATION) (unconstrained delegation); warns when the account already has it.
  - Changes take effect once they have replicated to the domain controllers the hosts use and the hosts get new
    Kerberos tickets; purge the hosts' SYSTEM ticket cache (C(klist -li 0x3e7 purge)) or reboot them.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.ad
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.ad_group
attributes:
  diff_mode:
    details: The delegated services, allowed principals and flags of the computer account.
options:
  computer:
    description:
      - The computer account to manage, as sAMAccountName (with or without the trailing C($)), DNS host name or
        distinguished name. A name that matches no account or several accounts is an error.
      - With O(mode=constrained) this is the account that delegates (the migration source).
      - With O(mode=resource_based) this is the resource (the migration destination) whose allowed principals are managed.
      - A domain controller's account (C(userAccountControl) C(SERVER_TRUST_ACCOUNT), or primary group Domain Controllers)
        is refused with O(state=present), before anything is written.
      - One of O(computer) and O(computers) is required.
    type: str
  computers:
    description:
      - Several accounts in one task, each with its own O(computers[].migration_peers), instead of O(computer) and
        O(migration_peers); every other option applies to each of them.
      - One LDAP connection and one search read every account and peer at once, then each account is planned and written
        (one modify per account that changes), as a task per account would.
      - An account that cannot be delegated (not found, ambiguous, a domain controller's, a peer without C(dNSHostName), a
        write the DC refuses) fails only its own entry in RV(computers); the task fails only when AD cannot be reached
        or every entry failed. The role P(hyperv.mobility.live_migration_mesh#role) delegates every host of the mesh this way
        and fails each host whose entry failed.
      - Each O(computers[].computer) at most once. Not with O(services).
    type: list
    elements: dict
    suboptions:
      computer:
        description: The computer account, as O(computer).
        type: str
        required: true
      migration_peers:
        description: Its live-migration peers, as O(migration_peers).
        type: list
        elements: str
        required: true
  mode:
    description:
      - V(constrained) is classic constrained delegation (C(msDS-AllowedToDelegateTo)), the mode Microsoft's
        live-migration procedure describes.
      - V(resource_based) is resource-based constrained delegation (C(msDS-AllowedToActOnBehalfOfOtherIdentity)).
    type: str
    choices: [constrained, resource_based]
    default: constrained
  services:
    description:
      - Service principal names to delegate to, each C(service/host[:port][/name]), for example C(cifs/hv02.corp.example.com).
      - Only with O(mode=constrained). Mutually exclusive with O(migration_peers).
      - The ticket-granting service (C(krbtgt/...)) is refused.
    type: list
    elements: str
  migration_peers:
    description:
      - Computer accounts (names as for O(computer)) of the live-migration peers.
      - With O(mode=constrained) each peer expands to four services, C(cifs/) and C(Microsoft Virtual System Migration Service/)
        for the peer's short name and FQDN; the FQDN is the peer's C(dNSHostName) read from AD.
      - With O(mode=resource_based) the peers are the accounts allowed to delegate to O(computer).
      - O(computer) itself (by short name, FQDN or sAMAccountName) is refused as its own peer ("same host").
    type: list
    elements: str
  protocol_transition:
    description:
      - Whether the account may "use any authentication protocol" (C(TRUSTED_TO_AUTH_FOR_DELEGATION), 0x1000000), as
        Microsoft's procedure requires. V(false) means "use Kerberos only".
      - Only with O(mode=constrained) and O(state=present). With O(state=absent) the bit is cleared once no delegated service remains.
    type: bool
    default: true
  state:
    description:
      - V(present) adds the services (or principals); V(absent) removes them.
      - V(absent) without O(services) and O(migration_peers) removes all delegation of this mode from the account.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also remove every delegated service (or allowed principal) that is not listed,
        so the account ends up with exactly the listed ones.
    type: bool
    default: false
notes:
  - Needs rights to write C(msDS-AllowedToDelegateTo) and C(userAccountControl) on the computer account; setting
    C(TRUSTED_TO_AUTH_FOR_DELEGATION) needs the C(SeEnableDelegationPrivilege) (Domain Admins have it).
  - Runs on the controller. Use it as a task on the Hyper-V hosts (the collection's action plugin runs it locally)
    or with C(delegate_to=localhost).
seealso:
  - name: Configure hosts for live migration without Failover Clustering
    description: Microsoft's procedure, step 1 configures constrained delegation.
    link: https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/deploy/set-up-hosts-for-live-migration-without-failover-clustering
  - module: hyperv.mobility.host_info
'''

EXAMPLES = r'''
- name: Let hv01 live-migrate to hv02 and hv03 with Kerberos (constrained delegation, any protocol)
  hyperv.mobility.kerberos_delegation:
    computer: hv01
    migration_peers: [hv02, hv03]
    ad_server: dc01.corp.example.com
    ad_username: svc-hyperv@CORP.EXAMPLE.COM
    ad_password: "{{ vault_ad_password }}"
  delegate_to: localhost

- name: Exactly these services, nothing else, bind with the Kerberos ticket of the controller (kinit first)
  hyperv.mobility.kerberos_delegation:
    computer: HV01$
    services:
      - cifs/hv02
      - cifs/hv02.corp.example.com
      - Microsoft Virtual System Migration Service/hv02
      - Microsoft Virtual System Migration Service/hv02.corp.example.com
    purge: true
    ad_server: dc01.corp.example.com
    ad_auth: kerberos
  delegate_to: localhost

- name: Resource-based alternative, hv02 accepts delegation from hv01
  hyperv.mobility.kerberos_delegation:
    computer: hv02.corp.example.com
    mode: resource_based
    migration_peers: [hv01]
    ad_server: dc01.corp.example.com
    ad_ca_cert: /etc/pki/corp-ca.pem
  delegate_to: localhost

- name: Remove all constrained delegation of a decommissioned host
  hyperv.mobility.kerberos_delegation:
    computer: hv09
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
delegation:
  description: The account's delegation after the run (predicted in check mode).
  returned: success
  type: dict
  contains:
    dn:
      description: Distinguished name of the account.
      type: str
      sample: CN=HV01,CN=Computers,DC=corp,DC=example,DC=com
    sam_account_name:
      description: sAMAccountName of the account.
      type: str
      sample: HV01$
    dns_host_name:
      description: dNSHostName of the account.
      type: str
      sample: hv01.corp.example.com
    allowed_to_delegate_to:
      description: The services in msDS-AllowedToDelegateTo, sorted.
      type: list
      elements: str
      sample: [cifs/hv02, cifs/hv02.corp.example.com]
    protocol_transition:
      description: Whether TRUSTED_TO_AUTH_FOR_DELEGATION ("use any authentication protocol") is set.
      type: bool
      sample: true
    trusted_for_delegation:
      description: Whether TRUSTED_FOR_DELEGATION (unconstrained) is set. This module never sets it.
      type: bool
      sample: false
    allowed_principals:
      description: Accounts (sAMAccountName, or SID when unknown) in msDS-AllowedToActOnBehalfOfOtherIdentity, sorted.
      type: list
      elements: str
      sample: [HV01$]
services_added:
  description: Services added to msDS-AllowedToDelegateTo (mode=constrained).
  returned: success
  type: list
  elements: str
services_removed:
  description: Services removed from msDS-AllowedToDelegateTo (mode=constrained).
  returned: success
  type: list
  elements: str
principals_added:
  description: Accounts added to msDS-AllowedToActOnBehalfOfOtherIdentity (mode=resource_based).
  returned: success
  type: list
  elements: str
principals_removed:
  description: Accounts removed from msDS-AllowedToActOnBehalfOfOtherIdentity (mode=resource_based).
  returned: success
  type: list
  elements: str
caveat:
  description: When changes take effect on the hosts, and how to make that immediate.
  returned: changed
  type: str
computers:
  description:
    - With O(computers), the result of each entry under its O(computers[].computer) as given, with the keys a task with
      O(computer) returns (RV(delegation), RV(services_added), ... , C(changed), C(diff) when changed), or C(failed) true and
      C(msg) for an entry that failed.
    - The task's own C(changed) is whether any entry changed; the top-level RV(delegation) and lists are not returned.
  returned: success, with O(computers)
  type: dict
  sample:
    hv01: {changed: true, services_added: [cifs/hv02, cifs/hv02.corp.example.com], delegation: {dn: "CN=HV01,CN=Computers,DC=corp,DC=example,DC=com"}}
    hv09: {failed: true, msg: "computer account 'hv09' not found in AD (ldaps://dc01:636, by sAMAccountName under DC=corp,DC=example,DC=com)"}
failed_computers:
  description: With O(computers), the entries that failed, in the order given.
  returned: success, with O(computers)
  type: list
  elements: str
  sample: [hv09]
'''

import functools
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import (
    AD_ARGUMENT_SPEC, HAS_LDAP3, LDAP3_IMPORT_ERROR, UF_TRUSTED_TO_AUTH_FOR_DELEGATION, ATTR_ALLOWED_TO_DELEGATE_TO, ATTR_ALLOWED_TO_ACT,
    ADClient, ADConcurrentChange, ADConnectionOptions, ADError, DelegationDescriptor, computer_name_problem, migration_spns, validate_spn)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HypervModule, ModuleFailure, OptionError, Resource
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import refuse_same_host

if HAS_LDAP3:
    import ldap3

# A write refused because another writer changed the account since it was read is planned again from a new read, this many
# times in all: each refusal means some other writer succeeded, so only a crowd of writers can exhaust them.
CONCURRENT_WRITE_ATTEMPTS = 5

CAVEAT = ('Delegation changes take effect once they have replicated to the domain controllers the Hyper-V hosts use and the hosts '
          'get new Kerberos tickets. To apply them without a reboot, purge the SYSTEM ticket cache on the hosts: klist -li 0x3e7 purge')


def argument_spec():
    spec = dict(
        computer=dict(type='str'),
        computers=dict(type='list', elements='dict', options=dict(
            computer=dict(type='str', required=True),
            migration_peers=dict(type='list', elements='str', required=True),
        )),
        mode=dict(type='str', default='constrained', choices=['constrained', 'resource_based']),
        services=dict(type='list', elements='str'),
        migration_peers=dict(type='list', elements='str'),
        protocol_transition=dict(type='bool', default=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        purge=dict(type='bool', default=False),
    )
    spec.update(AD_ARGUMENT_SPEC)
    return spec


# ------------------------------------------------------------------------------------------------
# Desired state, without I/O (unit-tested)
# ------------------------------------------------------------------------------------------------
def _unique_casefold(values):
    """Values without case-insensitive duplicates, first spelling kept (AD compares these strings case-insensitively)."""
    seen, result = set(), []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            result.append(value)
    return result


class ConstrainedPlan:
    """What to change in msDS-AllowedToDelegateTo and userAccountControl."""

    def __init__(self, current_services, current_uac, wanted_services, state, purge, protocol_transition):
        wanted = _unique_casefold(wanted_services or [])
        wanted_keys = set(s.lower() for s in wanted)
        current_keys = set(s.lower() for s in current_services)
        if state == 'present':
            self.add = [s for s in wanted if s.lower() not in current_keys]
            self.remove = [s for s in current_services if s.lower() not in wanted_keys] if purge else []
        elif wanted_services:
            self.add, self.remove = [], [s for s in current_services if s.lower() in wanted_keys]
        else:
            self.add, self.remove = [], list(current_services)
        removed_keys = set(s.lower() for s in self.remove)
        self.after_services = [s for s in current_services if s.lower() not in removed_keys] + self.add
        if state == 'present':
            keep_transition = protocol_transition
        else:
            keep_transition = bool(current_uac & UF_TRUSTED_TO_AUTH_FOR_DELEGATION) and bool(self.after_services)
        # Only TRUSTED_TO_AUTH_FOR_DELEGATION is ever touched; TRUSTED_FOR_DELEGATION is left as found.
        if keep_transition:
            self.after_uac = current_uac | UF_TRUSTED_TO_AUTH_FOR_DELEGATION
        else:
            self.after_uac = current_uac & ~UF_TRUSTED_TO_AUTH_FOR_DELEGATION
        self.uac_changed = self.after_uac != current_uac

    @property
    def changed(self):
        return bool(self.add or self.remove or self.uac_changed)

    def ldap_changes(self):
        changes = {}
        operations = []
        if self.remove:
            operations.append((ldap3.MODIFY_DELETE, list(self.remove)))
        if self.add:
            operations.append((ldap3.MODIFY_ADD, list(self.add)))
        if operations:
            changes[ATTR_ALLOWED_TO_DELEGATE_TO] = operations
        if self.uac_changed:
            changes['userAccountControl'] = [(ldap3.MODIFY_REPLACE, [str(self.after_uac)])]
        return changes


class ResourceBasedPlan:
    """What to change in the principals of msDS-AllowedToActOnBehalfOfOtherIdentity."""

    def __init__(self, current_sids, wanted_sids, state, purge, peers_given):
        wanted = _unique_casefold(wanted_sids)
        wanted_keys = set(s.upper() for s in wanted)
        current_keys = set(s.upper() for s in current_sids)
        if state == 'present':
            self.add = [s for s in wanted if s.upper() not in current_keys]
            self.remove = [s for s in current_sids if s.upper() not in wanted_keys] if purge else []
        elif peers_given:
            self.add, self.remove = [], [s for s in current_sids if s.upper() in wanted_keys]
        else:
            self.add, self.remove = [], list(current_sids)
        removed = set(s.upper() for s in self.remove)
        self.after_sids = [s for s in current_sids if s.upper() not in removed] + self.add

    @property
    def changed(self):
        return bool(self.add or self.remove)

    def ldap_changes(self, descriptor):
        """The descriptor is one value: the value read is deleted and the new one added in one modify (no REPLACE), so a
        concurrent writer cannot be overwritten - the DC refuses the delete of a value that is no longer there (noSuchAttribute)
        or the add of a second value to this single-valued attribute, and the task reads again (KerberosDelegation._write)."""
        if not self.changed:
            return {}
        operations = []
        if descriptor is not None and descriptor.stored:
            operations.append((ldap3.MODIFY_DELETE, [descriptor.stored]))
        if self.after_sids:
            base = descriptor or DelegationDescriptor()
            operations.append((ldap3.MODIFY_ADD, [base.with_principals(self.after_sids).to_bytes()]))
        return {ATTR_ALLOWED_TO_ACT: operations}


def allowed_sids(account):
    """The SIDs of the principals in the account's msDS-AllowedToActOnBehalfOfOtherIdentity."""
    return account.allowed_to_act.principal_sids if account.allowed_to_act else []


def delegation_view(account, services, uac, principal_names):
    return dict(
        dn=account.dn,
        sam_account_name=account.sam_account_name,
        dns_host_name=account.dns_host_name,
        allowed_to_delegate_to=sorted(services, key=str.lower),
        protocol_transition=bool(uac & UF_TRUSTED_TO_AUTH_FOR_DELEGATION),
        trusted_for_delegation=bool(uac & 0x80000),
        allowed_principals=sorted(principal_names, key=str.lower),
    )


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------
class KerberosDelegation:
    """One task: read the account (and peers), plan, write once, read back."""

    def __init__(self, module, client, params=None):
        self.module = module
        self.client = client
        self.params = params if params is not None else module.params

    def wanted_services(self):
        if self.params['services'] is not None:
            return [validate_spn(s) for s in self.params['services']]
        services = []
        for peer in self.params['migration_peers'] or []:
            account = self.client.find_computer(peer)
            if not account.dns_host_name:
                raise ADError("migration peer '%s' (%s) has no dNSHostName in AD; give its services explicitly" % (peer, account.dn))
            services += migration_spns(account.short_name, account.dns_host_name)
        return services

    def principal_names(self, sids):
        return [self.client.name_of_sid(sid) for sid in sids]

    def run(self):
        account = self.client.find_computer(self.params['computer'])
        if account.domain_controller and self.params['state'] == 'present':
            raise ADError('computer %r is the account of a domain controller (%s: userAccountControl SERVER_TRUST_ACCOUNT or primary '
                          'group Domain Controllers); delegation is not configured on a domain controller\'s account. Give the '
                          'Hyper-V host\'s computer account' % (self.params['computer'], account.dn))
        if account.unconstrained:
            self.module.warn('%s is trusted for unconstrained delegation (TRUSTED_FOR_DELEGATION). This module never sets or '
                             'clears it; consider removing it, constrained delegation is what live migration needs.' % account.sam_account_name)
        before = delegation_view(account, account.allowed_to_delegate_to, account.user_account_control, self.principal_names(allowed_sids(account)))
        result, changes, after = self._plan(account)
        changed = bool(changes)
        if changed and not self.module.check_mode:
            result, changed, account = self._write(account, result, changes)
            after = delegation_view(account, account.allowed_to_delegate_to, account.user_account_control, self.principal_names(allowed_sids(account)))
        result.update(changed=changed, delegation=after)
        if changed:
            result['caveat'] = CAVEAT
            result['diff'] = dict(before=before, after=after, before_header=account.dn, after_header=account.dn)
        return result

    def _plan(self, account):
        """(result keys, LDAP changes, the view after them) for the account as read."""
        if self.params['mode'] == 'constrained':
            return self._constrained(account, allowed_sids(account))
        return self._resource_based(account, allowed_sids(account))

    def _write(self, account, result, changes):
        """Write the changes; when a concurrent run changed the account first, read it again and plan again, so the task
        converges and reports only what it changed itself. Returns (result keys, changed, the account read back)."""
        attempts = 1
        while True:
            try:
                self.module.run_write('%s of %s' % (', '.join(sorted(changes)), account.dn), functools.partial(self.client.modify, account, changes),
                                      refused=(ADError,))
                return result, True, self.client.find_computer(account.dn)
            except ADConcurrentChange as refused:
                if attempts == CONCURRENT_WRITE_ATTEMPTS:
                    raise
                refusal = refused
            attempts += 1
            account = self.client.find_computer(account.dn)
            result, planned, _after = self._plan(account)
            if not planned:
                self.module.warn('%s was changed by another writer while this task ran (a concurrent run); it already holds what '
                                 'this task asked for, so this task changed nothing' % account.dn)
                return result, False, account
            if not refusal.certain and planned == changes:
                # The account is as it was read: no concurrent writer explains the refusal, it is the server's answer to this change.
                raise ADError('%s (read again, %s is unchanged since this task read it, so this is not a concurrent change)'
                              % (refusal, account.dn))
            changes = planned

    def _constrained(self, account, current_sids):
        plan = ConstrainedPlan(account.allowed_to_delegate_to, account.user_account_control, self.wanted_services(),
                               self.params['state'], self.params['purge'], self.params['protocol_transition'])
        after = delegation_view(account, plan.after_services, plan.after_uac, self.principal_names(current_sids))
        return dict(services_added=plan.add, services_removed=plan.remove), plan.ldap_changes(), after

    def _resource_based(self, account, current_sids):
        peers = [self.client.find_computer(peer) for peer in self.params['migration_peers'] or []]
        plan = ResourceBasedPlan(current_sids, [peer.object_sid for peer in peers], self.params['state'], self.params['purge'],
                                 self.params['migration_peers'] is not None)
        after = delegation_view(account, account.allowed_to_delegate_to, account.user_account_control, self.principal_names(plan.after_sids))
        result = dict(principals_added=self.principal_names(plan.add), principals_removed=self.principal_names(plan.remove))
        return result, plan.ldap_changes(account.allowed_to_act), after


def delegate_each(module, client, entries):
    """The task with O(computers): every account and peer read in one search, then each entry as a task of its own; an entry
    that fails (ADError) is reported in its place and the others go on. Fails only when every entry failed."""
    client.prefetch([entry['computer'] for entry in entries] + [peer for entry in entries for peer in entry['migration_peers']])
    results, failed = {}, []
    for entry in entries:
        params = dict(module.params, computer=entry['computer'], migration_peers=entry['migration_peers'], computers=None)
        try:
            results[entry['computer']] = KerberosDelegation(module, client, params).run()
        except ADError as error:
            results[entry['computer']] = dict(failed=True, msg=str(error))
            failed.append(entry['computer'])
    changed = any(result.get('changed') for result in results.values())
    if entries and len(failed) == len(entries):
        raise ModuleFailure('no account could be delegated: %s' % '; '.join(results[name]['msg'] for name in failed),
                            computers=results, failed_computers=failed)
    return dict(changed=changed, computers=results, failed_computers=failed, **(dict(caveat=CAVEAT) if changed else {}))


class Delegation(Resource):
    """The module's resource: options checked without I/O, then one LDAP connection for the read, the write and the read-back."""

    def validate(self):
        params = self.params
        if not HAS_LDAP3:
            raise ModuleFailure(missing_required_lib('ldap3'), exception=LDAP3_IMPORT_ERROR)
        if params['mode'] == 'resource_based' and params['services'] is not None:
            raise OptionError('mode=resource_based lists accounts, not services: use migration_peers')
        if params['computers'] is not None:
            problems = self._entries_problems(params['computers'])
        else:
            if params['state'] == 'present' and params['services'] is None and params['migration_peers'] is None:
                raise OptionError('state=present needs services or migration_peers')
            problems = self._entry_problems('computer', params['computer'], 'migration_peers', params['migration_peers'])
        problems += ADConnectionOptions.from_params(params).problems()
        if problems:
            raise OptionError('; '.join(problems))
        try:
            for service in params['services'] or []:
                validate_spn(service)
        except ADError as error:
            raise OptionError(str(error))

    @staticmethod
    def _entry_problems(computer_option, computer, peers_option, peers):
        """The name problems of one account and its peers; a peer that is the account itself is refused (OptionError)."""
        problems = ['%s %r %s' % (computer_option, computer, computer_name_problem(computer))] if computer_name_problem(computer) else []
        problems += ['%s entry %r %s' % (peers_option, peer, computer_name_problem(peer)) for peer in peers or [] if computer_name_problem(peer)]
        for index, peer in enumerate(peers or []):
            refuse_same_host('%s[%d]' % (peers_option, index), peer, computer_option, computer)
        return problems

    def _entries_problems(self, entries):
        problems = []
        seen = set()
        for index, entry in enumerate(entries):
            where = 'computers[%d]' % index
            problems += self._entry_problems(where + '.computer', entry['computer'], where + '.migration_peers', entry['migration_peers'])
            key = (entry['computer'] or '').strip().lower()
            if key in seen:
                problems.append('%s.computer %r is given twice: give each account once, with all of its peers' % (where, entry['computer']))
            seen.add(key)
        return problems

    def run(self, module):
        with ADClient(ADConnectionOptions.from_params(self.params)) as client:
            if self.params['computers'] is not None:
                return delegate_each(module, client, self.params['computers'])
            return KerberosDelegation(module, client).run()

    def translate_error(self, exc):
        if isinstance(exc, ADError):
            return ModuleFailure(str(exc), computer=self.params['computer'])
        return ModuleFailure('unexpected error managing delegation of %s: %s' % (self._accounts(), exc), exception=traceback.format_exc())

    def _accounts(self):
        if self.params['computers'] is not None:
            return ', '.join(entry['computer'] for entry in self.params['computers'])
        return self.params['computer']


def main():
    HypervModule(argument_spec=argument_spec(), supports_check_mode=True,
                 mutually_exclusive=[('services', 'migration_peers'), ('computer', 'computers'), ('computers', 'services'), ('computers', 'migration_peers')],
                 required_one_of=[('computer', 'computers')], host_connection=False).execute(Delegation)


if __name__ == '__main__':
    main()
