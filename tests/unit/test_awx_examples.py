# -*- coding: utf-8 -*-
"""The AWX examples in docs/awx match the collection: credential types inject variables the modules read, with choices
the modules accept; job templates run playbooks that exist, with extra_vars and survey answers that the playbooks' roles
accept (validated with the roles' own meta/argument_specs.yml); schedules name job templates that exist."""

import glob
import os
import re

import jinja2
import jinja2.sandbox
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.hyperv.mobility.plugins.action import hyperv_host
from ansible_collections.hyperv.mobility.plugins.module_utils._ad.client import AD_ARGUMENT_SPEC
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AZURE_AUTH_ARGUMENT_SPEC, KNOWN_CLOUDS

from collection_path import REPO_ROOT

AWX = os.path.join(REPO_ROOT, 'docs', 'awx')
CREDENTIAL_TYPES = sorted(glob.glob(os.path.join(AWX, 'credential_types', '*.yml')))
JOB_TEMPLATES = sorted(glob.glob(os.path.join(AWX, 'job_templates', '*.yml')))
SCHEDULES = sorted(glob.glob(os.path.join(AWX, 'schedules', '*.yml')))
TEMPLATE_REFERENCE = re.compile(r'{{\s*(.*?)\s*}}')
IDENTIFIER = re.compile(r'\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()')
JINJA_WORDS = {'if', 'else', 'not', 'and', 'or', 'in', 'is', 'true', 'false', 'none', 'tower', 'filename'}


def load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def connection_options():
    """The modules' connection options (doc fragment hyperv.mobility.connection) with their choices."""
    from ansible_collections.hyperv.mobility.plugins.doc_fragments.connection import ModuleDocFragment
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']


def inventory_variable_options():
    """Inventory variable -> the hyperv_* option the action plugin fills from it."""
    mapping = {}
    for table in (hyperv_host.COMMON_VARS, hyperv_host.PSRP_VARS, hyperv_host.WINRM_VARS):
        for option, names in table.items():
            for name in names:
                mapping[name] = option
    return mapping


def environment_options():
    """Environment variable -> (option, spec) of the argument specs whose fallbacks read it."""
    mapping = {}
    for spec in (AD_ARGUMENT_SPEC, AZURE_AUTH_ARGUMENT_SPEC):
        for option, option_spec in spec.items():
            fallback = option_spec.get('fallback')
            if fallback:
                for name in fallback[1]:
                    mapping[name] = (option, option_spec)
    return mapping


def referenced_fields(value):
    names = set()
    for expression in TEMPLATE_REFERENCE.findall(str(value)):
        expression = re.sub(r"'[^']*'", '', expression)
        names.update(name for name in IDENTIFIER.findall(expression) if name not in JINJA_WORDS)
    return names


def sole_field(value):
    match = re.fullmatch(r'{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}', str(value))
    return match.group(1) if match else None


def test_there_are_examples_of_each_kind():
    assert len(CREDENTIAL_TYPES) >= 3 and len(JOB_TEMPLATES) >= 4 and SCHEDULES


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=os.path.basename)
def test_credential_type_injectors_use_only_declared_fields_and_render(path):
    credential_type = load(path)
    assert credential_type['kind'] == 'cloud' and credential_type['name']
    fields = dict((field['id'], field) for field in credential_type['inputs']['fields'])
    assert len(fields) == len(credential_type['inputs']['fields']), 'duplicate field ids'
    assert set(credential_type['inputs'].get('required', [])) <= set(fields)
    for field in fields.values():
        if 'choices' in field:
            assert field.get('default', field['choices'][0]) in field['choices'], field['id']
    injectors = credential_type['injectors']
    assert set(injectors) <= {'env', 'extra_vars', 'file'}
    files = dict((name.split('.', 1)[1], value) for name, value in injectors.get('file', {}).items())
    for section in ('env', 'extra_vars', 'file'):
        for name, value in injectors.get(section, {}).items():
            assert referenced_fields(value) <= set(fields), '%s %s refers to an undeclared field' % (section, name)
            for used_file in re.findall(r'tower\.filename\.(\w+)', str(value)):
                assert used_file in files, '%s uses tower.filename.%s that no file injector writes' % (name, used_file)
    # Render every injector the way AWX does (Jinja over the inputs), with and without the optional fields.
    sample = dict((field_id, field.get('default', field.get('choices', ['x'])[0] if field['type'] == 'string' else True))
                  for field_id, field in fields.items())
    environment = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    for inputs in (sample, dict((key, value) for key, value in sample.items() if key in credential_type['inputs'].get('required', []))):
        context = dict(dict((field_id, '') for field_id in fields), **inputs)
        context['tower'] = {'filename': dict((name, '/tmp/awx_cred_%s' % name) for name in files)}
        for section in ('env', 'extra_vars'):
            for value in injectors.get(section, {}).values():
                environment.from_string(str(value)).render(context)


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=os.path.basename)
def test_credential_type_targets_exist_and_accept_the_choices(path):
    credential_type = load(path)
    fields = dict((field['id'], field) for field in credential_type['inputs']['fields'])
    environment = environment_options()
    inventory = inventory_variable_options()
    connection = connection_options()
    injectors = credential_type['injectors']
    for name, value in injectors.get('env', {}).items():
        assert name in environment, '%s is not read by any module option (no env fallback names it)' % name
        option, spec = environment[name]
        field = fields.get(sole_field(value))
        if field and 'choices' in field:
            assert set(field['choices']) <= set(spec.get('choices') or KNOWN_CLOUDS), '%s choices not accepted by %s' % (field['id'], option)
    for name, value in injectors.get('extra_vars', {}).items():
        assert name in inventory, '%s is not an inventory variable the action plugin reads' % name
        field = fields.get(sole_field(value))
        if field and 'choices' in field:
            accepted = connection[inventory[name]].get('choices')
            assert set(field['choices']) <= set(accepted), '%s choices not accepted by %s' % (field['id'], inventory[name])


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
        tasks_file = os.path.join(REPO_ROOT, 'roles', name, 'tasks', 'main.yml')
        assert os.path.isfile(tasks_file), 'role %s does not exist' % name
        pending.extend(included_roles(load(tasks_file)))
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
        with open(os.path.join(REPO_ROOT, 'roles', name, 'tasks', 'main.yml'), encoding='utf-8') as handle:
            registered.update(re.findall(r'register:\s*(\w+)', handle.read()))
    inspected = set(re.findall(r'(?<![.\w])(\w+)\s*\|\s*default\(', str(gate['vars'])))
    assert inspected and inspected <= registered, inspected - registered
