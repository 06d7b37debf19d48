#!/usr/bin/env python
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for ansible-test's ``get-pip-<version>.py`` bootstrap script.

``ansible-test sanity --venv`` creates each virtual environment ``--without-pip`` and then
downloads ``get-pip-<version>.py`` from ci-files.testing.ansible.com, a host this machine
cannot reach.  It first looks for ``~/.ansible/test/cache/get_pip_<version>.py`` though, so
``make sanity`` places this file there.  Like the real get-pip it receives pip's install
arguments (for example ``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``)
and installs them; it runs pip from the wheel that CPython bundles for ``ensurepip``, and
pip then fetches the requested version from the package index that pip is configured with.
"""

from __future__ import annotations

import glob
import os
import runpy
import sys

# get-pip.py's own flags, not pip's: they say "do not also install setuptools / wheel".
GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def bundled_pip_wheel() -> str:
    """Return the path of the pip wheel that ships with this interpreter's ensurepip."""
    import ensurepip  # pylint: disable=import-outside-toplevel

    wheels = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl')))
    if not wheels:
        raise SystemExit('get-pip stand-in: this Python has no bundled pip wheel (install the python3-venv package)')
    return wheels[-1]


def main() -> None:
    """Install the requested packages with the bundled pip."""
    pip_arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_FLAGS]
    # A wheel is a zip archive that Python can import from directly.
    sys.path.insert(0, bundled_pip_wheel())
    sys.argv = ['pip', 'install', '--upgrade', '--force-reinstall'] + pip_arguments
    runpy.run_module('pip', run_name='__main__', alter_sys=True)


if __name__ == '__main__':
    main()
