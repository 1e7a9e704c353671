"""The least Django needs to serve the PassFort webhook and a waiting view."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-example-only")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "fleetsite.urls"
WSGI_APPLICATION = "fleetsite.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "INFO", "handlers": []}}
