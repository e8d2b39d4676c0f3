"""This machine's matmul peak in TensorFlow (fp32 and bf16), the yardstick for "share of peak".

    python bench/matmul_peak.py --size 4096 --repeats 5

`bench/train.py` measures the fp32 figure itself (`common.matmul_gflops`) for its share-of-peak column;
a bf16 figure well above the fp32 one says mixed_bfloat16 will pay there.
"""

from __future__ import annotations

import argparse

import common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = ["| dtype | median GFLOP/s | best GFLOP/s |", "|---|---|---|"]
    for dtype in ("float32", "bfloat16"):
        median, best = common.matmul_gflops(dtype, args.size, args.repeats)
        rows.append(f"| {dtype} | {median:.0f} | {best:.0f} |")
    common.record(f"Matmul peak ({args.size}²)", rows)


if __name__ == "__main__":
    main()
