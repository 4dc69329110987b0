"""An earthquake in a large division: the declaration, the roll-call mailed to everyone, the answers, the board.

    .venv/bin/python bench/emergency.py                 # SQLite in a temporary data dir
    .venv/bin/python bench/emergency.py --database-url postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/emergency.py --no-write      # print, leave docs/ alone

Katsushika's plan (the preset) with a division of MEMBERS people (the 電算機管理者 and 代行者1–3, the rest in
the three teams; a shared installation's several divisions, or one with its vendors' staff, are this large)
and SYSTEMS systems in the register. In-process (``django.test.Client``), R times each (default 5):
declaring 震度6弱 (everyone asked, the command chain paged, the checklist opened; each run ends the one
before), mailing the whole roll-call to a real SMTP server on 127.0.0.1 (aiosmtpd), answering from the link
(one in ten "cannot come", which moves the command chain on), and the board with every answer against
``/healthz`` in the same run. Medians to docs/performance.md between ``<!-- bench:emergency:<db>:… -->``.
"""

import argparse
import os
import statistics
import time
from typing import Any

from common import database_options, machine, scratch, timed, write_doc
from dataset import database_label, setup_django

MEMBERS = 300
SYSTEMS = 120
TITLE = "an earthquake declared for a division of 300 (issue 8)"


def build() -> Any:
    from django.core.management import call_command

    from mamori.assets.models import InformationSystem
    from mamori.conftest import PASSWORD, make_org
    from mamori.people.models import Role
    from mamori.people.services import assign_role, create_person

    call_command("migrate", verbosity=0)
    org = make_org("katsushika")
    teams = [
        Role.objects.get(organization=org.organization, key=k)
        for k in ("liaison_team", "infrastructure_team", "business_system_team")
    ]
    for n in range(MEMBERS - 7):  # make_org gave the chain (4) and one holder per team (3)
        person = create_person(
            org.organization,
            actor="bench",
            username=f"member-{n:04d}",
            display_name=f"課員{n:04d}",
            password=PASSWORD,
            email=f"member-{n:04d}@katsushika.example",
        )
        assign_role(teams[n % 3], person, actor="bench", order=n // 3 + 1)
    InformationSystem.objects.bulk_create(
        InformationSystem(
            organization=org.organization,
            code=f"S-{n:03d}",
            name=f"業務システム{n:03d}",
            classification={"availability": "2" if n % 4 == 0 else "1"},
            vendor=f"保守事業者{n % 15}",
            vendor_contact=f"03-0000-{n:04d}",
        )
        for n in range(SYSTEMS)
    )
    return org


def measure(runs: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from mamori.conftest import sign_in
    from mamori.continuity import rollcall
    from mamori.continuity.models import Emergency, RollCallEntry
    from mamori.continuity.services import Declaration, declare, end
    from mamori.paging.tests.conftest import SMTPServer
    from mamori.paging.tokens import rollcall_token

    org = build()
    chief = org.chief_system_officer
    results: dict[str, Any] = {"database": database_label()}

    def one_declaration() -> Any:
        current = Emergency.objects.filter(state="active").first()
        if current is not None:
            end(current, actor=chief)
        return declare(
            org.organization,
            Declaration(kind="earthquake", intensity="6-", occurred_at=timezone.now()),
            actor=chief,
        )

    settings.MAMORI_PAGE_CHANNELS = ["inbox", "email"]
    results["declare"], emergency = timed(one_declaration, runs)
    results["asked"] = RollCallEntry.objects.filter(emergency=emergency).count()

    server = SMTPServer()
    server.start()
    settings.MAMORI_SMTP = {**settings.MAMORI_SMTP, "host": "127.0.0.1", "port": server.port, "timeout": 5}
    try:
        start = time.perf_counter()
        sent = 0
        while True:
            batch = rollcall.send_due(limit=1000)
            if not batch:
                break
            sent += batch
        results["mail_seconds"] = time.perf_counter() - start
        results["mailed"] = sent
    finally:
        server.stop()

    visitor = Client()
    entries = list(RollCallEntry.objects.filter(emergency=emergency).order_by("pk"))
    answers = []
    for n, entry in enumerate(entries):
        url = f"/rollcall/{rollcall_token(entry.token_salt)}/"
        form = {
            "safety": "safe",
            "family": "safe",
            "convening": "cannot" if n % 10 == 0 else "now",
            "remote": "no",
        }
        start = time.perf_counter()
        response = visitor.post(url, form)
        answers.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    results["answer"] = answers

    staff = Client()
    sign_in(staff, chief)
    board = f"/emergencies/{emergency.pk}/"
    staff.get(board)
    with CaptureQueriesContext(connection) as queries:
        assert staff.get(board).status_code == 200
    results["board_queries"] = len(queries.captured_queries)
    results["board"], _ = timed(lambda: staff.get(board), runs * 2)
    results["live"], _ = timed(lambda: staff.get(f"{board}live/"), runs * 2)
    results["report"], _ = timed(lambda: staff.get(f"{board}report.docx"), runs)
    results["healthz"], _ = timed(lambda: visitor.get("/healthz"), runs * 4)
    return results


def table(r: dict[str, Any], runs: int) -> str:
    floor = statistics.median(r["healthz"])

    def row(label: str, key: str) -> str:
        values = r[key]
        median = statistics.median(values)
        return f"| {label} | {median:,.1f} | {min(values):,.1f}–{max(values):,.1f} | {median / floor:,.0f}× |"

    return "\n".join(
        [
            f"Division of {r['asked']} people, {SYSTEMS} systems in the register; in-process, {runs}–{runs * 4} runs "
            f"each. Roll-call mailed to aiosmtpd on 127.0.0.1: {r['mailed']} messages in {r['mail_seconds']:,.1f} s "
            f"({r['mailed'] / r['mail_seconds']:,.0f}/s, one SMTP connection per message). Board: "
            f"{r['board_queries']} SQL queries with every person answered.",
            "",
            "| step | median ms | min–max ms | ÷ /healthz |",
            "|---|---:|---:|---:|",
            row("/healthz (the floor)", "healthz"),
            row("declare 震度6弱 (everyone asked, chain paged, checklist opened)", "declare"),
            row("answer from the link (POST; 1 in 10 cannot come)", "answer"),
            row("GET the board (every answer, the checklist)", "board"),
            row("GET the board's live part (every 20 s)", "live"),
            row("GET the report for the headquarters (.docx)", "report"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    database_options(parser)
    args = parser.parse_args()
    database = f"mamori_bench_emergency_{os.getpid()}"
    with scratch(args.database_url, database, prefix="mamori-bench-emergency-") as (data_dir, url):
        os.environ["MAMORI_DATA_DIR"] = str(data_dir)
        os.environ["MAMORI_TESTING"] = "1"  # fast password hashing for the made-up people
        os.environ["MAMORI_ALLOWED_HOSTS"] = "testserver"
        os.environ.pop("DATABASE_URL", None)
        if url:
            os.environ["DATABASE_URL"] = url
        setup_django()
        results = measure(args.runs)
        from django.db import connections

        connections.close_all()
    key = "sqlite" if not args.database_url else "postgresql"
    section = (
        f"{results['database']} · {machine()} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
    )
    section += table(results, args.runs)
    print(section)
    if not args.no_write:
        write_doc("emergency", key, section, title=TITLE)


if __name__ == "__main__":
    main()
