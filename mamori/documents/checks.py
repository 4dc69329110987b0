"""`manage.py check` says when the Japanese font for PDFs is missing, before anyone asks for a PDF."""

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

from .pdf import font_path


@register()
def pdf_font_installed(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if font_path().is_file():
        return []
    return [
        Warning(
            f"The Japanese font for PDFs is missing: {settings.MAMORI_PDF_FONT}",
            hint="Run `make fonts` (Debian's fonts-ipaexfont-gothic) or set MAMORI_PDF_FONT to a TrueType font.",
            id="mamori.W010",
        )
    ]
