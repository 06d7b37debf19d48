# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Azure client of the Site Recovery modules: login, cloud endpoints, retries and long-running operations.

Login follows azure.azcollection's conventions (doc fragment hyperv.mobility.azure): ``auth_source`` auto / env /
credential_file / cli / msi, a service principal from the options, from AZURE_* environment variables or from a
``[profile]`` of ``~/.azure/credentials``. ``cloud_environment`` names a public cloud or is the metadata URL of another
one (sovereign clouds, Azure Stack Hub): its ``/metadata/endpoints`` document gives the resource manager, the login
endpoint and the token audience.

Failures are classified as the Site Recovery architecture classifies replication errors:
- fatal (authentication, authorization, not found, bad request, conflict) are reported at once, never retried;
- transient (429 throttling with Retry-After, 408, 5xx, connection errors) are retried by azure-core's RetryPolicy
  with exponential backoff, honouring Retry-After; when the retries run out the last answer is reported.
Long-running operations (202 + Azure-AsyncOperation / Location) are polled by ARMPolling until done, or for at most
``timeout`` seconds, or not at all with ``wait: false``.
"""


import email.utils
import os
import re
import time
import traceback
from urllib.parse import urlsplit

from configparser import ConfigParser

try:
    import requests
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceNotFoundError, ServiceRequestError,
                                       ServiceResponseError)
    from azure.core.pipeline.transport import RequestsTransport
    from azure.identity import AzureCliCredential, ClientSecretCredential, CredentialUnavailableError, ManagedIdentityCredential
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
    HAS_AZURE = True
    AZURE_IMPORT_ERROR = None
except ImportError:
    HAS_AZURE = False
    AZURE_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.basic import env_fallback

# Public clouds by the names azure.azcollection (and the Azure CLI) use.
KNOWN_CLOUDS = {
    'AzureCloud': {'resource_manager': 'https://management.azure.com/', 'authority': 'https://login.microsoftonline.com/',
                   'audience': 'https://management.core.windows.net/'},
    'AzureChinaCloud': {'resource_manager': 'https://management.chinacloudapi.cn/', 'authority': 'https://login.chinacloudapi.cn/',
                        'audience': 'https://management.core.chinacloudapi.cn/'},
    'AzureUSGovernment': {'resource_manager': 'https://management.usgovcloudapi.net/', 'authority': 'https://login.microsoftonline.us/',
                          'audience': 'https://management.core.usgovcloudapi.net/'},
}
METADATA_API_VERSION = '2022-09-01'
# Transient answers are retried this often (azure-core RetryPolicy), with exponential backoff or the server's Retry-After.
RETRY_TOTAL = 6
RETRY_BACKOFF_FACTOR = 0.5
RETRY_BACKOFF_MAX = 60
# Seconds between polls of a long-running operation when the service sends no Retry-After.
POLLING_INTERVAL = 10

AZURE_AUTH_ARGUMENT_SPEC = dict(
    auth_source=dict(type='str', choices=['auto', 'cli', 'env', 'credential_file', 'msi'], fallback=(env_fallback, ['ANSIBLE_AZURE_AUTH_SOURCE']),
                     default='auto'),
    profile=dict(type='str', fallback=(env_fallback, ['AZURE_PROFILE'])),
    subscription_id=dict(type='str', fallback=(env_fallback, ['AZURE_SUBSCRIPTION_ID'])),
    client_id=dict(type='str', fallback=(env_fallback, ['AZURE_CLIENT_ID'])),
    secret=dict(type='str', no_log=True, fallback=(env_fallback, ['AZURE_SECRET'])),
    tenant=dict(type='str', fallback=(env_fallback, ['AZURE_TENANT'])),
    cloud_environment=dict(type='str', default='AzureCloud', fallback=(env_fallback, ['AZURE_CLOUD_ENVIRONMENT'])),
    adfs_authority_url=dict(type='str', fallback=(env_fallback, ['AZURE_ADFS_AUTHORITY_URL'])),
    disable_instance_discovery=dict(type='bool', fallback=(env_fallback, ['AZURE_DISABLE_INSTANCE_DISCOVERY'])),
    cert_validation_mode=dict(type='str', choices=['validate', 'ignore'], default='validate', fallback=(env_fallback, ['AZURE_CERT_VALIDATION_MODE'])),
)

VAULT_ARGUMENT_SPEC = dict(
    resource_group=dict(type='str', required=True),
    vault_name=dict(type='str', required=True),
)

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type='bool', default=True),
    timeout=dict(type='int', default=1800),
    poll_interval=dict(type='int'),
)

# Environment variables per option when auth_source=env (or auto without options), as azure.azcollection reads them.
ENV_NAMES = {'subscription_id': 'AZURE_SUBSCRIPTION_ID', 'client_id': 'AZURE_CLIENT_ID', 'secret': 'AZURE_SECRET', 'tenant': 'AZURE_TENANT',
             'cloud_environment': 'AZURE_CLOUD_ENVIRONMENT', 'adfs_authority_url': 'AZURE_ADFS_AUTHORITY_URL'}
CREDENTIAL_KEYS = ('subscription_id', 'client_id', 'secret', 'tenant', 'cloud_environment', 'adfs_authority_url', 'cert_validation_mode')


TENANT = re.compile(r'^[A-Za-z0-9.-]+$')


def check_authority_url(url):
    """adfs_authority_url as azure-identity takes it - an https URL, or a host and path it prefixes with https:// - with a host;
    AzureClientError naming the option otherwise (azure-identity raised a bare ValueError, or failed only when connecting)."""
    try:
        parts = urlsplit(url)
        parts = parts if parts.scheme else urlsplit('https://' + url.strip())
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme != 'https' or not host:
        raise AzureClientError('adfs_authority_url must be the https URL of the AD FS authority, such as https://adfs.corp.example.com/adfs; '
                               'got %r' % url, kind='bad_request')


class AzureClientError(Exception):
    """A failure the module reports as is; ``kind`` says which class it belongs to (auth, not_found, bad_request, ...)."""

    def __init__(self, message, kind='error', code=None, status=None):
        super(AzureClientError, self).__init__(message)
        self.message = message
        self.kind = kind
        self.code = code
        self.status = status


class AzureTimeoutError(AzureClientError):
    """A long-running operation did not finish within ``timeout``; it goes on in Azure."""

    def __init__(self, message):
        super(AzureTimeoutError, self).__init__(message, kind='timeout')


def credential_file_path():
    return os.path.join(os.environ.get('AZURE_CONFIG_DIR') or os.path.expanduser('~/.azure'), 'credentials')


def read_credential_file(profile, path=None):
    """The [profile] section of ~/.azure/credentials (azure.azcollection's format) as a dict."""
    path = path or credential_file_path()
    if not os.path.isfile(path):
        raise AzureClientError('auth_source=credential_file: the credentials file %s does not exist. Create it with a [%s] section '
                               '(subscription_id, client_id, secret, tenant) or choose another auth_source.' % (path, profile or 'default'), kind='auth')
    parser = ConfigParser()
    parser.read(path)
    section = profile or 'default'
    if not parser.has_section(section):
        raise AzureClientError('profile [%s] is not in the credentials file %s (sections: %s).' % (section, path, ', '.join(parser.sections()) or 'none'),
                               kind='auth')
    return dict((key, parser.get(section, key)) for key in CREDENTIAL_KEYS if parser.has_option(section, key))


class AuthSettings(object):
    """Where the login comes from, resolved from module parameters, the environment or the credentials file."""

    def __init__(self, values, source):
        self.values = values
        self.source = source

    def __getitem__(self, key):
        return self.values.get(key)

    @classmethod
    def resolve(cls, params, environ=None):
        environ = os.environ if environ is None else environ
        source = params.get('auth_source') or 'auto'
        if source in ('cli', 'msi'):
            return cls(dict(params), source)
        if source == 'credential_file' or (source == 'auto' and params.get('profile')):
            values = dict(params)
            values.update(read_credential_file(params.get('profile')))
            return cls(values, 'credential_file')
        if source == 'env':
            values = dict(params)
            values.update(dict((key, environ[name]) for key, name in ENV_NAMES.items() if environ.get(name)))
            return cls(values, 'env')
        # auto: the options (AZURE_* env vars already filled them through fallbacks), else the default profile of the file.
        if params.get('client_id') or params.get('secret') or params.get('tenant'):
            return cls(dict(params), 'options')
        if os.path.isfile(credential_file_path()):
            values = dict(params)
            values.update(read_credential_file(None))
            return cls(values, 'credential_file')
        raise AzureClientError('no Azure credentials: set client_id, secret and tenant (or AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT), '
                               'a [default] profile in %s, or auth_source=cli / msi.' % credential_file_path(), kind='auth')


class CloudEndpoints(object):
    """The resource manager URL, the login authority and the token audience of one cloud."""

    def __init__(self, resource_manager, authority, audience, from_metadata=False):
        self.resource_manager = resource_manager.rstrip('/')
        self.authority = authority.rstrip('/')
        self.audience = audience
        self.from_metadata = from_metadata

    @property
    def scope(self):
        return self.audience.rstrip('/') + '/.default'

    @classmethod
    def for_cloud(cls, cloud_environment, verify=True):
        if cloud_environment in KNOWN_CLOUDS:
            known = KNOWN_CLOUDS[cloud_environment]
            return cls(known['resource_manager'], known['authority'], known['audience'])
        if not cloud_environment.lower().startswith('https://'):
            raise AzureClientError("cloud_environment '%s' is neither a known cloud (%s) nor an https:// metadata URL." % (
                cloud_environment, ', '.join(sorted(KNOWN_CLOUDS))), kind='bad_request')
        return cls.from_metadata_url(cloud_environment, verify)

    @classmethod
    def from_metadata_url(cls, url, verify=True):
        """Read <url>/metadata/endpoints: a list of clouds (current ARM) or the Azure Stack document (the URL is the ARM)."""
        base = url.rstrip('/')
        metadata_url = '%s/metadata/endpoints?api-version=%s' % (base, METADATA_API_VERSION)
        try:
            response = requests.get(metadata_url, timeout=30, verify=verify)
        except requests.RequestException as error:
            raise AzureClientError('cannot read the cloud metadata %s: %s' % (metadata_url, error), kind='connection')
        if response.status_code != 200:
            raise AzureClientError('cloud metadata %s answered HTTP %s' % (metadata_url, response.status_code), kind='connection')
        document = response.json()
        if isinstance(document, list):
            matching = [cloud for cloud in document if (cloud.get('resourceManager') or '').rstrip('/') == base] or document
            cloud = matching[0]
            authentication = cloud.get('authentication') or {}
            return cls(cloud.get('resourceManager') or base, authentication['loginEndpoint'], authentication['audiences'][0], from_metadata=True)
        authentication = document.get('authentication') or {}
        return cls(base, authentication['loginEndpoint'], authentication['audiences'][0], from_metadata=True)


def classify(error, action):
    """An AzureClientError for an azure-core / azure-identity exception, with a message naming what failed."""
    if isinstance(error, AzureClientError):
        return error
    if isinstance(error, (ClientAuthenticationError, CredentialUnavailableError)):
        return AzureClientError('%s: Azure authentication failed: %s' % (action, _first_line(error)), kind='auth')
    if isinstance(error, ResourceNotFoundError):
        return AzureClientError('%s: not found: %s' % (action, _arm_message(error)), kind='not_found', code=_arm_code(error), status=404)
    if isinstance(error, HttpResponseError):
        status = error.status_code
        kind = {400: 'bad_request', 401: 'auth', 403: 'auth', 409: 'conflict', 429: 'throttled'}.get(status, 'service' if status else 'failed')
        retried = ' (still failing after %d retries)' % RETRY_TOTAL if kind in ('throttled', 'service') and status else ''
        return AzureClientError('%s: Azure answered %s%s: %s' % (action, status or 'a failed operation', retried, _arm_message(error)),
                                kind=kind, code=_arm_code(error), status=status)
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return AzureClientError('%s: cannot reach Azure (after %d retries): %s' % (action, RETRY_TOTAL, _first_line(error)), kind='connection')
    return AzureClientError('%s: %s' % (action, error), kind='failed')


def _first_line(error):
    text = str(getattr(error, 'message', None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def _arm_code(error):
    details = getattr(error, 'error', None)
    return getattr(details, 'code', None)


def _arm_message(error):
    details = getattr(error, 'error', None)
    if details is not None and getattr(details, 'message', None):
        return '%s (%s)' % (details.message, details.code)
    return _first_line(error)


class SiteRecoveryClient(object):
    """A logged-in SiteRecoveryManagementClient for one vault, with the LRO wait the modules share."""

    def __init__(self, params):
        self.params = params
        self.resource_group = params['resource_group']
        self.vault_name = params['vault_name']
        self.wait = params.get('wait', True)
        self.timeout = params.get('timeout', 1800)
        settings = AuthSettings.resolve(params)
        verify = (settings['cert_validation_mode'] or 'validate') != 'ignore'
        self.endpoints = CloudEndpoints.for_cloud(settings['cloud_environment'] or 'AzureCloud', verify)
        self.subscription_id = settings['subscription_id']
        if not self.subscription_id:
            raise AzureClientError('subscription_id is required (option, AZURE_SUBSCRIPTION_ID or the credentials file profile).', kind='bad_request')
        self.credential = self._credential(settings, verify)
        # The SDK's poller waits what the service's Retry-After says; polling_interval only when an answer has none.
        client_options = dict(base_url=self.endpoints.resource_manager, credential_scopes=[self.endpoints.scope],
                              polling_interval=params.get('poll_interval') or POLLING_INTERVAL,
                              retry_total=RETRY_TOTAL, retry_status=RETRY_TOTAL, retry_backoff_factor=RETRY_BACKOFF_FACTOR,
                              retry_backoff_max=RETRY_BACKOFF_MAX, transport=RequestsTransport(connection_verify=verify))
        self.asr = SiteRecoveryManagementClient(self.credential, self.subscription_id, **client_options)
        self.vaults = RecoveryServicesClient(self.credential, self.subscription_id, **client_options)

    def _credential(self, settings, verify):
        transport = RequestsTransport(connection_verify=verify)
        if settings['tenant'] and not TENANT.match(settings['tenant']):
            # azure-identity refuses any other character with a bare ValueError.
            raise AzureClientError("tenant must be a tenant id (a GUID) or a domain name (letters, digits, '-' and '.'); got %r"
                                   % settings['tenant'], kind='bad_request')
        if settings.source == 'cli':
            return AzureCliCredential(tenant_id=settings['tenant'])
        if settings.source == 'msi':
            return ManagedIdentityCredential(client_id=settings['client_id'], transport=transport)
        missing = [name for name in ('client_id', 'secret', 'tenant') if not settings[name]]
        if settings['adfs_authority_url']:
            missing = [name for name in missing if name != 'tenant']
        if missing:
            raise AzureClientError('incomplete service principal (auth_source=%s): missing %s.' % (settings.source, ', '.join(missing)), kind='auth')
        if settings['adfs_authority_url']:
            check_authority_url(settings['adfs_authority_url'])
        authority = settings['adfs_authority_url'] or self.endpoints.authority
        tenant = 'adfs' if settings['adfs_authority_url'] else settings['tenant']
        discovery_off = settings['disable_instance_discovery']
        if discovery_off is None:
            # An authority read from the cloud's own metadata (or ADFS) is not known to the public cloud's instance discovery.
            discovery_off = self.endpoints.from_metadata or bool(settings['adfs_authority_url'])
        return ClientSecretCredential(tenant, settings['client_id'], settings['secret'], authority=authority,
                                      disable_instance_discovery=bool(discovery_off), transport=transport)

    # ------------------------------------------------------------------ calls

    def call(self, action, function, *args, **kwargs):
        """function(*args) with errors classified; ResourceNotFoundError is raised as kind 'not_found'."""
        try:
            return function(*args, **kwargs)
        except Exception as error:  # pylint: disable=broad-except  # every SDK error is classified, none escapes unexplained
            raise classify(error, action)

    def get_or_none(self, action, function, *args):
        """The resource as a REST dict, or None when Azure answers 404 (the vault itself must exist: checked first)."""
        try:
            return as_dict(function(self.resource_group, self.vault_name, *args))
        except ResourceNotFoundError:
            return None
        except Exception as error:  # pylint: disable=broad-except
            raise classify(error, action)

    def get_with_retry_after(self, action, function, *args):
        """function(resource_group, vault, *args) as a REST dict, and the seconds the answer's Retry-After asks for (None without one)."""
        def keep_retry_after(pipeline_response, deserialized, _response_headers):
            return deserialized, retry_after_seconds(pipeline_response.http_response.headers)
        model, delay = self.call(action, function, self.resource_group, self.vault_name, *args, cls=keep_retry_after)
        return as_dict(model), delay

    def check_vault(self):
        """Fail with a clear message when the vault (or its resource group / the subscription) does not exist."""
        self.call('vault %s in resource group %s' % (self.vault_name, self.resource_group), self.vaults.vaults.get, self.resource_group, self.vault_name)

    def list(self, action, function, *args):
        return [as_dict(item) for item in self.call(action, lambda: list(function(self.resource_group, self.vault_name, *args)))]

    def run_operation(self, action, begin, *args, **kwargs):
        """Start a long-running operation and wait for it (unless wait=false); returns (result dict or None, done).

        watch: a function that waits for what the task needs instead of the operation's end, and returns the result (an operation
        whose job waits for the user, as a failback from Azure optimized for downtime does, ends only once it is resumed).
        """
        watch = kwargs.pop('watch', None)
        poller = self.call(action, begin, self.resource_group, self.vault_name, *args, **kwargs)
        if not self.wait:
            return None, False
        if watch is not None:
            return watch(), True
        try:
            poller.wait(timeout=self.timeout)
        except Exception as error:  # pylint: disable=broad-except
            raise classify(error, action)
        if not poller.done():
            raise AzureTimeoutError('%s: not finished after %d seconds (timeout); the operation goes on in Azure, see the vault\'s Site Recovery '
                                    'jobs, and rerun the task to converge.' % (action, self.timeout))
        return as_dict(self.call(action, poller.result)), True


def retry_after_seconds(headers, now=None):
    """Seconds asked by retry-after-ms / x-ms-retry-after-ms / Retry-After (seconds or an HTTP date), or None."""
    for name, scale in (('retry-after-ms', 0.001), ('x-ms-retry-after-ms', 0.001), ('retry-after', 1)):
        value = headers.get(name)
        if value is None or not str(value).strip():
            continue
        try:
            return max(float(value) * scale, 0.0)
        except ValueError:
            pass
        try:
            moment = email.utils.parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            continue
        if moment is not None:
            return max(moment.timestamp() - (time.time() if now is None else now), 0.0)
    return None


def as_dict(model):
    """A REST-shaped dict of an SDK model (the SDK's models are MutableMappings over the JSON)."""
    if model is None:
        return None
    if hasattr(model, 'as_dict'):
        return model.as_dict()
    return dict(model)
