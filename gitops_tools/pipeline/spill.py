"""What a large run keeps from each file until its end, written to an unnamed temporary file instead of memory.

A run keeps three things per file until late: the file's unfiltered outcome (its filter chain runs after the
workspace phase, whose findings join it), its objects' records (the workspace checks read them unit by unit) and its
findings to report (sorted across files, and read by the reporter). A run of 10,000 files held 90 MiB of them. Above
SPILL_ABOVE_FILES files (pipeline/options.py), each is pickled into one temporary file as it is produced and
unpickled when it is read again, so memory holds two offsets per value, not the value: the peak no longer grows with
the number of files. A smaller run keeps them in lists, as they are, and does not import this module.

The file never has a name where the platform allows it (Linux: O_TMPFILE; elsewhere it is unlinked as soon as it is
created, by tempfile.TemporaryFile), so nothing is left behind, whatever ends the run. It is closed when the last
value that reads it (the result's findings) goes. Only this process writes it and reads it back, so unpickling it
reads nothing but what this run pickled.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

from gitops_tools.errors import GitopsToolsError
from gitops_tools.findings import Finding
from gitops_tools.pipeline.options import SPILL_ABOVE_FILES

WRITE_BUFFER = 1 << 18  # bytes gathered before one write: a value is a few hundred bytes
Value = TypeVar("Value")


class SpillFile:
    """An unnamed temporary file that values are pickled into, and read back from by offset (pread: no seek)."""

    def __init__(self) -> None:
        import pickle  # here, as the others: only a large run spills, and a one-file run pays for every import
        import tempfile
        import weakref

        try:
            self._handle = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 - closed by the finalizer below
        except OSError as err:
            raise _unwritable(err) from err
        self._fd = self._handle.fileno()
        weakref.finalize(self, self._handle.close)
        self._dumps, self._loads = pickle.dumps, pickle.loads
        self._pending = bytearray()  # appended, not written yet
        self._written = 0  # bytes in the file

    @property
    def size(self) -> int:
        return self._written + len(self._pending)

    def put(self, value: object) -> tuple[int, int]:
        """Appends `value`, pickled; returns where it starts and ends in the file."""
        start = self.size
        self._pending += self._dumps(value, protocol=5)
        if len(self._pending) >= WRITE_BUFFER:
            self._flush()
        return start, self.size

    def get(self, start: int, end: int) -> Any:
        """The value that `put` wrote between `start` and `end` (unpickled: this run's own bytes, nobody else's)."""
        if start >= self._written:  # not written yet
            return self._loads(self._pending[start - self._written:end - self._written])
        if end > self._written:
            self._flush()
        data = os.pread(self._fd, end - start, start)
        if len(data) != end - start:
            raise RuntimeError(f"the temporary file of this run ends at {start + len(data)}, before {end}")
        return self._loads(data)

    def _flush(self) -> None:
        try:
            with memoryview(self._pending) as data:
                done = 0
                while done < len(data):
                    done += os.write(self._fd, data[done:])
        except OSError as err:
            raise _unwritable(err) from err
        self._written += len(self._pending)
        self._pending = bytearray()


def _unwritable(err: OSError) -> GitopsToolsError:
    import tempfile

    return GitopsToolsError(f"a run of more than {SPILL_ABOVE_FILES:,} files keeps its results in a temporary file, "
                            f"which could not be written in {tempfile.gettempdir()}: {err.strerror or err}; "
                            "set TMPDIR to a folder with free space")


class Spill(Generic[Value]):
    """A list that is only appended to, its values pickled into `file`: 16 bytes each stay in memory."""

    def __init__(self, file: SpillFile) -> None:
        from array import array

        self.file = file
        self._starts, self._ends = array("q"), array("q")  # where each value is in the file

    def append(self, value: Value) -> None:
        start, end = self.file.put(value)
        self._starts.append(start)
        self._ends.append(end)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> Value:
        value: Value = self.file.get(self._starts[index], self._ends[index])
        return value

    def __iter__(self) -> Iterator[Value]:
        return (self[index] for index in range(len(self)))


class SpilledFindings(Sequence[Finding]):
    """A run's findings, in order, as blocks of a Spill read back as they are iterated: what a reporter reads of a
    large run's result, never all in memory at once. Equal to any sequence of the same findings."""

    def __init__(self, blocks: Spill[tuple[Finding, ...]], order: Sequence[int], sizes: Sequence[int]) -> None:
        from array import array

        self._blocks = blocks
        self._order = array("q", order)  # the blocks, in the order their findings are reported
        self._starts = array("q", [0])  # where each block's findings start in the sequence
        for size in sizes:
            self._starts.append(self._starts[-1] + size)
        self._last: tuple[int, tuple[Finding, ...]] = (-1, ())  # the block read last: indexing in order reads each once

    def __len__(self) -> int:
        return self._starts[-1]

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        from bisect import bisect_right

        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("finding index out of range")
        block = bisect_right(self._starts, position) - 1  # the last block starting at or before it
        return self._block(block)[position - self._starts[block]]

    def __iter__(self) -> Iterator[Finding]:
        for block in range(len(self._order)):
            yield from self._block(block)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(mine == theirs for mine, theirs in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, compared by value like a list

    def __repr__(self) -> str:
        return f"SpilledFindings({len(self)} findings in {len(self._order)} blocks)"

    def _block(self, block: int) -> tuple[Finding, ...]:
        if self._last[0] != block:
            self._last = (block, self._blocks[self._order[block]])
        return self._last[1]
