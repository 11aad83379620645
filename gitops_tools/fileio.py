"""Reading and writing the files a user names, with the promises a linter on untrusted input must keep.

Reads: only regular files, opened without blocking (a FIFO never hangs the run), and never more than a cap, whatever
`st_size` claims (`/dev/zero`, `/proc` files and growing files cannot exhaust memory).

Writes: through a temporary file beside the target and an atomic rename, so a reader sees the old file or the whole
new one. Only a regular file (or nothing) is ever replaced: a symbolic link, FIFO, device or folder at the target is
refused, never silently turned into a regular file. An existing file keeps its mode; a new one gets the mode the
umask gives (0644 under umask 022). On an error or an interrupt (SIGINT, and SIGTERM, which the CLI turns into an
exception) the temporary file is removed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gitops_tools.errors import ConfigError

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """The path is a FIFO, device, socket or folder: not read, never written over."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"it is a {kind}, not a regular file")
        self.kind = kind


class FileTooLargeError(OSError):
    """The file holds more bytes than the cap; `size` is None when the file's own size could not be trusted."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.size = size
        self.limit = limit


def file_kind(mode: int) -> str:
    """What `ls -l` would call a file of this mode, in words."""
    kinds = ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISCHR, "character device"),
             (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"), (stat.S_ISLNK, "symbolic link"))
    return next((name for test, name in kinds if test(mode)), "regular file")


def real_path(path: Path) -> Path:
    """The absolute path with symbolic links resolved; a loop or a missing part is left as it is (Path.resolve
    raises RuntimeError on a loop in Python 3.11)."""
    return Path(os.path.realpath(path))


def read_regular(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of the regular file at `path` (symbolic links followed).

    Anything else is never opened (opening a FIFO blocks; opening some devices has effects). Raises
    NotRegularFileError, FileTooLargeError, or the OSError of looking, opening or reading."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(file_kind(mode))
    fd = os.open(path, _READ_FLAGS)
    try:
        mode = os.fstat(fd).st_mode  # it may have been swapped since: check what was opened
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(file_kind(mode))
        return read_capped(fd, limit)
    finally:
        os.close(fd)


def read_capped(fd: int, limit: int) -> bytes:
    """Read `fd` to its end, raising FileTooLargeError as soon as more than `limit` bytes arrive."""
    size = os.fstat(fd).st_size
    if size > limit:
        raise FileTooLargeError(size, limit)
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:  # a file that grew, or one whose size is not its length (/proc)
            raise FileTooLargeError(None, limit)


def read_user_file(path: Path, what: str, limit: int) -> bytes:
    """`read_regular` for files named by the user or a config (config, baseline, answers, policies): every failure
    is a ConfigError that names the file and says why."""
    try:
        return read_regular(path, limit)
    except FileTooLargeError as err:
        raise ConfigError(f"{what} {path} is too large (over {limit} bytes)") from err
    except NotRegularFileError as err:
        raise ConfigError(f"{what} {path} is a {err.kind}, not a regular file; not read") from err
    except OSError as err:
        raise ConfigError(f"cannot read {what} {path}: {err.strerror or err}") from err


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write `path` (UTF-8) through a temporary file in the same folder and rename it into place."""
    import secrets  # here, not at the top: it costs a one-file lint (which writes nothing) 3 ms of start-up

    mode = _replaceable_mode(path)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"  # a name nothing else holds
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            write(stream)
        _replaceable_mode(path)  # again: a link may have been put there while the report was made
        temporary.replace(path)
    except BaseException as err:  # an error or an interrupt at any point: no temporary file stays
        temporary.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise ConfigError(f"cannot write {path}: {err.strerror or err}") from err
        raise


def _replaceable_mode(path: Path) -> int | None:
    """The permission bits to keep when `path` is an existing regular file, None when it does not exist.

    Anything else at `path` is refused: replacing a symbolic link, FIFO, device or folder with a regular file would
    write somewhere the user did not mean (or destroy what was there)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(f"cannot write {path}: {err.strerror or err}") from err
    if stat.S_ISLNK(info.st_mode):
        raise ConfigError(f"{path} is a symbolic link; refusing to replace it: name the file it points to instead")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path} is a {file_kind(info.st_mode)}, not a regular file; refusing to replace it")
    return stat.S_IMODE(info.st_mode)
