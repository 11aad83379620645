"""Where a scaffold comes from: the installed package, a folder, or a git repository the user names.

`open_source(spec)` yields a TemplateSource whose `scaffolds` folder holds the scaffolds (and `components/`) to
render, for as long as the `with` block runs:
- None: the installed package's scaffolds/ (trusted: its hooks are this project's own).
- an existing folder: a checkout of this project (holding scaffolds/), or one scaffold folder (holding a
  cookiecutter.json; copied into a scratch scaffolds/ of its own).
- otherwise a git URL (https://, ssh://, git@host:path, file://, or a local repository's path) with an optional
  `@REF` (a tag, branch or commit), cloned into a temporary folder, bounded by CLONE_SECONDS: the only network access
  the tool ever makes, and only when the user names the source. Symbolic links are checked out as plain files.

A source is `trusted` when every hook and every Python file beside its templates is byte-identical to the installed
package's copy (and its `_extensions` are the package's): then nothing of the source's own runs. Otherwise a render
replaces them with the package's (render.py), unless the user passes `--trust`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.state import Source

CLONE_SECONDS = 300
GIT_SECONDS = 60
TRUSTED_SCAFFOLD = "service"  # the installed scaffold whose hooks and extension every scaffold shares
TRUSTED_EXTENSIONS = ["local_extensions.AnswerGuard"]
# A URL with a scheme, or scp-like user@host:path: what may precede `@REF`.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]*/.+|[A-Za-z0-9_.-]+@[^/:]+:.+")
_REF = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./+-]*")


@dataclass(frozen=True)
class TemplateSource:
    source: Source
    scaffolds: Path  # the folder holding each scaffold's folder (and components/)
    trusted: bool


@contextmanager
def open_source(spec: str | None) -> Iterator[TemplateSource]:
    """The template source `spec` names (see the module docstring); temporary folders go when the block ends."""
    from gitops_tools import __version__
    from gitops_tools.resources import data_root

    if spec is None:
        yield TemplateSource(Source("package", "gitops-tools", __version__), data_root() / "scaffolds", True)
        return
    if not spec.strip():
        raise ConfigError("--template: an empty template source; give a folder or a git URL[@REF]")
    folder = Path(spec).expanduser()
    if folder.is_dir():
        with _folder_source(folder.resolve()) as found:
            yield found
        return
    url, ref = split_ref(spec)
    with tempfile.TemporaryDirectory(prefix="gitops-tools-template-") as scratch:
        checkout = Path(scratch) / "checkout"
        commit = clone(url, ref, checkout)
        scaffolds = checkout / "scaffolds"
        if not scaffolds.is_dir():
            raise ConfigError(f"--template {spec}: the repository has no scaffolds/ folder at "
                              f"{ref or 'its default branch'}")
        yield TemplateSource(Source("git", url, ref, commit), scaffolds, trusted(scaffolds))


@contextmanager
def _folder_source(folder: Path) -> Iterator[TemplateSource]:
    commit = head_commit(folder)
    if (folder / "scaffolds").is_dir():
        yield TemplateSource(Source("dir", str(folder), None, commit), folder / "scaffolds",
                             trusted(folder / "scaffolds"))
        return
    if not (folder / "cookiecutter.json").is_file():
        raise ConfigError(f"--template {folder}: neither a checkout holding scaffolds/ nor a scaffold folder holding "
                          "cookiecutter.json")
    with tempfile.TemporaryDirectory(prefix="gitops-tools-template-") as scratch:
        scaffolds = Path(scratch) / "scaffolds"
        shutil.copytree(folder, scaffolds / folder.name, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "__pycache__"))
        yield TemplateSource(Source("dir", str(folder), None, commit), scaffolds, trusted(scaffolds))


def split_ref(spec: str) -> tuple[str, str | None]:
    """`URL@REF` -> (URL, REF); a URL's own `user@host` is never taken for a ref."""
    url, at, ref = spec.rpartition("@")
    if at and _REF.fullmatch(ref) and ".." not in ref and (_URL.fullmatch(url) or Path(url).expanduser().is_dir()):
        return url, ref
    return spec, None


def clone(url: str, ref: str | None, target: Path) -> str:
    """Clone `url` at `ref` (default branch when None) into `target`; returns the commit checked out."""
    if url.startswith("-"):
        raise ConfigError(f"--template {url}: not a git URL")
    shallow = ["--depth", "1", *(["--branch", ref] if ref else [])]
    try:
        _git(None, "clone", "--quiet", "-c", "core.symlinks=false", *shallow, "--", url, str(target))
    except ConfigError:
        if ref is None:
            raise
        shutil.rmtree(target, ignore_errors=True)  # a commit id is no branch or tag: fetch the history, then check out
        _git(None, "clone", "--quiet", "--no-checkout", "-c", "core.symlinks=false", "--", url, str(target))
        _git(target, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", ref, "--")
    return _git(target, "rev-parse", "HEAD").strip()


def _git(cwd: Path | None, *args: str) -> str:
    """git with a time bound (its whole process group is stopped on expiry) and no prompt; ConfigError on failure."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true",
           "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")}
    process = subprocess.Popen(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, start_new_session=True, stdin=subprocess.DEVNULL)
    try:
        out, err = process.communicate(timeout=CLONE_SECONDS)
    except subprocess.TimeoutExpired as expired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ConfigError(f"git {args[0]} took longer than {CLONE_SECONDS} s; stopped") from expired
    except BaseException:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    if process.returncode != 0:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        raise ConfigError(f"git {args[0]} failed: {lines[-1] if lines else f'exit {process.returncode}'}")
    return out


def head_commit(folder: Path) -> str | None:
    """The commit a folder's git checkout is at, when it is one."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True,
                              timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def trusted(scaffolds: Path) -> bool:
    """Whether every scaffold and component under `scaffolds` runs only this project's own code: its hooks and the
    Python files beside its templates equal the installed package's, and it names only the package's extensions."""
    return all(runs_only_our_code(folder) for folder in template_folders(scaffolds))


def template_folders(scaffolds: Path) -> list[Path]:
    """Every folder holding a cookiecutter.json: each scaffold, and each component under components/."""
    return sorted(path.parent for path in [*scaffolds.glob("*/cookiecutter.json"),
                                           *scaffolds.glob("components/*/cookiecutter.json")])


def runs_only_our_code(template: Path) -> bool:
    from gitops_tools.resources import data_root

    ours = data_root() / "scaffolds" / TRUSTED_SCAFFOLD
    if template.resolve() == ours.resolve():
        return True
    code = [path for path in template.iterdir() if path.suffix == ".py" or path.name == "hooks"]
    for path in code:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in (file for file in files if "__pycache__" not in file.parts):
            relative = file.relative_to(template)
            mine = ours / relative
            if file.is_symlink() or (file.is_file() and (not mine.is_file() or mine.read_bytes() != file.read_bytes())):
                return False
    try:
        settings = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(settings, dict) and settings.get("_extensions", TRUSTED_EXTENSIONS) == TRUSTED_EXTENSIONS
