# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Errors raised by the host session, and the retry policy for transport failures.

Three kinds of failure reach a module:
- HostCommandError: the host ran the pipeline and a cmdlet wrote error records (never retried: it is an answer).
- HostConnectionError / HostAuthenticationError: the host could not be reached or refused us (retried where safe).
- OutcomeUnknownError: a pipeline that changes state was sent and the connection failed before the answer came.
  Repeating it blindly could apply a change twice, so the module must read the state again instead.
"""

import random
import time


class HostError(Exception):
    """Base class of every error the host session raises."""

    def __init__(self, message, host=None):
        super().__init__(message)
        self.message = message
        self.host = host


def describe_errors(errors) -> str:
    """Error records as one line of text: 'Cmdlet failed: message (FullyQualifiedErrorId: id)' joined by '; '.

    The one place where an error record becomes text; modules put the host (and what they were doing) in front.
    """
    return '; '.join('%s failed: %s (FullyQualifiedErrorId: %s)' % (error.command or 'pipeline', error.message, error.fully_qualified_error_id)
                     for error in errors)


class HostCommandError(HostError):
    """One or more cmdlets of a pipeline wrote error records."""

    def __init__(self, host, errors):
        self.errors = list(errors)
        super().__init__('%s: %s' % (host, describe_errors(self.errors)), host=host)


class HostConnectionError(HostError):
    """The host could not be reached or the transport failed; the message says what to check."""

    def __init__(self, message, host=None, cause=None):
        super().__init__(message, host=host)
        self.cause = cause


class HostAuthenticationError(HostConnectionError):
    """The host rejected the credentials (HTTP 401)."""


class OutcomeUnknownError(HostConnectionError):
    """A state-changing pipeline may or may not have run on the host."""


class ProgramNotFoundError(HostError):
    """WinRS could not start a Program: there is no such file on the host. Nothing ran."""

    def __init__(self, message, host=None, path=None):
        super(ProgramNotFoundError, self).__init__(message, host=host)
        self.path = path


# What failed, as far as retrying is concerned.
FAILURE_NOT_SENT = 'not_sent'        # nothing reached the host (connection refused, connect timeout, DNS)
FAILURE_TRANSIENT = 'transient'      # the request may have reached the host (HTTP 5xx, WSMan fault, dropped, read timeout)
FAILURE_PERMANENT = 'permanent'      # retrying cannot help (authentication, TLS validation, bad configuration)


class RetryPolicy:
    """Bounded exponential backoff with jitter.

    retries is the number of additional attempts after the first one; the delay before attempt n (n >= 1) is
    min(max_delay, base_delay * 2 ** (n - 1)) scaled by a random factor in [0.5, 1.0] so that many hosts failing
    together do not hammer back in step.
    """

    def __init__(self, retries=3, base_delay=0.5, max_delay=8.0, sleep=time.sleep, rand=random.random):
        if retries < 0:
            raise ValueError('retries must be >= 0')
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._rand = rand

    def delay(self, attempt):
        """Seconds to wait before retry number attempt (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * (0.5 + self._rand() / 2.0)

    @staticmethod
    def may_retry(failure_kind, idempotent):
        """Whether a failure of this kind may be retried.

        A failure that happened before anything was sent is always safe to retry. A transient failure after the
        request may have reached the host is safe only for idempotent work (opening a session, read-only pipelines).
        """
        if failure_kind == FAILURE_NOT_SENT:
            return True
        if failure_kind == FAILURE_TRANSIENT:
            return idempotent
        return False

    def run(self, operation, classify, idempotent):
        """Call operation() until it succeeds or a failure may not be retried; return its result.

        classify(exc) returns one of the FAILURE_* kinds, or None for exceptions that are not transport failures
        (these propagate untouched). The last exception is re-raised when attempts run out.
        """
        attempt = 0
        while True:
            try:
                return operation()
            except Exception as exc:  # pylint: disable=broad-except
                kind = classify(exc)
                if kind is None or attempt >= self.retries or not self.may_retry(kind, idempotent):
                    raise
                attempt += 1
                self._sleep(self.delay(attempt))
