# syntax=docker/dockerfile:1.7
# One image for every lawful role; the command picks it: `lawful bridge|worker|api|writeback`,
# `lawful erase run`, `lawful backfill`.
# It cannot be built on the development machines (no registry for base images there). Its install
# step is CI's (`uv sync --frozen` from pyproject.toml + uv.lock), minus the dev dependency groups.
# The one place the base is pinned (release CI appends @sha256:<digest>): 3.11.7 is the tested
# interpreter.
FROM python:3.11.7-slim-bookworm AS base

# ---- build: resolve the locked environment into /app/.venv --------------------------------
FROM base AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first (a cached layer that changes only with uv.lock) ...
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project
# ... then lawful itself, installed as a wheel (no editable link back to /app).
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---- runtime: interpreter + venv, no uv, no sources, no build tools, no secrets -------------
FROM base AS runtime
LABEL org.opencontainers.image.title="lawful" \
      org.opencontainers.image.description="Event-driven GDPR worker for Salesforce" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 lawful \
    && useradd --system --uid 10001 --gid lawful --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin lawful \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/lawful
# Owned by root: the code is read-only for the app user even without readOnlyRootFilesystem.
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LAWFUL_DATA_DIR=/var/lib/lawful \
    LAWFUL_WEB__HOST=0.0.0.0
WORKDIR /var/lib/lawful
VOLUME ["/var/lib/lawful"]
USER 10001:10001
# 6066: worker/bridge health + metrics; 8080: API.
EXPOSE 6066 8080
# Exec form: lawful is PID 1 and receives SIGTERM directly.
ENTRYPOINT ["lawful"]
CMD ["worker"]
