"""A bad policy file gets errors naming the line and the problem, and changes nothing."""

import io

import pytest
from django.core.management import CommandError, call_command

from mamori.policy.loader import PolicyInvalid, parse_policy, preset_names, preset_path, read_policy_file
from mamori.policy.models import PolicyVersion
from mamori.policy.services import load_policy

KOMAE = read_policy_file(preset_path("komae"))


def errors_of(text: str) -> list:
    with pytest.raises(PolicyInvalid) as exc:
        parse_policy(text)
    return exc.value.errors


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("name", ["komae", "mutsu", "tatebayashi", "katsushika", "edogawa"])
def test_every_preset_is_valid_and_cites_its_basis(name):
    doc = parse_policy(read_policy_file(preset_path(name)))
    assert doc.organization.key == name
    rules = [
        *doc.roles,
        *doc.levels,
        *doc.categories,
        *doc.phases,
        *doc.permissions.values(),
        *doc.outside_bodies,
    ]
    # Every rule cites an article, or says why it has none.
    assert all(r.basis or r.note for r in rules)


def test_all_five_presets_ship():
    assert set(preset_names()) >= {"komae", "mutsu", "tatebayashi", "katsushika", "edogawa"}


def test_broken_yaml_names_the_line():
    text = KOMAE.replace("  key: komae\n", "  key: [komae\n", 1)
    [error] = errors_of(text)
    assert error.line is not None and "YAML" in error.message


def test_duplicate_key_names_both_lines():
    text = KOMAE.replace("  name: 狛江市\n", "  name: 狛江市\n  name: 狛江\n", 1)
    errors = errors_of(text)
    first = line_of(text, "  name: 狛江市")
    assert any(
        e.line == first + 1 and str(first) in e.message and e.path == "organization.name" for e in errors
    )


def test_unknown_role_is_named_with_its_line():
    text = KOMAE.replace("decided_by: csirt_head\n  consult:", "decided_by: mayor\n  consult:", 1)
    [error] = errors_of(text)
    assert "mayor" in error.message
    assert error.path == "publication.decided_by"
    assert error.line == line_of(text, "decided_by: mayor")


def test_level_without_criteria():
    text = KOMAE.replace(
        "    criteria: インシデントにより発生した，又は今後発生し得る市民生活及び行政運営への被害が軽微であると判断した場合\n",
        "",
        1,
    )
    [error] = errors_of(text)
    assert error.path == "levels[1].criteria"
    # Reported at the level it belongs to.
    assert error.line == line_of(text, "- value: 1")


def test_wrong_type_is_reported():
    text = KOMAE.replace("  - value: 2\n", "  - value: two\n", 1)
    [error] = errors_of(text)
    assert error.path == "levels[2].value"
    assert error.line == line_of(text, "value: two")


def test_basis_null_needs_a_note():
    text = KOMAE.replace("    basis: 要綱第2条第1号\n", "    basis: null\n", 1)
    [error] = errors_of(text)
    assert error.path.startswith("categories[3]")


def test_unknown_item_is_refused():
    text = KOMAE.replace("  kind: municipality\n", "  kind: municipality\n  mayor: 松原俊雄\n", 1)
    [error] = errors_of(text)
    assert error.path == "organization.mayor"


def test_messages_are_japanese(settings):
    from django.utils import translation

    with translation.override("ja"):
        text = KOMAE.replace("decided_by: csirt_head\n  consult:", "decided_by: mayor\n  consult:", 1)
        [error] = errors_of(text)
    assert "不明" in error.message or "ロール" in error.message or "役割" in error.message


def test_empty_and_non_mapping_files():
    assert errors_of("")[0].line is None
    assert errors_of("- a\n- b\n")[0].line == 1


@pytest.mark.django_db
def test_bad_file_changes_nothing(komae):
    before = PolicyVersion.objects.count()
    with pytest.raises(PolicyInvalid):
        load_policy(
            KOMAE.replace("decided_by: csirt_head\n  consult:", "decided_by: mayor\n  consult:"),
            actor=komae.csirt_manager,
            source_name="bad.yaml",
        )
    assert PolicyVersion.objects.count() == before
    assert PolicyVersion.objects.get(is_active=True).version == 1


@pytest.mark.django_db
def test_versions_record_who_loaded_what(komae):
    same = load_policy(KOMAE, actor=komae.csirt_manager, source_name="again")
    assert not same.created and same.version.version == 1
    changed = KOMAE.replace("平日 午前8時30分から午後5時15分まで", "平日 午前8時30分から午後5時まで")
    result = load_policy(changed, actor=komae.csirt_manager, source_name="komae-2026.yaml")
    assert result.created and result.version.version == 2
    assert result.version.loaded_by == komae.csirt_manager
    assert list(PolicyVersion.objects.filter(organization=komae.organization, is_active=True)) == [
        result.version
    ]


@pytest.mark.django_db
def test_check_policy_command(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(KOMAE, encoding="utf-8")
    call_command("check_policy", str(good))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        KOMAE.replace("decided_by: csirt_head\n  consult:", "decided_by: mayor\n  consult:"), encoding="utf-8"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_policy", str(bad), stderr=err)
    line = line_of(bad.read_text(encoding="utf-8"), "decided_by: mayor")
    assert f"{line}" in err.getvalue() and "mayor" in err.getvalue()
    assert not PolicyVersion.objects.exists()


@pytest.mark.django_db
def test_load_policy_command_by_preset_and_file(tmp_path):
    call_command("load_policy", preset="mutsu")
    assert PolicyVersion.objects.get(organization__key="mutsu").version == 1
    with pytest.raises(CommandError):
        call_command("load_policy", preset="nowhere")
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CommandError):
        call_command("load_policy", str(path))
