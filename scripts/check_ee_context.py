#!/usr/bin/env python
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check an ansible-builder build context (`ansible-builder create`) for what hyperv.mobility needs at run time.

Usage: check_ee_context.py CONTEXT_DIR
Exit 0 when the context installs the collection with its Python packages (host, AD, Kerberos, Azure) and the Kerberos
system packages, and the image build verifies the collection loads; otherwise exit 1 listing every problem.
"""

import os
import re
import sys

import yaml

# Import names the modules need, as pip distribution names (requirements.txt).
PYTHON_PACKAGES = ('pypsrp', 'pywinrm', 'pyspnego', 'ldap3', 'gssapi', 'krb5', 'azure-identity', 'azure-mgmt-recoveryservices',
                   'azure-mgmt-recoveryservicessiterecovery')
SYSTEM_PACKAGES = ('krb5-workstation', 'krb5-devel')
CONTAINER_FILES = ('Containerfile', 'Dockerfile')


def requirement_names(path):
    names = set()
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                names.add(re.split(r'[\s<>=!~;\[]', line, maxsplit=1)[0].lower().replace('_', '-'))
    return names


def problems_of(context):
    build = os.path.join(context, '_build')
    problems = []
    requirements = os.path.join(build, 'requirements.txt')
    if not os.path.isfile(requirements):
        return ['no _build/requirements.txt: the Python dependencies are missing']
    missing = [name for name in PYTHON_PACKAGES if name not in requirement_names(requirements)]
    if missing:
        problems.append('Python packages missing from _build/requirements.txt: %s' % ', '.join(missing))

    bindep = os.path.join(build, 'bindep.txt')
    system = open(bindep, encoding='utf-8').read() if os.path.isfile(bindep) else ''
    missing = [name for name in SYSTEM_PACKAGES if not re.search(r'^%s\s.*platform:rpm' % re.escape(name), system, re.M)]
    if missing:
        problems.append('system packages missing from _build/bindep.txt (for the RPM-based EE image): %s' % ', '.join(missing))

    galaxy_file = os.path.join(build, 'requirements.yml')
    galaxy = yaml.safe_load(open(galaxy_file, encoding='utf-8')) if os.path.isfile(galaxy_file) else {}
    collections = [entry['name'] if isinstance(entry, dict) else entry for entry in (galaxy or {}).get('collections', [])]
    if 'hyperv.mobility' not in collections:
        problems.append('hyperv.mobility is not among the collections of _build/requirements.yml')

    container = [os.path.join(context, name) for name in CONTAINER_FILES if os.path.isfile(os.path.join(context, name))]
    text = open(container[0], encoding='utf-8').read() if container else ''
    if not container:
        problems.append('no Containerfile / Dockerfile in the context')
    elif 'ansible-doc -l hyperv.mobility' not in text:
        problems.append('the image build does not check that the collection loads (ansible-doc -l hyperv.mobility)')
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
