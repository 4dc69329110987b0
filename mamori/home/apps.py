from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "mamori.home"
    verbose_name = _("Home")

    def ready(self):
        from django.db.models.signals import pre_save

        from .text import drop_nul_before_save

        pre_save.connect(drop_nul_before_save, dispatch_uid="mamori.drop_nul")
