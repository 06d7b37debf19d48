# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Plain values returned by a host pipeline, the same for the psrp and the winrm transport.

pypsrp hands back its own CLIXML objects (GenericComplexObject, Enum-like objects, ISO-8601 durations, UUIDs);
the WinRM runner hands back the CLIXML PowerShell's serializer wrote for each output object (PSSerializer at the depth of
remoting). Both are normalised here by the same rules, so that modules never see a transport detail:
enum -> its name, TimeSpan -> seconds (float), DateTime -> its ISO-8601 text, Version/Guid -> string,
arrays -> lists, hashtables -> dicts, top-level objects -> PSObjectData.

A host serializes at depth 1: a top-level object keeps its properties, an object held by a property (and an enum
property) arrives as its ToString(). An object that still arrives with properties one level down (a type that declares a
deeper serialization) becomes a dict of its properties, up to MAX_DEPTH.
"""


import base64
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


def _generic_element(obj):
    """The CLIXML pypsrp deserialized a generic object from (it keeps it in _xml), or None."""
    xml_text = getattr(obj, '_xml', None)
    if not xml_text:
        return None
    try:
        return ElementTree.fromstring(xml_text)
    except ElementTree.ParseError:
        return None


def psrp_value(value, depth=1):
    """Convert a value deserialized by pypsrp to a plain Python value.

    A generic object is read again from the CLIXML pypsrp keeps for it, by the rules the runner's output is read with
    (_ClixmlReader): pypsrp's own objects lose what the element says - a TimeSpan's tag, the items of a generic List`1 of a
    type it does not know (Hyper-V's lists of drives come back as raw XML text). depth counts object nesting: a top-level
    object is 0, its property values 1; list items and dictionary values keep their container's depth.
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
        element = _generic_element(value)
        return _ClixmlReader().value(element, depth) if element is not None else value.to_string
    # Typed pypsrp complex objects (e.g. Color) and anything unknown: their ToString() is the faithful plain form.
    return str(value)


def psrp_key(key):
    return key if isinstance(key, (str, int, float, bool)) or key is None else str(psrp_value(key))


def psrp_output(value):
    """Convert one object of a pipeline's output stream: objects with properties become PSObjectData."""
    element = _generic_element(value) if _is_generic_object(value) else None
    if element is not None:
        return _output(_ClixmlReader(), element)
    return psrp_value(value, 0)


def psrp_raw(value):
    """An output object as the host serialized it: the CLIXML pypsrp kept for an object, else the plain value it gave."""
    return (getattr(value, '_xml', None) or value) if _is_generic_object(value) else value


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


# ---------------------------------------------------------------- CLIXML: the runner's output, and pypsrp's objects read again

_ESCAPED_CHARACTER = re.compile(r'_x([0-9A-Fa-f]{4})_')
_CONTAINER_TAGS = ('LST', 'IE', 'QUE', 'STK')
_INTEGER_TAGS = ('By', 'SB', 'U16', 'I16', 'U32', 'I32', 'U64', 'I64')
# Kept as the text the host wrote, as pypsrp keeps them: DateTime (ISO-8601), Decimal, Version.
_TEXT_TAGS = ('DT', 'D', 'Version')
_STRING_TAGS = ('S', 'ToString', 'URI', 'XD', 'SBK', 'SS')


def clixml_string(text):
    """A CLIXML string: _xHHHH_ stands for the UTF-16 code unit HHHH (control characters, surrogate pairs, '_x')."""
    if not text:
        return ''
    units = _ESCAPED_CHARACTER.sub(lambda match: chr(int(match.group(1), 16)), text)
    return units.encode('utf-16-le', 'surrogatepass').decode('utf-16-le', 'replace')


def _tag(element):
    return element.tag.rsplit('}', 1)[-1]


class _ClixmlReader:
    """One CLIXML document (the <Objs> PSSerializer writes) -> plain values, by the rules psrp_value applies to pypsrp's objects."""

    def __init__(self):
        self.type_names = {}
        self.objects = {}

    def value(self, element, depth):
        tag = _tag(element)
        text = element.text
        if tag in _STRING_TAGS:
            return clixml_string(text)
        if tag == 'Obj':
            return self.complex(element, depth)[0]
        if tag == 'Ref':
            return self.objects.get(element.attrib.get('RefId'))
        if tag == 'Nil':
            return None
        if tag == 'B':
            return (text or '').strip().lower() == 'true'
        if tag in _INTEGER_TAGS:
            return int(text)
        if tag in ('Sg', 'Db'):
            return float(text)
        if tag in _TEXT_TAGS:
            return text
        if tag == 'TS':
            return duration_to_seconds(text)
        if tag == 'G':
            return str(uuid.UUID(text.strip()))
        if tag == 'C':
            return chr(int(text))
        if tag == 'BA':
            return base64.b64decode(text or '').decode('utf-8', 'replace')
        return text

    def complex(self, element, depth):
        """(plain value, type names, ToString) of an <Obj>."""
        type_names, to_string, container, properties, primitives = [], None, None, {}, []
        for child in element:
            tag = _tag(child)
            if tag == 'TN':
                type_names = [strip_deserialized(item.text) for item in child]
                self.type_names[child.attrib.get('RefId')] = type_names
            elif tag == 'TNRef':
                type_names = self.type_names.get(child.attrib.get('RefId'), [])
            elif tag == 'ToString':
                to_string = clixml_string(child.text)
            elif tag in _CONTAINER_TAGS:
                container = [self.value(item, depth) for item in child]
            elif tag == 'DCT':
                container = dict((self._entry(entry, 'Key', depth), self._entry(entry, 'Value', depth)) for entry in child)
            elif tag in ('Props', 'MS'):
                for item in child:
                    properties[item.attrib.get('N')] = self.value(item, depth + 1)
            else:
                primitives.append(self.value(child, depth))
        if ENUM_TYPE in type_names:
            plain = to_string
        elif not properties:
            plain = container if container is not None else (primitives[0] if len(primitives) == 1 else to_string)
        elif depth >= MAX_DEPTH:
            plain = to_string
        else:
            plain = properties
        self.objects[element.attrib.get('RefId')] = plain
        return plain, type_names, to_string

    def _entry(self, entry, name, depth):
        item = next((child for child in entry if child.attrib.get('N') == name), None)
        return psrp_key(self.value(item, depth)) if name == 'Key' and item is not None else (
            None if item is None else self.value(item, depth))


def _output(reader, element):
    """A top-level output object: one with properties becomes PSObjectData, anything else its plain value."""
    if _tag(element) != 'Obj':
        return reader.value(element, 0)
    plain, type_names, to_string = reader.complex(element, 0)
    if isinstance(plain, dict) and ENUM_TYPE not in type_names and not _is_container_object(element):
        return PSObjectData(type_names, plain, to_string)
    return plain


def clixml_output(text):
    """One output object as PSSerializer wrote it (the runner's response) -> the same value psrp_output gives over PSRP."""
    root = ElementTree.fromstring(text)
    element = next(iter(root), None) if _tag(root) == 'Objs' else root
    return None if element is None else _output(_ClixmlReader(), element)


def _is_container_object(element):
    return any(_tag(child) in _CONTAINER_TAGS + ('DCT',) for child in element)


def runner_output(value):
    """An output value of the runner's response: the CLIXML of one object."""
    return clixml_output(value)


def runner_error(record):
    return ErrorRecordData(
        command=record.get('command'),
        message=record.get('message'),
        fully_qualified_error_id=record.get('fully_qualified_error_id'),
        category=record.get('category'),
        exception_type=record.get('exception_type'),
        target=record.get('target'),
    )
