"""The one exception family library code raises; the CLI maps it to exit code 2."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module before anything else: the model's classes are not needed to start
    from gitops_tools.model import Location

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away


class GitopsToolsError(Exception):
    """A user-facing error: bad config, bad arguments, unreadable policy. Never a bug."""

    def __init__(self, message: str, location: Location | None = None, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.details = details  # one line each, shown indented under the message

    def __str__(self) -> str:
        return "\n  ".join((self.headline(), *self.details))

    def headline(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ConfigError(GitopsToolsError):
    """The config file or a command-line option is invalid."""


class PolicyError(GitopsToolsError):
    """A policy file is invalid."""


class AnalyserError(GitopsToolsError):
    """An external analyser a run needs is missing, failed, or ran out of time (gitops_tools/analysers/)."""
