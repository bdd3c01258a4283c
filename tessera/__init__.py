"""Tessera: an Excel-like low-code platform whose formulas compile to SQL."""

__version__ = "0.1.0"
