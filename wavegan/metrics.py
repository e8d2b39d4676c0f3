"""Statistics of sets of clips and of their embeddings, in NumPy: the Inception score and the Fréchet and
nearest-neighbour distances (reference §9.1, §9.3), the artifact share and its envelope (reference §9.4),
and the spread of a set.

Their one home, at the bottom of the library (importing nothing of it but its errors and paths): the
incept mode (wavegan/evaluation/incept.py) and `eval/` score finished runs with them, and
`wavegan/train/validation.py` watches a run with them while it trains. No TensorFlow.
"""

from __future__ import annotations

import os

import numpy as np

from wavegan import paths
from wavegan.errors import UserError

ARTIFACT_FFT_LEN = 16384  # the artifact envelope's transform length: 8193 bins (eval/artifacts.py makes it)
ARTIFACT_BINS = ARTIFACT_FFT_LEN // 2 + 1


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


def load_envelope(path: str = paths.ARTIFACT_ENVELOPE) -> np.ndarray:
    """The artifact envelope [8193] that `artifact_share` weighs a clip's spectrum with."""
    if not os.path.exists(path):
        raise UserError(f"No artifact envelope at {path}: make one with `python -m eval.artifacts envelope --out {path}`.")
    envelope = np.load(path, allow_pickle=False)
    if envelope.shape != (ARTIFACT_BINS,):
        raise UserError(f"{path} holds an array of shape {envelope.shape}, not ({ARTIFACT_BINS},): remake it with "
                        "`python -m eval.artifacts envelope`.")
    return envelope


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


def inception_score(probs: np.ndarray, k: int = 10, eps: float = 1e-12) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) ‖ p(y))) over k contiguous splits → (mean, population std).

    Probabilities are clipped to eps before the logarithm (the original took log 0 to NaN).
    """
    if len(probs) < k:
        raise ValueError(f"need at least k={k} samples, got {len(probs)}")
    probs = np.clip(np.asarray(probs, np.float64), eps, 1.0)
    scores = []
    for part in np.array_split(probs, k):
        marginal = part.mean(axis=0, keepdims=True)
        scores.append(np.exp(np.mean(np.sum(part * (np.log(part) - np.log(marginal)), axis=1))))
    return float(np.mean(scores)), float(np.std(scores))


def nearest_neighbour_distances(queries: np.ndarray, index: np.ndarray, same_set: bool = False,
                                chunk: int = 256) -> np.ndarray:
    """Euclidean distance from each query to its nearest index row (exact, brute force in chunks).

    With `same_set`, a query's own row (distance exactly 0 at its own position) is skipped, as the
    original's self-similarity took the second neighbour.
    """
    index = np.asarray(index, np.float64)
    index_sq = np.sum(index ** 2, axis=1)
    out = np.empty(len(queries))
    for start in range(0, len(queries), chunk):
        q = np.asarray(queries[start:start + chunk], np.float64)
        d2 = np.sum(q ** 2, axis=1)[:, None] + index_sq[None] - 2.0 * q @ index.T
        if same_set:
            rows = np.arange(len(q))
            d2[rows, start + rows] = np.inf
        out[start:start + len(q)] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


def label_accuracy(probs: np.ndarray, asked: np.ndarray) -> float:
    """The share of clips the classifier assigns to the class they were generated for (the paper's
    "accuracy" column, here for a conditional model); `asked` are classifier label indices [n]."""
    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(asked)))


def classifier_indices(classes, classifier_labels) -> np.ndarray:
    """Model class names → the classifier's label indices, matched by name in any case."""
    lowered = [label.lower() for label in classifier_labels]
    missing = [c for c in classes if c.lower() not in lowered]
    if missing:
        raise ValueError(f"the classifier has no label {', '.join(missing)} (it knows {', '.join(classifier_labels)})")
    return np.array([lowered.index(c.lower()) for c in classes])
