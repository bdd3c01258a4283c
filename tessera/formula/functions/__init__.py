"""The function library, one module per category. Importing this package registers every
function (see :mod:`tessera.formula.registry`); add a category by listing its module below.

Adding a function is one declaration in its category module, for example::

    define(FunctionSpec(
        "LEN", "text", (Param("text", "text"),), NUMBER,
        "Number of characters in a text.", "文本的字符数。",
        python=lambda s: float(len(s)),          # gets coerced, non-error arguments
        sql=lambda c, s: c.length(s),            # gets SQL expressions; c.pg tells the dialect
    ))

plus cases in ``tests/formula/cases/<category>.py`` (the registry test requires some). Use an
eager definition (``python`` + ``sql``) whenever the arguments can be evaluated first: the
framework handles errors, blanks and coercion identically on every backend. Return a
``SqlValue(value, error)`` from ``sql`` (and set ``may_error=True``) when the function can fail;
use the Excel primitives (``tessera.formula.excel``, ``tx_*`` in SQL) for Excel semantics.
Lazy or range-taking functions (IF, SUM...) use ``build_python`` / ``build_sql`` instead; see
``logic.py`` and ``math.py``, and ``_ranges.range_select`` for ``{Link}.{Field}`` / ``ALL()``.
"""

from tessera.formula.functions import (  # noqa: F401
    criteria,
    date,
    identity,  # noqa: F401  (CURRENT_USER, ISMEMBER)
    lists,
    logic,
    math,
    text,
)
