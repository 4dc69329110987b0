"""Filling a Word template: the organisation's own if it uploaded one, else Mamori's.

Templates are Jinja (docxtpl) run in Jinja's sandbox with strict undefined names: an uploaded template
can read the context it is given and nothing else, and a placeholder that does not exist is an error
with its name rather than a silent blank in a document sent to the CISO.
"""

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .default_templates import default_template
from .models import DocumentTemplate
from .samples import sample_incident_context

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Kind:
    key: str
    title: str | Promise
    file_name: str  # without the extension; the incident reference or year is put in front
    sample: Callable[[], dict[str, Any]]


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("final_report", gettext_lazy("Final report"), "報告書", sample_incident_context),
        Kind("first_report", gettext_lazy("First report to the CISO"), "第一報", sample_incident_context),
        Kind("closure", gettext_lazy("Closure declaration"), "収束宣言", sample_incident_context),
        Kind("press_release", gettext_lazy("Press release draft"), "報道発表資料案", sample_incident_context),
        Kind(
            "outside_texts",
            gettext_lazy("Texts for outside bodies"),
            "外部機関への報告事項",
            sample_incident_context,
        ),
    )
}


class TemplateInvalid(Exception):
    """An uploaded template that cannot be used; ``message`` says why, in the reader's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def register_kind(kind: Kind, builder: Callable[[], bytes]) -> None:
    """Other apps add their documents here (the committee's yearly report comes from statistics)."""
    from .default_templates import DEFAULT_BUILDERS

    KINDS[kind.key] = kind
    DEFAULT_BUILDERS[kind.key] = builder


def _environment() -> SandboxedEnvironment:
    # autoescape: values are XML-escaped, so a "<" typed in a report cannot break the document.
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def active_template(organization_id: int, kind: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(organization_id=organization_id, kind=kind, active=True).first()


def template_bytes(organization_id: int, kind: str) -> bytes:
    own = active_template(organization_id, kind)
    if own is not None:
        with own.file.open("rb") as handle:
            return handle.read()
    return default_template(kind)


def _filled_or_invalid(template: bytes, context: dict[str, Any]) -> bytes:
    """Fill a template that came from outside; whatever goes wrong is said as ``TemplateInvalid``."""
    try:
        return fill(template, context)
    except TemplateError as exc:
        raise TemplateInvalid(
            _("A placeholder of the template cannot be filled: %(error)s") % {"error": exc}
        ) from None
    except Exception as exc:  # noqa: BLE001 - a hand-edited Word file fails in many ways (XML, Jinja, types)
        raise TemplateInvalid(_("The Word file cannot be used: %(error)s") % {"error": exc}) from None


def fill(template: bytes, context: dict[str, Any]) -> bytes:
    document = DocxTemplate(io.BytesIO(template))
    document.render(context, _environment())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_docx(organization_id: int, kind: str, context: dict[str, Any]) -> bytes:
    """The document of ``kind`` for ``context``. An organisation's template was checked on upload,
    but the context may have changed since (a newer Mamori): ``TemplateInvalid`` then names the
    placeholder. Mamori's own templates are tested, so their errors are bugs and propagate."""
    own = active_template(organization_id, kind)
    if own is None:
        return fill(default_template(kind), context)
    with own.file.open("rb") as handle:
        return _filled_or_invalid(handle.read(), context)


def check_template(kind: str, data: bytes) -> None:
    """Refuse a file that is not a Word document, or whose placeholders do not fill with the sample."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateInvalid(_("The file is larger than 5 MB."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise TemplateInvalid(_("This is not a Word (.docx) file."))
    except zipfile.BadZipFile:
        raise TemplateInvalid(_("This is not a Word (.docx) file.")) from None
    _filled_or_invalid(data, KINDS[kind].sample())
