"""Django side of bench/paging_lag.py: a data dir with N open pages whose deliveries are not yet due.

Run by paging_lag.py in a child process whose environment already names the data dir and the
database (MAMORI_DATA_DIR, DATABASE_URL, MAMORI_PAGE_CHANNELS=inbox); it writes what the parent
needs as JSON to --out:

    python bench/paging_dataset.py --pages N --out FILE

The first INCIDENTS pages come from reports filed through ``submit_report`` (each starts its
on-report escalation, as in production); the rest are escalations, pages and deliveries made with
``bulk_create``: this is test data, and what is measured is the worker, not the making of pages.
Every delivery is parked a day ahead; paging_lag.py sets the real due times once the workers run.
Nothing here is meant to be imported by the app or run by hand against real data.
"""

import argparse
import json
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from dataset import DESCRIPTIONS, database_label, make_people, migrate_and_load_policy, setup_django

INCIDENTS = 100  # reports filed through the services; the other pages are spread over their incidents
PARKED = timedelta(days=1)  # not due while the workers start; paging_lag.py reschedules


def file_reports(people: dict[str, Any], n: int) -> list[Any]:
    """N reports through submit_report: each opens an incident and pages the CSIRT管理者 (第9条第3項)."""
    from django.utils import timezone

    from mamori.intake.choices import Channel
    from mamori.intake.services import ReportInput, submit_report

    incidents = []
    for i in range(n):
        kind = DESCRIPTIONS[i % len(DESCRIPTIONS)]
        data = ReportInput(
            description=f"{kind}（{i + 1}件目）\n{kind}。発見した職員が所属長に連絡した。",
            discovered_at=timezone.now() - timedelta(hours=1),
            location="本庁舎3階 総務課",
            reporter_name="職員 山本",
            reporter_contact="内線1234",
            suspected_cause="標的型メール",
            impact_scope="端末1台",
        )
        received = submit_report(
            people["organization"], data, channel=Channel.STAFF_FORM, actor=people["staff"]
        )
        incidents.append(received.incident)
    return incidents


def bulk_pages(people: dict[str, Any], incidents: list[Any], n: int) -> None:
    """N more open escalations with one open page and one queued inbox delivery each."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from mamori.paging.models import Delivery, Escalation, Page
    from mamori.paging.tokens import new_salt, page_token, token_hash
    from mamori.policy.services import document_of

    if n <= 0:
        return
    policy = document_of(incidents[0].policy)
    rule = policy.escalation.on_report[0]
    recipients = [p for key, p in people.items() if key != "organization"]
    now = timezone.now()
    deadline = now + timedelta(minutes=policy.escalation.default_ack_minutes)
    with transaction.atomic():
        escalations = Escalation.objects.bulk_create(
            [
                Escalation(
                    incident=incidents[i % len(incidents)],
                    key=f"bench:{i}",
                    role_key=rule.role,
                    text=rule.text,
                    basis=rule.basis or "",
                    ack_minutes=policy.escalation.default_ack_minutes,
                    chain=[recipients[i % len(recipients)].pk],
                    created_at=now,
                    # Every deadline is half an hour away: advance_due finds nothing to do.
                    next_check_at=deadline,
                )
                for i in range(n)
            ],
            batch_size=500,
        )
        pages = []
        for escalation in escalations:
            salt = new_salt()
            pages.append(
                Page(
                    escalation=escalation,
                    recipient_id=escalation.chain[0],
                    step=0,
                    paged_at=now,
                    deadline=deadline,
                    token_salt=salt,
                    token_hash=token_hash(page_token(salt)),
                    token_expires_at=now + timedelta(hours=settings.MAMORI_ACK_LINK_HOURS),
                )
            )
        pages = Page.objects.bulk_create(pages, batch_size=500)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    page=page, channel="inbox", next_attempt_at=now + PARKED, idempotency_key=uuid.uuid4().hex
                )
                for page in pages
            ],
            batch_size=500,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    setup_django()
    import django
    from django.utils import timezone

    from mamori.journal.models import JournalEntry
    from mamori.journal.verify import verify_chain
    from mamori.paging.models import Delivery, Escalation, InboxMessage, Page

    started = time.perf_counter()
    migrate_and_load_policy()
    people = make_people()
    incidents = file_reports(people, min(INCIDENTS, args.pages))
    bulk_pages(people, incidents, args.pages - Page.objects.count())
    # The reports' own pages were due at once: park them with the others.
    parked = Delivery.objects.filter(state="queued").update(next_attempt_at=timezone.now() + PARKED)
    build_s = time.perf_counter() - started
    t0 = time.perf_counter()
    checked, problem = verify_chain()
    verify_s = time.perf_counter() - t0
    if problem is not None:
        raise SystemExit(f"journal broken after building the dataset: {problem}")
    out = {
        "incidents": len(incidents),
        "escalations": Escalation.objects.count(),
        "pages": Page.objects.filter(state="open").count(),
        "deliveries": parked,
        "channels": sorted(set(Delivery.objects.values_list("channel", flat=True))),
        "inbox_before": InboxMessage.objects.count(),
        "journal_entries": JournalEntry.objects.count(),
        "journal_checked": checked,
        "verify_s": round(verify_s, 3),
        "build_s": round(build_s, 1),
        "database": database_label(),
        "django": django.get_version(),
    }
    if out["pages"] != args.pages or out["deliveries"] != args.pages or out["channels"] != ["inbox"]:
        raise SystemExit(f"dataset is not what was asked for: {out}")
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
