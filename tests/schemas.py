"""Validate Kubernetes manifests against real schemas, for every test that ships one.

* Argo Rollouts kinds against the CRDs of the Argo Rollouts release we target (vendored in
  `tests/crds/argo-rollouts-<tag>/` for the tag e2e/pins.py pins; `make crds` refreshes them),
  with unknown fields refused as `kubectl apply --validate=strict` would refuse them.
* Core kinds (Job, Role, ServiceAccount, Deployment, ...) with the `kubernetes-validate` package,
  strict, against the oldest Kubernetes version we support.

    from tests.schemas import validate_manifest, load_documents
    for doc in load_documents(Path("templates/analysistemplate-job.yaml")):
        validate_manifest(doc)
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from e2e.pins import ARGO_ROLLOUTS_VERSION

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KUBERNETES_VERSION = "1.30.0"  # the oldest cluster the templates must apply to

CRD_FILES = {
    "AnalysisTemplate": "analysis-template-crd.yaml",
    "ClusterAnalysisTemplate": "cluster-analysis-template-crd.yaml",
    "Rollout": "rollout-crd.yaml",
}


# Only the repository's own copy: a clone has nothing beside it (see its README for the source).
CRDS_DIR = PROJECT_ROOT / "tests" / "crds" / f"argo-rollouts-{ARGO_ROLLOUTS_VERSION}"
# Flagger's CRDs (one file, several documents), for the Flagger Canary example.
FLAGGER_VERSION = "v1.44.0"
FLAGGER_CRDS = PROJECT_ROOT / "tests" / "crds" / f"flagger-{FLAGGER_VERSION}" / "crd.yaml"


def _closed(schema: Any) -> Any:
    """Refuse unknown fields wherever the CRD lists its fields and does not say to keep unknown ones."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {
        key: {name: _closed(sub) for name, sub in value.items()} if key == "properties" else _closed(value)
        for key, value in schema.items()
    }  # property names are data, not keywords: only their schemas are rewritten
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        closed["additionalProperties"] = False
    return closed


@functools.cache
def _crd(crd_file: str) -> dict[str, Any]:
    """An Argo CRD by file name, or a Flagger one as `flagger:<kind>` (from Flagger's crd.yaml)."""
    if crd_file.startswith("flagger:"):
        kind = crd_file.partition(":")[2]
        documents = yaml.safe_load_all(FLAGGER_CRDS.read_text())
        return next(d for d in documents if d and d["spec"]["names"]["kind"] == kind)
    return yaml.safe_load((CRDS_DIR / crd_file).read_text())


@functools.cache
def crd_schema(crd_file: str, version: str | None = None) -> dict[str, Any]:
    """The CRD's schema for `version` (default: its first), closed against unknown fields."""
    versions = _crd(crd_file)["spec"]["versions"]
    chosen = next(v for v in versions if v["name"] == version) if version else versions[0]
    return _closed(chosen["schema"]["openAPIV3Schema"])


def _errors(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


def crd_errors(doc: dict[str, Any], crd_file: str) -> list[str]:
    """Every place where `doc` breaks the CRD (kind, apiVersion, strict schema); [] when it fits."""
    spec = _crd(crd_file)["spec"]
    group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
    served = [v["name"] for v in spec["versions"]]
    if doc.get("kind") != spec["names"]["kind"] or group != spec["group"] or version not in served:
        return [
            f"<root>: {doc.get('apiVersion')} {doc.get('kind')} is not what {crd_file} defines "
            f"({spec['group']}/{'|'.join(served)} {spec['names']['kind']})"
        ]
    return _errors(jsonschema.Draft7Validator(crd_schema(crd_file, version)), doc)


def validate_against_crd(doc: dict[str, Any], crd_file: str) -> None:
    """Raise AssertionError listing every place where `doc` breaks the CRD's schema."""
    errors = crd_errors(doc, crd_file)
    if errors:
        raise AssertionError(
            f"{doc.get('kind')} {doc.get('metadata', {}).get('name')} breaks {crd_file}:\n  "
            + "\n  ".join(errors)
        )


def validate_core(doc: dict[str, Any], version: str = KUBERNETES_VERSION) -> None:
    """Validate a built-in kind strictly; raise AssertionError with the schema's complaint."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = "/".join(str(p) for p in error.path)
        raise AssertionError(
            f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: {where}: {error.message}"
        ) from None


def validate_manifest(doc: dict[str, Any]) -> None:
    """Argo and Flagger kinds against their CRDs, everything else as a core kind."""
    if str(doc.get("apiVersion", "")).startswith("flagger.app/"):
        validate_against_crd(doc, f"flagger:{doc.get('kind')}")
    elif str(doc.get("apiVersion", "")).startswith("argoproj.io/"):
        if doc.get("kind") not in CRD_FILES:
            raise AssertionError(f"no CRD here for {doc.get('kind')}: add it to CRD_FILES")
        validate_against_crd(doc, CRD_FILES[doc["kind"]])
    else:
        validate_core(doc)


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def job_from_metric(metric: dict[str, Any], name: str = "analysis-job") -> dict[str, Any]:
    """The batch/v1 Job Argo Rollouts would create from a Job metric, to validate it as a core kind."""
    job = metric["provider"]["job"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, **job.get("metadata", {})},
        "spec": job["spec"],
    }
