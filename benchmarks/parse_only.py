"""The parse-only floor: load every YAML file under a folder with PyYAML's C loader, nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main() -> None:
    documents = 0
    for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
        documents += sum(1 for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    print(documents)


if __name__ == "__main__":
    main()
