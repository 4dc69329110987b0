"""The registers' objects for the authorization matrix (test_authorization_matrix.py): one of each in
komae, and the URLs that show them."""

from datetime import timedelta
from typing import Any

from mamori.advisories.inputs import AdvisoryInput, ProductInput
from mamori.advisories.services import record_advisory, start_checks
from mamori.assets.incident_links import set_affected_systems, start_cross_checks
from mamori.assets.information_assets import AssetInput, create_asset
from mamori.assets.services import SoftwareInput, SystemInput, create_system, set_software
from mamori.audits.models import Audit, AuditPlan, Finding
from mamori.continuity.models import Emergency, RecoveryItem, RollCallEntry, VendorRequest
from mamori.exception_measures.models import ExceptionMeasure
from mamori.incidents.models import Incident
from mamori.outsourcing.models import CloudApplication
from mamori.paging.tokens import new_salt, rollcall_token, token_hash
from mamori.training import services as training


def register_urls(register: dict[str, Any], pk: int) -> dict[str, str]:
    e = register["emergency"].pk
    return {
        "continuity:list": "/emergencies/",
        "continuity:declare": "/emergencies/declare/",
        "continuity:drill": f"/emergencies/drill/{register['session'].pk}/",
        "continuity:detail": f"/emergencies/{e}/",
        "continuity:live": f"/emergencies/{e}/live/",
        "continuity:end": f"/emergencies/{e}/end/",
        "continuity:report": f"/emergencies/{e}/report.docx",
        "continuity:answer_for": f"/emergencies/{e}/rollcall/{register['entry'].pk}/",
        "continuity:item": f"/emergencies/{e}/recovery/{register['item'].pk}/",
        "continuity:vendor_request": f"/emergencies/{e}/recovery/{register['item'].pk}/vendor/",
        "continuity:vendor_answer": f"/emergencies/{e}/vendor-requests/{register['vendor_request'].pk}/answer/",
        "rollcall:answer": f"/rollcall/{register['rollcall_token']}/",
        "home:registers": "/registers/",
        "assets:list": "/systems/",
        "assets:export": "/systems/export/",
        "assets:create": "/systems/new/",
        "assets:import": "/systems/import/",
        "assets:detail": f"/systems/{register['system'].pk}/",
        "assets:edit": f"/systems/{register['system'].pk}/edit/",
        "assets:software": f"/systems/{register['system'].pk}/software/",
        "assets:assets": "/systems/assets/",
        "assets:asset_export": "/systems/assets/export/",
        "assets:asset_create": "/systems/assets/new/",
        "assets:asset_import": "/systems/assets/import/",
        "assets:asset": f"/systems/assets/{register['asset'].pk}/",
        "assets:asset_edit": f"/systems/assets/{register['asset'].pk}/edit/",
        "assets:incident": f"/systems/incident/{pk}/",
        "assets:incident_set": f"/systems/incident/{pk}/affected/",
        "assets:incident_checks": f"/systems/incident/{pk}/checks/",
        "assets:answer": f"/systems/incident/{pk}/checks/{register['cross_check'].pk}/answer/",
        "exception_measures:list": "/exceptions/",
        "exception_measures:new": "/exceptions/new/",
        "exception_measures:detail": f"/exceptions/{register['measure'].pk}/",
        "exception_measures:decide": f"/exceptions/{register['measure'].pk}/decide/",
        "exception_measures:withdraw": f"/exceptions/{register['measure'].pk}/withdraw/",
        "exception_measures:end": f"/exceptions/{register['measure'].pk}/end/",
        "advisories:list": "/advisories/",
        "advisories:new": "/advisories/new/",
        "advisories:import": "/advisories/import/",
        "advisories:detail": f"/advisories/{register['advisory'].pk}/",
        "advisories:start_checks": f"/advisories/{register['advisory'].pk}/checks/",
        "advisories:answer": f"/advisories/{register['advisory'].pk}/checks/{register['advisory_check'].pk}/answer/",
        "advisories:close": f"/advisories/{register['advisory'].pk}/close/",
        "training:year": "/training/",
        "training:plan": "/training/plan/",
        "training:session_new": "/training/sessions/new/",
        "training:session": f"/training/sessions/{register['session'].pk}/",
        "training:attendance": f"/training/sessions/{register['session'].pk}/attendance/",
        "training:drill": f"/training/sessions/{register['session'].pk}/drill/",
        "audits:year": "/audits/",
        "audits:audit": f"/audits/{register['audit'].pk}/",
        "audits:finding": f"/audits/findings/{register['finding'].pk}/",
        "audits:inspection_new": "/audits/self-inspections/new/",
        "outsourcing:register": "/outsourcing/",
        "outsourcing:contract_new": "/outsourcing/contracts/new/",
        "outsourcing:contract": "/outsourcing/contracts/999999/",
        "outsourcing:cloud_new": "/outsourcing/cloud/new/",
        "outsourcing:cloud": f"/outsourcing/cloud/{register['cloud'].pk}/",
        "reviews:index": "/reviews/",
    }


def registers(komae: Any, incident: Incident) -> dict[str, Any]:
    """One object of each register in komae, for the URLs that show one."""
    keeper, admin = komae.csirt_manager, komae.system_admin
    classes: dict[str, str] = {}
    affected = create_system(
        komae.organization, actor=keeper, data=SystemInput(code="S-1", name="基幹系", classification=classes)
    )
    system = create_system(
        komae.organization, actor=keeper, data=SystemInput(code="S-2", name="内部情報系", administrator=admin)
    )
    for item in (affected, system):
        set_software(item, actor=keeper, items=[SoftwareInput("PostgreSQL", "13.4")])
    asset = create_asset(
        komae.organization, actor=keeper, data=AssetInput(code="A-1", name="名簿", manager=admin)
    )
    set_affected_systems(incident, actor=komae.handler, systems=[affected])
    (cross_check,) = start_cross_checks(
        incident, actor=komae.handler, kinds=["software"], due_at=None, expected_version=None
    )
    advisory = record_advisory(
        komae.organization,
        actor=keeper,
        data=AdvisoryInput(source="JVN", title="PostgreSQL", products=[ProductInput("PostgreSQL", "< 13.5")]),
    )
    advisory_check = next(c for c in start_checks(advisory, actor=keeper) if c.system_id == system.pk)
    session = training.record_session(
        komae.organization,
        actor=keeper,
        data=training.SessionInput(kind="tabletop", title="机上訓練", held_on=incident.opened_at.date()),
    )
    # komae keeps no exception measures, audits or outsourcing: rows from before (made directly) test
    # that their pages refuse or say so, and never fail.
    now = incident.opened_at
    measure = ExceptionMeasure.objects.create(
        organization=komae.organization, number=1, applicant=admin, rule="x", measure="x", reason="x",
        compensating="x", starts_on=now.date(), ends_on=now.date(), state="applied", created_at=now,
    )  # fmt: skip
    plan = AuditPlan.objects.create(
        organization=komae.organization, fiscal_year=2026, title="x", scope="x", drafted_by=keeper
    )
    department = komae.organization.department_set.create(name="総務課")
    audit = Audit.objects.create(plan=plan, department=department, auditor=keeper, scheduled_on=now.date())
    finding = Finding.objects.create(
        organization=komae.organization,
        audit=audit,
        department=department,
        text="x",
        recorded_by=keeper,
        recorded_at=now,
    )
    cloud = CloudApplication.objects.create(
        organization=komae.organization, service="x", provider="x", purpose="x", information="x",
        data_location="日本", applicant=admin, applied_at=now,
    )  # fmt: skip
    # komae has no business-continuity plan: an emergency from before (made directly) tests that its pages
    # refuse everyone and never fail; its roll-call link still answers (the token is the authority).
    emergency = Emergency.objects.create(
        organization=komae.organization, policy=incident.policy, reference="E2026-001", kind="earthquake",
        kind_label="地震", intensity="6-", occurred_at=now, declared_at=now, declared_by=keeper,
    )  # fmt: skip
    salt = new_salt()
    entry = RollCallEntry.objects.create(
        emergency=emergency, person=admin, token_salt=salt, token_hash=token_hash(rollcall_token(salt)),
        token_expires_at=now + timedelta(days=30), asked_at=now,
    )  # fmt: skip
    item = RecoveryItem.objects.create(
        emergency=emergency, system=system, priority=1, priority_label="第1順位"
    )
    vendor_request = VendorRequest.objects.create(
        item=item, vendor="x", request="x", requested_at=now, requested_by=keeper
    )
    return {
        "system": system, "asset": asset, "cross_check": cross_check, "advisory": advisory,
        "advisory_check": advisory_check, "session": session, "measure": measure, "audit": audit,
        "finding": finding, "cloud": cloud, "emergency": emergency, "entry": entry, "item": item,
        "vendor_request": vendor_request, "rollcall_token": rollcall_token(salt),
    }  # fmt: skip
