from django import forms
from django.contrib.auth.forms import UserCreationForm

from readiness.teams.activity import VERBS
from readiness.teams.models import Role


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ENGINEER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ActivityFilterForm(forms.Form):
    verb = forms.ChoiceField(
        choices=[
            ("", "Everything"),
            *sorted(((k, label) for k, (label, _) in VERBS.items()), key=lambda c: c[1]),
        ],
        required=False,
        label="What",
    )
    actor = forms.CharField(required=False, max_length=150, label="Who (username)")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The start date is after the end date.")
        return data


class AuditFilterForm(ActivityFilterForm):
    """The administrators' instance-wide view: the same filters, and one team (or none)."""

    team = forms.SlugField(required=False, max_length=120, label="Team (slug)")


class SignupForm(UserCreationForm):
    """Creates the account of someone accepting an invitation (Django's password validators apply).
    The e-mail address is the invitation's, never typed."""
