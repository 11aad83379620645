"""The domains' data files: a folder of schemas/policies/ holding a `domain.yaml` is a domain, named by the folder.
Found by listing that folder, read (compiled by gitops_tools/domains.py), and checked against
schemas/domain.schema.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_tools.domains import Domain, parse_domains
from gitops_tools.errors import PolicyError
from gitops_tools.model import Location
from gitops_tools.resources import schema_path

DOMAIN_FILE = "domain.yaml"


def domain_files(folder: Path | None = None) -> dict[str, Path]:
    """Each domain's data file, by domain name (its folder's), in name order."""
    top = folder or schema_path("policies")
    return {path.parent.name: path for path in sorted(top.glob(f"*/{DOMAIN_FILE}"))}


def load_domains(folder: Path | None = None) -> dict[str, Domain]:
    """Every domain, read from its data file. Built-in files are checked against schemas/domain.schema.json by the
    test suite, not on every run."""
    return parse_domains(read_domain_files(folder))


def read_domain_files(folder: Path | None = None) -> dict[str, Any]:
    """Each domain's data file, parsed, by domain name."""
    import yaml

    return {name: yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)
            for name, path in domain_files(folder).items()}


def check_domain_file(path: Path) -> None:
    """Raise PolicyError, at its position, for the first way a domain file breaks the meta-schema or names an
    unknown domain."""
    import json

    from gitops_tools.loading import load_user_file
    from gitops_tools.validation import SchemaEvaluator, first_violation

    document = load_user_file(path, "domain file", error=PolicyError)[0]
    meta = SchemaEvaluator(json.loads(schema_path("domain.schema.json").read_text("utf-8")))
    error = first_violation(meta, document.data)
    if error is not None:
        raise PolicyError(f"invalid domain: {error.message}", Location(str(path), *document.locate(error.path)[:2]))
    known = set(domain_files(path.parent.parent))
    for index, embedding in enumerate(document.data.get("embedded", ())):
        if embedding["in"]["domain"] not in known:
            where = ("embedded", index, "in", "domain")
            raise PolicyError(f"unknown domain {embedding['in']['domain']!r}; domains: {', '.join(sorted(known))}",
                              Location(str(path), *document.locate(where)[:2]))
    parser = document.data.get("files", {}).get("parser")
    if parser is not None:
        from gitops_tools.loading.parsers import parser_names

        if parser not in parser_names():
            raise PolicyError(f"unknown parser {parser!r}; parsers: {', '.join(parser_names())}",
                              Location(str(path), *document.locate(("files", "parser"))[:2]))
