"""The deployment files (`deploy/`): the systemd units pass `systemd-analyze verify` and
keep their sandbox; the API and the worker run without writable-and-executable memory; the
container definition is checked statically (no container engine runs here)."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
CONTAINERFILE = ROOT / "deploy" / "container" / "Containerfile"
INSTALLED = "/opt/notary/venv/bin/notary"
SANDBOX = {
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/notary",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "CapabilityBoundingSet": "",
    "SystemCallFilter": "@system-service",
    "MemoryDenyWriteExecute": "yes",
    "Restart": "on-failure",
}
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1  # <linux/prctl.h>, Linux 6.3+


def directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("unit", ["notary-api.service", "notary-worker.service"])
def test_the_unit_passes_systemd_analyze_verify(unit: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # verify checks that ExecStart's program exists: point it at this checkout's notary.
    here = Path(sys.executable).with_name("notary")
    text = (UNITS / unit).read_text().replace(INSTALLED, str(here))
    (tmp_path / unit).write_text(text)
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and bad values, only warning: any output is a failure.
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


@pytest.mark.parametrize(
    ("unit", "command"),
    [("notary-api.service", "serve"), ("notary-worker.service", "worker")],
)
def test_the_unit_runs_its_command_sandboxed_with_settings_and_keys_from_outside(
    unit: str, command: str
) -> None:
    found = directives(UNITS / unit)
    for key, value in SANDBOX.items():
        assert value in found.get(key, []), f"{unit}: {key}={value} missing"
    assert found["ExecStart"][0].split()[:2] == [INSTALLED, command]
    assert found["EnvironmentFile"][0] == "/etc/notary/notary.env"
    assert all(":/etc/notary/credentials/" in v for v in found["LoadCredential"])
    assert found["User"] == ["notary"]
    assert not any(re.search(r"(KEY|PASSWORD)=", v) for v in found["Environment"])  # no secret


def _refuse_write_exec() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        os._exit(77)


def test_the_api_and_the_worker_need_no_writable_executable_memory() -> None:
    """MemoryDenyWriteExecute=yes is only safe if nothing they load maps W+X memory:
    build the app, the worker and sign with every key type under the kernel's equivalent."""
    program = (
        "import mmap\n"
        "from api.app import create_app\n"
        "from notary.settings.config import Settings\n"
        "from notary.worker.daemon import build_worker\n"
        "from notary.settings.service_key import ServiceKey\n"
        "from eth_account import Account\n"
        "import icu, psycopg, uvicorn\n"
        "ServiceKey.generate().to_pem()\n"
        "Account.create().sign_message(__import__('eth_account.messages').messages"
        ".encode_defunct(b'x'))\n"
        "try:\n"
        "    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
        "except PermissionError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        preexec_fn=_refuse_write_exec,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    if done.returncode == 77:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+) to check against")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "refused"  # the check itself was in force


def test_every_copy_source_of_the_containerfile_exists() -> None:
    sources = []
    for line in CONTAINERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source


def test_the_image_runs_the_package_as_a_non_root_user_with_no_secret_in_it() -> None:
    text = CONTAINERFILE.read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert froms and all(f.startswith("python:3.11-slim-") for f in froms)
    assert re.search(r"^USER notary", text, re.M)
    assert 'VOLUME ["/var/lib/notary"]' in text and "NOTARY_DATA_DIR=/var/lib/notary" in text
    entry = re.search(r'^ENTRYPOINT \["(\w+)"\]', text, re.M)
    command = re.search(r'^CMD \["(\w+)"', text, re.M)
    assert entry is not None and command is not None
    scripts = (ROOT / "pyproject.toml").read_text()
    assert f'{entry.group(1)} = "notary.cli:main"' in scripts
    helped = subprocess.run(
        [sys.executable, "-m", "notary.cli", command.group(1), "--help"],
        capture_output=True,
        timeout=60,
    )
    assert helped.returncode == 0
    assert not re.search(r"^(ENV|ARG)\b.*(KEY|PASSWORD|SECRET)", text, re.M | re.I)
    copied = re.findall(r"^COPY (?!--from)(.*) \S+$", text, re.M)
    assert not any(re.search(r"\.(key|pem|env)\b|keys|\.notary", c) for c in copied)
