"""Dockerfiles (and Containerfiles) as plain data with positions: our own small parser, bounded (one pass over the
lines), so policies can be JSON Schema where they can and coded checks where not.

It reads what BuildKit's front end reads: parser directives at the top (`# syntax=`, `# escape=`, `# check=`),
comments, instructions continued over lines by the escape character (comment and empty lines inside a continuation
are dropped, as BuildKit drops them), heredocs (`RUN <<EOF` ... `EOF`, `<<-` and quoted names too), flags
(`--platform`, `--from`, `--chown`, `--checksum`: a repeated flag keeps its last value), exec (JSON) and shell form,
and stages (`FROM image AS name`). A FROM image made of build arguments is resolved from the defaults of the `ARG`s
before the first FROM when they are all known (`resolved`; null when not). The document:

    directives: {escape: "\\", syntax: ...}
    args: [{name, default}]                      # ARGs before the first FROM (default null when none)
    stages: [{name, from: {image, resolved, stage, platform}, instructions: [{instruction, flags, arguments,
              form, words, heredocs}]}]

`from.stage` is true when the image is an earlier stage's name (or `scratch`: no image at all). `words` are the
exec form's strings, else the arguments split at white space.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any, NamedTuple

from gitops_tools.loading.document import Document
from gitops_tools.loading.lines import LineIndex
from gitops_tools.loading.parsed import ParsedDocument
from gitops_tools.model import JsonPath, Problem

INSTRUCTIONS = frozenset({"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                          "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")
_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FLAG = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?")
_WORD = re.compile(r"\S+")
Offsets = tuple[int, int]  # a value's first and last character in the file (ParsedDocument.offsets)
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class _Logical(NamedTuple):
    """One instruction's text with its continuation lines joined, and where each piece of it is in the file."""

    text: str
    pieces: tuple[tuple[int, int], ...]  # (offset in `text`, offset in the file) where each joined line starts
    starts: tuple[int, ...]  # each piece's offset in `text`, for bisection


class _Reader:
    """The file's lines and their offsets; one pass, forward only."""

    def __init__(self, text: str, lines: LineIndex) -> None:
        self.rows = text.splitlines(keepends=True)
        self.starts = [0]
        for row in self.rows:
            self.starts.append(self.starts[-1] + len(row))
        self.lines = lines
        self.at = 0

    def row(self, index: int) -> str:
        return self.rows[index].rstrip("\r\n")

    @staticmethod
    def span(start: int, end: int) -> Offsets:
        return start, max(start, end)


def parse(text: str, lines: LineIndex, path: str) -> tuple[list[Document], list[Problem]]:
    """The Dockerfile's one document, or the problems that keep it from being one (dockerfile-syntax)."""
    reader = _Reader(text, lines)
    spans: dict[JsonPath, Offsets] = {(): reader.span(0, len(text))}
    directives = _directives(reader, spans)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        line, col = lines.position(spans[("directives", "escape")][0])
        return [], [Problem("dockerfile-syntax", f"escape must be \\ or ` (it is {escape!r})", line, col)]
    builder = _Builder(spans, reader)
    problems: list[Problem] = []
    while True:
        logical = _next_logical(reader, escape)
        if logical is None:
            break
        problem = builder.add(logical, reader)
        if problem is not None:
            problems.append(problem)
    if not builder.stages and not problems:
        problems.append(Problem("dockerfile-syntax", "the file has no FROM instruction", 1, 1))
    if problems:
        return [], problems
    data = {"directives": directives, "args": builder.args, "stages": builder.stages}
    return [ParsedDocument(path, 0, data, lines, spans)], []


def _directives(reader: _Reader, spans: dict[JsonPath, Offsets]) -> dict[str, str]:
    """The parser directives: `# name=value` lines at the very top; any other line ends them."""
    found: dict[str, str] = {}
    while reader.at < len(reader.rows):
        match = _DIRECTIVE.fullmatch(reader.row(reader.at))
        if match is None or match.group(1).lower() not in _DIRECTIVES or match.group(1).lower() in found:
            break
        found[match.group(1).lower()] = match.group(2)
        start = reader.starts[reader.at]
        spans[("directives", match.group(1).lower())] = reader.span(start, start + len(reader.row(reader.at)))
        reader.at += 1
    return found


def _next_logical(reader: _Reader, escape: str) -> _Logical | None:
    """The next instruction, its continuation lines joined (the escape character and line break removed)."""
    while reader.at < len(reader.rows) and (not reader.row(reader.at).strip()
                                            or reader.row(reader.at).lstrip().startswith("#")):
        reader.at += 1
    if reader.at >= len(reader.rows):
        return None
    parts, pieces, length = list[str](), list[tuple[int, int]](), 0
    while reader.at < len(reader.rows):
        row = reader.row(reader.at)
        start = reader.starts[reader.at]
        reader.at += 1
        if pieces and (not row.strip() or row.lstrip().startswith("#")):
            continue  # inside a continuation: dropped, as BuildKit drops them
        pieces.append((length, start))
        stripped = row.rstrip()
        part = row if not stripped.endswith(escape) else stripped[:-1]
        parts.append(part)
        length += len(part)
        if part is row:
            break
    return _Logical("".join(parts), tuple(pieces), tuple(piece[0] for piece in pieces))


class _Builder:
    """The document being built, instruction by instruction, with the positions of what it holds."""

    def __init__(self, spans: dict[JsonPath, Offsets], reader: _Reader) -> None:
        self.spans, self.reader = spans, reader
        self.args: list[dict[str, Any]] = []
        self.stages: list[dict[str, Any]] = []

    def position(self, logical: _Logical, offset: int) -> int:
        """The file offset of character `offset` of the joined text (a bisection: an instruction may span many
        lines)."""
        piece = logical.pieces[max(bisect_right(logical.starts, offset) - 1, 0)]
        return piece[1] + offset - piece[0]

    def add(self, logical: _Logical, reader: _Reader) -> Problem | None:
        keyword = _WORD.search(logical.text)
        assert keyword is not None  # a logical line is never blank
        name = keyword.group().upper()
        start = self.position(logical, keyword.start())
        line, col = self.reader.lines.position(start)
        if name not in INSTRUCTIONS:
            return Problem("dockerfile-syntax", f"unknown instruction {keyword.group()}", line, col)
        instruction, heredoc_problem = self._instruction(name, logical, keyword.end(), reader)
        if heredoc_problem is not None:
            return Problem("dockerfile-syntax", heredoc_problem, line, col)
        span = self.reader.span(start, reader.starts[reader.at] - 1)
        if name == "FROM":
            return self._stage(instruction, logical, span)
        if not self.stages:
            if name != "ARG":
                detail = f"{name} before the first FROM (only ARG may come first)"
                return Problem("dockerfile-syntax", detail, line, col)
            self.spans[("args", len(self.args))] = span
            self.args.append(_arg(instruction["words"]))
            return None
        stage = len(self.stages) - 1
        at = ("stages", stage, "instructions", len(self.stages[stage]["instructions"]))
        self._record(at, instruction, logical, span)
        self.stages[stage]["instructions"].append(instruction)
        self.spans[("stages", stage)] = (self.spans[("stages", stage)][0], span[1])
        return None

    def _instruction(self, name: str, logical: _Logical, after: int,
                     reader: _Reader) -> tuple[dict[str, Any], str | None]:
        rest, flags, offsets = logical.text[after:], dict[str, str](), dict[str, int]()
        position = len(logical.text) - len(rest.lstrip())
        while (match := _FLAG.match(logical.text, position)) is not None:
            flags[match.group(1)] = match.group(2) if match.group(2) is not None else ""
            offsets[match.group(1)] = match.start()
            position = match.end() + len(logical.text[match.end():]) - len(logical.text[match.end():].lstrip())
        arguments = logical.text[position:].strip()
        words, form = _words(arguments)
        instruction: dict[str, Any] = {"instruction": name, "flags": flags, "arguments": arguments, "form": form,
                                       "words": words}
        instruction["_offsets"] = (offsets, [position + match.start() for match in _WORD.finditer(arguments)]
                                   if form == "shell" else [position] * len(words))
        heredocs = [match for match in _HEREDOC.finditer(arguments)] if form == "shell" and name in \
            HEREDOC_INSTRUCTIONS else []
        if heredocs:
            bodies = []
            for match in heredocs:
                body = _heredoc(reader, match.group(3), strip_tabs=match.group(1) == "-")
                if body is None:
                    return instruction, f"the heredoc <<{match.group(3)} is never closed by a line {match.group(3)}"
                bodies.append({"name": match.group(3), "body": body})
            instruction["heredocs"] = bodies
        return instruction, None

    def _record(self, at: JsonPath, instruction: dict[str, Any], logical: _Logical, span: Offsets) -> None:
        """The positions of the instruction, its flags and its words (removing the offsets it carried here)."""
        flags, words = instruction.pop("_offsets")
        self.spans[at] = span
        for name, offset in flags.items():
            file_offset = self.position(logical, offset)
            self.spans[(*at, "flags", name)] = self.reader.span(file_offset, file_offset)
        for index, offset in enumerate(words):
            file_offset = self.position(logical, offset)
            self.spans[(*at, "words", index)] = self.reader.span(file_offset, file_offset)
        self.spans[(*at, "arguments")] = self.spans.get((*at, "words", 0), span)

    def _stage(self, instruction: dict[str, Any], logical: _Logical, span: Offsets) -> Problem | None:
        words = instruction["words"]
        if not words or instruction["form"] != "shell":
            return Problem("dockerfile-syntax", "FROM needs an image", *self.reader.lines.position(span[0]))
        if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
            detail = "FROM takes an image and, optionally, AS and a stage name"
            return Problem("dockerfile-syntax", detail, *self.reader.lines.position(span[0]))
        at = ("stages", len(self.stages))
        self._record((*at, "from"), instruction, logical, span)
        self.spans[(*at, "from")] = self.spans[(*at, "from", "image")] = self.spans[(*at, "from", "words", 0)]
        if (*at, "from", "flags", "platform") in self.spans:
            self.spans[(*at, "from", "platform")] = self.spans[(*at, "from", "flags", "platform")]
        self.spans[at] = span
        image = words[0]
        resolved = _resolved(image, self.args)
        earlier = {stage["name"].lower() for stage in self.stages if stage["name"]}
        stage = resolved is not None and (resolved.lower() in earlier or resolved == "scratch")
        self.stages.append({"name": words[2] if len(words) == 3 else None,
                            "from": {"image": image, "resolved": resolved, "stage": stage,
                                     "platform": instruction["flags"].get("platform")},
                            "instructions": []})
        return None


def _words(arguments: str) -> tuple[list[str], str]:
    """The exec form's strings (a JSON list of strings), else the shell form's words."""
    if arguments.startswith("["):
        try:
            value = json.loads(arguments)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value, "exec"
    return arguments.split(), "shell"


def _heredoc(reader: _Reader, name: str, *, strip_tabs: bool) -> str | None:
    """The body of a heredoc, up to the line that is its name alone (None: the file ends first)."""
    body: list[str] = []
    while reader.at < len(reader.rows):
        row = reader.row(reader.at)
        reader.at += 1
        if (row.lstrip("\t") if strip_tabs else row) == name:
            return "".join(f"{text}\n" for text in body)
        body.append(row.lstrip("\t") if strip_tabs else row)
    return None


def _arg(words: list[str]) -> dict[str, Any]:
    name, equals, default = (words[0] if words else "").partition("=")
    return {"name": name, "default": default if equals else None}


def _resolved(image: str, args: list[dict[str, Any]]) -> str | None:
    """`image` with the build arguments it uses replaced by their defaults; None when one has none."""
    known = {arg["name"]: arg["default"] for arg in args}
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(3)
        found = known.get(name)
        if found is None:
            found = match.group(2)
        if found is None:
            missing = True
            return ""
        return str(found)

    resolved = _VARIABLE.sub(value, image)
    return None if missing else resolved
