"""The Replica server cmdlets: Get-/Set-VMReplicationServer and the authorization entries (Get-/New-/Set-/Remove-VMReplicationAuthorizationEntry).

Where the pages state a rule it is enforced (allow-any needs a storage location, certificate authentication needs a
thumbprint, monitoring intervals from the documented list). Lab choices that the pages do not settle are noted where they are made.
"""

from __future__ import annotations


from hvlab.model import replication as model
from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import netbios_name
from hvlab.engine.cmdlets.replication_objects import (
    MONITORING_INTERVALS,
    PATH,
    authorization_entry_object,
    fail,
    given,
    normal_thumbprint,
    replication_server_object,
)


def get_vmreplication_server(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        ctx.write_output(replication_server_object(host))


class _ReplicaServerChange:
    """Set-VMReplicationServer: the resulting settings, validated as a whole before anything is applied."""

    def __init__(self, ctx: CmdletContext, host):
        self.ctx, self.host = ctx, host
        bound, settings = ctx.bound, host.replica_server
        auth = bound.get('AllowedAuthenticationType')
        self.values = {
            'enabled': given(bound.get('ReplicationEnabled'), settings.enabled),
            'allowed_authentication_type': auth.name if auth is not None else settings.allowed_authentication_type,
            'kerberos_port': given(bound.get('KerberosAuthenticationPort'), settings.kerberos_port),
            'certificate_port': given(bound.get('CertificateAuthenticationPort'), settings.certificate_port),
            'certificate_thumbprint': normal_thumbprint(bound.get('CertificateThumbprint')) or settings.certificate_thumbprint,
            'allow_any_server': given(bound.get('ReplicationAllowedFromAnyServer'), settings.allow_any_server),
            'default_storage_location': given(bound.get('DefaultStorageLocation'), settings.default_storage_location),
            'monitoring_interval': _seconds(bound.get('MonitoringInterval'), settings.monitoring_interval),
            'monitoring_start_time': _seconds(bound.get('MonitoringStartTime'), settings.monitoring_start_time),
        }
        self.problems: list[tuple[str, str]] = []

    def _mapping_port(self, parameter: str, key: str) -> None:
        mapping = self.ctx.bound.get(parameter)
        if mapping is None:
            return
        names = {self.host.name.lower(), self.host.fqdn.lower()}
        ports = [port for name, port in mapping.items() if str(name).lower() in names]
        if not ports:
            self.problems.append((parameter, f'{parameter} has no entry for this server ({self.host.fqdn}).'))
            return
        self.values[key] = int(ports[0])

    def validate(self) -> list[tuple[str, str]]:
        values, auth = self.values, self.values['allowed_authentication_type']
        self._mapping_port('KerberosAuthenticationPortMapping', 'kerberos_port')
        self._mapping_port('CertificateAuthenticationPortMapping', 'certificate_port')
        uses_certificate = auth in ('Certificate', 'CertificateAndKerberos')
        for parameter in ('CertificateAuthenticationPort', 'CertificateAuthenticationPortMapping'):
            if parameter in self.ctx.bound and not uses_certificate:
                self.problems.append((parameter, f'{parameter} can be used only when the allowed authentication type is Certificate '
                                                 'or CertificateAndKerberos.'))
        if 'KerberosAuthenticationPortMapping' in self.ctx.bound and auth == 'Certificate':
            self.problems.append(('KerberosAuthenticationPortMapping', 'KerberosAuthenticationPortMapping can be used only when '
                                                                       'the allowed authentication type is Kerberos or CertificateAndKerberos.'))
        for key, parameter in (('kerberos_port', 'KerberosAuthenticationPort'), ('certificate_port', 'CertificateAuthenticationPort')):
            if not 1 <= values[key] <= 65535:
                self.problems.append((parameter, f'The port {values[key]} is not valid. Specify a port between 1 and 65535.'))
        given = self.ctx.bound.get('CertificateThumbprint')
        if given is not None and normal_thumbprint(given) not in self.host.replication.certificates:
            self.problems.append(('CertificateThumbprint', f"The certificate with thumbprint '{given}' was not found in the "
                                                           'LocalMachine\\My store or does not meet the requirements of Hyper-V '
                                                           'Replica (unexpired, Client and Server Authentication, private key, '
                                                           'trusted root, subject = this server).'))
        if uses_certificate and not values['certificate_thumbprint']:
            self.problems.append(('CertificateThumbprint', f'Certificate-based authentication ({auth}) requires a certificate: '
                                                           'specify CertificateThumbprint.'))
        if values['allow_any_server'] and not values['default_storage_location']:
            self.problems.append(('DefaultStorageLocation', 'Replication from any authenticated server requires a default storage '
                                                            'location: specify DefaultStorageLocation.'))
        location = self.ctx.bound.get('DefaultStorageLocation')
        if location and not PATH.match(location):
            self.problems.append(('DefaultStorageLocation', f"'{location}' is not a valid storage location. Specify a local or "
                                                            'UNC path.'))
        if values['monitoring_interval'] not in MONITORING_INTERVALS:
            self.problems.append(('MonitoringInterval', 'MonitoringInterval must be one of 1, 2, 3, 4, 6, 8, 12 or 24 hours, or '
                                                        '2 to 7 days.'))
        if not 0 <= values['monitoring_start_time'] < 86400:
            self.problems.append(('MonitoringStartTime', 'MonitoringStartTime must be a time of day (00:00:00 to 23:59:59).'))
        return self.problems

    def apply(self) -> None:
        for key, value in self.values.items():
            setattr(self.host.replica_server, key, value)


def _seconds(value, current: float) -> float:
    return current if value is None else float(value.seconds)


def set_vmreplication_server(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        change = _ReplicaServerChange(ctx, host)
        problems = change.validate()
        for parameter, message in problems:
            fail(ctx, 'argument', message, parameter)
        if problems or not ctx.should_process(netbios_name(host)):
            continue
        change.apply()
        if ctx.passthru:
            # OUTPUTS names VMRecoveryServer, the -Passthru text VMReplicationServer: Get-VMReplicationServer's object.
            ctx.write_output(replication_server_object(host))


# ---- authorization entries ------------------------------------------------------------------------------------
def _entries(host, server: str | None = None, trust_group: str | None = None, storage: str | None = None) -> list[dict]:
    found = []
    for entry in host.replica_server.authorization_entries:
        if server is not None and entry['allowed_primary_server'].lower() != server.lower():
            continue
        if trust_group is not None and entry['trust_group'].lower() != trust_group.lower():
            continue
        if storage is not None and entry['replica_storage_location'].lower() != storage.lower():
            continue
        found.append(entry)
    return found


def _entry_not_found(ctx: CmdletContext, host, server: str) -> None:
    fail(ctx, 'missing', f"No authorization entry for the primary server '{server}' was found on the Replica server "
         f"'{host.name.upper()}'.", server)


def get_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    server = ctx.bound.get('AllowedPrimaryServer')
    for host in ctx.local_targets():
        found = _entries(host, server, ctx.bound.get('TrustGroup'), ctx.bound.get('ReplicaStorageLocation'))
        if server is not None and not found:
            _entry_not_found(ctx, host, server)
        for entry in found:
            ctx.write_output(authorization_entry_object(host, entry))


def new_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    server = ctx.bound.get('AllowedPrimaryServer').strip()
    storage = ctx.bound.get('ReplicaStorageLocation')
    trust_group = ctx.bound.get('TrustGroup')
    if not model.valid_primary_server_pattern(server):
        fail(ctx, 'argument', f"'{server}' is not a valid primary server name. Specify a fully qualified domain name; a '*' "
             'wildcard is allowed only as the first label, for example *.contoso.com.', server)
        return
    if not PATH.match(storage):
        fail(ctx, 'argument', f"'{storage}' is not a valid storage location. Specify a local or UNC path.", storage)
        return
    for host in ctx.local_targets():
        if host.replica_server.allow_any_server:
            fail(ctx, 'state', 'Authorization entries can be used only when the Replica server does not allow replication from '
                 'any authenticated server (ReplicationAllowedFromAnyServer is $true): run Set-VMReplicationServer '
                 '-ReplicationAllowedFromAnyServer $false first.', server)
            continue
        if _entries(host, server):
            fail(ctx, 'argument', f"An authorization entry for the primary server '{server}' already exists.", server)
            continue
        if not ctx.should_process(server):
            continue
        entry = {'allowed_primary_server': server, 'replica_storage_location': storage, 'trust_group': trust_group}
        host.replica_server.authorization_entries.append(entry)
        ctx.write_output(authorization_entry_object(host, entry))


def _entries_from_objects(ctx: CmdletContext, host) -> list[dict]:
    wanted = {item['AllowedPrimaryServer'].lower() for item in ctx.bound.get('VMReplicationAuthorizationEntry') or []}
    return [entry for entry in host.replica_server.authorization_entries if entry['allowed_primary_server'].lower() in wanted]


def set_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    storage, trust_group = ctx.bound.get('ReplicaStorageLocation'), ctx.bound.get('TrustGroup')
    if storage is not None and not PATH.match(storage):
        fail(ctx, 'argument', f"'{storage}' is not a valid storage location. Specify a local or UNC path.", storage)
        return
    hosts = ctx.local_targets() if ctx.bound.parameter_set == 'Name' else [ctx.host]
    for host in hosts:
        if ctx.bound.parameter_set == 'Name':
            server = ctx.bound.get('AllowedPrimaryServer')
            selected = _entries(host, server)
            if not selected:
                _entry_not_found(ctx, host, server)
        else:
            selected = _entries_from_objects(ctx, host)
        for entry in selected:
            if not ctx.should_process(entry['allowed_primary_server']):
                continue
            # Only replicas created afterwards use a new storage location; existing replica files stay where they are.
            if storage is not None:
                entry['replica_storage_location'] = storage
            if trust_group:
                entry['trust_group'] = trust_group
            if ctx.passthru:
                ctx.write_output(authorization_entry_object(host, entry))


def remove_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    hosts = ctx.local_targets() if ctx.bound.parameter_set != 'Object' else [ctx.host]
    for host in hosts:
        if ctx.bound.parameter_set == 'PrimaryServerName':
            server = ctx.bound.get('AllowedPrimaryServer')
            selected = _entries(host, server)
            if not selected:
                _entry_not_found(ctx, host, server)
        elif ctx.bound.parameter_set == 'TrustGroup':
            selected = _entries(host, trust_group=ctx.bound.get('TrustGroup'))
        else:
            selected = _entries_from_objects(ctx, host)
        selected = [entry for entry in selected if ctx.should_process(entry['allowed_primary_server'])]
        host.replica_server.authorization_entries = [entry for entry in host.replica_server.authorization_entries
                                                     if entry not in selected]
        if ctx.passthru:
            for entry in selected:
                ctx.write_output(authorization_entry_object(host, entry))


# ---- selecting VMs --------------------------------------------------------------------------------------------


CMDLETS = {
    'Get-VMReplicationServer': get_vmreplication_server,
    'Set-VMReplicationServer': set_vmreplication_server,
    'Get-VMReplicationAuthorizationEntry': get_vmreplication_authorization_entry,
    'New-VMReplicationAuthorizationEntry': new_vmreplication_authorization_entry,
    'Set-VMReplicationAuthorizationEntry': set_vmreplication_authorization_entry,
    'Remove-VMReplicationAuthorizationEntry': remove_vmreplication_authorization_entry,
}
