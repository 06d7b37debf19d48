# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of every hyperv.mobility module: run the module on the controller, its options filled from inventory.

The modules talk to their Hyper-V host over WinRM, to Active Directory over LDAP and to Azure themselves, so they must
not be shipped to the Windows host the inventory names. This plugin
- swaps the task's connection for ansible.builtin.local with a POSIX shell and the controller's Python
  (the module is still built as AnsiballZ and runs in a child process, as with any local module);
- reads which options the module documents (its DOCUMENTATION with its doc fragments, once per module file) and fills
  those the task did not set (module_defaults count as set):
  - the hyperv_* connection options from the host's inventory vars, with the names of ansible-core's psrp and winrm
    connection plugins, so `hosts: hyperv_hosts` works with an inventory made for ansible.windows; nothing when the task
    is delegated to the controller (the options are then given explicitly);
  - the ad_* options (doc fragment hyperv.mobility.ad) from the host's inventory vars of the same names, also under
    delegation (the domain controller is not the host's own endpoint). Precedence: task option > module_defaults >
    inventory var > environment variable (the module's own fallback, HYPERV_AD_*);
  - ``destination_connection`` (pair modules) from the inventory vars of the host named by ``destination``, with the same
    mapping and without the hyperv_ prefix, unless the task sets it or the destination is not an inventory host; and for
    ``destinations`` one ``destination_connections`` entry ({destination: name, <the same keys>}) for each inventory host
    without an entry in the task;
  - ``connection`` of each ``hosts`` entry (a task for several hosts) that names an inventory host and sets none, from that
    host's inventory vars in the same way.
"""

import copy
import functools
import sys

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import connection_loader, fragment_loader, shell_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import AD_ARGUMENT_SPEC
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import CONNECTION_OPTIONS

LOCAL_NAMES = frozenset(('localhost', '127.0.0.1', '::1'))
WINRM_CONNECTIONS = frozenset(('winrm', 'ansible.builtin.winrm', 'ansible.legacy.winrm'))

# Inventory variables per hyperv_* option, highest precedence first; derived from the one table of connection options.
COMMON_VARS = dict((option.name, option.common_vars) for option in CONNECTION_OPTIONS if option.common_vars)
PSRP_VARS = dict((option.name, option.psrp_vars) for option in CONNECTION_OPTIONS if option.psrp_vars)
WINRM_VARS = dict((option.name, option.winrm_vars) for option in CONNECTION_OPTIONS if option.winrm_vars)
INTEGER_OPTIONS = tuple(option.name for option in CONNECTION_OPTIONS if option.type == 'int')
# The options of the hyperv.mobility.ad fragment, each filled from the inventory variable of the same name.
AD_OPTIONS = tuple(AD_ARGUMENT_SPEC)

# ansible_winrm_transport values -> hyperv_auth ('ssl' is basic over HTTPS, or certificate when a client cert is set).
WINRM_TRANSPORT_AUTH = {'plaintext': 'basic', 'basic': 'basic', 'ntlm': 'ntlm', 'kerberos': 'kerberos',
                        'credssp': 'credssp', 'certificate': 'certificate', 'negotiate': 'negotiate'}


def transport_of(connection):
    """hyperv_transport for an ansible_connection value: winrm for the winrm plugin, psrp for anything else."""
    return 'winrm' if (connection or '') in WINRM_CONNECTIONS else 'psrp'


@functools.lru_cache(maxsize=None)
def documented_options(path, collection_name):
    """The option names a module documents, its doc fragments included (read once per module file and process)."""
    doc = get_docstring(path, fragment_loader, collection_name=collection_name, is_module=True)[0] or {}
    return frozenset(doc.get('options') or {})


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


def fill_unset(task_args, values):
    """task_args with the options the task did not set (None counts as not set) taken from values."""
    filled = dict(task_args)
    for option, value in values.items():
        if filled.get(option) is None:
            filled[option] = value
    return filled


def fill_connection_args(task_args, host_vars):
    """task_args with the hyperv_* options the task did not set taken from host_vars."""
    return fill_unset(task_args, InventoryConnectionVars(host_vars).options())


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


def fill_host_connections(module_args, connection_of):
    """module_args with each ``hosts`` entry that names an inventory host and sets no ``connection`` given that host's."""
    entries = module_args.get('hosts')
    if not isinstance(entries, list):
        return module_args
    filled = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get('connection') is None and isinstance(entry.get('host'), (bytes, str)):
            connection = connection_of(to_text(entry['host']))
            if connection is not None:
                entry = dict(entry, connection=connection)
        filled.append(entry)
    return dict(module_args, hosts=filled)


class ActionModule(ActionBase):
    """Runs a hyperv.mobility module on the controller with its options filled from inventory."""

    TRANSFERS_FILES = False
    _VALID_ARGS: frozenset[str] = frozenset()  # the module validates its own arguments
    _supports_check_mode = True
    _supports_async = True  # async_wrapper runs the module on the controller like any local module

    def run(self, tmp=None, task_vars=None):
        task_vars = dict(task_vars or {})
        module = self._find_module()
        module_name = module.resolved_fqcn if module.resolved else self._task.action
        module_args = self.filled_args(module, task_vars)
        task_vars = self._run_on_controller(task_vars)

        result = super().run(tmp, task_vars)
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result.update(self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars, wrap_async=wrap_async))
        return result

    # ------------------------------------------------------------ what to fill

    def filled_args(self, module, task_vars):
        """The task's args with every option the module documents and the task left unset filled from inventory."""
        options = self._documented_options(module)
        module_args = dict(self._task.args)
        if 'hyperv_host' in options and not self._delegated_to_controller():
            module_args = fill_connection_args(module_args, self._templated_host_vars(task_vars))
        if 'ad_server' in options:
            module_args = fill_unset(module_args, self._ad_vars(task_vars))
        if 'destination' in options or 'destinations' in options:
            module_args = self._fill_destination(module_args, task_vars)
        if 'hosts' in options:
            module_args = fill_host_connections(module_args, self._connection_of_inventory_host(task_vars))
        return module_args

    def _delegated_to_controller(self):
        delegate = self._task.delegate_to
        return bool(delegate) and to_text(delegate) in LOCAL_NAMES

    def _find_module(self):
        # task.action is the name the task used (short, FQCN or redirected); resolved_action may name this action
        # plugin rather than the module when plugin_routing sends the module here, so resolve the module itself.
        return self._shared_loader_obj.module_loader.find_plugin_with_context(self._task.action, collection_list=self._task.collections)

    @staticmethod
    def _documented_options(module):
        """The option names the module documents (empty when it cannot be resolved or read)."""
        if not module.resolved or not module.plugin_resolved_path:
            return frozenset()
        try:
            return documented_options(module.plugin_resolved_path, module.plugin_resolved_collection or None)
        except Exception:  # pylint: disable=broad-except  # a module without readable docs takes nothing from inventory
            return frozenset()

    def _ad_vars(self, task_vars):
        """The ad_* options from the task host's own inventory vars, templated."""
        return dict((name, self._templar.template(task_vars[name])) for name in AD_OPTIONS if task_vars.get(name) is not None)

    def _connection_of_inventory_host(self, task_vars):
        """connection_of(name): the destination_connection of an inventory host from its vars, None for another name."""
        host_vars = task_vars.get('hostvars') or {}

        def connection_of(name):
            if name not in host_vars:
                return None  # not an inventory host: the module reaches it by name with the task's account
            return destination_connection_from_vars(self._template_connection_vars(host_vars[name], name))
        return connection_of

    def _fill_destination(self, module_args, task_vars):
        """module_args with destination_connection (destination_connections) from the inventory vars of the destination
        (of each of the destinations), where the task did not set it."""
        connection_of = self._connection_of_inventory_host(task_vars)
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
        """Switch to the local connection; returns the task vars with the controller's Python (copies, never the shared ones)."""
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
        task_vars = dict(task_vars, ansible_python_interpreter=sys.executable)
        delegated_vars = task_vars.get('ansible_delegated_vars') or {}
        if self._task.delegate_to and self._task.delegate_to in delegated_vars:
            delegated = dict(delegated_vars[self._task.delegate_to], ansible_python_interpreter=sys.executable)
            task_vars['ansible_delegated_vars'] = dict(delegated_vars, **{self._task.delegate_to: delegated})
        return task_vars

    @staticmethod
    def _controller_shell():
        shell = shell_loader.get('sh')
        shell.set_options()
        return shell
