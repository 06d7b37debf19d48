"""Wire forms of engine values (TimeSpan as .NET writes it; runner JSON per the contract)."""

import datetime

import pytest

from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan
from hvlab.transport.values import _serialize_duration, to_runner_json


@pytest.mark.parametrize('seconds, text', [(90, 'PT1M30S'), (0, 'PT0S'), (0.5, 'PT0.5S'), (3600, 'PT1H'), (86400, 'P1D'),
                                           (93784.25, 'P1DT2H3M4.25S'), (5400, 'PT1H30M')])
def test_timespan_clixml(seconds, text):
    # psrpcore 0.3.1 writes 90 s as PT1M3S; the lab's replacement must not.
    assert _serialize_duration(datetime.timedelta(seconds=seconds)) == text


def test_runner_json_conversion():
    inner = LabObject(['X.Inner', 'System.Object'], {'Span': LabTimeSpan(30.0)}, 'inner')
    value = LabObject(['X.Outer', 'System.Object'], {'Kind': LabEnum('X.Kind', 'Kerberos', 1), 'Inner': inner,
                                                     'When': datetime.datetime(2024, 1, 2, 3, 4, 5), 'List': [1, 'a']}, 'outer')
    assert to_runner_json(value) == {
        'type_names': ['X.Outer', 'System.Object'], 'to_string': 'outer',
        'properties': {'Kind': 'Kerberos', 'When': '2024-01-02T03:04:05', 'List': [1, 'a'],
                       'Inner': {'type_names': ['X.Inner', 'System.Object'], 'to_string': 'inner', 'properties': {'Span': 30.0}}}}
