"""The lab's extension index and the aks-preview stand-in's wheel, without az."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import requests

from podid_lab import azext
from podid_lab.home import LabHome


def test_the_wheel_is_the_same_bytes_on_every_build() -> None:
    assert azext.wheel_bytes.__wrapped__() == azext.wheel_bytes.__wrapped__()


def test_the_wheel_holds_the_package_its_metadata_and_a_true_record() -> None:
    whl = zipfile.ZipFile(io.BytesIO(azext.wheel_bytes()))
    names = whl.namelist()
    assert "azext_aks_preview/__init__.py" in names
    assert "azext_aks_preview/azext_metadata.json" in names
    assert not [n for n in names if "__pycache__" in n]
    dist = f"aks_preview-{azext.VERSION}.dist-info"
    metadata = whl.read(f"{dist}/METADATA").decode()
    assert "Name: aks-preview\n" in metadata and f"Version: {azext.VERSION}\n" in metadata
    assert "stand-in" in metadata
    for line in whl.read(f"{dist}/RECORD").decode().splitlines():
        name, digest, size = line.split(",")
        if name.endswith("RECORD"):
            continue
        data = whl.read(name)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        assert digest == f"sha256={expected.decode()}" and int(size) == len(data)


def test_the_index_lists_a_stable_entry_with_the_wheels_sha256(lab_info: dict[str, Any]) -> None:
    origin = lab_info["arm_endpoint"]
    got = requests.get(f"{origin}{azext.INDEX_PATH}", verify=lab_info["ca_bundle"], timeout=30)
    assert got.status_code == 200
    (entry,) = got.json()["extensions"]["aks-preview"]
    assert entry["downloadUrl"] == f"{origin}{azext.WHEEL_PATH}"
    assert entry["filename"].endswith("-py3-none-any.whl")
    assert "azext.isPreview" not in entry["metadata"]  # a stable entry: az needs no flag
    assert entry["metadata"]["azext.maxCliCoreVersion"] == "2.91.0"
    wheel = requests.get(entry["downloadUrl"], verify=lab_info["ca_bundle"], timeout=30)
    assert hashlib.sha256(wheel.content).hexdigest() == entry["sha256Digest"]


def test_az_env_without_az_says_how_to_get_it(lab_home: LabHome, tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PODID_LAB_HOME": str(lab_home.root),
    }
    shown = 'echo "$AZURE_EXTENSION_INDEX_URL|$AZURE_EXTENSION_DIR|$KUBECONFIG"'
    done = subprocess.run(
        ["bash", "-c", f'eval "$({sys.executable} -m podid_lab az-env)"; {shown}'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "az is not installed here; get one with: podid-lab az-install" in done.stderr
    index, extensions, kubeconfig = done.stdout.strip().split("|")
    assert index.endswith(azext.INDEX_PATH)
    assert extensions == str(lab_home.az_extension_dir)
    assert kubeconfig == str(lab_home.az_kubeconfig)
    assert not (tmp_path / ".kube").exists() and os.listdir(tmp_path) == []
