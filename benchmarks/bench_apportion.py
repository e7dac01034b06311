"""Time the exact apportionment engine on every counted ambition of the shipped catalogue,
every year, as the number of areas grows.

    .venv/bin/python benchmarks/bench_apportion.py                 # 106 .. 100k areas
    .venv/bin/python benchmarks/bench_apportion.py --sizes 33000   # one size
    .venv/bin/python benchmarks/bench_apportion.py --reference     # also the exact oracle

Each size runs in a fresh process so its peak memory is its own. Areas are synthetic and sit
under the real 7 regions and 42 ICBs; weights look like the real bases (whole-number
populations, and need-weighted populations with four decimals, which as binary floats have
large denominators). Prints figures only; nothing here asserts a time. Target: every count
ambition for all years at LSOA level (33k areas) under 2 s and 1 GB, growing linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SIZES = [106, 1_000, 1_250, 6_500, 10_000, 33_000, 100_000]


def _figures():
    """(measure, [units per year], basis kind) for every ambition the spine splits."""
    from mhtool import apportion
    from mhtool.catalogue.load import load_catalogue

    cat = load_catalogue()
    out = []
    for a in cat.ambitions:
        if a.national_only or a.kind == "rate" or not a.basis:
            continue
        if a.category == "targeted" and not a.targets or a.kind == "sites":
            continue
        step = apportion.STEPS[a.measure]
        units = [apportion.to_units(v.value, step) for v in a.values if v.value is not None]
        if units:
            out.append((a.basis, units))
    return out


def _tree_rows(n: int, seed: int = 1):
    rng = random.Random(seed)
    icbs = [(f"I{i:02d}", f"R{i % 7}") for i in range(42)]
    return [(f"A{j:06d}", *(icbs[j % 42] if j < 42 else rng.choice(icbs))) for j in range(n)]


def _weights(leaves, basis: str, seed: int):
    rng = random.Random(zlib.crc32(basis.encode()) + seed)
    if "need" in basis:  # need-weighted: 4-decimal floats
        return {c: round(rng.uniform(500, 3000), 4) for c in leaves}
    return {c: float(rng.randint(0, 3000)) for c in leaves}


def one_size(n: int, reference: bool) -> dict:
    from mhtool.apportion import LEVELS, Tree

    figures = _figures()
    rows = _tree_rows(n)
    leaves = [r[0] for r in rows]
    bases = sorted({b for b, _ in figures})
    weights = {b: _weights(leaves, b, n) for b in bases}
    start = time.perf_counter()
    tree = Tree.from_paths(LEVELS, rows, root="ENG")
    prepared = {b: tree.weigh(weights[b]) for b in bases}
    t_prep = time.perf_counter() - start
    splits = 0
    start = time.perf_counter()
    for b, units in figures:
        prepared[b].split(units)
        splits += len(units)
    t_split = time.perf_counter() - start
    out = {
        "areas": n,
        "figures": len(figures),
        "splits": splits,
        "prepare_s": round(t_prep, 3),
        "split_s": round(t_split, 3),
        "total_s": round(t_prep + t_split, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if reference:
        from fixtures import apportion_reference as ref

        start = time.perf_counter()
        for b, units in figures:
            leaf_rows = [(*r, weights[b][r[0]]) for r in rows]
            for u in units:
                ref.apportion_hierarchy(u, leaf_rows, england_code="ENG")
        out["reference_s"] = round(time.perf_counter() - start, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=SIZES)
    ap.add_argument("--reference", action="store_true", help="also time the exact oracle")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one_size(args.child, args.reference)))
        return
    print(f"cpus available: {len(os.sched_getaffinity(0))}; python {sys.version.split()[0]}")
    print(
        f"{'areas':>8} {'splits':>7} {'prepare s':>10} {'split s':>8} {'total s':>8} "
        f"{'s/1k areas':>10} {'peak MB':>8}" + (f" {'reference s':>12}" if args.reference else "")
    )
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(n)] + (
            ["--reference"] if args.reference and n <= 10_000 else []
        )
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        line = (
            f"{r['areas']:>8,} {r['splits']:>7} {r['prepare_s']:>10.3f} {r['split_s']:>8.3f} "
            f"{r['total_s']:>8.3f} {1000 * r['total_s'] / n:>10.4f} {r['peak_mb']:>8}"
        )
        if "reference_s" in r:
            line += f" {r['reference_s']:>12.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
