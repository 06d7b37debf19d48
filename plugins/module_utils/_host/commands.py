# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a host session runs: a Command (one cmdlet statement), a Statement (cmdlets piped together) or a Program (a Windows
program through WinRS), and what came back.

Names and parameter values travel as data (pypsrp add_cmdlet/add_parameter, or the JSON request of the winrm runner), never
as script text.
"""

import re


# Verbs whose cmdlets only read state: a pipeline made only of these may be repeated after a transport failure.
READ_ONLY_VERBS = frozenset(('get', 'test', 'measure', 'compare', 'select'))

# The cmdlets whose ConfirmImpact is High (ShouldProcess): with PowerShell's default $ConfirmPreference (High) they ask for
# confirmation, and a remote session cannot answer, so every call carries -Confirm:$false. The facts and their sources are
# the lab's reference data (tests/lab/hvlab/reference/cmdlet_behaviour.json; a unit test keeps the two equal).
# Start-/Complete-VMFailover and Update-VMVersion are High in the decompiled Hyper-V module; for Enable-NetFirewallRule and
# the AD setters no source states the impact ("unknown"), so they are treated as High, which costs nothing where it is lower.
CONFIRM_IMPACT_HIGH = frozenset(name.lower() for name in (
    'Complete-VMFailover', 'Enable-NetFirewallRule', 'Set-ADAccountControl', 'Set-ADComputer', 'Start-VMFailover',
    'Update-VMVersion'))

# The switch parameters of the documented cmdlets (SwitchParameter in cmdlets.json; a unit test keeps the two in step): a
# switch that is on reads '-Name' in a description, one turned off '-Name:$false' as PowerShell writes it (-Confirm:$false),
# any other parameter 'Name=value' (a bool parameter too).
SWITCH_PARAMETERS = frozenset((
    'All', 'AllowUnverifiedPaths', 'AsJob', 'AsReplica', 'AsTest', 'ClearFailoverIPv4Settings', 'ClearFailoverIPv6Settings', 'Confirm', 'Continue',
    'Copy', 'Default', 'DependentServices', 'DisableVSSSnapshotReplication', 'DynamicMacAddress', 'Force', 'GenerateNewId', 'IncludeStorage', 'KeyOnly',
    'ManagementOS', 'NoWait', 'PassThru', 'Passthru', 'Prepare', 'Register', 'RemoveSourceUnmanagedVhds',
    'RequiredServices', 'Resynchronize', 'RetainVhdCopiesOnSource', 'Reverse', 'Shallow', 'TracePolicyStore', 'Unique', 'UseAutomaticConnection', 'UseBackup',
    'ValueOnly', 'Wait', 'WhatIf'))
# -Force only keeps a confirmation prompt away and says nothing about the change, so descriptions leave it out. -Confirm:$false
# stays: it is part of what is sent to every ConfirmImpact-High cmdlet (CONFIRM_IMPACT_HIGH) and the steps show what is sent.
QUIET_PARAMETERS = frozenset(('Force',))


def describe(command, implied=()):
    """One readable line for a command: 'Cmdlet -Switch Name=value ... -Switch:$false', in the order the parameters were given.

    implied: parameters every command of the task has (the VM's name), left out of the line.
    """
    shown = [(name, value) for name, value in command.parameters.items() if name not in implied and name not in QUIET_PARAMETERS]
    switches = ['-%s' % name for name, value in shown if name in SWITCH_PARAMETERS and value is True]
    parameters = ['%s=%s' % (name, value) for name, value in shown if not (name in SWITCH_PARAMETERS and isinstance(value, bool))]
    off = ['-%s:$false' % name for name, value in shown if name in SWITCH_PARAMETERS and value is False]
    return ' '.join([command.name] + switches + parameters + off)


class Command:
    """One cmdlet invocation; on its own it is a statement, Command.pipe() makes a Statement of several."""

    def __init__(self, name, parameters=None):
        self.name = name
        self.parameters = dict(parameters or {})
        if name.lower() in CONFIRM_IMPACT_HIGH:
            self.parameters.setdefault('Confirm', False)

    @property
    def read_only(self):
        return self.name.split('-', 1)[0].lower() in READ_ONLY_VERBS

    @property
    def commands(self):
        """The commands of the statement this command is on its own."""
        return [self]

    def pipe(self, command):
        """This command piped into another: one statement, like ``Compare-VM ... | Select-Object -ExpandProperty ...``."""
        return Statement(self.commands + command.commands)

    def __repr__(self):
        return 'Command(%r, %r)' % (self.name, self.parameters)


class Statement:
    """Commands piped together: each one after the first receives the objects the previous one wrote."""

    def __init__(self, commands):
        self.commands = list(commands)

    @property
    def name(self):
        """The first command's name: error records without invocation info belong to the statement's start."""
        return self.commands[0].name

    @property
    def read_only(self):
        return all(command.read_only for command in self.commands)

    def pipe(self, command):
        return Statement(self.commands + command.commands)

    def __repr__(self):
        return ' | '.join(repr(command) for command in self.commands)


# Characters refused in a program argument: a double quote or a control character would make the command line ambiguous.
UNSAFE_ARGUMENT = re.compile(r'["\x00-\x1f\x7f]')
# Arguments made only of these need no quotes.
BARE_ARGUMENT = re.compile(r'^[A-Za-z0-9_./:\\-]+$')


def quote_argument(value):
    """One argument of a Windows command line, quoted the way CommandLineToArgvW reads it back (values may not hold quotes)."""
    if UNSAFE_ARGUMENT.search(value):
        raise ValueError('a program argument cannot contain a double quote or a control character: %r' % value)
    if value and BARE_ARGUMENT.match(value):
        return value
    # Backslashes are literal except before a quote, so the ones that end the value are doubled before the closing quote.
    trailing = len(value) - len(value.rstrip('\\'))
    return '"%s%s"' % (value, '\\' * trailing)


class Program:
    """A Windows program with its arguments; secret arguments are masked wherever the command line is shown."""

    def __init__(self, path, arguments=(), secrets=()):
        self.path = path
        self.arguments = [str(argument) for argument in arguments]
        self.secrets = [str(secret) for secret in secrets if secret]

    def command_line(self):
        return ' '.join(quote_argument(part) for part in [self.path] + self.arguments)

    def display(self):
        """The command line with every secret replaced by ********."""
        shown = [quote_argument(part) if part not in self.secrets else '********' for part in [self.path] + self.arguments]
        return ' '.join(shown)

    def __repr__(self):
        return 'Program(%s)' % self.display()


class ProgramResult:
    """How a program ended: exit code and its stdout / stderr as text."""

    def __init__(self, exit_code, stdout='', stderr=''):
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


def program_text(data):
    """A program's output as text (WinRS hands back bytes)."""
    return data.decode('utf-8', 'replace') if isinstance(data, bytes) else str(data or '')


class PipelineResult:
    """What a pipeline returned: output objects, error records and warnings, as plain values.

    raw_output: each output object as the host serialized it (its CLIXML text; a primitive pypsrp hands over as a plain
    value), for the fidelity recording, which keeps how each value travelled (shapes.py).
    """

    def __init__(self, output=None, errors=None, warnings=None, raw_output=None):
        self.output = list(output or [])
        self.errors = list(errors or [])
        self.warnings = list(warnings or [])
        self.raw_output = list(raw_output or [])

    def of_type(self, type_name):
        """Output objects whose type names include type_name (case-insensitive, without the 'Deserialized.' prefix)."""
        return [item for item in self.output if hasattr(item, 'is_type') and item.is_type(type_name)]

    def errors_of(self, command_name):
        return [error for error in self.errors if (error.command or '').lower() == command_name.lower()]
