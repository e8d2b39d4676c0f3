"""Inception score, Fréchet distance and nearest-neighbour distances (reference §9.1, §9.3), in NumPy."""

from __future__ import annotations

import numpy as np


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
