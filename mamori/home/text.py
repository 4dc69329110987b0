"""NUL characters: PostgreSQL cannot store them in text, SQLite can. They never mean anything in what
people type, so they are dropped before any of our rows is saved — one rule, both databases alike."""

from typing import Any

from django.db import models

NUL = "\x00"


def without_nul(value: Any) -> Any:
    """The value with NUL removed from every string in it (nested lists and dicts too)."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


def drop_nul_before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not sender.__module__.startswith("mamori."):
        return
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField | models.JSONField):
            value = getattr(instance, field.attname)
            cleaned = without_nul(value)
            if cleaned != value:
                setattr(instance, field.attname, cleaned)
