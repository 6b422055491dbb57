# rollouts-ai-job container image.
#
#   scripts/build-image.sh            # or: make image   (offline: wheels come from ./wheelhouse)
#
# Works with a python:*-slim base (default) or a plain Debian + python3 base
# (scripts/make-base-image.sh). The version comes from job/__init__.py via --build-arg VERSION.
ARG BASE_IMAGE=python:3.11-slim

# ---- wheels: every wheel the image installs --------------------------------------------------
# Offline build: `pip wheel . -c requirements.lock -w wheelhouse` on the host fills ./wheelhouse
# (scripts/build-image.sh does it) and nothing here touches the network.
# Online build: with an empty wheelhouse the same command runs here, against PyPI.
FROM ${BASE_IMAGE} AS wheels
ARG PYTHON=python3
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY wheelhouse/ /wheelhouse/
COPY requirements.lock pyproject.toml README.md ./
COPY job/ job/
RUN set -eu; \
    if ls /wheelhouse/*.whl >/dev/null 2>&1; then \
      echo "offline build: using the wheelhouse from the build context"; \
    else \
      echo "no wheelhouse in the build context: downloading wheels from the package index"; \
      "$PYTHON" -m venv /tmp/tools; \
      /tmp/tools/bin/pip wheel -q . -c requirements.lock -w /wheelhouse; \
    fi

# ---- build: the application venv, installed only from the wheels ----------------------------
FROM ${BASE_IMAGE} AS build
ARG PYTHON=python3
ARG VERSION=
# Parts of dependencies the tool never imports, removed to keep the image small: kubernetes>=35
# ships a second, asyncio copy of its generated client (~70 MB); the collector uses the sync one.
ARG PRUNE="kubernetes/aio websocket/tests certifi/tests"
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=wheels /wheelhouse /wheelhouse
COPY requirements.lock /tmp/requirements.lock
# pip lives in a throwaway venv, so the application venv carries no installer. Pinning the
# version makes a stale wheelhouse fail here instead of shipping old code.
RUN set -eu; \
    "$PYTHON" -m venv --without-pip /opt/venv; \
    "$PYTHON" -m venv /tmp/tools; \
    /tmp/tools/bin/pip --python /opt/venv/bin/python install -q --no-index --find-links /wheelhouse \
      -c /tmp/requirements.lock "rollouts-ai-job${VERSION:+==$VERSION}" \
    || { echo "install from the wheelhouse failed: rebuild it with the image's Python version" \
              "and architecture (scripts/build-image.sh)" >&2; exit 1; }; \
    site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"; \
    for part in $PRUNE; do rm -rf "${site:?}/$part"; done; \
    /opt/venv/bin/python -c 'import job.cli, kubernetes.client, kubernetes.config, drain3, ollama'; \
    /opt/venv/bin/rollouts-ai-job --version

# ---- runtime: base + the venv; no compilers, no pip cache, no writes outside /tmp -------------
FROM ${BASE_IMAGE} AS runtime
ARG BASE_IMAGE
ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="rollouts-ai-job" \
      org.opencontainers.image.description="Judges an Argo Rollouts canary against stable (Job and web metric provider), with an optional self-hosted model." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
COPY --from=build /opt/venv /opt/venv
# HOME and caches in /tmp: the root filesystem can be mounted read-only (the pod mounts an
# emptyDir or tmpfs on /tmp). Bytecode was compiled at install time, so nothing is written.
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LANG=C.UTF-8
WORKDIR /tmp
# Numeric, so runAsNonRoot can verify it without a passwd entry.
USER 65532:65532
ENTRYPOINT ["rollouts-ai-job"]
CMD ["--help"]
