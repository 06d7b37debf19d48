# -*- coding: utf-8 -*-
"""Property-based bad input for every module: each run validates cleanly or fails with a message, never a traceback.

Options are generated from each module's documented options - its own and those of the doc fragments it extends, as
ansible-doc shows them, which ansible-test sanity keeps equal to the argument spec: right types, wrong types, values outside
the choices, missing required options, unknown options. The documentation is the contract: a module whose code loses a
check it documents (a required option, a choice) fails here, whatever its argument spec says.
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
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

import ansible_collections.hyperv.mobility.plugins.modules as modules_package
from ansible_collections.hyperv.mobility.plugins.module_utils._host import errors, session

MODULE_NAMES = sorted(name for _unused1, name, _unused2 in pkgutil.iter_modules(modules_package.__path__))
SECRET = 'S3cret-never-printed'
TRACEBACK = 'Traceback (most recent call last)'


def documented_options(module):
    """{option: spec} of every option the module documents, with those of its doc fragments (hyperv_host, vault_name, ...)."""
    doc = get_docstring(module.__file__, fragment_loader, collection_name='hyperv.mobility', is_module=True)[0]
    return dict(doc.get('options') or {})


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


class RetryOnceWithoutWaiting(errors.RetryPolicy):
    """The host session's retry policy (the same checks of hyperv_retries) without its waits and with at most one retry: every
    attempt meets the same refused connection, and hyperv_retries may be drawn as high as 70000."""

    def __init__(self, retries=3, **_unused):
        super().__init__(retries=retries, sleep=lambda seconds: None)
        self.retries = min(self.retries, 1)


def run_module(module, arguments, monkeypatch):
    guard = NoNetwork()
    monkeypatch.setattr(socket.socket, 'connect', lambda sock, address: guard.connect(address))
    monkeypatch.setattr(socket.socket, 'connect_ex', lambda sock, address: guard.connect(address) or 111)
    monkeypatch.setattr(socket, 'create_connection', lambda *args, **kwargs: guard.connect(args))
    monkeypatch.setattr(errors.time, 'sleep', lambda seconds: None)  # the Azure SDK's and MSAL's retry backoff
    monkeypatch.setattr(session, 'RetryPolicy', RetryOnceWithoutWaiting)
    stdout = io.StringIO()
    with patch_module_args(arguments), contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
        module.main()
    return json.loads(stdout.getvalue()), guard


def load(name):
    return importlib.import_module('%s.%s' % (modules_package.__name__, name))


def check_any_options_validate_or_fail_with_a_message(name, monkeypatch):
    module = load(name)
    options = documented_options(module)
    secret_options = [option for option in options if option.endswith(('password', 'secret'))]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(arguments_for(options))
    def check(arguments):
        arguments = dict(arguments, **dict.fromkeys(secret_options, SECRET))
        result, _unused = run_module(module, arguments, monkeypatch)
        if result.get('failed'):
            assert isinstance(result.get('msg'), str) and result['msg'].strip(), result
            assert TRACEBACK not in str(result.get('exception', '')), result['exception']
        assert SECRET not in json.dumps(result), result

    check()  # pylint: disable=no-value-for-parameter


# Modules whose account is one of several options (required_one_of), none of them required alone.
ONE_OF_REQUIRED = {'kerberos_delegation': ('computer', 'computers')}


def check_missing_required_options_fail_before_any_connection(name, monkeypatch):
    required = sorted(option for option, spec in documented_options(load(name)).items() if spec.get('required'))
    if name in ONE_OF_REQUIRED:
        assert not required, '%s documents a required option: drop it from ONE_OF_REQUIRED' % name
        result, guard = run_module(load(name), {}, monkeypatch)
        assert result['failed'] and 'one of the following is required: %s' % ', '.join(ONE_OF_REQUIRED[name]) in result['msg'], result
        assert guard.attempts == 0
        return
    assert required, '%s documents no required option: every module needs at least a host, a vault or an account' % name
    result, guard = run_module(load(name), {}, monkeypatch)
    assert result['failed'] and 'missing required arguments' in result['msg'], result
    assert [option for option in required if option not in result['msg']] == [], result['msg']
    assert guard.attempts == 0


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_any_options_validate_or_fail_with_a_message(name, monkeypatch):
    check_any_options_validate_or_fail_with_a_message(name, monkeypatch)


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_missing_required_options_fail_before_any_connection(name, monkeypatch):
    check_missing_required_options_fail_before_any_connection(name, monkeypatch)


def without_in_every_spec(monkeypatch, key):
    """From now on every AnsibleModule is built without ``key`` in its options' specs: a module whose code lost that check."""
    original = basic.AnsibleModule.__init__

    def init(self, argument_spec, *args, **kwargs):
        original(self, {name: {k: v for k, v in spec.items() if k != key} for name, spec in argument_spec.items()}, *args, **kwargs)
    monkeypatch.setattr(basic.AnsibleModule, '__init__', init)


@pytest.mark.parametrize('name', ['live_migration', 'asr_replication_policy_info'])  # no required option of their own, only the fragments'
def test_a_module_that_loses_its_required_options_fails_the_required_test(name, monkeypatch):
    without_in_every_spec(monkeypatch, 'required')
    with pytest.raises(AssertionError):
        check_missing_required_options_fail_before_any_connection(name, monkeypatch)


@pytest.mark.parametrize('name', ['live_migration', 'asr_hyperv_site'])
def test_a_module_that_loses_no_log_fails_the_secret_test(name, monkeypatch):
    without_in_every_spec(monkeypatch, 'no_log')
    with pytest.raises(AssertionError, match=SECRET):
        check_any_options_validate_or_fail_with_a_message(name, monkeypatch)


def test_a_wrong_type_for_an_option_with_sub_options_hides_the_parameters(monkeypatch):
    """ansible-core stops collecting no_log values at such an option (ansible/ansible#81672): the failure must not return them."""
    result, guard = run_module(load('live_migration'), {'hyperv_host': 'hv01', 'hyperv_password': SECRET, 'networks': 0}, monkeypatch)
    assert result['failed'] and 'networks' in result['msg'] and guard.attempts == 0
    assert result['invocation'] == {'module_args': 'HIDDEN DUE TO FAILURE'} and SECRET not in json.dumps(result)


def test_a_number_for_a_dict_option_is_a_message_naming_it(monkeypatch):
    """ansible-core's validator raises a TypeError on it (ansible/ansible#81631); the module names the option and its sub-options."""
    result, guard = run_module(load('vm_migrate'), {'hyperv_host': 'hv01', 'hyperv_password': SECRET, 'name': 'app01', 'destination': 'hv02',
                                                    'destination_connection': 0}, monkeypatch)
    assert result['failed'] and guard.attempts == 0 and SECRET not in json.dumps(result)
    assert result['msg'].startswith('destination_connection must be a dictionary of its sub-options (') and 'password' in result['msg']


@pytest.mark.parametrize('module, arguments, named', [
    ('asr_hyperv_site', {'name': 'site-hq', 'vault_name': 'v', 'resource_group': 'rg', 'poll_interval': 'INFINITY'}, 'poll_interval'),
    ('asr_host_registration', {'hyperv_host': 'hv01', 'hyperv_password': SECRET, 'vault_name': 'v', 'resource_group': 'rg', 'site': 'hq',
                               'friendly_name': 'hv01', 'proxy_port': '-inf'}, 'proxy_port'),
    ('live_migration', {'hyperv_host': 'hv01', 'hyperv_password': SECRET, 'networks': [{'subnet': '10.0.0.0/24', 'priority': float('inf')}]},
     'networks[0].priority'),
])
def test_an_infinity_for_an_int_option_is_a_message_naming_it(module, arguments, named, monkeypatch):
    """ansible-core's check_type_int overflows on it (fixed by ansible/ansible#87253, after 2.19); the module names the option."""
    result, guard = run_module(load(module), arguments, monkeypatch)
    assert result['failed'] and guard.attempts == 0 and SECRET not in json.dumps(result)
    assert result['msg'].startswith('%s must be a whole number, not an infinity' % named), result['msg']
    assert TRACEBACK not in str(result.get('exception', ''))


@pytest.mark.parametrize('host', ['[]', 'hv01 hv02', 'hv01/wsman'])
def test_a_host_no_url_can_hold_fails_naming_it_before_any_connection(host, monkeypatch):
    """urllib raises a bare ValueError on a host such as '[]' while pypsrp or pywinrm builds the endpoint URL."""
    result, guard = run_module(load('host_info'), {'hyperv_host': host, 'hyperv_password': SECRET}, monkeypatch)
    assert result['failed'] and guard.attempts == 0 and SECRET not in json.dumps(result)
    assert result['msg'].startswith("Cannot reach Hyper-V host: %r is not a host name" % host), result['msg']
