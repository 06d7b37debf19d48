# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A started VM is up when its guest answers the heartbeat integration service: Get-VM's Heartbeat property (VMHeartbeatStatus)
is one of the Ok... values. vm_start and vm_failover (start: true) wait for it the same way, with the skeleton's wait_until.
"""

import time

VM_TYPE = 'Microsoft.HyperV.PowerShell.VirtualMachine'
# Start-VM starts a VM in these states; a Running one is not started again, a Paused one must be resumed.
STARTABLE = ('Off', 'Saved')


def heartbeat_ok(heartbeat):
    """OkApplicationsUnknown / OkApplicationsHealthy / OkApplicationsCritical: the guest OS answers (its applications aside)."""
    return str(heartbeat or '').startswith('Ok')


def vm_view(vm):
    """name, state, heartbeat of a Get-VM object."""
    return dict(name=vm.get('Name'), state=vm.get('State'), heartbeat=vm.get('Heartbeat'))


def wait_for_heartbeat(module, read, first, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic):
    """Read the VM's view (read()) until its heartbeat is OK or timeout seconds have passed; the Waited keeps each distinct
    (state, heartbeat) seen with its time, the progress a result shows."""
    return module.wait_until(read, lambda view: heartbeat_ok(view['heartbeat']), timeout, poll_interval,
                             state_of=lambda view: dict(state=view['state'], heartbeat=view['heartbeat']), first=first, clock=clock,
                             sleep=sleep)


def not_up(view, where, timeout):
    """The message of a VM whose heartbeat did not become OK in time."""
    return ("VM '%s' on %s is %s but its heartbeat is %s after %d seconds: the guest does not answer (check its operating system and "
            'integration services) - it is not up and running.' % (view['name'], where, view['state'], view['heartbeat'], timeout))


def not_startable(view, where):
    """The message of a VM Start-VM would not start (Paused, or in a transition), None when it can start or runs."""
    if view['state'] in STARTABLE + ('Running',):
        return None
    return "VM '%s' on %s is %s: resume it (or turn it off) before starting it." % (view['name'], where, view['state'])
