#!/usr/bin/env python
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make release-check`: build the collection tarball the way Galaxy users get it, and prove it is clean and works.

1. ansible-galaxy collection build (honours galaxy.yml build_ignore) into a work folder;
2. the tarball holds no local state: test output, virtualenvs, build trees, the lab's state (passwords, CA keys), caches,
   generated reports, nested tarballs;
3. ansible-galaxy collection install of that tarball into a fresh collections path;
4. ansible-doc -l hyperv.mobility there lists every module of plugins/modules, and every role is installed.

Usage: release_check.py [--work-dir DIR]   (default: a temporary folder, removed afterwards)
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# Paths (relative to the collection root) that must never ship, as regular expressions over tarball member names.
FORBIDDEN = (
    (r'^tests/output(/|$)', 'ansible-test output'),
    (r'^tests/lab/\.state(/|$)', "the lab's state (passwords, CA key, Samba database)"),
    (r'(^|/)\.venv(/|$)', 'a virtualenv'),
    (r'^\.build(/|$)', 'the build tree (.build)'),
    (r'(^|/)\.git(/|$)', 'git metadata'),
    (r'(^|/)__pycache__(/|$)|\.py[co]$', 'Python bytecode'),
    (r'(^|/)\.(pytest_cache|hypothesis|ansible|tox|mypy_cache)(/|$)', 'a tool cache'),
    (r'^preflight-report(/|$)', 'a generated preflight report'),
    (r'\.tar\.gz$', 'a nested tarball'),
    (r'\.retry$', 'an Ansible retry file'),
)


def run(command, **kwargs):
    environment = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', **kwargs.pop('env', {}))
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=300, **kwargs)
    if completed.returncode != 0:
        raise RuntimeError('%s failed (%d): %s%s' % (' '.join(command), completed.returncode, completed.stdout, completed.stderr))
    return completed.stdout


def tool(name):
    candidate = os.path.join(BIN, name)
    return candidate if os.path.exists(candidate) else name


def leaked_members(names):
    """[(path, why)] for what must not ship: a leaking folder once (its path up to the forbidden part), not file by file."""
    leaks = []
    for name in sorted(names):
        relative = name[2:] if name.startswith('./') else name
        for pattern, why in FORBIDDEN:
            match = re.search(pattern, relative)
            if match:
                root = relative[:match.end()].rstrip('/')
                if (root, why) not in leaks:
                    leaks.append((root, why))
                break
    return leaks


def build(work_dir):
    output = os.path.join(work_dir, 'dist')
    run([tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', output, REPO_ROOT])
    tarballs = [name for name in os.listdir(output) if name.endswith('.tar.gz')]
    if len(tarballs) != 1:
        raise RuntimeError('expected one tarball in %s, found %s' % (output, tarballs))
    return os.path.join(output, tarballs[0])


def install(tarball, work_dir):
    collections = os.path.join(work_dir, 'installed')
    run([tool('ansible-galaxy'), 'collection', 'install', '--force', '--no-deps', '-p', collections, tarball])
    return collections


def problems_of_installation(collections):
    problems = []
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(REPO_ROOT, 'plugins', 'modules'))
                     if name.endswith('.py') and not name.startswith('__'))
    listed = json.loads(run([tool('ansible-doc'), '-l', '-j', 'hyperv.mobility'], env={'ANSIBLE_COLLECTIONS_PATH': collections}))
    missing = sorted(set('hyperv.mobility.' + name for name in modules) - set(listed))
    if missing:
        problems.append('ansible-doc -l hyperv.mobility in the installed collection misses: %s' % ', '.join(missing))
    installed = os.path.join(collections, 'ansible_collections', 'hyperv', 'mobility')
    for role in sorted(os.listdir(os.path.join(REPO_ROOT, 'roles'))):
        if not os.path.isfile(os.path.join(installed, 'roles', role, 'meta', 'argument_specs.yml')):
            problems.append('role %s is not installed with its argument spec' % role)
    if not os.path.isfile(os.path.join(installed, 'MANIFEST.json')):
        problems.append('the installed collection has no MANIFEST.json')
    return problems


def check(work_dir):
    tarball = build(work_dir)
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    problems = ['%s ships %s' % (member, why) for member, why in leaked_members(names)]
    problems.extend(problems_of_installation(install(tarball, work_dir)))
    return tarball, names, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', help='keep the tarball and the installation here')
    args = parser.parse_args(argv)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='hyperv-mobility-release-')
    try:
        tarball, names, problems = check(work_dir)
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    for problem in problems:
        print('release check: %s' % problem, file=sys.stderr)
    if problems:
        return 1
    print('release check: %s (%d files) is clean, installs, and lists every module' % (os.path.basename(tarball), len(names)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
