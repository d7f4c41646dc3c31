"""Client memory and throughput for a 200 MiB upload and a 200 MiB download over loopback HTTP.

Run: ``python bench/bench_transfer.py [--repeat 3]``.

Why: the skill accepts uploads up to 200 MB and exports can be as large; a client that holds a
whole file in memory would need that much RAM per transfer (issue 2). ``BackendClient`` streams
uploads from disk and downloads to disk, so its memory should stay flat.

How: the local backend runs in its own process (its memory is not the client's), with one
registered user whose token (``NEMO_TOKEN``) every client process uses. Each measurement runs
in a fresh client process that first does the same transfer with a 1 MiB file (so imports,
connection pools and buffers exist), then resets its peak RSS (``clear_refs``) and reads
``VmHWM - VmRSS`` around the 200 MiB transfer: the peak RSS growth the transfer caused.

- ours: ``BackendClient.upload_files`` (multipart, streamed) and ``BackendClient.download``
  (streamed to a temp file, fsync, size and MP4 checks, atomic rename);
- baseline, same run, same backend: what a quick client writes with httpx: the upload reads the
  file into memory (``files={"files": (name, path.read_bytes(), mime)}``) and the download keeps
  ``response.content`` before writing it out (fsync too, for a fair time).

The file is an MP4 ``ftyp`` box followed by random bytes, exactly 200 MiB (the client's limit),
so the client's magic-byte and size pre-checks pass. Throughput is MB/s (10^6 bytes) of wall
time and includes the backend's own work (it stores, hashes and probes each upload).

Target: peak RSS growth < 32 MB for each of upload and download.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
from _common import (
    backend_process,
    machine_line,
    median,
    private_env,
    registered_token,
    reset_peak_rss,
    status_kib,
    verdict,
    write_mp4_like,
)

BIG_BYTES = 200 * 1024 * 1024  # the skill's upload limit, which the client checks
WARM_BYTES = 1024 * 1024
TARGET_GROWTH_BYTES = 32_000_000
CDN_FOLDER = "bench"  # under the backend's CDN root: served at <url>/cdn/bench/<name>
CASES = ("upload: ours", "upload: naive httpx", "download: ours", "download: naive httpx")


# ------------------------------------------------------------------ the client process


async def measure_case(case: str, url: str, big: Path, warm: Path, dest: Path) -> dict[str, Any]:
    """Warm up with the small file, then measure the big one; runs in a fresh process."""
    from kling_ai_30.client.backend import BackendClient
    from kling_ai_30.config import load_settings
    from kling_ai_30.policy import APP_NAME, USER_PLACEHOLDER
    from kling_ai_30.skill import load_identity

    settings = load_settings(None, api_url=url, web_url=url)
    identity = load_identity()
    async with BackendClient(settings, identity) as client, httpx.AsyncClient(base_url=url, timeout=120) as naive:
        session = await client.create_session(task_name="bench-transfer")
        auth = {"Authorization": (await client.ensure_credentials()).bearer(), **identity.headers()}
        upload_path = f"/api/upload-video/{APP_NAME}/{USER_PLACEHOLDER}/{session.session_id}"

        async def transfer(source: Path) -> None:
            cdn_url = f"{url}/cdn/{CDN_FOLDER}/{source.name}"
            if case == "upload: ours":
                await client.upload_files(session, [source])
            elif case == "upload: naive httpx":
                files = {"files": (source.name, source.read_bytes(), "video/mp4")}
                response = await naive.post(upload_path, files=files, headers=auth)
                response.raise_for_status()
            elif case == "download: ours":
                saved = await client.download(cdn_url, dest, source.stem)
                saved.unlink()
            else:
                response = await naive.get(cdn_url)
                response.raise_for_status()
                target = dest / source.name
                with open(target, "wb") as handle:
                    handle.write(response.content)
                    handle.flush()
                    os.fsync(handle.fileno())
                del response
                target.unlink()

        await transfer(warm)
        gc.collect()
        reset_peak_rss()
        before_kib = status_kib("VmRSS")
        started = time.perf_counter()
        await transfer(big)
        elapsed = time.perf_counter() - started
        peak_kib = status_kib("VmHWM")
    return {
        "case": case,
        "bytes": big.stat().st_size,
        "seconds": elapsed,
        "rss_before_bytes": before_kib * 1024,
        "growth_bytes": (peak_kib - before_kib) * 1024,
    }


def child_main(args: argparse.Namespace) -> int:
    result = anyio.run(measure_case, args.child, args.url, args.big, args.warm, args.dest)
    print(json.dumps(result))
    return 0


# ------------------------------------------------------------------ the parent


def run_case(case: str, url: str, token: str, big: Path, warm: Path, scratch: Path, index: int) -> dict[str, Any]:
    home = scratch / f"client-home-{index}"
    dest = scratch / f"downloads-{index}"
    dest.mkdir(parents=True)
    home.mkdir()
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        case,
        "--url",
        url,
        "--big",
        str(big),
        "--warm",
        str(warm),
        "--dest",
        str(dest),
    ]
    env = private_env(home, NEMO_TOKEN=token)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="measurements per case (fresh process each)")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--big", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)

    from kling_ai_30.local.media.files import cdn_root

    print(f"machine: {machine_line()}")
    results: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory(prefix="kling-bench-transfer-") as tmp:
        scratch = Path(tmp)
        big = write_mp4_like(scratch / "big.mp4", BIG_BYTES)
        warm = write_mp4_like(scratch / "warm.mp4", WARM_BYTES)
        data_dir = scratch / "backend-data"
        with backend_process({"data_dir": str(data_dir)}, scratch / "backend-home") as (url, _process):
            served = cdn_root(data_dir) / CDN_FOLDER
            served.mkdir(parents=True)
            for source in (big, warm):
                os.link(source, served / source.name)  # no second 200 MiB copy on disk
            uploads = cdn_root(data_dir) / "uploads"
            token = registered_token(url)
            index = 0
            for _ in range(args.repeat):
                for case in CASES:  # interleaved, so a busy moment hits every case alike
                    results[case].append(run_case(case, url, token, big, warm, scratch, index))
                    index += 1
                    stored = [path for path in uploads.rglob("*") if path.is_file()] if uploads.exists() else []
                    if case.startswith("upload") and BIG_BYTES not in {path.stat().st_size for path in stored}:
                        raise RuntimeError(f"{case}: the backend did not store the whole {BIG_BYTES}-byte file")
                    for path in stored:
                        path.unlink()  # 200 MiB each; the backend no longer needs them
        print(f"machine after: {machine_line()}")

    print(f"\n{BIG_BYTES / 2**20:.0f} MiB per transfer, {args.repeat} fresh client processes per case (median, max)")
    print(f"{'case':>22}  {'peak RSS growth MB':>20}  {'throughput MB/s':>16}")
    summary: dict[str, tuple[float, float, float]] = {}
    for case in CASES:
        growth = [r["growth_bytes"] / 1e6 for r in results[case]]
        rate = [r["bytes"] / 1e6 / r["seconds"] for r in results[case]]
        summary[case] = (median(growth), max(growth), median(rate))
        print(f"{case:>22}  {median(growth):>9.1f} (max {max(growth):5.1f})  {median(rate):>16.0f}")

    print()
    all_met = True
    for kind in ("upload", "download"):
        ours, naive = summary[f"{kind}: ours"], summary[f"{kind}: naive httpx"]
        met = ours[1] * 1e6 < TARGET_GROWTH_BYTES
        all_met = all_met and met
        print(
            f"{kind}: ours grows {ours[1]:.1f} MB at most, the naive baseline {naive[0]:.0f} MB "
            f"({naive[0] / max(ours[0], 0.1):,.0f}x ours); throughput ours/naive {ours[2] / naive[2]:.2f}x; "
            f"{verdict(met)} (< {TARGET_GROWTH_BYTES / 1e6:.0f} MB)"
        )
    print(f"\ntransfer memory: {verdict(all_met)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
