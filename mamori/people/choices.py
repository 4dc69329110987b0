from django.db import models
from django.utils.translation import gettext_lazy as _


class DateStyle(models.TextChoices):
    WAREKI = "wareki", _("Japanese era (和暦)")
    SEIREKI = "seireki", _("Western calendar (西暦)")


class OrganizationKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    SPECIAL_WARD = "special_ward", _("Special ward")
    UNION = "union", _("Partial-affairs union (一部事務組合)")
    OTHER = "other", _("Other")
