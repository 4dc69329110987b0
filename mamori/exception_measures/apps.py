from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExceptionMeasuresConfig(AppConfig):
    name = "mamori.exception_measures"
    verbose_name = _("Exception measures")
