from django import forms
from django.contrib.auth.forms import UserCreationForm

from readiness.teams.activity import VERBS
from readiness.teams.models import Role


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ENGINEER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SignupForm(UserCreationForm):
    """Creates the account of someone accepting an invitation (Django's password validators apply)."""


class ActivityFilterForm(forms.Form):
    verb = forms.ChoiceField(choices=[("", "Everything"), *sorted(VERBS.items())], required=False)
    actor = forms.CharField(required=False, max_length=150, label="Who (username)")
