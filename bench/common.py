"""Shared by the bench scripts: machine description, timing, peak memory, and appending to docs/benchmarks_log.md."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import statistics
import sys
import time
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "benchmarks_log.md")


def matmul_gflops(dtype: str = "float32", size: int = 4096, repeats: int = 5) -> tuple[float, float]:
    """(median, best) GFLOP/s of a size² matmul on this machine in the current backend: the machine's peak
    that "share of peak" divides by (machines differ: 310 on one 2-core Xeon, 400 on an AMD EPYC)."""
    import keras

    if keras.backend.backend() == "jax":
        import jax
        import jax.numpy as jnp

        a = jax.random.normal(jax.random.PRNGKey(0), (size, size)).astype(dtype)
        matmul = jax.jit(jnp.matmul)
        run = lambda: matmul(a, a).block_until_ready()  # noqa: E731
    else:
        import tensorflow as tf

        a = tf.cast(tf.random.normal([size, size]), dtype)
        matmul = tf.function(tf.matmul)
        run = lambda: matmul(a, a).numpy()  # noqa: E731
    run()
    median, times = median_seconds(run, repeats)
    return 2 * size ** 3 / median / 1e9, 2 * size ** 3 / min(times) / 1e9


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import keras

    if keras.backend.backend() == "jax":  # a JAX-only machine has no TensorFlow
        import jax

        accelerators = [d for d in jax.devices() if d.platform != "cpu"]
        devices = f"{len(accelerators)} × {accelerators[0].device_kind}" if accelerators else "no GPU"
        return (f"{cpu}, {os.cpu_count()} cores, {devices}, Keras {keras.__version__} on JAX {jax.__version__}, "
                f"Python {platform.python_version()}")
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return (f"{cpu}, {os.cpu_count()} cores, {'GPU: ' + str(len(gpus)) if gpus else 'no GPU'}, "
            f"TensorFlow {tf.__version__}, Python {platform.python_version()}")


def tree_cpu_seconds(root: int | None = None, include_root: bool = True) -> float:
    """User + system CPU seconds of the live processes below `root` (default: this process), and of `root`
    itself unless include_root is False, read from /proc: what a benchmark spends in decoder pools or a
    driven browser as well as in its own threads."""
    root = os.getpid() if root is None else root
    ticks = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    total = cpu.get(root, 0.0) if include_root else 0.0
    for pid, seconds in cpu.items():
        p = parent.get(pid)
        while p and p != root:
            p = parent.get(p)
        if p == root:
            total += seconds
    return total


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def median_seconds(run: Callable[[], None], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def record(title: str, table: list[str], notes: str = "") -> None:
    """Prints the table and appends it, with machine, command and date, to docs/benchmarks_log.md."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = "python " + " ".join([os.path.relpath(os.path.abspath(sys.argv[0]), repo)] + sys.argv[1:])
    block = [f"### {title}", "", f"- machine: {machine()}", f"- command: `{command}`",
             f"- date: {datetime.date.today().isoformat()}", "", *table, ""]
    if notes:
        block += [notes, ""]
    text = "\n".join(block)
    print(text)
    with open(RESULTS, "a") as f:
        f.write(text + "\n")
