"""The forms of the systems register: one system's entry, its software list, and the Excel upload.

The classification fields are made from the policy's scheme (one choice per axis, its levels with
their labels), so a 重要度 I–IV organisation sees its own scheme and nothing else.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mamori.people.fields import ROLE_HOLDERS, PersonField
from mamori.people.models import Department
from mamori.policy.schema import PolicyDocument

from .information_assets import ASSET_FIELDS, AssetInput
from .models import AssetKind, InformationAsset, InformationSystem
from .services import SoftwareInput, SystemInput

CLASS_PREFIX = "class_"


def add_class_fields(form: forms.Form, policy: PolicyDocument) -> None:
    """One choice per axis of the policy's classification scheme, required where the policy says."""
    required = set(policy.asset_register.required_axes if policy.asset_register else [])
    for axis in policy.classification.axes if policy.classification else []:
        form.fields[CLASS_PREFIX + axis.key] = forms.ChoiceField(
            label=axis.label,
            required=axis.key in required,
            choices=[("", "—")] + [(lv.key, lv.label) for lv in axis.levels],
            error_messages={
                "required": gettext("Choose the %(axis)s class (the policy requires it).")
                % {"axis": axis.label}
            },
        )


def class_values(cleaned_data: dict[str, Any]) -> dict[str, str]:
    return {
        name.removeprefix(CLASS_PREFIX): value
        for name, value in cleaned_data.items()
        if name.startswith(CLASS_PREFIX) and value
    }


class SystemForm(forms.Form):
    code = forms.CharField(
        label=_("Register number"), max_length=30, help_text=_("管理番号: as in your own register.")
    )
    name = forms.CharField(label=pgettext_lazy("register entry", "Name"), max_length=200)
    purpose = forms.CharField(
        label=_("Business use"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner_department = forms.ModelChoiceField(
        label=_("Owner department"), queryset=Department.objects.none(), required=False
    )
    administrator = PersonField(label=_("System administrator"), required=False)
    operator = PersonField(label=_("System operator"), required=False)
    vendor = forms.CharField(label=_("Vendor"), max_length=200, required=False)
    vendor_contact = forms.CharField(label=_("Vendor contact"), max_length=200, required=False)
    location = forms.CharField(
        label=_("Location"),
        max_length=200,
        required=False,
        help_text=_("e.g. server room, data centre, cloud service"),
    )
    segment = forms.ChoiceField(label=_("Network segment"), required=False)
    personal_data = forms.BooleanField(label=_("Holds personal data"), required=False)
    personal_data_count = forms.IntegerField(label=_("Number of persons"), required=False, min_value=0)
    in_use = forms.BooleanField(label=_("In use"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, organization: Any, policy: PolicyDocument, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.fields["owner_department"].queryset = Department.objects.filter(organization=organization)  # type: ignore[attr-defined]
        for key in ("administrator", "operator"):
            field = self.fields[key]
            field.organization_id = organization.pk  # type: ignore[attr-defined]
            field.suggest_from(ROLE_HOLDERS)  # type: ignore[attr-defined]
        segments = policy.asset_register.segments if policy.asset_register else []
        segment_choices = [("", "—")] + [(s.key, s.label) for s in segments]
        self.fields["segment"].choices = segment_choices  # type: ignore[attr-defined]
        add_class_fields(self, policy)

    def class_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith(CLASS_PREFIX)]

    @classmethod
    def initial_of(cls, system: InformationSystem) -> dict[str, Any]:
        initial: dict[str, Any] = {
            key: getattr(system, key)
            for key in (
                "code",
                "name",
                "purpose",
                "owner_department",
                "administrator",
                "operator",
                "vendor",
                "vendor_contact",
                "location",
                "segment",
                "personal_data",
                "personal_data_count",
                "in_use",
                "notes",
                "version",
            )
        }
        initial.update({CLASS_PREFIX + k: v for k, v in system.classification.items()})
        return initial

    def system_input(self) -> SystemInput:
        d = self.cleaned_data
        return SystemInput(
            code=d["code"],
            name=d["name"],
            purpose=d["purpose"],
            owner_department=d["owner_department"],
            administrator=d["administrator"],
            operator=d["operator"],
            vendor=d["vendor"],
            vendor_contact=d["vendor_contact"],
            location=d["location"],
            segment=d["segment"],
            classification=class_values(d),
            personal_data=d["personal_data"],
            personal_data_count=d["personal_data_count"],
            in_use=d["in_use"],
            notes=d["notes"],
        )


class SoftwareForm(forms.Form):
    """The software list as lines of “product | version | publisher”: quick to paste from a spreadsheet."""

    lines = forms.CharField(
        label=_("Software"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "One product per line: product | version | publisher (a tab works too). Version and publisher may be left out."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @staticmethod
    def lines_of(system: InformationSystem) -> str:
        return "\n".join(
            " | ".join([s.product, s.version, s.publisher]).rstrip(" |") for s in system.software.all()
        )

    def items(self) -> list[SoftwareInput]:
        result = []
        for line in self.cleaned_data["lines"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("\t", "|").split("|")] + ["", ""]
            result.append(SoftwareInput(product=parts[0], version=parts[1], publisher=parts[2]))
        return result


class RegisterUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))


class AssetForm(forms.Form):
    code = forms.CharField(label=_("Register number"), max_length=30)
    name = forms.CharField(label=pgettext_lazy("register entry", "Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AssetKind.choices)
    owner_department = forms.ModelChoiceField(
        label=_("Owner department"), queryset=Department.objects.none(), required=False
    )
    manager = PersonField(label=_("Responsible manager"), required=False)
    location = forms.CharField(label=_("Where it is kept"), max_length=200, required=False)
    system = forms.ModelChoiceField(
        label=_("In the system"), queryset=InformationSystem.objects.none(), required=False
    )
    personal_data = forms.BooleanField(label=_("Holds personal data"), required=False)
    personal_data_count = forms.IntegerField(label=_("Number of persons"), required=False, min_value=0)
    in_use = forms.BooleanField(label=_("In use"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, organization: Any, policy: PolicyDocument, **kwargs: Any):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(organization=organization)
        self.fields["owner_department"].queryset = departments  # type: ignore[attr-defined]
        systems = InformationSystem.objects.filter(organization=organization, in_use=True)
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]
        self.fields["manager"].organization_id = organization.pk  # type: ignore[attr-defined]
        self.fields["manager"].suggest_from(ROLE_HOLDERS)  # type: ignore[attr-defined]
        add_class_fields(self, policy)

    @classmethod
    def initial_of(cls, asset: InformationAsset) -> dict[str, Any]:
        keys = [k for k in ASSET_FIELDS if k != "classification"] + ["version"]
        initial: dict[str, Any] = {key: getattr(asset, key) for key in keys}
        initial.update({CLASS_PREFIX + k: v for k, v in asset.classification.items()})
        return initial

    def asset_input(self) -> AssetInput:
        d = self.cleaned_data
        return AssetInput(
            **{key: d[key] for key in ASSET_FIELDS if key != "classification"}, classification=class_values(d)
        )
