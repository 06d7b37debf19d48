# -*- coding: utf-8 -*-
"""replication_health: problems of a Hyper-V Replica relationship, classified as the Site Recovery architecture page does."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replication_health import (
    ADMINISTRATOR, REASONS, RESYNCHRONIZATION, RETRIED, classify, reason_of_detail, verdict)


def reasons(problems):
    return [problem.reason.key for problem in problems]


def test_healthy_relationship_has_no_problem():
    assert classify('Replicating', 'Normal', []) == []
    assert verdict([]) is None


@pytest.mark.parametrize('message, reason, classification', [
    # The page's non-recoverable errors: no retry, an administrator must act.
    ('The virtual hard disk chain of the Replica virtual machine is broken.', 'vhd_chain', ADMINISTRATOR),
    ('The Replica virtual machine is in a state that does not accept replication.', 'invalid_replica_state', ADMINISTRATOR),
    ('Hyper-V failed to authenticate with the Replica server using Kerberos authentication.', 'authentication', ADMINISTRATOR),
    ('The certificate was not found or does not meet the requirements of Hyper-V Replica.', 'authentication', ADMINISTRATOR),
    ('The primary server is not authorized to replicate to the Replica server.', 'authorization', ADMINISTRATOR),
    ('The Replica virtual machine was not found on the Replica server.', 'vm_not_found', ADMINISTRATOR),
    # The page's recoverable errors: retried with back-off.
    ('A network error prevented sending the replication log to the Replica server.', 'network', RETRIED),
    ('The operation timed out (0x00002EE2).', 'network', RETRIED),
    ('There is not enough free disk space to store the replication log.', 'disk_space', RETRIED),
    ('There is not enough memory to process the replication.', 'memory', RETRIED),
    # The resynchronization case.
    ('The replication log grew past half the size of the virtual disk: the virtual machine needs resynchronization.',
     'resynchronization_required', RESYNCHRONIZATION),
])
def test_each_documented_error_is_recognised_and_classified(message, reason, classification):
    assert reason_of_detail(message) == reason
    assert REASONS[reason].classification == classification


def test_quoted_names_do_not_mislead_the_classification():
    message = "Hyper-V could not replicate changes for virtual machine 'memory-cache': The virtual hard disk chain is broken."
    assert reason_of_detail(message) == 'vhd_chain'
    assert reason_of_detail("Replication of 'network-gw' is fine") is None


def test_retried_error_in_a_warning():
    problems = classify('Replicating', 'Warning', ['A network error prevented sending the replication log.'])
    assert reasons(problems) == ['network']
    assert verdict(problems) == RETRIED
    assert problems[0].to_dict()['detail'] == 'A network error prevented sending the replication log.'


def test_error_state_without_a_recognisable_message_still_needs_an_administrator():
    problems = classify('Error', 'Critical', ['Something unexpected (0x80004005).'])
    assert reasons(problems) == ['error_unknown']
    assert verdict(problems) == ADMINISTRATOR
    assert problems[0].detail == 'Something unexpected (0x80004005).'


def test_warning_without_details_is_retried():
    assert reasons(classify('Replicating', 'Warning', [])) == ['warning_unknown']


@pytest.mark.parametrize('state, reason, classification', [
    ('WaitingForStartResynchronize', 'resynchronization_required', RESYNCHRONIZATION),
    ('Resynchronizing', 'resynchronizing', RESYNCHRONIZATION),
    ('ResynchronizeSuspended', 'resynchronization_suspended', RESYNCHRONIZATION),
    ('Suspended', 'suspended', ADMINISTRATOR),
    ('ReadyForInitialReplication', 'initial_replication_not_started', ADMINISTRATOR),
    ('WaitingForInitialReplication', 'initial_replication_import_pending', ADMINISTRATOR),
])
def test_states_that_are_problems_in_themselves(state, reason, classification):
    problems = classify(state, 'Warning', [])
    assert reasons(problems) == [reason]
    assert verdict(problems) == classification


def test_state_reason_and_its_message_are_reported_once():
    message = 'The replication log grew past half the size of the virtual disk: the virtual machine needs resynchronization.'
    problems = classify('WaitingForStartResynchronize', 'Critical', [message, message])
    assert reasons(problems) == ['resynchronization_required']


def test_worst_problem_first():
    problems = classify('Error', 'Critical', ['There is not enough memory to process the replication.',
                                              'The primary server is not authorized to replicate to the Replica server.'])
    assert reasons(problems) == ['authorization', 'memory']
    assert verdict(problems) == ADMINISTRATOR


def test_every_reason_says_what_it_means_and_what_to_do():
    for reason in REASONS.values():
        assert reason.classification in (ADMINISTRATOR, RETRIED, RESYNCHRONIZATION)
        assert reason.explanation.endswith('.') and reason.action.endswith('.')
