"""Recording the response: timeline by phase, evidence with SHA-256 and custody, tasks."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.conftest import sign_in
from mamori.incidents import response
from mamori.incidents.errors import Invalid, NotAllowed
from mamori.incidents.services import policy_of
from mamori.incidents.timeline import build_timeline

from .scenario import act, report, triage

pytestmark = pytest.mark.django_db


def test_evidence_file_is_kept_under_its_sha256_and_reads_back(komae, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    incident = triage(komae, report(komae))
    content = "ログ抜粋 2026-11-20 10:00 不審な通信\n".encode() * 100
    evidence = response.add_evidence(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        description="プロキシログ",
        upload=io.BytesIO(content),
        filename="../../proxy.log",
    )
    digest = hashlib.sha256(content).hexdigest()
    assert evidence.sha256 == digest and evidence.size == len(content)
    assert evidence.original_name == "proxy.log"
    assert digest in evidence.file.name
    with evidence.file.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    assert evidence.custody.get().event == "collected"


def test_custody_entries_follow_the_evidence(komae, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    incident = triage(komae, report(komae))
    evidence = response.add_evidence(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        description="感染端末のHDD（総務課金庫に保管）",
    )
    response.add_custody(
        evidence, actor=komae.handler, event="transferred", holder="解析事業者 A社", note="受領書あり"
    )
    assert [c.event for c in evidence.custody.all()] == ["collected", "transferred"]


def test_oversized_and_empty_uploads_are_refused(komae, settings):
    settings.MAMORI_MAX_UPLOAD_BYTES = 1024
    incident = triage(komae, report(komae))
    with pytest.raises(Invalid) as exc:
        response.add_evidence(
            incident,
            actor=komae.handler,
            expected_version=incident.version,
            description="大きい",
            upload=io.BytesIO(b"x" * 1025),
            filename="big.bin",
        )
    assert "file" in exc.value.fields
    with pytest.raises(Invalid):
        response.add_evidence(
            incident,
            actor=komae.handler,
            expected_version=incident.version,
            description="空",
            upload=io.BytesIO(b""),
            filename="empty.bin",
        )
    assert not incident.evidence.exists()


def test_impossible_times_are_refused(komae):
    incident = triage(komae, report(komae))
    with pytest.raises(Invalid) as exc:
        response.record_action(
            incident,
            actor=komae.handler,
            expected_version=incident.version,
            phase="containment",
            description="隔離",
            taken_at=timezone.now() + timedelta(days=2),
        )
    assert "taken_at" in exc.value.fields
    with pytest.raises(Invalid):
        response.record_action(
            incident,
            actor=komae.handler,
            expected_version=incident.version,
            phase="nowhere",
            description="隔離",
        )


def test_timeline_shows_actions_by_phase_in_time_order(komae):
    incident = triage(komae, report(komae))
    act(komae, incident, "LANケーブルを抜いた")
    incident.refresh_from_db()
    response.record_action(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        phase="recovery",
        description="端末を再セットアップした",
    )
    timeline = build_timeline(incident, policy_of(incident))
    kinds = [e.kind for e in timeline]
    assert kinds[0] == "report" and kinds.count("action") == 2
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    assert {e.phase for e in timeline if e.kind == "action"} == {"containment", "recovery"}


def test_tasks_go_to_people_or_roles_and_are_done_by_them(komae):
    incident = triage(komae, report(komae))
    task = response.create_task(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        title="同じ脆弱性が他システムにないか確認",
        assignee_role="system_admin",
        due_at=timezone.now() + timedelta(days=3),
    )
    with pytest.raises(NotAllowed):
        response.complete_task(task, actor=komae.staff, result="x")
    task = response.complete_task(task, actor=komae.system_admin, result="該当なし")
    assert task.state == "done" and task.done_by == komae.system_admin


def test_a_task_needs_someone_to_do_it(komae):
    incident = triage(komae, report(komae))
    with pytest.raises(Invalid):
        response.create_task(incident, actor=komae.handler, expected_version=incident.version, title="確認")
    with pytest.raises(Invalid):
        response.create_task(
            incident,
            actor=komae.handler,
            expected_version=incident.version,
            title="確認",
            assignee_role="mayor",
        )


def test_script_in_staff_entered_text_is_rendered_inert(komae):
    from django.test import Client

    payload = '<script>alert("x")</script><b onmouseover=alert(1)>x</b>'
    incident = triage(komae, report(komae, description=payload))
    act(komae, incident, payload)
    incident.refresh_from_db()
    response.create_task(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        title=payload,
        assignee=komae.handler,
    )
    incident.refresh_from_db()
    response.add_evidence(
        incident, actor=komae.handler, expected_version=incident.version, description=payload
    )
    client = Client()
    sign_in(client, komae.csirt_manager)
    for url in (f"/incidents/{incident.pk}/", "/incidents/", "/"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<b onmouseover" not in page, url
        if url.endswith(f"{incident.pk}/"):
            assert "&lt;script&gt;alert" in page


def test_evidence_is_downloaded_only_through_the_checked_view_and_journaled(komae, settings, tmp_path):
    from django.test import Client

    from mamori.journal.models import JournalEntry

    settings.MEDIA_ROOT = tmp_path
    incident = triage(komae, report(komae))
    html = b"<html><script>alert(1)</script></html>"
    evidence = response.add_evidence(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        description="偽装ファイル",
        upload=io.BytesIO(html),
        filename="invoice.pdf",
    )
    url = f"/incidents/{incident.pk}/evidence/{evidence.pk}/file/"
    client = Client()
    sign_in(client, komae.handler)
    got = client.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == html
    assert got["Content-Type"] == "application/octet-stream" and got["Content-Disposition"].startswith(
        "attachment"
    )
    assert JournalEntry.objects.filter(action="evidence.downloaded", actor=komae.handler).count() == 1
    sign_in(client, komae.staff)
    assert client.get(url).status_code == 404
    assert JournalEntry.objects.filter(action="evidence.downloaded").count() == 1
