# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Starting the fake Azure (start_fake_azure), the handle a client uses to reach it, and the tests' client of its /_control routes."""

import dataclasses
import json
import os
import secrets
import ssl
import typing
import urllib.request
import uuid

from hvlab.azure.asr import AzureWorld
from hvlab.azure.server import FakeAzure
from hvlab.tls import make_lab_pki

DEFAULT_ADDRESS = '127.0.10.253'
DEFAULT_PORT = 8443


@dataclasses.dataclass
class FakeAzureHandle:
    """A running fake Azure and what a client needs to reach it."""

    azure: FakeAzure
    ca_path: str
    subscription_id: str
    tenant_id: str
    client_id: str
    secret: str

    @property
    def base_url(self) -> str:
        return self.azure.base_url

    @property
    def control(self) -> 'FakeAzureControl':
        return FakeAzureControl(self.base_url, self.ca_path)

    def auth_params(self) -> dict:
        """Module options of a service principal login against this cloud."""
        return {'cloud_environment': self.base_url + '/', 'subscription_id': self.subscription_id, 'tenant': self.tenant_id,
                'client_id': self.client_id, 'secret': self.secret}

    def stop(self) -> None:
        self.azure.stop()


def start_fake_azure(state_dir: str, address: str = DEFAULT_ADDRESS, port: int = DEFAULT_PORT) -> FakeAzureHandle:
    pki = make_lab_pki(os.path.join(state_dir, 'azure-pki'), [{'address': address, 'name': 'azure', 'fqdn': 'management.hvlab.test'}])
    handle = FakeAzureHandle(azure=None, ca_path=pki.ca_path, subscription_id=str(uuid.uuid4()), tenant_id=str(uuid.uuid4()),  # type: ignore[arg-type]
                             client_id=str(uuid.uuid4()), secret=secrets.token_urlsafe(24))
    world = AzureWorld(handle.subscription_id, handle.tenant_id, handle.client_id, handle.secret)
    handle.azure = FakeAzure(world, pki.cert_path, pki.key_path, address, port).start()
    return handle


class FakeAzureControl:
    """Client of the fake Azure's /_control routes."""

    def __init__(self, base_url: str, ca_path: str) -> None:
        self.base_url = base_url.rstrip('/')
        self.context = ssl.create_default_context(cafile=ca_path)

    def call(self, method: str, route: str, body: typing.Any = None) -> typing.Any:
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request('%s/_control/%s' % (self.base_url, route), data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:  # nosec - loopback lab endpoint
            return json.loads(response.read() or b'null')

    def reset(self) -> None:
        self.call('POST', 'reset', {})

    def settings(self, **values: typing.Any) -> dict:
        return self.call('POST', 'settings', values)

    def create_vault(self, resource_group: str, name: str) -> dict:
        return self.call('POST', 'vaults', {'resource_group': resource_group, 'name': name})

    def vault_credentials(self, resource_group: str, vault: str, site: typing.Optional[str] = None) -> str:
        """A registration key (.VaultCredentials document) for the Hyper-V site, or for VMM servers (site None), as the portal gives it."""
        return self.call('POST', 'vault-credentials', {'resource_group': resource_group, 'vault': vault, 'site': site})['document']

    def workload(self, resource_group: str, vault: str, writes: int = 0, replicate: bool = False, point_type: typing.Optional[str] = None,
                 vms: typing.Optional[list] = None) -> list:
        """The protected VMs write on their active side, then (replicate) a replication cycle brings a recovery point."""
        return self.call('POST', 'workload', {'resource_group': resource_group, 'vault': vault, 'writes': writes, 'replicate': replicate,
                                              'point_type': point_type, 'vms': vms})

    def replication_error(self, resource_group: str, vault: str, kind: str, vms: typing.Optional[list] = None, **error: typing.Any) -> list:
        """A replication error of seed 004's class kind (fatal, transient, resynchronization) on the protected VMs vms (all without);
        error: code, message, possible_causes, recommended_action of the health error."""
        return self.call('POST', 'replication-error', dict(error, resource_group=resource_group, vault=vault, kind=kind, vms=vms))

    def register_host(self, resource_group: str, vault: str, fabric: str, host: str, vms: list) -> dict:
        return self.call('POST', 'register-host', {'resource_group': resource_group, 'vault': vault, 'fabric': fabric, 'host': host, 'vms': vms})

    def register_vmm(self, resource_group: str, vault: str, fabric: str, server: str, clouds: list, networks: list) -> dict:
        """A VMM server registers with the vault (hvlab.azure.vmm.register_vmm): its fabric, clouds and VM networks."""
        return self.call('POST', 'register-vmm', {'resource_group': resource_group, 'vault': vault, 'fabric': fabric, 'server': server,
                                                  'clouds': clouds, 'networks': networks})

    def inject(self, **fault: typing.Any) -> list:
        return self.call('POST', 'faults', fault)

    def clear_faults(self) -> None:
        self.call('DELETE', 'faults')

    def requests(self) -> list:
        return self.call('GET', 'requests')

    def state(self) -> dict:
        return self.call('GET', 'state')
