# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live-migration networks: validation, normalisation and the desired-state difference.

Hyper-V keeps a list of (subnet, priority) entries per host (Get-VMMigrationNetwork). A subnet is
an IPv4/IPv6 address or CIDR prefix (Add-VMMigrationNetwork). Users write the same network in many
ways (``2001:DB8::/64`` and ``2001:db8:0::/64``, ``10.0.0.5`` and ``10.0.0.5/32``), so every
comparison happens on the normalised form produced here.
"""

from __future__ import annotations

import ipaddress

NETWORKS_MODES = ('exclusive', 'add', 'remove')


class NetworkSpecError(ValueError):
    """A user-supplied network entry is not acceptable; the message names the option."""


def normalize_subnet(value, option='subnet'):
    """Return the canonical text of an address or CIDR prefix, or raise NetworkSpecError.

    A bare address becomes a host prefix (/32 or /128), which is how Hyper-V matches it. A prefix
    with host bits set is refused with the network the user most likely meant.
    """
    text = str(value).strip() if value is not None else ''
    if not text:
        raise NetworkSpecError('%s: an IPv4/IPv6 address or CIDR prefix is required' % option)
    if '%' in text:
        # Python reads 'fe80::%eth0/64' as a network with a scope; a zone id names an interface of one machine, and the
        # subnet of Add-VMMigrationNetwork is a network every host matches its own addresses against.
        raise NetworkSpecError('%s: %r holds an IPv6 zone id (%%...); a migration network is a subnet without one, e.g. fe80::/64' % (option, text))
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as strict_error:
        try:
            suggestion = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise NetworkSpecError(
                '%s: %r is not an IPv4/IPv6 address or CIDR prefix (%s); write e.g. 192.168.10.0/24 or 2001:db8::/64'
                % (option, text, strict_error))
        raise NetworkSpecError('%s: %r has host bits set; did you mean %s?' % (option, text, suggestion))
    if network.prefixlen == 0:
        raise NetworkSpecError('%s: %r is every address, not a restricted network; to accept live migrations on any network set '
                               'use_any_network: true instead' % (option, text))
    return network.with_prefixlen


def parse_networks(entries, option='networks'):
    """Validate the ``networks`` option; return a list of {'subnet', 'priority'} with canonical subnets.

    ``priority`` may be None (Hyper-V then chooses it, and it is not compared).
    """
    parsed = []
    seen = {}
    for index, entry in enumerate(entries or []):
        where = '%s[%d]' % (option, index)
        if isinstance(entry, str):
            entry = {'subnet': entry}
        if not isinstance(entry, dict):
            raise NetworkSpecError('%s: expected a dict with subnet and priority, got %r' % (where, entry))
        unknown = sorted(set(entry) - {'subnet', 'priority'})
        if unknown:
            raise NetworkSpecError('%s: unknown keys %s; accepted keys are subnet, priority' % (where, ', '.join(unknown)))
        subnet = normalize_subnet(entry.get('subnet'), option='%s.subnet' % where)
        priority = entry.get('priority')
        if priority is not None:
            try:
                priority = int(priority)
            except (TypeError, ValueError):
                raise NetworkSpecError('%s.priority: %r is not an integer' % (where, priority))
            if priority < 0 or priority > 4294967295:
                raise NetworkSpecError('%s.priority: %d is outside 0..4294967295 (UInt32)' % (where, priority))
        if subnet in seen:
            raise NetworkSpecError('%s.subnet: %s is listed twice (also %s[%d])' % (where, subnet, option, seen[subnet]))
        seen[subnet] = index
        parsed.append({'subnet': subnet, 'priority': priority})
    return parsed


def canonical_subnet(host_text):
    """The canonical text of a subnet as the host reports it (the host only stores valid subnets)."""
    return ipaddress.ip_network(str(host_text), strict=False).with_prefixlen


def current_networks(objects):
    """Turn Get-VMMigrationNetwork objects (plain dicts of properties) into {'subnet', 'priority'} entries."""
    networks = []
    for properties in objects:
        subnet = canonical_subnet(properties['Subnet'])
        priority = properties.get('Priority')
        networks.append({'subnet': subnet, 'priority': int(priority) if priority is not None else None})
    return sorted(networks, key=_sort_key)


def plan_networks(current, desired, mode):
    """Return the changes that take ``current`` to what ``desired`` asks for under ``mode``.

    Result: {'add': [...], 'set_priority': [...], 'remove': [...]} of {'subnet', 'priority'} entries,
    each sorted, so that the same input always gives the same plan (and the same diff).
    """
    if mode not in NETWORKS_MODES:
        raise NetworkSpecError('networks_mode: %r is not one of %s' % (mode, ', '.join(NETWORKS_MODES)))
    by_subnet = dict((network['subnet'], network) for network in current)
    plan = {'add': [], 'set_priority': [], 'remove': []}
    if mode == 'remove':
        plan['remove'] = [by_subnet[network['subnet']] for network in desired if network['subnet'] in by_subnet]
    else:
        for network in desired:
            present = by_subnet.get(network['subnet'])
            if present is None:
                plan['add'].append(network)
            elif network['priority'] is not None and network['priority'] != present['priority']:
                plan['set_priority'].append(network)
        if mode == 'exclusive':
            wanted = set(network['subnet'] for network in desired)
            plan['remove'] = [network for network in current if network['subnet'] not in wanted]
    return dict((key, sorted(value, key=_sort_key)) for key, value in plan.items())


def apply_plan(current, plan):
    """The network list that results once ``plan`` is applied to ``current`` (for check mode and diffs)."""
    removed = set(network['subnet'] for network in plan['remove'])
    priorities = dict((network['subnet'], network['priority']) for network in plan['set_priority'])
    result = []
    for network in current:
        if network['subnet'] in removed:
            continue
        result.append({'subnet': network['subnet'], 'priority': priorities.get(network['subnet'], network['priority'])})
    result.extend(plan['add'])
    return sorted(result, key=_sort_key)


def networks_overlap(left, right):
    """True when any subnet of ``left`` overlaps any subnet of ``right`` (same IP version)."""
    left_networks = [ipaddress.ip_network(network['subnet'], strict=False) for network in left]
    right_networks = [ipaddress.ip_network(network['subnet'], strict=False) for network in right]
    return any(a.version == b.version and a.overlaps(b) for a in left_networks for b in right_networks)


def _sort_key(network):
    parsed = ipaddress.ip_network(network['subnet'], strict=False)
    return (parsed.version, int(parsed.network_address), parsed.prefixlen)
