"""
A PEP 517 build backend in the standard library alone, for this one pure-Python package: it writes
the wheel (src/aigccloud, its metadata and the `aigccloud` command) and an sdist. It exists so that
installing the package never needs setuptools, wheel or a package index.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile
from typing import Dict, List, Optional

try:
    import tomllib  # Python 3.11+
except ImportError:  # pragma: no cover - older Pythons read the few fields below by hand
    tomllib = None  # type: ignore

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "aigccloud"


def _project() -> Dict[str, object]:
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        raw = f.read()
    if tomllib is not None:
        return tomllib.loads(raw.decode("utf-8"))["project"]
    # A minimal reader for this file's flat `key = "value"` lines in [project].
    out: Dict[str, object] = {}
    section = ""
    for line in raw.decode("utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "project" and "=" in line and line.split("=", 1)[1].strip().startswith('"'):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    out.setdefault("scripts", {"aigccloud": "aigccloud._cli:main"})
    return out


def _metadata() -> str:
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}", f"Summary: {p['description']}", f"Requires-Python: {p.get('requires-python', '>=3.9')}"]
    for c in p.get("classifiers", []) or []:  # type: ignore[union-attr]
        lines.append(f"Classifier: {c}")
    readme = os.path.join(HERE, "README.md")
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = "\n" + f.read()
    return "\n".join(lines) + "\n" + body


def _dist_info() -> str:
    p = _project()
    return f"{p['name']}-{p['version']}.dist-info"


def _files() -> List[str]:
    root = os.path.join(HERE, "src")
    out = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, PACKAGE)):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith((".py", ".typed")):
                out.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    return sorted(out)


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{path},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def _wheel(wheel_directory: str, editable: bool) -> str:
    p = _project()
    name = f"{p['name']}-{p['version']}-py3-none-any.whl"
    info = _dist_info()
    records: List[str] = []
    scripts = p.get("scripts") or {}
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:

        def add(path: str, data: bytes) -> None:
            z.writestr(path, data)
            records.append(_record_line(path, data))

        if editable:
            add(f"{PACKAGE}.pth", (os.path.join(HERE, "src") + "\n").encode("utf-8"))
        else:
            for rel in _files():
                with open(os.path.join(HERE, "src", rel), "rb") as f:
                    add(rel, f.read())
        add(f"{info}/METADATA", _metadata().encode("utf-8"))
        add(f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: aigccloud build_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        if scripts:
            entry = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())  # type: ignore[union-attr]
            add(f"{info}/entry_points.txt", entry.encode("utf-8"))
        records.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return name


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    return _wheel(wheel_directory, editable=False)


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    return _wheel(wheel_directory, editable=True)


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    p = _project()
    base = f"{p['name']}-{p['version']}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for rel in ["pyproject.toml", "build_backend.py", "README.md"] + [f"src/{f}" for f in _files()]:
            full = os.path.join(HERE, rel)
            if os.path.exists(full):
                tar.add(full, arcname=f"{base}/{rel}")
        info = _metadata().encode("utf-8")
        ti = tarfile.TarInfo(f"{base}/PKG-INFO")
        ti.size = len(info)
        tar.addfile(ti, io.BytesIO(info))
    return name
