"""The Tessera formula language (contract: FORMULA.md).

Pipeline, one stage per module, each handing immutable values to the next::

    text ──parser.py (grammar.lark, Lark LALR)──▶ ast.py nodes with spans
         ──checker.py (schema.py, registry.py)──▶ Typed tree (static types, resolved fields)
         ├─interpreter.py──▶ nested Python closures (values.py runtime model)
         └─sqlcompile.py (sqlcore.py, operators.py)──▶ SQLAlchemy (value, error) expressions

Functions live in ``functions/<category>.py``, one ``define(FunctionSpec(...))`` each, with
their Python and SQL implementations side by side. Excel semantics that neither SQL dialect has
(General format, decimal rounding, date parsing...) come from the primitives in ``excel/``,
present as Python functions and as ``tx_*`` SQL functions on SQLite and PostgreSQL.
Static errors raise :class:`FormulaError`; runtime errors are :class:`ExcelError` values.
"""

from tessera.formula.errors import (
    FormulaError,
    FormulaReferenceError,
    FormulaSyntaxError,
    FormulaTypeError,
)
from tessera.formula.evaluation import evaluate, evaluate_sql
from tessera.formula.values import ExcelError

__all__ = [
    "evaluate", "evaluate_sql", "FormulaError", "FormulaSyntaxError", "FormulaReferenceError",
    "FormulaTypeError", "ExcelError",
]
