# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every Site Recovery module shares: its AnsibleModule, the logged-in client, waiting on Azure, and how results and failures are reported."""


import time
import traceback
from typing import Optional

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.ansible_module import AnsibleModule
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    CONNECTION_REQUIRED_IF, CONNECTION_REQUIRED_TOGETHER, MAX_WAIT_SECONDS, connection_argument_spec)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import ConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession, missing_library
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import VMM, arm_property, fabric_type, id_segment, resource_name
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import (
    AZURE_AUTH_ARGUMENT_SPEC, AZURE_IMPORT_ERROR, HAS_AZURE, VAULT_ARGUMENT_SPEC, WAIT_ARGUMENT_SPEC, AzureClientError, AzureTimeoutError,
    SiteRecoveryClient)

# Seconds between two reads of a resource's state while waiting for it (initial replication) when poll_interval is not set and Azure
# sends no Retry-After (long-running operations are polled by the SDK: POLLING_INTERVAL of azure_client).
STATE_POLL_SECONDS = 2


def asr_argument_spec(options, wait=True):
    spec = dict(AZURE_AUTH_ARGUMENT_SPEC)
    spec.update(VAULT_ARGUMENT_SPEC)
    if wait:
        spec.update(WAIT_ARGUMENT_SPEC)
    spec.update(options)
    return spec


def wait_problems(params):
    """What is wrong with the wait options: timeout and poll_interval are 1 second to a week (MAX_WAIT_SECONDS): Python's clock
    and sleep overflow on huge values, and longer is a typo."""
    return ['%s must be between 1 and %d seconds (a week), got %d' % (key, MAX_WAIT_SECONDS, params[key])
            for key in ('timeout', 'poll_interval') if params.get(key) is not None and not 1 <= params[key] <= MAX_WAIT_SECONDS]


def run_asr_module(options, resource_class, host_connection=False, **module_kwargs):
    """Build the module, log in, run resource_class(module, client).run() and exit with its result (or fail clearly).

    The wait options come with resource classes that wait (AsrResource.waits). host_connection: the module also works on the
    Hyper-V host (the hyperv_* options; resource.host_session()).
    """
    spec = asr_argument_spec(options, resource_class.waits)
    if host_connection:
        spec = connection_argument_spec(spec)
        module_kwargs['required_together'] = CONNECTION_REQUIRED_TOGETHER + list(module_kwargs.get('required_together') or [])
        module_kwargs['required_if'] = CONNECTION_REQUIRED_IF + list(module_kwargs.get('required_if') or [])
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
    missing = missing_library(module.params['hyperv_transport']) if host_connection else None
    if missing:
        module.fail_json(msg=missing_required_lib(missing[0]), exception=missing[1])
    if not HAS_AZURE:
        module.fail_json(msg=missing_required_lib('azure-identity, azure-mgmt-recoveryservices and azure-mgmt-recoveryservicessiterecovery'),
                         exception=AZURE_IMPORT_ERROR)
    problems = wait_problems(module.params) if resource_class.waits else []
    if host_connection:
        problems += ConnectionOptions.from_params(module.params).problems('hyperv_')
    if problems:  # before Azure and the host are contacted: a bad number must never surface as a Python error mid-run
        module.fail_json(msg='; '.join(problems))
    resource = resource_class(module, None)
    resource.validate()
    try:
        resource.client = SiteRecoveryClient(module.params)
        result = resource.run()
    except AzureClientError as error:
        module.fail_json(msg=error.message, error_kind=error.kind, error_code=error.code)
    except Exception as error:  # pylint: disable=broad-except  # an unexpected failure still says which vault
        module.fail_json(msg='unexpected error in vault %s: %s' % (module.params['vault_name'], error), exception=traceback.format_exc())
    finally:
        resource.close()
    module.exit_json(**result)


class Operation(object):  # pylint: disable=too-few-public-methods
    """One long-running ARM operation: what it does (named in messages), the SDK's begin_* method, its arguments after the resource
    group and the vault, and how to make the module's view of the document Azure returns (None: nothing to read, e.g. a delete).

    arguments may be a function returning them, called when the operation starts: an operation of a list that needs what the one
    before made (the network adapters of a VM protection was just enabled for). watch (SiteRecoveryClient.run_operation) waits
    for what the step needs instead of the operation's end and returns the document to view.
    """

    def __init__(self, action, begin, arguments, view=None, watch=None):  # pylint: disable=too-many-arguments
        self.action = action
        self.begin = begin
        self.arguments = arguments if callable(arguments) else tuple(arguments)
        self.view = view
        self.watch = watch

    def start_arguments(self):
        return tuple(self.arguments()) if callable(self.arguments) else self.arguments


class AsrResource(object):
    """One Site Recovery resource's desired-state logic: read, compare with what the options ask for, one operation to converge.

    A module's subclass sets ``key`` (its result key) and implements:

        validate()                  option checks before any network call (optional)
        read()                      the resource as the module returns it ({} when absent); sets self.subject ('policy p1')
        desired(before)             what the options ask for, in the same shape; ``before`` itself when nothing is to change
        operation(before, after)    the Operation that turns before into after (built only outside check mode), or a list of
                                    Operations that run one after the other
        settle(view)                waits for more than the operation where the module offers that (optional)
        also_returned()             result keys besides ``key`` (optional)

    run() reads once and reports changed=false when desired(before) is before; otherwise apply() runs the operation (unless in
    check mode) and changed() makes the result: the view under ``key``, operation_done and the diff.
    """

    key: Optional[str] = None
    waits = True  # the module takes the wait options (azure.wait doc fragment)

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.subject = None
        self._host_session = None

    def host_session(self):
        """The session to the module's Hyper-V host (modules run with host_connection=True), opened on first use."""
        if self._host_session is None:
            self._host_session = HostSession(ConnectionOptions.from_params(self.params))
        return self._host_session

    def close(self):
        if self._host_session is not None:
            self._host_session.close()
            self._host_session = None

    def validate(self):
        """Check option combinations before any network call (fail_json names the option and the accepted values)."""

    def read(self):
        """The resource as the module returns it ({} when it does not exist); sets self.subject for messages and the diff."""
        raise NotImplementedError

    def desired(self, before):
        """The resource as the options want it ({} for absent); before itself when it already is so."""
        raise NotImplementedError

    def operation(self, before, after):
        """The Operation that turns before into after."""
        raise NotImplementedError

    def settle(self, view):
        """The resource once Azure has finished the change (or nothing had to change), outside check mode; by default view itself."""
        return view

    def also_returned(self):
        """Result keys besides ``key``, known after the step (e.g. the recovery plan a plan's failover ran on); none by default."""
        return {}

    def run(self):
        self.client.check_vault()
        before = self.read()
        after = self.desired(before)
        if after == before:
            result = {'changed': False, self.key: before if self.module.check_mode else self.settle(before)}
        else:
            after, done = self.apply(before, after)
            if done:
                after = self.settle(after)
            result = self.changed(self.key, before, after, done, self.subject)
        return dict(result, **self.also_returned())

    def apply(self, before, after):
        """Unless in check mode, run the operation from before to after: (after, as Azure returned it when it did; whether Azure finished).

        In check mode the operation is not even built (building it may read more, e.g. a test network of a VMM failover). Of a
        list of operations each starts once the one before has finished; one Azure has not finished (wait=false) ends the step
        there, unfinished, and the next run goes on from what the resource then is.
        """
        if self.module.check_mode:
            return after, False
        planned = self.operation(before, after)
        for operation in planned if isinstance(planned, list) else [planned]:
            result, done = self.client.run_operation(operation.action, operation.begin, *operation.start_arguments(), watch=operation.watch)
            if not done:
                return after, False
            if result and operation.view:
                after = operation.view(result)
        return after, True

    def fail(self, message, **extra):
        self.module.fail_json(msg=message, **extra)

    @staticmethod
    def diff(before, after, header):
        return dict(before=before or {}, after=after or {}, before_header=header, after_header=header)

    def changed(self, key, before, after, done, header):
        """The result of a step that changed (or, in check mode, would change) the resource: key=after, operation_done and the diff."""
        return {'changed': True, key: after, 'operation_done': done, 'diff': self.diff(before, after, header)}

    def poll_until(self, what, read, finished, progress=None, sleep=time.sleep, clock=time.time):
        """Call read() -> (value, retry_after or None) until finished(value), within the timeout option; return the last value.

        Between reads it waits what the service's Retry-After asks, else poll_interval (default STATE_POLL_SECONDS), never past the
        deadline. Out of time: AzureTimeoutError naming what (and progress(value) when given); the work goes on in Azure.
        """
        timeout = self.params['timeout']
        interval = self.params.get('poll_interval') or STATE_POLL_SECONDS
        deadline = clock() + timeout
        while True:
            value, retry_after = read()
            if finished(value):
                return value
            remaining = deadline - clock()
            if remaining <= 0:
                raise AzureTimeoutError('%s not finished after %d seconds%s; it goes on in Azure.' % (
                    what, timeout, ' (%s)' % progress(value) if progress else ''))
            sleep(min(interval if retry_after is None else retry_after, remaining))

    def fabric(self, site, option='site'):
        """A fabric by name, or by friendly name: Site Recovery names a VMM server's fabric itself, its friendly name is the server's name."""
        client = self.client
        fabric = client.get_or_none('site %s' % site, client.asr.replication_fabrics.get, site)
        if fabric is None:
            fabrics = client.list('sites', client.asr.replication_fabrics.list)
            fabric = next((f for f in fabrics if (arm_property(f, 'friendlyName') or '').lower() == site.lower()), None)
        if fabric is None:
            raise AzureClientError("%s: Hyper-V site or VMM server '%s' does not exist in vault %s (create a Hyper-V site with "
                                   "hyperv.mobility.asr_hyperv_site; a VMM server appears when it registers with the vault)." % (
                                       option, site, client.vault_name), kind='not_found')
        return fabric

    def site_container(self, site, fabric=None):
        """The protection container of a Hyper-V site; it appears when the first Hyper-V host registers with the site."""
        client = self.client
        fabric = fabric or self.fabric(site)
        containers = client.list('protection containers of site %s' % site, client.asr.replication_protection_containers.list_by_replication_fabrics,
                                 fabric['name'])
        if not containers:
            raise AzureClientError("Hyper-V site '%s' has no protection container yet: register a Hyper-V host with the site first "
                                   "(hyperv.mobility.asr_host_registration)." % site, kind='not_found')
        return fabric, containers[0]

    def protection_container(self, site, cloud=None):
        """(fabric, protection container) of a Hyper-V site, or of the VMM cloud `cloud` when site is a VMM server (by name or server name)."""
        fabric = self.fabric(site)
        if fabric_type(fabric) == VMM:
            return fabric, self.cloud_container(fabric, cloud)
        if cloud:
            raise AzureClientError("cloud applies to VMM servers only; site '%s' is a %s" % (site, fabric_type(fabric)), kind='bad_request')
        return self.site_container(site, fabric)

    def cloud_container(self, fabric, cloud, option='cloud'):
        """The protection container of a VMM cloud, by the cloud's name (friendly name) or the container's name."""
        client = self.client
        containers = client.list('clouds of %s' % fabric['name'], client.asr.replication_protection_containers.list_by_replication_fabrics,
                                 fabric['name'])
        if not cloud:
            raise AzureClientError("%s is required: '%s' is a VMM server; give one of its clouds: %s" % (option, fabric['name'], shown_names(containers)),
                                   kind='bad_request')
        container = by_either_name(containers, cloud)
        if container is None:
            raise AzureClientError("%s: '%s' is not a cloud of VMM server '%s' (clouds: %s)" % (option, cloud, fabric['name'], shown_names(containers)),
                                   kind='not_found')
        return container

    def protected_item_by_id(self, item_id):
        """A protected item by its ARM id (fabric, container and name read from it), or None when Azure answers 404."""
        client = self.client
        fabric, container = id_segment(item_id, 'replicationFabrics'), id_segment(item_id, 'replicationProtectionContainers')
        return client.get_or_none('protected VM %s' % resource_name(item_id), client.asr.replication_protected_items.get, fabric, container,
                                  resource_name(item_id))

    def protected_items_of(self, fabric):
        """Every protected item of a Hyper-V site or a VMM server (all its clouds)."""
        client = self.client
        containers = client.list('protection containers of %s' % fabric['name'], client.asr.replication_protection_containers.list_by_replication_fabrics,
                                 fabric['name'])
        items = []
        listing = client.asr.replication_protected_items.list_by_replication_protection_containers
        for container in containers:
            items.extend(client.list('protected VMs of %s' % container['name'], listing, fabric['name'], container['name']))
        return items

    def vm_network(self, fabric, network, option):
        """A VM network of a VMM fabric by its VMM name (friendly name) or Site Recovery name."""
        client = self.client
        networks = client.list('VM networks of %s' % fabric['name'], client.asr.replication_networks.list_by_replication_fabrics, fabric['name'])
        candidate = by_either_name(networks, network)
        if candidate is None:
            raise AzureClientError("%s: VM network '%s' is not a network of VMM server '%s' (VM networks: %s)" % (
                option, network, fabric['name'], shown_names(networks)), kind='not_found')
        return candidate


class AsrInfo(AsrResource):
    """An _info module: read() is the result under ``key``; nothing changes, nothing is waited for."""

    waits = False

    def run(self):
        self.client.check_vault()
        return {'changed': False, self.key: self.read()}


def by_either_name(documents, wanted):
    """The first document whose name or friendly name (what VMM calls it) is wanted, ignoring case; None when there is none."""
    wanted = wanted.lower()
    return next((document for document in documents if wanted in (document['name'].lower(), (arm_property(document, 'friendlyName') or '').lower())),
                None)


def shown_names(documents):
    """'a, b' of the documents' friendly names (their names where they have none), for messages; 'none' for no documents."""
    return ', '.join(sorted(arm_property(document, 'friendlyName') or document['name'] for document in documents)) or 'none'
