"""`pip install` in a shell script, judged as OpenSSF Scorecard's Pinned-Dependencies check judges it.

Scorecard (checks/raw/shell_download_validate.go, `isUnpinnedPipInstall`) counts an install as pinned when it has
`--require-hashes` (every requirement then needs a `--hash`, pip refuses the rest), when it is an editable install
(`-e`) with `--no-deps` whose sources are local folders or git URLs at a full commit SHA, or when it installs only
`.whl` files; anything else (a name, a `name==version`, `-r requirements.txt` without `--require-hashes`, a git URL
at a tag) is unpinned. Its flag test is its own: `--opt=value` is not a flag to it but a package, which this module
keeps, so that what passes here passes there. A command is `pip`/`pip3 install ...` or `python* -m pip install ...`;
leading `NAME=value` assignments and `sudo` are skipped. The text is split into commands at newlines, `;`, `&`,
`|`, parentheses and redirections (a line continuation joins lines); a line that does not tokenise (an unclosed
quote) is skipped, as shellcheck would report it.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Iterable, Iterator
from typing import TypeVar

Where = TypeVar("Where")

SEPARATORS = frozenset(";&|()\n")
REDIRECTIONS = frozenset("<>")
PUNCTUATION = "".join(sorted(SEPARATORS | REDIRECTIONS))
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
PYTHON = re.compile(r"^(python[0-9.]*|py)$")
FLAG = re.compile(r"^(--?\w+)+$")  # Scorecard's isFlag: `--no-deps` yes, `--root-user-action=ignore` no
PINNED_GIT = re.compile(r"^git(\+(https?|ssh|git))?://.*@[a-fA-F0-9]{40}(#egg=.*)?$")
REMOTE = re.compile(r"^(git|svn|hg|bzr).+$")
MAX_CHARS = 200_000  # a run step or script longer than this is not read (no shell script of CI is)


def unpinned_installs(scripts: Iterable[tuple[Where, str]]) -> Iterator[tuple[Where, str, int]]:
    """Each unpinned `pip install` of the scripts ((where, text) pairs): where, the command as a finding shows it (its
    first six words), and its offset in the text."""
    for where, text in scripts:
        for offset, words in commands(text):
            pip = pip_install(words)
            if pip is not None and unpinned(pip):
                yield where, f"`{' '.join(pip[:6])}{' ...' if len(pip) > 6 else ''}`", offset


def commands(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each simple command of the script: the offset of its first word in `text`, and its words."""
    if len(text) > MAX_CHARS:
        return
    for start, line in _logical_lines(text):
        try:
            stream = io.StringIO(line)
            lexer = shlex.shlex(stream, posix=True, punctuation_chars=PUNCTUATION)
            lexer.whitespace = " \t\r"
            lexer.commenters = "#"
            yield from _split(lexer, stream, start, line)
        except ValueError:  # an unclosed quote: the script does not run either
            continue


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with their continuations (`\\` at the end) joined, each with its offset in `text`."""
    start, pending = 0, ""
    position = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if not pending:
            start = position
        position += len(line)
        if body.endswith("\\") and not body.endswith("\\\\"):
            pending += body[:-1] + " " * (len(line) - len(body) + 1)
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _split(lexer: shlex.shlex, stream: io.StringIO, start: int, line: str) -> Iterator[tuple[int, list[str]]]:
    words: list[str] = []
    first = 0
    redirected = False
    while True:
        before = _next_word_start(line, stream.tell())
        token = lexer.get_token()
        if token is None or token == lexer.eof:
            break
        if token and set(token) <= SEPARATORS:
            if words:
                yield start + first, words
            words, redirected = [], False
            continue
        if token and set(token) <= REDIRECTIONS | {"&"}:
            redirected = True
            continue
        if redirected:  # the file a redirection names is no argument
            redirected = False
            continue
        if not words:
            first = before
        words.append(token)
    if words:
        yield start + first, words


def _next_word_start(line: str, position: int) -> int:
    while position < len(line) and line[position] in " \t\r":
        position += 1
    return position


def pip_install(words: list[str]) -> list[str] | None:
    """The pip command (`pip install ...`) the words run, if they run one."""
    while words and (ASSIGNMENT.match(words[0]) or words[0] == "sudo"):
        words = words[1:]
    if not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    if name in ("pip", "pip3"):
        pip = words
    elif PYTHON.match(name) and "-m" in words[1:-1] and words[words.index("-m", 1) + 1] == "pip":
        pip = words[words.index("-m", 1) + 1:]
    else:
        return None
    return pip if len(pip) >= 2 and pip[1] == "install" else None


def unpinned(pip: list[str]) -> bool:
    """Whether Scorecard counts this `pip install` as unpinned (its order of tests, kept)."""
    no_deps = editable = hashes = other = wheel = False
    editable_pinned = True
    for word in pip[2:]:
        if word == "--no-deps":
            no_deps = True
        elif word in ("-e", "--editable"):
            editable = True
        elif word == "--require-hashes":
            hashes = True
            break
        elif FLAG.match(word):
            continue
        elif word.endswith(".whl"):
            wheel = True
        elif editable:
            editable_pinned = editable_pinned and (not REMOTE.match(word) or bool(PINNED_GIT.match(word)))
        else:
            other = True
    if editable:
        return not (no_deps and editable_pinned)
    return not hashes and (other or not wheel)
