#!/usr/bin/env python
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the offline get-pip stand-in where ansible-test looks for its cached bootstrap script.

The pip version comes from the installed ansible-test itself, so an ansible-core upgrade that
moves to another pip needs no change here.
"""

from __future__ import annotations

import os
import shutil
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages


def main() -> None:
    """Copy scripts/ansible_test_get_pip.py to ~/.ansible/test/cache/get_pip_<version>.py."""
    python_version = '%d.%d' % sys.version_info[:2]
    pip_version = get_venv_packages(types.SimpleNamespace(version=python_version))['pip']
    # same naming rule as ansible_test/_util/target/setup/requirements.py bootstrap()
    cache_path = os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_'))
    os.makedirs(os.path.dirname(cache_path), exist_ok=True)
    shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ansible_test_get_pip.py'), cache_path)
    print('ansible-test pip %s bootstrap: %s' % (pip_version, cache_path))


if __name__ == '__main__':
    main()
