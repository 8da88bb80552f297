"""A column's values as text for person keys, notice values and per-row detection.

Strings are read as they are; everything else is cast, except two shapes one odd value gives a
whole JSON column (pyarrow reads one type per column and block), where a plain cast changed
every other person's values:

- float64 (one fractional value, or one integer past int64, among integers): a whole number is
  written in digits, as the scan reads it (:func:`breachscope.scan.batch.float_text`); a cast
  wrote ``1.234567890123456e+15``, so every user id of the block hashed differently and matched
  no account, and no card number was detected in a person's row;
- a list column (one record's value was a list, so every value of the block was wrapped in one):
  a list holding one value reads as that value (``user0@example.com``, not
  ``['user0@example.com']``).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.scan.batch import float_text


def as_text(values: pa.Array) -> pa.Array:
    """``values`` as a string array (see the module docstring); a list that does not hold exactly
    one value is null. Raises like ``pyarrow.compute.cast`` for types that have no text."""
    t = values.type
    if pa.types.is_string(t):
        return values
    if pa.types.is_float64(t):
        return float_text(values)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        first = pc.list_element(pc.if_else(single_values(values), values, pa.scalar([None], t)), 0)
        return as_text(first)
    return pc.cast(values, pa.string())


def single_values(values: pa.Array) -> pa.Array:
    """True where ``values`` is a list holding exactly one value (False for other types)."""
    t = values.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return pa.repeat(pa.scalar(False), len(values))
    return pc.fill_null(pc.equal(pc.list_value_length(values), 1), False)
