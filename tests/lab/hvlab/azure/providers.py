"""Hyper-V hosts registered with a Hyper-V site: vault credentials, registration and the vault's provider records.

- ``vault_credentials`` is what the portal's "Download registration key" (or Get-AzRecoveryServicesVaultSettingsFile)
  hands the user: an ASRVaultCreds XML document naming the vault and the site, with a channel integrity key the service
  checks when a host registers. Microsoft documents that the key is valid for five days; the lab's keys do not expire.
- ``register_with_credentials`` is the service side of DRConfigurator.exe /r on a lab host (hvlab.model.programs).
- A registered host is a ``replicationRecoveryServicesProviders`` resource of the site's fabric (REST shape of
  RecoveryServicesProvider); removing it (POST .../remove) unregisters the host, refused while any of its VMs is
  protected, as the portal refuses to delete such a server.
"""

import secrets
import typing
import xml.sax.saxutils

from hvlab.azure.asr import PROVIDER, AzureError, Operation, Vault, bad_request, not_found

PROVIDER_VERSION = '5.24.0902.1'
CREDENTIALS_NAMESPACE = 'http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common'


def vault_credentials(vault: Vault, subscription_id: str, site_name: str) -> str:
    """A registration key (vault credentials file) for the Hyper-V site ``site_name``."""
    fabric = vault.fabric(site_name)
    key = secrets.token_urlsafe(24)
    vault.settings.setdefault('channel_integrity_keys', []).append(key)
    fields = [('SubscriptionId', subscription_id), ('ResourceType', 'Vaults'), ('ResourceName', vault.name),
              ('ManagementCert', secrets.token_hex(32)), ('ChannelIntegrityKey', key), ('ResourceGroupName', vault.resource_group),
              ('Location', vault.location), ('SiteId', fabric['name']), ('SiteName', fabric['properties']['friendlyName']), ('Version', '2.0')]
    body = ''.join('<%s>%s</%s>' % (name, xml.sax.saxutils.escape(value), name) for name, value in fields)
    return ('<?xml version="1.0" encoding="utf-8"?><ASRVaultCreds xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns="%s">%s</ASRVaultCreds>' % (CREDENTIALS_NAMESPACE, body))


def register_with_credentials(world: typing.Any, body: dict) -> dict:
    """Register a host from its vault credentials; AzureError when the service would refuse it."""
    credentials = body.get('credentials') or {}
    if credentials.get('SubscriptionId') != world.subscription_id:
        raise AzureError(401, 'InvalidVaultCredentials', 'The vault credentials belong to another subscription.')
    vault = world.vault(world.subscription_id, credentials.get('ResourceGroupName', ''), credentials.get('ResourceName', ''))
    if credentials.get('ChannelIntegrityKey') not in vault.settings.get('channel_integrity_keys', []):
        raise AzureError(401, 'InvalidVaultCredentials', 'The vault credentials file is not valid for vault %s; download a new one.' % vault.name)
    friendly_name = body.get('friendly_name') or ''
    if not friendly_name:
        raise bad_request('InvalidFriendlyName', 'The server needs a friendly name.')
    vault.register_host(credentials.get('SiteId', ''), friendly_name, body.get('vms') or [])
    return provider_document(vault, credentials['SiteId'], _host_entry(vault, credentials['SiteId'], friendly_name))


def _host_entry(vault: Vault, fabric_name: str, friendly_name: str) -> dict:
    for host in vault.fabric(fabric_name)['properties']['customDetails']['hyperVHosts']:
        if host['name'].lower() == friendly_name.lower():
            return host
    raise not_found('Recovery services provider', friendly_name)


def provider_document(vault: Vault, fabric_name: str, host: dict) -> dict:
    fabric = vault.fabric(fabric_name)
    protected = sum(1 for items in vault.protected.values() for item in items.values()
                    if item['properties'].get('recoveryServicesProviderId') == host['id'])
    return {'id': '%s/replicationRecoveryServicesProviders/%s' % (fabric['id'], host['id']), 'name': host['id'],
            'type': '%s/vaults/replicationFabrics/replicationRecoveryServicesProviders' % PROVIDER,
            'properties': {'fabricType': 'HyperVSite', 'friendlyName': host['name'], 'providerVersion': PROVIDER_VERSION,
                           'serverVersion': '10.0.20348', 'providerVersionState': 'Latest', 'fabricFriendlyName': fabric['properties']['friendlyName'],
                           'lastHeartBeat': host.get('registeredAt'), 'connectionStatus': 'Connected', 'protectedItemCount': protected,
                           'allowedScenarios': ['Refresh', 'Delete'], 'healthErrorDetails': [], 'draIdentifier': host['id'],
                           'machineName': host['name'], 'biosId': None}}


def providers_of(vault: Vault, fabric_name: str) -> list:
    hosts = vault.fabric(fabric_name)['properties']['customDetails']['hyperVHosts']
    return [provider_document(vault, fabric_name, host) for host in hosts]


def provider(vault: Vault, fabric_name: str, name: str) -> dict:
    for document in providers_of(vault, fabric_name):
        if document['name'].lower() == name.lower():
            return document
    raise not_found('Recovery services provider', name)


def remove_provider(vault: Vault, fabric_name: str, name: str) -> Operation:
    """Unregister a host: its VMs leave the site's protectable items; refused while one of them is protected."""
    document = provider(vault, fabric_name, name)
    if document['properties']['protectedItemCount']:
        raise AzureError(409, 'ServerHasProtectedItems', "Server '%s' has %d protected virtual machine(s); disable their protection before "
                         'unregistering the server.' % (document['properties']['friendlyName'], document['properties']['protectedItemCount']))

    def apply() -> None:
        hosts = vault.fabric(fabric_name)['properties']['customDetails']['hyperVHosts']
        hosts[:] = [host for host in hosts if host['id'].lower() != name.lower()]
        for items in vault.protectable.values():
            for key in [key for key, item in items.items() if item['properties'].get('recoveryServicesProviderId', '').lower() == name.lower()]:
                del items[key]
    return vault.start('RemoveProvider', 'Remove server', document, apply)


def route(vault: Vault, method: str, fabric_name: str, parts: list) -> typing.Any:
    """replicationFabrics/{fabric}/replicationRecoveryServicesProviders[/{name}[/remove]]."""
    if len(parts) == 1 and method == 'GET':
        return 200, {'value': providers_of(vault, fabric_name), 'nextLink': None}
    if len(parts) == 2 and method == 'GET':
        return 200, provider(vault, fabric_name, parts[1])
    if (len(parts) == 3 and parts[2].lower() == 'remove' and method == 'POST') or (len(parts) == 2 and method == 'DELETE'):
        return remove_provider(vault, fabric_name, parts[1])
    raise AzureError(405, 'MethodNotAllowed', '%s %s' % (method, '/'.join(parts)))
