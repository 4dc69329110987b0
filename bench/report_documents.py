"""Final report of a long incident: 500 timeline entries and 100 evidence items, as .docx and PDF.

    .venv/bin/python bench/report_documents.py                 # SQLite in a temporary data dir
    .venv/bin/python bench/report_documents.py --database-url postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/report_documents.py --no-write      # print, leave docs/ alone

Builds the incident through the services (report, triage, 500 recorded actions, 100 evidence items
with a file each, closure), then times, R times each (default 5), in-process:
the context (every query the documents need), the Word file, the PDF, and both through the real
views (``django.test.Client``: access check, journal entry, response). Medians and the spread go to
docs/performance.md between ``<!-- bench:report_documents:<db>:… -->`` markers.
"""

import argparse
import io
import os
import statistics
import subprocess
import tempfile
import time
from typing import Any

from common import database_options, machine, scratch, timed, write_doc
from dataset import database_label, setup_django

ACTIONS = 500
EVIDENCE = 100
TITLE = "final report with 500 timeline entries and 100 evidence items"


def build_incident() -> tuple[Any, Any]:
    from django.core.management import call_command

    from mamori.conftest import make_org  # the tests' people: one per role of the preset
    from mamori.incidents import response
    from mamori.incidents.tests import scenario

    call_command("migrate", verbosity=0)
    org = make_org("komae")
    incident = scenario.report(
        org, description="ファイルサーバのファイルが暗号化された。身代金要求の画面が表示された。"
    )
    scenario.triage(org, incident, level=2)
    phases = ["initial_response", "containment", "recovery", "prevention"]
    for n in range(ACTIONS):
        incident.refresh_from_db()
        response.record_action(
            incident,
            actor=org.handler,
            expected_version=incident.version,
            phase=phases[n % len(phases)],
            description=f"{n + 1}件目の対応：端末{n % 37 + 1}台目のログを確認し、不審な通信先をファイアウォールで遮断した。",
        )
    for n in range(EVIDENCE):
        incident.refresh_from_db()
        response.add_evidence(
            incident,
            actor=org.handler,
            expected_version=incident.version,
            description=f"端末{n + 1}のメモリダンプとイベントログ",
            upload=io.BytesIO(f"evidence {n}".encode() * 100),
            filename=f"host{n + 1:03d}.zip",
            holder="情報システム係 金庫",
        )
    return org, scenario.close(org, incident)


def measure(runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from mamori.conftest import sign_in
    from mamori.documents.context import incident_context
    from mamori.documents.pdf import final_report_pdf
    from mamori.documents.render import render_docx

    org, incident = build_incident()
    user = org.csirt_head
    results: dict[str, Any] = {"timeline": None}
    with CaptureQueriesContext(connection) as queries:
        context = incident_context(incident, style="wareki", user=user)
    results["queries"] = len(queries.captured_queries)
    results["timeline"] = len(context["timeline"])
    results["evidence"] = len(context["evidence"])
    results["context"], _ = timed(lambda: incident_context(incident, style="wareki", user=user), runs)
    results["docx"], docx = timed(
        lambda: render_docx(incident.organization_id, "final_report", context), runs
    )
    results["pdf"], pdf = timed(lambda: final_report_pdf(context), runs)
    results["docx_kib"], results["pdf_kib"] = len(docx) / 1024, len(pdf) / 1024
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(["/usr/bin/pdfinfo", handle.name], capture_output=True, text=True).stdout
    results["pages"] = next(
        (line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?"
    )
    client = Client()
    sign_in(client, user)
    docx_url = reverse("documents:incident_document", args=[incident.pk, "final_report"])
    pdf_url = reverse("documents:final_report_pdf", args=[incident.pk])
    results["view_docx"], answer = timed(lambda: client.get(docx_url), runs)
    assert answer.status_code == 200, answer.status_code
    results["view_pdf"], answer = timed(lambda: client.get(pdf_url), runs)
    assert answer.status_code == 200, answer.status_code
    results["database"] = database_label()
    return results


def table(r: dict[str, Any], runs: int) -> str:
    def row(label: str, key: str) -> str:
        values = r[key]
        return f"| {label} | {statistics.median(values):,.0f} | {min(values):,.0f}–{max(values):,.0f} |"

    return "\n".join(
        [
            f"Incident with {r['timeline']} timeline entries (500 actions, 100 evidence items, reports and "
            f"milestones) and {r['evidence']} evidence items; {runs} runs each, in-process. "
            f"Context: {r['queries']} SQL queries. Word file {r['docx_kib']:,.0f} KiB, PDF {r['pdf_kib']:,.0f} KiB "
            f"({r['pages']} pages, IPAexGothic subset embedded).",
            "",
            "| step | median ms | min–max ms |",
            "|---|---:|---:|",
            row("context (all queries)", "context"),
            row("Word (.docx) from the template", "docx"),
            row("PDF (reportlab)", "pdf"),
            row("GET …/final_report.docx (view, journal)", "view_docx"),
            row("GET …/final-report.pdf (view, journal)", "view_pdf"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    database_options(parser)
    args = parser.parse_args()
    database = f"mamori_bench_docs_{os.getpid()}"
    with scratch(args.database_url, database, prefix="mamori-bench-docs-") as (data_dir, url):
        # Django runs in this process (no child): its environment is this one's.
        os.environ["MAMORI_DATA_DIR"] = str(data_dir)
        os.environ["MAMORI_TESTING"] = "1"  # fast password hashing for the made-up people
        os.environ["MAMORI_ALLOWED_HOSTS"] = "testserver"  # django.test.Client's host
        os.environ.pop("DATABASE_URL", None)  # SQLite in the data dir unless --database-url
        if url:
            os.environ["DATABASE_URL"] = url
        setup_django()
        results = measure(args.runs)
        from django.db import connections

        connections.close_all()  # before the database is dropped
    key = "sqlite" if not args.database_url else "postgresql"
    section = (
        f"{results['database']} · {machine()} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
    )
    section += table(results, args.runs)
    print(section)
    if not args.no_write:
        write_doc("report_documents", key, section, title=TITLE)


if __name__ == "__main__":
    main()
