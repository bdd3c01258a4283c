"""Schema package: physical naming, catalog reads, runtime DDL, schema operations, type
changes and views. ``tessera.schema_ops`` re-exports the public API."""
