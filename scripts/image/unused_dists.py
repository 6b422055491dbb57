"""Print the distributions installed in a venv that the application never needs, for the image build.

    /tmp/tools/bin/python unused_dists.py /opt/venv rollouts-ai-job "kubernetes>aiohttp" ...

Walks the requirements (markers evaluated for this interpreter, extras left out) from the project
through the venv's installed metadata, leaving out the named `parent>child` edges: kubernetes>=35
requires aiohttp and aiohttp-retry only for its asyncio client (kubernetes/aio), which the image
removes and the tool never imports. Anything else that requires a package keeps it, so a new
dependency on aiohttp (or on one of its own dependencies) is never removed from under it.

Runs with the build's throwaway pip venv: requirement parsing and markers are pip's vendored
`packaging` (the library pip itself uses), so no parser is written here.
"""

from __future__ import annotations

import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name


def needed_children(dist: metadata.Distribution) -> list[str]:
    children = []
    for line in dist.requires or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            children.append(canonicalize_name(requirement.name))
    return children


def unused(site_packages: Path, root: str, skipped_edges: set[tuple[str, str]]) -> list[str]:
    dists = metadata.distributions(path=[str(site_packages)])
    installed = {canonicalize_name(d.metadata["Name"]): d for d in dists}
    needed: set[str] = set()
    todo = [canonicalize_name(root)]
    while todo:
        name = todo.pop()
        if name in needed or name not in installed:
            continue
        needed.add(name)
        todo += [child for child in needed_children(installed[name]) if (name, child) not in skipped_edges]
    return sorted(set(installed) - needed)


def main(venv: str, root: str, *edges: str) -> None:
    purelib = sysconfig.get_path("purelib", vars={"base": venv, "platbase": venv})
    skipped = {(canonicalize_name(a), canonicalize_name(b)) for a, _, b in (e.partition(">") for e in edges)}
    print("\n".join(unused(Path(purelib), root, skipped)))


if __name__ == "__main__":
    main(*sys.argv[1:])
