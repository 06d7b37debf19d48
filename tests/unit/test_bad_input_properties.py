# -*- coding: utf-8 -*-
"""Property-based bad input for every module: each run validates cleanly or fails with a message, never a traceback.

Options are generated from each module's documented options (DOCUMENTATION, which ansible-test sanity keeps equal to
the argument spec): right types, wrong types, values outside the choices, missing required options, unknown options.
The module's main() runs in-process under ansible.module_utils.testing.patch_module_args with every outbound socket
connection refused (no host, DC or Azure can be touched); the outcome must be exit_json or fail_json with a non-empty
msg. Secrets given as options never appear in the output.
"""

import contextlib
import importlib
import io
import json
import pkgutil
import socket

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.module_utils.testing import patch_module_args

import ansible_collections.hyperv.mobility.plugins.modules as modules_package
from ansible_collections.hyperv.mobility.plugins.module_utils._host import errors

MODULE_NAMES = sorted(name for _unused1, name, _unused2 in pkgutil.iter_modules(modules_package.__path__))
SECRET = 'S3cret-never-printed'
TRACEBACK = 'Traceback (most recent call last)'


def documented_options(module):
    """{option: spec} of the module's own documented options (the doc fragments' options are validated the same way)."""
    return dict(yaml.safe_load(module.DOCUMENTATION).get('options') or {})


text = st.text(alphabet=st.characters(blacklist_categories=('Cs',)), max_size=12)
WRONG = st.one_of(st.none(), st.integers(-5, 5), text, st.booleans(), st.lists(text, max_size=2), st.dictionaries(text, text, max_size=2))


def value_for(spec):
    kind = spec.get('type', 'str')
    choices = spec.get('choices')
    right = {
        'str': text, 'path': text, 'raw': text, 'int': st.integers(-10, 70000), 'bool': st.booleans(), 'float': st.floats(allow_nan=False),
        'list': st.lists(text, max_size=3), 'dict': st.dictionaries(text, text, max_size=2),
    }.get(kind, text)
    if spec.get('elements') == 'dict' or spec.get('suboptions'):
        sub = spec.get('suboptions') or {}
        right = st.fixed_dictionaries({}, optional={name: value_for(child) for name, child in sub.items()})
        right = st.lists(right, max_size=2) if kind == 'list' else right
    if choices:
        right = st.one_of(st.sampled_from(list(choices)), right)
    return st.one_of(right, right, WRONG)


def arguments_for(options):
    optional = {name: value_for(spec) for name, spec in options.items()}
    return st.fixed_dictionaries({}, optional=optional).flatmap(
        lambda args: st.booleans().map(lambda unknown: dict(args, not_an_option=1) if unknown else args))


class NoNetwork:
    """Refuses every outbound connection and counts the attempts."""

    def __init__(self):
        self.attempts = 0

    def connect(self, *_):
        self.attempts += 1
        raise ConnectionRefusedError('no network in this test')


def run_module(module, arguments, monkeypatch):
    guard = NoNetwork()
    monkeypatch.setattr(socket.socket, 'connect', lambda sock, address: guard.connect(address))
    monkeypatch.setattr(socket.socket, 'connect_ex', lambda sock, address: guard.connect(address) or 111)
    monkeypatch.setattr(socket, 'create_connection', lambda *args, **kwargs: guard.connect(args))
    monkeypatch.setattr(errors.time, 'sleep', lambda seconds: None)  # retry backoff after a refused connection
    stdout = io.StringIO()
    with patch_module_args(arguments), contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
        module.main()
    return json.loads(stdout.getvalue()), guard


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_any_options_validate_or_fail_with_a_message(name, monkeypatch):
    module = importlib.import_module('%s.%s' % (modules_package.__name__, name))
    options = documented_options(module)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(arguments_for(options))
    def check(arguments):
        arguments = dict(arguments)
        for secret_option in ('hyperv_password', 'ad_password', 'client_secret', 'secret'):
            if secret_option in options:
                arguments[secret_option] = SECRET
        result, _unused = run_module(module, arguments, monkeypatch)
        if result.get('failed'):
            assert isinstance(result.get('msg'), str) and result['msg'].strip(), result
            assert TRACEBACK not in str(result.get('exception', '')), result['exception']
        assert SECRET not in json.dumps(result), result

    check()  # pylint: disable=no-value-for-parameter


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_missing_required_options_fail_before_any_connection(name, monkeypatch):
    module = importlib.import_module('%s.%s' % (modules_package.__name__, name))
    required = [option for option, spec in documented_options(module).items() if spec.get('required')]
    result, guard = run_module(module, {}, monkeypatch)
    if required:
        assert result['failed'] and 'missing required arguments' in result['msg'], result
        assert guard.attempts == 0
