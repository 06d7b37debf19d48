# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Why a live migration (Compare-VM / Move-VM) was refused, and what to do: vm_migrate and host_drain. Pure logic."""

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV

# SEC_E_NO_CREDENTIALS: what a move reports when the source has no credentials to present (CredSSP or delegation).
NO_CREDENTIALS = '0x8009030E'

# HRESULTs of a refused move -> what it means and what to do; the CredSSP / Kerberos meaning of 0x8009030E depends on
# the source's authentication type (explain()).
EXPLANATIONS = (
    ('0x8007274D', 'the destination refuses migration connections: live migration is disabled there, or none of its migration '
                   'networks holds one of its addresses', 'enable live migration on the destination and give it a migration network '
                                                          '(hyperv.mobility.live_migration)'),
    ('0x8007274C', 'the source has no address on a network where the destination accepts migrations',
     'give both hosts a common migration network (hyperv.mobility.live_migration networks)'),
    ('0x80090302', 'the two hosts use different live-migration authentication types', 'use the same authentication on both hosts'),
    ('0x80090311', 'no domain controller could authenticate the move: the hosts are not in the same domain, or the DC is unreachable',
     'join both hosts to the same domain (or trusting domains) and check that they reach a DC'),
    ('0x80090303', 'the destination has no computer account in the domain', 'join the destination to the domain'),
    ('0x8007000E', 'the destination does not have the memory the running VM needs (it is allocated when the move starts)',
     'free memory on the destination or choose another one, or move the VM while it is off'),
)
CREDSSP_EXPLANATION = (
    'live migration on %s uses CredSSP, which can only pass the user\'s credentials on to the destination when the move is '
    'started from a session on the source host (console, Remote Desktop, or PowerShell remoting with CredSSP). This module '
    'reached the source over WinRM with %s authentication, so the source had no credentials to present (0x8009030E "No '
    'credentials are available in the security package")')
CREDSSP_FIX = ('use Kerberos with constrained delegation (hyperv.mobility.kerberos_delegation, then hyperv.mobility.live_migration '
               'authentication: kerberos on both hosts), or start the move from a session on the source')
KERBEROS_EXPLANATION = ('the source\'s computer account may not delegate to the destination\'s migration service%s (0x8009030E): '
                        'constrained delegation is missing or incomplete in Active Directory')
KERBEROS_FIX = ('add the delegation with hyperv.mobility.kerberos_delegation (computer: the source, migration_peers: [the destination], '
                'protocol_transition: true), purge the hosts\' SYSTEM ticket cache (klist -li 0x3e7 purge), and check the pair with '
                'hyperv.mobility.migration_preflight')


def incompatibilities_of(result):
    """The VMCompatibilityError objects of a result as [{'message', 'message_id'}]."""
    return [dict(message=entry.get('Message'), message_id=entry.get('MessageId')) for entry in result.of_type(HV + 'VMCompatibilityError')]


def explain(errors, authentication_type, connection_auth, include_storage):
    """(why, fix) for the error records of a refused Compare-VM / Move-VM, or (None, None) when unknown."""
    text = ' '.join(error.message or '' for error in errors)
    if NO_CREDENTIALS.upper() in text.upper():
        if authentication_type == 'CredSSP':
            return CREDSSP_EXPLANATION % ('the source', connection_auth), CREDSSP_FIX
        return KERBEROS_EXPLANATION % (' and cifs' if include_storage else ''), KERBEROS_FIX
    for code, why, fix in EXPLANATIONS:
        if code.upper() in text.upper():
            return why, fix
    return None, 'run hyperv.mobility.migration_preflight for the pair to see which precondition fails'
