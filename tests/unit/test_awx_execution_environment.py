# -*- coding: utf-8 -*-
"""The execution environment for AWX: `ansible-builder create` writes a context that installs the collection with its Python
and system dependencies (scripts/ee.sh, the same command `make ee` runs), and ansible-builder's own introspection reads the
collection's meta/execution-environment.yml when the collection is installed into someone else's EE."""

import os
import shutil
import subprocess
import sys

import pytest

from collection_path import REPO_ROOT

BIN = os.path.dirname(sys.executable)
SCRIPTS = os.path.join(REPO_ROOT, 'scripts')
sys.path.insert(0, SCRIPTS)
import check_ee_context  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='module', name='context')
def built_context(tmp_path_factory):
    context = str(tmp_path_factory.mktemp('ee') / 'context')
    completed = subprocess.run(['bash', os.path.join(SCRIPTS, 'ee.sh'), context], capture_output=True, text=True, check=False,
                               env=dict(os.environ, BIN=BIN), timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert 'EE context %s: ok' % context in completed.stdout
    return context


def test_context_installs_the_collection_and_its_dependencies(context):
    assert check_ee_context.problems_of(context) == []
    with open(os.path.join(context, 'Containerfile'), encoding='utf-8') as handle:
        containerfile = handle.read()
    assert 'COPY _build/requirements.txt requirements.txt' in containerfile
    assert 'COPY _build/bindep.txt bindep.txt' in containerfile
    with open(os.path.join(REPO_ROOT, 'requirements.txt'), encoding='utf-8') as handle:
        pinned = [line.strip() for line in handle if line.strip() and not line.startswith('#')]
    with open(os.path.join(context, '_build', 'requirements.txt'), encoding='utf-8') as handle:
        assert [line.strip() for line in handle if line.strip() and not line.startswith('#')] == pinned


def test_the_check_refuses_a_context_without_the_host_libraries(context, tmp_path):
    broken = str(tmp_path / 'broken')
    shutil.copytree(context, broken)
    requirements = os.path.join(broken, '_build', 'requirements.txt')
    with open(requirements, encoding='utf-8') as handle:
        kept = [line for line in handle if not line.startswith(('pypsrp', 'ldap3'))]
    with open(requirements, 'w', encoding='utf-8') as handle:
        handle.writelines(kept)
    os.remove(os.path.join(broken, '_build', 'bindep.txt'))
    assert check_ee_context.problems_of(broken) == [
        'Python packages missing from _build/requirements.txt: pypsrp, ldap3',
        'system packages missing from _build/bindep.txt (for the RPM-based EE image): krb5-workstation, krb5-devel']
    assert check_ee_context.main(['check_ee_context.py', broken]) == 1


def test_builder_introspection_reads_the_collection_metadata(context, tmp_path):
    """What ansible-builder runs inside the image for every installed collection, run here on this repository."""
    collections = tmp_path / 'collections' / 'ansible_collections' / 'hyperv'
    collections.mkdir(parents=True)
    os.symlink(REPO_ROOT, str(collections / 'mobility'))
    introspect = os.path.join(context, '_build', 'scripts', 'introspect.py')
    completed = subprocess.run([sys.executable, introspect, 'introspect', str(tmp_path / 'collections')], capture_output=True,
                               text=True, check=False, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert 'pypsrp==' in completed.stdout and 'ldap3==' in completed.stdout and 'azure-identity==' in completed.stdout
    assert 'krb5-user [platform:dpkg]' in completed.stdout
