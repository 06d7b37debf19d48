"""Conversions between the engine's plain values and the wire.

* PSRP: engine values (LabObject, LabEnum, LabTimeSpan, datetime, primitives) -> psrpcore objects that
  serialise to the CLIXML a Windows host sends (Hyper-V type names in <TN>, enums with their type name,
  ToString and I32 value, TimeSpan as <TS>), and psrpcore's deserialised parameter values -> plain Python.
  remoting_object() first reduces an output object to what remoting's depth-1 serialization keeps
  (hvlab.engine.serialization).
* Runner: the same reduced object as the CLIXML document PSSerializer.Serialize(object, 1) writes, which the
  collection's WinRM runner puts in its response (docs/dev/contracts.md).

Engine values are recognised by shape (LabObject: type_names/properties/to_string, LabEnum: type_name/name/value,
LabTimeSpan: seconds) so that this module needs no import of the engine.
"""

import datetime
import enum
import re
import typing
import uuid

import psrpcore.types._serializer as _psrpcore_serializer
from psrpcore.types import (
    PSBool, PSByte, PSDateTime, PSDict, PSDouble, PSDuration, PSEnumBase, PSGuid, PSInt, PSInt16, PSInt64, PSList, PSNoteProperty,
    PSObject, PSSByte, PSSingle, PSString, PSType, PSUInt, PSUInt16, PSUInt64, PSVersion, serialize_clixml,
)

_INT32 = range(-2 ** 31, 2 ** 31)


def _serialize_duration(value: datetime.timedelta) -> str:
    """xs:duration of a TimeSpan as .NET writes it (e.g. PT1M30S, PT0.5S, P1DT2H).

    psrpcore 0.3.1 strips trailing zeros of the whole seconds field (90 s becomes 'PT1M3S'), so the lab
    installs this replacement; the format otherwise follows psrpcore's.
    """
    ticks = (value.days * 86400 + value.seconds) * 10_000_000 + value.microseconds * 10
    sign = '-' if ticks < 0 else ''
    ticks = abs(ticks)
    days, ticks = divmod(ticks, 864_000_000_000)
    hours, ticks = divmod(ticks, 36_000_000_000)
    minutes, ticks = divmod(ticks, 600_000_000)
    whole_seconds, fraction = divmod(ticks, 10_000_000)
    text = sign + 'P' + ('%dD' % days if days else '')
    if hours or minutes or whole_seconds or fraction or not days:
        text += 'T' + ('%dH' % hours if hours else '') + ('%dM' % minutes if minutes else '')
        if whole_seconds or fraction or not (hours or minutes):
            seconds = str(whole_seconds) + (('.%07d' % fraction).rstrip('0') if fraction else '')
            text += seconds + 'S'
    return text


_psrpcore_serializer._serialize_duration = _serialize_duration  # pylint: disable=protected-access


def is_lab_object(value: typing.Any) -> bool:
    return hasattr(value, 'type_names') and hasattr(value, 'properties') and hasattr(value, 'to_string')


def is_lab_enum(value: typing.Any) -> bool:
    return hasattr(value, 'type_name') and hasattr(value, 'name') and hasattr(value, 'value') and not isinstance(value, enum.Enum)


def is_lab_timespan(value: typing.Any) -> bool:
    return hasattr(value, 'seconds') and not isinstance(value, datetime.timedelta) and not is_lab_object(value)


class _EnumTypes:
    """psrpcore enum classes created on demand, one per (type name, member), so CLIXML carries the real type name."""

    def __init__(self) -> None:
        self._classes: typing.Dict[typing.Tuple[str, str, int], type] = {}

    def value(self, type_name: str, name: str, number: int) -> PSEnumBase:
        key = (type_name, name, number)
        cls = self._classes.get(key)
        if cls is None:
            meta = type(PSEnumBase)
            short_name = type_name.rsplit('.', 1)[-1]
            namespace = meta.__prepare__(short_name, (PSEnumBase,))
            namespace[name] = number
            cls = PSType([type_name], rehydrate=False)(meta(short_name, (PSEnumBase,), namespace))
            self._classes[key] = cls
        return cls(number)


_ENUMS = _EnumTypes()


# The CLIXML tag of a value follows the .NET type of the property that holds it (types.json): an integer property declared
# UInt32 is <U32>, not the <I32> a plain Python int would give.
_INTEGER_TYPES = {'System.Byte': PSByte, 'System.SByte': PSSByte, 'System.Int16': PSInt16, 'System.UInt16': PSUInt16,
                  'System.Int32': PSInt, 'System.UInt32': PSUInt, 'System.Int64': PSInt64, 'System.UInt64': PSUInt64}
_NULLABLE = re.compile(r'^System\.Nullable\[(.*)\]$')
_ELEMENT = re.compile(r'^(?:(.*)\[\]|System\.Collections\.Generic\.(?:I?List|IReadOnlyList|IEnumerable)\[(.*)\])$')


def value_type(declared: typing.Optional[str]) -> typing.Optional[str]:
    """The .NET type a declared property type holds: T for Nullable[T]."""
    match = _NULLABLE.match(declared or '')
    return match.group(1) if match else declared


def element_type(declared: typing.Optional[str]) -> typing.Optional[str]:
    """The element type of an array or generic list type, else None."""
    match = _ELEMENT.match(declared or '')
    return (match.group(1) or match.group(2)) if match else None


def _typed(value: typing.Any, declared: typing.Optional[str]) -> typing.Any:
    """A plain value written as the .NET type declared for it, or None when the declaration changes nothing."""
    declared = value_type(declared)
    if isinstance(value, bool) or declared is None:
        return None
    if isinstance(value, int) and declared in _INTEGER_TYPES:
        return _INTEGER_TYPES[declared](value)
    if isinstance(value, (int, float)) and declared == 'System.Single':
        return PSSingle(value)
    if isinstance(value, str) and declared == 'System.Guid':
        return PSGuid(uuid.UUID(value))
    if isinstance(value, str) and declared == 'System.Version':
        return PSVersion(value)
    if isinstance(value, (list, tuple)) and element_type(declared):
        return PSList([to_psrp(item, element_type(declared)) for item in value])
    return None


def to_psrp(value: typing.Any, declared: typing.Optional[str] = None) -> typing.Any:
    """Engine value -> psrpcore object (for write_output and nested properties); declared: the .NET type of its property."""
    if value is None:
        return None
    typed = _typed(value, declared)
    if typed is not None:
        return typed
    if isinstance(value, bool):
        return PSBool(value)
    if isinstance(value, enum.Enum):
        return to_psrp(value.value)
    if isinstance(value, int):
        return PSInt(value) if value in _INT32 else PSInt64(value)
    if isinstance(value, float):
        return PSDouble(value)
    if isinstance(value, str):
        return PSString(value)
    if isinstance(value, datetime.datetime):
        return PSDateTime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
                          tzinfo=value.tzinfo)
    if isinstance(value, datetime.timedelta):
        return PSDuration(seconds=value.total_seconds())
    if isinstance(value, dict):
        return PSDict({to_psrp(key): to_psrp(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return PSList([to_psrp(item) for item in value])
    if is_lab_object(value):
        obj = PSObject()
        obj.PSObject.type_names = list(value.type_names)
        obj.PSObject.to_string = value.to_string
        for name, item in value.properties.items():
            # Objects of .NET types (Hyper-V's) carry their properties as adapted properties (<Props>).
            obj.PSObject.adapted_properties.append(PSNoteProperty(name, to_psrp(item, getattr(value, 'declared', {}).get(name))))
        for name, item in getattr(value, 'extended', {}).items():
            # Members of the type data (alias and script properties) are extended members (<MS>).
            obj.PSObject.extended_properties.append(PSNoteProperty(name, to_psrp(item)))
        return obj
    if is_lab_enum(value):
        return _ENUMS.value(value.type_name, value.name, int(value.value))
    if is_lab_timespan(value):
        return PSDuration(seconds=float(value.seconds))
    return PSString(str(value))


def from_psrp(value: typing.Any) -> typing.Any:
    """psrpcore's deserialised parameter value -> plain Python (None, bool, int, float, str, list, dict)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return int(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.datetime):
        return datetime.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
                                 tzinfo=value.tzinfo)
    if isinstance(value, dict):
        return {from_psrp(key): from_psrp(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_psrp(item) for item in value]
    if isinstance(value, PSObject):
        # A property bag (e.g. [PSCustomObject]) arrives as PSObject: hand its properties over as a hashtable.
        props = list(value.PSObject.adapted_properties) + list(value.PSObject.extended_properties)
        if props:
            return {prop.name: from_psrp(prop.get_value(value)) for prop in props}
        return str(value)
    return str(value)


def remoting_object(value: typing.Any) -> typing.Any:
    """An output object as PowerShell serializes it for remoting, as psrpcore objects (the engine's serialization rules)."""
    from hvlab.engine.serialization import for_remoting  # pylint: disable=import-outside-toplevel  # the engine is optional at import time
    return to_psrp(for_remoting(value))


def to_clixml(value: typing.Any) -> str:
    """PSSerializer.Serialize(value, 1): the <Objs> document of one output object, as the WinRM runner writes it."""
    return serialize_clixml([remoting_object(value)], None)
