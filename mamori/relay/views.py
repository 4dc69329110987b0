"""The relay's pages (MAMORI_RELAY_ONLY=true): a roll-call answer and an acknowledgement, each from a
one-tap link without logging in; and the signed API the main instance's worker calls (sync.py)."""

import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori.assets.views import show_errors
from mamori.continuity import rollcall
from mamori.continuity.forms import AnswerForm
from mamori.incidents.errors import ServiceError
from mamori.paging.tokens import token_hash

from .models import LinkKind, RelayAnswer, RelayLink
from .signing import verify

MAX_BODY = 1_000_000


def _link(token: str, kind: str) -> RelayLink | None:
    if not token or len(token) > 100:
        return None
    return RelayLink.objects.filter(
        token_hash=token_hash(token), kind=kind, expires_at__gt=timezone.now()
    ).first()


@never_cache
@require_http_methods(["GET", "POST"])
def rollcall_answer(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token, LinkKind.ROLLCALL)
    if link is None:
        return render(request, "relay/answer.html", {"link": None}, status=404)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = rollcall.Answer.from_form(form.cleaned_data)
        try:
            rollcall.check_answer(answer, timezone.now())
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            RelayAnswer.objects.create(
                token_hash=link.token_hash,
                kind=link.kind,
                payload=answer.as_payload(),
                received_at=timezone.now(),
            )
            return render(request, "relay/answer.html", {"link": link, "saved": answer})
    return render(
        request, "relay/answer.html", {"link": link, "form": form}, status=400 if form.is_bound else 200
    )


@never_cache
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button only: a mail scanner opening the link acknowledges nothing."""
    link = _link(token, LinkKind.ACK)
    if link is None:
        return render(request, "relay/ack.html", {"link": None}, status=404)
    done = RelayAnswer.objects.filter(token_hash=link.token_hash, kind=LinkKind.ACK).exists()
    if request.method == "POST" and not done:
        RelayAnswer.objects.create(
            token_hash=link.token_hash, kind=link.kind, payload={}, received_at=timezone.now()
        )
        done = True
    return render(request, "relay/ack.html", {"link": link, "done": done})


def _signed_json(request: HttpRequest) -> Any:
    """The request's JSON if its signature holds; None otherwise."""
    body = request.body
    if len(body) > MAX_BODY:
        return None
    timestamp = request.headers.get("X-Mamori-Timestamp", "")
    signature = request.headers.get("X-Mamori-Signature", "")
    if not verify(timestamp, signature, body):
        return None
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None


def _refused() -> JsonResponse:
    return JsonResponse({"error": "signature"}, status=403)


@csrf_exempt
@require_POST
def api_links(request: HttpRequest) -> JsonResponse:
    """The main instance sends every link that works now; the relay keeps exactly those."""
    data = _signed_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("links"), list):
        return _refused()
    try:
        links = [
            RelayLink(
                token_hash=str(item["token_hash"])[:64],
                kind=item["kind"] if item["kind"] in LinkKind.values else LinkKind.ACK,
                title=str(item.get("title", ""))[:300],
                recipient=str(item.get("recipient", ""))[:200],
                must_convene=bool(item.get("must_convene")),
                is_drill=bool(item.get("is_drill")),
                expires_at=datetime.fromisoformat(item["expires_at"]),
            )
            for item in data["links"]
        ]
    except (KeyError, TypeError, ValueError):
        return JsonResponse({"error": "links"}, status=400)
    with transaction.atomic():
        RelayLink.objects.all().delete()
        RelayLink.objects.bulk_create(links)
    return JsonResponse({"links": len(links)})


@csrf_exempt
@require_GET
def api_answers(request: HttpRequest) -> JsonResponse:
    if _signed_json(request) is None:
        return _refused()
    answers = [
        {
            "id": a.pk,
            "kind": a.kind,
            "token_hash": a.token_hash,
            "payload": a.payload,
            "received_at": a.received_at.isoformat(),
        }
        for a in RelayAnswer.objects.order_by("received_at", "pk")[:500]
    ]
    return JsonResponse({"answers": answers})


@csrf_exempt
@require_POST
def api_confirm(request: HttpRequest) -> JsonResponse:
    """The main instance has recorded these answers: they are deleted here."""
    data = _signed_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("ids"), list):
        return _refused()
    ids = [i for i in data["ids"] if isinstance(i, int)]
    deleted, _ = RelayAnswer.objects.filter(pk__in=ids).delete()
    return JsonResponse({"deleted": deleted})
