"""wavegan.metrics: the Inception score, Fréchet and nearest-neighbour distances (unit cases and real digits),
the spread of a set, and the artifact envelope's loader."""

import os

import numpy as np
import pytest

from wavegan import metrics
from wavegan.errors import UserError
from wavegan.evaluation.classifier import load_classifier, load_labelled


def test_inception_score_unit_cases():
    assert metrics.inception_score(np.full((100, 10), 0.1), k=10) == pytest.approx((1.0, 0.0))
    confident = np.eye(10)[np.arange(100) % 10]  # every class equally often, each certain
    mean, std = metrics.inception_score(confident, k=10)
    assert mean == pytest.approx(10.0, rel=1e-6) and std == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(metrics.inception_score(np.eye(10)[np.zeros(20, int)], k=2)).all()  # log 0 guarded


@pytest.mark.slow
def test_real_digits_score_far_above_noise_and_silence(digit_corpus, digit_classifier):
    model = load_classifier(digit_classifier[0])
    real, _ = load_labelled(os.path.join(digit_corpus, "test"))
    rng = np.random.default_rng(0)
    noise = rng.uniform(-0.5, 0.5, real.shape).astype(np.float32)
    silence = np.zeros_like(real)
    scores = {name: metrics.inception_score(model.predict_proba(x), k=5)[0]
              for name, x in (("real", real), ("noise", noise), ("silence", silence))}
    assert 1.0 <= scores["noise"] < 3.0 and 1.0 <= scores["silence"] < 1.5
    assert scores["real"] > 2.0 * max(scores["noise"], scores["silence"]) and scores["real"] <= 10.0


@pytest.mark.slow
def test_frechet_distance_is_zero_to_itself_and_grows_with_noise(digit_corpus, digit_classifier):
    model = load_classifier(digit_classifier[0])
    real, _ = load_labelled(os.path.join(digit_corpus, "test"))
    reference = model.embeddings(real)
    assert metrics.frechet_distance(reference, reference) == pytest.approx(0.0, abs=1e-3 * np.trace(np.cov(reference.T)))
    rng = np.random.default_rng(0)
    distances = [metrics.frechet_distance(model.embeddings(real + level * rng.normal(size=real.shape).astype(np.float32)),
                                          reference) for level in (0.01, 0.1, 0.5)]
    assert distances == sorted(distances) and distances[-1] > 3 * distances[0]


def test_nearest_neighbour_distances_skip_self_matches():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(metrics.nearest_neighbour_distances(points, points, same_set=True), [1.0, np.sqrt(18), 1.0])
    np.testing.assert_allclose(metrics.nearest_neighbour_distances(points[:1], points[1:]), [1.0])


def test_frechet_distance_of_gaussians_has_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, (20000, 3))
    b = rng.normal(1.0, 2.0, (20000, 3))
    # ‖μa − μb‖² + Σ (σa − σb)² for diagonal covariances: 3·1 + 3·(1 − 2)² = 6.
    assert metrics.frechet_distance(a, b) == pytest.approx(6.0, rel=0.03)


def test_the_spread_of_a_set():
    assert metrics.mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])) == pytest.approx(4.0)


def test_missing_or_wrong_envelope_names_the_command(tmp_path):
    with pytest.raises(UserError, match="eval.artifacts envelope"):
        metrics.load_envelope(str(tmp_path / "none.npy"))
    np.save(tmp_path / "bad.npy", np.zeros(10))
    with pytest.raises(UserError, match="eval.artifacts envelope"):
        metrics.load_envelope(str(tmp_path / "bad.npy"))
    assert metrics.load_envelope().shape == (8193,)  # the shipped one


def test_share_is_loudness_invariant_and_zero_for_silence():
    env = np.zeros(8193, np.float32)
    env[1024] = 1.0
    t = np.arange(16384) / 16000
    tone = np.sin(2 * np.pi * 1000 * t)[None]  # bin 1024 exactly
    np.testing.assert_allclose(metrics.artifact_share(np.concatenate([tone, 0.01 * tone]), env), [1.0, 1.0], rtol=1e-6)
    assert metrics.artifact_share(np.zeros((1, 16384)), env).tolist() == [0.0]
