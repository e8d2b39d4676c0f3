"""Statistics of sets of clips and of their embeddings, in NumPy: the Fréchet distance (reference §9.1), the
artifact share (reference §9.4) and the spread of a set.

Their one home, at the bottom of the library (beside config, importing nothing of it): `eval/` scores
finished runs with them and `wavegan/train/validation.py` watches a run with them while it trains, and
the train layer must not import `eval` (which imports the train and serve layers). No TensorFlow.
"""

from __future__ import annotations

import numpy as np

ARTIFACT_FFT_LEN = 16384  # the artifact envelope's transform length: 8193 bins (eval/artifacts.py)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.maximum(values, 0.0))) @ vectors.T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) between two sets of embeddings [n, d].

    Tr((ΣaΣb)^½) = Σ √λ of the symmetric Σa^½ Σb Σa^½, which stays exact and real for the singular
    covariances of small sets (scipy's general sqrtm does not).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _psd_sqrt(cov_a)
    cross = np.sum(np.sqrt(np.maximum(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0.0)))
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross
    return float(max(value, 0.0))


def spectra(clips: np.ndarray) -> np.ndarray:
    """|rfft| with n = 16384 (truncating or zero-padding each clip) → [n_clips, 8193]."""
    return np.abs(np.fft.rfft(np.asarray(clips, np.float64), ARTIFACT_FFT_LEN, axis=-1))


def artifact_share(clips: np.ndarray, envelope: np.ndarray) -> np.ndarray:
    """Per clip, Σ env·|X|² / Σ |X|²: the share of its energy at the artifact frequencies (silence: 0)."""
    power = spectra(clips) ** 2
    total = power.sum(axis=1)
    return np.divide(power @ envelope, total, out=np.zeros(len(power)), where=total > 0)


def mean_pairwise_distance(x: np.ndarray) -> float:
    """The mean Euclidean distance between two different rows of x [n, d] (n ≥ 2): how spread out a set is.
    Unlike a nearest-neighbour distance it does not shrink as the set grows, so sets of different sizes compare."""
    x = np.asarray(x, np.float64)
    if len(x) < 2:
        raise ValueError(f"a spread needs at least two rows, got {len(x)}")
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None] - 2.0 * x @ x.T, 0.0)
    n = len(x)
    return float(np.sum(np.sqrt(d2)) / (n * (n - 1)))
