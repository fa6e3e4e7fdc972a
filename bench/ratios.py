#!/usr/bin/env python3
"""Turns criterion's estimates (target/criterion) from `cargo bench --bench client` into the
ratios BENCHMARKS.md reports: the crate's per-request time over raw reqwest's, the time signing
adds per request, and the signer's throughput over a bare SHA-256 of the same bytes."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "target" / "criterion"


def mean_ns(*parts: str) -> float:
    path = ROOT.joinpath(*parts, "new", "estimates.json")
    return json.loads(path.read_text())["mean"]["point_estimate"]


def main() -> None:
    raw = mean_ns("list_members", "raw_reqwest")
    token = mean_ns("list_members", "crate_token")
    aksk = mean_ns("list_members", "crate_aksk")
    print("per request (loopback, small JSON body):")
    print(f"  raw reqwest      {raw / 1e3:8.1f} us")
    print(f"  crate, token     {token / 1e3:8.1f} us   {token / raw:5.2f}x raw ({(token / raw - 1) * 100:+.1f}%)")
    print(f"  crate, AK/SK     {aksk / 1e3:8.1f} us   {aksk / raw:5.2f}x raw; signing adds {(aksk - token) / 1e3:.1f} us")
    print("signing vs a bare SHA-256 of the body:")
    for size in ("0", "1024", "1048576"):
        sign = mean_ns("signing", "sign", size)
        floor = mean_ns("signing", "sha256_floor", size)
        mib = int(size) / (1024 * 1024)
        rate = f"{mib / (sign / 1e9):8.1f} MiB/s" if int(size) else "        -     "
        print(f"  {int(size):>8} B: sign {sign / 1e3:9.2f} us, sha256 {floor / 1e3:9.2f} us, "
              f"{sign / floor:6.2f}x the floor, {rate}")


if __name__ == "__main__":
    main()
