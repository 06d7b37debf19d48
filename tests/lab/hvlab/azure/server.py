# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake Azure over HTTPS: Microsoft Entra ID (token), cloud metadata and Azure Resource Manager for Site Recovery.

One HTTPS listener (default ``127.0.10.253:8443``) serves, as the public clouds do on their own hosts:
- ``GET /metadata/endpoints?api-version=...``: the cloud's endpoints, what a sovereign-cloud / Azure Stack user gives as
  ``cloud_environment`` (a list of clouds for api-version 2022-09-01, the Azure Stack document for older versions);
- ``GET /<tenant>/v2.0/.well-known/openid-configuration`` and ``POST /<tenant>/oauth2/v2.0/token``: the OAuth2 client
  credentials grant MSAL (azure-identity's ClientSecretCredential) performs; a wrong client or secret is answered
  with AADSTS errors like Entra ID's;
- ARM: ``/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.RecoveryServices/vaults/<vault>[/...]`` with a
  valid bearer token (401 otherwise). Writes answer ``202 Accepted`` with ``Azure-AsyncOperation``, ``Location`` and
  ``Retry-After``; the operation status and result URLs are polled like ARM's.
- ``/_control/...`` (JSON, no auth): reset, settings, vaults, host and VMM server registration, the protected VMs' workload
  and replication errors (seed 004's retry classes, a VM marked for resynchronization)
  (writes and replication cycles: hvlab.azure.recovery_points), fault injection, request log, state (with the order of
  completed operations, ``events``).
  Faults: ``{"status": 429|500|503, "count": N, "retry_after": s, "path": substring, "method": "PUT"}`` answered before
  the request is handled; ``{"kind": "job_failure", ...}`` makes the next asynchronous operation fail.
"""

import http.server
import json
import re
import secrets
import socketserver
import ssl
import threading
import time
import typing
import urllib.parse
import uuid

from hvlab.azure import plans, providers, vmm
from hvlab.azure.asr import AzureError, AzureWorld, Vault, bad_request, not_found, public, update_protection

API_VERSION = '2025-08-01'
VAULT_PATH = re.compile(r'^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.RecoveryServices/vaults/(?P<vault>[^/]+)'
                        r'(?P<rest>(/[^/]+)*)$', re.IGNORECASE)
TOKEN_LIFETIME = 3600


class FaultPlan:
    """Faults to answer instead of handling requests (429 throttling, 5xx) and asynchronous operations to fail."""

    def __init__(self) -> None:
        self.http: list = []

    def add(self, fault: dict) -> None:
        self.http.append(dict(fault, count=int(fault.get('count', 1))))

    def take(self, method: str, path: str) -> typing.Optional[dict]:
        for fault in self.http:
            if fault['count'] <= 0:
                continue
            if fault.get('method') and fault['method'].upper() != method:
                continue
            if fault.get('path') and fault['path'].lower() not in path.lower():
                continue
            fault['count'] -= 1
            return fault
        return None

    def pending(self) -> list:
        return [fault for fault in self.http if fault['count'] > 0]


class FakeAzureServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """The listener; ``world`` holds the state, ``tokens`` the access tokens issued."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: typing.Tuple[str, int], world: AzureWorld, cert_path: str, key_path: str) -> None:
        super().__init__(address, AzureRequestHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.world = world
        self.tokens: dict = {}
        self.faults = FaultPlan()
        self.requests: list = []

    @property
    def base_url(self) -> str:
        return 'https://%s:%d' % self.server_address[:2]


class AzureRequestHandler(http.server.BaseHTTPRequestHandler):
    """Routes one request: metadata, Entra ID, control or ARM."""

    protocol_version = 'HTTP/1.1'
    server: FakeAzureServer

    def log_message(self, format: str, *args: typing.Any) -> None:  # pylint: disable=redefined-builtin
        return None

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        self._handle('GET')

    def do_PUT(self) -> None:  # pylint: disable=invalid-name
        self._handle('PUT')

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        self._handle('POST')

    def do_PATCH(self) -> None:  # pylint: disable=invalid-name
        self._handle('PATCH')

    def do_DELETE(self) -> None:  # pylint: disable=invalid-name
        self._handle('DELETE')

    # ------------------------------------------------------------------ plumbing

    def _handle(self, method: str) -> None:
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        try:
            if path.startswith('/_control/'):
                self._send(*self._control(method, path[len('/_control/'):], json.loads(raw) if raw else {}))
                return
            record = {'method': method, 'path': path, 'time': time.time()}
            if raw and '/providers/' in path:  # ARM bodies (never the token form), for tests to check what modules send
                record['body'] = json.loads(raw)
            self.server.requests.append(record)
            fault = self.server.faults.take(method, path)
            if fault is not None:
                self._send_fault(fault)
                return
            if path == '/metadata/endpoints':
                self._send(200, self._metadata(query.get('api-version', '')))
            elif path.endswith('/.well-known/openid-configuration'):
                self._send(200, self._openid_configuration(path.split('/')[1]))
            elif path.endswith('/oauth2/v2.0/token') and method == 'POST':
                self._send(*self._token(path.split('/')[1], dict(urllib.parse.parse_qsl(raw.decode('utf-8')))))
            else:
                self._arm(method, path, query, raw)
        except AzureError as error:
            self._send(error.status, error.body())
        except (ValueError, KeyError) as error:
            self._send(400, {'error': {'code': 'BadRequest', 'message': str(error)}})

    def _send(self, status: int, body: typing.Any = None, headers: typing.Optional[dict] = None) -> None:
        data = b'' if body is None else json.dumps(body).encode('utf-8')
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        if data:
            self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('x-ms-request-id', str(uuid.uuid4()))
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_fault(self, fault: dict) -> None:
        status = int(fault.get('status', 500))
        headers = {}
        if status == 429:
            headers['Retry-After'] = fault.get('retry_after', 1)
            message = 'Number of requests for subscription exceeded the limit. Please retry after %s seconds.' % headers['Retry-After']
            body = {'error': {'code': 'SubscriptionRequestsThrottled', 'message': message}}
        else:
            body = {'error': {'code': 'InternalServerError', 'message': 'The server encountered an internal error. Please retry the request.'}}
        self._send(status, body, headers)

    # ------------------------------------------------------------------ cloud metadata and Entra ID

    def _metadata(self, api_version: str) -> typing.Any:
        base = self.server.base_url
        if api_version >= '2019':
            return [{'name': 'HvLabCloud', 'portal': base + '/portal', 'resourceManager': base + '/', 'authentication': {
                'loginEndpoint': base + '/', 'audiences': [base + '/'], 'tenant': 'common', 'identityProvider': 'AAD'},
                'suffixes': {'storage': 'core.hvlab.test', 'keyVaultDns': 'vault.hvlab.test'}}]
        # The Azure Stack document (api-version=1.0 / 2015-01-01): the resource manager is the URL itself.
        return {'galleryEndpoint': base + '/gallery', 'graphEndpoint': base + '/graph', 'portalEndpoint': base + '/portal',
                'authentication': {'loginEndpoint': base + '/', 'audiences': [base + '/']}}

    def _openid_configuration(self, tenant: str) -> dict:
        base = '%s/%s' % (self.server.base_url, tenant)
        return {'token_endpoint': base + '/oauth2/v2.0/token', 'authorization_endpoint': base + '/oauth2/v2.0/authorize',
                'issuer': '%s/%s/v2.0' % (self.server.base_url, self.server.world.tenant_id), 'token_endpoint_auth_methods_supported':
                ['client_secret_post', 'private_key_jwt', 'client_secret_basic'], 'response_types_supported': ['code', 'id_token', 'token'],
                'tenant_region_scope': 'EU', 'cloud_instance_name': 'hvlab.test'}

    def _token(self, tenant: str, form: dict) -> typing.Tuple[int, dict]:
        world = self.server.world
        if tenant.lower() not in (world.tenant_id.lower(), 'organizations'):
            return 400, {'error': 'invalid_request', 'error_description': "AADSTS90002: Tenant '%s' not found." % tenant, 'error_codes': [90002]}
        if form.get('grant_type') != 'client_credentials':
            return 400, {'error': 'unsupported_grant_type', 'error_description': 'AADSTS70003: The app requested an unsupported grant type.'}
        if form.get('client_id') != world.client_id:
            description = "AADSTS700016: Application with identifier '%s' was not found in the directory." % form.get('client_id')
            return 400, {'error': 'unauthorized_client', 'error_description': description, 'error_codes': [700016]}
        if form.get('client_secret') != world.client_secret:
            description = 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.'
            return 401, {'error': 'invalid_client', 'error_description': description, 'error_codes': [7000215]}
        token = secrets.token_urlsafe(32)
        self.server.tokens[token] = {'expires': time.time() + TOKEN_LIFETIME, 'scope': form.get('scope', '')}
        return 200, {'token_type': 'Bearer', 'expires_in': TOKEN_LIFETIME, 'ext_expires_in': TOKEN_LIFETIME, 'access_token': token}

    def _authorized(self) -> None:
        header = self.headers.get('Authorization') or ''
        token = header[len('Bearer '):] if header.startswith('Bearer ') else ''
        issued = self.server.tokens.get(token)
        if issued is None or issued['expires'] < time.time():
            raise AzureError(401, 'InvalidAuthenticationToken', 'The access token is missing, invalid or expired.')

    # ------------------------------------------------------------------ ARM

    def _arm(self, method: str, path: str, query: dict, raw: bytes) -> None:
        self._authorized()
        if not query.get('api-version'):
            raise AzureError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.")
        match = VAULT_PATH.match(path)
        if match is None:
            raise not_found('Resource', path)
        body = json.loads(raw) if raw else {}
        with self.server.world.lock:
            world = self.server.world
            if not match.group('rest'):
                self._vault_itself(method, match, body)
                return
            vault = world.vault(match.group('sub'), match.group('rg'), match.group('vault'))
            parts = [urllib.parse.unquote(part) for part in match.group('rest').split('/') if part]
            answer = ArmRoutes(vault).route(method, parts, body)
        if isinstance(answer, tuple):
            self._send(*answer)
        else:
            self._accepted(vault, answer)

    def _vault_itself(self, method: str, match: typing.Match, body: dict) -> None:
        world = self.server.world
        if method == 'PUT':
            vault = world.create_vault(match.group('rg'), match.group('vault'), body.get('location', 'westeurope'))
            self._send(200, vault.document())
            return
        if method != 'GET':
            raise AzureError(405, 'MethodNotAllowed', 'The fake vault supports GET and PUT.')
        self._send(200, world.vault(match.group('sub'), match.group('rg'), match.group('vault')).document())

    def _accepted(self, vault: Vault, operation: typing.Any) -> None:
        poll = self.server.world.settings['poll_seconds']
        base = self.server.base_url + vault.id
        self._send(202, None, {'Azure-AsyncOperation': '%s/replicationOperationStatus/%s?api-version=%s' % (base, operation.name, API_VERSION),
                               'Location': '%s/replicationOperationResults/%s?api-version=%s' % (base, operation.name, API_VERSION),
                               'Retry-After': poll})

    # ------------------------------------------------------------------ control

    def _control(self, method: str, route: str, body: dict) -> typing.Tuple[int, typing.Any]:
        world = self.server.world
        with world.lock:
            if route == 'health':
                return 200, {'ok': True}
            if route == 'reset' and method == 'POST':
                world.reset()
                self.server.faults.http.clear()
                self.server.requests.clear()
                return 200, {'ok': True}
            if route == 'settings':
                world.settings.update(body if method in ('POST', 'PATCH') else {})
                return 200, dict(world.settings)
            if route == 'vaults' and method == 'POST':
                return 200, world.create_vault(body['resource_group'], body['name'], body.get('location', 'westeurope')).document()
            if route == 'register-vmm' and method == 'POST':
                return 200, vmm.register_vmm(world.vault(world.subscription_id, body['resource_group'], body['vault']), body)
            if route == 'vault-credentials' and method == 'POST':
                vault = world.vault(world.subscription_id, body['resource_group'], body['vault'])
                return 200, {'document': providers.vault_credentials(vault, world.subscription_id, body.get('site'))}
            if route == 'register-provider' and method == 'POST':
                return 200, providers.register_with_credentials(world, body)
            if route == 'register-host' and method == 'POST':
                vault = world.vault(world.subscription_id, body['resource_group'], body['vault'])
                return 200, vault.register_host(body['fabric'], body['host'], body.get('vms', []))
            if route == 'workload' and method == 'POST':
                return 200, world.vault(world.subscription_id, body['resource_group'], body['vault']).workload(body)
            if route == 'replication-error' and method == 'POST':
                return 200, world.vault(world.subscription_id, body['resource_group'], body['vault']).replication_error(body)
            if route == 'faults':
                return self._control_faults(method, body)
            if route == 'requests':
                if method == 'DELETE':
                    self.server.requests.clear()
                return 200, list(self.server.requests)
            if route == 'state':
                return 200, world.snapshot()
        return 404, {'error': 'no control route %s %s' % (method, route)}

    def _control_faults(self, method: str, body: dict) -> typing.Tuple[int, typing.Any]:
        world = self.server.world
        if method == 'DELETE':
            self.server.faults.http.clear()
            for vault in world.vaults.values():
                vault.job_failures.clear()
            return 200, {'ok': True}
        if method == 'POST' and body.get('kind') == 'job_failure':
            vault = world.vault(world.subscription_id, body['resource_group'], body['vault'])
            for _unused in range(int(body.get('count', 1))):
                vault.job_failures.append(AzureError(400, body.get('code', 'InternalError'), body.get('message', 'The job failed (injected by the lab).')))
            return 200, {'ok': True}
        if method == 'POST':
            self.server.faults.add(body)
        return 200, self.server.faults.pending()


class ArmRoutes:
    """Site Recovery routes under one vault; returns (status, body) or an Operation to answer with 202."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def route(self, method: str, parts: list, body: dict) -> typing.Any:  # pylint: disable=too-many-return-statements
        vault = self.vault
        head = parts[0].lower()
        if head == 'replicationoperationstatus' and len(parts) == 2:
            operation = vault.operation(parts[1])
            return 200, operation.status_document(), self._poll_again(operation)
        if head == 'replicationoperationresults' and len(parts) == 2:
            operation = vault.operation(parts[1])
            return self._operation_result(operation) + (self._poll_again(operation),)
        if head == 'replicationjobs':
            if len(parts) == 1:
                return 200, {'value': vault.jobs(), 'nextLink': None}
            if len(parts) == 3 and parts[2].lower() == 'resume' and method == 'POST':
                return vault.resume_job(parts[1], body)
            return 200, vault.operation(parts[1]).job
        if head == 'replicationpolicies':
            return self._policies(method, parts, body)
        if head in ('replicationnetworks', 'replicationnetworkmappings'):
            return vmm.route_vault(vault, method, parts)
        if head == 'replicationrecoveryplans':
            return plans.route(vault, method, parts, body)
        if head == 'replicationprotectioncontainers' and len(parts) == 1:
            return 200, {'value': vault.all_containers(), 'nextLink': None}
        if head == 'replicationfabrics':
            return self._fabrics(method, parts, body)
        raise not_found('Resource type', parts[0])

    def _poll_again(self, operation: typing.Any) -> dict:
        """ARM's status and result URLs carry Retry-After while the operation runs: clients wait that long, not their own default."""
        return {'Retry-After': self.vault.settings['poll_seconds']} if operation.status == 'InProgress' else {}

    @staticmethod
    def _operation_result(operation: typing.Any) -> typing.Tuple[int, typing.Any]:
        if operation.status == 'InProgress':
            return 202, None
        if operation.status == 'Failed':
            return operation.error.status, operation.error.body()
        if operation.result is None:
            return 204, None
        return 200, public(operation.result) if isinstance(operation.result, dict) else operation.result

    def _policies(self, method: str, parts: list, body: dict) -> typing.Any:
        vault = self.vault
        if len(parts) == 1 and method == 'GET':
            return 200, {'value': list(vault.policies.values()), 'nextLink': None}
        if len(parts) != 2:
            raise not_found('Resource', '/'.join(parts))
        name = parts[1]
        if method == 'GET':
            return 200, vault.policy(name)
        if method == 'PUT':
            return vault.create_policy(name, body)
        if method == 'PATCH':
            return vault.update_policy(name, body)
        if method == 'DELETE':
            return vault.delete_policy(name)
        raise AzureError(405, 'MethodNotAllowed', method)

    def _fabrics(self, method: str, parts: list, body: dict) -> typing.Any:  # pylint: disable=too-many-return-statements
        vault = self.vault
        if len(parts) == 1 and method == 'GET':
            return 200, {'value': list(vault.fabrics.values()), 'nextLink': None}
        fabric = parts[1]
        if len(parts) == 2:
            if method == 'GET':
                return 200, vault.fabric(fabric)
            if method == 'PUT':
                return vault.create_fabric(fabric, body)
            if method == 'DELETE':
                return vault.delete_fabric(fabric)
            raise AzureError(405, 'MethodNotAllowed', method)
        if len(parts) == 3 and parts[2].lower() == 'remove' and method == 'POST':
            return vault.delete_fabric(fabric)
        if parts[2].lower() == 'replicationnetworks':
            return vmm.route_fabric(vault, method, fabric, parts[2:], body)
        if parts[2].lower() == 'replicationrecoveryservicesproviders':
            return providers.route(vault, method, fabric, parts[2:])
        if parts[2].lower() != 'replicationprotectioncontainers':
            raise not_found('Resource type', parts[2])
        if len(parts) == 3:
            return 200, {'value': vault.containers_of(fabric), 'nextLink': None}
        container = parts[3]
        if len(parts) == 4:
            return 200, vault.container(fabric, container)
        return self._container_children(method, fabric, container, parts[4:], body)

    def _container_children(self, method: str, fabric: str, container: str, parts: list,
                            body: dict) -> typing.Any:  # pylint: disable=too-many-return-statements
        vault = self.vault
        kind = parts[0].lower()
        if kind == 'replicationprotectableitems':
            items = vault.protectable_items(fabric, container)
            if len(parts) == 1:
                return 200, {'value': items, 'nextLink': None}
            return 200, _named(items, parts[1], 'Protectable item')
        if kind == 'replicationprotectioncontainermappings':
            if len(parts) == 1:
                return 200, {'value': list(vault.mappings_of(vault.container(fabric, container)).values()), 'nextLink': None}
            if len(parts) == 2 and method == 'GET':
                return 200, vault.mapping(fabric, container, parts[1])
            if len(parts) == 2 and method == 'PUT':
                return vmm.create_container_mapping(vault, fabric, container, parts[1], body)
            if (len(parts) == 2 and method == 'DELETE') or (len(parts) == 3 and parts[2].lower() == 'remove' and method == 'POST'):
                return vault.delete_mapping(fabric, container, parts[1])
        if kind == 'replicationprotecteditems':
            if len(parts) == 1:
                return 200, {'value': [public(i) for i in vault.protected_items(vault.container(fabric, container)).values()], 'nextLink': None}
            if len(parts) == 2 and method == 'GET':
                return 200, public(vault.protected_item(fabric, container, parts[1]))
            if len(parts) == 2 and method == 'PUT':
                return vault.enable_protection(fabric, container, parts[1], body)
            if len(parts) == 2 and method == 'PATCH':
                return update_protection(vault, vault.protected_item(fabric, container, parts[1]), body)
            if (len(parts) == 2 and method == 'DELETE') or (len(parts) == 3 and parts[2].lower() == 'remove' and method == 'POST'):
                return vault.disable_protection(fabric, container, parts[1])
            if len(parts) == 3 and method == 'POST':
                return vault.act(fabric, container, parts[1], parts[2], body)
            if len(parts) == 3 and parts[2].lower() == 'recoverypoints' and method == 'GET':
                return 200, {'value': vault.recovery_points(fabric, container, parts[1]), 'nextLink': None}
            if len(parts) == 4 and parts[2].lower() == 'recoverypoints' and method == 'GET':
                return 200, vault.recovery_point(fabric, container, parts[1], parts[3])
        raise bad_request('UnsupportedOperation', '%s %s is not supported by the fake Azure.' % (method, '/'.join(parts)))


def _named(items: list, name: str, kind: str) -> dict:
    for item in items:
        if item['name'].lower() == name.lower():
            return item
    raise not_found(kind, name)


class FakeAzure:
    """Start / stop the fake Azure in threads of the current process."""

    def __init__(self, world: AzureWorld, cert_path: str, key_path: str, address: str = '127.0.10.253', port: int = 8443) -> None:
        self.world = world
        self.server = FakeAzureServer((address, port), world, cert_path, key_path)
        self.thread = threading.Thread(target=self.server.serve_forever, name='fake-azure', daemon=True)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> 'FakeAzure':
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
