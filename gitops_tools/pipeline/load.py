"""Phase 2, load: one file's bytes into documents with positions, and the problems found while reading."""

from __future__ import annotations

from typing import BinaryIO

from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.errors import ConfigError
from gitops_tools.fileio import FileTooLargeError, NotRegularFileError, read_regular
from gitops_tools.loading import LoadedFile, load_bytes, too_large
from gitops_tools.model import Problem


def read_source(source: SourceFile, config: Config, stdin: BinaryIO | None = None) -> LoadedFile:
    """The file's documents and problems; bytes are read only from a regular file, and never past the size limit."""
    limit = config.limits.max_file_bytes
    if source.problem is not None:
        return LoadedFile(source.display, problems=[source.problem])
    if source.path is None:
        if stdin is None:
            raise ConfigError("'-' (stdin) was given but no input stream is available")
        is_json = source.display.endswith(".json")  # named by --stdin-filename, stdin is read as that file would be
        return load_bytes(stdin.read(limit + 1), source.display, config.limits, is_json=is_json, parser=source.parser)
    try:
        raw = read_regular(source.path, limit)
    except FileTooLargeError as err:
        return LoadedFile(source.display, problems=[too_large(err.size, limit)])
    except NotRegularFileError as err:
        detail = f"it is a {err.kind}; only regular files are read"
        return LoadedFile(source.display, problems=[Problem("file-not-regular", detail)])
    except OSError as err:
        return LoadedFile(source.display, problems=[Problem("file-unreadable", err.strerror or str(err))])
    return load_bytes(raw, source.display, config.limits, is_json=source.display.endswith(".json"),
                      parser=source.parser)
