"""Is a value present? The one rule, for every stage that asks per value.

A value is present when it is not null, not blank after trimming whitespace, not an empty list,
and not a placeholder: one of :data:`PLACEHOLDERS` (markers exports write for "no data", such as
``(not set)`` or ``undefined``) or one of the layout's own for that column (Mixpanel ``$direct``,
Amplitude ``session_id = -1``). Placeholders are compared case-insensitively on the trimmed text;
numbers are compared as their text, so a numeric ``-1`` is the placeholder ``-1``.

The list of placeholders is data (:mod:`breachscope.placeholders`, curated with detection);
:func:`present` is the only code that applies it per value: ``case attach`` and ``scan --people``
both call it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.placeholders import PLACEHOLDERS as SHARED_PLACEHOLDERS
from breachscope.placeholders import normalise

#: Values that mean "no data" in any export: the shared list (:mod:`breachscope.placeholders`,
#: curated with detection) plus Mixpanel's ``$direct``, which generic exports of it carry too.
PLACEHOLDERS = SHARED_PLACEHOLDERS | frozenset({"$direct"})


def placeholder_set(extra: Iterable[str] = ()) -> frozenset[str]:
    """:data:`PLACEHOLDERS` plus a layout's own for one column, in the compared form."""
    extra = frozenset(normalise(v) for v in extra)
    return PLACEHOLDERS | extra if extra else PLACEHOLDERS


def present(arr: pa.Array | pa.ChunkedArray, placeholders: Iterable[str] = ()) -> pa.Array:
    """True where a value is present (see the module): one boolean per value, never null.

    ``placeholders`` are the layout's own for this column, on top of :data:`PLACEHOLDERS`.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pc.fill_null(pc.and_(pc.is_valid(arr), pc.greater(pc.list_value_length(arr), 0)), False)
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        try:
            arr = pc.cast(arr, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # structs, maps: present when not null
            return pc.fill_null(pc.is_valid(arr), False)
    trimmed = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    marks = pa.array(sorted(placeholder_set(placeholders)), trimmed.type)
    blank = pc.or_(pc.equal(trimmed, ""), pc.is_in(trimmed, value_set=marks))
    return pc.fill_null(pc.and_(pc.is_valid(arr), pc.invert(blank)), False)
