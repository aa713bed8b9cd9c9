"""The lab's stand-in for aks-preview: its wheel, built from `az_extension/`, and an index for az.

The wheel is made here, in memory, with no network and no build tool: a wheel is a zip of the
package, a `.dist-info` folder and a RECORD of sha256 digests. Fixed timestamps and file order
make it byte-identical on every build, so its sha256 (which az checks) is stable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import io
import json
import zipfile
from pathlib import Path
from typing import Any

NAME = "aks-preview"
# aks-preview 0.5.5 is the version the article (and Microsoft's pod identity guide) asks for.
VERSION = "0.5.5"
SUMMARY = (
    "The podid lab's stand-in for aks-preview: pod identity commands of the add-on's era "
    "(tested only against the lab)."
)
PACKAGE = "azext_aks_preview"
WHEEL_FILENAME = f"{NAME.replace('-', '_')}-{VERSION}-py3-none-any.whl"
INDEX_PATH = "/_lab/az-extensions/index.json"
WHEEL_PATH = f"/_lab/az-extensions/{WHEEL_FILENAME}"
_DIST_INFO = f"{NAME.replace('-', '_')}-{VERSION}.dist-info"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def source_dir() -> Path:
    """Where the extension's package is installed (found, never imported: it needs az)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the extension's package {PACKAGE} (az_extension/) is not installed with the lab: "
            "reinstall the tutorial (make setup)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _package_files() -> list[tuple[str, bytes]]:
    root = source_dir()
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [(f"{PACKAGE}/{p.relative_to(root).as_posix()}", p.read_bytes()) for p in files]


def azext_metadata() -> dict[str, Any]:
    """The extension's own metadata file (the az core versions it supports)."""
    doc: dict[str, Any] = json.loads((source_dir() / "azext_metadata.json").read_text())
    return doc


def _dist_info_files() -> list[tuple[str, bytes]]:
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {VERSION}\n"
        f"Summary: {SUMMARY}\n"
        "License: MIT\n"
    )
    wheel = "Wheel-Version: 1.0\nGenerator: podid-lab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    return [
        (f"{_DIST_INFO}/METADATA", metadata.encode()),
        (f"{_DIST_INFO}/WHEEL", wheel.encode()),
    ]


@functools.cache
def wheel_bytes() -> bytes:
    """The extension's wheel (built once per lab process)."""
    files = _package_files() + _dist_info_files()
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files)
    record += f"{_DIST_INFO}/RECORD,,\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in [*files, (f"{_DIST_INFO}/RECORD", record.encode())]:
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            whl.writestr(info, data)
    return out.getvalue()


def index_doc(origin: str) -> dict[str, Any]:
    """az's extension index (format v1), listing only this extension, as a stable release."""
    data = wheel_bytes()
    return {
        "formatVersion": "1",
        "extensions": {
            NAME: [
                {
                    "downloadUrl": f"{origin}{WHEEL_PATH}",
                    "filename": WHEEL_FILENAME,
                    "sha256Digest": hashlib.sha256(data).hexdigest(),
                    "metadata": {
                        **azext_metadata(),
                        "name": NAME,
                        "version": VERSION,
                        "summary": SUMMARY,
                        "license": "MIT",
                        "metadata_version": "2.1",
                    },
                }
            ]
        },
    }
