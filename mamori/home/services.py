from typing import Any

from django.db import transaction

from mamori.journal.services import record


def update_preferences(person: Any, *, actor: Any, date_style: str, language: str) -> None:
    with transaction.atomic():
        person.date_style, person.language = date_style, language
        person.save(update_fields=["date_style", "language"])
        record(
            actor=actor,
            action="person.preferences",
            obj=person,
            organization=person.organization,
            data={"date_style": date_style, "language": language},
        )
