"""gunicorn settings for the web processes (`gunicorn helpdesk.wsgi`), read from the environment.

Sync workers: each handles one request at a time, so a slow request never stalls another
one's Python code, and a worker that dies takes down one request only. About two workers a
core (WEB_CONCURRENCY); PostgreSQL needs as many connections (one a worker, kept between
requests: CONN_MAX_AGE) plus the worker cluster's.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2)))
worker_class = "sync"
# Load Django once in the master and fork: faster starts, shared memory pages.
preload_app = True
# A worker stuck this long is killed and replaced (its request fails, the others go on).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
# Replace each worker after a while, so no slow leak grows without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The pending-connection queue when every worker is busy.
backlog = 2048
# Behind a TLS-terminating proxy on the same network: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
