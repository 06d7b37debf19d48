# -*- coding: utf-8 -*-
"""SIDs and the msDS-AllowedToActOnBehalfOfOtherIdentity security descriptor (no network)."""

import base64

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import (
    ADError, DelegationDescriptor, RBCD_ACCESS_MASK, sid_from_bytes, sid_to_bytes)

SID = 'S-1-5-21-2490485341-3104312750-2043706923-1104'


def test_sid_round_trip_and_layout():
    data = sid_to_bytes(SID)
    assert data[:8] == bytes([1, 5, 0, 0, 0, 0, 0, 5])  # revision 1, 5 sub-authorities, NT authority
    assert data[8:12] == (21).to_bytes(4, 'little')
    assert sid_from_bytes(data) == (SID, len(data))
    assert sid_from_bytes(sid_to_bytes('S-1-5-32-544'))[0] == 'S-1-5-32-544'


def test_not_a_sid():
    with pytest.raises(ADError):
        sid_to_bytes('hv01$')


def test_descriptor_as_windows_writes_it():
    """O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SID), the SDDL Set-ADComputer -PrincipalsAllowedToDelegateToAccount writes."""
    data = DelegationDescriptor.for_principals([SID]).to_bytes()
    revision, control = data[0], int.from_bytes(data[2:4], 'little')
    assert revision == 1 and control == 0x8004  # self-relative, DACL present
    parsed = DelegationDescriptor.from_bytes(data)
    assert parsed.owner_sid == 'S-1-5-32-544' and parsed.group_sid is None
    assert parsed.principal_sids == [SID]
    assert parsed.aces[0].mask == RBCD_ACCESS_MASK


def test_descriptor_with_other_owner_and_acl_revision_is_understood():
    # O:SYD:(A;;...;;;SID) with ACL revision 4; samba-tool's own bytes are covered by the integration test.
    parsed = DelegationDescriptor.from_bytes(base64.b64decode(_samba_blob()))
    assert parsed.owner_sid == 'S-1-5-18'
    assert parsed.principal_sids == [SID]


def _samba_blob():
    owner = sid_to_bytes('S-1-5-18')
    ace_sid = sid_to_bytes(SID)
    ace = bytes([0, 0]) + (8 + len(ace_sid)).to_bytes(2, 'little') + RBCD_ACCESS_MASK.to_bytes(4, 'little') + ace_sid
    acl = bytes([4, 0]) + (8 + len(ace)).to_bytes(2, 'little') + (1).to_bytes(2, 'little') + b'\0\0' + ace
    header = bytes([1, 0]) + (0x8004).to_bytes(2, 'little') + (20).to_bytes(4, 'little') + b'\0' * 8 + (20 + len(owner)).to_bytes(4, 'little')
    return base64.b64encode(header + owner + acl)


def test_with_principals_keeps_owner_and_foreign_aces():
    other = 'S-1-5-21-1-2-3-500'
    descriptor = DelegationDescriptor.for_principals([SID, other]).with_principals([other, 'S-1-5-21-1-2-3-501'])
    assert descriptor.principal_sids == [other, 'S-1-5-21-1-2-3-501']
    assert DelegationDescriptor.from_bytes(descriptor.to_bytes()).principal_sids == descriptor.principal_sids


def test_garbage_is_a_clear_error():
    with pytest.raises(ADError, match='cannot be parsed'):
        DelegationDescriptor.from_bytes(b'\x01\x00\x04')
