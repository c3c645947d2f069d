# mockserver: an offline OpenAI Responses API for a whole team.
#   docker build -t mockserver .
#   docker run --rm -p 8000:8000 -v "$PWD/scenarios:/scenarios:ro" mockserver
# The base is a build argument so machines without registry access can use a local image
# (see .ci/podman-setup); any Debian-like image with python3 and its venv module works.
ARG BASE_IMAGE=python:3.12-slim

# Stage 1: the runtime dependencies, read from pyproject.toml. Only this list (not the rest
# of pyproject.toml: tool settings, test extras) decides whether stage 2 is rebuilt.
FROM ${BASE_IMAGE} AS requirements
COPY pyproject.toml /src/
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /requirements.txt

# Stage 2: a venv with the dependencies only: editing the code never reinstalls them.
FROM ${BASE_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
COPY --from=requirements /requirements.txt /src/
RUN /opt/venv/bin/pip install --quiet -r /src/requirements.txt "setuptools>=68" wheel

# Stage 3: the same venv without its installers, for the final image.
FROM deps AS venv
RUN /opt/venv/bin/pip uninstall --quiet -y setuptools wheel pip

# Stage 4: the package itself, installed into its own small folder (/opt/mockserver, on
# PYTHONPATH), so that a code change rebuilds a layer of about a megabyte, not the venv.
FROM deps AS package
COPY pyproject.toml /src/
COPY mockserver /src/mockserver
# No build isolation: setuptools is already in the venv, so this step needs no network.
RUN /opt/venv/bin/pip install --quiet --no-deps --no-build-isolation --target /opt/mockserver /src \
    && PYTHONPATH=/opt/mockserver /opt/mockserver/bin/mockserver --help > /dev/null

FROM ${BASE_IMAGE}
RUN groupadd --gid 10001 mockserver \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mockserver \
    && mkdir /scenarios
COPY --from=venv /opt/venv /opt/venv
COPY --from=package /opt/mockserver /opt/mockserver
ENV PATH=/opt/mockserver/bin:/opt/venv/bin:$PATH \
    PYTHONPATH=/opt/mockserver \
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
