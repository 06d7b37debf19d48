# -*- coding: utf-8 -*-
"""Desired-state planning and argument checks of hyperv.mobility.kerberos_delegation (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import (
    ADConnectionOptions, ADError, UF_TRUSTED_FOR_DELEGATION, UF_TRUSTED_TO_AUTH_FOR_DELEGATION, migration_spns, validate_spn)
from ansible_collections.hyperv.mobility.plugins.modules.kerberos_delegation import ConstrainedPlan, ResourceBasedPlan

WORKSTATION = 0x1000
PEER = migration_spns('hv02', 'hv02.corp.test')


def test_migration_spns_are_the_four_of_the_procedure():
    assert PEER == ['cifs/hv02', 'cifs/hv02.corp.test', 'Microsoft Virtual System Migration Service/hv02',
                    'Microsoft Virtual System Migration Service/hv02.corp.test']


@pytest.mark.parametrize('spn', ['cifs/hv02', 'cifs/hv02.corp.test', 'Microsoft Virtual System Migration Service/hv02.corp.test',
                                 'MSSQLSvc/db01.corp.test:1433', 'ldap/dc01.corp.test/corp.test', 'HOST/10.0.0.5'])
def test_valid_spns(spn):
    assert validate_spn(spn) == spn


@pytest.mark.parametrize('spn', ['cifs', 'cifs/', '/hv02', 'not an spn', 'cifs/hv 02', 'cifs/hv02:0', 'cifs/hv02:70000',
                                 'cifs/hv02/', ' cifs/hv02', 'cifs//hv02'])
def test_invalid_spns_are_explained(spn):
    with pytest.raises(ADError, match='is not a service principal name'):
        validate_spn(spn)


def test_present_adds_missing_services_case_insensitively_and_sets_any_protocol():
    plan = ConstrainedPlan(['CIFS/HV02'], WORKSTATION, PEER, 'present', purge=False, protocol_transition=True)
    assert plan.add == PEER[1:]
    assert plan.remove == []
    assert plan.after_uac == WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION
    assert plan.changed


def test_present_is_idempotent():
    plan = ConstrainedPlan(PEER, WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION, PEER, 'present', purge=False, protocol_transition=True)
    assert not plan.changed
    assert plan.ldap_changes() == {}


def test_purge_removes_unlisted_services():
    plan = ConstrainedPlan(PEER + ['cifs/old'], WORKSTATION, PEER, 'present', purge=True, protocol_transition=True)
    assert plan.remove == ['cifs/old']
    assert plan.after_services == PEER


def test_protocol_transition_false_clears_only_that_bit_and_never_touches_unconstrained():
    uac = WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION | UF_TRUSTED_FOR_DELEGATION
    plan = ConstrainedPlan(PEER, uac, PEER, 'present', purge=False, protocol_transition=False)
    assert plan.after_uac == WORKSTATION | UF_TRUSTED_FOR_DELEGATION
    plan = ConstrainedPlan([], WORKSTATION, PEER, 'present', purge=False, protocol_transition=True)
    assert not plan.after_uac & UF_TRUSTED_FOR_DELEGATION


def test_absent_removes_listed_and_keeps_the_bit_while_services_remain():
    uac = WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION
    plan = ConstrainedPlan(PEER + ['cifs/other'], uac, PEER, 'absent', purge=False, protocol_transition=True)
    assert plan.remove == PEER and plan.after_services == ['cifs/other']
    assert plan.after_uac == uac


def test_absent_without_services_removes_everything_and_the_bit():
    plan = ConstrainedPlan(PEER, WORKSTATION | UF_TRUSTED_TO_AUTH_FOR_DELEGATION, None, 'absent', purge=False, protocol_transition=True)
    assert plan.remove == PEER and plan.after_services == []
    assert plan.after_uac == WORKSTATION


def test_resource_based_plans():
    one, two = 'S-1-5-21-1-2-3-1101', 'S-1-5-21-1-2-3-1102'
    assert ResourceBasedPlan([], [one], 'present', False, True).add == [one]
    assert not ResourceBasedPlan([one], [one.lower()], 'present', False, True).changed
    purge = ResourceBasedPlan([one, two], [one], 'present', True, True)
    assert purge.remove == [two] and purge.after_sids == [one]
    assert ResourceBasedPlan([one, two], None or [], 'absent', False, False).after_sids == []


def test_plain_ldap_with_a_password_is_refused():
    options = ADConnectionOptions('dc01.corp.test', username='admin@CORP.TEST', password='secret', tls='none')
    with pytest.raises(ADError, match='refusing to send a password over plain LDAP'):
        options.validate()


def test_default_ports_and_kerberos_over_plain_ldap_allowed():
    assert ADConnectionOptions('dc01', username='u', password='p').validate().port == 636
    assert ADConnectionOptions('dc01', username='u', password='p', tls='starttls').validate().port == 389
    assert ADConnectionOptions('dc01', auth='kerberos', tls='none').validate().endpoint == 'ldap://dc01:389'


def test_missing_server_and_credentials_are_explained():
    with pytest.raises(ADError, match='HYPERV_AD_SERVER'):
        ADConnectionOptions(None).validate()
    with pytest.raises(ADError, match='needs ad_username and ad_password'):
        ADConnectionOptions('dc01').validate()
