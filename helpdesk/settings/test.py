"""Test settings: the same base, with a fast hasher and the django-q2 cluster run inline."""

from .base import *  # noqa: F403
from .base import Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# django-q2 reads "sync" at import time: it must be set here, not per test.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
