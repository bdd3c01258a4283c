"""App packs (DESIGN.md decision 6): a folder with ``pack.yaml`` that installs into a base,
upgrades while keeping user edits, and exports back. Format and lifecycle: docs/packs.md.

Modules, one job each::

    source.py          pack.yaml (+ locales/) parsed with line/column marks
    jsonschema_check.py  shape, against schemas/app-pack.schema.json
    normalize.py       the one normalized shape every operation works on
    index.py           tables/fields by key and name, inverse links placed
    formulas.py        formula type checks against the pack's own fields (dependency order)
    semantics.py       reference checks (keys, names, links, views, automations)
    validate.py        the stages above → ValidatedPack or positioned PackIssues
    translate.py, builder.py   pack references → live ids/names; creating objects
    install.py         one transaction: base, schema, views, dashboards, automations, samples
    export.py          a live base → a normalized pack (and a pack folder)
    merge.py, upgrade.py  three-way merge per object and its transactional application
"""

from tessera.packs.errors import PackError, PackIssue, PackValidationError
from tessera.packs.install import InstallResult, SampleReport, install
from tessera.packs.source import PackSource, load_pack, load_text
from tessera.packs.validate import ValidatedPack, check_pack, validate

__all__ = ["PackError", "PackIssue", "PackValidationError", "InstallResult", "SampleReport",
           "install", "PackSource", "load_pack", "load_text", "ValidatedPack", "check_pack",
           "validate"]
