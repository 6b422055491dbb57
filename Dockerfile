# rollouts-ai-job container image: a distroless-like runtime (FROM scratch: the interpreter, the
# libraries it links to and the venv; no shell, no package manager, no pip).
#
#   scripts/build-image.sh            # or: make image   (offline, reproducible: see docs/image.md)
#
# The runtime's files come from a python:*-slim base (default) or a plain Debian + python3 base
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

# ---- build: the application venv, installed only from the wheels, and the runtime rootfs ---
FROM ${BASE_IMAGE} AS build
ARG PYTHON=python3
ARG VERSION=
# Parts of dependencies the tool never imports, removed to keep the image small: kubernetes>=35
# ships a second, asyncio copy of its generated client (~70 MB); the collector uses the sync one.
ARG PRUNE="kubernetes/aio websocket/tests certifi/tests"
# kubernetes requires aiohttp and aiohttp-retry only for that asyncio client: the distributions
# needed only through these edges are uninstalled (scripts/image/unused_dists.py).
ARG ASYNC_ONLY="kubernetes>aiohttp kubernetes>aiohttp-retry"
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
COPY --from=wheels /wheelhouse /wheelhouse
COPY requirements.lock /tmp/requirements.lock
COPY scripts/image/ /tmp/image/
# pip lives in a throwaway venv, so the application venv carries no installer. Pinning the
# version makes a stale wheelhouse fail here instead of shipping old code. No bytecode yet: it
# is compiled once, below, where it will run.
RUN set -eu; \
    "$PYTHON" -m venv --without-pip /opt/venv; \
    "$PYTHON" -m venv /tmp/tools; \
    pip() { /tmp/tools/bin/pip --python /opt/venv/bin/python "$@"; }; \
    pip install -q --no-compile --no-index --find-links /wheelhouse \
      -c /tmp/requirements.lock "rollouts-ai-job${VERSION:+==$VERSION}" \
    || { echo "install from the wheelhouse failed: rebuild it with the image's Python version" \
              "and architecture (scripts/build-image.sh)" >&2; exit 1; }; \
    unused="$(/tmp/tools/bin/python /tmp/image/unused_dists.py /opt/venv rollouts-ai-job $ASYNC_ONLY)"; \
    if [ -n "$unused" ]; then echo "not needed at run time, removed:" $unused; pip uninstall -q -y $unused; fi; \
    site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"; \
    for part in $PRUNE; do rm -rf "${site:?}/$part"; done
# The runtime's whole filesystem: interpreter, standard library, the libraries they link to, the
# venv (scripts/image/rootfs.py). Bytecode is compiled inside it by its own interpreter, as
# unchecked-hash .pyc (valid whatever the files' times; PYTHONHASHSEED=0 fixes set order), so
# two builds of one commit give the same bytes and a read-only root never needs a recompile.
RUN set -eu; \
    "$PYTHON" /tmp/image/rootfs.py /opt/venv /rootfs; \
    stdlib="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"; \
    PYTHONHASHSEED=0 chroot /rootfs /opt/venv/bin/python -m compileall -q \
      --invalidation-mode unchecked-hash "$stdlib" /opt/venv; \
    chroot /rootfs /opt/venv/bin/python -c 'import importlib, pkgutil, job; \
      [importlib.import_module(m.name) for m in pkgutil.walk_packages(job.__path__, "job.") \
       if not m.name.endswith("__main__")]; \
      import kubernetes.client, kubernetes.config, kubernetes.watch, kubernetes.stream, drain3, ollama'; \
    chroot /rootfs /opt/venv/bin/rollouts-ai-job --version

# ---- runtime: only the assembled filesystem; no shell, no package manager, no pip, no setuid ---
FROM scratch AS runtime
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
COPY --from=build /rootfs/ /
# HOME and caches in /tmp: the root filesystem can be mounted read-only (the pod mounts an
# emptyDir or tmpfs on /tmp). Bytecode was compiled at build time, so nothing is written.
ENV PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8
WORKDIR /tmp
# Numeric, so runAsNonRoot can verify it without a passwd entry.
USER 65532:65532
# `serve` listens on 8080 and drains on SIGTERM (what Kubernetes and `podman stop` send).
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["rollouts-ai-job"]
CMD ["--help"]
