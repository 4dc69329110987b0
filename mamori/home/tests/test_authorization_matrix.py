"""Every URL pattern and every API operation × every komae role, a staff member without a role, an
anonymous visitor and a person of another organisation: allowed or refused, as the rules below say.

The URL patterns and API operations come from the URL configuration and the OpenAPI schema: a new view
or operation without a rule here fails ``test_every_url_and_operation_has_a_rule``.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver

from mamori.api.auth import create_token
from mamori.assets import access as assets_access
from mamori.conftest import sign_in
from mamori.incidents import access, need_to_know, outside, response, services
from mamori.incidents.models import Incident
from mamori.incidents.tests.scenario import report, triage
from mamori.intake.choices import Channel
from mamori.intake.services import ReportInput, Upload, submit_report
from mamori.paging.models import Page
from mamori.paging.tokens import page_token
from mamori.training import services as training

from .matrix_registers import register_urls, registers

PRINCIPALS = [
    "anonymous",
    "csirt_head",
    "csirt_manager",
    "handler",
    "poc",
    "system_admin",
    "ciso",
    "staff",
    "outsider",
]


@dataclass
class World:
    people: dict[str, Any]
    urls: dict[str, str]  # url name -> concrete path
    incident_pk: int  # the level-3 incident most URLs point at
    logged_pk: int  # the incident of a call logged by the PoC (with an attachment)


def sees_incident(person: Any, world: World, pk: int | None = None) -> bool:
    return person is not None and access.incidents_for(person).filter(pk=pk or world.incident_pk).exists()


def sees_in_full(person: Any, world: World) -> bool:
    return person is not None and access.sees_in_full(person, Incident.objects.get(pk=world.incident_pk))


def perm(name: str) -> Callable[[Any, World], bool]:
    return lambda p, w: p is not None and sees_incident(p, w) and access.can(p, name)


def is_(person: Any, world: World, key: str) -> bool:
    return person is not None and person == world.people.get(key)


def ours(person: Any, world: World) -> bool:
    """Of komae, whose register's objects the URLs point at (the outsider is of mutsu)."""
    return person is not None and person.organization_id == world.people["csirt_head"].organization_id


def keeps_register(person: Any) -> bool:
    return person is not None and assets_access.may_add_systems(person)


def reads_register(person: Any) -> bool:
    return person is not None and assets_access.sees_whole_register(person)


def reads_training(person: Any) -> bool:
    return person is not None and (
        training.may_plan(person) or training.may_record(person) or access.can(person, "view_all")
    )


def plans_training(person: Any) -> bool:
    return person is not None and training.may_plan(person)


def records_training(person: Any) -> bool:
    return person is not None and training.may_record(person)


def anyone(p: Any, w: World) -> bool:
    return True


def logged_in(p: Any, w: World) -> bool:
    return p is not None


def nobody(p: Any, w: World) -> bool:
    return False


# url name -> (method, who may). "Allowed" means the request is not refused (no login redirect, 403 or
# 404); a refused one must get one of those.
URL_RULES: dict[str, tuple[str, Callable[[Any, World], bool]]] = {
    "healthz": ("GET", anyone),
    "login": ("GET", anyone),
    "public:report": ("GET", anyone),
    "public:thanks": ("GET", anyone),
    "public:status": ("GET", anyone),  # with the secret link only
    "paging:ack": ("GET", anyone),  # with the one-time link only
    "home:dashboard": ("GET", logged_in),
    # One's own login steps and security page (each acts on the person logged in, nobody else).
    "accounts:verify": ("GET", logged_in),
    "accounts:enrol": ("GET", logged_in),
    "accounts:password_change": ("GET", logged_in),
    "accounts:confirm": ("GET", logged_in),
    "accounts:security": ("GET", logged_in),
    "accounts:renew_recovery_codes": ("POST", logged_in),
    "home:preferences": ("GET", logged_in),
    "paging:inbox": ("GET", logged_in),
    "paging:absences": ("GET", logged_in),
    "intake:staff_report": ("GET", logged_in),
    "policy:detail": ("GET", logged_in),
    "incidents:list": ("GET", logged_in),  # shows only what access.incidents_for allows (other tests)
    "incidents:queue": (
        "GET",
        lambda p, w: p is not None and (access.can(p, "triage") or access.can(p, "log_report")),
    ),
    "intake:log_report": ("GET", lambda p, w: p is not None and access.can(p, "log_report")),
    "people:list": ("GET", lambda p, w: p is not None and access.can(p, "view_all")),
    "people:import": (
        "GET",
        lambda p, w: p is not None and (p.is_superuser or (p.is_staff and access.can(p, "view_all"))),
    ),
    "paging:ack_in_app": ("POST", lambda p, w: p is not None and p.username == "komae-csirt_head"),
    "incidents:detail": ("GET", lambda p, w: p is not None and sees_incident(p, w)),
    "incidents:evidence_file": (
        "GET",
        lambda p, w: sees_incident(p, w) and (access.can(p, "respond") or access.can(p, "view_all")),
    ),
    "incidents:attachment_file": (
        "GET",
        lambda p, w: (
            sees_incident(p, w, w.logged_pk) and (access.can(p, "respond") or access.can(p, "view_all"))
        ),
    ),
    "incidents:triage": ("POST", perm("triage")),
    "incidents:level": ("POST", perm("triage")),
    "incidents:flags": ("POST", perm("triage")),
    "incidents:merge": ("POST", perm("triage")),
    "incidents:assign": ("POST", perm("assign")),
    "incidents:add_member": ("POST", perm("assign")),
    "incidents:remove_member": ("POST", perm("assign")),
    "incidents:add_action": (
        "POST",
        lambda p, w: p is not None and sees_incident(p, w),
    ),  # the service decides
    "incidents:add_evidence": ("POST", perm("respond")),
    "incidents:add_custody": ("POST", perm("respond")),
    "incidents:add_task": ("POST", perm("respond")),
    "incidents:complete_task": (
        "POST",
        lambda p, w: p is not None and sees_incident(p, w),
    ),  # assignee or respond
    "incidents:complete_obligation": ("POST", perm("respond")),
    "incidents:publication": ("POST", perm("respond")),
    "incidents:decide_approval": ("POST", perm("approve_publication")),
    "incidents:transition": ("POST", perm("respond")),  # start_recovery needs respond
    "incidents:report_facts": ("POST", perm("respond")),
    "incidents:report_draft": ("POST", perm("respond")),
    "incidents:report_sent": ("POST", perm("respond")),
    "incidents:report_waive": ("POST", perm("approve_publication")),
    # Documents: for those who see the incident in full; templates for the organisation's administrators.
    "documents:incident_document": ("GET", lambda p, w: sees_in_full(p, w)),
    "documents:final_report_pdf": ("GET", lambda p, w: sees_in_full(p, w)),
    "documents:outside_texts": ("GET", lambda p, w: sees_in_full(p, w)),
    "documents:templates": ("GET", lambda p, w: p is not None and p.is_staff),
    "documents:template_file": ("GET", lambda p, w: p is not None and p.is_staff),
    "documents:template_upload": ("POST", lambda p, w: p is not None and p.is_staff),
    "documents:template_revert": ("POST", lambda p, w: p is not None and p.is_staff),
    # The register: anyone exports what they can see (journaled); only import_register imports.
    "incidents:register_export": ("GET", logged_in),
    "incidents:register_import": ("POST", lambda p, w: p is not None and access.can(p, "import_register")),
    "incidents:register_import_columns": (
        "GET",
        lambda p, w: p is not None and access.can(p, "import_register"),
    ),
    "incidents:register_import_check": (
        "POST",
        lambda p, w: p is not None and access.can(p, "import_register"),
    ),
    "incidents:register_import_cancel": (
        "POST",
        lambda p, w: p is not None and access.can(p, "import_register"),
    ),
    # Statistics count restricted incidents too: for holders of view_all only.
    "statistics:index": ("GET", lambda p, w: p is not None and access.can(p, "view_all")),
    "statistics:export": ("GET", lambda p, w: p is not None and access.can(p, "view_all")),
    "statistics:committee": ("GET", lambda p, w: p is not None and access.can(p, "view_all")),
    # The registers (issue 7). komae's policy keeps the systems register and training; its other
    # registers' pages say the policy has none (and nobody may apply, plan or record in them).
    "home:registers": ("GET", logged_in),
    "assets:list": ("GET", logged_in),  # shows only the systems the person may see
    "assets:export": ("GET", logged_in),
    "assets:create": ("GET", lambda p, w: keeps_register(p)),
    "assets:import": ("GET", lambda p, w: keeps_register(p)),
    "assets:detail": ("GET", lambda p, w: (reads_register(p) and ours(p, w)) or is_(p, w, "system_admin")),
    "assets:edit": ("GET", lambda p, w: keeps_register(p) or is_(p, w, "system_admin")),
    "assets:software": ("GET", lambda p, w: keeps_register(p) or is_(p, w, "system_admin")),
    "assets:assets": ("GET", logged_in),
    "assets:asset_export": ("GET", logged_in),
    "assets:asset_create": ("GET", lambda p, w: keeps_register(p)),
    "assets:asset_import": ("GET", lambda p, w: keeps_register(p)),
    "assets:asset": ("GET", lambda p, w: (reads_register(p) and ours(p, w)) or is_(p, w, "system_admin")),
    "assets:asset_edit": ("GET", lambda p, w: keeps_register(p) or is_(p, w, "system_admin")),
    "assets:incident": ("GET", lambda p, w: sees_incident(p, w)),
    "assets:incident_set": (
        "POST",
        lambda p, w: sees_incident(p, w) and (access.can(p, "triage") or access.can(p, "respond")),
    ),
    "assets:incident_checks": ("POST", perm("respond")),
    # The cross-system check asks the system's administrator; those in the response may answer too.
    "assets:answer": (
        "POST",
        lambda p, w: sees_incident(p, w) and (is_(p, w, "system_admin") or access.can(p, "respond")),
    ),
    "exception_measures:list": ("GET", logged_in),
    # komae's policy has no business-continuity plan: the list says so; nothing else opens for anyone.
    "continuity:list": ("GET", logged_in),
    "continuity:declare": ("GET", nobody),
    "continuity:drill": ("GET", nobody),
    "continuity:detail": ("GET", nobody),
    "continuity:live": ("GET", nobody),
    "continuity:end": ("POST", nobody),
    "continuity:report": ("GET", nobody),
    "continuity:answer_for": ("GET", nobody),
    "continuity:item": ("GET", nobody),
    "continuity:vendor_request": ("POST", nobody),
    "continuity:vendor_answer": ("POST", nobody),
    "rollcall:answer": ("GET", anyone),  # with the person's own link only
    "exception_measures:new": ("GET", nobody),
    "exception_measures:detail": ("GET", lambda p, w: is_(p, w, "system_admin")),  # the applicant's own
    "exception_measures:decide": ("POST", nobody),  # nobody holds an approving role in komae
    "exception_measures:withdraw": ("POST", lambda p, w: is_(p, w, "system_admin")),
    "exception_measures:end": ("POST", lambda p, w: is_(p, w, "system_admin")),
    "advisories:list": ("GET", logged_in),
    "advisories:new": ("GET", lambda p, w: keeps_register(p)),
    "advisories:import": ("GET", lambda p, w: keeps_register(p)),
    "advisories:detail": (
        "GET",
        lambda p, w: (reads_register(p) and ours(p, w)) or is_(p, w, "system_admin"),
    ),
    "advisories:start_checks": ("POST", lambda p, w: keeps_register(p)),
    "advisories:answer": ("POST", lambda p, w: keeps_register(p) or is_(p, w, "system_admin")),
    "advisories:close": ("POST", lambda p, w: keeps_register(p)),
    "training:year": ("GET", lambda p, w: reads_training(p)),
    "training:plan": ("GET", lambda p, w: plans_training(p)),
    "training:session_new": ("GET", lambda p, w: records_training(p)),
    "training:session": ("GET", lambda p, w: reads_training(p) and not is_(p, w, "outsider")),
    "training:attendance": ("POST", lambda p, w: records_training(p)),
    "training:drill": ("POST", lambda p, w: records_training(p)),
    "audits:year": ("GET", lambda p, w: p is not None and access.can(p, "view_all")),
    "audits:audit": ("GET", nobody),  # komae keeps no audits: an audit recorded earlier is not shown
    "audits:finding": (
        "GET",
        lambda p, w: p is not None and access.can(p, "view_all") and not is_(p, w, "outsider"),
    ),
    "audits:inspection_new": ("GET", nobody),
    "outsourcing:register": ("GET", logged_in),  # says the policy has no such register
    "outsourcing:contract_new": ("GET", nobody),
    "outsourcing:contract": ("GET", nobody),
    "outsourcing:cloud_new": ("GET", nobody),
    "outsourcing:cloud": (
        "GET",
        lambda p, w: p is not None and access.can(p, "view_all") and not is_(p, w, "outsider"),
    ),
    "reviews:index": ("GET", logged_in),  # says the policy lists no documents
    "logout": ("POST", anyone),  # last: it ends the session the requests above use
}
# Not in URL_RULES: Django's own admin (staff only, journaled through people/admin.py), and the API,
# whose operations are checked one by one from the OpenAPI schema below.
EXCLUDED = ("admin:", "api:")

# (method, OpenAPI path) -> who may. The API answers 401 without a token.
API_RULES: dict[tuple[str, str], Callable[[Any, World], bool]] = {
    ("post", "/api/v1/reports"): logged_in,
    ("get", "/api/v1/incidents"): logged_in,
    # In full only: someone reached through a task gets the task page, not the incident (need-to-know).
    ("get", "/api/v1/incidents/{incident_id}"): lambda p, w: (
        p is not None
        and sees_incident(p, w)
        and access.sees_in_full(p, Incident.objects.get(pk=w.incident_pk))
    ),
    ("post", "/api/v1/incidents/{incident_id}/triage"): perm("triage"),
    ("post", "/api/v1/incidents/{incident_id}/transitions"): perm("respond"),
    ("post", "/api/v1/incidents/{incident_id}/actions"): perm("respond"),
    ("post", "/api/v1/incidents/{incident_id}/evidence"): perm("respond"),
}


def url_names() -> set[str]:
    def walk(patterns, ns=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or ns)
            elif p.name:
                yield f"{ns}:{p.name}" if ns else p.name

    return {n for n in walk(get_resolver().url_patterns) if not n.startswith(EXCLUDED)}


def test_every_url_and_operation_has_a_rule(db):
    assert url_names() == set(URL_RULES), "give every new URL a rule in URL_RULES"
    schema = Client().get("/api/openapi.json").json()  # public: it describes, it reveals no data
    operations = {(m, path) for path, item in schema["paths"].items() for m in item}
    assert operations == set(API_RULES), "give every new API operation a rule in API_RULES"


@pytest.fixture
def world(komae, outsider, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    settings.MAMORI_ORGANIZATION = "komae"  # two organisations exist: the public form serves komae
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    people = {
        "anonymous": None,
        "outsider": outsider,
        **{k: komae.people[k] for k in PRINCIPALS if k in komae.people},
    }
    incident = triage(komae, report(komae), level=3, personal_data=True)
    incident = outside.set_report_facts(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        aware_at=None,
        facts={"sensitive": True},
    )
    evidence = response.add_evidence(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        description="ログ",
        upload=io.BytesIO(b"log"),
        filename="proxy.log",
    )
    incident.refresh_from_db()
    task = response.create_task(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        title="確認",
        assignee=komae.system_admin,
    )
    incident.refresh_from_db()
    approval = services.request_publication(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        decision="publish",
        reason="公表する",
    )
    mail = submit_report(
        komae.organization,
        ReportInput(
            description="添付の画面",
            location="窓口",
            reporter_name="市民",
            reporter_contact="x@example.jp",
            discovered_at=incident.opened_at,
        ),
        channel=Channel.PHONE,
        actor=komae.poc,
        on_behalf=True,
        uploads=[Upload(io.BytesIO(b"%PDF-1.4 test"), "screen.pdf")],
    )
    attachment = mail.report.attachments.get()
    public = submit_report(
        komae.organization,
        ReportInput(
            description="不審なページ",
            location="市HP",
            reporter_name="市民",
            reporter_contact="x@example.jp",
            discovered_at=incident.opened_at,
        ),
        channel=Channel.PUBLIC_FORM,
    )
    member = need_to_know.add_member(
        incident, actor=komae.csirt_manager, expected_version=None, person=komae.ciso, reason="公表の判断"
    )
    register = registers(komae, incident)
    page = Page.objects.filter(recipient=komae.csirt_head, state="open").first()
    obligation = incident.obligations.filter(done_at__isnull=True).first()
    ext = incident.external_reports.first()
    pk = incident.pk
    urls = {
        "healthz": "/healthz",
        "login": "/accounts/login/",
        "logout": "/accounts/logout/",
        "public:report": "/report/",
        "public:thanks": "/report/thanks/",
        "public:status": f"/report/status/{public.status_token}/",
        "paging:ack": f"/paging/ack/{page_token(page.token_salt)}/",
        "api:openapi-json": "/api/openapi.json",
        "home:dashboard": "/",
        "accounts:verify": "/accounts/two-factor/",
        "accounts:enrol": "/accounts/two-factor/setup/",
        "accounts:renew_recovery_codes": "/accounts/two-factor/recovery-codes/",
        "accounts:password_change": "/accounts/password/",
        "accounts:confirm": "/accounts/confirm/",
        "accounts:security": "/accounts/security/",
        "home:preferences": "/preferences/",
        "paging:inbox": "/paging/inbox/",
        "paging:absences": "/paging/absences/",
        "intake:staff_report": "/intake/new/",
        "policy:detail": "/policy/",
        "incidents:list": "/incidents/",
        "incidents:queue": "/incidents/queue/",
        "intake:log_report": "/intake/log/",
        "people:list": "/people/",
        "people:import": "/people/import/",
        "paging:ack_in_app": f"/paging/pages/{page.pk}/ack/",
        "incidents:detail": f"/incidents/{pk}/",
        "incidents:evidence_file": f"/incidents/{pk}/evidence/{evidence.pk}/file/",
        "incidents:attachment_file": f"/incidents/{mail.incident.pk}/attachments/{attachment.pk}/file/",
        "incidents:triage": f"/incidents/{pk}/triage/",
        "incidents:level": f"/incidents/{pk}/level/",
        "incidents:flags": f"/incidents/{pk}/flags/",
        "incidents:merge": f"/incidents/{pk}/merge/",
        "incidents:assign": f"/incidents/{pk}/assign/",
        "incidents:add_member": f"/incidents/{pk}/need-to-know/",
        "incidents:remove_member": f"/incidents/{pk}/need-to-know/{member.pk}/remove/",
        "incidents:add_action": f"/incidents/{pk}/actions/",
        "incidents:add_evidence": f"/incidents/{pk}/evidence/",
        "incidents:add_custody": f"/incidents/{pk}/evidence/{evidence.pk}/custody/",
        "incidents:add_task": f"/incidents/{pk}/tasks/",
        "incidents:complete_task": f"/incidents/{pk}/tasks/{task.pk}/done/",
        "incidents:complete_obligation": f"/incidents/{pk}/checklist/{obligation.pk}/",
        "incidents:publication": f"/incidents/{pk}/publication/",
        "incidents:decide_approval": f"/incidents/{pk}/approvals/{approval.pk}/",
        "incidents:transition": f"/incidents/{pk}/transitions/start_recovery/",
        "incidents:report_facts": f"/incidents/{pk}/outside/facts/",
        "incidents:report_draft": f"/incidents/{pk}/outside/{ext.pk}/draft/",
        "incidents:report_sent": f"/incidents/{pk}/outside/{ext.pk}/sent/",
        "incidents:report_waive": f"/incidents/{pk}/outside/{ext.pk}/waive/",
        "documents:incident_document": f"/documents/incidents/{pk}/final_report.docx",
        "documents:final_report_pdf": f"/documents/incidents/{pk}/final-report.pdf",
        "documents:outside_texts": f"/documents/incidents/{pk}/outside-texts/",
        "incidents:register_export": "/incidents/register.xlsx",
        "incidents:register_import": "/incidents/register/import/",
        "incidents:register_import_columns": "/incidents/register/import/columns/",
        "incidents:register_import_check": "/incidents/register/import/check/",
        "incidents:register_import_cancel": "/incidents/register/import/cancel/",
        "statistics:index": "/statistics/",
        "statistics:export": "/statistics/2026.xlsx",
        "statistics:committee": "/statistics/2026/committee.docx",
        "documents:templates": "/documents/templates/",
        "documents:template_file": "/documents/templates/final_report/default.docx",
        "documents:template_upload": "/documents/templates/final_report/upload/",
        "documents:template_revert": "/documents/templates/final_report/revert/",
    }
    urls.update(register_urls(register, pk))
    return World(people, urls, incident.pk, mail.incident.pk)


def refused(status: int, location: str, person: Any) -> bool:
    if status in (401, 403, 404):
        return True
    # login_required sends visitors to the login page with ?next=
    return status == 302 and "/accounts/login/" in location and "next=" in location


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_pages_allow_and_refuse_as_the_rules_say(world, principal):
    person = world.people[principal]
    client = Client()
    if person is not None:
        sign_in(client, person)
    wrong = []
    for name, (method, rule) in URL_RULES.items():
        with transaction.atomic():  # every request is undone: the next starts from the same world
            res = client.post(world.urls[name], {}) if method == "POST" else client.get(world.urls[name])
            transaction.set_rollback(True)
        assert res.status_code < 500, (name, res.status_code)
        expected = rule(person, world)
        if expected == refused(res.status_code, res.get("Location", ""), person):
            wrong.append(f"{name}: {res.status_code} (expected {'allowed' if expected else 'refused'})")
    assert not wrong, f"{principal}: " + "; ".join(wrong)


API_BODIES = {
    "/api/v1/reports": {"description": "x", "location": "y", "discovered_at": "2026-11-20T09:00:00+09:00"},
    "/api/v1/incidents/{incident_id}/triage": {"version": 1, "is_incident": False, "reason": "x"},
    "/api/v1/incidents/{incident_id}/transitions": {"version": 1, "transition": "start_recovery"},
    "/api/v1/incidents/{incident_id}/actions": {"version": 1, "phase": "containment", "description": "x"},
}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_api_allows_and_refuses_as_the_rules_say(world, principal):
    person = world.people[principal]
    headers = {}
    if person is not None:
        _token, clear = create_token(person, actor="test", name="matrix")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
    client = Client(**headers)
    incident_pk = world.urls["incidents:detail"].split("/")[2]
    wrong = []
    for (method, path), rule in API_RULES.items():
        url = path.replace("{incident_id}", incident_pk)
        with transaction.atomic():
            if method == "get":
                res = client.get(url)
            elif path.endswith("/evidence"):
                res = client.post(url, {"version": 1, "description": "x"})
            else:
                res = client.post(url, API_BODIES[path], content_type="application/json")
            transaction.set_rollback(True)
        assert res.status_code < 500, (path, res.status_code)
        expected = rule(person, world)
        if expected == (res.status_code in (401, 403, 404)):
            wrong.append(
                f"{method} {path}: {res.status_code} (expected {'allowed' if expected else 'refused'})"
            )
    assert not wrong, f"{principal}: " + "; ".join(wrong)


def test_anonymous_user_is_no_principal():
    assert not access.permissions_of(AnonymousUser())
