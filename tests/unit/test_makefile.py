# -*- coding: utf-8 -*-
"""The Makefile: `make help` lists every target, and `make test` runs the static checks."""

import os
import re

from collection_path import REPO_ROOT


def targets():
    found = set()
    for name in ('Makefile', 'docs.mk'):
        with open(os.path.join(REPO_ROOT, name), encoding='utf-8') as handle:
            for line in handle:
                match = re.match(r'^([a-z][a-z0-9-]*)\s*:(?!=)', line)
                if match:
                    found.add(match.group(1))
    return found


def makefile():
    with open(os.path.join(REPO_ROOT, 'Makefile'), encoding='utf-8') as handle:
        return handle.read()


def test_help_lists_every_target():
    text = makefile()
    recipe = text[text.index('\nhelp:'):text.index('\n\n', text.index('\nhelp:') + 1)]
    listed = set(re.findall(r'make ([a-z][a-z0-9-]*)', recipe))
    assert targets() - {'help'} <= listed, sorted(targets() - {'help'} - listed)
    assert 'static' in targets() and 'bench' in targets() and 'docs' in targets()


def test_make_test_runs_the_static_checks():
    stages = re.search(r'^TEST_STAGES := (.*)$', makefile(), re.M).group(1).split()
    assert stages[0] == 'static' and 'pytest' in stages
