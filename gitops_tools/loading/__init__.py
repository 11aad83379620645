"""Read one file's bytes into documents plus the problems found while reading (never raises for bad input)."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import NamedTuple

from gitops_tools.errors import ConfigError, GitopsToolsError
from gitops_tools.fileio import read_user_file
from gitops_tools.loading.document import Document
from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import Location, Problem

BINARY_SNIFF_BYTES = 8192
USER_FILE_BYTES = 4 * 1024 * 1024  # a config, policy or answers file is small; /dev/zero is not


class Limits(NamedTuple):
    max_file_bytes: int = 10 * 1024 * 1024
    alias_limit: int = 100_000


class LoadedFile:
    """A file's documents, or the problems that kept them from loading. (A plain class, not a dataclass: see
    gitops_tools/model.py.)"""

    __slots__ = ("documents", "lines", "parser", "path", "problems", "text")

    def __init__(self, path: str, documents: list[Document] | None = None, problems: list[Problem] | None = None,
                 text: str = "", lines: LineIndex | None = None, parser: str | None = None) -> None:
        self.path = path
        self.documents = [] if documents is None else documents
        self.problems = [] if problems is None else problems
        self.text = text  # kept for inline suppression comments
        self.lines = LineIndex("") if lines is None else lines
        self.parser = parser  # the parser of gitops_tools/loading/parsers/ that read it (None: YAML or JSON)

    def document_lines(self) -> list[tuple[int, int]]:
        """Consecutive (first, last) line ranges, one per document; comments above a document belong to it."""
        spans, first = [], 1
        for document in self.documents:
            _, _, end_line, end_col = document.locate(())
            last = max(first, end_line - 1 if end_col == 1 else end_line)
            spans.append((first, last))
            first = last + 1
        return spans


def load_bytes(raw: bytes, path: str, limits: Limits, *, is_json: bool = False,
               parser: str | None = None) -> LoadedFile:
    """Decode and parse `raw` as YAML, JSON, or with the `parser` of gitops_tools/loading/parsers/ (imported only
    then); every way it can be unusable becomes a Problem, not an exception."""
    text_or_problem = _decode(raw, limits)
    if isinstance(text_or_problem, Problem):
        return LoadedFile(path, problems=[text_or_problem])
    text = text_or_problem
    if not text.strip():
        return LoadedFile(path, problems=[Problem("file-empty", "")])
    lines = LineIndex(text)
    if parser is not None:
        from gitops_tools.loading.parsers import parser as parser_module

        parsed = parser_module(parser).parse(text, lines, path)
        return LoadedFile(path, *parsed, text=text, lines=lines, parser=parser)
    if is_json:
        from gitops_tools.loading.json_text import load_json

        return LoadedFile(path, *load_json(text, lines, path), text=text, lines=lines)
    from gitops_tools.loading.yaml_text import load_yaml

    return LoadedFile(path, *load_yaml(text, lines, path, limits.alias_limit), text=text, lines=lines)


def load_user_file(path: Path, what: str, *, empty_ok: bool = False,
                   error: type[GitopsToolsError] = ConfigError) -> list[Document]:
    """The documents of a file a user or a config names (config, policy, answers), read within USER_FILE_BYTES.

    Raises `error` at the position of the first problem, and says so when the file is empty (unless `empty_ok`)."""
    raw = read_user_file(path, what, USER_FILE_BYTES)
    loaded = load_bytes(raw, str(path), Limits(max_file_bytes=USER_FILE_BYTES), is_json=path.suffix == ".json")
    if [problem.policy_id for problem in loaded.problems] == ["file-empty"]:
        if empty_ok:
            return []
        raise error(f"{what} {path} is empty")
    if loaded.problems:
        problem = loaded.problems[0]
        raise error(f"invalid {what}: {problem.detail}", Location(str(path), problem.line, problem.col))
    return loaded.documents


def too_large(size: int | None, limit: int) -> Problem:
    amount = f"{size} bytes is" if size is not None else "it is"
    return Problem("file-too-large", f"{amount} over the {limit}-byte limit; not parsed")


# Byte-order marks of the encodings YAML allows besides UTF-8; UTF-32 first (its LE mark starts like UTF-16's).
_OTHER_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"), (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
               (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"), (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"))


def _decode(raw: bytes, limits: Limits) -> str | Problem:
    if len(raw) > limits.max_file_bytes:
        return too_large(len(raw), limits.max_file_bytes)
    for bom, name in _OTHER_BOMS:
        if raw.startswith(bom):
            return Problem("file-encoding", f"the file is {name} (it starts with that byte-order mark); save it as "
                           "UTF-8, which Kubernetes tools and Git diffs expect")
    if b"\x00" in raw[:BINARY_SNIFF_BYTES]:
        return Problem("file-binary", "the file holds NUL bytes; it looks binary, not YAML or JSON")
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        before = body[: err.start].decode("utf-8")  # valid up to the bad byte; count characters, not bytes
        line, col = LineIndex(before).position(len(before))
        return Problem("file-encoding", f"byte 0x{body[err.start]:02x} cannot be decoded", line, col)
