# -*- coding: utf-8 -*-
"""The AWX examples in docs/awx match AWX and the collection: AWX accepts the credential types (the checks of awx/main/fields.py)
and injects them with its own code (awx-plugins' inject_credential) from the inputs given only; what they inject reaches the
modules' options below the inventory and stays secure when only the required fields are given; job templates run playbooks that
exist, with extra_vars and survey answers that the playbooks' roles accept (validated with the roles' own meta/argument_specs.yml);
schedules name job templates that exist; the apply playbook creates everything the templates name."""

import glob
import os
import re

import jinja2
import jinja2.sandbox
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from awx_plugins.interfaces._temporary_private_inject_api import ENV_BLOCKLIST

from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import CONNECTION_ARGUMENT_SPEC
from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import AD_ARGUMENT_SPEC
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AZURE_AUTH_ARGUMENT_SPEC, KNOWN_CLOUDS

from awx_emulation import inject  # pylint: disable=import-error
from collection_path import REPO_ROOT

AWX = os.path.join(REPO_ROOT, 'docs', 'awx')
CREDENTIAL_TYPES = sorted(glob.glob(os.path.join(AWX, 'credential_types', '*.yml')))
JOB_TEMPLATES = sorted(glob.glob(os.path.join(AWX, 'job_templates', '*.yml')))
SCHEDULES = sorted(glob.glob(os.path.join(AWX, 'schedules', '*.yml')))
WORKFLOW_TEMPLATES = sorted(glob.glob(os.path.join(AWX, 'workflow_templates', '*.yml')))
IDENTIFIER = re.compile(r'\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()')


def load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def sole_field(value):
    """The field a template is nothing but (``{{ field }}`` or ``{{ field or 'default' }}``), else None."""
    match = re.fullmatch(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)(\s+or\s+'[^']*')?\s*}}", str(value))
    return match.group(1) if match else None


def environment_options():
    """Environment variable -> (option, spec) of the argument specs whose fallbacks read it (host connection, AD, Azure)."""
    mapping = {}
    for spec in (CONNECTION_ARGUMENT_SPEC, AD_ARGUMENT_SPEC, AZURE_AUTH_ARGUMENT_SPEC):
        for option, option_spec in spec.items():
            fallback = option_spec.get('fallback')
            if fallback:
                for name in fallback[1]:
                    mapping[name] = (option, option_spec)
    return mapping


# ---------------------------------------------------------------- credential types, as AWX creates and injects them

# Keys AWX accepts for an input field, and the field types (awx/main/fields.py, CredentialTypeInputField's schema).
FIELD_KEYS = {'id', 'label', 'type', 'help_text', 'multiline', 'secret', 'ask_at_runtime', 'default', 'choices', 'format'}
STRING_ONLY_KEYS = ('choices', 'multiline', 'format', 'secret')


def awx_validation_problems(credential_type):
    """What AWX refuses when the type is created (awx/main/fields.py: CredentialTypeInputField, CredentialTypeInjectorField)."""
    problems = []
    fields = credential_type['inputs']['fields']
    ids = [field['id'] for field in fields]
    if len(set(ids)) != len(ids) or 'tower' in ids:
        problems.append('field ids must be unique and not "tower"')
    for field in fields:
        if set(field) - FIELD_KEYS or not field.get('label'):
            problems.append('%s: keys %s' % (field['id'], sorted(set(field) - FIELD_KEYS)))
        kind = field.get('type', 'string')
        if kind not in ('string', 'boolean'):
            problems.append('%s: type %s' % (field['id'], kind))
        # AWX compares the exact type: a boolean default of a string field (or 1 for true) is refused.
        if 'default' in field and type(field['default']) is not {'string': str, 'boolean': bool}[kind]:  # pylint: disable=unidiomatic-typecheck
            problems.append('%s: default is not a %s' % (field['id'], kind))
        problems += ['%s: %s not allowed for a boolean' % (field['id'], key) for key in STRING_ONLY_KEYS if key in field and kind != 'string']
    if not set(credential_type['inputs'].get('required', [])) <= set(ids):
        problems.append('required names an undeclared field')
    injectors = credential_type['injectors']
    files = [name for name in injectors.get('file', {}) if name.startswith('template')]
    for name in injectors.get('env', {}):
        if name.startswith('ANSIBLE_'):
            problems.append('Environment variable %s may affect Ansible configuration so its use is not allowed in credentials.' % name)
        if name in ENV_BLOCKLIST:
            problems.append('Environment variable %s is not allowed to be used in credentials.' % name)
    # Every template renders with every field set and StrictUndefined; tower.filename.<name> exists only for a file injector.
    namespace = dict((field_id, 'EXAMPLE') for field_id in ids)
    namespace['tower'] = {'filename': dict((name.split('.', 1)[1], 'EXAMPLE_FILENAME') for name in files if '.' in name)}
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    for section in ('file', 'env', 'extra_vars'):
        for name, template in injectors.get(section, {}).items():
            try:
                environment.from_string(template).render(namespace)
            except jinja2.exceptions.UndefinedError as error:
                problems.append('%s uses an undefined field (%s)' % (name, error))
    return problems


def required_inputs(credential_type):
    """A credential created through AWX's API with the required fields only (no defaults filled in: AWX fills none)."""
    fields = dict((field['id'], field) for field in credential_type['inputs']['fields'])
    return dict((name, 'given-%s' % name) for name in credential_type['inputs'].get('required', []) if fields[name]['type'] == 'string')


def every_input(credential_type):
    values = {}
    for field in credential_type['inputs']['fields']:
        if field['type'] == 'boolean':
            values[field['id']] = True
        else:
            values[field['id']] = (field.get('choices') or ['given-%s' % field['id']])[-1]
    return values


def options_from_environment(monkeypatch, env):
    """The module options each argument spec takes from this environment (its fallbacks), as the modules would see them."""
    for name in environment_options():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = {}
    for spec, params in ((CONNECTION_ARGUMENT_SPEC, {'hyperv_host': 'hv01'}), (AD_ARGUMENT_SPEC, {}), (AZURE_AUTH_ARGUMENT_SPEC, {})):
        result = ArgumentSpecValidator(spec).validate(params)
        assert not result.error_messages, result.error_messages
        values.update(result.validated_parameters)
    return values


def test_there_are_examples_of_each_kind():
    assert len(CREDENTIAL_TYPES) >= 3 and len(JOB_TEMPLATES) >= 5 and SCHEDULES


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=os.path.basename)
def test_awx_accepts_the_credential_type(path):
    credential_type = load(path)
    assert credential_type['kind'] == 'cloud' and credential_type['name']
    assert awx_validation_problems(credential_type) == []


def test_awx_validation_refuses_what_awx_refuses():
    refused = {'name': 'x', 'kind': 'cloud', 'inputs': {'fields': [{'id': 'flag', 'label': 'Flag', 'type': 'boolean', 'secret': True}]},
               'injectors': {'env': {'ANSIBLE_AZURE_AUTH_SOURCE': 'env', 'PATH': '/x', 'X': '{{ tower.filename.ca }}'}}}
    assert awx_validation_problems(refused) == [
        'flag: secret not allowed for a boolean',
        'Environment variable ANSIBLE_AZURE_AUTH_SOURCE may affect Ansible configuration so its use is not allowed in credentials.',
        'Environment variable PATH is not allowed to be used in credentials.',
        "X uses an undefined field ('dict object' has no attribute 'ca')"]


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=os.path.basename)
def test_credential_injects_only_variables_below_the_inventory(path, tmp_path):
    """AWX injects every variable of a type, a left-out input rendering empty. Extra variables would beat each host's inventory
    variables (an empty CA hid every host's own); environment variables are the modules' last source."""
    credential_type = load(path)
    assert set(credential_type['injectors']) <= {'env', 'file'}
    environment = environment_options()
    for inputs in (required_inputs(credential_type), every_input(credential_type)):
        env, args = inject(credential_type, inputs, str(tmp_path))
        assert args == []
        assert set(env) - {'REQUESTS_CA_BUNDLE'} <= set(environment), set(env) - set(environment)


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=os.path.basename)
def test_a_credential_with_the_required_fields_only_stays_secure(path, tmp_path, monkeypatch):
    """Created through the API with the required fields only: AWX injects no default and turns a boolean that was not given into
    false. Every option the injected variables reach still validates, certificates are still validated, and nothing is empty."""
    credential_type = load(path)
    env, _args = inject(credential_type, required_inputs(credential_type), str(tmp_path))
    options = options_from_environment(monkeypatch, env)
    assert options['hyperv_validate_certs'] is True and options['ad_validate_certs'] is True
    assert options['cert_validation_mode'] == 'validate'
    assert options['hyperv_auth'] == 'negotiate' and options['ad_auth'] == 'simple' and options['ad_tls'] == 'ldaps'
    assert options['cloud_environment'] == 'AzureCloud'
    assert not env.get('REQUESTS_CA_BUNDLE')


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=os.path.basename)
def test_every_input_reaches_the_option_it_feeds(path, tmp_path, monkeypatch):
    credential_type = load(path)
    inputs = every_input(credential_type)
    env, _args = inject(credential_type, inputs, str(tmp_path))
    options = options_from_environment(monkeypatch, env)
    environment = environment_options()
    fields = dict((field['id'], field) for field in credential_type['inputs']['fields'])
    for name, template in credential_type['injectors']['env'].items():
        field = fields.get(sole_field(template))
        if field is None or name not in environment:
            continue
        option, spec = environment[name]
        assert options[option] == inputs[field['id']], (name, option)
        if 'choices' in field:
            assert set(field['choices']) <= set(spec.get('choices') or KNOWN_CLOUDS), '%s choices not accepted by %s' % (field['id'], option)
    # Files: the PEM inputs land in files whose path the env var gives (under AWX's in-container /runner).
    for name, template in credential_type['injectors'].get('file', {}).items():
        label = name.split('.', 1)[1]
        paths = [value for value in env.values() if value.startswith('/runner/env/')]
        assert any(open(os.path.join(str(tmp_path), value[len('/runner/'):]), encoding='utf-8').read() == inputs[label] for value in paths), label


# ---------------------------------------------------------------- job templates

def role_name(entry):
    name = entry if isinstance(entry, str) else entry.get('role') or entry.get('name')
    return name.split('.')[-1] if name.startswith('hyperv.mobility.') else name


def included_roles(tasks):
    names = []
    for task in tasks or []:
        for key in ('ansible.builtin.include_role', 'ansible.builtin.import_role', 'include_role', 'import_role'):
            if key in task:
                names.append(role_name(task[key]['name']))
        for nested in ('block', 'rescue', 'always'):
            names.extend(included_roles(task.get(nested)))
    return names


def roles_of_playbook(path):
    """Every role the playbook runs, with the roles those roles include (transitively)."""
    pending = []
    for play in load(path):
        pending.extend(role_name(entry) for entry in play.get('roles', []))
        for section in ('pre_tasks', 'tasks', 'post_tasks'):
            pending.extend(included_roles(play.get(section)))
    found = []
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.append(name)
        tasks_dir = os.path.join(REPO_ROOT, 'roles', name, 'tasks')
        assert os.path.isfile(os.path.join(tasks_dir, 'main.yml')), 'role %s does not exist' % name
        for tasks_file in sorted(os.listdir(tasks_dir)):   # main.yml and the task files it includes (a role's phases)
            if tasks_file.endswith('.yml'):
                pending.extend(included_roles(load(os.path.join(tasks_dir, tasks_file))))
    return found


def role_options(names):
    options = {}
    for name in names:
        specs = load(os.path.join(REPO_ROOT, 'roles', name, 'meta', 'argument_specs.yml'))['argument_specs']['main']
        options.update(specs['options'])
    return options


def playbook_variables(path):
    """Variables the playbook itself reads in its templates or defines (a var it never mentions has no effect)."""
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    names = set()
    for expression in re.findall(r'{{(.*?)}}|{%-?(.*?)-?%}', text, re.S):
        names.update(IDENTIFIER.findall(' '.join(expression)))
    for play in load(path):
        names.update(play.get('vars', {}))
    return names


def check_value(options, variable, value):
    result = ArgumentSpecValidator({variable: options[variable]}).validate({variable: value})
    assert not result.error_messages, '%s=%r: %s' % (variable, value, result.error_messages)


@pytest.mark.parametrize('path', JOB_TEMPLATES, ids=os.path.basename)
def test_job_template_runs_an_existing_playbook_with_variables_it_accepts(path):
    template = load(path)
    for key in ('name', 'job_type', 'inventory', 'project', 'playbook'):
        assert template.get(key), 'job template without %s' % key
    assert template['job_type'] in ('run', 'check')
    playbook = os.path.join(REPO_ROOT, template['playbook'])
    assert os.path.isfile(playbook), '%s does not exist' % template['playbook']
    options = role_options(roles_of_playbook(playbook))
    known = set(options) | playbook_variables(playbook)
    for variable, value in (template.get('extra_vars') or {}).items():
        assert variable in known, '%s: extra var %s is neither a role option nor read by %s' % (path, variable, template['playbook'])
        if variable in options:
            check_value(options, variable, value)
    assert template.get('job_slice_count', 1) >= 1


@pytest.mark.parametrize('path', [path for path in JOB_TEMPLATES if load(path).get('survey_enabled')], ids=os.path.basename)
def test_survey_answers_are_accepted_by_the_roles(path):
    template = load(path)
    playbook = os.path.join(REPO_ROOT, template['playbook'])
    options = role_options(roles_of_playbook(playbook))
    known = set(options) | playbook_variables(playbook)
    spec = template['survey_spec']
    assert spec['name'] and spec['spec']
    for question in spec['spec']:
        variable = question['variable']
        assert variable in known, '%s: survey variable %s is neither a role option nor read by the playbook' % (path, variable)
        assert question['type'] in ('text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect')
        answers = list(question.get('choices', []))
        if 'default' in question:
            if answers:
                assert str(question['default']) in [str(answer) for answer in answers]
            answers.append(question['default'])
        # AWX sends multiple-choice answers as strings: the role's argument spec must accept them as they arrive.
        for answer in answers:
            if variable in options:
                check_value(options, variable, answer)


@pytest.mark.parametrize('path', SCHEDULES, ids=os.path.basename)
def test_schedule_names_a_job_template(path):
    schedule = load(path)
    names = set(load(template)['name'] for template in JOB_TEMPLATES)
    assert schedule['unified_job_template'] in names
    assert re.match(r'DTSTART:\d{8}T\d{6}Z RRULE:FREQ=', schedule['rrule'])


def test_drift_check_playbook_runs_in_check_mode_with_diff_and_fails_on_change():
    plays = load(os.path.join(REPO_ROOT, 'playbooks', 'drift_check.yml'))
    tasks = plays[0]['tasks']
    includes = [task for task in tasks if 'ansible.builtin.include_role' in task]
    assert includes and all(task['ansible.builtin.include_role']['apply'] == {'check_mode': True, 'diff': True} for task in includes)
    gate = tasks[-1]
    assert gate['ansible.builtin.assert']['that'] == 'drift_check_changes | length == 0'
    # the registered results it inspects are the ones the roles register
    registered = set()
    for name in roles_of_playbook(os.path.join(REPO_ROOT, 'playbooks', 'drift_check.yml')):
        tasks_dir = os.path.join(REPO_ROOT, 'roles', name, 'tasks')
        for tasks_file in sorted(os.listdir(tasks_dir)):   # main.yml and the task files it includes
            with open(os.path.join(tasks_dir, tasks_file), encoding='utf-8') as handle:
                registered.update(re.findall(r'register:\s*(\w+)', handle.read()))
    inspected = set(re.findall(r'(?<![.\w])(\w+)\s*\|\s*default\(', str(gate['vars'])))
    assert inspected and inspected <= registered, inspected - registered


def template_named(name):
    return next(load(path) for path in JOB_TEMPLATES if load(path)['name'] == name)


@pytest.mark.parametrize('path', JOB_TEMPLATES, ids=os.path.basename)
def test_job_templates_leave_the_replication_pairs_to_the_inventory(path):
    """AWX's extra variables beat the inventory's: a template's replication_pairs would replace the pairs every inventory defines
    (docs/inventory/group_vars/all.yml)."""
    assert 'replication_pairs' not in (load(path).get('extra_vars') or {})


def test_drift_check_carries_the_mesh_templates_settings_and_survey():
    """A mesh configured through its template's survey is not drift: the drift check compares with the same extra variables and
    asks the same questions with the same defaults, and its schedule answers them with those defaults."""
    mesh, drift = template_named('Hyper-V live migration mesh'), template_named('Hyper-V drift check')
    for variable, value in mesh['extra_vars'].items():
        assert drift['extra_vars'].get(variable) == value, variable
    mesh_role = role_options(['live_migration_mesh'])
    drift_questions = dict((question['variable'], question) for question in drift['survey_spec']['spec'])
    # The questions that shape the desired state (role options); the drift check picks its hosts with its own question and
    # never fails on readiness (drift_check.yml sets live_migration_mesh_fail_on).
    carried = [question for question in mesh['survey_spec']['spec']
               if question['variable'] in mesh_role and question['variable'] != 'live_migration_mesh_fail_on']
    assert carried
    for question in carried:
        theirs = drift_questions.get(question['variable'])
        assert theirs is not None, question['variable']
        assert (theirs['type'], theirs.get('choices'), theirs.get('default')) == (question['type'], question.get('choices'), question.get('default'))
    schedule = load(next(path for path in SCHEDULES if load(path)['unified_job_template'] == drift['name']))
    for variable, question in drift_questions.items():
        if question.get('required'):
            assert schedule['extra_data'][variable] == question['default'], variable


def test_site_recovery_template_asks_for_the_vault():
    template = template_named('Hyper-V to Azure Site Recovery')
    assert template['playbook'] == 'playbooks/site_recovery_azure.yml'
    assert 'Azure Site Recovery' in template['credentials'] and 'Hyper-V hosts' in template['credentials']
    questions = dict((question['variable'], question) for question in template['survey_spec']['spec'])
    assert questions['azure_resource_group']['required'] and questions['azure_vault_name']['required']


def test_apply_playbook_creates_everything_the_templates_name():
    plays = load(os.path.join(AWX, 'apply.yml'))
    tasks = plays[0]['tasks']
    created = dict((module, [task[module] for task in tasks if module in task]) for module in (
        'awx.awx.execution_environment', 'awx.awx.project', 'awx.awx.inventory', 'awx.awx.inventory_source', 'awx.awx.credential_type',
        'awx.awx.credential', 'awx.awx.job_template', 'awx.awx.workflow_job_template', 'awx.awx.schedule'))
    assert all(created.values()), [module for module, found in created.items() if not found]
    names = dict((module, set(str(entry['name']) for entry in entries if isinstance(entry, dict))) for module, entries in created.items())
    credentials = set(plays[0]['vars']['hyperv_awx_credential_types'])
    credential_types = set(plays[0]['vars']['hyperv_awx_credential_types'].values())
    assert credential_types == set(load(path)['name'] for path in CREDENTIAL_TYPES)
    for path in JOB_TEMPLATES:
        template = load(path)
        assert template['inventory'] in names['awx.awx.inventory'], path
        assert template['project'] in names['awx.awx.project'], path
        assert template['execution_environment'] in names['awx.awx.execution_environment'], path
        assert set(template.get('credentials', [])) <= credentials, path
    # The templates, types and schedules come from the files of this folder, in an order where each exists before it is named.
    order = [next(module for module in created if module in task) for task in tasks]
    assert order == sorted(order, key=['awx.awx.execution_environment', 'awx.awx.project', 'awx.awx.inventory', 'awx.awx.inventory_source',
                                       'awx.awx.credential_type', 'awx.awx.credential', 'awx.awx.job_template', 'awx.awx.workflow_job_template',
                                       'awx.awx.schedule'].index)
    assert [task['loop'] for task in tasks if 'awx.awx.job_template' in task] == [
        "{{ query('ansible.builtin.fileglob', 'job_templates/*.yml') | sort }}"]


@pytest.mark.parametrize('path', WORKFLOW_TEMPLATES, ids=os.path.basename)
def test_workflow_nodes_run_job_templates_of_this_folder(path):
    workflow = load(path)
    templates = set(load(template)['name'] for template in JOB_TEMPLATES)
    identifiers = set(node['identifier'] for node in workflow['workflow_nodes'])
    for node in workflow['workflow_nodes']:
        assert node['unified_job_template']['type'] == 'job_template' and node['unified_job_template']['name'] in templates, node
        for successor in node.get('related', {}).get('success_nodes', []):
            assert successor['identifier'] in identifiers, successor


def test_the_sliced_mesh_runs_phase_one_sliced_then_phase_two_once_both_on_the_fact_cache():
    phase_one, phase_two = template_named('Hyper-V live migration mesh - phase 1 (sliced)'), template_named('Hyper-V live migration mesh - phase 2 (evaluate)')
    assert phase_one['job_slice_count'] > 1 and phase_one['extra_vars']['live_migration_mesh_phase'] == 'hosts'
    assert phase_two['job_slice_count'] == 1 and phase_two['extra_vars']['live_migration_mesh_phase'] == 'evaluate'
    assert phase_one['use_fact_cache'] and phase_two['use_fact_cache']
