# -*- coding: utf-8 -*-
"""The execution environment for AWX: `ansible-builder create` writes a context that installs this repository's collection
tarball with its Python and system dependencies (scripts/ee.sh, the same command `make ee` runs), and ansible-builder's own
introspection reads the collection's meta/execution-environment.yml when the collection is installed into someone else's EE."""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

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
    assert 'COPY _build /build' in containerfile and 'ansible-galaxy collection install' in containerfile
    assert 'COPY _build/requirements.txt requirements.txt' in containerfile
    # The Python packages are ranges: an EE that includes this collection beside others can resolve them.
    with open(os.path.join(context, '_build', 'requirements.txt'), encoding='utf-8') as handle:
        wanted = check_ee_context.requirements_of(handle.read())
    assert set(check_ee_context.PYTHON_PACKAGES) <= set(wanted)
    assert all(specifier.startswith('>=') and ',<' in specifier for specifier in wanted.values()), wanted


def test_the_image_installs_the_collection_from_the_context(context, tmp_path):
    """What the image's galaxy stage runs (in its copy of _build/): the requirements file's hyperv.mobility entry installs this
    repository's tarball, with no Galaxy server. Other entries (ansible.windows) come from Galaxy and are left out here."""
    build = os.path.join(context, '_build')
    with open(os.path.join(build, 'requirements.yml'), encoding='utf-8') as handle:
        requirements = yaml.safe_load(handle)
    ours = [entry for entry in requirements['collections'] if isinstance(entry, dict) and entry.get('type') == 'file']
    offline = tmp_path / 'requirements.yml'
    offline.write_text(yaml.safe_dump({'collections': ours}), encoding='utf-8')
    target = tmp_path / 'collections'
    # As in the image: no other copy of the collection on the collections path (one there makes ansible-galaxy do nothing).
    environment = dict(os.environ, ANSIBLE_HOME=str(tmp_path / 'ansible-home'), ANSIBLE_COLLECTIONS_PATH=str(target),
                       ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    completed = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--no-deps', '-r', str(offline),
                                '-p', str(target)], cwd=build, capture_output=True, text=True, check=False, env=environment, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    listed = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-l', 'hyperv.mobility'], capture_output=True, text=True, check=False,
                            timeout=120, cwd=str(tmp_path), env=environment)
    assert listed.returncode == 0 and 'hyperv.mobility.host_info' in listed.stdout, completed.stdout + listed.stderr
    installed = target / 'ansible_collections' / 'hyperv' / 'mobility'
    assert (installed / 'MANIFEST.json').is_file() and not (installed / '.git').exists()


def test_the_check_refuses_a_context_without_the_collection_or_with_pins(context, tmp_path):
    broken = str(tmp_path / 'broken')
    shutil.copytree(context, broken)
    os.remove(os.path.join(broken, '_build', 'collections', 'hyperv-mobility.tar.gz'))
    assert check_ee_context.problems_of(broken) == [
        '_build/requirements.yml installs no hyperv.mobility tarball from the context (entries of type file: collections/hyperv-mobility.tar.gz)']
    assert check_ee_context.main(['check_ee_context.py', broken]) == 1

    # A collection whose requirements pin versions and whose bindep lacks the RPM build dependencies.
    pinned = tmp_path / 'pinned'
    with tarfile.open(os.path.join(context, '_build', 'collections', 'hyperv-mobility.tar.gz'), 'r:gz') as archive:
        archive.extractall(pinned, filter='data')
    (pinned / 'requirements.txt').write_text('pypsrp==0.9.1\nldap3>=2.9\n', encoding='utf-8')
    (pinned / 'bindep.txt').write_text('krb5-workstation [platform:rpm]\n', encoding='utf-8')
    with tarfile.open(os.path.join(broken, '_build', 'collections', 'hyperv-mobility.tar.gz'), 'w:gz') as archive:
        for path in sorted(pinned.rglob('*')):
            archive.add(str(path), arcname=str(path.relative_to(pinned)), recursive=False)
    assert check_ee_context.problems_of(broken) == [
        "Python packages missing from the collection's requirements.txt: pywinrm, pyspnego, gssapi, krb5, azure-identity, "
        'azure-mgmt-recoveryservices, azure-mgmt-recoveryservicessiterecovery',
        'the collection pins pypsrp with ==: other execution environments could not install it beside other collections (give version ranges)',
        "RPM packages missing from the collection's bindep.txt: krb5-libs, krb5-devel (compile), gcc (compile), python3-devel (compile)"]


def test_builder_introspection_reads_the_collection_metadata(context, tmp_path):
    """What ansible-builder runs inside the image for every installed collection, run here on this repository."""
    collections = tmp_path / 'collections' / 'ansible_collections' / 'hyperv'
    collections.mkdir(parents=True)
    os.symlink(REPO_ROOT, str(collections / 'mobility'))
    introspect = os.path.join(context, '_build', 'scripts', 'introspect.py')
    completed = subprocess.run([sys.executable, introspect, 'introspect', str(tmp_path / 'collections')], capture_output=True,
                               text=True, check=False, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert 'pypsrp>=0.9.1,<1.0' in completed.stdout and 'ldap3>=2.9.1,<3' in completed.stdout and 'azure-identity>=' in completed.stdout
    assert 'gcc [platform:rpm compile]' in completed.stdout and 'krb5-devel [platform:rpm compile]' in completed.stdout
