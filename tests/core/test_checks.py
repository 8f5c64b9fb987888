from readiness.core.checks import visibility_timeout_check


def test_a_visibility_timeout_shorter_than_a_task_is_refused(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert visibility_timeout_check(None) == []
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    errors = visibility_timeout_check(None)
    assert [e.id for e in errors] == ["readiness.E001"]
    settings.CELERY_BROKER_URL = "filesystem://"  # no visibility timeout to worry about
    assert visibility_timeout_check(None) == []
