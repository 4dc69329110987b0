"""Importing people from CSV: dry run, row errors, encodings, all-or-nothing, updates, deputies."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from mamori.conftest import sign_in
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.people import csv_import
from mamori.people.csv_import import ImportFileError, import_people
from mamori.people.models import Assignment, Department, Role, User
from mamori.people.services import update_person

ACTOR = "test import"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def errors_of(result) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in result.errors}


def test_dry_run_reports_row_errors_and_saves_nothing(komae):
    people, journal = User.objects.count(), JournalEntry.objects.count()
    data = csv_bytes(
        "username,display_name,employee_number,email,roles",
        "sato,佐藤 一郎,0001,sato@komae.example,handler:1",  # row 2: fine
        "suzuki,鈴木 花子,0002,not-an-email,",  # row 3: bad email
        "tanaka,田中 次郎,0001,,",  # row 4: staff number of row 2
        "sato,佐藤 二郎,,,",  # row 5: user name of row 2
        "ito,伊藤 三郎,,,no_such_role",  # row 6: unknown role
        "kato,加藤 四郎,,,csirt_head:0",  # row 7: the holder's place is taken
        "yamada,,,,",  # row 8: a new person needs a name
        "abe,阿部 五郎,,,handler:1",  # row 9: row 2 took handler 1
        "komae-staff,,,,",  # row 10: an existing person, nothing to change: fine
    )
    result = import_people(komae.organization, data, actor=ACTOR, dry_run=True)
    assert errors_of(result) == {
        (3, "email"),
        (4, "employee_number"),
        (5, "username"),
        (6, "roles"),
        (7, "roles"),
        (8, "display_name"),
        (9, "roles"),
    }
    assert "komae-csirt_head" in next(e.message for e in result.errors if e.row == 7)
    assert not result.saved
    assert (User.objects.count(), JournalEntry.objects.count()) == (people, journal)


def test_dry_run_of_a_good_file_plans_but_saves_nothing(komae):
    data = csv_bytes("username,display_name,department,roles", "sato,佐藤 一郎,総務課,handler:1")
    result = import_people(komae.organization, data, actor=ACTOR, dry_run=True)
    assert result.errors == [] and not result.saved
    assert [(r.username, r.action) for r in result.rows] == [("sato", "create")]
    assert result.new_departments == ["総務課"]
    assert not User.objects.filter(username="sato").exists()
    assert not Department.objects.filter(name="総務課").exists()


def test_cp932_file_with_japanese_headers_imports(komae):
    data = csv_bytes(
        "ユーザー名,氏名,職員番号,メールアドレス,電話番号,所属,職,役割",
        "ｓａｔｏ,佐藤 一郎,０１２３,sato@komae.example,内線2001,総務部情報政策課,主査,handler:1",
        encoding="cp932",
    )
    result = import_people(komae.organization, data, actor=ACTOR, dry_run=False)
    assert result.errors == [] and result.saved
    sato = User.objects.get(username="sato")  # full-width letters folded
    assert (sato.display_name, sato.employee_number, sato.phone, sato.post) == (
        "佐藤 一郎",
        "0123",
        "内線2001",
        "主査",
    )
    assert sato.department.name == "総務部情報政策課"
    assert sato.department.organization == komae.organization
    assert sato.organization == komae.organization
    assert not sato.has_usable_password()
    assert Assignment.objects.get(person=sato).order == 1
    actions = list(JournalEntry.objects.order_by("seq").values_list("action", flat=True))[-4:]
    assert actions == ["department.created", "person.created", "role.assigned", "people.imported"]
    assert verify_chain()[1] is None


def test_utf8_with_bom_and_english_headers(komae):
    data = b"\xef\xbb\xbf" + csv_bytes("Username,Display Name", "sato,佐藤 一郎")
    assert import_people(komae.organization, data, actor=ACTOR, dry_run=False).saved
    assert User.objects.filter(username="sato", display_name="佐藤 一郎").exists()


def test_one_bad_row_imports_nothing(komae):
    people, journal = User.objects.count(), JournalEntry.objects.count()
    data = csv_bytes(
        "username,display_name,department,roles",
        "sato,佐藤 一郎,総務課,handler:1",
        "suzuki,鈴木 花子,総務課,handler:x",
    )
    result = import_people(komae.organization, data, actor=ACTOR, dry_run=False)
    assert errors_of(result) == {(3, "roles")}
    assert not result.saved
    assert (User.objects.count(), JournalEntry.objects.count()) == (people, journal)
    assert not Department.objects.filter(name="総務課").exists()


def test_reimport_updates_instead_of_duplicating(komae):
    first = csv_bytes("username,display_name,phone,roles", "sato,佐藤 一郎,内線1,handler:1")
    import_people(komae.organization, first, actor=ACTOR, dry_run=False)
    people = User.objects.count()
    second = csv_bytes(
        "username,display_name,phone,department,roles", "sato,佐藤 一郎,内線2,総務課,handler:1;poc"
    )
    result = import_people(komae.organization, second, actor=ACTOR, dry_run=False)
    assert result.saved and result.updated == 1 and result.created == 0
    assert User.objects.count() == people
    sato = User.objects.get(username="sato")
    assert (sato.phone, sato.department.name) == ("内線2", "総務課")
    assert set(Assignment.objects.filter(person=sato).values_list("role__key", "order")) == {
        ("handler", 1),
        ("poc", 1),
    }
    updated = JournalEntry.objects.filter(action="person.updated", object_id=str(sato.pk)).get()
    assert updated.data["phone"] == ["内線1", "内線2"]
    # A third time changes nothing: empty cells keep what is stored.
    third = csv_bytes("username,display_name,phone,roles", "sato,,,handler")
    result = import_people(komae.organization, third, actor=ACTOR, dry_run=True)
    assert [r.action for r in result.rows] == ["unchanged"] and result.errors == []


def test_assignments_keep_the_deputies_order(komae):
    data = csv_bytes(
        "username,display_name,roles",
        "third,三番手,handler",  # no order: after every explicit one
        "first,一番手,handler:1;csirt_manager:2",
        "second,二番手,handler:2",
    )
    assert import_people(komae.organization, data, actor=ACTOR, dry_run=False).saved
    handler = Role.objects.get(organization=komae.organization, key="handler")
    line = list(
        Assignment.objects.filter(role=handler).order_by("order").values_list("order", "person__username")
    )
    assert line == [(0, "komae-handler"), (1, "first"), (2, "second"), (3, "third")]


def test_existing_holder_order_clash_and_other_organisation(komae, outsider):
    data = csv_bytes(
        "username,display_name,roles",
        "komae-handler,,handler:2",  # already holder (0) of handler
        f"{outsider.username},誰か,",  # a person of mutsu
        "KOMAE-STAFF,職員,",  # differs from komae-staff only in case
    )
    result = import_people(komae.organization, data, actor=ACTOR, dry_run=True)
    assert errors_of(result) == {(2, "roles"), (3, "username"), (4, "username")}


def test_staff_number_of_another_person_in_the_database(komae):
    update_person(komae.staff, actor=ACTOR, employee_number="0099")
    data = csv_bytes("username,display_name,職員番号", "sato,佐藤 一郎,0099", "komae-staff,,0099")
    result = import_people(komae.organization, data, actor=ACTOR, dry_run=True)
    assert errors_of(result) == {(2, "職員番号"), (3, "職員番号")}


@pytest.mark.parametrize(
    "data",
    [
        b"\x82\xa0\xff\xfe\x00\x81",  # neither UTF-8 nor CP932
        b"name,mail\r\nsato,x\r\n",  # unknown columns, no username
        b"",
    ],
)
def test_unusable_files_are_refused_whole(komae, data):
    with pytest.raises(ImportFileError):
        import_people(komae.organization, data, actor=ACTOR, dry_run=True)


def test_size_caps(komae, monkeypatch):
    with pytest.raises(ImportFileError):
        import_people(
            komae.organization, b"username\r\n" + b"a" * csv_import.MAX_BYTES, actor=ACTOR, dry_run=True
        )
    monkeypatch.setattr(csv_import, "MAX_ROWS", 2)
    with pytest.raises(ImportFileError) as e:
        import_people(komae.organization, csv_bytes("username", "a", "b", "c"), actor=ACTOR, dry_run=True)
    assert "2" in e.value.messages[0]


def test_management_command(komae, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("username,氏名,役割", "sato,佐藤 一郎,poc:1", encoding="cp932"))
    call_command("import_people", str(path), "--organization", "komae", "--dry-run")
    assert not User.objects.filter(username="sato").exists()
    call_command("import_people", str(path), "--organization", "komae")
    assert User.objects.get(username="sato").assignment_set.get().role.key == "poc"
    path.write_bytes(csv_bytes("username,氏名,役割", "suzuki,鈴木,nope"))
    with pytest.raises(CommandError):
        call_command("import_people", str(path), "--organization", "komae")
    assert not User.objects.filter(username="suzuki").exists()


# The page ---------------------------------------------------------------------------------------


def make_staff(person) -> None:
    update_person(person, actor=ACTOR, is_staff=True)


def test_import_page_refuses_staff_without_the_right(client, komae):
    make_staff(komae.staff)  # staff, but no role granted view_all
    sign_in(client, komae.staff)
    assert client.get(reverse("people:import")).status_code == 403
    sign_in(client, komae.handler)  # view_all, but not staff
    assert client.get(reverse("people:import")).status_code == 403
    assert "people:import" not in client.get(reverse("people:list")).content.decode()


def test_import_page_dry_run_then_confirm(client, komae):
    make_staff(komae.csirt_manager)
    sign_in(client, komae.csirt_manager)
    assert reverse("people:import") in client.get(reverse("people:list")).content.decode()
    upload = csv_bytes("username,氏名,所属,役割", "sato,佐藤 一郎,総務課,handler:1", encoding="cp932")

    response = client.post(reverse("people:import"), {"file": SimpleUploadedFile("people.csv", upload)})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.errors == [] and not User.objects.filter(username="sato").exists()
    response = client.post(reverse("people:import"), {"sha256": result.sha256})
    assert response.status_code == 302
    sato = User.objects.get(username="sato")
    assert sato.department.name == "総務課" and not sato.has_usable_password()
    entry = JournalEntry.objects.get(action="people.imported")
    assert entry.actor == komae.csirt_manager
    # The same confirmation cannot be replayed.
    response = client.post(reverse("people:import"), {"sha256": result.sha256})
    assert response.status_code == 302 and JournalEntry.objects.filter(action="people.imported").count() == 1


def test_import_page_shows_row_errors(client, komae):
    make_staff(komae.csirt_manager)
    sign_in(client, komae.csirt_manager)

    upload = SimpleUploadedFile("people.csv", csv_bytes("username,display_name,email", "sato,佐藤,bad"))
    response = client.post(reverse("people:import"), {"file": upload})
    assert errors_of(response.context["result"]) == {(2, "email")}
    assert 'name="sha256"' not in response.content.decode()


def test_import_page_renders_for_a_superuser_without_organisation(client, komae):
    root = User.objects.create_superuser("root", password="x-very-long-password")  # as createsuperuser does
    sign_in(client, root)
    response = client.get(reverse("people:import"))
    assert response.status_code == 200 and 'name="organization"' in response.content.decode()
    upload = SimpleUploadedFile("people.csv", csv_bytes("username,display_name", "sato,佐藤"))
    response = client.post(reverse("people:import"), {"file": upload, "organization": komae.organization.pk})
    response = client.post(reverse("people:import"), {"sha256": response.context["result"].sha256})
    assert User.objects.get(username="sato").organization == komae.organization
