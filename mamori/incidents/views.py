"""Incident pages: list, triage queue, detail with timeline, and one POST view per operation.

Views parse forms and call services; every rule lives in the services. A service error is shown
beside the form that caused it, with the status code the API would use.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mamori import wareki
from mamori.http import AuthedRequest
from mamori.journal.models import JournalEntry
from mamori.people.fields import role_holder_suggestions
from mamori.policy.services import policy_of_person

from . import access, keyset, need_to_know, outside, response, services
from .choices import LEVEL_COLOURS, STATE_COLOURS, State
from .errors import Invalid, NotFound, ServiceError
from .filters import IncidentFilterForm, filter_incidents
from .forms import (
    ActionForm,
    ApprovalForm,
    AssignForm,
    CustodyForm,
    EvidenceForm,
    FlagsForm,
    LevelForm,
    MemberForm,
    MergeForm,
    ObligationForm,
    PublicationForm,
    ResultForm,
    TaskForm,
    TransitionForm,
    TriageForm,
    VersionedForm,
)
from .models import Approval, Incident
from .outside_forms import ReportFactsForm
from .timeline import build_timeline
from .transitions import TRANSITIONS, available

PAGE_SIZE = 50


def _load(request: AuthedRequest, pk: int) -> Incident:
    try:
        return access.get_incident_for(request.user, pk)
    except NotFound:
        raise Http404 from None


def list_queryset(user: Any, data: dict):
    qs = filter_incidents(access.incidents_for(user), data)
    return qs.select_related("handler").order_by("-opened_at", "-pk")


def label_rows(incidents: Any, categories: dict[str, str], date_style: str) -> None:
    """Put on each listed incident what its row shows, in Python: the template then only prints.

    Looking labels up row by row in the template (the categories, the state, the date tag, the URL)
    cost two thirds of the page's time (docs/performance.md).
    """
    states = dict(State.choices)
    # Detail pages are "<list URL><pk>/" (urls.py); reverse() for each of 50 rows costs ~3 ms.
    prefix = reverse("incidents:list")
    for i in incidents:
        i.url = f"{prefix}{i.pk}/"
        i.state_label = states.get(i.state, i.state)
        i.category_label = categories.get(i.category, i.category)
        i.handler_name = str(i.handler) if i.handler_id else ""
        i.opened_label = wareki.format_datetime(i.opened_at, date_style)


@login_required
@require_GET
def incident_list(request: AuthedRequest) -> HttpResponse:
    policy = policy_of_person(request.user)
    form = IncidentFilterForm(
        request.GET or None,
        policy=policy,
        organization_id=request.user.organization_id,
        date_style=request.user.date_style,
    )
    data = form.cleaned_data if form.is_valid() else {}
    status = 200 if form.is_valid() or not request.GET else 400
    try:
        page = keyset.paginate(
            list_queryset(request.user, data),
            size=PAGE_SIZE,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
        )
    except Invalid as exc:
        form.add_error(None, exc.fields["cursor"])
        page, status = keyset.paginate(list_queryset(request.user, data), size=PAGE_SIZE), 400
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    categories = {c.key: c.label for c in policy.categories} if policy else {}
    label_rows(page, categories, request.user.date_style)
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
        status=status,
    )


@login_required
@require_GET
def triage_queue(request: AuthedRequest) -> HttpResponse:
    if not (access.can(request.user, "triage") or access.can(request.user, "log_report")):
        raise Http404
    queue = (
        access.incidents_for(request.user)
        .filter(state__in=State.queue_states())
        .prefetch_related("reports")
        .order_by("opened_at", "pk")
    )
    # Oldest first: what has waited longest is triaged first.
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "incidents/queue.html", {"page": page})


def _detail_context(request: AuthedRequest, incident: Incident, **bound: Any) -> dict[str, Any]:
    user = request.user
    policy = services.policy_of(incident)
    v = {"version": incident.version}
    org = incident.organization_id
    perms = access.permissions_of(user)
    forms = {
        "triage": TriageForm(
            initial={
                **v,
                "title": incident.title,
                "personal_data": incident.personal_data,
                "restricted": incident.restricted,
                "is_drill": incident.is_drill,
            },
            policy=policy,
        ),
        "level": LevelForm(initial={**v, "level": incident.level}, policy=policy),
        "flags": FlagsForm(
            initial={
                **v,
                "title": incident.title,
                "affected_systems": incident.affected_systems,
                "personal_data": incident.personal_data,
                "restricted": incident.restricted,
                "is_drill": incident.is_drill,
            }
        ),
        "assign": AssignForm(
            initial={**v, "handler": incident.handler.username if incident.handler else ""},
            organization_id=org,
        ),
        "merge": MergeForm(initial=v),
        "member": MemberForm(initial=v, organization_id=org),
        "action": ActionForm(initial=v, policy=policy),
        "evidence": EvidenceForm(initial=v),
        "task": TaskForm(initial=v, policy=policy, organization_id=org),
        "publication": PublicationForm(initial={**v, "decision": incident.publication_decision}),
        "transition": TransitionForm(
            initial={
                **v,
                "summary": incident.summary,
                "root_cause": incident.root_cause,
                "prevention_measures": incident.prevention_measures,
            }
        ),
        "facts": ReportFactsForm(
            initial={**v, "aware_at": incident.aware_at, **(incident.report_facts or {})}, policy=policy
        ),
        "approval": ApprovalForm(),
        "custody": CustodyForm(),
        "result": ResultForm(),
        "obligation": ObligationForm(),
    }
    forms.update(bound)
    reports = list(incident.reports.prefetch_related("attachments").select_related("reporter", "logged_by"))
    evidence = list(incident.evidence.prefetch_related("custody__recorded_by").select_related("collected_by"))
    tasks = list(incident.tasks.select_related("assignee", "done_by"))
    level_changes = list(incident.level_changes.select_related("changed_by"))
    approvals = list(incident.approvals.select_related("requested_by", "decided_by"))
    timeline = build_timeline(
        incident,
        policy,
        reports=reports,
        level_changes=level_changes,
        evidence=evidence,
        tasks=[t for t in tasks if t.done_at],
    )
    # Dates formatted here, once per row: a template tag per row of a 200-entry timeline and its
    # journal was a third of the page's time (docs/performance.md).
    for e in timeline:
        e.at_label = wareki.format_datetime(e.at, user.date_style)
    return {
        "incident": incident,
        "policy": policy,
        "forms": forms,
        "perms": perms,
        # One list for the person boxes of the assign, need-to-know and task forms (people/fields.py).
        "person_suggestions": role_holder_suggestions(org) if perms & {"assign", "respond"} else [],
        "level_spec": policy.level(incident.level),
        "category_spec": policy.category(incident.category),
        "reports": reports,
        "evidence": evidence,
        "obligations": list(incident.obligations.select_related("done_by")),
        "tasks": tasks,
        "level_changes": level_changes,
        "timeline": timeline,
        # The trail of every change, as rows: a long incident has hundreds of entries.
        "journal": [
            (seq, wareki.format_datetime(at, user.date_style), actor_label, action, digest)
            for seq, at, actor_label, action, digest in JournalEntry.objects.filter(
                object_type=Incident._meta.label_lower, object_id=str(incident.pk)
            )
            .order_by("seq")
            .values_list("seq", "created_at", "actor_label", "action", "hash")
        ],
        "transitions": available(incident.state, perms),
        "close_transition": TRANSITIONS["close"],
        "role_titles": {r.key: r.title for r in policy.roles},
        # Newest first (Approval.Meta.ordering): the pending one, if any, is the newest pending.
        "pending_approval": next((a for a in approvals if a.state == Approval.State.PENDING), None),
        "approvals": approvals,
        "members": list(incident.members.select_related("person", "added_by")),
        "external_reports": [(r, outside.draft_text(r)) for r in incident.external_reports.all()],
        "has_report_rules": any(b.triggers or b.reports for b in policy.outside_bodies),
        "state_colours": STATE_COLOURS,
        "level_colours": LEVEL_COLOURS,
        "in_queue": incident.state in State.queue_states(),
        "is_handling": incident.state in (State.RESPONDING, State.RECOVERING, State.PREVENTING),
    }


@login_required
@require_GET
def incident_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _load(request, pk)
    if not access.sees_in_full(request.user, incident):
        return _task_view(request, incident)
    return render(request, "incidents/detail.html", _detail_context(request, incident))


def _task_view(request: AuthedRequest, incident: Incident) -> HttpResponse:
    """What someone reached only through a task sees: the incident's heading and their own tasks —
    not the reports, reporters, evidence or timeline (need-to-know)."""
    policy = services.policy_of(incident)
    roles = access.roles_of(request.user)
    tasks = [
        t
        for t in incident.tasks.select_related("assignee", "done_by")
        if t.assignee_id == request.user.pk or t.assignee_role in roles
    ]
    return render(
        request,
        "incidents/task_view.html",
        {
            "incident": incident,
            "level_spec": policy.level(incident.level),
            "category_spec": policy.category(incident.category),
            "tasks": tasks,
            "role_titles": {r.key: r.title for r in policy.roles},
        },
    )


# The policy permission each operation needs. It is checked before the input is read, so a role that
# may not act is refused (403) whatever it sends; the services check again, in more detail. ``None``:
# the service alone decides (an emergency action's operator role, a task's own assignee).
OPERATION_PERMISSIONS: dict[str, str | None] = {
    "triage": "triage",
    "level": "triage",
    "flags": "triage",
    "merge": "triage",
    "assign": "assign",
    "member": "assign",
    "evidence": "respond",
    "custody": "respond",
    "task": "respond",
    "obligation": "respond",
    "publication": "respond",
    "facts": "respond",
    "report_draft": "respond",
    "report_sent": "respond",
    "approval": "approve_publication",
    "report_waive": "approve_publication",
    "action": None,
    "result": None,
    "transition": None,
}


def _operate(
    request: AuthedRequest,
    pk: int,
    form_name: str,
    form: Any,
    call: Callable[[Incident, dict[str, Any]], Any],
    success: str,
    *,
    permission: str | None = None,
) -> HttpResponse:
    """Check the permission, validate ``form``, run the service, and either redirect or show the errors
    beside the form."""
    incident = _load(request, pk)
    needed = permission or OPERATION_PERMISSIONS[form_name]
    if needed is not None and not access.can(request.user, needed):
        raise PermissionDenied
    status = 400
    if form.is_valid():
        try:
            call(incident, form.cleaned_data)
        except ServiceError as exc:
            status = exc.status
            for field, message in exc.fields.items():
                form.add_error(field if field in form.fields else None, message)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(request, success)
            return redirect("incidents:detail", pk=incident.pk)
    incident.refresh_from_db()
    if not access.sees_in_full(request.user, incident):
        # Someone reached through a task gets their errors on the task page, never the full incident.
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        page = _task_view(request, incident)
        page.status_code = status
        return page
    context = _detail_context(request, incident, **{form_name: form})
    context["error_form"] = form_name
    return render(request, "incidents/detail.html", context, status=status)


def _policy(pk: int, request: AuthedRequest):
    return services.policy_of(_load(request, pk))


@login_required
@require_POST
def triage(request: AuthedRequest, pk: int) -> HttpResponse:
    form = TriageForm(request.POST, policy=_policy(pk, request))
    return _operate(
        request,
        pk,
        "triage",
        form,
        lambda i, d: services.triage(
            i,
            actor=request.user,
            expected_version=d["version"],
            is_incident=d["is_incident"],
            reason=d["reason"],
            category=d["category"],
            level=d["level"],
            title=d["title"],
            personal_data=d["personal_data"],
            restricted=d["restricted"],
            is_drill=d["is_drill"],
        ),
        _("The triage decision was recorded."),
    )


@login_required
@require_POST
def change_level(request: AuthedRequest, pk: int) -> HttpResponse:
    form = LevelForm(request.POST, policy=_policy(pk, request))
    return _operate(
        request,
        pk,
        "level",
        form,
        lambda i, d: services.change_level(
            i, actor=request.user, expected_version=d["version"], level=d["level"], reason=d["reason"]
        ),
        _("The level was changed."),
    )


@login_required
@require_POST
def update_flags(request: AuthedRequest, pk: int) -> HttpResponse:
    form = FlagsForm(request.POST)
    return _operate(
        request,
        pk,
        "flags",
        form,
        lambda i, d: services.set_flags(
            i,
            actor=request.user,
            expected_version=d["version"],
            personal_data=d["personal_data"],
            restricted=d["restricted"],
            is_drill=d["is_drill"],
            affected_systems=d["affected_systems"],
            title=d["title"],
        ),
        _("The incident was updated."),
    )


@login_required
@require_POST
def assign(request: AuthedRequest, pk: int) -> HttpResponse:
    form = AssignForm(request.POST, organization_id=request.user.organization_id or 0)
    return _operate(
        request,
        pk,
        "assign",
        form,
        lambda i, d: services.assign_handler(
            i, actor=request.user, expected_version=d["version"], handler=d["handler"]
        ),
        _("The handler was assigned."),
    )


@login_required
@require_POST
def add_member(request: AuthedRequest, pk: int) -> HttpResponse:
    form = MemberForm(request.POST, organization_id=request.user.organization_id or 0)
    return _operate(
        request,
        pk,
        "member",
        form,
        lambda i, d: need_to_know.add_member(
            i, actor=request.user, expected_version=d["version"], person=d["person"], reason=d["reason"]
        ),
        _("The person was added to those who need to know."),
    )


@login_required
@require_POST
def remove_member(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    form = VersionedForm(request.POST)
    return _operate(
        request,
        pk,
        "member",
        form,
        lambda i, d: need_to_know.remove_member(
            i, actor=request.user, expected_version=d["version"], member_pk=member_pk
        ),
        _("The person was removed from those who need to know."),
    )


@login_required
@require_POST
def merge(request: AuthedRequest, pk: int) -> HttpResponse:
    form = MergeForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]) -> Incident:
        target = access.incidents_for(request.user).filter(reference=d["into"].strip()).first()
        if target is None:
            raise Invalid(fields={"into": _("No incident with this reference.")})
        return services.merge(incident, actor=request.user, expected_version=d["version"], into=target)

    return _operate(request, pk, "merge", form, call, _("The report was merged."))


@login_required
@require_POST
def add_action(request: AuthedRequest, pk: int) -> HttpResponse:
    form = ActionForm(request.POST, policy=_policy(pk, request))
    return _operate(
        request,
        pk,
        "action",
        form,
        lambda i, d: response.record_action(
            i,
            actor=request.user,
            expected_version=d["version"],
            phase=d["phase"],
            description=d["description"],
            taken_at=d["taken_at"],
            emergency_action=d.get("emergency_action", ""),
        ),
        _("The action was recorded."),
    )


@login_required
@require_POST
def add_evidence(request: AuthedRequest, pk: int) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES)

    def call(incident: Incident, d: dict[str, Any]):
        upload = d.get("file")
        return response.add_evidence(
            incident,
            actor=request.user,
            expected_version=d["version"],
            description=d["description"],
            upload=upload,
            filename=upload.name if upload else "",
            content_type=getattr(upload, "content_type", "") or "",
            collected_at=d["collected_at"],
            holder=d["holder"],
        )

    return _operate(request, pk, "evidence", form, call, _("The evidence was recorded."))


@login_required
@require_POST
def add_custody(request: AuthedRequest, pk: int, evidence_pk: int) -> HttpResponse:
    form = CustodyForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        evidence = incident.evidence.filter(pk=evidence_pk).first()
        if evidence is None:
            raise NotFound()
        return response.add_custody(
            evidence, actor=request.user, event=d["event"], holder=d["holder"], note=d["note"], at=d["at"]
        )

    return _operate(request, pk, "custody", form, call, _("The custody entry was recorded."))


@login_required
@require_POST
def add_task(request: AuthedRequest, pk: int) -> HttpResponse:
    form = TaskForm(
        request.POST, policy=_policy(pk, request), organization_id=request.user.organization_id or 0
    )
    return _operate(
        request,
        pk,
        "task",
        form,
        lambda i, d: response.create_task(
            i,
            actor=request.user,
            expected_version=d["version"],
            title=d["title"],
            details=d["details"],
            assignee=d["assignee"],
            assignee_role=d["assignee_role"],
            due_at=d["due_at"],
        ),
        _("The task was created."),
    )


@login_required
@require_POST
def complete_task(request: AuthedRequest, pk: int, task_pk: int) -> HttpResponse:
    form = ResultForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        task = incident.tasks.filter(pk=task_pk).first()
        if task is None:
            raise NotFound()
        return response.complete_task(task, actor=request.user, result=d["result"])

    return _operate(request, pk, "result", form, call, _("The task was marked done."))


@login_required
@require_POST
def complete_obligation(request: AuthedRequest, pk: int, obligation_pk: int) -> HttpResponse:
    form = ObligationForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        ob = incident.obligations.filter(pk=obligation_pk).first()
        if ob is None:
            raise NotFound()
        return services.complete_obligation(ob, actor=request.user, outcome=d["outcome"], waived=d["waived"])

    return _operate(request, pk, "obligation", form, call, _("The checklist item was updated."))


@login_required
@require_POST
def request_publication(request: AuthedRequest, pk: int) -> HttpResponse:
    form = PublicationForm(request.POST)
    return _operate(
        request,
        pk,
        "publication",
        form,
        lambda i, d: services.request_publication(
            i, actor=request.user, expected_version=d["version"], decision=d["decision"], reason=d["reason"]
        ),
        _("The decision was requested; the deciding role has been paged."),
    )


@login_required
@require_POST
def decide_approval(request: AuthedRequest, pk: int, approval_pk: int) -> HttpResponse:
    form = ApprovalForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        approval = incident.approvals.filter(pk=approval_pk).first()
        if approval is None:
            raise NotFound()
        return services.decide_approval(
            approval, actor=request.user, approve=d["approve"], comment=d["comment"]
        )

    return _operate(request, pk, "approval", form, call, _("The decision was recorded."))


@login_required
@require_POST
def apply_transition(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    return _operate(
        request,
        pk,
        "transition",
        form,
        lambda i, d: services.transition(
            i,
            name,
            actor=request.user,
            expected_version=d["version"],
            **{k: d[k] for k in ("summary", "root_cause", "prevention_measures", "reason")},
        ),
        _("The incident is now: %(state)s") % {"state": State(TRANSITIONS[name].target).label},
        permission=TRANSITIONS[name].permission,
    )
