"""hvlab.model.directory: the security-descriptor parser (known bytes) and the LDAPS view of a real Samba DC."""

from pathlib import Path

import pytest

from directory_helpers import ace, reset_delegation, security_descriptor, set_attribute, sid_bytes
from hvlab.model.directory import (TRUSTED_TO_AUTH_FOR_DELEGATION, Directory, DirectoryError, parse_security_descriptor,
                                   sid_to_string)

SOURCE_SID = 'S-1-5-21-1004336348-1177238915-682003330-1105'
OTHER_SID = 'S-1-5-21-1004336348-1177238915-682003330-1106'
OBJECT_TYPE = bytes(range(16))


# ---- parsing, no network --------------------------------------------------------------------------
@pytest.mark.parametrize('sid', ['S-1-5-32-544', SOURCE_SID, 'S-1-1-0', 'S-1-5-18'])
def test_sid_round_trips_through_bytes(sid):
    assert sid_to_string(sid_bytes(sid)) == sid


def test_sid_shorter_than_its_count_is_refused():
    with pytest.raises(ValueError):
        sid_to_string(sid_bytes(SOURCE_SID)[:-1])


def test_descriptor_lists_allowed_and_denied_trustees_of_plain_and_object_aces():
    descriptor = security_descriptor([ace(0, SOURCE_SID), ace(5, OTHER_SID, object_type=OBJECT_TYPE), ace(1, 'S-1-1-0'),
                                      ace(6, 'S-1-5-18')])
    summary = parse_security_descriptor(descriptor)
    assert summary.allowed == (SOURCE_SID, OTHER_SID)
    assert summary.denied == ('S-1-1-0', 'S-1-5-18')


def test_a_deny_ace_cancels_the_same_trustees_allow():
    summary = parse_security_descriptor(security_descriptor([ace(1, SOURCE_SID), ace(0, SOURCE_SID), ace(0, OTHER_SID)]))
    assert summary.effectively_allowed == (OTHER_SID,)


def test_descriptor_without_dacl_allows_nobody():
    header_only = security_descriptor([])[:20]
    no_dacl = header_only[:2] + b'\x00\x80' + header_only[4:16] + b'\x00\x00\x00\x00'
    assert parse_security_descriptor(no_dacl).allowed == ()


@pytest.mark.parametrize('cut', [5, 25, 40])
def test_truncated_descriptor_is_refused(cut):
    with pytest.raises(ValueError):
        parse_security_descriptor(security_descriptor([ace(0, SOURCE_SID), ace(0, OTHER_SID)])[:cut])


# ---- a real Samba DC ---------------------------------------------------------------------------------
@pytest.fixture(name='directory')
def directory_fixture(lab_dc):
    reset_delegation(lab_dc)
    return Directory(lab_dc.ldap_url, lab_dc.admin_user, lab_dc.admin_password, lab_dc.ca_path)


def test_reads_a_computer_account_by_short_name_or_fqdn(directory):
    account = directory.computer('hv01')
    assert account.sam_account_name == 'HV01$'
    assert account.dns_host_name == 'hv01.hvlab.test'
    assert account.sid.startswith('S-1-5-21-') and account.sid.count('-') == 7
    assert account.allowed_to_delegate_to == () and account.allowed_to_act_sids == ()
    assert account.user_account_control == 0x1000 and not account.protocol_transition
    assert directory.computer('HV01.hvlab.test') == account


def test_missing_account_is_none(directory):
    assert directory.computer('hv99') is None


def test_constrained_delegation_and_protocol_transition_are_read_fresh_each_time(lab_dc, directory):
    spn = 'Microsoft Virtual System Migration Service/hv02'
    assert not directory.computer('hv01').delegates_to(spn)
    set_attribute(lab_dc, 'hv01', 'msDS-AllowedToDelegateTo', [spn, 'cifs/hv02.hvlab.test'])
    set_attribute(lab_dc, 'hv01', 'userAccountControl', [str(0x1000 | TRUSTED_TO_AUTH_FOR_DELEGATION)])
    account = directory.computer('hv01')
    assert account.delegates_to(spn.upper()) and account.delegates_to('CIFS/hv02.hvlab.test')
    assert not account.delegates_to('cifs/hv02')
    assert account.protocol_transition


def test_resource_based_delegation_names_the_allowed_sid(lab_dc, directory):
    source = directory.computer('hv01')
    set_attribute(lab_dc, 'hv02', 'msDS-AllowedToActOnBehalfOfOtherIdentity', [security_descriptor([ace(0, source.sid)])])
    destination = directory.computer('hv02')
    assert destination.allows_to_act(source.sid)
    assert not destination.allows_to_act(directory.computer('hv03').sid)


def test_wrong_password_is_a_directory_error(lab_dc):
    with pytest.raises(DirectoryError, match='cannot bind'):
        Directory(lab_dc.ldap_url, lab_dc.admin_user, 'wrong-password', lab_dc.ca_path).computer('hv01')


def test_certificate_that_does_not_validate_is_a_directory_error(lab_dc, tmp_path):
    other_ca = tmp_path / 'other-ca.pem'
    other_ca.write_text(Path('/etc/ssl/certs/ca-certificates.crt').read_text(encoding='ascii'))
    with pytest.raises(DirectoryError):
        Directory(lab_dc.ldap_url, lab_dc.admin_user, lab_dc.admin_password, str(other_ca)).computer('hv01')


def test_unreachable_dc_is_a_directory_error():
    with pytest.raises(DirectoryError):
        Directory('ldaps://127.0.31.250:636', 'Administrator@HVLAB.TEST', 'x', None, timeout=1).computer('hv01')
