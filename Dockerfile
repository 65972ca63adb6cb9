# syntax=docker/dockerfile:1
# Build: podman build --format docker --isolation=chroot -t kratom-cds .   (see README)
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv
RUN python -m venv /opt/venv
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
# Runtime dependencies only (no [dev] extras); the editable install points the venv at /srv.
RUN /opt/venv/bin/pip install --no-cache-dir -e .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 kcds \
    && useradd --system --uid 10001 --gid kcds --home-dir /srv --no-create-home kcds \
    && mkdir -p /srv/data && chown kcds:kcds /srv/data
WORKDIR /srv
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /srv /srv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KRATOM_CDS_HOST=0.0.0.0 \
    KRATOM_CDS_DATABASE_URL=sqlite+aiosqlite:////srv/data/kratom_cds.db \
    KRATOM_CDS_MIGRATE_ON_START=true \
    KRATOM_CDS_BOOTSTRAP_DEV_KEY=false
USER 10001:10001
EXPOSE 8000
# The probe follows KRATOM_CDS_PORT when an operator changes it.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request; port=os.environ.get('KRATOM_CDS_PORT','8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
# Set KRATOM_CDS_MIGRATE_ON_START=false to run `kratom-cds migrate` as a separate release step.
ENTRYPOINT ["kratom-cds"]
CMD ["serve"]
