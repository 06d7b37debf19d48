# -*- coding: utf-8 -*-
"""Validation, normalisation and planning of live-migration networks."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, strategies as st

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.migration_networks import (
    NetworkSpecError, apply_plan, current_networks, networks_overlap, normalize_subnet, parse_networks, plan_networks)


@pytest.mark.parametrize('given_text, canonical', [
    ('192.168.10.0/24', '192.168.10.0/24'),
    (' 192.168.10.0/24 ', '192.168.10.0/24'),
    ('10.0.0.5', '10.0.0.5/32'),
    ('2001:DB8:0::/64', '2001:db8::/64'),
    ('2001:836c:6456:1c99::/64', '2001:836c:6456:1c99::/64'),
    ('fe80::1', 'fe80::1/128'),
])
def test_normalize_subnet_canonical_forms(given_text, canonical):
    assert normalize_subnet(given_text) == canonical


def test_host_bits_set_suggests_the_network():
    with pytest.raises(NetworkSpecError, match=r"networks\[0\]\.subnet: '192\.168\.10\.7/24' has host bits set; did you mean 192\.168\.10\.0/24\?"):
        parse_networks([{'subnet': '192.168.10.7/24'}])


@pytest.mark.parametrize('bad', ['192.168.300.0/24', 'not-a-subnet', '10.0.0.0/33', '', None])
def test_malformed_subnet_names_the_option(bad):
    with pytest.raises(NetworkSpecError, match=r'networks\[1\]\.subnet'):
        parse_networks([{'subnet': '10.0.0.0/8'}, {'subnet': bad}])


def test_priority_validation_and_unknown_keys():
    with pytest.raises(NetworkSpecError, match=r'networks\[0\]\.priority: -1 is outside'):
        parse_networks([{'subnet': '10.0.0.0/8', 'priority': -1}])
    with pytest.raises(NetworkSpecError, match=r"networks\[0\]\.priority: 'high' is not an integer"):
        parse_networks([{'subnet': '10.0.0.0/8', 'priority': 'high'}])
    with pytest.raises(NetworkSpecError, match='unknown keys prio; accepted keys are subnet, priority'):
        parse_networks([{'subnet': '10.0.0.0/8', 'prio': 1}])


def test_same_network_written_twice_is_refused():
    with pytest.raises(NetworkSpecError, match=r'networks\[1\]\.subnet: 2001:db8::/64 is listed twice'):
        parse_networks([{'subnet': '2001:db8::/64'}, {'subnet': '2001:DB8:0::/64'}])


def test_current_networks_normalises_and_sorts_host_output():
    objects = [{'Subnet': '2001:DB8::/64', 'Priority': 2}, {'Subnet': '192.168.10.0/24', 'Priority': 1}]
    assert current_networks(objects) == [{'subnet': '192.168.10.0/24', 'priority': 1}, {'subnet': '2001:db8::/64', 'priority': 2}]


CURRENT = [{'subnet': '10.0.0.0/8', 'priority': 5}, {'subnet': '192.168.10.0/24', 'priority': 1}]


def test_exclusive_adds_changes_priority_and_removes():
    desired = parse_networks([{'subnet': '192.168.10.0/24', 'priority': 2}, {'subnet': '172.16.0.0/12', 'priority': 3}])
    plan = plan_networks(CURRENT, desired, 'exclusive')
    assert plan == {
        'add': [{'subnet': '172.16.0.0/12', 'priority': 3}],
        'set_priority': [{'subnet': '192.168.10.0/24', 'priority': 2}],
        'remove': [{'subnet': '10.0.0.0/8', 'priority': 5}],
    }
    assert apply_plan(CURRENT, plan) == sorted(desired, key=lambda n: ipaddress.ip_network(n['subnet']))


def test_add_mode_keeps_other_networks_and_ignores_unset_priority():
    desired = parse_networks(['10.0.0.0/8', {'subnet': '172.16.0.0/12', 'priority': 3}])
    plan = plan_networks(CURRENT, desired, 'add')
    assert plan == {'add': [{'subnet': '172.16.0.0/12', 'priority': 3}], 'set_priority': [], 'remove': []}


def test_remove_mode_only_removes_present_networks():
    plan = plan_networks(CURRENT, parse_networks(['10.0.0.0/8', '172.16.0.0/12']), 'remove')
    assert plan == {'add': [], 'set_priority': [], 'remove': [{'subnet': '10.0.0.0/8', 'priority': 5}]}


def test_unknown_mode_is_refused():
    with pytest.raises(NetworkSpecError, match='networks_mode: .* is not one of exclusive, add, remove'):
        plan_networks(CURRENT, [], 'replace')


def test_overlap():
    assert networks_overlap([{'subnet': '192.168.0.0/16'}], [{'subnet': '192.168.10.0/24'}])
    assert not networks_overlap([{'subnet': '192.168.0.0/16'}], [{'subnet': '10.0.0.0/8'}])
    assert not networks_overlap([{'subnet': '::/0'}], [{'subnet': '10.0.0.0/8'}])


networks_strategy = st.lists(
    st.builds(lambda address, prefix, priority: {'subnet': str(ipaddress.ip_network('%s/%d' % (address, prefix), strict=False)),
                                                 'priority': priority},
              st.ip_addresses(v=4), st.integers(8, 32), st.one_of(st.none(), st.integers(0, 10))),
    max_size=6, unique_by=lambda n: n['subnet'])


@given(networks_strategy, networks_strategy)
def test_planning_converges_in_one_step(current_raw, desired_raw):
    current = current_networks([{'Subnet': n['subnet'], 'Priority': n['priority'] or 0} for n in current_raw])
    desired = parse_networks(desired_raw)
    for mode in ('exclusive', 'add', 'remove'):
        after = apply_plan(current, plan_networks(current, desired, mode))
        assert plan_networks(after, desired, mode) == {'add': [], 'set_priority': [], 'remove': []}
