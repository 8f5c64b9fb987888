"""Names vulture cannot see used (`vulture` in make lint; its settings: [tool.vulture] in pyproject.toml).

Each name is used by name, outside Python's sight: a framework reads it, a template, an ORM string.
A new finding is either dead code (delete it) or one more such name (add it here, in its group).
"""
# ruff: noqa: B018, F821

# Settings: Django, Celery, allauth, axes and csp read them by name.
ACCOUNT_ADAPTER  # readiness/settings.py
ACCOUNT_EMAIL_VERIFICATION  # readiness/settings.py
ACCOUNT_LOGIN_METHODS  # readiness/settings.py
ACCOUNT_SIGNUP_FIELDS  # readiness/settings.py
ACCOUNT_USER_MODEL_USERNAME_FIELD  # readiness/settings.py
ALLOWED_HOSTS  # readiness/settings.py
ANYMAIL  # readiness/settings.py
AUTHENTICATION_BACKENDS  # readiness/settings.py
AUTH_PASSWORD_VALIDATORS  # readiness/settings.py
AXES_CLIENT_IP_CALLABLE  # readiness/settings.py
AXES_COOLOFF_TIME  # readiness/settings.py
AXES_FAILURE_LIMIT  # readiness/settings.py
AXES_LOCKOUT_PARAMETERS  # readiness/settings.py
AXES_LOCKOUT_TEMPLATE  # readiness/settings.py
AXES_RESET_ON_SUCCESS  # readiness/settings.py
CELERY_BEAT_SCHEDULER  # readiness/settings.py
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP  # readiness/settings.py
CELERY_BROKER_CONNECTION_TIMEOUT  # readiness/settings.py
CELERY_IMPORTS  # readiness/settings.py
CELERY_TASK_ACKS_LATE  # readiness/settings.py
CELERY_TASK_DEFAULT_QUEUE  # readiness/settings.py
CELERY_TASK_IGNORE_RESULT  # readiness/settings.py
CELERY_TASK_REJECT_ON_WORKER_LOST  # readiness/settings.py
CELERY_TASK_ROUTES  # readiness/settings.py
CELERY_TIMEZONE  # readiness/settings.py
CELERY_WORKER_HIJACK_ROOT_LOGGER  # readiness/settings.py
CELERY_WORKER_PREFETCH_MULTIPLIER  # readiness/settings.py
CONTENT_SECURITY_POLICY  # readiness/settings.py
CSRF_COOKIE_SECURE  # readiness/settings.py
CSRF_TRUSTED_ORIGINS  # readiness/settings.py
DEFAULT_AUTO_FIELD  # readiness/settings.py
EMAIL_BACKEND  # readiness/settings.py
EMAIL_HOST_PASSWORD  # readiness/settings.py
EMAIL_HOST_USER  # readiness/settings.py
EMAIL_TIMEOUT  # readiness/settings.py
INSTALLED_APPS  # readiness/settings.py
LANGUAGE_CODE  # readiness/settings.py
LOGGING  # readiness/settings.py
LOGIN_REDIRECT_URL  # readiness/settings.py
LOGIN_URL  # readiness/settings.py
LOGOUT_REDIRECT_URL  # readiness/settings.py
MIDDLEWARE  # readiness/settings.py
RATE_LIMIT_LOGIN  # readiness/settings.py
RATE_LIMIT_WEBHOOK  # readiness/settings.py
ROOT_URLCONF  # readiness/settings.py
SECURE_CONTENT_TYPE_NOSNIFF  # readiness/settings.py
SECURE_HSTS_INCLUDE_SUBDOMAINS  # readiness/settings.py
SECURE_HSTS_SECONDS  # readiness/settings.py
SECURE_PROXY_SSL_HEADER  # readiness/settings.py
SECURE_REDIRECT_EXEMPT  # readiness/settings.py
SECURE_REFERRER_POLICY  # readiness/settings.py
SECURE_SSL_REDIRECT  # readiness/settings.py
SERVER_EMAIL  # readiness/settings.py
SESSION_COOKIE_SECURE  # readiness/settings.py
SILENCED_SYSTEM_CHECKS  # readiness/settings.py
SOCIALACCOUNT_ADAPTER  # readiness/settings.py
SOCIALACCOUNT_AUTO_SIGNUP  # readiness/settings.py
SOCIALACCOUNT_EMAIL_VERIFICATION  # readiness/settings.py
SOCIALACCOUNT_ONLY  # readiness/settings.py
SOCIALACCOUNT_PROVIDERS  # readiness/settings.py
SOCIALACCOUNT_STORE_TOKENS  # readiness/settings.py
STATICFILES_DIRS  # readiness/settings.py
STATIC_ROOT  # readiness/settings.py
STORAGES  # readiness/settings.py
TEMPLATES  # readiness/settings.py
USE_I18N  # readiness/settings.py
USE_TZ  # readiness/settings.py
WSGI_APPLICATION  # readiness/settings.py
X_FRAME_OPTIONS  # readiness/settings.py

# Model fields, choices and options, admin and form options: read through the ORM, ModelForms,
# the admin and templates by name.
hash  # readiness/api/models.py
GOLD  # readiness/checklists/models.py
SILVER  # readiness/checklists/models.py
abstract  # readiness/checklists/models.py
applied_at  # readiness/checklists/models.py
applied_by  # readiness/checklists/models.py
is_current  # readiness/checklists/models.py
state_updated_at  # readiness/checklists/models.py
done_at  # readiness/core/models.py
last_error  # readiness/core/models.py
lease_until  # readiness/core/models.py
published_at  # readiness/core/models.py
publishes  # readiness/core/models.py
relay_after  # readiness/core/models.py
_.help_text  # readiness/endpoints/forms.py
required_keys  # readiness/endpoints/forms.py
OTHER  # readiness/endpoints/models.py
cause  # readiness/endpoints/models.py
json_keys  # readiness/endpoints/models.py
max_ms  # readiness/endpoints/models.py
next_probe_at  # readiness/endpoints/models.py
p50_ms  # readiness/endpoints/models.py
p95_ms  # readiness/endpoints/models.py
state_since  # readiness/endpoints/models.py
requested_by  # readiness/reports/models.py
updated_at  # readiness/reports/models.py
can_delete  # readiness/repos/admin.py
lease_expires_at  # readiness/repos/models.py
reachability_checked_at  # readiness/repos/models.py
reachability_message  # readiness/repos/models.py
received_at  # readiness/repos/models.py
prepopulated_fields  # readiness/teams/admin.py
accepted_by  # readiness/teams/models.py

# Attributes and fields set here and read by templates, update_fields=[...] lists, the ORM or
# tests by name.
_.item_title  # readiness/checklists/selectors/waivers.py
_.state_updated_at  # readiness/checklists/services/states.py
_.__qualname__  # readiness/checklists/views/items.py
_.beyond_policy  # readiness/checklists/views/waivers.py
_.levelname  # readiness/core/logging.py
function  # readiness/endpoints/selectors.py
output_field  # readiness/endpoints/selectors.py
_.next_probe_at  # readiness/endpoints/services.py
_.state_since  # readiness/endpoints/services.py
overlay_of  # readiness/engine/compose.py
_.preserve_quotes  # readiness/engine/fixes/yamledit.py
peer_address  # readiness/probes/client.py
slow  # readiness/probes/prober.py
_.lease_expires_at  # readiness/repos/services.py
bytes_fetched  # readiness/sources/git.py
files_written  # readiness/sources/git.py
_.backend  # readiness/sso/adapter.py

# Hooks that settings or a framework name by dotted path or by convention: logging filters,
# allauth adapters, a context processor, axes' client-IP callable, the WSGI application, a system
# check, a Prometheus collector, allauth's and logging's overridden methods.
visibility_timeout_check  # readiness/core/checks.py
ContextFilter  # readiness/core/logging.py
QuietTasksFilter  # readiness/core/logging.py
axes_client_ip  # readiness/core/login_throttle.py
_.collect  # readiness/core/metrics.py
AccountAdapter  # readiness/sso/adapter.py
SocialAccountAdapter  # readiness/sso/adapter.py
_.on_authentication_error  # readiness/sso/adapter.py
extra_context  # readiness/sso/adapter.py
sso  # readiness/sso/context_processors.py
_._decode_id_token  # readiness/sso/views.py
application  # readiness/wsgi.py

# Not used by the application (today): public functions used only by the tests, and Fix.from_dict
# (the inverse of as_dict, used by nothing). Kept while other work is in progress; whoever deletes one
# deletes its tests too.
_.from_dict  # readiness/engine/fixes/model.py
endpoint_states_for_repositories  # readiness/endpoints/selectors.py
fixable_ids  # readiness/engine/fixes/registry.py
guarded_get  # readiness/probes/client.py
current_week  # readiness/reports/selectors.py

# The alerts and lifecycle apps (merged at 05:26 UTC): choices, model fields and form attributes
# read through the ORM and ModelForms, apprise's and requests' attributes, a function only the tests
# and the pipeline's future hook call so far, a selector the lifecycle pages are about to use.
SCORE_DROP  # readiness/alerts/models.py
CHECK_FAILS  # readiness/alerts/models.py
WAIVER_EXPIRING  # readiness/alerts/models.py
WAIVER_EXPIRED  # readiness/alerts/models.py
ENDPOINT_DOWN  # readiness/alerts/models.py
ANALYSIS_FAILING  # readiness/alerts/models.py
score_drop  # readiness/alerts/models.py
endpoint_failures  # readiness/alerts/models.py
analysis_failures  # readiness/alerts/models.py
last_test_at  # readiness/alerts/models.py
last_test_ok  # readiness/alerts/models.py
last_test_answer  # readiness/alerts/models.py
group_window_s  # readiness/alerts/models.py
dismissed  # readiness/alerts/models.py
_.queryset  # readiness/alerts/forms.py
_.initial  # readiness/alerts/forms.py
request_rate_per_sec  # readiness/alerts/channels.py
use_blocks  # readiness/alerts/channels.py
_._content  # readiness/alerts/transport.py
_.encoding  # readiness/alerts/transport.py
_.put  # readiness/alerts/transport.py
alert_events_record  # readiness/alerts/services.py
confirm_name  # readiness/repos/forms.py
repository_archived_count  # readiness/repos/selectors.py

# Work on other branches, not on main yet (names vulture reported on each branch merged with this
# one, 05:05 UTC): a context processor, a CSRF failure view and its setting, attributes read by
# templates. Whoever lands the branch keeps the line of a name that is used by name and deletes the
# code (and the line) of one that is dead.
csrf_failure  # checklist: readiness/core/views.py
CSRF_FAILURE_VIEW  # checklist: readiness/settings.py
team_nav  # looks: readiness/teams/context_processors.py
NAME  # score: readiness/checklists/score.py
_.readiness  # score: readiness/checklists/views/compare.py, readiness/dashboard/views.py
