"""The state file `.scaffold.json`: what made a generated repo, so drift, update, add and link can work on it later.

It records the scaffold, its version and answers, the template source, the add-on components in the order they
were applied, and the name of the merge base archive (base.py). The file is data a user may edit or a merge may
break, so it is checked against schemas/scaffold-state.schema.json on reading; a file written before the lifecycle
commands existed (scaffold, version, commit and answers only) still reads. Writing is atomic: the new file is
complete or the old one is still there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.base import read_bounded, write_atomic
from gitops_tools.model import Location

STATE_FILE = ".scaffold.json"
MAX_STATE_BYTES = 1 << 20  # a state file is a few KiB; a larger one is not ours
SourceKind = Literal["package", "dir", "git"]


@dataclass(frozen=True)
class Source:
    """Where a scaffold came from: the installed package, a folder, or a git URL at a ref (and the commit it was)."""

    kind: SourceKind
    location: str
    ref: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class Layer:
    """An add-on component applied to the repo: its name, version and own answers."""

    name: str
    version: str
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    scaffold: str
    version: str
    answers: dict[str, Any]
    commit: str | None = None
    source: Source | None = None  # None: an old state file that did not record it
    components: tuple[Layer, ...] = ()
    base: str | None = None  # BASE_FILE once a merge base is recorded

    def to_json(self) -> dict[str, Any]:
        source = None if self.source is None else {"kind": self.source.kind, "location": self.source.location,
                                                   "ref": self.source.ref, "commit": self.source.commit}
        return {"scaffold": self.scaffold, "version": self.version, "commit": self.commit,
                "answers": dict(sorted(self.answers.items())), "source": source,
                "components": [{"name": layer.name, "version": layer.version,
                                "answers": dict(sorted(layer.answers.items()))} for layer in self.components],
                "base": self.base}


def dumps(state: State) -> str:
    """The file's text: sorted keys, two-space indent, UTF-8 (the post-generation hook writes the same)."""
    return json.dumps(state.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_state(repo: Path) -> State:
    """The state of the repo at `repo`; ConfigError naming the file (and line:col) when it is missing or bad."""
    path = repo / STATE_FILE
    missing = ("this repo records no scaffold; run `gitops-tools link --scaffold NAME` to record the one it was "
               "made from")
    return parse_state(read_bounded(path, MAX_STATE_BYTES, "state file", missing), str(path))


def parse_state(raw: bytes, where: str) -> State:
    """A State from the file's bytes; `where` names the file in errors."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{where}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"not valid JSON: {err.msg}", Location(where, err.lineno, err.colno)) from err
    _validate(data, where)
    source = data.get("source")
    return State(
        scaffold=data["scaffold"], version=data["version"], answers=dict(data["answers"]), commit=data.get("commit"),
        source=None if source is None else Source(source["kind"], source["location"], source.get("ref"),
                                                  source.get("commit")),
        components=tuple(Layer(item["name"], item["version"], dict(item["answers"]))
                         for item in data.get("components", [])),
        base=data.get("base"))


def _validate(data: Any, where: str) -> None:
    from jsonschema import Draft202012Validator

    from gitops_tools.resources import schema_path

    schema = json.loads(schema_path("scaffold-state.schema.json").read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda error: list(map(str, error.path)))
    if errors:
        first = errors[0]
        pointer = "/".join(map(str, first.path)) or "(root)"
        raise ConfigError(f"{where}: not a scaffold state file: at {pointer}: {first.message}",
                          details=tuple(f"at {'/'.join(map(str, e.path)) or '(root)'}: {e.message}"
                                        for e in errors[1:5]))


def write_state(repo: Path, state: State) -> None:
    """Write `state` to the repo's `.scaffold.json` atomically (a temporary file beside it, renamed into place);
    never through a symbolic link."""
    write_atomic(repo / STATE_FILE, dumps(state).encode("utf-8"))



def record_source(repo: Path, source: dict[str, str | None]) -> None:
    """Replace the template source in the repo's state file (kind, location, ref; the commit when given, else the
    one recorded): `gitops-tools new` renders the installed package's copy of a scaffold, which its hook sees only
    as a folder."""
    state = read_state(repo)
    kind, location = source.get("kind"), source.get("location")
    if kind not in ("package", "dir", "git") or not location:
        raise ConfigError(f"a template source needs a kind (package, dir or git) and a location, not {source}")
    recorded = Source(cast(SourceKind, kind), location, source.get("ref"), source.get("commit") or state.commit)
    write_state(repo, replace(state, source=recorded))
