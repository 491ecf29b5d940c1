# crm-pulse: one process (`crm-pulse run`) with the scheduler and both chat front ends.
# Build: docker build -t crm-pulse .
# Run:   docker run -v $PWD/config.toml:/config/config.toml:ro -v crm-pulse-data:/data crm-pulse
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY bot ./bot
COPY jobs ./jobs
COPY reports ./reports
COPY kpi ./kpi
COPY charts ./charts
COPY crm ./crm
COPY store ./store
RUN pip install . && useradd --system --uid 10001 --home-dir /data crm-pulse \
    && mkdir -p /data && chown crm-pulse /data

USER crm-pulse
WORKDIR /data
# The config is mounted read-only; the SQLite store (storage.url = "sqlite:////data/crm-pulse.db")
# lives in the /data volume. Secrets are best passed as CRM_PULSE_* environment variables.
VOLUME ["/data"]
ENTRYPOINT ["crm-pulse"]
CMD ["run", "--config", "/config/config.toml"]
