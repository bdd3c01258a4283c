"""The function library, one module per category. Importing this package registers every
function (see :mod:`tessera.formula.registry`); add a category by listing its module here."""

from tessera.formula.functions import date, logic, math, text  # noqa: F401
