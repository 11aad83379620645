"""The subcommands behind the CLI, one module each, named by the subcommand: its `run(args, out, err, stdin)` takes
the parsed arguments and the streams and returns the exit code. The CLI imports only the module of the subcommand it
runs. Here: what several of them share (the config, the policies, a listing's output).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitops_tools.config import Config, find_config, load_config
from gitops_tools.errors import ConfigError
from gitops_tools.model import Catalogue, Policy

if TYPE_CHECKING:
    from gitops_tools.policycache import Cache


def config_of(args: argparse.Namespace) -> Config:
    """--config, else the nearest config above the folder holding every linted path (or the working directory)."""
    from gitops_tools.paths import common_folder, search_paths

    path: Path | None = args.config
    if path is not None and not os.path.lexists(path):
        raise ConfigError(f"config file not found: {path}")
    paths = search_paths(getattr(args, "paths", []), getattr(args, "stdin_filename", None))
    return load_config(path or find_config(common_folder(paths)), Path.cwd())


def open_cache(config: Config) -> Cache | None:
    """The run's cache (gitops_tools/policycache.py), keyed on the package and the packs `config` extends."""
    from gitops_tools.policycache import open_cache

    return open_cache(os.environ, tuple(ref.folder for ref in config.packs))


def policies_of(config: Config, args: argparse.Namespace, cache: Cache | None) -> tuple[Config, Catalogue]:
    """Built-in policies, those of the config's packs and policy_dirs, and those of --policy-dir (which may be
    anywhere: the user named them; a config, which may come from a pull request, is kept inside its repository), with
    the config completed by the pins its packs need."""
    extra = (*config.policy_dirs, *args.policy_dir)
    if config.packs:
        return _with_packs(config, extra, cache)
    from gitops_tools.policycache import builtin_policies

    policies = _load_policies(extra) if extra else builtin_policies(_load_policies, cache)
    return config, Catalogue(policies, policies)


def _with_packs(config: Config, extra: tuple[Path, ...], cache: Cache | None) -> tuple[Config, Catalogue]:
    """The catalogue of a config that extends policy packs: cached with the packs' files in its key, unless custom
    policy folders join in."""
    from gitops_tools.packs import load_catalogue, with_packs
    from gitops_tools.policycache import pack_catalogue

    refs = config.packs

    def load() -> Catalogue:
        return load_catalogue(refs, extra)

    catalogue = load() if extra else pack_catalogue(load, cache, tuple(ref.folder for ref in refs))
    return with_packs(config, catalogue), catalogue


def _load_policies(extra_dirs: tuple[Path, ...] = ()) -> dict[str, Policy]:
    """The policies read from their files (imported only when needed: the built-in ones usually come cached)."""
    from gitops_tools.policies import load_policies

    return load_policies(extra_dirs)


def write_listing(out: TextIO, fmt: str, key: str, records: list[dict[str, Any]], text: str) -> None:
    """A listing command's output: `{key: records}` as JSON, else its text."""
    if fmt == "json":
        import json

        json.dump({key: records}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(text)
