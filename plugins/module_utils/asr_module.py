# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every Site Recovery module shares: its AnsibleModule, the logged-in client, and how failures are reported."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hyperv.mobility.plugins.module_utils.azure_client import (
    AZURE_AUTH_ARGUMENT_SPEC, AZURE_IMPORT_ERROR, HAS_AZURE, VAULT_ARGUMENT_SPEC, WAIT_ARGUMENT_SPEC, AzureClientError, SiteRecoveryClient)


def asr_argument_spec(options, wait=True):
    spec = dict(AZURE_AUTH_ARGUMENT_SPEC)
    spec.update(VAULT_ARGUMENT_SPEC)
    if wait:
        spec.update(WAIT_ARGUMENT_SPEC)
    spec.update(options)
    return spec


def run_asr_module(options, resource_class, wait=True, **module_kwargs):
    """Build the module, log in, run resource_class(module, client).run() and exit with its result (or fail clearly)."""
    module = AnsibleModule(argument_spec=asr_argument_spec(options, wait), supports_check_mode=True, **module_kwargs)
    if not HAS_AZURE:
        module.fail_json(msg=missing_required_lib('azure-identity, azure-mgmt-recoveryservices and azure-mgmt-recoveryservicessiterecovery'),
                         exception=AZURE_IMPORT_ERROR)
    resource = resource_class(module, None)
    resource.validate()
    try:
        resource.client = SiteRecoveryClient(module.params)
        result = resource.run()
    except AzureClientError as error:
        module.fail_json(msg=error.message, error_kind=error.kind, error_code=error.code)
    except Exception as error:  # pylint: disable=broad-except  # an unexpected failure still says which vault
        module.fail_json(msg='unexpected error in vault %s: %s' % (module.params['vault_name'], error), exception=traceback.format_exc())
    module.exit_json(**result)


class AsrResource(object):
    """Base of one module's desired-state logic; subclasses implement validate() (no I/O) and run()."""

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params

    def validate(self):
        """Check option combinations before any network call (fail_json names the option and the accepted values)."""

    def run(self):
        raise NotImplementedError

    def fail(self, message, **extra):
        self.module.fail_json(msg=message, **extra)

    @staticmethod
    def diff(before, after, header):
        return dict(before=before or {}, after=after or {}, before_header=header, after_header=header)

    def site_container(self, site):
        """The protection container of a Hyper-V site; it appears when the first Hyper-V host registers with the site."""
        client = self.client
        fabric = client.get_or_none('site %s' % site, client.asr.replication_fabrics.get, site)
        if fabric is None:
            raise AzureClientError("Hyper-V site '%s' does not exist in vault %s (create it with hyperv.mobility.asr_hyperv_site)." % (
                site, client.vault_name), kind='not_found')
        containers = client.list('protection containers of site %s' % site, client.asr.replication_protection_containers.list_by_replication_fabrics, site)
        if not containers:
            raise AzureClientError("Hyper-V site '%s' has no protection container yet: register a Hyper-V host with the site first "
                                   "(hyperv.mobility.asr_host_registration)." % site, kind='not_found')
        return fabric, containers[0]
