"""Text on its way to a terminal: file names and messages shown as they are, and nothing a terminal would act on."""

from __future__ import annotations


def printable(text: str) -> str:
    """`text` with what a terminal would act on escaped: control characters (`\\x1b`, newlines), bidirectional
    overrides, and the undecodable bytes of a file name (`\\xff`), so one line stays one line and shows the truth."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8, as os.fsdecode carries it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
