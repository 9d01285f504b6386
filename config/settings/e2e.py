"""Settings for a real server process under browser and multi-process tests.

Like production in shape (DEBUG off, ASGI server, Redis when REDIS_URL is set) but with a file mailbox the
tests can read, tasks run in-process, and static files served from the finders.
"""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", "e2e-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env("E2E_MAIL_DIR", str(BASE_DIR / "test-artifacts" / "mail"))
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                     "QUEUES": ["default", "email", "digests", "newsletters"]}}
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", str(BASE_DIR / "test-artifacts" / "media"))
