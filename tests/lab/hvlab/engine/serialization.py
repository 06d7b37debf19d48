"""What an object looks like once PowerShell has serialized it for remoting, as engine values.

PowerShell's serializer (InternalSerializer.WriteOneObject, PowerShell's source) writes a remoting result at depth 1
(fragmentor.cs: SerializationDepthForRemoting = 1):

- a value of a primitive known type (string, numbers, bool, DateTime, TimeSpan, Guid, Version, ...) is written as it is, at
  any depth;
- a known container (array, list, dictionary) is written as a container at the depth it is met, its elements and values at
  that same depth;
- any other object at depth 0, and an enum value is one, is written as its ToString();
- any other object at a depth above 0 keeps its type names, its ToString() and its properties, which are written at depth - 1.

The top-level object is met at depth 1: its properties keep their values, but an object held by a property (or by an array
property) arrives as a string, and so does an enum property. A type may declare its own depth in the types data (the
SerializationDepth of types.ps1xml; GetDepthOfSerialization): wherever such an object is met, that depth replaces the one it
was met at. A CimInstance is always written at depth 1. No type the lab emits declares a depth that any source in reach
confirms (see docs/dev/fidelity.md); DECLARED_DEPTHS is where such a fact goes.

for_remoting() gives the object at depth 1 with everything written as a string already a str, so that the PSRP transport
(hvlab.transport.psrp) and the runner emulation (hvlab.transport.winrs, PSSerializer.Serialize(object, 1)) send the same thing.
"""

from __future__ import annotations

import datetime

from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan

REMOTING_DEPTH = 1
CIM_INSTANCE = 'Microsoft.Management.Infrastructure.CimInstance'
# type name -> the SerializationDepth its types data declares.
DECLARED_DEPTHS: dict[str, int] = {}

_PRIMITIVES = (str, bool, int, float, datetime.datetime, LabTimeSpan)


def _declared_depth(value: LabObject, depth: int) -> int:
    if any(name.split('#')[0] == CIM_INSTANCE for name in value.type_names):
        return 1
    for name in value.type_names:
        if DECLARED_DEPTHS.get(name, 0) > 0:
            return DECLARED_DEPTHS[name]
    return depth


def for_remoting(value, depth: int = REMOTING_DEPTH):
    """The value as the serializer writes it at ``depth`` (REMOTING_DEPTH for a pipeline's output object)."""
    if value is None or isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)):
        return [for_remoting(item, depth) for item in value]
    if isinstance(value, dict):
        return {key: for_remoting(item, depth) for key, item in value.items()}
    if isinstance(value, LabObject):
        depth = _declared_depth(value, depth)
        if depth <= 0:
            return value.to_string
        return LabObject(list(value.type_names), {name: for_remoting(item, depth - 1) for name, item in value.properties.items()},
                         value.to_string, dict(value.declared),
                         {name: for_remoting(item, depth - 1) for name, item in value.extended.items()})
    if isinstance(value, LabEnum):
        return value if depth > 0 else value.name
    return str(value)
