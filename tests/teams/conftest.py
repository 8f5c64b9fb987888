"""The real SMTP server fixtures of the weekly report's tests, for invitation e-mails."""

from tests.reports.conftest import smtp_down, smtp_server, smtp_server_later  # noqa: F401
