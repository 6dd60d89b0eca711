# syntax=docker/dockerfile:1.7
# TicketSafe: one image for every role (`ticketsafe api`, `worker`, `migrate`, ...).
#   docker build -t ticketsafe .
#   docker run --read-only -v ticketsafe-data:/data --env-file prod.env -p 8080:8080 ticketsafe api
# Keys and store URLs come from the environment (TICKETSAFE_*), never from the image.
# See docs/deployment.md. tests/deploy/test_dockerfile.py lints this file.

# --- 1. The web app: built once, served by the api role at / ------------------------
FROM node:24.11.1-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# --- 2. The locked Python dependencies (no dev group) in a virtualenv -----------------
FROM python:3.11.14-slim-bookworm AS python
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src/ ./src/
RUN uv sync --frozen --no-dev --no-editable

# --- 3. Runtime: no compiler, no uv, no sources; a non-root user ----------------------
FROM python:3.11.14-slim-bookworm AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 ticketsafe \
    && useradd --system --uid 10001 --gid ticketsafe --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin ticketsafe \
    && install -d -o ticketsafe -g ticketsafe -m 0700 /data
COPY --from=python /opt/venv /opt/venv
COPY --from=web /web/dist /app/web/dist
# Read-only root filesystem friendly: nothing is written outside /data (a volume) and
# /tmp (an emptyDir or tmpfs); no .pyc is written at run time (compiled at build).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TICKETSAFE_DATA_DIR=/data \
    TICKETSAFE_FRONTEND_DIR=/app/web/dist \
    TICKETSAFE_HOST=0.0.0.0 \
    TICKETSAFE_HTTP_PORT=8080 \
    TICKETSAFE_TLS_ENABLED=false
WORKDIR /app
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
# Readiness: the api role's (MongoDB and Redis answer) on 8080, or a worker's probes
# when TICKETSAFE_WORKER_HEALTH_PORT is set (without it, run a worker with
# --no-healthcheck). Kubernetes uses its own probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; p = os.environ.get('TICKETSAFE_WORKER_HEALTH_PORT') or '8080'; sys.exit(u.urlopen(f'http://127.0.0.1:{p}/readyz', timeout=2).status != 200)"]
# tini forwards SIGTERM to ticketsafe (PID 1 would ignore it): the api drains on it.
ENTRYPOINT ["tini", "--", "ticketsafe"]
CMD ["api"]
