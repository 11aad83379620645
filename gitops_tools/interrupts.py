"""Ctrl-C and SIGTERM held back while a step that must not be cut in half runs (forking workers, creating a work
folder): a signal that arrives meanwhile waits, and is raised when the step is done, where cleanups cover it."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

HELD_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextmanager
def held() -> Iterator[None]:
    """The block runs with SIGINT and SIGTERM blocked; the thread's previous mask comes back after it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
