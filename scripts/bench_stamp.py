"""`notary stamp --wait` of a generated folder, against a local service in its own process.

    .venv/bin/python scripts/bench_stamp.py                  # 42,470 files of 4-64 KB (~1.4 GB)
    .venv/bin/python scripts/bench_stamp.py --files 5000     # a quick run
    .venv/bin/python scripts/bench_stamp.py --signer --repeat 3   # an agency that signs

Writes the files (random bytes, sizes uniform in 4-64 KB, 1,000 per folder) into a
temporary folder, starts `notary dev` on a fresh data dir (its own Anvil, SQLite, the
anchoring worker and the API, batches sealed every 0.5 s, rate limits lifted), registers
an issuer with a key, then times `notary stamp DIR --wait --json` as a separate process:
hashing and submission, waiting for the anchors, fetching and writing the anchored
receipts. Everything is removed afterwards. Targets (issue 14): hashing and submission
at ≥ 2,000 files/s; all anchored receipts written in < 60 s. Prints a table, then as the
very LAST line one JSON object with every figure (names carry their units).

--signer: the issuer signs (issue 22). Its root key authorises a signing key on the chain
(`notary issuer signer add`, the root paying), and `notary stamp --signer KEYSTORE` salts
and signs every request of 5,000 files on the client; unlocking the keystore (scrypt,
eth-account's default cost) is inside the stamp's wall time, not its hashing + submission.
--repeat N stamps N freshly generated folders (a seed each) on the same service; the
table shows the run of median hashing + submission rate, the JSON every run's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
from eth_account import Account

from notary.cli.keystore import SIGNER_PASSWORD_ENV, create_keystore
from notary.ops.anvil import free_port

ROOT = Path(__file__).resolve().parents[1]
FILES = 42_470
MIN_KB, MAX_KB = 4, 64
PER_FOLDER = 1_000
TARGET_FILES_PER_S = 2_000
TARGET_TOTAL_S = 60.0
PASSWORD = "bench-stamp-password"


def write_files(folder: Path, count: int, seed: int) -> int:
    """`count` files of random bytes and sizes; their total size."""
    rng = random.Random(seed)
    sizes = [rng.randint(MIN_KB * 1024, MAX_KB * 1024) for _ in range(count)]
    pool = os.urandom(MAX_KB * 1024 * 4)  # slices of one random pool: distinct, cheap

    def write(i: int) -> None:
        sub = folder / f"{i // PER_FOLDER:03d}"
        sub.mkdir(exist_ok=True)
        start = (i * 7919) % (len(pool) - sizes[i])
        (sub / f"dossier-{i:05d}.pdf").write_bytes(
            i.to_bytes(4, "big") + pool[start : start + sizes[i]]
        )

    with ThreadPoolExecutor(4) as threads:
        list(threads.map(write, range(count)))
    return sum(sizes) + 4 * count


def start_service(data: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """`notary dev` on a fresh data dir and free ports; its base URL and environment."""
    port, rpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "NOTARY_DATA_DIR": str(data),
        "NOTARY_RPC_URL": f"http://127.0.0.1:{rpc_port}",
        "NOTARY_PORT": str(port),
        "NOTARY_BATCH_INTERVAL": "0.5",
        "NOTARY_BATCH_MAX": "10000",
        "NOTARY_RATE_LIMIT_PER_S": "1000000",
        "NOTARY_RATE_LIMIT_BURST": "1000000",
        "NOTARY_PUBLIC_RATE_LIMIT_PER_S": "1000000",
        "NOTARY_PUBLIC_RATE_LIMIT_BURST": "1000000",
    }
    log = (data.parent / "service.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "notary.cli", "dev"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"notary dev exited: see {data.parent / 'service.log'}")
        try:
            if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base, env
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("notary dev did not answer within 90 s")


def stop_service(process: subprocess.Popen[bytes]) -> None:
    """SIGINT first (the service stops its worker and the chain it started), then harder."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def new_issuer(base: str, data: Path, address: str) -> str:
    """Register an issuer and give it a key; the key."""
    admin = (data / "keys" / "admin-api.key").read_text().strip()
    headers = {"Authorization": f"Bearer {admin}"}
    body = {"address": address, "name": "Sở Nội vụ (hồ sơ cán bộ)", "jurisdiction": "VN-35"}
    httpx2.post(base + "/v1/issuers", json=body, headers=headers).raise_for_status()
    key = httpx2.post(f"{base}/v1/issuers/{address}/keys", headers=headers)
    key.raise_for_status()
    return str(key.json()["key"])


def signing_key(base: str, env: dict[str, str], tmp: Path) -> tuple[Path, str]:
    """The issuer's root keystore and a new signing keystore, the signing key authorised on
    chain by `notary issuer signer add` (the root key pays); (signing keystore, root address)."""
    root = Account.create()
    root_store = tmp / "root.json"
    root_store.write_text(json.dumps(Account.encrypt(root.key, PASSWORD, kdf="scrypt")))
    httpx2.post(
        env["NOTARY_RPC_URL"],
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "anvil_setBalance",
            "params": [root.address, hex(10**18)],
        },
    ).raise_for_status()
    office = create_keystore(tmp / "office.json", PASSWORD, root.address).path
    return office, root.address


def authorise(base: str, env: dict[str, str], office: Path, root: Path, issuer: str) -> None:
    """Wait for the issuer's registration on chain, then add the signing key."""
    deadline = time.monotonic() + 60
    while httpx2.get(f"{base}/v1/issuers/{issuer}").json().get("onchain") != "registered":
        if time.monotonic() > deadline:
            raise SystemExit("the issuer was not registered on chain within 60 s")
        time.sleep(0.2)
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "notary.cli",
            "issuer",
            "signer",
            "add",
            str(office),
            "--root",
            str(root),
            "--payer",  # the root key pays, straight to the node
            str(root),
        ],
        cwd=ROOT,
        env={**env, "NOTARY_ROOT_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        check=False,
    )
    if added.returncode != 0:
        raise SystemExit(f"notary issuer signer add failed: {added.stderr.strip()}")


def hash_only(folder: Path) -> float:
    """Seconds to hash every file with the CLI's two hashing threads (page cache warm)."""
    paths = sorted(folder.rglob("*.pdf"))

    def digest(path: Path) -> bytes:
        with open(path, "rb", buffering=0) as f:
            return hashlib.sha256(f.read()).digest()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as threads:
        list(threads.map(digest, paths))
    return time.perf_counter() - t0


def main() -> None:
    """Generate, serve, stamp, report, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--jobs", type=int, default=4, help="stamp's requests in flight")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--signer", action="store_true", help="an issuer that signs")
    parser.add_argument("--repeat", type=int, default=1, help="folders stamped, one after another")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-stamp-"))
    process = None
    runs = []
    try:
        data = tmp / "data"
        process, base, env = start_service(data)
        extra: list[str] = []
        if args.signer:
            office, issuer = signing_key(base, env, tmp)
            env = {**env, "NOTARY_API_KEY": new_issuer(base, data, issuer), "NOTARY_SERVER": base}
            authorise(base, env, office, tmp / "root.json", issuer)
            env[SIGNER_PASSWORD_ENV] = PASSWORD
            extra = ["--signer", str(office)]
        else:
            issuer = Account.create().address
            env = {**env, "NOTARY_API_KEY": new_issuer(base, data, issuer), "NOTARY_SERVER": base}
        for run in range(args.repeat):
            runs.append(stamp_once(tmp / f"dossiers-{run}", args, args.seed + run, env, extra))
    finally:
        if process is not None:
            stop_service(process)
        shutil.rmtree(tmp, ignore_errors=True)
    rates = [r["hash_and_submit_files_per_s"] for r in runs]
    median = sorted(runs, key=lambda r: r["hash_and_submit_files_per_s"])[len(runs) // 2]
    print_report(median, args.signer, rates)


def stamp_once(
    folder: Path, args: argparse.Namespace, seed: int, env: dict[str, str], extra: list[str]
) -> dict[str, object]:
    """Generate a folder, stamp it with --wait, measure; the run's figures."""
    folder.mkdir()
    t0 = time.perf_counter()
    total_bytes = write_files(folder, args.files, seed)
    generated_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    stamped = subprocess.run(
        [
            sys.executable,
            "-m",
            "notary.cli",
            "stamp",
            str(folder),
            "--wait",
            "--json",
            "--jobs",
            str(args.jobs),
            "--timeout",
            "600",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall_s = time.perf_counter() - t0
    if stamped.returncode != 0:
        raise SystemExit(f"notary stamp failed ({stamped.returncode}): {stamped.stderr.strip()}")
    report = json.loads(stamped.stdout.strip().splitlines()[-1])
    receipts = sum(1 for _ in folder.rglob("*.receipt.json"))
    hashing_s = hash_only(folder)
    shutil.rmtree(folder, ignore_errors=True)
    return figures_of(args.files, total_bytes, generated_s, wall_s, report, receipts, hashing_s)


def figures_of(
    files: int,
    total_bytes: int,
    generated_s: float,
    wall_s: float,
    report: dict[str, object],
    receipts: int,
    hashing_s: float,
) -> dict[str, object]:
    """One run's figures."""
    seconds = report["seconds"]
    assert isinstance(seconds, dict)
    submit_s = float(seconds["hashAndSubmit"])
    wait_s = float(seconds.get("waitForAnchor", 0.0))
    fetch_s = float(seconds["fetchAndWriteReceipts"])
    mb = total_bytes / 1e6
    figures = {
        "files": files,
        "megabytes": round(mb, 1),
        "generate_s": round(generated_s, 2),
        "hash_only_s": round(hashing_s, 2),
        "hash_and_submit_s": round(submit_s, 2),
        "hash_and_submit_files_per_s": round(files / submit_s),
        "hash_and_submit_mb_per_s": round(mb / submit_s, 1),
        "wait_for_anchor_s": round(wait_s, 2),
        "fetch_and_write_receipts_s": round(fetch_s, 2),
        "receipts_per_s": round(files / fetch_s) if fetch_s else None,
        "stamp_wall_s": round(wall_s, 2),
        "anchored_receipts_written": receipts,
        "target_files_per_s": TARGET_FILES_PER_S,
        "target_total_s": TARGET_TOTAL_S,
        "meets_targets": files / submit_s >= TARGET_FILES_PER_S
        and wall_s < TARGET_TOTAL_S
        and receipts == files,
    }
    return figures


def print_report(figures: dict[str, object], signed: bool, rates: list[object]) -> None:
    """The table of the median run, then the JSON line."""

    def number(name: str) -> float:
        return float(str(figures[name]))

    files, mb, generated_s = int(number("files")), number("megabytes"), number("generate_s")
    hashing_s, submit_s = number("hash_only_s"), number("hash_and_submit_s")
    wait_s, fetch_s = number("wait_for_anchor_s"), number("fetch_and_write_receipts_s")
    wall_s, receipts = number("stamp_wall_s"), int(number("anchored_receipts_written"))
    figures["signed"] = int(signed)
    figures["hash_and_submit_files_per_s_runs"] = ",".join(str(r) for r in rates)
    rows = [
        ("issuer", "signs (stamp --signer)" if signed else "does not sign"),
        ("runs: hashing + submission, files/s", ", ".join(f"{r:,}" for r in rates)),
        ("files, size", f"{files:,}, {mb:,.0f} MB (written in {generated_s:.1f} s, not timed)"),
        (
            "hashing alone (2 threads, warm cache)",
            f"{hashing_s:.2f} s = {files / hashing_s:,.0f} files/s",
        ),
        (
            "hashing + bulk submission",
            f"{submit_s:.2f} s = {files / submit_s:,.0f} files/s, {mb / submit_s:,.0f} MB/s",
        ),
        ("waiting for the anchors", f"{wait_s:.2f} s"),
        (
            "fetching + writing anchored receipts",
            f"{fetch_s:.2f} s = {files / fetch_s:,.0f} receipts/s" if fetch_s else "-",
        ),
        ("notary stamp --wait, wall (process start incl.)", f"{wall_s:.2f} s"),
        ("anchored receipts written", f"{receipts:,} of {files:,}"),
        ("targets: ≥ 2,000 files/s, < 60 s", "met" if figures["meets_targets"] else "NOT met"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
