from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.incidents.forms import DateTimeInput


class AbsenceForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Until"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=200)
