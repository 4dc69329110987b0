"""The SVG charts: well-formed, accessible, escaped, and without inline style (CSP)."""

import xml.etree.ElementTree as ET

from mamori.statistics.charts import bar_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
ROWS = [("4月", 3), ("外部からのサイバー攻撃", 12), ("<script>alert(1)</script> & 株式会社", 0)]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 -- our own markup, parsed to prove it is well-formed


def test_chart_is_well_formed_svg_with_title_description_and_every_label():
    markup = bar_chart(ROWS, title="月別件数 令和8年度", value_text="%(value)s件", chart_id="chart-month")
    svg = parse(markup)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-month-title chart-month-desc"
    assert svg.find(f"{SVG}title").text == "月別件数 令和8年度"
    desc = svg.find(f"{SVG}desc").text
    assert "4月: 3件" in desc and "外部からのサイバー攻撃: 12件" in desc
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "4月" in texts and "外部からのサイバー攻撃" in texts
    assert "12" in texts  # the value label of the longest bar
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    assert [float(r.get("width")) for r in bars][2] == 0
    assert float(bars[1].get("width")) > float(bars[0].get("width"))


def test_labels_are_escaped_not_markup():
    markup = bar_chart(ROWS, title="<b>題</b>", chart_id="c")
    assert "<script>" not in markup and "<b>" not in markup
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == "<b>題</b>"
    assert any("<script>alert(1)</script> & 株式会社" in (t.text or "") for t in svg.iter(f"{SVG}title"))


def test_no_inline_style_anywhere():
    svg = parse(bar_chart(ROWS, title="t", chart_id="c"))
    assert all("style" not in el.attrib for el in svg.iter())
    assert not list(svg.iter(f"{SVG}style"))


def test_axis_ticks_are_round_numbers_covering_the_largest_value():
    svg = parse(bar_chart(ROWS, title="t", chart_id="c"))
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert ticks == ["0", "5", "10", "15"]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(100) == [0, 20, 40, 60, 80, 100]


def test_an_empty_chart_is_still_valid():
    svg = parse(bar_chart([], title="t", chart_id="c"))
    assert svg.get("role") == "img"


def test_a_long_label_is_shortened_on_the_chart_but_whole_in_its_tooltip():
    long = "とても長い分類の名前が入る場合でも表示が崩れないこと"
    svg = parse(bar_chart([(long, 1)], title="t", chart_id="c"))
    shown = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert shown[0].endswith("…") and shown[0] != long
    assert any(long in (t.text or "") for t in svg.iter(f"{SVG}title"))
