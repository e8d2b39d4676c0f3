"""Inception score, Fréchet distance and nearest-neighbour distances (reference §9.1, §9.3), in NumPy.

The Fréchet distance lives in wavegan/metrics.py (training watches held-out data with it too).
"""

from __future__ import annotations

import numpy as np

from wavegan.metrics import frechet_distance  # noqa: F401  (eval's metrics, in one namespace)


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
