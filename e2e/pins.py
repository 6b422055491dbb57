"""Every version the demo depends on, pinned in one place.

The cluster tests use nothing that is not listed here (tests/test_e2e_static.py checks it),
so a run today and a run next year install the same things.
"""

from __future__ import annotations

ARGO_ROLLOUTS_VERSION = "v1.9.1"
# The manifest at the release tag (the CRDs vendored in tests/crds/ come from the same tag). It
# names the controller image `:latest`; the demo swaps in the pinned tag below before applying.
ARGO_ROLLOUTS_INSTALL_URL = (
    f"https://raw.githubusercontent.com/argoproj/argo-rollouts/{ARGO_ROLLOUTS_VERSION}/manifests/install.yaml"
)
ARGO_ROLLOUTS_INSTALL_SHA256 = "2701f5ff276e2a41b41d4d7cf8beeb7a62c6c850a34b71f031a29bbb656d543b"
ARGO_ROLLOUTS_UNPINNED_IMAGE = "quay.io/argoproj/argo-rollouts:latest"
ARGO_ROLLOUTS_IMAGE = f"quay.io/argoproj/argo-rollouts:{ARGO_ROLLOUTS_VERSION}"

ROLLOUTS_DEMO_REPO = "argoproj/rollouts-demo"
# Tags argoproj publishes: one per colour, plus `bad-<colour>` (85% HTTP 500: ERROR_RATE=15 in
# its release script) and `slow-<colour>` (every request sleeps 2 s: LATENCY=2).
ROLLOUTS_DEMO_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple")
ROLLOUTS_DEMO_VARIANTS = ("", "bad-", "slow-")
ROLLOUTS_DEMO_STABLE = f"{ROLLOUTS_DEMO_REPO}:blue"
# What those variants do to each /color request (from ERROR_RATE=15 and LATENCY=2 above).
BAD_ERROR_SHARE = 0.85
SLOW_LATENCY_SECONDS = 2.0

OLLAMA_IMAGE = "ollama/ollama:0.12.10"
CURL_IMAGE = "curlimages/curl:8.11.1"

# kind >= 0.24 ships kindnetd with NetworkPolicy enforcement (kube-network-policies), which the
# air-gapped mode relies on; older kind silently ignores NetworkPolicies.
KIND_MIN_VERSION = (0, 24, 0)

# Our own image; built from the repository or given with E2E_IMAGE.
DEFAULT_OUR_IMAGE = "rollouts-ai-job:e2e"


def rollouts_demo_image(tag: str) -> str:
    return f"{ROLLOUTS_DEMO_REPO}:{tag}"


def rollouts_demo_tags() -> frozenset[str]:
    return frozenset(v + c for v in ROLLOUTS_DEMO_VARIANTS for c in ROLLOUTS_DEMO_COLOURS)


def pinned_images() -> frozenset[str]:
    """Third-party images the demo may run (our image and the model image are built locally)."""
    demo = {rollouts_demo_image(t) for t in rollouts_demo_tags()}
    return frozenset({ARGO_ROLLOUTS_IMAGE, OLLAMA_IMAGE, CURL_IMAGE, *demo})
