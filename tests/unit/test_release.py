# -*- coding: utf-8 -*-
"""Release hygiene: the Galaxy tarball holds no local state, installs into a fresh path, and ansible-doc lists every module
there (scripts/release_check.py, the same check `make release-check` runs)."""

import os
import sys

import pytest

from collection_path import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, 'scripts'))
import release_check  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='module', name='release')
def built_release(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('release'))
    return work_dir, release_check.check(work_dir)


def test_tarball_is_clean_installs_and_lists_every_module(release):
    work_dir, (tarball, names, problems) = release
    assert problems == []
    assert os.path.basename(tarball).startswith('hyperv-mobility-')
    for required in ('MANIFEST.json', 'FILES.json', 'meta/runtime.yml', 'meta/execution-environment.yml', 'plugins/modules/live_migration.py',
                     'plugins/filter/preflight_html.py', 'roles/live_migration_mesh/meta/argument_specs.yml', 'requirements.txt', 'bindep.txt'):
        assert required in names, '%s is missing from the tarball' % required
    installed = os.path.join(work_dir, 'installed', 'ansible_collections', 'hyperv', 'mobility')
    assert os.path.isfile(os.path.join(installed, 'plugins', 'modules', 'vm_migrate.py'))


def test_leak_detection_names_each_kind_of_local_state_once():
    names = ['plugins/modules/host_info.py', 'tests/output/junit/x.xml', 'tests/lab/.state/lab.json', 'tests/lab/.state/ca.pem',
             '.venv/bin/python', '.build/docs/html/index.html', 'plugins/__pycache__/x.cpython-311.pyc', 'tests/lab/.pytest_cache/README.md',
             'preflight-report/preflight.md', 'hyperv-mobility-0.0.9.tar.gz', 'docs/awx/job_templates/replica.yml']
    assert release_check.leaked_members(names) == [
        ('.build', 'the build tree (.build)'),
        ('.venv', 'a virtualenv'),
        ('hyperv-mobility-0.0.9.tar.gz', 'a nested tarball'),
        ('plugins/__pycache__', 'Python bytecode'),
        ('preflight-report', 'a generated preflight report'),
        ('tests/lab/.pytest_cache', 'a tool cache'),
        ('tests/lab/.state', "the lab's state (passwords, CA key, Samba database)"),
        ('tests/output', 'ansible-test output'),
    ]
