#!/usr/bin/env python3
"""Prints deb-src entries (deb822) mirroring this machine's own Debian apt sources, so that
`apt-get source` can fetch Debian's source packages from the same archive the binaries come
from. Nothing is hard-coded: the archive addresses are read from /etc/apt at run time.

Only the distribution's own suites are mirrored (`<codename>` and `<codename>-*`, e.g.
bookworm, bookworm-updates, bookworm-security): third-party repositories often publish no
sources, which would make `apt-get update` fail.

With --mirror, prints the archive address of the main suite instead (for debootstrap); with
--binary, the same entries as binary (deb) sources (for an image base made by debootstrap)."""

import glob
import re
import sys


def codename():
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    sys.exit("apt-deb-src: no VERSION_CODENAME in /etc/os-release")


def own_suite(suite, name):
    return suite == name or suite.startswith(name + "-")


def deb822_stanzas(text):
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if fields:
            yield fields


def entries(name):
    """(uris, suites, components, signed_by) of every enabled binary entry."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path) as f:
            for s in deb822_stanzas(f.read()):
                if "deb" in s.get("types", "").split() and s.get("enabled", "yes") != "no":
                    yield (s.get("uris", ""), s.get("suites", ""), s.get("components", ""),
                           s.get("signed-by", ""))
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            line = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb":
                yield line[1], line[2], " ".join(line[3:]), ""


def mirror(name):
    """The archive of the distribution's main suite (for debootstrap)."""
    for uris, suites, _components, _signed_by in entries(name):
        if name in suites.split() and uris:
            return uris.split()[0]
    sys.exit(f"apt-deb-src: no apt source for the {name} suite found under /etc/apt")


def main():
    name = codename()
    if sys.argv[1:] == ["--mirror"]:
        print(mirror(name))
        return
    kind = "deb" if sys.argv[1:] == ["--binary"] else "deb-src"
    out = []
    for uris, suites, components, signed_by in entries(name):
        mine = [s for s in suites.split() if own_suite(s, name)]
        if not mine or not uris:
            continue
        out.append(f"Types: {kind}\nURIs: {uris}\nSuites: {' '.join(mine)}\n"
                   f"Components: {components}\n" +
                   (f"Signed-By: {signed_by}\n" if signed_by else ""))
    if not out:
        sys.exit(f"apt-deb-src: no apt source for {name} found under /etc/apt")
    print("# Derived from this machine's apt sources by multus-cpp's scripts/apt-deb-src.py")
    print("\n".join(out), end="")


main()
