#!/usr/bin/env python
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check an ansible-builder build context (`ansible-builder create`) for what hyperv.mobility needs at run time.

Usage: check_ee_context.py CONTEXT_DIR
Exit 0 when the context installs this collection from the tarball in its _build/ folder, that tarball declares the collection's
Python packages (host, AD, Kerberos, Azure; as version ranges, so other EEs can include the collection) and its RPM packages
(Kerberos client, and what builds the gssapi / krb5 wheels), and the image build verifies the collection loads; otherwise exit 1
listing every problem.
"""

import json
import os
import re
import sys
import tarfile

import yaml

COLLECTION = 'hyperv.mobility'
# Distribution names of the Python packages the modules import (requirements.txt).
PYTHON_PACKAGES = ('pypsrp', 'pywinrm', 'pyspnego', 'ldap3', 'gssapi', 'krb5', 'azure-identity', 'azure-mgmt-recoveryservices',
                   'azure-mgmt-recoveryservicessiterecovery')
# RPM packages of the collection's bindep.txt: at run time, and (profile compile) to build the gssapi and krb5 wheels.
RPM_RUNTIME = ('krb5-workstation', 'krb5-libs')
RPM_COMPILE = ('krb5-devel', 'gcc', 'python3-devel')
CONTAINER_FILES = ('Containerfile', 'Dockerfile')


def requirements_of(text):
    """{distribution name: version specifier} of a pip requirements text."""
    found = {}
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if line and not line.startswith('-'):
            name, specifier = re.match(r'([A-Za-z0-9_.\-]+)\s*(.*)', line).groups()
            found[name.lower().replace('_', '-')] = specifier.strip()
    return found


def bindep_entries(text):
    """[(package, profiles)] of a bindep text."""
    entries = []
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if line:
            package, _sep, rest = line.partition(' ')
            entries.append((package, set(re.findall(r'[\w:.-]+', rest))))
    return entries


class CollectionTarball:
    """The files of a collection tarball (ansible-galaxy collection build), read without extracting it."""

    def __init__(self, path):
        with tarfile.open(path, 'r:gz') as archive:
            self.files = dict((member.name, archive.extractfile(member).read().decode('utf-8'))
                              for member in archive.getmembers() if member.isfile() and member.name.endswith(('.json', '.yml', '.txt')))

    def name(self):
        info = json.loads(self.files.get('MANIFEST.json', '{}')).get('collection_info', {})
        return '%s.%s' % (info.get('namespace'), info.get('name'))

    def problems(self):
        problems = []
        metadata = yaml.safe_load(self.files.get('meta/execution-environment.yml', '') or '{}') or {}
        dependencies = metadata.get('dependencies') or {}
        python = self.files.get(dependencies.get('python') or '', '')
        wanted = requirements_of(python)
        missing = [name for name in PYTHON_PACKAGES if name not in wanted]
        if missing:
            problems.append('Python packages missing from the collection\'s %s: %s' % (dependencies.get('python'), ', '.join(missing)))
        pinned = sorted(name for name, specifier in wanted.items() if specifier.startswith('=='))
        if pinned:
            problems.append('the collection pins %s with ==: other execution environments could not install it beside other '
                            'collections (give version ranges)' % ', '.join(pinned))
        entries = bindep_entries(self.files.get(dependencies.get('system') or '', ''))
        rpm = [(package, profiles) for package, profiles in entries if 'platform:rpm' in profiles]
        missing = [name for name in RPM_RUNTIME if not any(package == name and 'compile' not in profiles for package, profiles in rpm)]
        missing += ['%s (compile)' % name for name in RPM_COMPILE if not any(package == name and 'compile' in profiles for package, profiles in rpm)]
        if missing:
            problems.append('RPM packages missing from the collection\'s %s: %s' % (dependencies.get('system'), ', '.join(missing)))
        return problems


def problems_of(context):
    build = os.path.join(context, '_build')
    problems = []
    galaxy_file = os.path.join(build, 'requirements.yml')
    galaxy = yaml.safe_load(open(galaxy_file, encoding='utf-8')) if os.path.isfile(galaxy_file) else {}
    tarballs = [entry['name'] for entry in (galaxy or {}).get('collections', []) if isinstance(entry, dict) and entry.get('type') == 'file']
    # ansible-galaxy runs in the image's copy of _build/: a relative file entry is a path inside it.
    collection = None
    for name in tarballs:
        path = os.path.join(build, name)
        if os.path.isfile(path) and CollectionTarball(path).name() == COLLECTION:
            collection = CollectionTarball(path)
    if collection is None:
        problems.append('_build/requirements.yml installs no %s tarball from the context (entries of type file: %s)' % (
            COLLECTION, ', '.join(tarballs) or 'none'))
    else:
        problems += collection.problems()

    container = [os.path.join(context, name) for name in CONTAINER_FILES if os.path.isfile(os.path.join(context, name))]
    text = open(container[0], encoding='utf-8').read() if container else ''
    if not container:
        problems.append('no Containerfile / Dockerfile in the context')
    elif 'ansible-doc -l %s' % COLLECTION not in text:
        problems.append('the image build does not check that the collection loads (ansible-doc -l %s)' % COLLECTION)
    return problems


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    problems = problems_of(argv[1])
    for problem in problems:
        print('EE context %s: %s' % (argv[1], problem), file=sys.stderr)
    if not problems:
        print('EE context %s: ok' % argv[1])
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
