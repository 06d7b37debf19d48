# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""vm_migrate upgrade_version: whether a VM's configuration version must be upgraded for the destination, and to what.

Update-VMVersion upgrades a VM to its host's current version and cannot be undone (Microsoft's Update-VMVersion and "Upgrade
virtual machine version" pages). Which version that is on a host whose default is below its highest supported one no source
settles (docs/dev/fidelity.md), so an upgrade is planned only when the destination supports both the source's default and its
highest version; the module runs Compare-VM again after the upgrade in any case.
"""

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import version_key


def upgrade_refusal(vm_version, source, destination):
    """Why upgrading cannot make the VM movable (None when it can): the VM is already at or above what the source upgrades to, or
    the destination does not support that version."""
    results = source.upgrade_results
    if not results or version_key(vm_version) >= version_key(results[-1]):
        return 'its version %s is already the newest the source supports, and the destination supports only %s' % (
            vm_version, ', '.join(destination.supported) or 'none')
    unsupported = [version for version in results if not destination.supports(version)]
    if unsupported:
        return ('Update-VMVersion on the source would make it version %s, which the destination does not support (it supports %s)'
                % (' or '.join(unsupported), ', '.join(destination.supported) or 'none'))
    return None
