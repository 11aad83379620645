"""The releases of each scaffold and component: which content each version number stands for, and which project
commit holds it.

A repo records the version it was made from, and its merge base is what that version rendered; `update` migrates
from it and `scaffold test` upgrades from the previous release. So one version must always mean one content: any
change to a scaffold's files needs a new `_scaffold_version` (a component's: `_component_version`). Each unit (a
folder of scaffolds/ or of scaffolds/components/ holding a cookiecutter.json) keeps `releases.json` beside its
cookiecutter.json (never rendered):

    {"releases": [{"version": "1.0.0", "digest": "sha256:...", "commit": "<project commit holding it, or null>"}]}

`digest` is a SHA-256 of the unit's files (paths, executable bits, bytes; releases.json and bytecode left out),
`commit` the newest commit of this project whose folder is exactly that content (null while only the work tree
holds it; recording the next version fills it in). tests/test_releases.py fails when a unit's content no longer
matches the digest recorded for its version. `make scaffold-release` (this module's `main`) records new versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.versions import parse_version
from gitops_tools.resources import data_root

RELEASES = "releases.json"
VERSION_KEYS = ("_scaffold_version", "_component_version")
LEFT_OUT = ("__pycache__", ".pyc", ".pyo")
GIT_SECONDS = 60
RECORD = "make scaffold-release"


@dataclass(frozen=True)
class Release:
    version: str
    digest: str
    commit: str | None = None


def units(root: Path | None = None) -> list[Path]:
    """Every scaffold and component folder: scaffolds/<name>/ and scaffolds/components/<name>/ with a
    cookiecutter.json (found by listing)."""
    folder = (root or data_root()) / "scaffolds"
    return sorted(path.parent for pattern in ("*/cookiecutter.json", "*/*/cookiecutter.json")
                  for path in folder.glob(pattern))


def current_version(unit: Path) -> str:
    """The version the unit's cookiecutter.json declares."""
    data = json.loads((unit / "cookiecutter.json").read_text(encoding="utf-8"))
    version = next((data[key] for key in VERSION_KEYS if key in data), None)
    if not isinstance(version, str):
        raise ConfigError(f"{unit / 'cookiecutter.json'}: no {' or '.join(VERSION_KEYS)}")
    parse_version(version)
    return version


def read_releases(unit: Path) -> list[Release]:
    """The unit's recorded releases, oldest first ([] without a releases.json)."""
    path = unit / RELEASES
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = [Release(str(item["version"]), str(item["digest"]), item.get("commit")) for item in data["releases"]]
        order = [parse_version(release.version) for release in found]
    except (ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{path}: not a releases file ({err}); {RECORD} writes it") from err
    if order != sorted(set(order)):
        raise ConfigError(f"{path}: releases must be listed oldest first, each version once")
    return found


def previous_release(unit: Path) -> Release | None:
    """The newest release before the unit's current version: what `scaffold test` upgrades from."""
    current = parse_version(current_version(unit))
    older = [release for release in read_releases(unit) if parse_version(release.version) < current]
    return older[-1] if older else None


def content_digest(unit: Path) -> str:
    """SHA-256 of the unit's files as they are in the work tree: in a git checkout the files git tracks or would
    track (a file git ignores, an editor's or a test run's, is not content), else every file."""
    files = []
    for relative in _work_tree_files(unit):
        path = unit / relative
        if _left_out(relative) or (path.is_dir() and not path.is_symlink()) or not os.path.lexists(path):
            continue
        if path.is_symlink() or not path.is_file():
            raise ConfigError(f"{path}: a scaffold holds regular files only")
        files.append((relative, bool(path.stat().st_mode & stat.S_IXUSR), path.read_bytes()))
    return _digest(files)


def _work_tree_files(unit: Path) -> list[str]:
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z", "--", "."], cwd=unit,
                                capture_output=True, timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        listed = None
    if listed is None or listed.returncode != 0:  # not in a git work tree (an installed package)
        return sorted(path.relative_to(unit).as_posix() for path in unit.rglob("*"))
    return sorted(set(listed.stdout.decode("utf-8", errors="surrogateescape").split("\0")) - {""})


def digest_at(repo: Path, commit: str, unit: str) -> str | None:
    """SHA-256 of the unit's files at `commit` of the git repository `repo` (`unit`: its path there), or None when
    the commit does not have the folder."""
    listed = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{unit}/")
    entries = [line.split(b"\t", 1) for line in listed.split(b"\0") if line]
    blobs = [(meta.split()[0], meta.split()[2], name.decode("utf-8")[len(unit) + 1:]) for meta, name in entries]
    kept = [(mode, sha, name) for mode, sha, name in blobs if not _left_out(name)]
    if not kept:
        return None
    if any(mode not in (b"100644", b"100755") for mode, _, _ in kept):
        raise ConfigError(f"{unit} at {commit[:12]} holds a link or submodule; a scaffold holds regular files only")
    contents = _blobs(repo, [sha for _, sha, _ in kept])
    return _digest((name, mode == b"100755", data) for (mode, _, name), data in zip(kept, contents, strict=True))


def check(unit: Path) -> str | None:
    """What is wrong with the unit's releases, as what to do about it; None when its content is the one recorded for
    its version."""
    version, recorded = current_version(unit), read_releases(unit)
    key = _version_key(unit)
    entry = next((release for release in recorded if release.version == version), None)
    if entry is None:
        newer = [release.version for release in recorded if parse_version(release.version) > parse_version(version)]
        if newer:
            return f"{unit}: {key} {version} is older than the recorded release {newer[-1]}; versions only go up"
        return f"{unit}: {key} {version} is not recorded in {RELEASES}; run `{RECORD}` to record it"
    if entry is not recorded[-1]:
        return f"{unit}: {key} {version} is not the newest recorded release ({recorded[-1].version})"
    if content_digest(unit) != entry.digest:
        return (f"{unit}: its files changed since {version} was recorded, but {key} did not: bump {key} in "
                f"cookiecutter.json (add migrations/<new version>.yaml if existing repos need steps to follow), then "
                f"run `{RECORD}`. Repos made from {version} record its content as their merge base.")
    return None


def record(unit: Path, repo: Path) -> str:
    """Record the unit's current version and content in its releases.json, and fill in the commit of the release
    before it (the newest commit of `repo` holding it). A recorded commit outside HEAD's history (made on a branch
    that was rebased since) is found again, since a fresh clone would not have it. Returns what it did, in one line;
    raises ConfigError when the version is already recorded with other content."""
    version, recorded, digest = current_version(unit), read_releases(unit), content_digest(unit)
    entry = next((release for release in recorded if release.version == version), None)
    if entry is not None and entry.digest != digest:
        raise ConfigError(f"{unit}: {version} is recorded with other content; bump {_version_key(unit)} (if "
                          f"{version} never reached main, delete its entry from {RELEASES} and record again)")
    if recorded and parse_version(recorded[-1].version) > parse_version(version):
        raise ConfigError(f"{unit}: {version} is older than the recorded release {recorded[-1].version}")
    relative = unit.resolve().relative_to(repo.resolve()).as_posix()
    filled = [release if in_history(repo, release.commit) else _with_commit(release, repo, relative)
              for release in recorded]
    if entry is None:
        filled.append(Release(version, digest, _holding(repo, relative, digest)))
    if filled == recorded:
        return f"{relative}: {version} is recorded"
    _write(unit / RELEASES, filled)
    return f"{relative}: recorded {version}" if entry is None else f"{relative}: filled in the commits of {version}"


def main(argv: list[str] | None = None) -> int:
    """`python -m gitops_tools.lifecycle.releases [REPO]`: record every unit of the checkout at REPO (default .)."""
    args = sys.argv[1:] if argv is None else argv
    repo = Path(args[0] if args else ".")
    try:
        for unit in units(repo):
            sys.stdout.write(record(unit, repo) + "\n")
    except ConfigError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    return 0


def in_history(repo: Path, commit: str | None) -> bool:
    """Whether `commit` is HEAD or one of its ancestors in `repo` (False for None and for unknown objects)."""
    if not commit:
        return False
    try:
        done = subprocess.run(["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=repo, capture_output=True,
                              timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"git merge-base failed in {repo}: {err}") from err
    return done.returncode == 0


def _with_commit(release: Release, repo: Path, unit: str) -> Release:
    return Release(release.version, release.digest, _holding(repo, unit, release.digest))


def _holding(repo: Path, unit: str, digest: str) -> str | None:
    """The newest commit of `repo`'s history whose folder `unit` has `digest`, or None."""
    for commit in _git(repo, "log", "--format=%H", "HEAD", "--", f"{unit}/").decode().split():
        if digest_at(repo, commit, unit) == digest:
            return commit
    return None


def _write(path: Path, releases: list[Release]) -> None:
    text = json.dumps({"releases": [asdict(release) for release in releases]}, indent=2) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _version_key(unit: Path) -> str:
    data = json.loads((unit / "cookiecutter.json").read_text(encoding="utf-8"))
    return next((key for key in VERSION_KEYS if key in data), VERSION_KEYS[0])


def _left_out(relative: str) -> bool:
    return relative == RELEASES or any(part == LEFT_OUT[0] or part.endswith(LEFT_OUT[1:])
                                       for part in relative.split("/"))


def _digest(files: Iterable[tuple[str, bool, bytes]]) -> str:
    hashed = hashlib.sha256()
    for name, executable, data in sorted(files):
        hashed.update(f"{name}\0{'755' if executable else '644'}\0{len(data)}\0".encode())
        hashed.update(data)
    return f"sha256:{hashed.hexdigest()}"


def _blobs(repo: Path, shas: list[bytes]) -> Iterator[bytes]:
    """The contents of the blobs `shas`, in order, read by one `git cat-file --batch`."""
    out = _git(repo, "cat-file", "--batch", stdin=b"".join(sha + b"\n" for sha in shas))
    at = 0
    for _ in shas:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        yield out[header_end + 1:header_end + 1 + size]
        at = header_end + 1 + size + 1


def _git(repo: Path, *argv: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *argv], cwd=repo, input=stdin, capture_output=True, timeout=GIT_SECONDS,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"git {argv[0]} failed in {repo}: {err}") from err
    if done.returncode != 0:
        raise ConfigError(f"git {argv[0]} failed in {repo}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


if __name__ == "__main__":
    sys.exit(main())
