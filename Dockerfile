# FleetPBX service image.
#   docker build -t fleetpbx .
#   docker run -e FLEETPBX_DATABASE_URL=postgresql+asyncpg://... -p 8080:8080 fleetpbx
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --home-dir /home/fleetpbx --uid 10001 \
        --user-group --shell /usr/sbin/nologin fleetpbx

WORKDIR /src

# Project metadata first, then the packages setuptools is told to find
# ([tool.setuptools.packages.find] include in pyproject.toml).
COPY pyproject.toml README.md ./
COPY fleet/ fleet/
COPY featurecodes/ featurecodes/
COPY callgroups/ callgroups/
COPY portal/ portal/
COPY simulators/ simulators/

RUN pip install . \
    && cd / \
    && rm -rf /src

WORKDIR /home/fleetpbx
USER fleetpbx

ENV FLEETPBX_HOST=0.0.0.0 \
    FLEETPBX_PORT=8080 \
    FLEETPBX_LOG_FORMAT=json

EXPOSE 8080

# No curl in the slim image: ask python. urlopen raises on anything but 2xx.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

CMD ["fleetpbx", "serve", "--host", "0.0.0.0", "--port", "8080", "--migrate"]
