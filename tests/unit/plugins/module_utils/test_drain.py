# -*- coding: utf-8 -*-
"""host_drain's placement and its slots for parallel moves (pure logic)."""

import json
import threading
import time

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.drain import MB, Destination, DrainVM, MoveSlots, ProgressFile, place

GB = 1024 * MB


def vm(name, gb, state='Running', version='10.0', startup_gb=None):
    return DrainVM(name, name + '-id', state, gb * GB, (startup_gb if startup_gb is not None else gb) * GB, version)


def host(name, free_gb, versions=('9.0', '10.0'), limit=2):
    return Destination(name, name + '.hvlab.test', free_gb * GB, versions, limit)


def test_largest_first_each_onto_the_destination_with_the_most_free_memory():
    placed, unplaced = place([vm('small', 1), vm('big', 8), vm('mid', 4)], [host('hv02', 10), host('hv03', 9)])
    assert unplaced == {}
    # big -> hv02 (10 free, 2 left); mid -> hv03 (9, 5 left); small -> hv03 (5 > 2)
    assert placed == {'big-id': 'hv02', 'mid-id': 'hv03', 'small-id': 'hv03'}


def test_a_vm_that_fits_nowhere_is_reported_with_the_memory_and_the_fix():
    placed, unplaced = place([vm('huge', 64), vm('web', 2)], [host('hv02', 16), host('hv03', 8)])
    assert placed == {'web-id': 'hv02'}
    assert 'runs with 65536 MB' in unplaced['huge-id'].reason and '16384 MB free at most' in unplaced['huge-id'].reason
    assert 'free memory' in unplaced['huge-id'].fix


def test_a_vm_that_is_off_needs_no_memory_but_is_spread():
    vms = [vm('off1', 0, 'Off', startup_gb=4), vm('off2', 0, 'Off', startup_gb=4)]
    placed, unplaced = place(vms, [host('hv02', 1), host('hv03', 1)])
    assert unplaced == {} and sorted(placed.values()) == ['hv02', 'hv03']


def test_the_version_must_be_supported_on_the_destination():
    placed, unplaced = place([vm('old', 1, version='5.0'), vm('new', 1, version='10.0')], [host('hv02', 8, versions=('9.0', '10.0'))])
    assert placed == {'new-id': 'hv02'}
    assert 'configuration version 5.0 is not supported by any destination' in unplaced['old-id'].reason
    assert 'Update-VMVersion' in unplaced['old-id'].fix


def test_a_pin_is_the_only_destination_and_refusals_are_not_tried_again():
    destinations = [host('hv02', 32), host('hv03', 8)]
    placed, _unused = place([vm('sql', 4)], destinations, pins={'sql': 'hv03'})
    assert placed == {'sql-id': 'hv03'}
    placed, unplaced = place([vm('sql', 16)], destinations, pins={'sql': 'hv03'})
    assert placed == {} and 'its pinned destination hv03' in unplaced['sql-id'].reason
    placed, _unused = place([vm('web', 1)], destinations, refused={'web-id': {'hv02'}})
    assert placed == {'web-id': 'hv03'}
    placed, unplaced = place([vm('web', 1)], destinations, refused={'web-id': {'hv02', 'hv03'}})
    assert placed == {} and 'Compare-VM found it incompatible' in unplaced['web-id'].reason


def test_memory_promised_in_an_earlier_round_is_taken():
    placed, unplaced = place([vm('web', 4)], [host('hv02', 6), host('hv03', 5)], taken={'hv02': 4 * GB})
    assert placed == {'web-id': 'hv03'} and unplaced == {}


def moves(count, destinations):
    return [(vm('vm%02d' % number, 1), destinations[number % len(destinations)]) for number in range(count)]


def test_slots_never_exceed_the_source_or_a_destination_limit():
    slots = MoveSlots('hv01', 4, {'hv02': 1, 'hv03': 2, 'hv04': 2}, moves(20, ['hv02', 'hv03', 'hv04']), time.monotonic)
    assert slots.workers() == 4
    done = []

    def worker():
        while True:
            move = slots.take()
            if move is None:
                return
            time.sleep(0.01)
            done.append(move[0].name)
            slots.done(move[1])

    threads = [threading.Thread(target=worker) for _unused in range(slots.workers())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) == 20
    assert slots.peak['hv01'] <= 4 and slots.peak['hv02'] == 1 and slots.peak['hv03'] <= 2 and slots.peak['hv04'] <= 2
    assert slots.in_flight == {'hv01': 0, 'hv02': 0, 'hv03': 0, 'hv04': 0}
    assert max(point['in_flight'] for point in slots.timeline) == slots.peak['hv01']


@pytest.mark.parametrize('source_limit, limits, count, workers', [(2, {'hv02': 5}, 10, 2), (8, {'hv02': 1, 'hv03': 2}, 10, 3),
                                                                  (8, {'hv02': 5}, 2, 2), (2, {'hv02': 2}, 0, 0)])
def test_workers_are_what_can_ever_run_at_once(source_limit, limits, count, workers):
    assert MoveSlots('hv01', source_limit, limits, moves(count, list(limits)), time.monotonic).workers() == workers


def test_a_move_waiting_for_its_retry_holds_no_slot():
    """The backoff before a retry gives the move's slots back: another move starts meanwhile, and the retried move starts again
    only once its delay has passed, in its place in the order."""
    now = [100.0]
    first, second, third = (vm('big', 8), 'hv02'), (vm('mid', 4), 'hv02'), (vm('small', 1), 'hv02')
    slots = MoveSlots('hv01', 1, {'hv02': 1}, [first, second, third], lambda: now[0])
    assert slots.take() is first
    slots.retry_later(first, 30)
    assert slots.in_flight == {'hv01': 0, 'hv02': 0}
    assert slots.take() is second           # the retry is not due: the next move takes the slot
    slots.done('hv02')
    now[0] += 30
    assert slots.take() is first            # due again, and ahead of the smaller move
    slots.done('hv02')
    assert slots.take() is third
    slots.done('hv02')
    assert slots.take() is None and slots.peak == {'hv01': 1, 'hv02': 1}


def test_take_wakes_up_for_a_retry_that_falls_due_without_any_other_move_ending():
    only = (vm('web', 1), 'hv02')
    slots = MoveSlots('hv01', 2, {'hv02': 2}, [only], time.monotonic)
    assert slots.take() is only
    slots.retry_later(only, 0.05)
    assert slots.take() is only and slots.pending == []


def test_the_progress_file_holds_the_counts_after_each_start_and_end(tmp_path):
    path = tmp_path / 'hv01.progress.json'
    watched = ProgressFile(str(path), 3)
    assert json.loads(path.read_text()) == dict(total=3, moved=0, failed=0, in_flight=0, left=3, last=None)
    watched.started('Move-VM Name=web -> hv02')
    watched.started('Move-VM Name=db -> hv03')
    watched.finished('Move-VM Name=web -> hv02', 'moved')
    assert json.loads(path.read_text()) == dict(total=3, moved=1, failed=0, in_flight=1, left=1, last='Move-VM Name=web -> hv02: moved')
    watched.finished('Move-VM Name=db -> hv03', 'failed')
    assert json.loads(path.read_text())['failed'] == 1 and [item.name for item in tmp_path.iterdir()] == ['hv01.progress.json']
    ProgressFile(None, 2).started('nothing is written')          # no progress_file: no file


def test_a_vm_goes_only_where_its_switches_are_or_are_mapped_and_is_reported_naming_the_switch_otherwise():
    web = DrainVM('web', 'web-id', 'Running', 2 * GB, 2 * GB, '10.0', [('Front end', 'LAN'), ('Spare', None)])
    dmz = DrainVM('dmz', 'dmz-id', 'Running', 1 * GB, 1 * GB, '10.0', [('Public', 'DMZ')])
    roomy = Destination('hv02', 'hv02.hvlab.test', 64 * GB, ('10.0',), 2, switches=['Production'])
    small = Destination('hv03', 'hv03.hvlab.test', 8 * GB, ('10.0',), 2, switches=['LAN'])
    placed, unplaced = place([web, dmz], [roomy, small])
    assert placed == {'web-id': 'hv03'}          # hv02 has more memory free, but not the switch
    assert "connected to switch 'DMZ', which hv02.hvlab.test does not have (its switches: Production)" in unplaced['dmz-id'].reason
    assert 'hv03.hvlab.test' in unplaced['dmz-id'].reason and 'switch_map' in unplaced['dmz-id'].fix
    placed, unplaced = place([web, dmz], [roomy, small], switch_map={'dmz': 'Production', 'LAN': 'Production'})
    assert unplaced == {}
    assert placed['web-id'] == 'hv02' and placed.get('dmz-id') == 'hv02'
    assert web.switch_changes(roomy, {'LAN': 'Production'}) == [{'adapter': 'Front end', 'switch': 'LAN', 'to': 'Production'}]
