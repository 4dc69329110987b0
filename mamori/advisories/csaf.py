"""Reading advisories from CSAF 2.0 JSON, the format JVN iPedia and many vendors publish in.

What is read: ``document.title``, ``document.tracking.id`` and ``initial_release_date``, the publisher's
name (the source), the summary note, the first reference URL; from ``vulnerabilities``: CVE ids and
other ``ids``, the highest CVSS v3 base score, and the ``known_affected`` products; from
``product_tree``: each affected product's vendor, product name and version (``product_version``) or
range (``product_version_range``, e.g. ``vers:generic/<6.4.3``), found by walking the branches.
A file may hold one CSAF document or a JSON list of them. Anything else is refused with the reason.
"""

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .inputs import AdvisoryInput, ProductInput

MAX_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 500


class CSAFError(ValueError):
    """The file cannot be read as CSAF; ``str(error)`` says why, for the person."""


def read_file(content: bytes) -> list[AdvisoryInput]:
    if len(content) > MAX_BYTES:
        raise CSAFError(_("The file is larger than 5 MB."))
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CSAFError(_("The file is not UTF-8 text; CSAF files are JSON in UTF-8.")) from None
    except json.JSONDecodeError as exc:
        raise CSAFError(
            _("The file is not JSON (line %(line)s, column %(column)s).")
            % {"line": exc.lineno, "column": exc.colno}
        ) from None
    documents = data if isinstance(data, list) else [data]
    if not documents or len(documents) > MAX_DOCUMENTS:
        raise CSAFError(_("The file must hold between 1 and %(n)s CSAF documents.") % {"n": MAX_DOCUMENTS})
    result = []
    for i, document in enumerate(documents, start=1):
        try:
            result.append(read_document(document))
        except CSAFError as exc:
            raise CSAFError(_("Document %(n)s: %(problem)s") % {"n": i, "problem": exc}) from None
    return result


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def read_document(data: Any) -> AdvisoryInput:
    if not isinstance(data, dict) or not isinstance(data.get("document"), dict):
        raise CSAFError(_("this is not a CSAF document (it has no “document” section)."))
    document = data["document"]
    title = _text(document.get("title"))
    if not title:
        raise CSAFError(_("the document has no title."))
    tracking = _dict(document.get("tracking"))
    identifiers = [_text(tracking.get("id"))] if _text(tracking.get("id")) else []
    published = None
    released = _text(tracking.get("initial_release_date"))
    if released:
        try:
            published = date.fromisoformat(released[:10])
        except ValueError:
            published = None
    notes = _list(document.get("notes"))
    summary = next(
        (_text(n.get("text")) for n in notes if isinstance(n, dict) and n.get("category") == "summary"), ""
    )
    references = _list(document.get("references"))
    url = next(
        (
            _text(r.get("url"))
            for r in references
            if isinstance(r, dict) and _text(r.get("url")).startswith("http")
        ),
        "",
    )
    publisher = _dict(document.get("publisher"))

    products = _products(data.get("product_tree"))
    affected_ids: list[str] = []
    best: Decimal | None = None
    vulnerabilities = _list(data.get("vulnerabilities"))
    for vulnerability in vulnerabilities:
        if not isinstance(vulnerability, dict):
            continue
        if _text(vulnerability.get("cve")):
            identifiers.append(_text(vulnerability.get("cve")))
        for extra in vulnerability.get("ids") or []:
            if isinstance(extra, dict) and _text(extra.get("text")):
                identifiers.append(_text(extra.get("text")))
        for score in vulnerability.get("scores") or []:
            cvss = score.get("cvss_v3") if isinstance(score, dict) else None
            if isinstance(cvss, dict):
                try:
                    value = Decimal(str(cvss.get("baseScore")))
                except InvalidOperation:
                    continue
                if Decimal(0) <= value <= Decimal(10) and (best is None or value > best):
                    best = value
        status = _dict(vulnerability.get("product_status"))
        for key in ("known_affected", "first_affected", "last_affected"):
            affected_ids += [p for p in status.get(key) or [] if isinstance(p, str)]
    affected = [products[pid] for pid in dict.fromkeys(affected_ids) if pid in products]
    if not affected:
        raise CSAFError(
            _("no affected product (product_status.known_affected) could be found in the product tree.")
        )
    return AdvisoryInput(
        source=_text(publisher.get("name"))[:100] or "CSAF",
        title=title[:300],
        summary=summary,
        cvss_score=best,
        identifiers=list(dict.fromkeys(identifiers)),
        url=url[:500],
        published_on=published,
        products=list(dict.fromkeys(affected)),
    )


def _products(tree: Any) -> dict[str, ProductInput]:
    """product_id → (vendor, product, versions), walking the branches down to each product."""
    found: dict[str, ProductInput] = {}

    def walk(branches: Any, vendor: str, product: str) -> None:
        for branch in branches if isinstance(branches, list) else []:
            if not isinstance(branch, dict):
                continue
            category, name = branch.get("category"), _text(branch.get("name"))
            here_vendor = name if category == "vendor" else vendor
            here_product = name if category == "product_name" else product
            versions = name if category in ("product_version", "product_version_range") else ""
            leaf = branch.get("product")
            if isinstance(leaf, dict) and _text(leaf.get("product_id")):
                product_name = here_product or _text(leaf.get("name"))
                found[_text(leaf.get("product_id"))] = ProductInput(
                    product=product_name[:200], versions=versions[:500], vendor=here_vendor[:200]
                )
            walk(branch.get("branches"), here_vendor, here_product)

    if isinstance(tree, dict):
        walk(tree.get("branches"), "", "")
        for full in tree.get("full_product_names") or []:
            if (
                isinstance(full, dict)
                and _text(full.get("product_id"))
                and _text(full.get("product_id")) not in found
            ):
                found[_text(full.get("product_id"))] = ProductInput(product=_text(full.get("name"))[:200])
    return found
