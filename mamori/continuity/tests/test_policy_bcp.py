"""The plan's section of a policy file (bcp): katsushika's as the seed says, and bad ones refused with
the line and the problem in Japanese."""

import pytest

from mamori.policy.loader import PolicyInvalid, parse_policy, preset_path, read_policy_file

KATSUSHIKA = read_policy_file(preset_path("katsushika"))


def errors_of(text: str) -> list:
    with pytest.raises(PolicyInvalid) as exc:
        parse_policy(text)
    return exc.value.errors


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_katsushika_encodes_the_convening_rules_of_5_1():
    plan = parse_policy(KATSUSHIKA).bcp
    assert plan is not None
    quake = plan.kind("earthquake")
    assert [(r.min_intensity, r.headquarters, r.convene, r.share_percent) for r in quake.convening] == [
        ("6-", False, "all", None),
        ("5+", True, "share", 40),
    ]
    assert [(r.headquarters, r.convene) for r in plan.kind("flood").convening] == [(True, "all")]
    assert plan.kind("security_event").convening[0].convene == "decided"
    assert [t.role for t in plan.teams] == ["liaison_team", "infrastructure_team", "business_system_team"]
    assert plan.command_role == "system_admin"
    # Every rule says its article or why it has none.
    rules = [plan, plan.rollcall, plan.recovery, *plan.teams, *plan.kinds, *plan.recovery.priorities]
    rules += [r for k in plan.kinds for r in k.convening]
    assert all(r.basis or r.note for r in rules)


def test_a_share_without_its_percentage_names_the_line():
    text = KATSUSHIKA.replace("convene: share, share_percent: 40,", "convene: share,")
    (error,) = errors_of(text)
    assert error.line == line_of(text, 'min_intensity: "5+"')
    assert "share_percent" in error.message


def test_unknown_roles_teams_and_classes_are_named():
    text = KATSUSHIKA.replace("  command_role: system_admin", "  command_role: it_manager")
    text = text.replace(
        "role: liaison_team\n      basis: ICT-BCP 4(2)", "role: liaison\n      basis: ICT-BCP 4(2)"
    )
    text = text.replace('classes: ["1"]', 'classes: ["3"]')
    text = text.replace(
        "- {convene: decided, basis: ICT-BCP 5(1)ア(ウ)}", "- {convene: teams, teams: [network], basis: x}"
    )
    messages = {e.path: e.message for e in errors_of(text)}
    assert "it_manager" in messages["bcp.command_role"]
    assert "liaison" in messages["bcp.teams[0].role"]
    assert "3" in messages["bcp.recovery.priorities[1].classes[0]"]
    assert "network" in messages["bcp.kinds[2].convening[0].teams[0]"]
    assert all(
        any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in m) for m in messages.values()
    )


def test_an_intensity_on_a_kind_without_one_is_refused():
    text = KATSUSHIKA.replace(
        "- {headquarters: true, convene: all, basis: ICT-BCP 5(1)ア(イ)}",
        '- {min_intensity: "5+", convene: all, basis: x}',
    )
    (error,) = errors_of(text)
    assert error.path == "bcp.kinds[1].convening[0].min_intensity"


def test_an_emergency_exercise_needs_the_plan():
    text = KATSUSHIKA[: KATSUSHIKA.index("\nbcp:")] + "\n"
    errors = errors_of(text)
    assert [e.path for e in errors] == [f"training.exercises[{i}].emergency" for i in range(3)]
    assert errors[0].line == line_of(text, "key: tabletop")
