"""`--train_precision auto`: mixed_bfloat16 where bf16 arithmetic is fast, float32 elsewhere.

GPUs: bf16 tensor cores from compute capability 8.0 (Ampere) on. CPUs: bf16 instructions (AMX-BF16,
AVX512-BF16, named in /proc/cpuinfo) are necessary but not sufficient — how much a run gains depends on
the kernels the backend has for them — so on such a CPU a short probe times the model's own layers in
both precisions and bf16 is chosen only when clearly faster. The paper trained in float32, which stays
the default; `float32_hint` says once at start-up when bf16 would likely be much faster.

Imports no TensorFlow (the JAX-only GPU machines use it too); each backend's GPU query is imported lazily.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from typing import Callable, Iterable, Iterator

import numpy as np

BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
BF16_GPU_CAPABILITY = (8, 0)
# bf16 must beat float32 by this much in the probe: its rounding is a cost, a tie is not worth it.
PROBE_MIN_SPEEDUP = 1.25
PROBE_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class Choice:
    precision: str
    reason: str


def read_cpu_flags(cpuinfo_path: str = "/proc/cpuinfo") -> set[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo does not exist, e.g. macOS)."""
    try:
        with open(cpuinfo_path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def gpu_capabilities() -> list[tuple[int, int]]:
    """Compute capability of every GPU the active Keras backend trains on."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        try:
            devices = jax.devices("gpu")
        except RuntimeError:  # no GPU backend
            return []
        return [tuple(int(p) for p in str(d.compute_capability).split(".")[:2]) for d in devices
                if getattr(d, "compute_capability", None)]
    import tensorflow as tf

    return [tuple(tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0)))
            for gpu in tf.config.list_physical_devices("GPU")]


def bf16_cpu_flags(cpu_flags: Iterable[str]) -> list[str]:
    return [flag for flag in BF16_CPU_FLAGS if flag in set(cpu_flags)]


def choose_precision(cpu_flags: Iterable[str], gpu_capabilities: list[tuple[int, int]],
                     probe: Callable[[], float] | None = None) -> Choice:
    """What `auto` resolves to. `probe()` returns float32 time / bf16 time on this machine; it is only
    called on a CPU with bf16 instructions (without it such a CPU gets float32)."""
    if gpu_capabilities:
        slowest = min(gpu_capabilities)
        if slowest >= BF16_GPU_CAPABILITY:
            return Choice("mixed_bfloat16", f"the GPU (compute capability {slowest[0]}.{slowest[1]}) has bf16 "
                                            "tensor cores")
        return Choice("float32", f"the GPU (compute capability {slowest[0]}.{slowest[1]}) has no fast bf16")
    found = bf16_cpu_flags(cpu_flags)
    if not found:
        return Choice("float32", f"this CPU has no bf16 instructions ({' or '.join(BF16_CPU_FLAGS)})")
    if probe is None:
        return Choice("float32", f"this CPU has {', '.join(found)} but bf16 was not measured")
    speedup = probe()
    verdict = "faster" if speedup >= 1 else "slower"
    measured = f"this CPU has {', '.join(found)} and bf16 measured {max(speedup, 1 / speedup):.2f}× {verdict}"
    if speedup >= PROBE_MIN_SPEEDUP:
        return Choice("mixed_bfloat16", measured)
    return Choice("float32", f"{measured}, short of the {PROBE_MIN_SPEEDUP}× speed-up it needs")


def float32_hint(cpu_flags: Iterable[str], gpu_capabilities: list[tuple[int, int]]) -> str | None:
    """A start-up line for a float32 run on hardware where bf16 is likely much faster, else None."""
    if gpu_capabilities and min(gpu_capabilities) >= BF16_GPU_CAPABILITY:
        return ("This GPU has bf16 tensor cores: --train_precision mixed_bfloat16 (or auto) usually trains "
                "about 2× faster than float32.")
    found = bf16_cpu_flags(cpu_flags)
    if not gpu_capabilities and "amx_bf16" in found:
        return ("This CPU has AMX-BF16: --train_precision auto measures whether mixed_bfloat16 trains faster "
                "here (up to 2× on some CPUs).")
    return None


def probe_speedup(build_layers: Callable[[], Callable], inputs: np.ndarray, seconds: float = PROBE_SECONDS) -> float:
    """float32 time / mixed_bfloat16 time of `build_layers()(inputs)`, built and timed under each policy,
    alternating, for about `seconds` in all (the median of each)."""
    import keras

    models = {}
    for policy in ("float32", "mixed_bfloat16"):
        with dtype_policy(policy):
            models[policy] = build_layers()
            keras.ops.convert_to_numpy(models[policy](inputs))  # build and warm up
    times: dict[str, list[float]] = {policy: [] for policy in models}
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or min(len(t) for t in times.values()) < 3:
        for policy, model in models.items():
            start = time.perf_counter()
            keras.ops.convert_to_numpy(model(inputs))
            times[policy].append(time.perf_counter() - start)
    return float(np.median(times["float32"]) / np.median(times["mixed_bfloat16"]))


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Keras' global dtype policy set to `name` inside the block (layers take it when they are built),
    and set back to what it was after, however the block ends."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
