"""Excel and CSV import and export.

Import (``import_file``): reader (``readers``: calamine / openpyxl streaming / csv with
encoding detection) → column mapping by name (``mapping``, ``names``) → optional new fields
with inferred types (``infer``) → per row: links resolved (``links``), key checked (``rows``)
→ chunked upsert through ``RecordService`` (each field type's own parser) → rejects written to
an .xlsx report (``rejects``). ``preview_import`` runs the same steps on the first rows without
writing, for the import wizard.

Export (``export_records``): a table or a view (its filters, sorts, hidden fields, plus an
optional ``row_filter`` hook for access rules) streamed to .xlsx (real
dates and number formats from ``formats``, written by ``xlsx_writer``) or .csv (UTF-8 with BOM).
"""

from tessera.io.errors import ImportFileError
from tessera.io.exporter import ExportResult, RowFilter, export_records
from tessera.io.importer import ImportOptions, ImportResult, import_actor, import_file
from tessera.io.preview import ImportPreview, preview_import

__all__ = ["ImportFileError", "ImportOptions", "ImportResult", "import_file", "import_actor",
           "ImportPreview", "preview_import", "ExportResult", "RowFilter", "export_records"]
