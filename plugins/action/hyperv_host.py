# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of every hyperv.mobility module: run the module on the controller.

The modules talk to their Hyper-V host over WinRM themselves, so they must not be shipped to the Windows host the
inventory names. This plugin
- swaps the task's connection for ansible.builtin.local with a POSIX shell and the controller's Python
  (the module is still built as AnsiballZ and runs in a child process, as with any local module);
- fills every hyperv_* option the task did not set (module_defaults count as set) from the host's inventory vars,
  using the names of ansible-core's psrp and winrm connection plugins, so `hosts: hyperv_hosts` works with an
  inventory made for ansible.windows.

It fills nothing when the task is delegated to the controller (the options are then given explicitly) or when the
module does not take the connection options (controller-only modules such as the Active Directory ones).

Pair modules (those extending the hyperv.mobility.destination fragment) also get ``destination_connection`` filled
from the inventory vars of the host named by their ``destination`` option, with the same mapping and without the
hyperv_ prefix, unless the task sets it or ``destination`` is not an inventory host. This is done under delegation
to the controller as well: the destination is named explicitly, so its inventory vars are the ones to use.
A module that takes several destinations (``destinations``, migration_preflight) gets one ``destination_connections``
entry ({destination: name, <the same keys>}) for each of them that is an inventory host and has no entry in the task.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import copy
import sys

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import connection_loader, shell_loader
# The doc fragment every host module extends; a module without it is a controller-only module.
CONNECTION_FRAGMENT = 'hyperv.mobility.connection'
# The doc fragment of pair modules: they also take destination / destination_connection.
DESTINATION_FRAGMENT = 'hyperv.mobility.destination'
LOCAL_NAMES = frozenset(('localhost', '127.0.0.1', '::1'))

PSRP_CONNECTIONS = frozenset(('psrp', 'ansible.builtin.psrp', 'ansible.legacy.psrp'))
WINRM_CONNECTIONS = frozenset(('winrm', 'ansible.builtin.winrm', 'ansible.legacy.winrm'))

# Inventory variables per option, highest precedence first (ansible-core: the later var in a plugin's list wins).
COMMON_VARS = {
    'hyperv_host': ('ansible_host', 'inventory_hostname'),
    'hyperv_port': ('ansible_port',),
    'hyperv_user': ('ansible_user',),
    'hyperv_password': ('ansible_password',),
}
PSRP_VARS = {
    'hyperv_host': ('ansible_psrp_host',),
    'hyperv_port': ('ansible_psrp_port',),
    'hyperv_user': ('ansible_psrp_user',),
    'hyperv_password': ('ansible_winrm_password', 'ansible_winrm_pass'),
    'hyperv_auth': ('ansible_psrp_auth',),
    'hyperv_protocol': ('ansible_psrp_protocol',),
    'hyperv_validate_certs': ('ansible_psrp_cert_validation',),
    'hyperv_ca_cert': ('ansible_psrp_ca_cert', 'ansible_psrp_cert_trust_path'),
    'hyperv_cert_pem': ('ansible_psrp_certificate_pem',),
    'hyperv_cert_key_pem': ('ansible_psrp_certificate_key_pem',),
    'hyperv_connection_timeout': ('ansible_psrp_connection_timeout',),
    'hyperv_operation_timeout': ('ansible_psrp_operation_timeout',),
    'hyperv_read_timeout': ('ansible_psrp_read_timeout',),
}
WINRM_VARS = {
    'hyperv_host': ('ansible_winrm_host',),
    'hyperv_port': ('ansible_winrm_port',),
    'hyperv_user': ('ansible_winrm_user',),
    'hyperv_password': ('ansible_winrm_password', 'ansible_winrm_pass'),
    'hyperv_auth': ('ansible_winrm_transport',),
    'hyperv_protocol': ('ansible_winrm_scheme',),
    'hyperv_validate_certs': ('ansible_winrm_server_cert_validation',),
    'hyperv_ca_cert': ('ansible_winrm_ca_trust_path',),
    'hyperv_cert_pem': ('ansible_winrm_cert_pem',),
    'hyperv_cert_key_pem': ('ansible_winrm_cert_key_pem',),
    'hyperv_connection_timeout': ('ansible_winrm_connection_timeout',),
    'hyperv_operation_timeout': ('ansible_winrm_operation_timeout_sec',),
    'hyperv_read_timeout': ('ansible_winrm_read_timeout_sec',),
}

# ansible_winrm_transport values -> hyperv_auth ('ssl' is basic over HTTPS, or certificate when a client cert is set).
WINRM_TRANSPORT_AUTH = {'plaintext': 'basic', 'basic': 'basic', 'ntlm': 'ntlm', 'kerberos': 'kerberos',
                        'credssp': 'credssp', 'certificate': 'certificate', 'negotiate': 'negotiate'}

INTEGER_OPTIONS = ('hyperv_port', 'hyperv_connection_timeout', 'hyperv_operation_timeout', 'hyperv_read_timeout')


def transport_of(connection):
    """hyperv_transport for an ansible_connection value: winrm for the winrm plugin, psrp for anything else."""
    return 'winrm' if (connection or '') in WINRM_CONNECTIONS else 'psrp'


class InventoryConnectionVars:
    """Maps a host's (already templated) inventory vars to hyperv_* module options."""

    def __init__(self, host_vars):
        self.host_vars = host_vars
        self.transport = transport_of(self._first(('ansible_connection',)))

    def _first(self, names):
        for name in names:
            value = self.host_vars.get(name)
            if value is not None and value != '':
                return value
        return None

    def value_of(self, option):
        specific = (WINRM_VARS if self.transport == 'winrm' else PSRP_VARS).get(option, ())
        raw = self._first(specific + COMMON_VARS.get(option, ()))
        if raw is None:
            return None
        return self._convert(option, raw)

    def _convert(self, option, raw):
        if option in INTEGER_OPTIONS:
            return int(raw)
        if option == 'hyperv_validate_certs':
            if isinstance(raw, str) and raw.strip().lower() in ('validate', 'ignore'):
                return raw.strip().lower() == 'validate'
            return boolean(raw, strict=False)
        if option == 'hyperv_auth' and self.transport == 'winrm':
            return self._winrm_auth(raw)
        return to_text(raw) if isinstance(raw, (bytes, str)) else raw

    def _winrm_auth(self, raw):
        # ansible_winrm_transport may be a list or a comma separated string; pywinrm uses the first one.
        values = raw if isinstance(raw, (list, tuple)) else to_text(raw).split(',')
        first = to_text(values[0]).strip().lower() if values else ''
        if first == 'ssl':
            return 'certificate' if self._first(WINRM_VARS['hyperv_cert_pem']) else 'basic'
        return WINRM_TRANSPORT_AUTH.get(first, first)

    def options(self):
        """Every hyperv_* option the vars define."""
        values = {'hyperv_transport': self.transport}
        for option in set(COMMON_VARS) | set(PSRP_VARS) | set(WINRM_VARS):
            value = self.value_of(option)
            if value is not None:
                values[option] = value
        return values


def fill_connection_args(task_args, host_vars):
    """task_args with the hyperv_* options the task did not set taken from host_vars."""
    filled = dict(task_args)
    for option, value in InventoryConnectionVars(host_vars).options().items():
        if filled.get(option) is None:
            filled[option] = value
    return filled


def destination_connection_from_vars(host_vars):
    """destination_connection (hyperv_* options without the prefix) from the destination host's inventory vars."""
    return dict((option[len('hyperv_'):], value) for option, value in InventoryConnectionVars(host_vars).options().items())


def names_of(value):
    """The names of a list option as the module will see them (a list, or a comma separated string as Ansible splits it)."""
    if isinstance(value, (bytes, str)):
        return [name.strip() for name in to_text(value).split(',') if name.strip()]
    return [to_text(name) for name in value or [] if isinstance(name, (bytes, str))]


def fill_destination_connections(destinations, given, connection_of):
    """destination_connections: the task's own entries, then one for each destination without an entry.

    ``connection_of(name)`` gives the destination_connection of an inventory host, None for a name that is not one.
    The task's entries are kept as they are; an entry is only added, never merged into one the task wrote.
    """
    entries = list(given or [])
    covered = set(to_text(entry.get('destination')) for entry in entries if isinstance(entry, dict))
    for name in names_of(destinations):
        if name in covered:
            continue
        connection = connection_of(name)
        if connection is not None:
            entries.append(dict(connection, destination=name))
            covered.add(name)
    return entries


class ActionModule(ActionBase):
    """Runs a hyperv.mobility module on the controller with its connection options filled from inventory."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()  # the module validates its own arguments
    _supports_check_mode = True
    _supports_async = True  # async_wrapper runs the module on the controller like any local module

    def run(self, tmp=None, task_vars=None):
        task_vars = dict(task_vars or {})
        module = self._find_module()
        module_name = module.resolved_fqcn if module.resolved else self._task.action
        module_args = dict(self._task.args)
        source = self._module_source(module)
        if CONNECTION_FRAGMENT in source and not self._delegated_to_controller():
            module_args = fill_connection_args(module_args, self._templated_host_vars(task_vars))
        if DESTINATION_FRAGMENT in source:
            module_args = self._fill_destination(module_args, task_vars)
        self._run_on_controller(task_vars)

        result = super(ActionModule, self).run(tmp, task_vars)
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result.update(self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars, wrap_async=wrap_async))
        return result

    # ------------------------------------------------------------ what to fill

    def _delegated_to_controller(self):
        delegate = self._task.delegate_to
        return bool(delegate) and to_text(delegate) in LOCAL_NAMES

    def _find_module(self):
        # task.action is the name the task used (short, FQCN or redirected); resolved_action may name this action
        # plugin rather than the module when plugin_routing sends the module here, so resolve the module itself.
        return self._shared_loader_obj.module_loader.find_plugin_with_context(self._task.action, collection_list=self._task.collections)

    @staticmethod
    def _module_source(module):
        """The module's source text ('' when it cannot be read): its doc fragments say which options it takes."""
        if not module.resolved or not module.plugin_resolved_path:
            return ''
        try:
            with open(module.plugin_resolved_path, 'rb') as module_file:
                return to_text(module_file.read(), errors='surrogate_or_strict')
        except (IOError, OSError):
            return ''

    @classmethod
    def _takes_connection_options(cls, module):
        """Whether the module extends the connection doc fragment (host modules do, controller-only modules do not)."""
        return CONNECTION_FRAGMENT in cls._module_source(module)

    def _fill_destination(self, module_args, task_vars):
        """module_args with destination_connection (destination_connections) from the inventory vars of the destination
        (of each of the destinations), where the task did not set it."""
        host_vars = task_vars.get('hostvars') or {}

        def connection_of(name):
            if name not in host_vars:
                return None  # not an inventory host: the module reaches it by name with the source's account
            return destination_connection_from_vars(self._template_connection_vars(host_vars[name], name))

        filled = dict(module_args)
        destination = module_args.get('destination')
        if destination and module_args.get('destination_connection') is None:
            connection = connection_of(to_text(destination))
            if connection is not None:
                filled['destination_connection'] = connection
        destinations = module_args.get('destinations')
        given = module_args.get('destination_connections')
        if destinations and (given is None or isinstance(given, list)):
            entries = fill_destination_connections(destinations, given, connection_of)
            if entries:
                filled['destination_connections'] = entries
        return filled

    def _templated_host_vars(self, task_vars):
        host_vars = task_vars
        inventory_name = task_vars.get('inventory_hostname')
        if self._task.delegate_to:
            # Delegated to another inventory host: use that host's connection vars.
            host_vars = dict(task_vars.get('ansible_delegated_vars', {}).get(self._task.delegate_to, {}))
            inventory_name = self._task.delegate_to
        return self._template_connection_vars(host_vars, inventory_name)

    def _template_connection_vars(self, host_vars, inventory_name):
        """The connection-related vars of one host, templated (inventory_hostname defaults to inventory_name)."""
        names = {'ansible_connection', 'inventory_hostname'}
        for table in (COMMON_VARS, PSRP_VARS, WINRM_VARS):
            for candidates in table.values():
                names.update(candidates)
        values = {}
        for name in names:
            if host_vars.get(name) is not None:
                values[name] = self._templar.template(host_vars[name])
        if inventory_name is not None:
            values.setdefault('inventory_hostname', inventory_name)
        return values

    # ------------------------------------------------------------ where to run

    def _run_on_controller(self, task_vars):
        play_context = copy.copy(self._play_context)
        play_context.connection = 'local'
        play_context.shell = 'sh'
        play_context.executable = C.DEFAULT_EXECUTABLE
        play_context.become = False
        connection = connection_loader.get('ansible.builtin.local', play_context, shell=self._controller_shell())
        connection.set_options()
        connection.set_become_plugin(None)
        self._connection = connection
        # The module runs under the Python that runs Ansible itself (it has pypsrp / pywinrm installed).
        task_vars['ansible_python_interpreter'] = sys.executable
        delegated = task_vars.get('ansible_delegated_vars', {}).get(self._task.delegate_to) if self._task.delegate_to else None
        if delegated is not None:
            delegated['ansible_python_interpreter'] = sys.executable

    @staticmethod
    def _controller_shell():
        shell = shell_loader.get('sh')
        shell.set_options()
        return shell
