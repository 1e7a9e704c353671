"""gunicorn -c gunicorn.conf.py fleetsite.wsgi

Each worker makes its PassFort client after the fork (post_fork): its
connections, runtime and fleet subscription belong to that process."""

import os
from typing import Any

workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = 32  # a waiting view holds a thread; webhooks must still find one
bind = os.environ.get("BIND", "127.0.0.1:8000")


def post_fork(server: Any, worker: Any) -> None:
    from fleetsite import views

    views.passfort_client()
