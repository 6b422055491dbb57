"""Bake models from a local Ollama model store into an Ollama image, for air-gapped clusters.

    make model-image MODEL="qwen2.5-coder:1.5b-instruct qwen2.5-coder:0.5b-instruct" \
        [MODELS=~/.ollama/models] [ENGINE=podman] [IMAGE=...]
    python -m e2e.model_image qwen2.5-coder:1.5b-instruct qwen2.5-coder:0.5b-instruct \
        --models ~/.ollama/models

The store is what `ollama pull` writes (`$OLLAMA_MODELS`, default `~/.ollama/models`):
`manifests/<registry>/<namespace>/<model>/<tag>` is a JSON manifest naming its layers by digest,
and each layer is `blobs/sha256-<hex>`. Only the named models' manifests and blobs are copied into
the image (checked against the manifests' sizes first, and their sha256 with --verify; a blob two
models share is copied once), under /models with OLLAMA_MODELS pointing there, so the cluster never
downloads a model. templates/ollama.yaml runs the image with both default models (the analysis
Job's and the web service's); the e2e demo builds its one-model image with this same code
(e2e/stack.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from e2e import pins

DEFAULT_REGISTRY = "registry.ollama.ai"
DEFAULT_REPOSITORY = "rollouts-ai-job/ollama"


class ModelImageError(RuntimeError):
    """The model cannot be baked; the message names the cause and the fix."""


@dataclass(frozen=True)
class ModelName:
    registry: str
    namespace: str
    model: str
    tag: str

    @classmethod
    def parse(cls, name: str) -> ModelName:
        """`qwen2.5-coder:1.5b-instruct`, `user/model:tag`, `host/ns/model:tag` as Ollama reads them."""
        match = re.fullmatch(r"(?:(?P<path>[\w.-]+(?:/[\w.-]+){0,2}))(?::(?P<tag>[\w.-]+))?", name.strip())
        if not match:
            raise ModelImageError(
                f"{name!r} is not an Ollama model name: use e.g. qwen2.5-coder:1.5b-instruct"
            )
        parts = match.group("path").split("/")
        if len(parts) == 3:
            registry, namespace, model = parts
        elif len(parts) == 2:
            registry, (namespace, model) = DEFAULT_REGISTRY, parts
        else:
            registry, namespace, model = DEFAULT_REGISTRY, "library", parts[0]
        return cls(registry, namespace, model, match.group("tag") or "latest")

    def __str__(self) -> str:
        path = self.model if self.namespace == "library" else f"{self.namespace}/{self.model}"
        return f"{path}:{self.tag}"

    @property
    def manifest(self) -> Path:
        return Path("manifests", self.registry, self.namespace, self.model, self.tag)


def default_store() -> Path:
    return Path(os.environ.get("OLLAMA_MODELS") or Path.home() / ".ollama" / "models")


def image_name(models: str | Sequence[str], repository: str = DEFAULT_REPOSITORY) -> str:
    """`<repository>:<ollama version>-<model slugs>`, a valid local tag for any model names."""
    names = [models] if isinstance(models, str) else list(models)
    slug = re.sub(r"[^a-z0-9.]+", "-", "-".join(names).lower()).strip("-")
    return f"{repository}:{pins.OLLAMA_IMAGE.rsplit(':', 1)[1]}-{slug}"


def model_files(store: Path, name: ModelName, verify: bool = False) -> list[Path]:
    """The manifest and the blobs of one model, relative to `store`, each checked to be there
    whole (size, and sha256 with `verify`); a missing or cut file is an error naming it."""
    manifest_path = store / name.manifest
    if not manifest_path.is_file():
        raise ModelImageError(
            f"{name} is not in the model store {store} (no {name.manifest}): run `ollama pull {name}` "
            "where there is network, or point MODELS= / --models at the store that has it"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        layers = [manifest["config"], *manifest["layers"]]
        wanted = [(str(layer["digest"]), int(layer["size"])) for layer in layers]
    except (ValueError, KeyError, TypeError) as error:
        raise ModelImageError(
            f"{manifest_path} is not an Ollama manifest ({error}): pull the model again"
        ) from None
    files = [name.manifest]
    for digest, size in wanted:
        algorithm, _, hexdigest = digest.partition(":")
        if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexdigest):
            raise ModelImageError(f"{manifest_path} names a layer {digest!r} that is not a sha256 digest")
        blob = Path("blobs", f"sha256-{hexdigest}")
        path = store / blob
        if not path.is_file():
            raise ModelImageError(f"{name}: blob {blob} is missing from {store}: pull the model again")
        if path.stat().st_size != size:
            raise ModelImageError(
                f"{name}: blob {blob} has {path.stat().st_size} bytes, the manifest says {size}: "
                "the download was cut; pull the model again"
            )
        if verify and _sha256(path) != hexdigest:
            raise ModelImageError(f"{name}: blob {blob} does not match its sha256: pull the model again")
        files.append(blob)
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def containerfile(base: str = pins.OLLAMA_IMAGE) -> str:
    return (
        f"FROM {base}\n"
        "COPY models /models\n"
        # A baked model store is read-only at run time: nothing to prune, nothing to pull.
        "ENV OLLAMA_MODELS=/models OLLAMA_NOPRUNE=1\n"
    )


def stage(store: Path, files: list[Path], context: Path, base: str = pins.OLLAMA_IMAGE) -> Path:
    """A build context with only these files under models/, readable by any user (the pod runs
    as non-root); hard links where the store allows it, copies otherwise."""
    for relative in files:
        source, target = store / relative, context / "models" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        readable = source.stat().st_mode & stat.S_IROTH
        try:
            if not readable:
                raise OSError("copy to change the mode")
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
            target.chmod(0o644)
    for directory in [context / "models", *(context / "models").rglob("*")]:
        if directory.is_dir():
            directory.chmod(0o755)
    (context / "Containerfile").write_text(containerfile(base), encoding="utf-8")
    return context


def build(
    models: str | Sequence[str],
    store: Path,
    image: str,
    engine: str = "docker",
    base: str = pins.OLLAMA_IMAGE,
    verify: bool = False,
) -> str:
    """Stage the models and build the image with `engine` (docker or podman); returns the image."""
    names = [models] if isinstance(models, str) else list(models)
    if not names:
        raise ModelImageError("no model named: name at least one, e.g. qwen2.5-coder:1.5b-instruct")
    files: dict[Path, None] = {}  # ordered and without repeats: models share blobs
    for name in names:
        files.update(dict.fromkeys(model_files(store, ModelName.parse(name), verify)))
    if not shutil.which(engine):
        raise ModelImageError(f"{engine} is not installed: install it or choose ENGINE=docker|podman")
    try:  # next to the store, so the blobs can be hard-linked instead of copied
        staging = tempfile.TemporaryDirectory(prefix="model-image-", dir=store.parent)
    except OSError:
        staging = tempfile.TemporaryDirectory(prefix="model-image-")
    with staging as tmp:
        context = stage(store, list(files), Path(tmp), base)
        argv = [engine, "build", "-t", image, "-f", str(context / "Containerfile"), str(context)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ModelImageError(
                f"`{' '.join(argv[:4])} …` exited {done.returncode}: {done.stderr.strip()[-1500:]}"
            )
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make model-image", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "model",
        nargs="+",
        help="Ollama model names, e.g. qwen2.5-coder:1.5b-instruct qwen2.5-coder:0.5b-instruct",
    )
    parser.add_argument(
        "--models", type=Path, default=None, help="model store (default: $OLLAMA_MODELS or ~/.ollama/models)"
    )
    parser.add_argument("--image", default=None, help=f"image to build (default: {image_name('<models>')})")
    engine = os.environ.get("ENGINE") or "docker"
    parser.add_argument("--engine", default=engine, choices=("docker", "podman"))
    parser.add_argument("--base", default=pins.OLLAMA_IMAGE, help="Ollama image to build on")
    parser.add_argument("--verify", action="store_true", help="check every blob's sha256 (reads them all)")
    args = parser.parse_args(argv)
    store = (args.models or default_store()).expanduser()
    try:
        image = args.image or image_name(args.model)
        image = build(args.model, store, image, args.engine, args.base, args.verify)
    except ModelImageError as error:
        print(f"make model-image: {error}", file=sys.stderr)
        return 1
    print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
