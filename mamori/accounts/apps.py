from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "mamori.accounts"
    verbose_name = _("Login and access")

    def ready(self) -> None:
        from . import signals  # noqa: F401 -- connects the lockout journal
