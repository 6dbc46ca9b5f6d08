"""gunicorn settings for production; every value can be set from the environment.

    gunicorn -c gunicorn.conf.py 'assessment:create_app()'

The master upgrades the database schema once before the workers start (MIGRATE_ON_START=0
turns that off, e.g. when a deployment step runs `python run.py migrate` itself). No state
lives in a worker's memory (sessions are signed cookies or in Redis, the login throttle is
in the database or Redis), so any number of workers and app servers can share one
PostgreSQL database.

Settings come from the environment or the env file named by BAKOHUMAS_ENV (the same file
the commands read). Logs: the app writes one access line per request (time, client address
as forwarded by the trusted proxy, request id, user id, latency) and failed logins to
stderr, as JSON with LOG_FORMAT=json; gunicorn's own access log is off unless
GUNICORN_ACCESS_LOG names a file (or -). The one-time administrator password of a first
start never goes to a log: it is shown on the terminal that started the server, or written
to ADMIN_PASSWORD_FILE (default instance/admin-password.txt, mode 0600).
"""
import multiprocessing
import os
import sys

from assessment.config import load_env_file

load_env_file()   # BAKOHUMAS_ENV: before any setting below is read


def _int(name, default):
    return int(os.environ.get(name) or default)


bind = os.environ.get("BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is gunicorn's own convention for the number of workers
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
# Sync workers (one request at a time per process) by default: gunicorn's own design for
# serving behind a buffering proxy, which deploy/nginx is (slow clients' uploads and
# downloads are nginx's to wait for, not a worker's). On 2 cores they served the deadline
# rush better than 5 gthread workers x 4 threads, whose threads contend for one GIL per
# process: bench/season.py, 4 rounds each, API p95 at 50 clients 0.55-0.68 s against
# 1.06-1.30 s, and 200 clients at 22.2-25.6% of /healthz against 21.7-23.2% (README,
# "bench/season.py"). GUNICORN_THREADS > 1 gives gthread workers (keep-alive, for a proxy
# that does not buffer); a request may then also outlive GUNICORN_TIMEOUT, which a sync
# worker's may not.
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# a worker silent this long is restarted; a sync worker's request must end within it. The
# longest web requests: a roster import (a slow password hash a row: 87 s of CPU for 553
# rows, 95 s of wall time on 2 busy cores; at most ROSTER_WEB_MAX_ROWS rows)
# and publishing a run (about 10 s)
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # requests in flight may finish
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Workers are recycled now and then, a guard against slow leaks. A new worker costs about
# 2 s of CPU (imports, then its first requests warm SQLAlchemy's statement cache and parse
# the rubric: some 250 API saves); at 2000 requests, five workers serving the deadline
# rush's 200 saves a second restarted one every 10 s. A worker's memory stayed flat
# (+2 MB) over 10,000 requests of bench/season.py.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# Off by default: each worker builds its own app and engine. On, the app is built once in
# the master and post_fork below gives each worker fresh database connections.
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"
# the app's own access log has the user id and the forwarded address: gunicorn's is extra
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
access_log_format = os.environ.get(
    "GUNICORN_ACCESS_LOG_FORMAT",
    '%(t)s %({x-real-ip}i)s "%(r)s" %(s)s %(b)s %(M)sms req=%({x-request-id}o)s pid=%(p)s')
if os.environ.get("LOG_FORMAT") == "json":   # gunicorn's own messages as JSON lines too
    logconfig_dict = {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "assessment.request_log.JsonFormatter"}},
        "handlers": {"error_console": {"class": "logging.StreamHandler", "formatter": "json",
                                       "stream": "ext://sys.stderr"},
                     "console": {"class": "logging.StreamHandler", "formatter": "json",
                                 "stream": "ext://sys.stdout"}},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["error_console"],
                                       "propagate": False},
                    "gunicorn.access": {"level": "INFO", "handlers": ["console"],
                                        "propagate": False}}}
# gunicorn >= 25.1's control socket defaults to one path per user ($HOME/.gunicorn/...),
# which several servers on one machine would share: only on request, at a path of its own
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
# the address of a proxy allowed to set X-Forwarded-Proto for gunicorn itself; the app's
# own ProxyFix is set by PROXY_FIX_HOPS (see the README)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    from assessment import create_app
    from assessment.serving import prepare_once, warnings
    app = create_app()   # a configuration error stops the start here, before any worker
    for warning in warnings(app):
        server.log.warning(warning)
    if os.environ.get("MIGRATE_ON_START", "1") != "1":
        _warn_about_schema(server, app)
        return
    password = prepare_once(app)
    if password:
        from assessment.first_start import announce_password
        server.log.warning(announce_password(app, password, stream=sys.stderr))


def _warn_about_schema(server, app):
    from assessment.migrate import current_revision, head_revision
    found, expected = current_revision(app), head_revision()
    if found != expected:
        server.log.error("the database is at schema revision %s, this code expects %s: the "
                         "workers answer 503 until `python run.py migrate` has run",
                         found, expected)


def post_fork(server, worker):
    if preload_app:
        from assessment.serving import after_fork
        after_fork(server.app.wsgi())
