"""The parse-only floor: load every file lint reads under a folder (YAML with PyYAML's C loader, JSON with the json
module), nothing else."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml


class FloorLoader(yaml.CSafeLoader):
    """The C safe loader, reading an application tag (GitLab's `!reference [...]`) as the plain node it tags."""


def _untagged(loader: yaml.CSafeLoader, _suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)


FloorLoader.add_multi_constructor("!", _untagged)


def main() -> None:
    documents = 0
    for path in sorted(Path(sys.argv[1]).rglob("*")):
        if path.suffix in (".yaml", ".yml"):
            documents += sum(1 for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=FloorLoader))
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
            documents += 1
    print(documents)


if __name__ == "__main__":
    main()
