"""Production: everything from the environment, refusing unsafe values instead of guessing.

Must pass `manage.py check --deploy --fail-level WARNING` (tests/test_deploy.py runs it).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, SECRET_KEY, env, env_bool, use_postgres_pool

DEBUG = False

if env_bool("DB_POOL", True):
    use_postgres_pool(DATABASES["default"])

if not SECRET_KEY or SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters.")
if not ALLOWED_HOSTS or any(host == "*" or host.startswith("*") for host in ALLOWED_HOSTS):
    # A wildcard would also switch off the websocket Origin check (AllowedHostsOriginValidator).
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names; a wildcard is refused.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
