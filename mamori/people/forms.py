"""Forms of the people pages and the administration pages. They parse input; services change state."""

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .csv_import import MAX_BYTES
from .models import Assignment, Department, Organization, User


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 or Shift_JIS (Excel's “CSV”), at most 2 MB and 5,000 rows, first row = column names."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())

    def __init__(self, *args: Any, ask_organization: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if ask_organization:
            cast(
                forms.ModelChoiceField, self.fields["organization"]
            ).queryset = Organization.objects.order_by("name")
        else:
            del self.fields["organization"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB."), params={"size": MAX_BYTES // 1024 // 1024}
            )
        return upload


class ConfirmImportForm(forms.Form):
    """Names the checked file (kept in the session) by its SHA-256, so exactly that file is imported."""

    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


def _check_organization(form: forms.ModelForm, organization: Organization | None, *fields: str) -> None:
    for name in fields:
        value = form.cleaned_data.get(name)
        if value is not None and organization is not None and value.organization_id != organization.pk:
            form.add_error(name, _("Choose one of the same organisation."))


class PersonAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "display_name", "organization", "department", "employee_number", "email")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organization"].required = True
        self.fields["display_name"].required = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        _check_organization(self, cleaned.get("organization"), "department")
        return cleaned


class PersonChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = (
            "username",
            "password",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "employee_number",
            "phone",
            "organization",
            "department",
            "post",
            "date_style",
            "language",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        organization = cleaned.get("organization", self.instance.organization)
        _check_organization(self, organization, "department")
        return cleaned


class PersonPasswordForm(AdminPasswordChangeForm):
    """Leaves the saving to ``PersonAdmin``, which calls ``services.set_password`` (journaled)."""

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data["set_usable_password"]
        # A one-element tuple: (None,) asks for an unusable password, a missing attribute for nothing.
        self.user._mamori_new_password = (self.cleaned_data["password1"] if usable else None,)
        return self.user


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("organization", "name", "parent")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        _check_organization(self, cleaned.get("organization"), "parent")
        parent = cleaned.get("parent")
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            self.add_error("parent", _("A department cannot be its own parent."))
        return cleaned


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ("role", "person", "order", "post")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        role = cleaned.get("role") or getattr(self.instance, "role", None)
        # In an inline, or when read-only, role and person are on the instance, not in the form.
        person = cleaned.get("person") or getattr(self.instance, "person", None)
        if role is not None and person is not None and role.organization_id != person.organization_id:
            self.add_error("role", _("The role and the person must belong to the same organisation."))
        if role is not None and not role.active and (self.instance.pk is None or "role" in self.changed_data):
            # Existing assignments of a retired role stay editable; new ones are refused.
            self.add_error("role", _("This role is no longer in the active policy."))
        return cleaned
