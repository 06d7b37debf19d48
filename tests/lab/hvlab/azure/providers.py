"""Servers registered with a vault: Hyper-V hosts of a Hyper-V site and VMM servers; vault credentials, registration and the
vault's provider records.

- ``vault_credentials`` is what the portal's "Download registration key" (or Get-AzRecoveryServicesVaultSettingsFile)
  hands the user: an ASRVaultCreds XML document naming the vault, with a channel integrity key the service checks when a
  server registers. The key of a Hyper-V site also names the site (-SiteIdentifier / -SiteFriendlyName); the key for VMM
  servers names none (a VMM server's fabric is created by its registration). Microsoft documents that a key is valid for
  five days; the lab's keys do not expire.
- ``register_with_credentials`` is the service side of DRConfigurator.exe /r on a lab host or VMM server
  (hvlab.model.programs). No source says what the service answers to a Hyper-V site's key used on a VMM server, or the
  other way round; the lab refuses both.
- A VMM server registers under its friendly name (in a cluster, the VMM cluster role's name, as Microsoft says to give):
  the first registration creates its fabric (``customDetails.instanceType`` VMM, named by Site Recovery) with its clouds
  and VM networks (hvlab.azure.vmm); every node of a highly available VMM whose provider registers becomes one provider
  of that fabric.
- A registered server is a ``replicationRecoveryServicesProviders`` resource of its fabric (REST shape of
  RecoveryServicesProvider); removing it (POST .../remove) unregisters the server, refused while any of its VMs is
  protected, as the portal refuses to delete such a server. Removing a VMM server's last provider removes its fabric.
"""

import datetime
import secrets
import typing
import uuid
import xml.sax.saxutils

from hvlab.azure import vmm
from hvlab.azure.asr import PROVIDER, AzureError, Operation, Vault, bad_request, not_found

PROVIDER_VERSION = '5.24.0902.1'
CREDENTIALS_NAMESPACE = 'http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common'


def vault_credentials(vault: Vault, subscription_id: str, site_name: typing.Optional[str] = None) -> str:
    """A registration key (vault credentials file) for the Hyper-V site ``site_name``, or for VMM servers (no site)."""
    site = [] if site_name is None else [('SiteId', vault.fabric(site_name)['name']), ('SiteName', vault.fabric(site_name)['properties']['friendlyName'])]
    key = secrets.token_urlsafe(24)
    vault.settings.setdefault('channel_integrity_keys', []).append(key)
    fields = [('SubscriptionId', subscription_id), ('ResourceType', 'Vaults'), ('ResourceName', vault.name),
              ('ManagementCert', secrets.token_hex(32)), ('ChannelIntegrityKey', key), ('ResourceGroupName', vault.resource_group),
              ('Location', vault.location)] + site + [('Version', '2.0')]
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
    site = credentials.get('SiteId')
    if body.get('vmm') is not None:
        if site:
            raise bad_request('InvalidVaultCredentials', "The registration key is for Hyper-V site '%s'; a VMM server registers with the vault's key "
                              'for VMM servers (no site).' % credentials.get('SiteName', site))
        return register_vmm_node(vault, friendly_name, body['vmm'])
    if not site:
        raise bad_request('InvalidVaultCredentials', 'The registration key names no Hyper-V site (it is for VMM servers); a Hyper-V host registers '
                          "with the key of its site.")
    vault.register_host(site, friendly_name, body.get('vms') or [])
    return provider_document(vault, site, _host_entry(vault, site, friendly_name))


def vmm_fabric(vault: Vault, friendly_name: str) -> typing.Optional[dict]:
    """The fabric of the VMM server registered under ``friendly_name`` (case-insensitive), if any."""
    return next((fabric for fabric in vault.fabrics.values() if vmm.fabric_type(fabric) == vmm.VMM
                 and fabric['properties']['friendlyName'].lower() == friendly_name.lower()), None)


def register_vmm_node(vault: Vault, friendly_name: str, details: dict) -> dict:
    """A VMM server (or one node of a highly available VMM) registers: the server's fabric, clouds and VM networks, and the node's
    provider. details: {node, clouds: [{name, vms}], networks: [{name, subnets}]}."""
    node = details.get('node') or ''
    if not node:
        raise bad_request('InvalidServer', 'The registering node has no name.')
    fabric = vmm_fabric(vault, friendly_name)
    fabric_name = fabric['name'] if fabric else str(uuid.uuid5(uuid.NAMESPACE_URL, '%s/%s' % (vault.id.lower(), friendly_name.lower())))
    vmm.register_vmm(vault, {'fabric': fabric_name, 'server': friendly_name, 'clouds': details.get('clouds') or [],
                             'networks': details.get('networks') or []})
    nodes = vault.vmm_providers.setdefault(fabric_name.lower(), [])
    entry = next((entry for entry in nodes if entry['name'].lower() == node.lower()), None)
    if entry is None:
        entry = {'id': str(uuid.uuid5(uuid.NAMESPACE_URL, '%s/%s' % (fabric_name, node.lower()))), 'name': node,
                 'registeredAt': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}
        nodes.append(entry)
    return provider_document(vault, fabric_name, entry)


def _host_entry(vault: Vault, fabric_name: str, friendly_name: str) -> dict:
    for host in vault.fabric(fabric_name)['properties']['customDetails']['hyperVHosts']:
        if host['name'].lower() == friendly_name.lower():
            return host
    raise not_found('Recovery services provider', friendly_name)


def _protected_count(vault: Vault, fabric: dict, host: dict) -> int:
    """VMs protected through a server: a Hyper-V host's own VMs, or every VM of a VMM server's clouds."""
    if vmm.fabric_type(fabric) == vmm.VMM:
        prefix = fabric['id'].lower() + '/'
        return sum(len(items) for key, items in vault.protected.items() if key.startswith(prefix))
    return sum(1 for items in vault.protected.values() for item in items.values() if item['properties'].get('recoveryServicesProviderId') == host['id'])


def provider_document(vault: Vault, fabric_name: str, host: dict) -> dict:
    fabric = vault.fabric(fabric_name)
    protected = _protected_count(vault, fabric, host)
    # A VMM server's providers share the server's friendly name; machineName says which node each one runs on.
    friendly = fabric['properties']['friendlyName'] if vmm.fabric_type(fabric) == vmm.VMM else host['name']
    return {'id': '%s/replicationRecoveryServicesProviders/%s' % (fabric['id'], host['id']), 'name': host['id'],
            'type': '%s/vaults/replicationFabrics/replicationRecoveryServicesProviders' % PROVIDER,
            'properties': {'fabricType': vmm.fabric_type(fabric), 'friendlyName': friendly, 'providerVersion': PROVIDER_VERSION,
                           'serverVersion': '10.0.20348', 'providerVersionState': 'Latest', 'fabricFriendlyName': fabric['properties']['friendlyName'],
                           'lastHeartBeat': host.get('registeredAt'), 'connectionStatus': 'Connected', 'protectedItemCount': protected,
                           'allowedScenarios': ['Refresh', 'Delete'], 'healthErrorDetails': [], 'draIdentifier': host['id'],
                           'machineName': host['name'], 'biosId': None}}


def _servers(vault: Vault, fabric_name: str) -> list:
    """The registered servers of a fabric: the Hyper-V hosts of a site, the nodes of a VMM server."""
    fabric = vault.fabric(fabric_name)
    if vmm.fabric_type(fabric) == vmm.VMM:
        return vault.vmm_providers.setdefault(fabric['name'].lower(), [])
    return fabric['properties']['customDetails']['hyperVHosts']


def providers_of(vault: Vault, fabric_name: str) -> list:
    return [provider_document(vault, fabric_name, host) for host in _servers(vault, fabric_name)]


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
        hosts = _servers(vault, fabric_name)
        hosts[:] = [host for host in hosts if host['id'].lower() != name.lower()]
        if vmm.fabric_type(vault.fabric(fabric_name)) == vmm.VMM:
            if not hosts:  # the VMM server's last provider: the server leaves the vault with its clouds and networks
                vmm.unregister_vmm(vault, fabric_name)
            return
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
