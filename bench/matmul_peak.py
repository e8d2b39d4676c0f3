"""This machine's matmul peak in TensorFlow (fp32 and bf16), the yardstick for "share of peak".

    python bench/matmul_peak.py --size 4096 --repeats 5

`bench/common.py` divides by the development machine's 400 GFLOP/s fp32 figure; a machine with another
CPU has another peak, and a bf16 figure well above the fp32 one says mixed_bfloat16 will pay there.
"""

from __future__ import annotations

import argparse

import common
import tensorflow as tf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = args.size
    matmul = tf.function(tf.matmul)
    rows = ["| dtype | median GFLOP/s | best GFLOP/s |", "|---|---|---|"]
    for dtype in (tf.float32, tf.bfloat16):
        a, b = (tf.cast(tf.random.normal([n, n]), dtype) for _ in range(2))
        matmul(a, b).numpy()
        median, times = common.median_seconds(lambda: matmul(a, b).numpy(), args.repeats)
        rows.append(f"| {dtype.name} | {2 * n ** 3 / median / 1e9:.0f} | {2 * n ** 3 / min(times) / 1e9:.0f} |")
    common.record(f"Matmul peak ({n}²)", rows)


if __name__ == "__main__":
    main()
