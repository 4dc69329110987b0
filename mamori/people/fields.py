"""Choosing a person in a form by typing who they are, not by scrolling a list of everyone.

A ``<select>`` of every person of the organisation is unusable and slow at a prefecture's size
(10,000 people; three such lists on the incident page made it over a megabyte). Instead the person is
typed as their user ID, 職員番号 or name; the browser suggests the people who hold a role (a
``<datalist>``, no script), and a name that fits several people is answered with the candidates.
"""

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import User

MAX_CANDIDATES = 8


def _plain(text: str) -> str:
    """Names compared without spaces of any width: 山田　太郎 and 山田太郎 are the same name."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def describe(person: Any) -> str:
    """How a person is told apart from namesakes: name, user ID, department, 職員番号."""
    details = [person.username]
    if person.department_id:
        details.append(str(person.department))
    if person.employee_number:
        details.append(_("staff number %(n)s") % {"n": person.employee_number})
    return f"{person.get_full_name()}（{'・'.join(details)}）"


class PersonInput(forms.TextInput):
    """A text box the browser completes from a ``<datalist>`` of suggested people, named by
    ``list_id`` and rendered once per page (``people/_suggestions.html``), however many boxes use it."""

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__({"autocomplete": "off", **(attrs or {})})


class PersonField(forms.CharField):
    """A person of one organisation (``organization_id``), active, typed as user ID, 職員番号 or name.

    ``clean`` returns the ``User`` (or None when empty and not required). ``suggestions`` are offered
    by the browser; anyone of the organisation may be typed.
    """

    widget = PersonInput
    default_error_messages = {
        "not_found": gettext_lazy(
            "Nobody of the organisation is called “%(value)s”. Type a user ID, a staff number or a name."
        ),
        "ambiguous": gettext_lazy(
            "“%(value)s” fits several people; type the user ID of one of them: %(candidates)s"
        ),
        "suggest": gettext_lazy("Nobody is called exactly “%(value)s”. Did you mean: %(candidates)s"),
    }

    def __init__(self, *, organization_id: int = 0, **kwargs: Any):
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("help_text", gettext_lazy("User ID, staff number or name."))
        super().__init__(**kwargs)
        self.organization_id = organization_id

    def suggest_from(self, list_id: str) -> None:
        """Offer the people of the page's ``<datalist id=list_id>`` while typing."""
        self.widget.attrs["list"] = list_id

    def prepare_value(self, value: Any) -> Any:
        return value.username if isinstance(value, User) else value

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text:
            return None
        people = User.objects.filter(organization_id=self.organization_id, is_active=True).select_related(
            "department"
        )
        exact = list(people.filter(Q(username=text) | Q(employee_number=text))[:2])
        if len(exact) == 1:
            return exact[0]
        plain = _plain(text)
        # A name: compared without spaces, among the people whose name contains its first character
        # (keeps the database from sending every person of a large organisation).
        near = list(
            people.filter(Q(display_name__icontains=plain[:1]) | Q(last_name__icontains=plain[:1])).order_by(
                "username"
            )[:500]
        )
        named = [p for p in near if _plain(p.get_full_name()) == plain]
        if len(named) == 1:
            return named[0]
        if len(exact) > 1 or len(named) > 1:
            candidates = exact if len(exact) > 1 else named
            raise ValidationError(
                self.error_messages["ambiguous"],
                code="ambiguous",
                params={
                    "value": text,
                    "candidates": "、".join(describe(p) for p in candidates[:MAX_CANDIDATES]),
                },
            )
        partial = [p for p in near if plain in _plain(p.get_full_name())] or list(
            people.filter(username__icontains=text).order_by("username")[:MAX_CANDIDATES]
        )
        if partial:
            raise ValidationError(
                self.error_messages["suggest"],
                code="suggest",
                params={
                    "value": text,
                    "candidates": "、".join(describe(p) for p in partial[:MAX_CANDIDATES]),
                },
            )
        raise ValidationError(self.error_messages["not_found"], code="not_found", params={"value": text})


ROLE_HOLDERS = "role-holders"


def role_holder_suggestions(organization_id: int) -> list[tuple[str, str]]:
    """(user ID, who they are) of the people holding a role of the organisation's policy — those most
    often chosen for a task — for ``people/_suggestions.html``."""
    return [(p.username, describe(p)) for p in role_holders(organization_id)]


def role_holders(organization_id: int) -> list[Any]:
    """People holding a role of the organisation's policy."""
    return list(
        User.objects.filter(
            organization_id=organization_id,
            is_active=True,
            assignment__role__organization_id=organization_id,
            assignment__role__active=True,
        )
        .select_related("department")
        .distinct()
        .order_by("username")[:200]
    )
