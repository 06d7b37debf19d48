# -*- coding: utf-8 -*-
"""The hostile suite as a property (issue 21): no module run ends in a Python exception, whatever its options hold.

test_bad_input_properties.py draws every option freely, so most of its runs stop at Ansible's own argument checks (a required
option missing, a wrong type). Here each module starts from its baseline (test_hostile_numbers.BASELINE: options that get it as
far as connecting) and one to three of its documented options, sub-options included, are replaced by hostile values drawn from
their spec: awkward strings (PowerShell and LDAP syntax, CLIXML escapes, wildcards, control and bidirectional characters, very
long text), huge, negative, infinite and NaN numbers, values outside the choices, wrong types. So the runs reach the modules'
own validation and name resolution. Every connection and name lookup is refused (run_module, no_lookups): no host, DC or Azure
is reached. Each run must end with exit_json, or fail_json with a message and no traceback; secrets never appear.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from test_bad_input_properties import MODULE_NAMES, SECRET, TRACEBACK, load, run_module, text
from test_hostile_numbers import baseline, no_lookups, options_of  # noqa: F401  pylint: disable=unused-import  # no_lookups: a fixture

AWKWARD_STRINGS = [
    '', ' ', "'", '"', '`', '$', '$(Get-Date)', '${env:PATH}', '@()', "'; Remove-VM -Name * -Force; '", '| Out-Null', '& calc.exe',
    '_x0000_', '_x001B_', '_X0041_', '*', '?', '[a]', '%', '\\\\server\\share\\..\\..', 'C:\\', '..', '(cn=*)', ')(|(cn=*', 'cn=a,dc=b',
    '\x00', '\x1b[31m', '\r\n', '\t', '\u202e', '\u200b', '\ufeff', '\ufffe', '\U0001F600', 'ä', 'İ', '-1', '1e400', 'NaN', 'inf',
    '0x10', ' 5 ', 'true', 'null', '{}', '[]', 'a' * 300, '0f8fad5b-d9cb-469f-a165-70867728950e', 'hv01', 'hv01.corp.example.com',
]
awkward_text = st.one_of(text, st.sampled_from(AWKWARD_STRINGS), st.tuples(text, st.sampled_from(AWKWARD_STRINGS), text).map(''.join))
hostile_number = st.one_of(st.integers(-10, 70000), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True, allow_infinity=True),
                           st.sampled_from(['inf', '-inf', 'nan', '1e400', ' 7 ', '0x10', '1_000']))
wrong_type = st.one_of(st.none(), st.booleans(), hostile_number, awkward_text, st.lists(awkward_text, max_size=2),
                       st.dictionaries(awkward_text, awkward_text, max_size=2))


def hostile_value(spec):
    """A value for an option of this spec: mostly of its type but hostile, sometimes of another type."""
    kind = spec.get('type', 'str')
    if spec.get('suboptions'):
        entry = st.fixed_dictionaries({}, optional={name: hostile_value(child) for name, child in spec['suboptions'].items()})
        right = st.lists(entry, min_size=1, max_size=2) if kind == 'list' else entry
    elif kind in ('int', 'float'):
        right = hostile_number
    elif kind == 'bool':
        right = st.one_of(st.booleans(), st.sampled_from(['yes', 'no', 'maybe', '', 2]))
    elif kind == 'list':
        right = st.lists(awkward_text, max_size=3)
    elif kind == 'dict':
        right = st.dictionaries(awkward_text, awkward_text, max_size=2)
    else:
        right = awkward_text
    if spec.get('choices'):
        right = st.one_of(st.sampled_from(list(spec['choices'])), right)
    return st.one_of(right, right, right, wrong_type)


def hostile_arguments(module_name):
    """The module's baseline with one to three of its options replaced by hostile values."""
    options = options_of(module_name)
    names = sorted(options)
    return st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({name: hostile_value(options[name]) for name in chosen})).map(
        lambda hostile: dict(baseline(module_name), **hostile))


@pytest.mark.parametrize('module_name', MODULE_NAMES)
def test_no_module_run_ends_in_a_python_exception(module_name, no_lookups, monkeypatch):  # pylint: disable=redefined-outer-name
    module = load(module_name)
    secret_options = [option for option in options_of(module_name) if option.endswith(('password', 'secret'))]

    @settings(max_examples=20, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(hostile_arguments(module_name))
    def check(arguments):
        arguments = dict(arguments, **dict.fromkeys([option for option in secret_options if option in arguments], SECRET))
        result, _guard = run_module(module, arguments, monkeypatch)
        if result.get('failed'):
            assert isinstance(result.get('msg'), str) and result['msg'].strip(), result
            assert TRACEBACK not in str(result.get('exception', '')), result['exception']
            assert not result['msg'].startswith('unexpected error'), result['msg']
        assert SECRET not in json.dumps(result), result

    check()  # pylint: disable=no-value-for-parameter
