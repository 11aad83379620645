"""Command line: parse arguments, wire the library together, map outcomes to exit codes. No linting logic here."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import BinaryIO, Protocol, TextIO

from gitops_tools import collector
from gitops_tools.arguments import ParserExit, UsageError, parse
from gitops_tools.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_USAGE, GitopsToolsError


class Command(Protocol):
    """A subcommand: the `run` of its module in gitops_tools/commands/ (named by the subcommand)."""

    def __call__(self, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int: ...


class _Terminated(BaseException):
    """SIGTERM, raised where the program is so that cleanups run (temporary files, half-made repositories): it is
    a BaseException, like KeyboardInterrupt, so no `except Exception` swallows it."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
         stdin: BinaryIO | None = None, *, own_process: bool = False) -> int:
    """Run the command line `argv` (sys.argv's by default) and return its exit code. `own_process`: the process ends
    with this call (the console script), so what its start-up makes may be kept from the collector."""
    out, err = stdout or _safe_stream(sys.stdout), stderr or _safe_stream(sys.stderr)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        with collector.paused():  # importing the package makes long-lived objects, not garbage: no collection
            args = parse(argv, out)
            command: Command = importlib.import_module(f"gitops_tools.commands.{args.command}").run
            if own_process:  # before the pause ends: its end would let the collector walk all of it at once
                collector.keep_until_exit()
        return command(args, out, err, stdin or sys.stdin.buffer)
    except ParserExit as done:
        return done.status
    except UsageError as error:
        err.write(f"{error}\n")
        return EXIT_USAGE
    except GitopsToolsError as error:
        from gitops_tools.display import printable

        lines = (printable(line) for line in (error.headline(), *error.details))  # a name's newline stays escaped
        err.write("gitops-tools: error: " + "\n  ".join(lines) + "\n")
        return EXIT_USAGE
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        err.write("gitops-tools: interrupted\n")
        return 130
    except _Terminated:
        err.write("gitops-tools: terminated\n")
        return 128 + signal.SIGTERM
    except Exception as error:  # noqa: BLE001 - last-resort boundary: report, never a bare traceback
        return _internal_error(error, err)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def run() -> int:
    """The console script and `python -m gitops_tools`: main() in a process of its own, which ends with it."""
    code = main(own_process=True)
    collector.keep_until_exit()
    return code


def _safe_stream(stream: TextIO) -> TextIO:
    """The real stdout/stderr, made to escape characters their encoding lacks instead of crashing."""
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="backslashreplace")
    return stream


def _internal_error(error: Exception, err: TextIO) -> int:
    import traceback

    if os.environ.get("GITOPS_TOOLS_DEBUG"):
        traceback.print_exception(error, file=err)
    err.write(f"gitops-tools: internal error: {type(error).__name__}: {error}\n"
              "This is a bug; please report it. Set GITOPS_TOOLS_DEBUG=1 to see the traceback.\n")
    return EXIT_INTERNAL
