"""Kubernetes resource quantities (`250m`, `1.5Gi`, `2e3`), read exactly as the API server reads them.

The grammar is k8s.io/apimachinery's resource.Quantity: a signed decimal number, then a binary suffix (Ki..Ei, powers
of 1024), a decimal suffix (m, k, M, G, T, P, E, powers of 1000) or a decimal exponent (`e3`, `E-2`). Values become
exact Fractions, so `1Gi` compares equal to `1073741824` and `0.1` to `100m` without float rounding. A value that is
not a quantity is None: reporting it is the structure policies' job, not the caller's.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?")
_SUFFIXES = {
    "": Fraction(1), "m": Fraction(1, 1000), "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40), "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
MAX_TEXT = 64  # longer text is not a quantity anyone writes; bounding it bounds the arithmetic
MAX_EXPONENT = 64  # apimachinery's own bound on decimal exponents is of this order; beyond it, not a quantity


def parse_quantity(value: Any) -> Fraction | None:
    """The exact amount a quantity names, or None when `value` is not a quantity (YAML may give an int or a float:
    `cpu: 2`, `cpu: 0.5`, read by their decimal text as the API server reads the JSON number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        return None
    match = _QUANTITY.fullmatch(value)
    if match is None:
        return None
    sign, number, suffix, exponent = match.groups()
    amount = Fraction(Decimal(number))
    if exponent is not None:
        if abs(int(exponent)) > MAX_EXPONENT:
            return None
        amount *= Fraction(10) ** int(exponent)
    else:
        amount *= _SUFFIXES[suffix or ""]
    return -amount if sign == "-" else amount
