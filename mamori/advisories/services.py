"""Recording advisories, matching them against the systems' software, and the checks that follow
(tatebayashi 6.6(1): collect information on security holes, share it with those concerned, and update
software as urgently as the hole requires; 6.4(1)③: warn of malware). Each function checks, changes
and journals in one transaction (STYLE.md).

Who records, imports, asks and closes: the roles with ``edit_systems`` (the 統括情報セキュリティ責任者 in
tatebayashi, 6.6(1)); each check is answered by the matched system's administrator (6.6(1): 情報システム管理者).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.assets import access as assets_access
from mamori.assets.models import InformationSystem, SoftwareItem
from mamori.incidents.access import roles_of
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.policy.services import active_policy

from .inputs import AdvisoryInput
from .models import Advisory, AdvisoryCheck, AdvisoryState, AffectedProduct, CheckState, Severity
from .versions import Match, matches


def _require_keeper(actor: Any, organization_id: int) -> None:
    if actor.organization_id != organization_id or not assets_access.may_add_systems(actor):
        raise NotAllowed()


def check_input(data: AdvisoryInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Give the advisory's title.")
    if not data.source.strip():
        errors["source"] = _("Give where the advisory comes from.")
    if not data.products:
        errors["products"] = _("Name at least one affected product.")
    for product in data.products:
        if not product.product.strip():
            errors["products"] = _("Every line needs the product's name.")
    if data.cvss_score is not None and not (0 <= data.cvss_score <= 10):
        errors["cvss_score"] = _("A CVSS score is between 0.0 and 10.0.")
    if data.severity and data.severity not in Severity.values:
        errors["severity"] = _("Choose a severity.")
    return errors


def record_advisory(organization: Any, *, actor: Any, data: AdvisoryInput) -> Advisory:
    _require_keeper(actor, organization.pk)
    errors = check_input(data)
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        known = _already_recorded(organization, data.identifiers)
        if known is not None:
            raise Invalid(
                fields={
                    "identifiers": _("This advisory is already recorded: %(title)s") % {"title": known.title}
                }
            )
        advisory = Advisory.objects.create(
            organization=organization,
            source=data.source.strip()[:100],
            title=data.title.strip()[:300],
            summary=data.summary.strip(),
            severity=data.severity
            or Severity.of_score(float(data.cvss_score) if data.cvss_score is not None else None),
            cvss_score=data.cvss_score,
            identifiers=data.identifiers,
            url=data.url,
            published_on=data.published_on,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        for product in data.products:
            AffectedProduct.objects.create(
                advisory=advisory,
                product=product.product.strip(),
                vendor=product.vendor.strip(),
                versions=product.versions.strip(),
            )
        record(
            actor=actor,
            action="advisory.recorded",
            obj=advisory,
            data={
                "source": advisory.source,
                "identifiers": advisory.identifiers,
                "severity": advisory.severity,
                "products": [str(p) for p in data.products],
            },
        )
    return advisory


def _already_recorded(organization: Any, identifiers: list[str]) -> Advisory | None:
    wanted = {i.upper() for i in identifiers if i}
    if not wanted:
        return None
    for advisory in Advisory.objects.filter(organization=organization).only("title", "identifiers"):
        if wanted & {i.upper() for i in advisory.identifiers}:
            return advisory
    return None


@dataclass
class Found:
    system: InformationSystem
    software: SoftwareItem
    product: AffectedProduct
    match: Match


def find_matches(advisory: Advisory) -> list[Found]:
    """The systems in use whose software is a product the advisory names, in an affected version
    (or a version that cannot be compared: to be checked by hand)."""
    products = list(advisory.products.all())
    keys = {p.product_key for p in products}
    items = (
        SoftwareItem.objects.filter(
            product_key__in=keys, system__organization_id=advisory.organization_id, system__in_use=True
        )
        .select_related("system", "system__administrator", "system__operator")
        .order_by("system__code", "pk")
    )
    found = []
    for item in items:
        for product in products:
            if product.product_key != item.product_key:
                continue
            result = matches(item.version, product.versions)
            if result is not Match.NO:
                found.append(Found(item.system, item, product, result))
                break
    return found


def start_checks(advisory: Advisory, *, actor: Any, due_on: date | None = None) -> list[AdvisoryCheck]:
    """Ask the administrator of every matched system to check (6.6(1)); systems asked before are not asked again."""
    _require_keeper(actor, advisory.organization_id)
    keeper_roles = active_policy(advisory.organization).roles_for("edit_systems")
    with transaction.atomic():
        advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
        if advisory.state != AdvisoryState.OPEN:
            raise WrongState(_("This advisory is closed."))
        asked = set(AdvisoryCheck.objects.filter(advisory=advisory).values_list("system_id", "software"))
        created = []
        for found in find_matches(advisory):
            software = str(found.software)[:300]
            if (found.system.pk, software) in asked:
                continue
            assignee = found.system.administrator or found.system.operator
            created.append(
                AdvisoryCheck.objects.create(
                    advisory=advisory,
                    system=found.system,
                    software=software,
                    affected_versions=found.product.versions,
                    version_unknown=found.match is Match.UNKNOWN,
                    assignee=assignee,
                    assignee_role="" if assignee else (keeper_roles[0] if keeper_roles else ""),
                    due_on=due_on,
                )
            )
        if created:
            advisory.version += 1
            advisory.save(update_fields=["version"])
            record(
                actor=actor,
                action="advisory.checks_started",
                obj=advisory,
                data={"systems": [f"{c.system} / {c.software}" for c in created], "due_on": due_on},
            )
    return created


def may_answer(user: Any, check: AdvisoryCheck) -> bool:
    if user.organization_id != check.advisory.organization_id:
        return False
    role = bool(check.assignee_role) and check.assignee_role in roles_of(user)
    return check.assignee_id == user.pk or role or assets_access.may_add_systems(user)


def answer_check(check: AdvisoryCheck, *, actor: Any, state: str, note: str) -> AdvisoryCheck:
    if not may_answer(actor, check):
        raise NotAllowed()
    if state not in CheckState.answers():
        raise Invalid(fields={"state": _("Choose what was done.")})
    if not note.strip():
        raise Invalid(fields={"note": _("Say what you checked and did (e.g. the version installed now).")})
    with transaction.atomic():
        check = (
            AdvisoryCheck.objects.select_for_update().select_related("advisory", "system").get(pk=check.pk)
        )
        if check.advisory.state != AdvisoryState.OPEN:
            raise WrongState(_("This advisory is closed."))
        check.state, check.note = state, note.strip()
        check.answered_by, check.answered_at = actor, timezone.now()
        check.save()
        record(
            actor=actor,
            action="advisory.check_answered",
            obj=check.advisory,
            data={
                "system": str(check.system),
                "software": check.software,
                "state": state,
                "note": check.note,
            },
        )
    return check


def close_advisory(advisory: Advisory, *, actor: Any, note: str) -> Advisory:
    """Closed when every matched system has answered."""
    _require_keeper(actor, advisory.organization_id)
    with transaction.atomic():
        advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
        if advisory.state != AdvisoryState.OPEN:
            raise WrongState(_("This advisory is closed."))
        waiting = AdvisoryCheck.objects.filter(advisory=advisory, state=CheckState.OPEN).count()
        if waiting:
            raise WrongState(
                _("%(n)s systems have not answered yet; the advisory can be closed when all have.")
                % {"n": waiting}
            )
        advisory.state, advisory.closed_at, advisory.closing_note = (
            AdvisoryState.CLOSED,
            timezone.now(),
            note.strip(),
        )
        advisory.version += 1
        advisory.save()
        record(actor=actor, action="advisory.closed", obj=advisory, data={"note": advisory.closing_note})
    return advisory
