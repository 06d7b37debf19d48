# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A job as AWX runs it, without AWX: the credential types of docs/awx injected by AWX's own code, then ansible-runner.

AWX (awx/main/tasks, RunJob) lays out a private data directory and hands it to ansible-runner: the project checkout, the inventory,
``env/extravars`` (the template's extra variables and the survey answers), the environment, and the command line, where each
credential's extra variables arrive as ``-e @<file>``. The credentials are injected by ``inject_credential`` of awx-plugins
(the code AWX runs): only the inputs given, a boolean not given as false, files in ``env/`` named by their path inside the job's
container, ``/runner`` (mapped back to the private data directory here, where no container runs).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from pathlib import Path

import yaml
from awx_plugins.interfaces._temporary_private_api import ManagedCredentialType
from awx_plugins.interfaces._temporary_private_container_api import CONTAINER_ROOT
from awx_plugins.interfaces._temporary_private_credential_api import Credential
from awx_plugins.interfaces._temporary_private_inject_api import inject_credential

REPO_ROOT = Path(__file__).resolve().parent.parent
AWX_EXAMPLES = REPO_ROOT / 'docs' / 'awx'


def load_example(kind: str, name: str) -> dict:
    """docs/awx/<kind>/<name>.yml."""
    return yaml.safe_load((AWX_EXAMPLES / kind / f'{name}.yml').read_text(encoding='utf-8'))


def inject(credential_type: dict, inputs: dict, private_data_dir: str) -> tuple[dict, list]:
    """AWX's injection of one credential: (env, ansible-playbook arguments), files written into <private_data_dir>/env."""
    os.makedirs(os.path.join(private_data_dir, 'env'), exist_ok=True)
    managed = ManagedCredentialType(namespace='hyperv_mobility', name=credential_type['name'], kind=credential_type['kind'],
                                    inputs=credential_type['inputs'], injectors=credential_type['injectors'])
    env: dict = {}
    args: list = []
    inject_credential(managed, Credential(inputs=dict(inputs)), env, {}, args, private_data_dir)
    return env, args


def outside_the_container(value: str, private_data_dir: str) -> str:
    """A path AWX wrote for the job's container (/runner/...) as this process sees it."""
    return value.replace(CONTAINER_ROOT + '/', private_data_dir.rstrip('/') + '/')


@dataclasses.dataclass
class JobResult:
    rc: int
    status: str
    stdout: str


def run_job(template: dict, credentials: list[tuple[dict, dict]], inventory: dict, private_data_dir: Path, answers: dict | None = None,
            environment: dict | None = None) -> JobResult:
    """Run a job template (docs/awx/job_templates) with credentials [(credential type, inputs given)] as AWX does."""
    import ansible_runner  # pylint: disable=import-outside-toplevel  # test-only dependency, imported where used

    private_data_dir.mkdir(parents=True, exist_ok=True)
    pdd = str(private_data_dir)
    (private_data_dir / 'project').symlink_to(REPO_ROOT)  # the project's checkout
    (private_data_dir / 'inventory').mkdir()
    (private_data_dir / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory), encoding='utf-8')
    envvars, args = dict(environment or {}), []
    for credential_type, inputs in credentials:
        env, arguments = inject(credential_type, inputs, pdd)
        envvars.update((name, outside_the_container(value, pdd)) for name, value in env.items())
        args += [outside_the_container(argument, pdd) for argument in arguments]
    # The template's extra variables, then the survey: the answers given, else each question's default.
    extravars = dict(template.get('extra_vars') or {})
    for question in (template.get('survey_spec') or {}).get('spec', []) if template.get('survey_enabled') else []:
        if question['variable'] in (answers or {}):
            extravars[question['variable']] = answers[question['variable']]
        elif 'default' in question:
            extravars[question['variable']] = question['default']
    (private_data_dir / 'env' / 'extravars').write_text(yaml.safe_dump(extravars), encoding='utf-8')
    runner = ansible_runner.run(private_data_dir=pdd, playbook=template['playbook'], inventory=str(private_data_dir / 'inventory' / 'hosts.yml'),
                                cmdline=shlex.join(args), envvars=envvars, quiet=True, timeout=900)
    with open(runner.stdout.name, encoding='utf-8') as handle:
        stdout = handle.read()
    return JobResult(rc=runner.rc, status=runner.status, stdout=stdout)
