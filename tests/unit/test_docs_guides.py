# -*- coding: utf-8 -*-
"""The guides in docs/docsite: listed in extra-docs.yml, valid for antsibull-docs, and the troubleshooting page covers the
errors the modules really report (each quoted code or command is both in the collection's messages and on the page)."""

import glob
import os
import re
import subprocess
import sys

import yaml

from collection_path import COLLECTIONS_ROOT, REPO_ROOT

DOCSITE = os.path.join(REPO_ROOT, 'docs', 'docsite')
BIN = os.path.dirname(sys.executable)

# Strings users search for, that the modules put in their messages: the page must explain each of them.
ERRORS_USERS_MEET = ('0x8009030E', 'No credentials are available in the security package', 'klist -li 0x3e7 purge', '0x00002EE2',
                     '0x00002EFD', '0x00002EE7', 'VIRT-HVRHTTPL-In-TCP-NoScope', 'VIRT-HVRHTTPSL-In-TCP-NoScope',
                     'the TLS certificate of the host could not be validated', 'hyperv_ca_cert', 'ansible_winrm_ca_trust_path',
                     'protocol_transition: true')


def read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def collection_sources():
    sources = glob.glob(os.path.join(REPO_ROOT, 'plugins', '**', '*.py'), recursive=True)
    return '\n'.join(read(path) for path in sources)


def test_every_guide_is_published_and_labelled():
    listed = [name for section in yaml.safe_load(read(os.path.join(DOCSITE, 'extra-docs.yml')))['sections'] for name in section['toctree']]
    files = sorted(os.path.basename(path)[:-4] for path in glob.glob(os.path.join(DOCSITE, 'rst', '*.rst')))
    assert sorted(listed) == files
    for name in files:
        first_line = read(os.path.join(DOCSITE, 'rst', name + '.rst')).splitlines()[0]
        assert first_line == '.. _ansible_collections.hyperv.mobility.docsite.%s:' % name


def test_troubleshooting_explains_the_errors_the_modules_report():
    page = read(os.path.join(DOCSITE, 'rst', 'guide_troubleshooting.rst'))
    sources = collection_sources()
    for text in ERRORS_USERS_MEET:
        assert text.lower() in sources.lower(), '%r is no longer in any module message: update the page and this list' % text
        assert text in page, 'the troubleshooting page does not explain %r' % text


def test_guides_refer_only_to_plugins_that_exist():
    plugin_folders = {'module': 'modules', 'filter': 'filter'}
    for path in glob.glob(os.path.join(DOCSITE, 'rst', '*.rst')):
        for name, kind in re.findall(r':ansplugin:`hyperv\.mobility\.(\w+)#(\w+)`', read(path)):
            if kind == 'role':
                assert os.path.isdir(os.path.join(REPO_ROOT, 'roles', name)), '%s: no role %s' % (path, name)
            else:
                assert os.path.isfile(os.path.join(REPO_ROOT, 'plugins', plugin_folders[kind], name + '.py')), '%s: no %s %s' % (path, kind, name)


def test_antsibull_docs_accepts_the_extra_docs():
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT)
    # The logging configuration of `make docs`: antsibull's default log file is ~/antsibull.log, outside the repository.
    logging_cfg = os.path.join(REPO_ROOT, 'docs', 'sphinx', 'antsibull-logging.cfg')
    completed = subprocess.run([os.path.join(BIN, 'antsibull-docs'), '--config-file', logging_cfg, 'lint-collection-docs', '--skip-rstcheck',
                                os.path.join(COLLECTIONS_ROOT, 'ansible_collections', 'hyperv', 'mobility')],
                               capture_output=True, text=True, env=environment, check=False, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_index_opens_with_getting_started():
    """The collection's index page lists the sections of extra-docs.yml in order: a newcomer finds how to start first."""
    sections = yaml.safe_load(read(os.path.join(DOCSITE, 'extra-docs.yml')))['sections']
    assert sections[0]['title'] == 'Getting started'
    assert sections[0]['toctree'][:2] == ['guide_getting_started', 'guide_test_your_role']
    page = read(os.path.join(DOCSITE, 'rst', 'guide_getting_started.rst'))
    for step in ('What the controller needs', 'Install', 'The inventory', 'check mode', 'A first mesh'):
        assert step in page, step
