# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the lab's own tests; the lab, the Samba DC and playbook runs come from tests/conftest.py."""

from __future__ import annotations

import pytest

from directory_helpers import DOMAIN, LAB_HOSTS


@pytest.fixture(scope='session')
def lab_dc(samba_dc):
    """The session's Samba DC (samba_dc) with the computer accounts HV01$..HV03$ of the lab hosts (no delegation)."""
    for name in LAB_HOSTS:
        samba_dc.add_computer(name, f'{name}.{DOMAIN}')
    return samba_dc
