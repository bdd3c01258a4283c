"""Field type registry: one entry per type, each declaring name, storage, parsing,
validation, display, conversion and the value kind formulas see (see base.FieldType)."""

from __future__ import annotations

from tessera.errors import SchemaError
from tessera.fields.base import VALUE_KINDS, FieldLike, FieldType, ReadOnlyType
from tessera.fields.basic import (
    CheckboxType,
    CurrencyType,
    DateTimeType,
    DateType,
    EmailType,
    LongTextType,
    MultiSelectType,
    NumberType,
    PercentType,
    PhoneType,
    SingleSelectType,
    TextType,
    UrlType,
)
from tessera.fields.computed import (
    SYSTEM_COLUMNS,
    AutonumberType,
    CreatedTimeType,
    FormulaType,
    LinkType,
    LookupType,
    ModifiedTimeType,
    RollupType,
)
from tessera.fields.user import UserType

__all__ = ["REGISTRY", "get_field_type", "register_field_type", "FieldType", "FieldLike",
           "ReadOnlyType", "VALUE_KINDS", "SYSTEM_COLUMNS"]

REGISTRY: dict[str, FieldType] = {}


def register_field_type(field_type: FieldType) -> FieldType:
    REGISTRY[field_type.name] = field_type
    return field_type


for _type in (TextType(), LongTextType(), NumberType(), CurrencyType(), PercentType(),
              CheckboxType(), DateType(), DateTimeType(), SingleSelectType(), MultiSelectType(),
              EmailType(), PhoneType(), UrlType(), LinkType(), LookupType(), RollupType(),
              AutonumberType(), CreatedTimeType(), ModifiedTimeType(), FormulaType(), UserType()):
    register_field_type(_type)


def get_field_type(name: str) -> FieldType:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise SchemaError(f"Unknown field type {name!r}; use one of: {known}.",
                          f"未知字段类型 {name!r}，可用类型：{known}。",
                          code="unknown_field_type") from None
