"""wavegan.layers.conditioning: the generator's class embedding and the critic's projection head."""

import numpy as np

from tests.harness import run_layer_test
from tests.model_fixtures import Z, tiny_pair
from wavegan.layers import ClassEmbedding, ProjectionHead


def test_projection_changes_the_logit_only_through_the_embedding():
    _, d = tiny_pair(4, phaseshuffle_rad=0)
    x = np.random.default_rng(1).uniform(-1, 1, (5, 16384, 1)).astype(np.float32)
    features = d.features(x).numpy()
    table = d.projection.embeddings.numpy()
    base = d(x, labels=np.zeros(5, np.int32)).numpy()
    for label in range(1, 4):
        logits = d(x, labels=np.full(5, label)).numpy()
        # Miyato & Koyama: logit(x, y) = ψ(φ(x)) + ⟨e_y, φ(x)⟩, so the change is ⟨e_y − e_0, φ(x)⟩.
        np.testing.assert_allclose(logits - base, features @ (table[label] - table[0]), rtol=1e-4, atol=1e-4)
    # Equal embedding rows: the label makes no difference at all.
    d.projection.embeddings.assign(np.repeat(table[:1], 4, axis=0))
    np.testing.assert_array_equal(d(x, labels=np.full(5, 3)).numpy(), d(x, labels=np.zeros(5, np.int32)).numpy())


def test_class_weights_mix_embeddings_and_one_hot_weights_pick_a_class():
    g, _ = tiny_pair(3)
    one_hot = np.eye(3, dtype=np.float32)[[2, 0, 1]]
    np.testing.assert_array_equal(g(Z, labels=one_hot).numpy(), g(Z, labels=np.array([2, 0, 1])).numpy())
    half = g.label_embedding(np.array([[0.5, 0.5, 0.0]], np.float32)).numpy()
    table = g.label_embedding.embeddings.numpy()
    np.testing.assert_allclose(half[0], (table[0] + table[1]) / 2, rtol=1e-6)


def test_class_embedding_in_the_harness():
    labels = np.array([0, 2, 1, 2])
    layer = run_layer_test(ClassEmbedding, dict(num_classes=3, dim=5), input_data=labels, expected_output_shape=(4, 5))
    # Class weights [batch, classes] take the same path: one-hot rows give the classes' vectors.
    run_layer_test(ClassEmbedding, dict(num_classes=3, dim=5), input_data=np.eye(3, dtype=np.float32)[labels],
                   weights=layer.get_weights(), expected_output=layer(labels), expected_output_shape=(4, 5))


def test_projection_head_in_the_harness():
    run_layer_test(ProjectionHead, dict(num_classes=3), input_shape=(4, 6),
                   call_kwargs=dict(labels=np.array([0, 2, 1, 2])), expected_output_shape=(4,))
