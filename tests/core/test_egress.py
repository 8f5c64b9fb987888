from readiness.core.egress import own_service_hosts


def test_our_own_services_are_denied_by_host_and_port(settings):
    settings.DATABASE_URL = "postgres://u:p@localhost/readiness"
    settings.CELERY_BROKER_URL = "redis://cache.internal:6380/0"
    settings.EMAIL_HOST = "smtp.internal"
    settings.EMAIL_PORT = 587
    hosts = own_service_hosts()
    assert "localhost:5432" in hosts  # the scheme's default port, not every port of localhost
    assert "cache.internal:6380" in hosts
    assert "smtp.internal:587" in hosts
