"""Dates as each person prefers them: 和暦 or 西暦 (User.date_style)."""

from datetime import date, datetime

from django import template

from mamori import wareki

register = template.Library()


def _style(context) -> str:
    user = context.get("user")
    return getattr(user, "date_style", "") or "wareki"


@register.simple_tag(takes_context=True)
def jdate(context, value) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        value = wareki.timezone.localtime(value).date()
    return wareki.format_date(value, _style(context)) if isinstance(value, date) else str(value)


@register.simple_tag(takes_context=True)
def jdatetime(context, value) -> str:
    if not value:
        return ""
    return wareki.format_datetime(value, _style(context))


@register.simple_tag(takes_context=True)
def fiscal_year(context, fy) -> str:
    return wareki.fiscal_year_label(int(fy), _style(context)) if fy else ""
