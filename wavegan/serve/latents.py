"""Latents: drawn from U(−1, 1), kept in a .npy for the life of a run, or walked between (reference §3.1).

numpy only (no TensorFlow, no Keras), so that the GPU kit (bench/gpu_kit.py) draws its fixed bank here on
machines without TensorFlow; `wavegan.serve.generate` writes the clips made from them.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from wavegan.errors import UserError

log = logging.getLogger("wavegan")


def sample_latents(n: int, latent_dim: int, seed: int | None) -> np.ndarray:
    """n latents [n, latent_dim] from U(−1, 1); the same rows for the same seed."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, latent_dim)).astype(np.float32)


def fixed_latents(path: str, n: int, latent_dim: int, flag: str = "n") -> np.ndarray:
    """Latents kept for the life of a run (preview, incept): loaded from `path` (.npy), else drawn and saved.

    When `n` (the mode's `flag`) differs from what `path` holds, the first rows are kept, so earlier
    outputs stay comparable with the new ones, and any extra rows are drawn; the file is rewritten."""
    saved = load_latents(path, latent_dim) if os.path.exists(path) else np.zeros((0, latent_dim), np.float32)
    if len(saved) == n:
        return saved
    latents = np.concatenate([saved[:n], sample_latents(max(0, n - len(saved)), latent_dim, seed=None)])
    if len(saved):
        log.warning("%s held %d latents and --%s is %d: %s, and rewrote it.", path, len(saved), flag, n,
                    f"kept its first {n}" if n < len(saved) else f"kept them and drew {n - len(saved)} more")
    np.save(path + ".tmp.npy", latents)
    os.replace(path + ".tmp.npy", path)
    return latents


def interpolate(z_a: np.ndarray, z_b: np.ndarray, n: int) -> np.ndarray:
    """n latents on the straight line from z_a to z_b, both ends included (U(−1,1)^d is convex)."""
    weights = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    return (1.0 - weights) * z_a[None] + weights * z_b[None]


def load_latents(path: str, latent_dim: int) -> np.ndarray:
    """A .npy of latents [n, latent_dim] (e.g. a z.npy written by generate, or the preview's)."""
    try:
        latents = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise UserError(f"Cannot read latents from {path} ({e}): pass a .npy array of shape [n, {latent_dim}].") from e
    if latents.ndim != 2 or latents.shape[1] != latent_dim:
        raise UserError(f"{path} holds an array of shape {latents.shape}; the model needs [n, {latent_dim}].")
    return latents.astype(np.float32)
