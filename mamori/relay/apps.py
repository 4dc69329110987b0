from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelayConfig(AppConfig):
    name = "mamori.relay"
    verbose_name = _("Relay on the internet-facing segment")
