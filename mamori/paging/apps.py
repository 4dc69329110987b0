from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagingConfig(AppConfig):
    name = "mamori.paging"
    verbose_name = _("Paging")
