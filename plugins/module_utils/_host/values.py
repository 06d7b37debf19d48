# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Plain values returned by a host pipeline, the same for the psrp and the winrm transport.

pypsrp hands back its own CLIXML objects (GenericComplexObject, Enum-like objects, ISO-8601 durations, UUIDs);
the WinRM runner hands back JSON. Both are normalised here so that modules never see a transport detail:
enum -> its name, TimeSpan -> seconds (float), DateTime -> ISO-8601 string, Version/Guid -> string,
arrays -> lists, hashtables -> dicts, nested objects -> dicts of their properties,
top-level objects -> PSObjectData.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import re
import uuid
from xml.etree import ElementTree
from queue import Queue

# PowerShell remoting prefixes the type names of objects that went through serialization.
DESERIALIZED_PREFIX = 'Deserialized.'
ENUM_TYPE = 'System.Enum'
# How deep nested objects are expanded; the WinRM runner uses the same bound (contracts.md: depth <= 4).
MAX_DEPTH = 4

_DURATION = re.compile(
    r'^(?P<sign>-)?P(?:(?P<days>\d+(?:\.\d+)?)D)?'
    r'(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$'
)


class PSObjectData:
    """One object written to the output stream: its type names (most-derived first), properties and ToString()."""

    def __init__(self, type_names, properties, to_string=None):
        self.type_names = list(type_names)
        self.properties = dict(properties)
        self.to_string = to_string

    def is_type(self, type_name):
        return type_name.lower() in (name.lower() for name in self.type_names)

    def get(self, name, default=None):
        return self.properties.get(name, default)

    def __getitem__(self, name):
        return self.properties[name]

    def to_dict(self):
        return dict(self.properties)

    def __eq__(self, other):
        if not isinstance(other, PSObjectData):
            return NotImplemented
        return (self.type_names, self.properties, self.to_string) == (other.type_names, other.properties, other.to_string)

    def __repr__(self):
        return 'PSObjectData(type_names=%r, properties=%r, to_string=%r)' % (self.type_names, self.properties, self.to_string)


class ErrorRecordData:
    """One PowerShell error record, reduced to what a failure message needs."""

    def __init__(self, command, message, fully_qualified_error_id, category=None, exception_type=None, target=None):
        self.command = command
        self.message = message
        self.fully_qualified_error_id = fully_qualified_error_id
        self.category = category
        self.exception_type = exception_type
        self.target = target

    def to_dict(self):
        return {
            'command': self.command,
            'message': self.message,
            'fully_qualified_error_id': self.fully_qualified_error_id,
            'category': self.category,
            'exception_type': self.exception_type,
            'target': self.target,
        }

    def __eq__(self, other):
        if not isinstance(other, ErrorRecordData):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self):
        return 'ErrorRecordData(%r)' % (self.to_dict(),)


def strip_deserialized(type_name):
    """'Deserialized.Microsoft.HyperV.PowerShell.VMHost' -> 'Microsoft.HyperV.PowerShell.VMHost'."""
    if type_name and type_name.startswith(DESERIALIZED_PREFIX):
        return type_name[len(DESERIALIZED_PREFIX):]
    return type_name


def duration_to_seconds(text):
    """An xs:duration as CLIXML writes a TimeSpan (e.g. 'PT1M30.5S', 'P1DT2H') -> seconds as float."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError('not an ISO-8601 duration: %r' % (text,))
    parts = match.groupdict()
    seconds = (float(parts['days'] or 0) * 86400 + float(parts['hours'] or 0) * 3600
               + float(parts['minutes'] or 0) * 60 + float(parts['seconds'] or 0))
    return -seconds if parts['sign'] else seconds


# ---------------------------------------------------------------- psrp (pypsrp objects)

def _is_generic_object(value):
    # Duck-typed so this module imports without pypsrp (sanity tests import every module_utils file).
    return hasattr(value, 'adapted_properties') and hasattr(value, 'extended_properties') and hasattr(value, 'types')


def _timespan_property_names(obj):
    """Names of the properties serialized as <TS> (TimeSpan).

    pypsrp returns a TimeSpan as its raw xs:duration text, indistinguishable from a string, but keeps the object's
    CLIXML in _xml: the element tags there say which properties are TimeSpans.
    """
    xml_text = getattr(obj, '_xml', None)
    if not xml_text:
        return frozenset()
    try:
        element = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError:
        return frozenset()
    return frozenset(child.attrib.get('N') for child in element.findall('Props/TS') + element.findall('MS/TS'))


def _psrp_properties(obj, depth):
    properties = {}
    timespans = _timespan_property_names(obj)
    # Adapted properties (Props) are the .NET ones; extended ones (MS) are added by PowerShell. Hyper-V objects use both.
    for source in (obj.adapted_properties, obj.extended_properties):
        for name, value in source.items():
            if name in timespans and isinstance(value, str):
                properties[name] = duration_to_seconds(value)
            else:
                properties[name] = psrp_value(value, depth + 1)
    return properties


def psrp_value(value, depth=1):
    """Convert a value deserialized by pypsrp to a plain Python value.

    depth counts object nesting the way the WinRM runner does: a top-level object is 0, its property values 1;
    list items and dictionary values keep their container's depth; an object at MAX_DEPTH becomes its ToString().
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, dict):
        return dict((psrp_key(key), psrp_value(item, depth)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [psrp_value(item, depth) for item in value]
    if isinstance(value, Queue):
        return [psrp_value(item, depth) for item in list(value.queue)]
    if _is_generic_object(value):
        return _psrp_generic_value(value, depth)
    # Typed pypsrp complex objects (e.g. Color) and anything unknown: their ToString() is the faithful plain form.
    return str(value)


def psrp_key(key):
    return key if isinstance(key, (str, int, float, bool)) or key is None else str(psrp_value(key))


def _psrp_generic_value(obj, depth):
    type_names = [strip_deserialized(name) for name in obj.types]
    if ENUM_TYPE in type_names:
        # <Obj><TN>..System.Enum..</TN><ToString>Kerberos</ToString><I32>1</I32></Obj>: the name is the ToString().
        return obj.to_string
    if not obj.adapted_properties and not obj.extended_properties:
        # A primitive wrapped in an Obj (e.g. a string with notes) or a collection pypsrp did not recognise.
        if len(obj.property_sets) == 1:
            return psrp_value(obj.property_sets[0], depth)
        return obj.to_string
    if depth >= MAX_DEPTH:
        return obj.to_string
    return _psrp_properties(obj, depth)


def psrp_output(value):
    """Convert one object of a pipeline's output stream: objects with properties become PSObjectData."""
    if _is_generic_object(value):
        converted = _psrp_generic_value(value, 0)
        if isinstance(converted, dict):
            return PSObjectData([strip_deserialized(name) for name in value.types], converted, value.to_string)
        return converted
    return psrp_value(value, 0)


def psrp_error(record, command):
    """A pypsrp ErrorRecord(Message) -> ErrorRecordData.

    command is the cmdlet the record belongs to when the invocation info does not say (binding errors have none).
    """
    invoked = _invoked_command(record)
    exception = getattr(record, 'exception', None)
    message = None
    exception_type = None
    if _is_generic_object(exception):
        message = exception.adapted_properties.get('Message') or exception.extended_properties.get('Message')
        exception_type = strip_deserialized(exception.types[0]) if exception.types else None
    if not message:
        message = getattr(record, 'details_message', None) or (str(record) if record is not None else '')
    category_name = None if getattr(record, 'category', None) is None else _error_category_name(record)
    target = getattr(record, 'target_object', None)
    return ErrorRecordData(
        command=str(invoked) if invoked else command,
        message=message,
        fully_qualified_error_id=getattr(record, 'fq_error', None),
        category=category_name,
        exception_type=exception_type,
        target=None if target is None else str(psrp_value(target)),
    )


def _invoked_command(record):
    """The cmdlet named by an error record's invocation info (flattened extended info, or the InvocationInfo object)."""
    name = getattr(record, 'invocation_name', None)
    if name:
        return name
    invocation = getattr(record, 'invocation_info', None)
    if not _is_generic_object(invocation):
        return None
    properties = dict(invocation.extended_properties, **invocation.adapted_properties)
    my_command = properties.get('MyCommand')
    if _is_generic_object(my_command):
        my_command = my_command.adapted_properties.get('Name') or my_command.extended_properties.get('Name') or my_command.to_string
    return my_command or properties.get('InvocationName') or None


# System.Management.Automation.ErrorCategory, as PowerShell numbers it.
ERROR_CATEGORIES = (
    'NotSpecified', 'OpenError', 'CloseError', 'DeviceError', 'DeadlockDetected', 'InvalidArgument', 'InvalidData',
    'InvalidOperation', 'InvalidResult', 'InvalidType', 'MetadataError', 'NotImplemented', 'NotInstalled',
    'ObjectNotFound', 'OperationStopped', 'OperationTimeout', 'SyntaxError', 'ParserError', 'PermissionDenied',
    'ResourceBusy', 'ResourceExists', 'ResourceUnavailable', 'ReadError', 'WriteError', 'FromStdErr', 'SecurityError',
    'ProtocolError', 'ConnectionError', 'AuthenticationError', 'LimitsExceeded', 'QuotaExceeded', 'NotEnabled',
)


def _error_category_name(record):
    category = record.category
    if isinstance(category, int) and 0 <= category < len(ERROR_CATEGORIES):
        return ERROR_CATEGORIES[category]
    return str(category)


# ---------------------------------------------------------------- winrm (runner JSON)

def _is_runner_object(value):
    return isinstance(value, dict) and set(value) == {'type_names', 'to_string', 'properties'}


def runner_value(value):
    """A nested value of the runner's JSON: objects become dicts of their (converted) properties."""
    if _is_runner_object(value):
        return dict((name, runner_value(item)) for name, item in (value['properties'] or {}).items())
    if isinstance(value, dict):
        return dict((name, runner_value(item)) for name, item in value.items())
    if isinstance(value, list):
        return [runner_value(item) for item in value]
    return value


def runner_output(value):
    if _is_runner_object(value):
        return PSObjectData(value['type_names'] or [], runner_value(value), value['to_string'])
    return runner_value(value)


def runner_error(record):
    return ErrorRecordData(
        command=record.get('command'),
        message=record.get('message'),
        fully_qualified_error_id=record.get('fully_qualified_error_id'),
        category=record.get('category'),
        exception_type=record.get('exception_type'),
        target=record.get('target'),
    )
