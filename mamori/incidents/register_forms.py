"""Forms of the register import: the upload, the sheet and header row, the column mapping, the confirmation."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .register_export import COLUMNS
from .register_sheet import MAX_BYTES, MAX_HEADER_ROW, Sheet

REQUIRED_FIELDS = ("title", "opened_at")


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_("The register kept in Excel, at most 10 MB and 5,000 rows."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _(
                    "Choose an Excel workbook (.xlsx). Other files (.xls, .csv, .xlsm) must first be saved from Excel as “Excel Workbook (.xlsx)”."
                )
            )
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB."), params={"size": MAX_BYTES // 1024 // 1024}
            )
        return upload


class SheetForm(forms.Form):
    """Which worksheet holds the register, and in which row its headers are."""

    sheet = forms.ChoiceField(label=_("Worksheet"))
    header_row = forms.IntegerField(
        label=_("Header row"),
        min_value=1,
        max_value=MAX_HEADER_ROW,
        help_text=_("The row that names the columns; the rows below it are imported."),
    )

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any):
        kwargs.setdefault("initial", {"sheet": sheet.name, "header_row": sheet.header_row})
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(n, n) for n in sheet.names]  # type: ignore[attr-defined]


class ColumnMappingForm(forms.Form):
    """For each Mamori field, the column of the sheet it is read from (or none)."""

    sheet = forms.CharField(widget=forms.HiddenInput, max_length=200)
    header_row = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_HEADER_ROW)

    def __init__(self, *args: Any, sheet: Sheet, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source = sheet
        choices = [("", _("(not imported)"))] + [
            (letter, f"{letter}: {text}") for letter, text in sheet.headers
        ]
        for column in COLUMNS:
            if column.importable:
                self.fields[f"field_{column.key}"] = forms.ChoiceField(
                    label=column.label, required=column.key in REQUIRED_FIELDS, choices=choices
                )

    def mapping_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("field_")]

    def clean_sheet(self) -> str:
        name = self.cleaned_data["sheet"]
        if name != self.source.name:
            raise forms.ValidationError(_("The worksheet changed; choose the columns again."))
        return name

    def clean_header_row(self) -> int:
        number = self.cleaned_data["header_row"]
        if number != self.source.header_row:
            raise forms.ValidationError(_("The header row changed; choose the columns again."))
        return number

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        used: dict[str, str] = {}
        for name in list(self.fields):
            letter = cleaned.get(name) if name.startswith("field_") else None
            if not letter:
                continue
            if letter in used:
                self.add_error(
                    name,
                    _("Column %(letter)s is already chosen for “%(field)s”.")
                    % {"letter": letter, "field": self.fields[used[letter]].label},
                )
            used[letter] = name
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("field_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("field_") and value
        }


class ConfirmImportForm(forms.Form):
    """Names the checked file and mapping (kept on the server) by a digest, so exactly that is imported."""

    digest = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
