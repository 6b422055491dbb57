"""One image name everywhere: what `make image` builds is what the templates run and e2e swaps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import job
from e2e import render
from tests.schemas import PROJECT_ROOT, load_documents

# templates/ollama.yaml runs Ollama with a model baked in by `make model-image`, not our image;
# tests/test_model_image.py checks that name.
NOT_OUR_IMAGE = {"ollama.yaml"}
TEMPLATES = sorted(p for p in (PROJECT_ROOT / "templates").glob("*.yaml") if p.name not in NOT_OUR_IMAGE)


def built_image_name() -> str:
    """The repository part of the image scripts/build-image.sh tags when IMAGE is not set."""
    script = (PROJECT_ROOT / "scripts" / "build-image.sh").read_text()
    [default] = re.findall(r'^image="\$\{IMAGE:-([^}]+)\}"$', script, flags=re.MULTILINE)
    name, tag = default.rsplit(":", 1)
    assert tag == "$version", f"build-image.sh tags {default!r}, not the package version"
    return name


def images_in(node: Any) -> Iterator[str]:
    """Every container `image:` anywhere in a document (Job metrics, Deployments, ...)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from images_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from images_in(item)


def template_images() -> dict[str, set[str]]:
    return {path.name: {i for doc in load_documents(path) for i in images_in(doc)} for path in TEMPLATES}


def strays(found: dict[str, set[str]], expected: str) -> list[str]:
    return [
        f"{name}: {image}" for name, images in sorted(found.items()) for image in sorted(images - {expected})
    ]


def test_every_template_runs_the_image_the_build_produces_at_the_package_version() -> None:
    expected = f"{built_image_name()}:{job.__version__}"
    found = template_images()
    assert {"analysistemplate-job.yaml", "web-service.yaml"} <= {n for n, images in found.items() if images}
    assert strays(found, expected) == [], f"the build makes {expected}"


def test_e2e_recognises_the_templates_image_by_name() -> None:
    assert built_image_name() == render.OUR_IMAGE_NAME
    for images in template_images().values():
        assert all(render.is_our_image(image) for image in images)


def test_docs_image_examples_use_the_built_name_and_version() -> None:
    pages = (PROJECT_ROOT / "docs" / "image.md").read_text() + (PROJECT_ROOT / "README.md").read_text()
    named = set(re.findall(rf"\b{re.escape(built_image_name())}:([\w.-]+)", pages))
    assert named == {job.__version__}


@pytest.mark.parametrize("bad", ["ghcr.io/x/rollouts-ai-job:0.1.0", "rollouts-ai-job:9.9.9"])
def test_the_check_can_fail(bad: str) -> None:
    expected = f"{built_image_name()}:{job.__version__}"
    doc = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": expected}, {"image": bad}]}}}}
    assert strays({"x.yaml": set(images_in(doc))}, expected) == [f"x.yaml: {bad}"]
