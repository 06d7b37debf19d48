# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Base class of the host modules: connection options, the host session, error translation, check mode and diff.

A module then holds only its resource logic:

    class MigrationSettings(HostResource):
        def read_commands(self):            return [Command('Get-VMHost')]
        def current_state(self, result):    return {...}            # from the read pipeline
        def desired_state(self, before):    return {...}            # before + the module's options
        def apply_commands(self, before, after):  return [Command('Set-VMHost', {...})]

    def main():
        module = HypervModule(argument_spec=dict(...), supports_check_mode=True)
        module.run_resource(MigrationSettings(module.params))

run_resource costs one pipeline when nothing changes and two when something does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import os

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.parameters import AnsibleFallbackNotFound

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.ansible_module import AnsibleModule

from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import (
    HostCommandError,
    HostConnectionError,
    HostError,
    OutcomeUnknownError,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import AUTH_METHODS, ConnectionOptions, PROTOCOLS, TRANSPORTS
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession, missing_library


def set_env_fallback(*names):
    """The first of the environment variables ``names`` that holds a value; an empty one counts as not set.

    The lowest source of a connection option: below the task, module_defaults and the inventory vars the action plugin fills.
    AWX's custom credentials inject their env vars whether or not the input was given (an absent one renders empty), so an
    empty value must leave the option to its default rather than set it to ''.
    """
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    raise AnsibleFallbackNotFound


# Mirrors plugins/doc_fragments/connection.py (the action plugin fills these from inventory vars; HYPERV_* env vars come last).
CONNECTION_ARGUMENT_SPEC = dict(
    hyperv_host=dict(type='str', required=True),
    hyperv_port=dict(type='int'),
    hyperv_user=dict(type='str', fallback=(set_env_fallback, ['HYPERV_USER'])),
    hyperv_password=dict(type='str', no_log=True, fallback=(set_env_fallback, ['HYPERV_PASSWORD'])),
    hyperv_transport=dict(type='str', choices=list(TRANSPORTS), default='psrp'),
    hyperv_auth=dict(type='str', choices=list(AUTH_METHODS), default='negotiate', fallback=(set_env_fallback, ['HYPERV_AUTH'])),
    hyperv_protocol=dict(type='str', choices=list(PROTOCOLS)),
    hyperv_validate_certs=dict(type='bool', default=True, fallback=(set_env_fallback, ['HYPERV_VALIDATE_CERTS'])),
    hyperv_ca_cert=dict(type='path', fallback=(set_env_fallback, ['HYPERV_CA_CERT'])),
    hyperv_cert_pem=dict(type='path', fallback=(set_env_fallback, ['HYPERV_CERT_PEM'])),
    hyperv_cert_key_pem=dict(type='path', no_log=False, fallback=(set_env_fallback, ['HYPERV_CERT_KEY_PEM'])),
    hyperv_connection_timeout=dict(type='int', default=30),
    hyperv_operation_timeout=dict(type='int', default=20),
    hyperv_read_timeout=dict(type='int', default=30),
    hyperv_retries=dict(type='int', default=3),
)

CONNECTION_REQUIRED_TOGETHER = [['hyperv_cert_pem', 'hyperv_cert_key_pem']]
CONNECTION_REQUIRED_IF = [['hyperv_auth', 'certificate', ['hyperv_cert_pem', 'hyperv_cert_key_pem']]]


def connection_argument_spec(argument_spec=None):
    """The connection options merged with a module's own; a module may not redefine a hyperv_* option."""
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    for name, definition in (argument_spec or {}).items():
        if name in spec:
            raise ValueError('option %s is a connection option and cannot be redefined by a module' % name)
        spec[name] = definition
    return spec


def state_diff(before, after):
    """Names of the keys whose values differ between two state dicts (missing keys count as None)."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


class HostResource:
    """The resource logic of one host module. Subclasses implement the four methods below."""

    def __init__(self, params):
        self.params = params

    def read_commands(self):
        """Commands of the one read pipeline."""
        raise NotImplementedError

    def current_state(self, result):
        """The resource's state (a dict of plain values) from the read pipeline's PipelineResult."""
        raise NotImplementedError

    def desired_state(self, before):
        """The state the module's options ask for, starting from before."""
        raise NotImplementedError

    def apply_commands(self, before, after):
        """Commands of the one write pipeline that turns before into after."""
        raise NotImplementedError

    def check_change(self, before, after):  # pylint: disable=unused-argument
        """Preconditions of the change, checked before anything is applied (and in check mode too).

        Return a list of warnings; raise ChangeRefused to fail the task without changing anything.
        """
        return []

    def result_extras(self, before, after):  # pylint: disable=unused-argument
        """Extra keys for the module result."""
        return {}


class ModuleFailure(Exception):
    """Ends the task with fail_json: the message plus result keys (for example why, fix, before)."""

    def __init__(self, msg, **details):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


class ChangeRefused(ModuleFailure):
    """The desired state cannot or must not be applied to this host; the message says why and what to do."""


class HypervModule:
    """AnsibleModule plus the host session. Use it as the only entry point of a host module."""

    def __init__(self, argument_spec=None, supports_check_mode=True, required_together=None, required_if=None, **kwargs):
        self.module = AnsibleModule(
            argument_spec=connection_argument_spec(argument_spec),
            supports_check_mode=supports_check_mode,
            required_together=CONNECTION_REQUIRED_TOGETHER + list(required_together or []),
            required_if=CONNECTION_REQUIRED_IF + list(required_if or []),
            **kwargs
        )
        missing = missing_library(self.module.params['hyperv_transport'])
        if missing:
            self.module.fail_json(msg=missing_required_lib(missing[0]), exception=missing[1])
        self._session = None

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    @property
    def host(self):
        return self.module.params['hyperv_host']

    @property
    def session(self):
        if self._session is None:
            self._session = HostSession(ConnectionOptions.from_params(self.module.params))
        return self._session

    def run(self, commands, read_only=None, check=True):
        """session.run; any host error ends the module with a clear failure."""
        try:
            return self.session.run(commands, read_only=read_only, check=check)
        except HostError as exc:
            self.fail_from_error(exc)

    def close(self):
        if self._session is not None:
            self._session.close()
            self._session = None

    def exit_json(self, **kwargs):
        self.close()
        self.module.exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self.close()
        self.module.fail_json(msg=msg, **kwargs)

    def fail_from_error(self, exc, msg=None, **kwargs):
        """Translate a host session error into fail_json with machine-readable details (msg overrides its message)."""
        details = dict(kwargs, host=exc.host or self.host)
        if isinstance(exc, HostCommandError):
            details['errors'] = [error.to_dict() for error in exc.errors]
        elif isinstance(exc, OutcomeUnknownError):
            details['outcome_unknown'] = True
        elif isinstance(exc, HostConnectionError):
            details['connection_error'] = True
        self.fail_json(msg=msg or exc.message, **details)

    def run_resource(self, resource):
        """Read -> diff -> check -> apply (unless check mode) -> exit with changed, diff and before/after."""
        before = resource.current_state(self.run(resource.read_commands()))
        after = resource.desired_state(before)
        try:
            warnings = resource.check_change(before, after)
        except ChangeRefused as exc:
            self.fail_json(msg=str(exc), before=before)
        for warning in warnings:
            self.module.warn(warning)
        changed_keys = state_diff(before, after)
        result = dict(changed=bool(changed_keys), before=before, after=after if changed_keys else before)
        if changed_keys and not self.check_mode:
            try:
                self.session.run(resource.apply_commands(before, after))
            except HostError as exc:
                self._settle_failed_write(resource, before, after, exc)
                result['confirmed_by_reread'] = True
        result.update(resource.result_extras(before, after))
        if self.diff_mode:
            result['diff'] = dict(before=before, after=after)
        self.exit_json(**result)

    def _settle_failed_write(self, resource, before, after, exc):
        """The write pipeline failed, or its outcome is unknown: read the host again and say what was and was not applied.

        Returns only when the outcome was unknown and the re-read shows every change in place.
        """
        try:
            now = resource.current_state(self.session.run(resource.read_commands()))
        except HostError:
            self.fail_from_error(exc, before=before, applied='unknown: the host could not be read again after the failure')
        not_applied = state_diff(now, after)
        if not_applied or not isinstance(exc, OutcomeUnknownError):
            applied = [key for key in state_diff(before, after) if key not in not_applied]
            msg = '%s (applied: %s; not applied: %s; run the task again to converge)' % (
                exc.message, ', '.join(applied) or 'nothing', ', '.join(not_applied) or 'nothing')
            self.fail_from_error(exc, msg=msg, before=before, after=now, applied=applied, not_applied=not_applied)
        self.module.warn('The connection failed after the change was sent; reading the state again showed it was applied.')
