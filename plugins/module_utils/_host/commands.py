# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a host session runs: a Command (one cmdlet statement) or a Program (a Windows program through WinRS), and what came back.

Every Command is one statement; names and parameter values travel as data (pypsrp add_cmdlet/add_parameter, or the
JSON request of the winrm runner), never as script text.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import re


# Verbs whose cmdlets only read state: a pipeline made only of these may be repeated after a transport failure.
READ_ONLY_VERBS = frozenset(('get', 'test', 'measure', 'compare'))


class Command:
    """One cmdlet invocation, sent as its own statement."""

    def __init__(self, name, parameters=None):
        self.name = name
        self.parameters = dict(parameters or {})

    @property
    def read_only(self):
        return self.name.split('-', 1)[0].lower() in READ_ONLY_VERBS

    def __repr__(self):
        return 'Command(%r, %r)' % (self.name, self.parameters)


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
    """What a pipeline returned: output objects, error records and warnings, as plain values."""

    def __init__(self, output=None, errors=None, warnings=None):
        self.output = list(output or [])
        self.errors = list(errors or [])
        self.warnings = list(warnings or [])

    def of_type(self, type_name):
        """Output objects whose type names include type_name (case-insensitive, without the 'Deserialized.' prefix)."""
        return [item for item in self.output if hasattr(item, 'is_type') and item.is_type(type_name)]

    def errors_of(self, command_name):
        return [error for error in self.errors if (error.command or '').lower() == command_name.lower()]
