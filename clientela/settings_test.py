"""Settings for the test suite: production settings plus a toy app that pins the scoping pattern."""

from clientela.settings import *  # noqa: F403
from clientela.settings import INSTALLED_APPS, PASSWORD_HASHERS

INSTALLED_APPS = [*INSTALLED_APPS, "clientela.core.tests.toy"]
ROOT_URLCONF = "clientela.core.tests.toy.urls"
# Argon2 stays the production hasher (tested); a fast one keeps fixture creation quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SITE_URL = "http://testserver"
