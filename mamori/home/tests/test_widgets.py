"""mamori/widgets.py's Select writes what Django's own Select writes, only faster."""

import re

import pytest
from django import forms

from mamori.widgets import Select

CHOICES = [("", "すべて"), ("open", "対応中"), ("x<&", "記号 <b>&amp;"), (3, "レベル3")]
GROUPED = [("", "—"), ("地震", [("eq6", "震度6弱以上"), ("eq5", "震度5強")]), ("other", "その他")]


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("choices", [CHOICES, GROUPED])
@pytest.mark.parametrize("value", [None, "", "open", "x<&", 3, "eq5", "missing"])
@pytest.mark.parametrize("required", [False, True])
def test_same_html_as_django(choices, value, required):
    def form(widget):
        class F(forms.Form):
            f = forms.ChoiceField(choices=choices, required=required, widget=widget)

        return F({"f": value} if value is not None else {})

    ours, django = form(Select)["f"], form(forms.Select)["f"]
    assert normalised(ours) == normalised(django)
