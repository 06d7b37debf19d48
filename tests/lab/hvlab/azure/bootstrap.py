# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``python -m hvlab up`` prepares in the fake Azure so that playbooks/site_recovery_azure.yml runs against the lab.

A user of Site Recovery starts with a Recovery Services vault (azure.azcollection stops there), creates a Hyper-V site in it,
downloads the site's vault credentials file (registration key) and the Site Recovery provider setup, and copies both to each
Hyper-V host; the site_recovery_azure role then installs the provider and registers every host (asr_host_registration).
``prepare_lab_vault`` does the portal's part for the lab: the vault through the fake's control route, the site through ARM
(service principal token, PUT of the replication fabric, the operation awaited), and the vault credentials document.
"""

from __future__ import annotations

import json
import ssl
import time
import typing
import urllib.error
import urllib.parse
import urllib.request

from hvlab.azure import FakeAzureControl

API_VERSION = '2025-08-01'
VAULT_PROVIDER = 'Microsoft.RecoveryServices'


class BootstrapError(Exception):
    """The fake Azure did not accept a preparation step."""


class ServicePrincipalSession:
    """ARM calls as the fake Azure's service principal (client credentials grant, bearer token), with urllib only."""

    def __init__(self, azure: dict, timeout: float = 10.0) -> None:
        self.azure = azure
        self.base_url = azure['base_url'].rstrip('/')
        self.context = ssl.create_default_context(cafile=azure['ca_path'])
        self.timeout = timeout
        self._token: str | None = None

    def _open(self, request: urllib.request.Request) -> tuple[int, typing.Any]:
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=self.timeout) as response:  # nosec - loopback lab endpoint
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def token(self) -> str:
        if self._token is None:
            form = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': self.azure['client_id'],
                                           'client_secret': self.azure['secret'], 'scope': self.base_url + '/.default'}).encode('ascii')
            request = urllib.request.Request('%s/%s/oauth2/v2.0/token' % (self.base_url, self.azure['tenant_id']), data=form, method='POST',
                                             headers={'Content-Type': 'application/x-www-form-urlencoded'})
            status, body = self._open(request)
            if status != 200:
                raise BootstrapError('token request answered %s: %s' % (status, body))
            self._token = body['access_token']
        return self._token

    def vault_path(self, resource_group: str, vault: str) -> str:
        return '/subscriptions/%s/resourceGroups/%s/providers/%s/vaults/%s' % (self.azure['subscription_id'], resource_group, VAULT_PROVIDER, vault)

    def arm(self, method: str, path: str, body: typing.Any = None) -> tuple[int, typing.Any]:
        separator = '&' if '?' in path else '?'
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request('%s%s%sapi-version=%s' % (self.base_url, path, separator, API_VERSION), data=data, method=method,
                                         headers={'Authorization': 'Bearer ' + self.token(), 'Content-Type': 'application/json'})
        return self._open(request)


def create_site(session: ServicePrincipalSession, resource_group: str, vault: str, site: str, timeout: float = 30.0) -> dict:
    """PUT the Hyper-V site (replication fabric) and wait until ARM returns it."""
    path = '%s/replicationFabrics/%s' % (session.vault_path(resource_group, vault), urllib.parse.quote(site))
    status, body = session.arm('PUT', path, {'properties': {'customDetails': {'instanceType': 'HyperVSite'}}})
    if status not in (200, 201, 202):
        raise BootstrapError('creating site %s answered %s: %s' % (site, status, body))
    deadline = time.monotonic() + timeout
    while True:
        status, body = session.arm('GET', path)
        if status == 200:
            return body
        if time.monotonic() >= deadline:
            raise BootstrapError('site %s not created after %.0f s (last answer %s: %s)' % (site, timeout, status, body))
        time.sleep(0.25)


def prepare_lab_vault(azure: dict, resource_group: str, vault: str, site: str) -> str:
    """Vault and Hyper-V site; returns the site's vault credentials document (what the portal's download gives)."""
    control = FakeAzureControl(azure['base_url'], azure['ca_path'])
    control.create_vault(resource_group, vault)
    create_site(ServicePrincipalSession(azure), resource_group, vault, site)
    return control.vault_credentials(resource_group, vault, site)
