# mockserver: an offline OpenAI Responses API for a whole team.
#   docker build -t mockserver .
#   docker run --rm -p 8000:8000 -v "$PWD/scenarios:/scenarios:ro" mockserver
# The base is a build argument so machines without registry access can use a local image
# (see .ci/podman-setup); any Debian-like image with python3 and its venv module works.
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
WORKDIR /src
# Dependencies get their own layer, read from pyproject.toml, so that editing the code
# rebuilds only the small layer below (seconds, not a full reinstall).
COPY pyproject.toml ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/venv/bin/pip install --quiet -r requirements.txt "setuptools>=68" wheel
COPY mockserver ./mockserver
# No build isolation: setuptools is already in the venv, so this step needs no network.
RUN /opt/venv/bin/pip install --quiet --no-deps --no-build-isolation . \
    && /opt/venv/bin/pip uninstall --quiet -y setuptools wheel pip \
    && /opt/venv/bin/mockserver --help > /dev/null

FROM ${BASE_IMAGE}
# The final stage gets only the venv (without pip): no sources, no build tools, no caches.
COPY --from=build /opt/venv /opt/venv
RUN groupadd --gid 10001 mockserver \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mockserver \
    && mkdir /scenarios
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MOCKSERVER_SCENARIOS=/scenarios
USER mockserver
VOLUME /scenarios
EXPOSE 8000
# python instead of curl: the slim images have no curl. urlopen raises on any non-2xx.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_mock/health' % os.environ.get('MOCKSERVER_PORT', '8000'), timeout=2)"]
# Exec form: mockserver is PID 1 and gets SIGTERM itself (it drains streams, then exits 0).
ENTRYPOINT ["mockserver", "serve", "--host", "0.0.0.0"]
