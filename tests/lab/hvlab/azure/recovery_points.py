# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery points of protected items, and the data each one holds (no network).

REST shape (azure-rest-api-specs ``recoveryservicessiterecovery``, RecoveryPoint):
``.../replicationProtectedItems/{item}/recoveryPoints/{name}`` with ``properties.recoveryPointTime``,
``properties.recoveryPointType`` (ApplicationConsistent or CrashConsistent) and ``properties.providerSpecificDetails``
(none of the documented subtypes is for Hyper-V: A2A, InMageAzureV2, InMageRcm; the lab answers null).

What the lab models, and from where:
- A protected VM's data is a counter, as in hvlab.model.replication: each site (``Primary``, ``Recovery``) holds a version;
  the workload writes on the side the VM is active on (the lab's ``/_control/workload`` route).
- A replication cycle (``/_control/workload`` with ``replicate``, and the end of initial replication) copies the active
  side's version to the other side and keeps it as a recovery point. How many points are kept follows the policy:
  ``recoveryPoints`` additional points besides the latest for Hyper-V Replica (Microsoft: "with a default value of zero,
  only the latest recovery point ... is stored"), ``recoveryPointHistoryDurationInHours`` for Hyper-V to Azure (the lab
  counts one point per hour of retention).
- A failover brings the recovery side online from a recovery point: the latest, unless the input names one
  (``recoveryPointId`` of HyperVReplicaAzure failover inputs) or a kind (``recoveryPointType`` of a recovery plan).
  A planned failover shuts the source down and sends what is left first, so it loses nothing.
- Before the commit, another recovery point can be applied (``applyRecoveryPoint``, the portal's "Change recovery
  point", allowed operation ``ChangePit``). Committing removes the recovery points (Hyper-V Replica's completion of a
  failover deletes them); reverse replication then copies the active side back.
"""

import copy
import datetime
import typing

from hvlab.azure.errors import bad_request, not_found

PROVIDER = 'Microsoft.RecoveryServices'
POINT_TYPE = '%s/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems/recoveryPoints' % PROVIDER
POINT_KINDS = ('CrashConsistent', 'ApplicationConsistent')
SIDES = ('Primary', 'Recovery')
# Recovery plan failover input (RecoveryPlanHyperVReplicaAzureFailoverInput.recoveryPointType) -> which point comes online.
PLAN_POINT_TYPES = ('Latest', 'LatestApplicationConsistent', 'LatestProcessed')
DATA_KEY = '_data'


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def data(item: dict) -> dict:
    """The lab's bookkeeping of an item's data: the version each side holds, the recovery points (never returned by ARM)."""
    return item.setdefault(DATA_KEY, {'versions': {'Primary': 0, 'Recovery': None}, 'points': [], 'sequence': 0})


def other(side: str) -> str:
    return 'Recovery' if side == 'Primary' else 'Primary'


def active_side(item: dict) -> str:
    return item['properties']['activeLocation']


def active_version(item: dict) -> typing.Optional[int]:
    return data(item)['versions'][active_side(item)]


def write(item: dict, count: int = 1) -> int:
    """The workload writes on the side the VM is active on."""
    versions = data(item)['versions']
    side = active_side(item)
    versions[side] = (versions[side] or 0) + int(count)
    return versions[side]


def retention(policy: dict) -> int:
    """How many recovery points the policy keeps (the latest plus the additional ones)."""
    details = policy['properties']['providerSpecificDetails']
    extra = details.get('recoveryPoints') if 'recoveryPoints' in details else details.get('recoveryPointHistoryDurationInHours')
    return int(extra or 0) + 1


def capture(item: dict, kind: str, keep: int) -> dict:
    """A replication cycle: the other side receives the active side's data, kept as the newest recovery point."""
    if kind not in POINT_KINDS:
        raise bad_request('InvalidRecoveryPointType', 'recoveryPointType must be one of %s; got %r.' % (', '.join(POINT_KINDS), kind))
    bookkeeping = data(item)
    version = active_version(item)
    bookkeeping['versions'][other(active_side(item))] = version
    bookkeeping['sequence'] += 1
    name = '%s-rp%04d' % (item['name'], bookkeeping['sequence'])
    point = {'id': '%s/recoveryPoints/%s' % (item['id'], name), 'name': name, 'type': POINT_TYPE,
             'properties': {'recoveryPointTime': _now(), 'recoveryPointType': kind, 'providerSpecificDetails': None},
             'dataVersion': version, 'side': other(active_side(item))}
    bookkeeping['points'].append(point)
    del bookkeeping['points'][:-keep]
    return point


def public(point: dict) -> dict:
    return {key: copy.deepcopy(value) for key, value in point.items() if key not in ('dataVersion', 'side')}


def points(item: dict) -> list:
    """The item's recovery points as ARM lists them, newest first."""
    return [public(point) for point in reversed(data(item)['points'])]


def point(item: dict, name_or_id: str) -> dict:
    wanted = (name_or_id or '').rstrip('/').rsplit('/', 1)[-1].lower()
    for candidate in data(item)['points']:
        if candidate['name'].lower() == wanted:
            return candidate
    raise not_found('Recovery point', name_or_id)


def chosen(item: dict, point_id: typing.Optional[str] = None, point_type: typing.Optional[str] = None) -> typing.Optional[dict]:
    """The recovery point a failover brings online: the one named, the latest of a kind, or the latest (None: no point yet)."""
    if point_id:
        return point(item, point_id)
    if point_type not in (None, *PLAN_POINT_TYPES):
        raise bad_request('InvalidRecoveryPointType', 'recoveryPointType must be one of %s; got %r.' % (', '.join(PLAN_POINT_TYPES), point_type))
    candidates = data(item)['points']
    if point_type == 'LatestApplicationConsistent':
        candidates = [candidate for candidate in candidates if candidate['properties']['recoveryPointType'] == 'ApplicationConsistent']
        if not candidates:
            raise bad_request('NoApplicationConsistentRecoveryPoint', "Virtual machine '%s' has no application-consistent recovery point." % (
                item['properties']['friendlyName']))
    return candidates[-1] if candidates else None


def bring_online(item: dict, side: str, recovery_point: typing.Optional[dict]) -> typing.Optional[int]:
    """``side`` runs the VM from ``recovery_point`` (no point: what that side last received)."""
    versions = data(item)['versions']
    if recovery_point is not None:
        versions[side] = recovery_point['dataVersion']
    return versions[side]


def synchronize(item: dict, source: str) -> typing.Optional[int]:
    """A planned failover or a reverse replication: the other side receives everything ``source`` holds."""
    versions = data(item)['versions']
    versions[other(source)] = versions[source]
    return versions[source]


def clear(item: dict) -> None:
    data(item)['points'] = []


def summary(item: dict) -> dict:
    """What tests read: each side's version, the active one, and the points with the version they hold."""
    bookkeeping = data(item)
    return {'name': item['name'], 'vm_name': item['properties']['friendlyName'], 'active_location': active_side(item),
            'versions': dict(bookkeeping['versions']), 'active_version': active_version(item),
            'recovery_points': [{'name': entry['name'], 'type': entry['properties']['recoveryPointType'], 'data_version': entry['dataVersion']}
                                for entry in bookkeeping['points']]}
