"""Finish a rendered scaffold: resolve variant folders, expand per-item templates, record the state file.

Standard library only (plain cookiecutter runs it). What to do is data in the scaffold's cookiecutter.json:
- `_variants`: {folder: answer}; `folder/<answer value>/` replaces `folder/`'s place at the repo root.
- `_drop`: {path: {answer: value}}; the path is deleted when the answer has that value.
- `_expand`: {template file or folder: {"over": answer, "into": path with tokens, "tokens": {...}}}; it is copied
  once per item of the comma-separated answer, replacing each token in paths and file contents. A token's value is a string
  formatted with `item` and the answers, or {"first"|"last"|"other": value} by the item's position (an only item
  is last: a single environment is production).
  Lines ending in `# only-when:<token>=<value>` are kept only where the token has that value.
Python bytecode (`__pycache__/`, `*.pyc`) is never part of a generated repo: an installed package's copy of the
scaffold gets it from pip's byte-compiling, a checkout from running the template's Python in place.
Every path these steps write or remove stays inside the rendered folder, whatever the scaffold's data says.
Then it records the state file `.scaffold.json` (scaffold, version, answers, template source) and the merge base
`.scaffold-base.tar.gz`: a deterministic archive of exactly what was rendered, byte for byte what
gitops_tools/lifecycle/base.py writes for the same files (a test compares them), so `gitops-tools update` can merge
a later version into a repo made by plain cookiecutter without rendering this version again.
This file is identical in every scaffold; a test keeps the copies in step.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

STATE_FILE = ".scaffold.json"
BASE_FILE = ".scaffold-base.tar.gz"
REMOTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|[A-Za-z0-9_.-]+@|(gh|gl|bb):")  # what cookiecutter clones
MARKER = "# only-when:"
BYTECODE = ("__pycache__", "*.pyc", "*.pyo")


def finish(root: Path, answers: dict[str, Any]) -> None:
    _remove_bytecode(root)
    for folder, key in answers.get("_variants", {}).items():
        _promote(_inside(root, root / folder / str(answers[key])), root)
        shutil.rmtree(_inside(root, root / folder))
    for path, condition in answers.get("_drop", {}).items():
        if all(answers.get(key) == value for key, value in condition.items()):
            _remove(_inside(root, root / path))
    for folder, spec in answers.get("_expand", {}).items():
        items = [item for item in str(answers[spec["over"]]).split(",") if item]
        for index, item in enumerate(items):
            positions = ["last"] * (index == len(items) - 1) + ["first"] * (index == 0) + ["other"]
            tokens = {token: _token(value, item, positions, answers) for token, value in spec["tokens"].items()}
            _copy(_inside(root, root / folder), _inside(root, root / _replace(spec["into"], tokens)), tokens)
        _remove(_inside(root, root / folder))
    _write_state(root, answers)
    _write_base(root)


def _remove_bytecode(root: Path) -> None:
    for pattern in BYTECODE:
        for path in sorted(root.rglob(pattern), reverse=True):
            if not path.is_symlink():
                _remove(path)


def _token(value: Any, item: str, positions: list[str], answers: dict[str, Any]) -> str:
    """A token's value for one item; by position, `last` (production) wins over `first`, then `other`."""
    if isinstance(value, dict):
        value = next(value[position] for position in positions if position in value)
    fields = {k: v for k, v in answers.items() if isinstance(v, str)}
    return str(value).format(item=item, **fields)


def _replace(text: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _copy(source: Path, target: Path, tokens: dict[str, str]) -> None:
    """Copy a template file, or a folder's files, to `target` with tokens replaced."""
    pairs = [(source, target)] if source.is_file() else [
        (path, target / _replace(path.relative_to(source).as_posix(), tokens))
        for path in sorted(source.rglob("*")) if path.is_file()
    ]
    for path, destination in pairs:
        _inside(target if source.is_dir() else target.parent, destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        lines = [_kept(line, tokens) for line in path.read_text(encoding="utf-8").splitlines(keepends=True)]
        destination.write_text(_replace("".join(line for line in lines if line is not None), tokens), "utf-8")


def _kept(line: str, tokens: dict[str, str]) -> str | None:
    body, marker, condition = line.rstrip("\n").partition(MARKER)
    if not marker:
        return line
    token, _, wanted = condition.strip().partition("=")
    return body.rstrip() + "\n" if tokens.get(token) == wanted else None


def _inside(root: Path, path: Path) -> Path:
    """`path`, when it is inside `root` and reached through no symbolic link; else stop the render."""
    resolved, top = path.resolve(), root.resolve()
    if path.is_symlink() or not (resolved == top or top in resolved.parents):
        raise SystemExit(f"error: the scaffold's data names {path}, outside the repo it renders; refused")
    return path


def _promote(source: Path, root: Path) -> None:
    for path in sorted(source.iterdir()):
        target = root / path.name
        if target.exists():
            raise SystemExit(f"error: scaffold variant {source.name} would overwrite {target.name}")
        shutil.move(str(path), str(target))


def _write_state(root: Path, answers: dict[str, Any]) -> None:
    """Record what made this repo (cruft-style), so drift checks and updates can re-render it later."""
    template = str(answers.get("_repo_dir", ""))
    if template and not os.path.isabs(template):
        template = os.path.join(os.environ.get("PWD", ""), template)
    commit = _commit(template)
    given = str(answers.get("_template", ""))
    remote = bool(REMOTE.match(given))
    state = {
        "scaffold": answers.get("_scaffold"),
        "version": answers.get("_scaffold_version"),
        "commit": commit,
        "answers": {key: value for key, value in sorted(answers.items()) if not key.startswith("_")},
        "source": {"kind": "git" if remote else "dir", "location": given if remote else template or given,
                   "ref": answers.get("_checkout") if remote else None, "commit": commit},
        "components": [],
        "base": BASE_FILE,
    }
    (root / STATE_FILE).write_text(json.dumps(state, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                    encoding="utf-8")


def _write_base(root: Path) -> None:
    """The merge base: every rendered file but the state files, in a deterministic tar.gz (sorted, mtime 0, owner
    0 and unnamed, mode 0644 or 0755 by the executable bit, PAX format, gzip level 9 with mtime 0 and no name)."""
    files = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise SystemExit(f"error: the scaffold rendered a symbolic link, {name}; a repo's files are regular files")
        if path.is_file() and name not in (STATE_FILE, BASE_FILE) and ".git" not in path.relative_to(root).parts:
            files.append((name, path))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in sorted(files):
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o755 if path.stat().st_mode & 0o100 else 0o644
            info.uid, info.gid, info.uname, info.gname = 0, 0, "", ""
            tar.addfile(info, io.BytesIO(data))
    (root / BASE_FILE).write_bytes(buffer.getvalue())


def _commit(template: str) -> str | None:
    """The git commit of the scaffold's repository, when it is a clean git checkout."""
    if not template or not os.path.isdir(template):
        return None
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=template, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() if head.returncode == 0 else None


if __name__ == "__main__":
    finish(Path.cwd(), json.loads({{ cookiecutter | jsonify | tojson }}))
