# -*- coding: utf-8 -*-
"""Concurrent runs (issue 21 class 5): a write refused because another run made the same change first converges.

live_migration: Add-VMMigrationNetwork of a subnet another run added fails with SubnetAlreadyExists; the skeleton reads the
host again and converges (tests/unit/plugins/module_utils/test_hyperv_module.py); here, which errors the module counts as
another run's change and how it reports them.

kerberos_delegation: the DC refuses a modify whose values are there already (attributeOrValueExists) or gone (noSuchAttribute);
the task reads the account again, plans again and reports only what it changed itself. The fake directory below answers
modify as an LDAP server does (RFC 4511 4.6: the whole modify fails, nothing changes), and a hook lets "another run" write
between this task's read and its write.
"""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import (
    ATTR_ALLOWED_TO_DELEGATE_TO, UF_TRUSTED_TO_AUTH_FOR_DELEGATION, ADClient, ADConcurrentChange, ADConnectionOptions, ADError, ComputerAccount,
    migration_spns)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData
from ansible_collections.hyperv.mobility.plugins.modules.kerberos_delegation import CONCURRENT_WRITE_ATTEMPTS, KerberosDelegation
from ansible_collections.hyperv.mobility.plugins.modules.live_migration import LiveMigrationSettings

import ldap3  # noqa: E402  # kerberos_delegation plans its LDAP changes with ldap3's constants

WORKSTATION = 0x1000
DN = 'CN=HV01,CN=Computers,DC=corp,DC=test'
PEER_SERVICES = migration_spns('hv02', 'hv02.corp.test')


class FakeDirectory:
    """One computer account; modify() applies add/delete/replace as one atomic operation, or refuses it whole."""

    def __init__(self, services=(), uac=WORKSTATION):
        self.services = list(services)
        self.uac = uac
        self.before_modify = []      # callables run before each modify: another run writing first
        self.modifies = []           # every modify asked for, in order
        self.applied = 0

    def account(self):
        return ComputerAccount(DN, 'HV01$', 'hv01.corp.test', 'S-1-5-21-1-2-3-1001', self.uac, list(self.services), None)

    def find_computer(self, _identity):
        return self.account()

    def name_of_sid(self, sid):
        return sid

    def modify(self, _account, changes):
        self.modifies.append(changes)
        if self.before_modify:
            self.before_modify.pop(0)()
        services = list(self.services)
        for operation, values in changes.get(ATTR_ALLOWED_TO_DELEGATE_TO, []):
            present = [s.lower() for s in services]
            if operation == ldap3.MODIFY_ADD:
                if any(v.lower() in present for v in values):
                    raise ADConcurrentChange('attributeOrValueExists')
                services += values
            elif operation == ldap3.MODIFY_DELETE:
                if any(v.lower() not in present for v in values):
                    raise ADConcurrentChange('noSuchAttribute')
                services = [s for s in services if s.lower() not in [v.lower() for v in values]]
        self.services = services
        for _operation, values in changes.get('userAccountControl', []):
            self.uac = int(values[0])
        self.applied += 1


class FakeModule:
    def __init__(self, **params):
        self.params = dict(computer='hv01', mode='constrained', services=None, migration_peers=None, protocol_transition=True,
                           state='present', purge=False)
        self.params.update(params)
        self.check_mode = False
        self.warnings = []
        self.writes = []

    def warn(self, message):
        self.warnings.append(message)

    def run_write(self, label, action, refused=()):  # pylint: disable=unused-argument
        self.writes.append(label)
        return action()


def run(directory, **params):
    module = FakeModule(**params)
    return KerberosDelegation(module, directory).run(), module


def another_run_adds(directory, services, uac=WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION):
    def write():
        directory.services += [s for s in services if s not in directory.services]
        directory.uac = uac
    return write


def test_another_run_made_the_same_change_first_so_this_run_converges_unchanged():
    directory = FakeDirectory()
    directory.before_modify.append(another_run_adds(directory, PEER_SERVICES))
    result, module = run(directory, services=PEER_SERVICES)
    assert result['changed'] is False
    assert result['services_added'] == [] and result['services_removed'] == []
    assert sorted(result['delegation']['allowed_to_delegate_to']) == sorted(PEER_SERVICES)
    assert result['delegation']['protocol_transition'] is True
    assert 'diff' not in result and 'caveat' not in result
    assert len(directory.modifies) == 1 and directory.applied == 0
    assert any('another writer' in warning and DN in warning for warning in module.warnings)


def test_another_run_added_part_so_this_run_adds_the_rest_and_reports_only_that():
    directory = FakeDirectory()
    directory.before_modify.append(another_run_adds(directory, PEER_SERVICES[:2], uac=WORKSTATION))
    result, _module = run(directory, services=PEER_SERVICES)
    assert result['changed'] is True
    assert result['services_added'] == PEER_SERVICES[2:]
    assert directory.modifies[1] == {ATTR_ALLOWED_TO_DELEGATE_TO: [(ldap3.MODIFY_ADD, PEER_SERVICES[2:])],
                                     'userAccountControl': [(ldap3.MODIFY_REPLACE, [str(WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION)])]}
    assert sorted(directory.services) == sorted(PEER_SERVICES)
    assert directory.applied == 1


def test_another_run_removed_a_service_first_so_this_purge_converges():
    directory = FakeDirectory(services=PEER_SERVICES + ['cifs/old'], uac=WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION)

    def remove_old():
        directory.services.remove('cifs/old')
    directory.before_modify.append(remove_old)
    result, _module = run(directory, services=PEER_SERVICES, purge=True)
    assert result['changed'] is False and result['services_removed'] == []
    assert directory.services == PEER_SERVICES


def test_writers_that_keep_changing_the_account_exhaust_the_attempts_with_the_servers_answer():
    directory = FakeDirectory()
    directory.before_modify.extend(another_run_adds(directory, [f'cifs/other{n}']) for n in range(CONCURRENT_WRITE_ATTEMPTS))

    def modify_always_refused(account, changes):
        directory.modifies.append(changes)
        directory.before_modify.pop(0)()
        raise ADConcurrentChange('msDS-AllowedToDelegateTo of %s changed since this task read it' % account.dn)
    directory.modify = modify_always_refused
    with pytest.raises(ADConcurrentChange, match='changed since this task read it'):
        run(directory, services=PEER_SERVICES)
    assert len(directory.modifies) == CONCURRENT_WRITE_ATTEMPTS


def test_without_a_concurrent_writer_one_modify_is_sent():
    directory = FakeDirectory()
    result, module = run(directory, services=PEER_SERVICES)
    assert result['changed'] is True and result['services_added'] == PEER_SERVICES
    assert len(directory.modifies) == 1 and module.warnings == []


@pytest.mark.parametrize('code, description', [(20, 'attributeOrValueExists'), (16, 'noSuchAttribute')])
def test_the_client_tells_a_concurrent_change_from_other_refusals(code, description):
    class RefusingConnection:
        def __init__(self, result_code, result_description):
            self.result = {'result': result_code, 'description': result_description, 'message': '00002083: AtrErr: DSID-03151904'}

        def modify(self, _dn, _changes):
            return False

    client = ADClient(ADConnectionOptions('dc01.corp.test', username='admin@corp.test', password='x'))
    client.connection = RefusingConnection(code, description)
    changes = {ATTR_ALLOWED_TO_DELEGATE_TO: [(ldap3.MODIFY_ADD, ['cifs/hv02'])]}
    with pytest.raises(ADConcurrentChange, match=description):
        client.modify(FakeDirectory().account(), changes)
    client.connection = RefusingConnection(50, 'insufficientAccessRights')
    with pytest.raises(ADError) as refused:
        client.modify(FakeDirectory().account(), changes)
    assert not isinstance(refused.value, ADConcurrentChange)


# ------------------------------------------------------------------ live_migration: Add-VMMigrationNetwork of a subnet another run added
def live_migration_settings():
    params = dict(state='enabled', authentication='kerberos', performance=None, max_migrations=None, max_storage_migrations=None,
                  networks=[{'subnet': '192.168.10.0/24', 'priority': 1}, {'subnet': '10.5.0.0/16', 'priority': 2}],
                  networks_mode='exclusive', use_any_network=False, hyperv_host='hv01')
    return LiveMigrationSettings(params)


def add_error(message, error_id='OperationFailed,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork'):
    return ErrorRecordData('Add-VMMigrationNetwork', message, error_id, 'InvalidOperation')


def test_live_migration_takes_subnet_already_exists_of_its_own_subnet_as_made_by_another_run():
    settings = live_migration_settings()
    add = Command('Add-VMMigrationNetwork', {'Subnet': '192.168.10.0/24', 'Priority': 1})
    assert settings.made_by_another_run(add, add_error("The migration network '192.168.10.0/24' already exists."))
    assert not settings.made_by_another_run(add, add_error("The migration network '10.5.0.0/16' already exists."))
    assert not settings.made_by_another_run(add, add_error("The subnet '192.168.10.0/24' is not valid.",
                                                           'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork'))
    assert not settings.made_by_another_run(Command('Set-VMHost', {'UseAnyNetworkForMigration': False}),
                                            add_error("The migration network '192.168.10.0/24' already exists."))


def test_live_migration_reports_the_changes_another_run_made_apart_from_its_own():
    settings = live_migration_settings()
    before = dict(migration_enabled=True, authentication='kerberos', performance='compression', max_migrations=2, max_storage_migrations=2,
                  use_any_network=False, networks=[])
    after = settings.desired_state(before)
    settings.applied_elsewhere = [command for command in settings.apply_commands(before, after) if command.parameters.get('Subnet') == '10.5.0.0/16']
    extras = settings.result_extras(before, after)
    assert extras == {'changes': ['Add-VMMigrationNetwork 192.168.10.0/24 (priority 1)'],
                      'applied_by_another_run': ['Add-VMMigrationNetwork 10.5.0.0/16 (priority 2)']}
    settings.applied_elsewhere = ()
    assert 'applied_by_another_run' not in settings.result_extras(before, after)


def test_resource_based_changes_delete_the_descriptor_read_and_add_the_new_one_never_replace():
    """msDS-AllowedToActOnBehalfOfOtherIdentity is one value: REPLACE would overwrite what a concurrent run wrote since the read.
    Deleting the value read makes the DC refuse the write when it changed (noSuchAttribute); with none read, a concurrent
    value makes the add a second value of a single-valued attribute (attributeOrValueExists, both seen from Samba)."""
    from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ATTR_ALLOWED_TO_ACT, DelegationDescriptor
    from ansible_collections.hyperv.mobility.plugins.modules.kerberos_delegation import ResourceBasedPlan

    first, second = 'S-1-5-21-1-2-3-1101', 'S-1-5-21-1-2-3-1102'
    stored = DelegationDescriptor.for_principals([first]).to_bytes()
    read = DelegationDescriptor.from_bytes(stored)
    assert read.stored == stored and DelegationDescriptor.for_principals([first]).stored is None
    changes = ResourceBasedPlan([first], [second], 'present', False, True).ldap_changes(read)[ATTR_ALLOWED_TO_ACT]
    assert [operation for operation, _values in changes] == [ldap3.MODIFY_DELETE, ldap3.MODIFY_ADD]
    assert changes[0][1] == [stored] and DelegationDescriptor.from_bytes(changes[1][1][0]).principal_sids == [first, second]
    assert ResourceBasedPlan([first], [], 'absent', False, False).ldap_changes(read) == {ATTR_ALLOWED_TO_ACT: [(ldap3.MODIFY_DELETE, [stored])]}
    fresh = ResourceBasedPlan([], [second], 'present', False, True).ldap_changes(None)[ATTR_ALLOWED_TO_ACT]
    assert [operation for operation, _values in fresh] == [ldap3.MODIFY_ADD]
    assert ResourceBasedPlan([first], [first], 'present', False, True).ldap_changes(read) == {}


# ------------------------------------------------------------------ kerberos_delegation resource_based: a real DC's answer to the first add
class SingleValuedConnection:
    """An ldap3 connection to a DC as [MS-ADTS] 3.1.1.5.1.1 describes it for msDS-AllowedToActOnBehalfOfOtherIdentity (single-valued,
    [MS-ADA2] 2.218): a modify is applied whole or refused whole; deleting a value that is not there is noSuchAttribute (16), a
    modify that would leave two values is constraintViolation (19) - where Samba answers attributeOrValueExists (20)."""

    def __init__(self):
        self.value = None                 # the descriptor's bytes, None when the attribute is empty
        self.before_modify = []           # another run writing between this task's read and its write
        self.modifies = 0
        self.result = {}

    def modify(self, _dn, changes):
        from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ATTR_ALLOWED_TO_ACT
        self.modifies += 1
        if self.before_modify:
            self.before_modify.pop(0)()
        values = [] if self.value is None else [self.value]
        for operation, given in changes[ATTR_ALLOWED_TO_ACT]:
            if operation == ldap3.MODIFY_DELETE:
                if any(value not in values for value in given):
                    return self.refuse(16, 'noSuchAttribute', '00002083: AtrErr: DSID-03151904, #1:')
                values = [value for value in values if value not in given]
            else:
                values += given
        if len(values) > 1:
            return self.refuse(19, 'constraintViolation', '00002081: AtrErr: DSID-03151818, #1:')
        self.value = values[0] if values else None
        return True

    def refuse(self, code, description, message):
        self.result = {'result': code, 'description': description, 'message': message}
        return False


class DirectoryOverConnection(ADClient):
    """The real client's modify over SingleValuedConnection; the accounts read from it."""

    PEERS = {'hv02': 'S-1-5-21-1-2-3-1102', 'hv03': 'S-1-5-21-1-2-3-1103'}

    def __init__(self):
        super().__init__(ADConnectionOptions('dc01.corp.test', username='admin@corp.test', password='x'))
        self.connection = SingleValuedConnection()

    def find_computer(self, identity):
        from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import DelegationDescriptor
        if identity in self.PEERS:
            return ComputerAccount('CN=%s,CN=Computers,DC=corp,DC=test' % identity.upper(), identity.upper() + '$', identity + '.corp.test',
                                   self.PEERS[identity], WORKSTATION, [], None)
        stored = self.connection.value
        return ComputerAccount(DN, 'HV01$', 'hv01.corp.test', 'S-1-5-21-1-2-3-1001', WORKSTATION, [],
                               DelegationDescriptor.from_bytes(stored) if stored is not None else None)

    def name_of_sid(self, sid):
        return sid

    def principals(self):
        account = self.find_computer(DN)
        return sorted(account.allowed_to_act.principal_sids) if account.allowed_to_act else []


def test_a_constraint_violation_of_the_first_add_is_another_writers_value_so_the_task_reads_again_and_merges():
    from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import DelegationDescriptor
    directory = DirectoryOverConnection()

    def another_run_adds_hv03():
        directory.connection.value = DelegationDescriptor.for_principals([DirectoryOverConnection.PEERS['hv03']]).to_bytes()
    directory.connection.before_modify.append(another_run_adds_hv03)
    result, module = run(directory, mode='resource_based', migration_peers=['hv02'])
    assert result['changed'] is True and result['principals_added'] == [DirectoryOverConnection.PEERS['hv02']]
    # Two modifies: the add refused with constraintViolation, then delete-the-value-read + add, which lands; both principals kept.
    assert directory.connection.modifies == 2 and module.warnings == []
    assert directory.principals() == sorted(DirectoryOverConnection.PEERS.values())


def test_a_constraint_violation_with_the_attribute_unchanged_is_the_servers_answer_not_a_concurrent_change():
    directory = DirectoryOverConnection()
    directory.connection.modify = lambda _dn, _changes: directory.connection.refuse(19, 'constraintViolation', '000020EF: rangeUpper')
    with pytest.raises(ADError) as refused:
        run(directory, mode='resource_based', migration_peers=['hv02'])
    assert not isinstance(refused.value, ADConcurrentChange)
    assert 'constraintViolation' in str(refused.value) and 'not a concurrent change' in str(refused.value), refused.value
    assert directory.principals() == []


@pytest.mark.parametrize('operations, concurrent', [
    ([(ldap3.MODIFY_ADD, [b'descriptor'])], True),                                          # the first add: none was read
    ([(ldap3.MODIFY_DELETE, [b'read']), (ldap3.MODIFY_ADD, [b'descriptor'])], False),      # the value read is deleted first
], ids=['add-only', 'delete-then-add'])
def test_the_client_takes_a_constraint_violation_as_perhaps_concurrent_only_on_an_add_to_a_single_valued_attribute(operations, concurrent):
    from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import ATTR_ALLOWED_TO_ACT
    client = DirectoryOverConnection()
    client.connection.modify = lambda _dn, _changes: client.connection.refuse(19, 'constraintViolation', '00002081: AtrErr')
    with pytest.raises(ADError) as refused:
        client.modify(FakeDirectory().account(), {ATTR_ALLOWED_TO_ACT: operations})
    assert isinstance(refused.value, ADConcurrentChange) is concurrent
    if concurrent:
        assert refused.value.certain is False and 'constraintViolation' in str(refused.value)
    # A multi-valued attribute's constraintViolation is never taken for a concurrent change.
    with pytest.raises(ADError) as multi:
        client.modify(FakeDirectory().account(), {ATTR_ALLOWED_TO_DELEGATE_TO: [(ldap3.MODIFY_ADD, ['cifs/hv02'])]})
    assert not isinstance(multi.value, ADConcurrentChange)
