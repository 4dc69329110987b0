from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.assets.models import InformationSystem
from mamori.people.fields import PersonField
from mamori.people.models import Department
from mamori.policy.schema_registers import OutsourcingSpec


class ContractForm(forms.Form):
    title = forms.CharField(label=_("Work outsourced"), max_length=200)
    vendor = forms.CharField(label=_("Vendor"), max_length=200)
    manager = PersonField(label=_("Managed by"))
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    systems = forms.ModelMultipleChoiceField(
        label=_("Information systems"),
        queryset=InformationSystem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    important_information = forms.BooleanField(label=_("Handles important information"), required=False)
    nda = forms.BooleanField(label=_("Non-disclosure agreement signed"), required=False)
    clauses = forms.MultipleChoiceField(
        label=_("Security clauses in the contract"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, spec: OutsourcingSpec, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["manager"].organization_id = organization_id  # type: ignore[attr-defined]
        departments = Department.objects.filter(organization_id=organization_id)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        systems = InformationSystem.objects.filter(organization_id=organization_id, in_use=True)
        self.fields["systems"].queryset = systems  # type: ignore[attr-defined]
        clauses = [(item.key, item.text) for item in spec.contract_items]
        self.fields["clauses"].choices = clauses  # type: ignore[attr-defined]


class CheckForm(forms.Form):
    checked_on = forms.DateField(label=_("Checked on"), widget=forms.DateInput(attrs={"type": "date"}))
    compliant = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Complies")), ("0", _("Shortcomings found"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("What was checked"), widget=forms.Textarea(attrs={"rows": 2}))
    measures = forms.CharField(
        label=_("Measures taken"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=forms.DateInput(attrs={"type": "date"}))
    confirmed = forms.MultipleChoiceField(
        label=_("Confirmed"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, spec: OutsourcingSpec, **kwargs: Any):
        super().__init__(*args, **kwargs)
        items = [(item.key, item.text) for item in spec.end_items]
        self.fields["confirmed"].choices = items  # type: ignore[attr-defined]


class CloudForm(forms.Form):
    service = forms.CharField(label=_("Cloud service"), max_length=200)
    provider = forms.CharField(label=_("Provider"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}))
    information = forms.CharField(
        label=_("Information handled, and its classification"), widget=forms.Textarea(attrs={"rows": 2})
    )
    data_location = forms.CharField(label=_("Where the data is kept (country or region)"), max_length=200)
    system = forms.ModelChoiceField(
        label=_("Information system"), queryset=InformationSystem.objects.none(), required=False
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        systems = InformationSystem.objects.filter(organization_id=organization_id, in_use=True)
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]


class CloudDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the use")), ("reject", _("Do not approve"))],
        widget=forms.RadioSelect,
    )
    cloud_manager = PersonField(label=_("Cloud service manager"), required=False)
    note = forms.CharField(
        label=_("Conditions or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["cloud_manager"].organization_id = organization_id  # type: ignore[attr-defined]
