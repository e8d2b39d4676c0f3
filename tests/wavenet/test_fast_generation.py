"""wavenet.fast_generation: the fast step's logits equal the network's, in NumPy and in the SavedModel's graph."""

import numpy as np
import tensorflow as tf

from tests.model_fixtures import small_wavenet
from wavenet import generation
from wavenet.fast_generation import FastGenerator


def test_fast_step_logits_match_the_network_after_priming(fast_form):
    model = small_wavenet(gc=True)
    rng = np.random.default_rng(4)
    history = rng.integers(0, 32, (2, model.receptive_field + 30))
    ids = np.array([1, 2])
    fast = FastGenerator(model)
    fast.start(history[:, :model.receptive_field - 1], ids)
    expected = np.asarray(model((history, ids)))  # [2, 31, Q]
    for j in range(31):
        got = fast.step(history[:, model.receptive_field - 1 + j])
        np.testing.assert_allclose(got, expected[:, j], atol=2e-5)


def test_graph_generator_of_the_savedmodel_matches_numpy():
    from wavenet.fast_generation import GraphFastGenerator

    model = small_wavenet(gc=True)
    ids = np.array([1, 2])
    context = generation.initial_context(model, 2, np.random.default_rng(0))
    graph = GraphFastGenerator(model).generate(tf.constant(context), 60, tf.constant(0.0), tf.constant(0),
                                               tf.constant(ids))
    np.testing.assert_array_equal(np.asarray(graph), generation.generate(model, 2, 60, 0.0, seed=0, ids=ids))
