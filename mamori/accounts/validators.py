"""Password rules from the policy (tatebayashi 5.4(2)③, edogawa 基準第11条第1項(2)).

Django calls ``PolicyPasswordValidator`` wherever a password is set through a form (the person's own
change, the admin's set-password form), with the person, so the rules of their organisation apply.
"""

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .rules import login_rules_for

CLASSES = (
    ("upper", re.compile(r"[A-Z]")),
    ("lower", re.compile(r"[a-z]")),
    ("digit", re.compile(r"[0-9]")),
    ("symbol", re.compile(r"[^A-Za-z0-9]")),
)
# Parts of a name shorter than this are too common to forbid ("a", "01").
SHORTEST_PERSONAL_PART = 3


def character_classes(password: str) -> int:
    text = unicodedata.normalize("NFKC", password)
    return sum(1 for _name, pattern in CLASSES if pattern.search(text))


def personal_parts(person: Any) -> list[str]:
    """What a password must not contain: user ID, 職員番号, name, the local part of the mail address."""
    if person is None:
        return []
    values = [
        getattr(person, "username", ""),
        getattr(person, "employee_number", ""),
        getattr(person, "display_name", ""),
        getattr(person, "first_name", ""),
        getattr(person, "last_name", ""),
        (getattr(person, "email", "") or "").split("@")[0],
    ]
    parts = set()
    for value in values:
        for part in re.split(r"[\s._@\-　]+", unicodedata.normalize("NFKC", value or "").lower()):
            if len(part) >= SHORTEST_PERSONAL_PART:
                parts.add(part)
    return sorted(parts)


class PolicyPasswordValidator:
    def validate(self, password: str, user: Any = None) -> None:
        rules = login_rules_for(user).password
        errors = []
        if len(password) < rules.min_length:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must be at least %(n)d character long.",
                        "The password must be at least %(n)d characters long.",
                        rules.min_length,
                    )
                    % {"n": rules.min_length},
                    code="password_too_short",
                )
            )
        if character_classes(password) < rules.character_classes:
            errors.append(
                ValidationError(
                    _(
                        "The password must mix at least %(n)d of: upper-case letters, lower-case letters, "
                        "digits and symbols."
                    )
                    % {"n": rules.character_classes},
                    code="password_too_simple",
                )
            )
        if rules.not_personal:
            lowered = unicodedata.normalize("NFKC", password).lower()
            if any(part in lowered for part in personal_parts(user)):
                errors.append(
                    ValidationError(
                        _("The password must not contain your user ID, staff number or name."),
                        code="password_personal",
                    )
                )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "Long enough, mixing upper- and lower-case letters, digits and symbols as your organisation's "
            "policy requires, and without your user ID, staff number or name."
        )
