# -*- coding: utf-8 -*-
"""Real pypsrp objects for the tests: values are serialised to CLIXML with psrpcore (as a PSRP server does) and read
back with pypsrp's own deserializer, so the conversion code sees exactly what a pipeline returns."""

import datetime
from xml.etree import ElementTree

from psrpcore.types import (
    ErrorCategory, ErrorCategoryInfo, ErrorRecord, InvocationInfo, NETException, PSBool, PSDict, PSDouble, PSDuration,
    PSEnumBase, PSGuid, PSInt, PSList, PSNoteProperty, PSObject, PSString, PSType, PSUInt, PSVersion, serialize, serialize_clixml,
)
from pypsrp.complex_objects import ObjectMeta
from pypsrp.messages import ErrorRecordMessage
from pypsrp.serializer import Serializer


class Enum:
    def __init__(self, type_name, name, value):
        self.type_name, self.name, self.value = type_name, name, value


class TimeSpan:
    def __init__(self, seconds):
        self.seconds = seconds


class Obj:
    def __init__(self, type_names, properties, to_string=None):
        self.type_names, self.properties, self.to_string = type_names, properties, to_string or type_names[0]


def _enum(value):
    meta = type(PSEnumBase)
    short = value.type_name.rsplit('.', 1)[-1]
    namespace = meta.__prepare__(short, (PSEnumBase,))
    namespace[value.name] = value.value
    cls = PSType([value.type_name], rehydrate=False)(meta(short, (PSEnumBase,), namespace))
    return cls(value.value)


def to_psrpcore(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return PSBool(value)
    if isinstance(value, int):
        return PSInt(value)
    if isinstance(value, float):
        return PSDouble(value)
    if isinstance(value, str):
        return PSString(value)
    if isinstance(value, dict):
        return PSDict({to_psrpcore(k): to_psrpcore(v) for k, v in value.items()})
    if isinstance(value, list):
        return PSList([to_psrpcore(v) for v in value])
    if isinstance(value, Enum):
        return _enum(value)
    if isinstance(value, TimeSpan):
        return PSDuration(seconds=value.seconds)
    if isinstance(value, Obj):
        obj = PSObject()
        obj.PSObject.type_names = list(value.type_names)
        obj.PSObject.to_string = value.to_string
        for name, item in value.properties.items():
            obj.PSObject.adapted_properties.append(PSNoteProperty(name, to_psrpcore(item)))
        return obj
    return value  # already a psrpcore value (PSGuid, PSVersion, PSUInt, datetime ...)


def clixml(value):
    return ElementTree.tostring(serialize(to_psrpcore(value), None), encoding='unicode')


def clixml_document(value):
    """The <Objs> document PSSerializer.Serialize writes for one object: what the WinRM runner returns per output object."""
    return serialize_clixml([to_psrpcore(value)], None)


def pypsrp_object(value):
    """value -> CLIXML (psrpcore) -> pypsrp's deserialized object."""
    return Serializer().deserialize(clixml(value))


def pypsrp_error_record(message, fq_error_id, category, exception_type, command, target=None):
    exception = NETException(Message=message)
    exception.PSObject.type_names = [exception_type] + [n for n in exception.PSTypeNames if n != exception_type]
    invocation = InvocationInfo(InvocationName=command, PipelineLength=1, PipelinePosition=1, HistoryId=1, Line='',
                                PositionMessage='', ScriptName='', ScriptLineNumber=0, OffsetInLine=0,
                                ExpectingInput=False, CommandOrigin=None)
    record = ErrorRecord(Exception=exception, CategoryInfo=ErrorCategoryInfo(Category=ErrorCategory[category]),
                         FullyQualifiedErrorId=fq_error_id, InvocationInfo=invocation, TargetObject=target)
    xml = ElementTree.tostring(serialize(record, None), encoding='unicode')
    return Serializer().deserialize(xml, ObjectMeta('Obj', object=ErrorRecordMessage))


__all__ = ['Enum', 'TimeSpan', 'Obj', 'clixml', 'clixml_document', 'pypsrp_object', 'pypsrp_error_record', 'PSGuid', 'PSVersion', 'PSUInt', 'datetime']
