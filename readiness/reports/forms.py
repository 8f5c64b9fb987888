from zoneinfo import available_timezones

from django import forms

from readiness.reports.models import WEEKDAYS
from readiness.reports.services import ReportError, clean_addresses

_ZONES = sorted(available_timezones())


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Send the weekly report")
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, label="Day")
    hour = forms.TypedChoiceField(choices=[(h, f"{h:02d}:00") for h in range(24)], coerce=int, label="Hour")
    timezone = forms.ChoiceField(choices=[(z, z) for z in _ZONES], label="Time zone")
    external_addresses = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="External addresses",
        help_text="People outside the team who also get it: one address per line (at most 20).",
    )

    def clean_external_addresses(self):
        try:
            return clean_addresses(self.cleaned_data.get("external_addresses", ""))
        except ReportError as exc:
            raise forms.ValidationError(str(exc)) from None
