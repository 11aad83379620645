"""The merge base: `.scaffold-base.tar.gz` at the repo root, exactly what the scaffold and its components rendered
for the recorded answers and versions, so `update` never has to render an old scaffold version again.

The archive is deterministic (entries sorted by path, mtime 0, uid/gid 0, empty owner names, mode 0644 or 0755 by
the executable bit, PAX format, gzip level 9 with mtime 0 and no file name): the same Tree always gives the same
bytes, so committing it again after an update that changed nothing changes nothing. The scaffolds' post-generation
hook writes the same bytes with the standard library alone (a test compares them), so a repo made by plain
cookiecutter has its base too.

It is read as untrusted data (a repo's file, possibly edited or hostile): only regular files with relative, normalised
paths; no links, devices or folders outside; at most MAX_MEMBERS entries and MAX_BYTES of content in all.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.tree import Entry, Tree

BASE_FILE = ".scaffold-base.tar.gz"
MAX_MEMBERS = 20_000
MAX_BYTES = 256 << 20  # uncompressed content; a scaffold renders a few hundred KiB
HEADER_BYTES = 4096  # room for an entry's tar header, and a PAX header for a long or non-ASCII path


def archive(tree: Tree) -> bytes:
    """The deterministic tar.gz of `tree` (see the module docstring)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(tree):
            entry = tree[path]
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(entry.data), 0, 0o755 if entry.executable else 0o644
            info.uid, info.gid, info.uname, info.gname = 0, 0, "", ""
            tar.addfile(info, io.BytesIO(entry.data))
    return buffer.getvalue()


def unarchive(data: bytes, where: str) -> Tree:
    """The Tree an archive holds; ConfigError naming `where` for anything but bounded regular files."""
    found: Tree = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(_gunzip(data, where)), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise ConfigError(f"{where}: more than {MAX_MEMBERS} entries; not a merge base")
                if member.isdir():
                    continue
                name = _checked_name(member, where)
                total += member.size
                if total > MAX_BYTES:
                    raise ConfigError(f"{where}: more than {MAX_BYTES} bytes of content; not a merge base")
                stream = tar.extractfile(member)
                if name in found or stream is None:
                    raise ConfigError(f"{where}: {name} is in the archive twice")
                found[name] = Entry(stream.read(), bool(member.mode & 0o100))
    except (tarfile.TarError, EOFError, OSError) as err:
        raise ConfigError(f"{where}: not a readable tar archive: {err}") from err
    return found


def _gunzip(data: bytes, where: str) -> bytes:
    """The archive uncompressed, refused beyond the bound: a few KiB of gzip can claim gigabytes."""
    limit = MAX_BYTES + MAX_MEMBERS * HEADER_BYTES
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        plain = inflate.decompress(data, limit + 1)
    except zlib.error as err:
        raise ConfigError(f"{where}: not a gzip archive: {err}") from err
    if len(plain) > limit or inflate.unconsumed_tail:
        raise ConfigError(f"{where}: uncompresses to more than {limit} bytes; not a merge base")
    if not inflate.eof:
        raise ConfigError(f"{where}: the gzip stream is truncated")
    return plain


def _checked_name(member: tarfile.TarInfo, where: str) -> str:
    """The member's path when it is a regular file at a normalised path inside the repo, else ConfigError."""
    if not member.isreg():
        raise ConfigError(f"{where}: {member.name!r} is not a regular file (a link, device or fifo); refused")
    path = PurePosixPath(member.name)
    if (path.is_absolute() or member.name != path.as_posix() or any(part in ("", ".", "..", ".git")
                                                                     for part in path.parts) or "\\" in member.name):
        raise ConfigError(f"{where}: {member.name!r} is not a plain path inside the repo; refused")
    return member.name


def read_base(repo: Path) -> Tree:
    """The merge base recorded in the repo at `repo`; ConfigError when it is missing, a link, or not a sound archive."""
    path = repo / BASE_FILE
    missing = ("the repo records no merge base; run `gitops-tools link --scaffold NAME --version V` to record what "
               "that version renders")
    return unarchive(read_bounded(path, MAX_BYTES, "merge base", missing), str(path))


def read_bounded(path: Path, limit: int, what: str, missing: str) -> bytes:
    """The bytes of a file the lifecycle keeps in a repo (the state, the merge base): never through a symbolic link,
    never more than `limit` (read at the file's size: `read(limit)` would set aside `limit` bytes first); a
    ConfigError naming the file, saying `missing` when it is not there."""
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link; refusing to read the {what} through it")
    if not path.is_file():
        raise ConfigError(f"{path} not found: {missing}")
    try:
        with path.open("rb") as stream:
            raw = stream.read(min(os.fstat(stream.fileno()).st_size, limit) + 1)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from err
    if len(raw) > limit:
        raise ConfigError(f"{path} is larger than {limit} bytes; not a {what}")
    return raw


def write_base(repo: Path, tree: Tree) -> None:
    """Write the archive of `tree` as the repo's merge base, atomically and never through a symbolic link."""
    write_atomic(repo / BASE_FILE, archive(tree))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` whole: on any failure the old file (or its absence) is left as it was."""
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link; refusing to write through it")
    if not path.parent.is_dir() or path.parent.is_symlink():
        raise ConfigError(f"{path.parent} is not a folder; refusing to write {path.name} there")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
