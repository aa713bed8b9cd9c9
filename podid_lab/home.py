"""Where the lab keeps its state, keys and CA (`PODID_LAB_HOME`), and how files are written."""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 47443
_FOLDERS = ("ca", "keys", "run", "kubeconfigs", "az")


class HomeError(Exception):
    """The lab's home is not safe to use (another user could change it)."""


@dataclass(frozen=True)
class LabHome:
    """The lab's folder; every path the lab reads or writes is named here."""

    root: Path

    @classmethod
    def from_env(cls) -> LabHome:
        """The folder named by `PODID_LAB_HOME`, else `~/.podid-lab`."""
        raw = os.environ.get("PODID_LAB_HOME") or "~/.podid-lab"
        return cls(Path(raw).expanduser().resolve())

    @property
    def state_db(self) -> Path:
        return self.root / "state.db"

    @property
    def knobs_file(self) -> Path:
        return self.root / "config.json"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca-key.pem"

    @property
    def server_cert(self) -> Path:
        return self.root / "ca" / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.root / "ca" / "server-key.pem"

    @property
    def signing_key(self) -> Path:
        return self.root / "keys" / "token-signing.pem"

    @property
    def learner_secret_file(self) -> Path:
        return self.root / "keys" / "learner-secret"

    @property
    def admin_key_file(self) -> Path:
        return self.root / "keys" / "admin-key"

    @property
    def nmi_key_file(self) -> Path:
        """The key each pod's IMDS endpoint secret is derived from (see nmi.secrets)."""
        return self.root / "keys" / "nmi-key"

    @property
    def port_file(self) -> Path:
        return self.root / "run" / "port"

    @property
    def imds_port_file(self) -> Path:
        return self.root / "run" / "imds-port"

    @property
    def signin_url_file(self) -> Path:
        """The owner's JupyterLab sign-in page (written by podid_lab.jupyter_signin)."""
        return self.root / "run" / "signin-url"

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / "pid"

    @property
    def log_file(self) -> Path:
        return self.root / "run" / "lab.log"

    @property
    def kubeconfig_dir(self) -> Path:
        return self.root / "kubeconfigs"

    @property
    def az_config_dir(self) -> Path:
        """A stock `az`'s AZURE_CONFIG_DIR for the lab, apart from the learner's `~/.azure`."""
        return self.root / "az" / "config"

    @property
    def az_extension_dir(self) -> Path:
        """That az's extensions (AZURE_EXTENSION_DIR): the lab's aks-preview lands here."""
        return self.root / "az" / "extensions"

    @property
    def az_kubeconfig(self) -> Path:
        """The KUBECONFIG of an az-env shell, so `~/.kube/config` is never written."""
        return self.root / "az" / "kubeconfig"

    @property
    def az_env_file(self) -> Path:
        """The settings `podid-lab az-env` prints, to be sourced by a shell."""
        return self.root / "az" / "env.sh"

    def ensure(self) -> None:
        """Create the folder tree, or bring an existing one up to date, private to this user
        whatever the umask: every folder 0700, no file open to group or others (the state, logs,
        kubeconfigs and az's files hold tokens and secrets; the lab writes its own 0600). A home
        other users can write is refused."""
        check_not_shared(self.root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for sub in _FOLDERS:
            (self.root / sub).mkdir(mode=0o700, exist_ok=True)
        make_private(self.root)

    def learner_secret(self) -> str:
        """The learner service principal's client secret, made once and kept across resets."""
        return read_or_create_secret(self.learner_secret_file)

    def admin_key(self) -> str:
        """The key the admin routes that change state require."""
        return read_or_create_secret(self.admin_key_file)


def check_not_shared(root: Path) -> None:
    """Refuse a home that belongs to another user or that others can write (or whose folder
    lets others swap it), with what to do instead."""
    if root.exists():
        info = root.stat()
        if info.st_uid != os.geteuid():
            raise HomeError(
                f"the lab's home {root} belongs to another user (uid {info.st_uid}); use a "
                "home of your own: set PODID_LAB_HOME to a folder you own, or unset it"
            )
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise HomeError(
                f"the lab's home {root} can be written by other users (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); if it is yours, run: chmod 700 {root}"
            )
    parent = root.parent
    while not parent.exists():
        parent = parent.parent
    mode = parent.stat().st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        raise HomeError(
            f"the lab's home {root} is in {parent}, which every user can write (and so swap "
            "the home for their own); set PODID_LAB_HOME to a folder only you can write"
        )


def make_private(root: Path) -> None:
    """Folders 0700, and nothing below `root` left to group or others (a home made before this
    rule is upgraded; a file keeps its owner's bits, so az's extensions stay as az made them)."""
    root.chmod(0o700)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o700, follow_symlinks=False)
        for name in files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                os.chmod(path, stat.S_IMODE(mode) & 0o700)


def open_private_log(path: Path) -> int:
    """A descriptor appending to `path`, created 0600 (a log may hold names and IDs)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write a file atomically with mode 0600 (it never exists with wider permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_or_create_secret(path: Path) -> str:
    """Return the secret stored at `path`, creating a random one on first use."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(30)
    write_private(path, value.encode())
    return value
