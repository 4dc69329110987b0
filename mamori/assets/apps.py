from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "mamori.assets"
    verbose_name = _("Information systems")
