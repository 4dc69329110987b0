"""Form widgets rendered in Python where Django's template-per-option rendering is too slow.

Django draws each ``<option>`` of a ``<select>`` through a template of its own. The incident list's
filters (about fifty options) spent 3 ms on that, a quarter of the page (docs/performance.md). This
``Select`` writes the same HTML with ``format_html``: the same name, id, attributes (``required``,
``aria-*``) and selected values, options and option groups escaped the same way.
"""

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class Select(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        selected = set(self.format_value(value))

        def options(choices: Any) -> SafeString:
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, " selected" if str(v) in selected else "", label) for v, label in choices),
            )

        parts = []
        for group, choices in self.choices:
            if isinstance(choices, list | tuple):  # an option group
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', group, options(choices)))
            else:
                parts.append(options([(group, choices)]))
        return format_html("<select{}>{}</select>", attributes(final_attrs), SafeString("".join(parts)))


def attributes(attrs: dict[str, Any]) -> SafeString:
    """As Django's ``attrs.html``: in order, ``True`` as a bare name, ``False`` and ``None`` left out."""
    return SafeString(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False and value is not None
        )
    )
