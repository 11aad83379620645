"""A JSON document written as `json.dump(document, stream, indent=2)` writes it, byte for byte, but with one list
(the findings) written item by item as it is iterated: a report of 40,000 findings never holds 40,000 dicts.

The document is given with the place of that list marked by `ITEMS`; the rest of it is small and dumped whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

ITEMS = "\x00items\x00"  # where the streamed list goes: no other value of a report can dump to the same text
INDENT = 2


def dump(document: Any, items: Iterable[Any], stream: TextIO) -> None:
    """`document` with `items` in place of ITEMS, as json.dump(..., indent=2) would write it, then a line break."""
    marker = json.dumps(ITEMS)
    head, found, tail = json.dumps(document, indent=INDENT).partition(marker)
    if not found or marker in tail:
        raise ValueError("the document must hold ITEMS exactly once")
    line = head.rpartition("\n")[2]  # the marker's line: its key's indentation is the closing bracket's
    stream.write(head)
    _write_list(items, len(line) - len(line.lstrip(" ")), stream)
    stream.write(tail + "\n")


def _write_list(items: Iterable[Any], depth: int, stream: TextIO) -> None:
    inner = "\n" + " " * (depth + INDENT)
    first = True
    for item in items:
        stream.write(("[" if first else ",") + inner + json.dumps(item, indent=INDENT).replace("\n", inner))
        first = False
    stream.write("[]" if first else "\n" + " " * depth + "]")
