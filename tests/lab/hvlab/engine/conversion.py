"""Argument conversion the way PowerShell's parameter binder converts plain values to parameter types.

Each failure carries the FullyQualifiedErrorId prefix and message PowerShell uses for it
(ParameterBinderBase.CoerceTypeAsNeeded: CannotConvertArgument for bool/switch and arrays-to-scalars,
CannotConvertArgumentNoMessage for a failed LanguagePrimitives conversion, ...).
"""

from __future__ import annotations

import datetime
import math
import re
import uuid

from hvlab.engine.signatures import ParameterSpec, ParameterType
from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan

_INT_RANGES = {
    'Int32': (-2 ** 31, 2 ** 31 - 1, 'an Int32'),
    'Int64': (-2 ** 63, 2 ** 63 - 1, 'an Int64'),
    'UInt32': (0, 2 ** 32 - 1, 'a UInt32'),
}
_TIMESPAN = re.compile(r'^\s*(?P<sign>-)?(?:(?P<days>\d+)\.)?(?P<hours>\d+):(?P<minutes>\d+)(?::(?P<seconds>\d+)(?:\.(?P<fraction>\d{1,7}))?)?\s*$')
_DAYS_ONLY = re.compile(r'^\s*(?P<sign>-)?(?P<days>\d+)\s*$')


class ConversionFailure(Exception):
    """A value could not be bound to a parameter; error_id and message are PowerShell's."""

    def __init__(self, error_id: str, message: str):
        super().__init__(message)
        self.error_id = error_id
        self.message = message


_PLAIN_TYPE_NAMES = (
    (bool, 'System.Boolean'), (float, 'System.Double'), (str, 'System.String'), ((list, tuple), 'System.Object[]'),
    (dict, 'System.Collections.Hashtable'), (LabTimeSpan, 'System.TimeSpan'), (datetime.datetime, 'System.DateTime'),
)


def dotnet_type_name(value) -> str:
    """The .NET type PowerShell would see for a value that arrived from the client."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 'System.Int32' if -2 ** 31 <= value < 2 ** 31 else 'System.Int64'
    if isinstance(value, LabObject):
        return value.type_names[0]
    if isinstance(value, LabEnum):
        return value.type_name
    return next((name for python_type, name in _PLAIN_TYPE_NAMES if isinstance(value, python_type)), 'System.Object')


def powershell_text(value) -> str:
    """How PowerShell renders a value inside an error message ("Cannot convert value "x" ...")."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'True' if value else 'False'
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple, dict)):
        return dotnet_type_name(value)
    if isinstance(value, LabObject):
        return value.to_string
    return str(value)


class ArgumentConverter:
    """Converts one argument to one parameter's documented type, or raises ConversionFailure."""

    def __init__(self, spec: ParameterSpec):
        self.spec = spec
        self.ptype: ParameterType = spec.type

    def convert(self, value):
        if self.ptype.is_array:
            if value is None:
                return None
            items = list(value) if isinstance(value, (list, tuple)) else [value]
            return [self._element(item) for item in items]
        if isinstance(value, (list, tuple)) and self.ptype.element not in ('PSObject', 'Object', 'Boolean', 'SwitchParameter') \
                and not self.ptype.is_enum:
            # PowerShell refuses to bind a collection to a scalar parameter (NotSupportedException).
            raise self._cannot_convert_argument(value, 'Specified method is not supported.')
        return self._element(value)

    # ---- failures ---------------------------------------------------------------------------------
    def _no_message(self, inner: str) -> ConversionFailure:
        return ConversionFailure('CannotConvertArgumentNoMessage', f"Cannot bind parameter '{self.spec.name}'. {inner}")

    def _cannot_convert_value(self, value, reason: str) -> ConversionFailure:
        return self._no_message(f'Cannot convert value "{powershell_text(value)}" to type "{self.ptype.full_name}". Error: "{reason}"')

    def _cannot_convert_argument(self, value, detail: str = '') -> ConversionFailure:
        target = self.ptype.display_name if isinstance(value, (list, tuple)) and not self.ptype.is_array else self.ptype.full_name
        return ConversionFailure('CannotConvertArgument',
                                 f"Cannot convert '{dotnet_type_name(value)}' to the type '{target}' required by parameter "
                                 f"'{self.spec.name}'. {detail}")

    def _no_conversion(self, value) -> ConversionFailure:
        return self._no_message(f'Cannot convert the "{powershell_text(value)}" value of type "{dotnet_type_name(value)}" '
                                f'to type "{self.ptype.full_name}".')

    def _null_not_allowed(self) -> ConversionFailure:
        return ConversionFailure('ParameterArgumentValidationErrorNullNotAllowed',
                                 f"Cannot bind argument to parameter '{self.spec.name}' because it is null.")

    # ---- element conversion -------------------------------------------------------------------
    def _element(self, value):
        element = self.ptype.element
        if self.ptype.is_enum:
            return self._enum(value)
        if element == 'SwitchParameter':
            return True if value is None else self._boolean(value)
        if element == 'Boolean':
            if value is None:
                raise self._null_not_allowed()
            return self._boolean(value)
        if value is None or element in ('PSObject', 'Object'):
            return value
        converter = self._SCALAR_CONVERTERS.get('Integer' if element in _INT_RANGES else element)
        if converter is not None:
            return converter(self, value)
        return self._object(value)

    def _hashtable(self, value) -> dict:
        if isinstance(value, dict):
            return value
        raise self._no_conversion(value)

    def _object(self, value):
        """Credential and object-typed parameters (CimSession, VirtualMachine, ...)."""
        element = self.ptype.element
        if element == 'PSCredential' and isinstance(value, str):
            # [Credential()] turns a user name into a prompt, and a remote session has no host to prompt.
            raise ConversionFailure('ParameterArgumentTransformationError',
                                    f"Cannot process argument transformation on parameter '{self.spec.name}'. A command that "
                                    'prompts the user failed because the host program or the command type does not support '
                                    'user interaction. The host was attempting to request confirmation with the following '
                                    'message: Enter your credentials.')
        if isinstance(value, LabObject) and any(name.split('#')[0] == self.ptype.full_name for name in value.type_names):
            return value
        raise self._no_conversion(value)

    def _boolean(self, value) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        raise self._cannot_convert_argument(value)

    def _string(self, value) -> str:
        if isinstance(value, bool):
            return 'True' if value else 'False'
        if isinstance(value, (LabEnum, LabTimeSpan)):
            return str(value)
        return powershell_text(value)

    def _integer(self, value) -> int:
        low, high, article_name = _INT_RANGES[self.ptype.element]
        if isinstance(value, bool):
            number = int(value)
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise self._cannot_convert_value(value, f'Value was either too large or too small for {article_name}.')
            number = round(value)        # .NET rounds half to even, like Python's round()
        elif isinstance(value, LabEnum):
            number = value.value
        elif isinstance(value, str):
            number = self._parse_integer(value)
        else:
            raise self._no_conversion(value)
        if not low <= number <= high:
            raise self._cannot_convert_value(value, f'Value was either too large or too small for {article_name}.')
        return number

    def _parse_integer(self, text: str) -> int:
        stripped = text.strip()
        try:
            if re.fullmatch(r'[+-]?0[xX][0-9a-fA-F]+', stripped):
                return int(stripped, 16)
            if re.fullmatch(r'[+-]?\d+', stripped):
                return int(stripped)
            if re.fullmatch(r'[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?', stripped):
                return round(float(stripped))
        except ValueError:
            pass
        raise self._cannot_convert_value(text, 'Input string was not in a correct format.')

    def _timespan(self, value) -> LabTimeSpan:
        if isinstance(value, LabTimeSpan):
            return value
        if isinstance(value, bool):
            raise self._no_conversion(value)
        if isinstance(value, (int, float)):
            # [TimeSpan]3600 is 3600 ticks: PowerShell uses the TimeSpan(Int64 ticks) constructor.
            return LabTimeSpan(round(value) / 10_000_000)
        if isinstance(value, str):
            parsed = parse_timespan(value)
            if parsed is not None:
                return parsed
            raise self._cannot_convert_value(value, 'String was not recognized as a valid TimeSpan.')
        raise self._no_conversion(value)

    def _guid(self, value) -> str:
        if isinstance(value, str):
            try:
                return str(uuid.UUID(value.strip()))
            except ValueError:
                pass
            raise self._cannot_convert_value(value, 'Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).')
        raise self._no_conversion(value)

    def _datetime(self, value) -> datetime.datetime:
        if isinstance(value, datetime.datetime):
            return value
        if isinstance(value, str):
            try:
                return datetime.datetime.fromisoformat(value.strip())
            except ValueError:
                pass
            raise self._cannot_convert_value(value, 'String was not recognized as a valid DateTime.')
        raise self._no_conversion(value)

    def _enum(self, value) -> LabEnum:
        members = self.ptype.enum_members
        if isinstance(value, LabEnum) and value.name in members:
            value = value.name
        if isinstance(value, int) and not isinstance(value, bool):
            member = next((name for name in members if self.ptype.enum_value(name) == value), None)
            if member is not None:
                return LabEnum(self.ptype.full_name, member, value)
            raise self._no_message(f'Cannot convert value "{value}" to type "{self.ptype.full_name}" due to enumeration values '
                                   f'that are not valid. Specify one of the following enumeration values and try again. '
                                   f'The possible enumeration values are "{", ".join(members)}".')
        if isinstance(value, str):
            member = next((name for name in members if name.lower() == value.strip().lower()), None)
            if member is not None:
                return LabEnum(self.ptype.full_name, member, self.ptype.enum_value(member))
        raise self._cannot_convert_value(
            value, f'Unable to match the identifier name {powershell_text(value)} to a valid enumerator name. '
                   f'Specify one of the following enumerator names and try again:\r\n{", ".join(members)}')

    _SCALAR_CONVERTERS = {
        # [uri] accepts any string (a relative reference when it is not absolute), so a Uri parameter keeps the text.
        'String': _string, 'Uri': _string, 'Integer': _integer, 'TimeSpan': _timespan, 'Guid': _guid, 'DateTime': _datetime, 'Hashtable': _hashtable,
    }


def parse_timespan(text: str) -> LabTimeSpan | None:
    """TimeSpan.Parse: [-][d.]hh:mm[:ss[.fffffff]] or a whole number of days; None when invalid."""
    match = _TIMESPAN.match(text)
    if match:
        hours, minutes = int(match['hours']), int(match['minutes'])
        seconds = int(match['seconds'] or 0)
        if hours > 23 or minutes > 59 or seconds > 59:
            return None
        total = int(match['days'] or 0) * 86400 + hours * 3600 + minutes * 60 + seconds
        total += int((match['fraction'] or '0').ljust(7, '0')) / 10_000_000
        return LabTimeSpan(-total if match['sign'] else total)
    match = _DAYS_ONLY.match(text)
    if match:
        days = int(match['days']) * 86400
        return LabTimeSpan(-days if match['sign'] else days)
    return None
