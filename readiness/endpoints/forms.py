"""The register/edit form. Parsing only; the guard and the rest of the validation live in services."""

import json
import re

from django import forms

from readiness.endpoints.models import MAX_TIMEOUT_S, MIN_INTERVAL_S, Kind

_STATUS_LIST = re.compile(r"^\d{3}(\s*,\s*\d{3})*$")


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="E.g. “api liveness”.")
    service = forms.CharField(max_length=100, required=False, help_text="The compose service, if any.")
    url = forms.CharField(label="URL", max_length=2000, help_text="http:// or https://")
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.LIVENESS)
    interval_s = forms.IntegerField(label="Interval (s)", min_value=MIN_INTERVAL_S, initial=60)
    timeout_s = forms.FloatField(label="Timeout (s)", min_value=0.5, max_value=MAX_TIMEOUT_S, initial=5)
    expected_status = forms.CharField(
        max_length=200, initial="2xx", help_text="“2xx”, or status codes such as “200, 204”."
    )
    latency_threshold_ms = forms.IntegerField(
        label="Latency threshold (ms)",
        min_value=1,
        required=False,
        help_text="p95 over 24 h above this fails; empty: 100 for liveness, 5000 for readiness.",
    )
    required_keys = forms.CharField(
        max_length=1000,
        required=False,
        help_text="JSON keys the body must have (dotted paths), comma-separated: “database, redis”.",
    )
    equals = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="One “path = value” a line, the value as JSON or plain text: status = ok.",
    )
    headers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        required=False,
        help_text="Headers, one “Name: value” a line (a token, say). Stored encrypted, not shown again.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["headers"].help_text = "Leave empty to keep the stored headers."
            self.fields["clear_headers"] = forms.BooleanField(required=False, label="Remove stored headers")

    def clean_expected_status(self):
        text = self.cleaned_data["expected_status"].strip().lower()
        if text in ("", "2xx"):
            return "2xx"
        if not _STATUS_LIST.match(text):
            raise forms.ValidationError("Write “2xx” or status codes separated by commas.")
        codes = sorted({int(code) for code in text.split(",")})
        if any(not 100 <= code <= 599 for code in codes):
            raise forms.ValidationError("Status codes go from 100 to 599.")
        return codes

    def clean_required_keys(self):
        return [key.strip() for key in self.cleaned_data["required_keys"].split(",") if key.strip()]

    def clean_equals(self):
        equals = {}
        for line in self.cleaned_data["equals"].splitlines():
            if not line.strip():
                continue
            path, sep, raw = line.partition("=")
            if not sep or not path.strip():
                raise forms.ValidationError(f"“{line.strip()}” is not “path = value”.")
            raw = raw.strip()
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw  # plain text: status = ok
            equals[path.strip()] = value
        return equals

    def clean_headers(self):
        headers = {}
        for line in self.cleaned_data["headers"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise forms.ValidationError("Write one “Name: value” a line.")
            headers[name.strip()] = value.strip()
        return headers

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        expectations = {}
        if data["required_keys"]:
            expectations["required_keys"] = data["required_keys"]
        if data["equals"]:
            expectations["equals"] = data["equals"]
        kwargs = {
            name: data[name]
            for name in (
                "name",
                "service",
                "url",
                "kind",
                "interval_s",
                "timeout_s",
                "expected_status",
                "enabled",
            )
        }
        kwargs["latency_threshold_ms"] = data["latency_threshold_ms"]
        kwargs["expectations"] = expectations
        return kwargs

    @staticmethod
    def initial_for(endpoint) -> dict:
        expectations = endpoint.expectations or {}
        return {
            "name": endpoint.name,
            "service": endpoint.service,
            "url": endpoint.url,
            "kind": endpoint.kind,
            "interval_s": endpoint.interval_s,
            "timeout_s": endpoint.timeout_s,
            "expected_status": endpoint.expected_status_text,
            "latency_threshold_ms": endpoint.latency_threshold_ms,
            "required_keys": ", ".join(expectations.get("required_keys", [])),
            "equals": "\n".join(f"{k} = {json.dumps(v)}" for k, v in expectations.get("equals", {}).items()),
            "enabled": endpoint.enabled,
        }
