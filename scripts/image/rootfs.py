"""Assemble the image's runtime root filesystem, distroless-style, inside the build stage.

    python3 rootfs.py /opt/venv /rootfs

It holds the interpreter, its standard library (without ensurepip, venv, tests, IDLE, tkinter,
distutils, and the extension modules that link to databases, curses or NIS), the shared
libraries the interpreter, its extension modules and the venv's link to (found with ldd, so
nothing is guessed), the CA bundle, a passwd/group naming uid 65532, and the venv. No
shell, no package manager, no perl, no openssl CLI, no setuid file: nothing a locked-down Job needs
and an intruder would use. The Debian packages whose files were copied are recorded in
/var/lib/dpkg/status.d/ (as distroless images do) so that image scanners can still see, for
instance, which libssl3 the image carries. Standard library only; runs with the base's python3.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

STDLIB_LEFT_OUT = {
    "ensurepip", "venv", "idlelib", "tkinter", "turtledemo", "test", "lib2to3", "__pycache__",
    "site-packages", "dist-packages",  # python:*-slim keeps pip and setuptools there
    "distutils",  # deprecated, and nothing the tool runs imports it
}  # fmt: skip
# Extension modules nothing the tool runs imports, each of which would pull its own libraries in
# (Berkeley DB, SQLite, ncurses, readline, NIS/Kerberos) or is CPython's own test code.
EXTENSIONS_LEFT_OUT = re.compile(
    r"^(_dbm|_gdbm|_sqlite3|readline|_curses|_curses_panel|nis|_tkinter|_test|_xxtest|xxlimited)"
)
# glibc dlopen()s libgcc_s when a thread is cancelled or unwinds; ldd cannot see that.
DLOPENED = ["libgcc_s.so.1"]
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n"
GROUP = "root:x:0:\nnonroot:x:65532:\n"


class RootFS:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources: set[str] = set()  # every host path copied, to find the packages it came from

    def dest(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def add(self, path: str) -> None:
        """Copy `path` to the same place, keeping each symlink on the way (usrmerge: /lib -> usr/lib)."""
        path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        target = self.dest(path)
        if target.exists() or target.is_symlink():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        self.sources.add(path)
        if os.path.islink(path):
            link = os.readlink(path)
            target.symlink_to(link)
            self.add(os.path.join(os.path.dirname(path), link))
        else:
            shutil.copy2(path, target)

    def add_tree(self, top: str, left_out: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        for directory, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d not in left_out and not d.startswith("config-"))
            for name in sorted(files):
                if name.endswith(".so") and EXTENSIONS_LEFT_OUT.match(name):
                    continue
                path = os.path.join(directory, name)
                if os.path.exists(path):  # a dangling symlink (Debian's optional sitecustomize) is skipped
                    self.add(path)

    def elf_files(self) -> list[str]:
        found = []
        for directory, _, files in os.walk(self.root):
            for name in files:
                path = os.path.join(directory, name)
                if not os.path.islink(path):
                    with open(path, "rb") as file:
                        if file.read(4) == b"\x7fELF":
                            found.append(path)
        return sorted(found)


def libraries_of(elf: str) -> list[str]:
    """Every shared library `elf` loads, transitively, with the dynamic loader itself (ldd)."""
    out = subprocess.run(["ldd", elf], capture_output=True, text=True, check=False).stdout
    if "not found" in out:
        sys.exit(f"rootfs.py: {elf} needs a library the base image lacks:\n{out}")
    return re.findall(r"(?:=>\s*)?(/\S+)\s+\(0x", out)


def dpkg_owners(paths: set[str]) -> set[str]:
    """The Debian packages owning these files (none on a base that has no dpkg, e.g. python:*-slim)."""
    owners: dict[str, str] = {}
    info = Path("/var/lib/dpkg/info")
    for listing in sorted(info.glob("*.list")) if info.is_dir() else []:
        package = listing.stem.split(":")[0]
        for line in listing.read_text(errors="replace").splitlines():
            real = os.path.join(os.path.realpath(os.path.dirname(line)), os.path.basename(line))
            owners.setdefault(real, package)
    return {owners[path] for path in paths if path in owners}


def write_dpkg_status(fs: RootFS, packages: set[str]) -> None:
    status = Path("/var/lib/dpkg/status")
    if not status.exists():
        return
    stanzas = {}
    for stanza in status.read_text().split("\n\n"):
        match = re.search(r"^Package: (\S+)", stanza, re.M)
        if match:
            stanzas[match.group(1)] = stanza.strip() + "\n"
    directory = fs.dest("/var/lib/dpkg/status.d")
    directory.mkdir(parents=True)
    for package in sorted(packages & stanzas.keys()):
        (directory / package).write_text(stanzas[package])


def main(venv: str, root: str) -> None:
    fs = RootFS(Path(root))
    for name in sorted(os.listdir("/")):  # keep the merged-/usr links, so /lib/... paths resolve
        if os.path.islink(f"/{name}"):
            fs.dest(f"/{name}").parent.mkdir(parents=True, exist_ok=True)
            fs.dest(f"/{name}").symlink_to(os.readlink(f"/{name}"))
    shutil.copytree(venv, fs.dest(venv), symlinks=True)
    venv_python = os.path.join(venv, "bin", "python")
    fs.add(
        os.path.join(os.path.dirname(venv_python), os.readlink(venv_python))
    )  # the interpreter it links to
    fs.add(sys.executable)
    for key in ("stdlib", "platstdlib"):
        fs.add_tree(sysconfig.get_path(key), STDLIB_LEFT_OUT)
    for elf in fs.elf_files():
        for library in libraries_of(elf):
            fs.add(library)
    for name in DLOPENED:
        for directory in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"):
            if os.path.exists(f"{directory}/{name}"):
                fs.add(f"{directory}/{name}")
                break
    if os.path.exists(CA_BUNDLE):
        fs.dest(CA_BUNDLE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(CA_BUNDLE), fs.dest(CA_BUNDLE))
    fs.dest("/etc/passwd").write_text(PASSWD)
    fs.dest("/etc/group").write_text(GROUP)
    if os.path.exists("/etc/os-release"):  # tells scanners which distribution the files came from
        shutil.copy2(os.path.realpath("/etc/os-release"), fs.dest("/etc/os-release"))
    fs.dest("/tmp").mkdir(mode=0o1777)
    fs.dest("/tmp").chmod(0o1777)
    write_dpkg_status(fs, dpkg_owners(fs.sources))


if __name__ == "__main__":
    main(*sys.argv[1:])
