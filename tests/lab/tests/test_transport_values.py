"""Wire forms of engine values: TimeSpan as .NET writes it, and an output object serialized as remoting serializes it."""

import datetime

import pytest

from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan
from hvlab.engine import serialization
from hvlab.transport.values import _serialize_duration, to_clixml


@pytest.mark.parametrize('seconds, text', [(90, 'PT1M30S'), (0, 'PT0S'), (0.5, 'PT0.5S'), (3600, 'PT1H'), (86400, 'P1D'),
                                           (93784.25, 'P1DT2H3M4.25S'), (5400, 'PT1H30M')])
def test_timespan_clixml(seconds, text):
    # psrpcore 0.3.1 writes 90 s as PT1M3S; the lab's replacement must not.
    assert _serialize_duration(datetime.timedelta(seconds=seconds)) == text


def _outer():
    inner = LabObject(['X.Inner', 'System.Object'], {'Span': LabTimeSpan(30.0)}, 'inner')
    properties = {'Kind': LabEnum('X.Kind', 'Kerberos', 1), 'Inner': inner, 'Inners': [inner],
                  'When': datetime.datetime(2024, 1, 2, 3, 4, 5), 'List': [1, 'a'], 'Span': LabTimeSpan(90.0)}
    return LabObject(['X.Outer', 'System.Object'], properties, 'outer')


def test_an_output_object_is_serialized_at_depth_one():
    # Replaces the runner JSON test, which kept nested objects (the runner's own conversion, not remoting's): a nested object and
    # an enum property are written as their ToString(), primitives and containers are kept (fragmentor.cs, serialization.cs).
    text = to_clixml(_outer())
    assert text.startswith('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">')
    assert '<S N="Kind">Kerberos</S>' in text and '<S N="Inner">inner</S>' in text and '<LST><S>inner</S></LST>' in text
    assert '<TS N="Span">PT1M30S</TS>' in text and '<I32>1</I32><S>a</S>' in text and 'X.Inner' not in text


def test_a_top_level_enum_keeps_its_type_and_a_cim_instance_is_always_depth_one():
    assert '<T>X.Kind</T>' in to_clixml(LabEnum('X.Kind', 'Kerberos', 1))
    cim = LabObject(['Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_X', 'System.Object'], {'Child': _outer()}, 'c')
    assert serialization.for_remoting(cim, depth=3).properties['Child'] == 'outer'


def test_a_depth_a_type_declares_replaces_the_depth_it_is_met_at(monkeypatch):
    monkeypatch.setitem(serialization.DECLARED_DEPTHS, 'X.Inner', 1)
    reduced = serialization.for_remoting(_outer())
    assert reduced.properties['Inner'].properties == {'Span': LabTimeSpan(30.0)}
    assert reduced.properties['Inners'][0].to_string == 'inner' and reduced.properties['Kind'] == 'Kerberos'
