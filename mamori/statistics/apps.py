from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "mamori.statistics"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from . import committee  # noqa: F401 - adds the committee's yearly report to the document kinds
