"""What the yearly figures count, and how the response times are computed."""

import pytest

from mamori.conftest import make_org
from mamori.intake.choices import Channel
from mamori.statistics.figures import median, percentile, yearly_figures

from .steps import closed, contained, jst, merged, not_an_incident, reported, triaged

pytestmark = pytest.mark.django_db


def rows(breakdown) -> dict[str, int]:
    return {r.label: r.count for r in breakdown}


def test_an_incident_belongs_to_the_fiscal_year_of_its_report_in_japan_time(komae):
    last_minute = reported(komae, jst(2027, 3, 31, 23, 59))
    first_minute = reported(komae, jst(2027, 4, 1, 0, 0))
    assert (last_minute.fiscal_year, first_minute.fiscal_year) == (2026, 2027)

    fy2026 = yearly_figures(komae.organization, 2026)
    fy2027 = yearly_figures(komae.organization, 2027)
    assert (fy2026.incidents, fy2026.reports) == (1, 1)
    assert (fy2027.incidents, fy2027.reports) == (1, 1)
    # 2027-03-31 23:59 JST is 14:59 UTC: still March, the last row of FY2026.
    assert fy2026.by_month[-1].key == "2027-03"
    assert fy2026.by_month[-1].count == 1
    assert fy2027.by_month[0].key == "2027-04"
    assert fy2027.by_month[0].count == 1


def test_months_run_april_to_march_with_zeros(komae):
    reported(komae, jst(2026, 8, 10, 9))
    reported(komae, jst(2026, 8, 20, 9))
    reported(komae, jst(2027, 1, 5, 9))
    figures = yearly_figures(komae.organization, 2026)
    assert [r.label for r in figures.by_month] == [f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    assert [r.count for r in figures.by_month] == [0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0]
    assert figures.label == "令和8年度"
    assert str(figures.starts) == "2026-04-01"
    assert str(figures.ends) == "2027-03-31"


def test_era_of_a_fiscal_year_is_the_era_at_its_end(komae):
    assert yearly_figures(komae.organization, 2018).label == "平成30年度"
    assert yearly_figures(komae.organization, 2019).label == "令和元年度"
    assert yearly_figures(komae.organization, 2019, date_style="seireki").label == "2019年度"


def test_drills_are_left_out_of_every_figure(komae):
    real = reported(komae, jst(2026, 5, 1, 9))
    triaged(komae, real, jst(2026, 5, 1, 10), category="cyber_attack", level=2)
    drill = reported(komae, jst(2026, 5, 2, 9), channel=Channel.PHONE)
    triaged(komae, drill, jst(2026, 5, 2, 10), category="cyber_attack", level=3, is_drill=True)

    figures = yearly_figures(komae.organization, 2026)
    assert figures.incidents == 1
    assert figures.drills == 1
    assert figures.reports == 1
    assert sum(r.count for r in figures.by_month) == 1
    assert rows(figures.by_category)["外部からのサイバー攻撃"] == 1
    assert rows(figures.by_level)["レベル3"] == 0
    assert rows(figures.by_channel)[str(Channel.PHONE.label)] == 0
    assert figures.durations[0].n == 1


def test_not_incident_and_merged_are_counted_apart(komae):
    kept = reported(komae, jst(2026, 6, 1, 10))
    duplicate = reported(komae, jst(2026, 6, 1, 11))
    spam = reported(komae, jst(2026, 6, 2, 9))
    merged(komae, duplicate, kept, jst(2026, 6, 1, 12))
    not_an_incident(komae, spam, jst(2026, 6, 2, 10))

    figures = yearly_figures(komae.organization, 2026)
    assert figures.reports == 3  # every report received, whatever became of it
    assert figures.incidents == 1
    assert figures.not_incident == 1
    assert figures.merged == 1
    assert sum(r.count for r in figures.by_month) == 1
    # Neither is in the response times: the triage of a non-incident is not an incident's triage.
    assert [d.n for d in figures.durations] == [0, 0, 0]


def test_breakdowns_by_category_level_and_channel_of_the_first_report(komae):
    first = reported(komae, jst(2026, 7, 1, 9))
    triaged(komae, first, jst(2026, 7, 1, 10), category="system_outage", level=1)
    second = reported(komae, jst(2026, 7, 2, 9), channel=Channel.PHONE)
    triaged(komae, second, jst(2026, 7, 2, 10), category="loss_or_leak", level=3, restricted=True)
    reported(komae, jst(2026, 7, 3, 9), channel=Channel.MAIL)  # not yet triaged

    figures = yearly_figures(komae.organization, 2026)
    assert figures.incidents == 3  # the restricted one too: a count reveals nothing of it
    assert {r.key: r.count for r in figures.by_category} == {
        "cyber_attack": 0,
        "system_outage": 1,
        "loss_or_leak": 1,
        "other": 0,
        "": 1,  # not yet triaged, last
    }
    assert [r.label for r in figures.by_category][:4] == [
        "外部からのサイバー攻撃",
        "情報システムの停止等",
        "盗難・紛失・漏えい",
        "その他",
    ]
    levels = rows(figures.by_level)
    assert [levels[f"レベル{n}"] for n in range(4)] == [0, 1, 0, 1]
    channels = {r.key: r.count for r in figures.by_channel}
    assert channels[Channel.STAFF_FORM] == 1
    assert channels[Channel.PHONE] == 1
    assert channels[Channel.MAIL] == 1
    assert len(figures.by_channel) == len(Channel.choices)  # zeros included


def test_a_category_the_policy_no_longer_has_is_shown_by_its_key(komae):
    incident = reported(komae, jst(2026, 7, 1, 9))
    triaged(komae, incident, jst(2026, 7, 1, 10), category="other", level=0)
    type(incident).objects.filter(pk=incident.pk).update(category="retired_category")
    assert rows(yearly_figures(komae.organization, 2026).by_category)["retired_category"] == 1


def test_another_organisations_incidents_are_never_counted(komae):
    mutsu = make_org("mutsu")
    reported(mutsu, jst(2026, 9, 1, 9))
    assert yearly_figures(komae.organization, 2026).incidents == 0
    assert yearly_figures(komae.organization, 2026).reports == 0
    assert yearly_figures(mutsu.organization, 2026).incidents == 1


def test_response_times_median_and_90th_percentile_in_hours(komae):
    """Four incidents triaged after 1, 2, 3 and 4 hours; two contained after 5 and 7; one closed after 10."""
    incidents = []
    for day, hours in enumerate((1, 2, 3, 4), start=1):
        incident = reported(komae, jst(2026, 10, day, 9))
        incidents.append(triaged(komae, incident, jst(2026, 10, day, 9 + hours), level=1))
    contained(komae, incidents[0], jst(2026, 10, 1, 14))
    contained(komae, incidents[1], jst(2026, 10, 2, 16))
    closed(komae, incidents[0], jst(2026, 10, 1, 19))

    triage, containment, closure = yearly_figures(komae.organization, 2026).durations
    assert (triage.key, triage.n, triage.median_hours, triage.p90_hours) == ("triage", 4, 2.5, 4.0)
    assert (containment.n, containment.median_hours, containment.p90_hours) == (2, 6.0, 7.0)
    assert (closure.n, closure.median_hours, closure.p90_hours) == (1, 10.0, 10.0)


def test_response_times_run_from_the_earliest_report_even_one_merged_in(komae):
    earlier = reported(komae, jst(2026, 11, 1, 9), channel=Channel.PHONE)
    later = reported(komae, jst(2026, 11, 1, 10))
    merged(komae, earlier, later, jst(2026, 11, 1, 10, 30))
    triaged(komae, later, jst(2026, 11, 1, 12), level=1)

    figures = yearly_figures(komae.organization, 2026)
    assert figures.durations[0].median_hours == 3.0  # from 9:00, the phone call, not 10:00
    assert {r.key: r.count for r in figures.by_channel}[Channel.PHONE] == 1


def test_no_incidents_means_no_times_rather_than_zero(komae):
    figures = yearly_figures(komae.organization, 2026)
    assert figures.incidents == 0
    assert all(d.n == 0 and d.median_hours is None and d.p90_hours is None for d in figures.durations)


def test_percentile_is_nearest_rank():
    ten = [float(v) for v in range(10, 0, -1)]  # unsorted on purpose
    assert percentile(ten, 90) == 9.0  # rank ⌈0.9 × 10⌉ = 9
    assert percentile(ten, 100) == 10.0
    assert percentile([1, 2, 3, 4, 10], 90) == 10.0  # rank ⌈4.5⌉ = 5
    assert percentile([1, 2, 3, 4], 90) == 4.0  # rank ⌈3.6⌉ = 4
    assert percentile([7], 90) == 7.0
    assert percentile(list(range(1, 21)), 90) == 18.0  # rank 18 exactly, no rounding up to 19
    assert percentile([], 90) is None
    with pytest.raises(ValueError):
        percentile([1], 0)


def test_median_of_even_count_is_the_mean_of_the_middle_two():
    assert median([4, 1, 3, 2]) == 2.5
    assert median([5, 1, 3]) == 3.0
    assert median([]) is None
