"""The endpoint form parses what people type; the rest is the service's job."""

from readiness.endpoints.forms import EndpointForm


def _form(**extra):
    data = {"name": "api", "url": "https://api.example.com/health", "kind": "readiness"}
    data |= {"interval_s": "30", "timeout_s": "3", "expected_status": "2xx"}
    return EndpointForm(data | extra)


def test_expectations_and_statuses_are_parsed():
    form = _form(
        expected_status="204, 200",
        required_keys="database, checks.redis,",
        equals='status = ok\nchecks.ready = true\ncount = 3\nname = "x"',
        headers="Authorization: Bearer abc:def\nX-Env: prod",
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["expected_status"] == [200, 204]
    assert kwargs["expectations"] == {
        "required_keys": ["database", "checks.redis"],
        "equals": {"status": "ok", "checks.ready": True, "count": 3, "name": "x"},
    }
    assert form.cleaned_data["headers"] == {"Authorization": "Bearer abc:def", "X-Env": "prod"}
    assert kwargs["latency_threshold_ms"] is None  # the service picks the kind's default


def test_bad_input_is_refused_with_a_message():
    form = _form(expected_status="ok", equals="no equals sign", headers="no colon", interval_s="5")
    assert not form.is_valid()
    assert set(form.errors) == {"expected_status", "equals", "headers", "interval_s"}
    assert not _form(expected_status="200, 700").is_valid()


def test_editing_offers_to_clear_headers():
    form = EndpointForm(editing=True)
    assert "clear_headers" in form.fields
    assert "keep" in form.fields["headers"].help_text
