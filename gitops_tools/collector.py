"""Python's cyclic garbage collector, paused while one file is loaded and checked.

Loading builds large trees of nodes and values that hold no reference cycles. The collector would walk them again
and again while they grow (60% of the run time on a 5.7 MB `kustomize build` stream); reference counting frees them
anyway. All the pause delays is the collection of one file's cyclic garbage, to the moment the pause ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause automatic collection for the block (a no-op if the caller already disabled it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
