#!/usr/bin/env python3
"""Vendor pinned fonts and front-end assets into the xxgk package.

For every package declared in scripts/vendor_assets.toml: fetch the pinned archive from its
registry (npm: the tarball from the registry; PyPI: the named file through ``pip download``),
verify it against the pinned integrity hash, check that the package's own licence field names the
licence declared, extract the named files into the package (optionally cutting a font to a
character set with fontTools), and write xxgk/vendored.json: for every file its path, size and
SHA-256, with the package's name, version, licence, source URL and integrity.

Vendoring is a developer's step: the files it writes are committed, nothing is fetched at run time.

    python scripts/vendor_assets.py            # fetch, verify, extract, write the manifest
    python scripts/vendor_assets.py --check    # offline: every file matches the manifest (exit 1 if not)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(__file__).with_suffix(".toml")
PACKAGE_DIR = ROOT / "xxgk"
MANIFEST_NAME = "vendored.json"
NPM_REGISTRY = "https://registry.npmjs.org"
CACHE = Path.home() / ".cache" / "xxgk-vendor"
SUBSETS = ("gb2312",)


class VendorError(Exception):
    pass


@dataclass(frozen=True)
class FileSpec:
    src: str
    dest: str
    subset: str | None = None
    family: str | None = None


@dataclass(frozen=True)
class PackageSpec:
    registry: str
    name: str
    version: str
    integrity: str
    license: str
    files: tuple[FileSpec, ...]
    file: str | None = None  # PyPI: the distribution file's name

    @property
    def source(self) -> str:
        if self.registry == "npm":
            return f"{NPM_REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"
        return f"https://pypi.org/project/{self.name}/{self.version}/#{self.file}"


def load_spec(path: Path = SPEC) -> list[PackageSpec]:
    data = tomllib.loads(path.read_text("utf-8"))
    out = []
    for p in data.get("package", []):
        missing = {"registry", "name", "version", "integrity", "license", "files"} - p.keys()
        if missing:
            raise VendorError(f"{path}: package {p.get('name', '?')} lacks {', '.join(sorted(missing))}")
        if p["registry"] not in ("npm", "pypi"):
            raise VendorError(f"{p['name']}: unknown registry {p['registry']!r} (npm, pypi)")
        if p["registry"] == "pypi" and "file" not in p:
            raise VendorError(f"{p['name']}: a PyPI package names its distribution file (file = ...)")
        files = []
        for f in p["files"]:
            if f.get("subset") not in (None, *SUBSETS):
                raise VendorError(f"{p['name']}: unknown subset {f['subset']!r} ({', '.join(SUBSETS)})")
            dest = Path(f["to"])
            if dest.is_absolute() or ".." in dest.parts:
                raise VendorError(f"{p['name']}: destination outside the package: {f['to']}")
            files.append(FileSpec(f["from"], f["to"], f.get("subset"), f.get("family")))
        out.append(PackageSpec(p["registry"], p["name"], p["version"], p["integrity"], p["license"],
                               tuple(files), p.get("file")))
    return out


def verify_integrity(data: bytes, integrity: str, what: str) -> None:
    """npm's Subresource Integrity ("sha512-<base64>") or "sha256:<hex>" as PyPI lists it."""
    if m := re.fullmatch(r"(sha256|sha384|sha512)-([A-Za-z0-9+/=]+)", integrity):
        got = base64.b64encode(hashlib.new(m[1], data).digest()).decode()
        ok = got == m[2]
    elif m := re.fullmatch(r"sha256:([0-9a-f]{64})", integrity):
        got = hashlib.sha256(data).hexdigest()
        ok = got == m[1]
    else:
        raise VendorError(f"{what}: unsupported integrity {integrity!r}")
    if not ok:
        raise VendorError(f"{what}: integrity mismatch (pinned {integrity}, got {got})")


def fetch(pkg: PackageSpec, cache: Path = CACHE) -> bytes:
    """The package's archive, verified; kept in a cache so that re-vendoring downloads nothing."""
    cached = cache / re.sub(r"[^A-Za-z0-9._-]", "_", f"{pkg.registry}-{pkg.name}-{pkg.version}")
    if cached.exists():
        data = cached.read_bytes()
        try:
            verify_integrity(data, pkg.integrity, pkg.name)
            return data
        except VendorError:
            cached.unlink()
    if pkg.registry == "npm":
        with urllib.request.urlopen(pkg.source, timeout=600) as r:
            data = r.read()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", tmp,
                            f"{pkg.name}=={pkg.version}"], check=True)
            path = Path(tmp) / str(pkg.file)
            if not path.exists():
                raise VendorError(f"{pkg.name}: pip downloaded {[p.name for p in Path(tmp).iterdir()]}, not {pkg.file}")
            data = path.read_bytes()
    verify_integrity(data, pkg.integrity, pkg.name)
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    return data


def member(archive: bytes, name: str) -> bytes:
    """One file of a .tgz/.tar.gz or a zip (wheel)."""
    if archive[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            try:
                return z.read(name)
            except KeyError:
                raise VendorError(f"no {name} in the archive") from None
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as t:
        try:
            f = t.extractfile(name)
        except KeyError:
            f = None
        if f is None:
            raise VendorError(f"no file {name} in the archive")
        return f.read()


def declared_license(pkg: PackageSpec, archive: bytes) -> str:
    """The licence the package declares itself (package.json's license; a wheel's METADATA)."""
    if pkg.registry == "npm":
        meta = json.loads(member(archive, "package/package.json"))
        return str(meta.get("license", ""))
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        meta_name = next((n for n in z.namelist() if n.endswith(".dist-info/METADATA")), None)
        if meta_name is None:
            raise VendorError(f"{pkg.name}: no METADATA in {pkg.file}")
        lines = z.read(meta_name).decode("utf-8", "replace").splitlines()
    return " ".join(v for k, _, v in (ln.partition(": ") for ln in lines)
                    if k in ("License-Expression", "License", "Classifier") and "icense" in (k + v))


def gb2312_text() -> str:
    """Every character of GB 2312 (6,763 hanzi and 682 symbols) and printable ASCII."""
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(sorted(chars))


def subset_font(data: bytes, subset: str, family: str | None) -> bytes:
    """The font cut to a character set (layout features and vertical metrics kept), renamed so
    the cut does not pass itself off as the whole font; byte for byte reproducible."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    opts = ft_subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    sub = ft_subset.Subsetter(opts)
    sub.populate(text=gb2312_text() if subset == "gb2312" else "")
    sub.subset(font)
    if family:
        name = font["name"]
        ps = re.sub(r"[^A-Za-z0-9-]", "", family.replace(" ", "")) + "-Regular"
        for rec in list(name.names):
            if rec.nameID in (1, 16):
                name.setName(family, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
            elif rec.nameID in (3, 4):
                name.setName(f"{family} Regular", rec.nameID, rec.platformID, rec.platEncID, rec.langID)
            elif rec.nameID == 6:
                name.setName(ps, 6, rec.platformID, rec.platEncID, rec.langID)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def vendor(specs: list[PackageSpec], package_dir: Path = PACKAGE_DIR,
           fetcher: Callable[[PackageSpec], bytes] = fetch) -> dict:
    """Fetch, verify and extract every package; write the manifest; remove files an earlier
    manifest listed that no package provides any more."""
    import fontTools

    manifest_path = package_dir / MANIFEST_NAME
    old = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {"packages": []}
    packages = []
    for pkg in specs:
        archive = fetcher(pkg)
        verify_integrity(archive, pkg.integrity, pkg.name)
        declared = declared_license(pkg, archive)
        if pkg.license not in declared:
            raise VendorError(f"{pkg.name}: declared licence {declared!r} does not name {pkg.license}")
        files = []
        for f in pkg.files:
            data = member(archive, f.src)
            entry: dict[str, object] = {"path": f.dest, "from": f.src}
            if f.subset:
                entry["from_sha256"] = _sha256(data)
                entry["transform"] = (f"fontTools {fontTools.version} subset to {f.subset.upper()} and "
                                      f"printable ASCII, renamed {f.family!r}")
                data = subset_font(data, f.subset, f.family)
            dest = package_dir / f.dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            entry.update(sha256=_sha256(data), size=len(data))
            files.append(entry)
        packages.append({"name": pkg.name, "registry": pkg.registry, "version": pkg.version,
                         "license": pkg.license, "source": pkg.source, "integrity": pkg.integrity,
                         "files": files})
    manifest = {"about": "Files vendored by scripts/vendor_assets.py from pinned registry packages; "
                         "paths are relative to the xxgk package.", "packages": packages}
    kept = {f["path"] for p in packages for f in p["files"]}
    for p in old.get("packages", []):
        for f in p.get("files", []):
            if f["path"] not in kept and (package_dir / f["path"]).is_file():
                (package_dir / f["path"]).unlink()
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return manifest


def check(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """What does not match the manifest (a missing file, another size or SHA-256)."""
    manifest_path = package_dir / MANIFEST_NAME
    if not manifest_path.exists():
        return [f"no manifest {manifest_path}"]
    problems = []
    for p in json.loads(manifest_path.read_text("utf-8"))["packages"]:
        for f in p["files"]:
            path = package_dir / f["path"]
            if not path.is_file():
                problems.append(f"{f['path']}: missing")
            elif (sha := _sha256(path.read_bytes())) != f["sha256"]:
                problems.append(f"{f['path']}: SHA-256 {sha}, the manifest says {f['sha256']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify the vendored files offline")
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--cache", type=Path, default=CACHE)
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        for line in problems:
            print(line, file=sys.stderr)
        print("vendored files match the manifest" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    try:
        manifest = vendor(load_spec(args.spec), fetcher=lambda p: fetch(p, args.cache))
    except VendorError as e:
        print(f"vendor_assets: {e}", file=sys.stderr)
        return 1
    for p in manifest["packages"]:
        for f in p["files"]:
            print(f"{p['name']}@{p['version']} {f['path']} {f['size']} bytes sha256 {f['sha256'][:16]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
