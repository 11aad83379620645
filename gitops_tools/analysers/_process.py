"""Running an analyser's binary: found beside this interpreter (a wheel installs it there) or on the PATH, started
with a clean environment, stopped at a timeout, and its output bounded in size."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from signal import SIGXFSZ
from typing import IO, NamedTuple

from gitops_tools.errors import AnalyserError

MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # a report larger than this is no report: the tool is stopped (SIGXFSZ)
KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")  # no token, no tool config reaches it


class Output(NamedTuple):
    status: int
    stdout: bytes
    stderr: str


def find_binary(name: str, package: str) -> str:
    """The tool's executable: the one installed with this interpreter's packages first (the pinned dependency), else
    the PATH's; an AnalyserError naming the package to install when there is none."""
    scripts = sysconfig.get_path("scripts")
    found = shutil.which(name, path=os.pathsep.join([scripts, os.environ.get("PATH", os.defpath)]))
    if found is None:
        raise AnalyserError(f"{name} is not installed, and policies of this run need it: pip install {package}")
    return found


def run(argv: Sequence[str], timeout: float, cwd: Path | None = None,
        environment: Mapping[str, str] | None = None) -> Output:
    """Run the tool and return its exit status, output and messages. Its output goes to temporary files whose size
    the kernel bounds (RLIMIT_FSIZE), so a runaway tool costs neither memory nor unbounded disk."""
    env = {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}
    env.update(environment or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd,
                                     timeout=timeout, check=False, preexec_fn=_bound_output)
        except subprocess.TimeoutExpired as error:
            raise AnalyserError(f"{Path(argv[0]).name} did not finish within {timeout:g} s") from error
        except OSError as error:
            raise AnalyserError(f"{Path(argv[0]).name} could not be started: {error}") from error
        if process.returncode == -SIGXFSZ:
            raise AnalyserError(f"{Path(argv[0]).name} wrote more than {MAX_OUTPUT_BYTES // 2**20} MiB; stopped")
        return Output(process.returncode, _read(out), _read(err).decode("utf-8", "replace"))


def _bound_output() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES))


def _read(stream: IO[bytes]) -> bytes:
    """What the tool wrote, read at its size: `read(n)` sets aside n bytes first, and a bound of 64 MiB would cost
    64 MiB on every run."""
    size = os.fstat(stream.fileno()).st_size
    stream.seek(0)
    return stream.read(min(size, MAX_OUTPUT_BYTES + 1))
