"""Helpers for tests and benchmarks: a throwaway PostgreSQL cluster."""
