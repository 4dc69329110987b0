from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    STAFF_FORM = "staff_form", _("Staff form")
    PUBLIC_FORM = "public_form", _("Public form")
    PHONE = "phone", _("Phone call")
    MAIL = "mail", _("Mail")
    IN_PERSON = "in_person", _("In person")
    API = "api", _("API")
    MAIL_GATEWAY = "mail_gateway", _("Mail intake (automatic)")
    DETECTION = "detection", _("Detected by the CSIRT")
