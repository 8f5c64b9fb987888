from django import forms

from readiness.alerts.channels import EXAMPLES
from readiness.alerts.models import AlertSettings, ChannelKind, EventKind
from readiness.repos.models import Repository


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ChannelKind.choices, label="Service")
    url = forms.CharField(
        max_length=2000,
        required=False,
        label="URL or addresses",
        # A credential: never rendered back into the page.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Slack: "
        + EXAMPLES[ChannelKind.SLACK]
        + ". Teams: "
        + EXAMPLES[ChannelKind.TEAMS]
        + ". Mattermost: "
        + EXAMPLES[ChannelKind.MATTERMOST]
        + ". E-mail: addresses separated by commas. "
        "Stored encrypted and never shown again.",
    )
    secret = forms.CharField(
        max_length=200,
        required=False,
        label="Signing secret (JSON webhook)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="At least 16 characters; each request carries "
        "X-Readiness-Signature-256: sha256=HMAC(secret, body).",
    )
    events = forms.MultipleChoiceField(
        choices=EventKind.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )
    repositories = forms.ModelMultipleChoiceField(
        queryset=Repository.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Only these repositories; none selected: all of the team's.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, team, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["repositories"].queryset = Repository.objects.filter(team=team).order_by("name")
        if editing:
            del self.fields["kind"]
            self.fields["url"].help_text = "Leave empty to keep the stored one (it is never shown)."
            self.fields["secret"].help_text = "Leave empty to keep the stored one."
        else:
            self.fields["events"].initial = [k.value for k in EventKind]

    def clean(self):
        cleaned = super().clean()
        if not self.editing and not cleaned.get("url"):
            self.add_error("url", "Give the channel's URL (or the e-mail addresses).")
        return cleaned

    @staticmethod
    def initial_for(channel) -> dict:
        return {
            "name": channel.name,
            "events": channel.events,
            "repositories": list(channel.repositories.all()),
            "enabled": channel.enabled,
        }


class AlertSettingsForm(forms.ModelForm):
    class Meta:
        model = AlertSettings
        fields = ["score_drop", "endpoint_failures", "analysis_failures", "group_window_s"]
        labels = {
            "score_drop": "Score drop to report (points out of 10)",
            "endpoint_failures": "Failed probes in a row before an endpoint is reported down",
            "analysis_failures": "Failed analyses in a row before they are reported",
            "group_window_s": "Group a repository's alerts within (seconds)",
        }
