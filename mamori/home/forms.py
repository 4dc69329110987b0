from django import forms

from mamori.people.models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["date_style", "language"]
        widgets = {"language": forms.Select(choices=[("ja", "日本語"), ("en", "English")])}
