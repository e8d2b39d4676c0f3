"""wavenet.generation: naive and fast generation give the same samples; seeds, context and sampling."""

import numpy as np
import pytest

from tests.model_fixtures import small_wavenet
from wavenet import generation


@pytest.mark.parametrize("gc,biases", [(False, False), (True, True)])
def test_naive_and_fast_generation_give_the_same_samples(gc, biases, fast_form):
    model = small_wavenet(gc=gc, biases=biases)
    ids = np.array([0, 2]) if gc else None
    kwargs = dict(n=2, length=120, temperature=1.0, seed=3, ids=ids)
    fast = generation.generate(model, fast=True, **kwargs)
    naive = generation.generate(model, fast=False, **kwargs)
    assert fast.shape == (2, 120)
    np.testing.assert_array_equal(fast, naive)
    assert len(np.unique(fast)) > 5  # sampled, not stuck


def test_seed_context_and_sampling():
    model = small_wavenet()
    rng = np.random.default_rng(0)
    context = generation.initial_context(model, 2, rng)
    assert (context[:, :-1] == 16).all()  # silence (Q/2) and one random class
    seed = np.array([3, 4, 5], np.int32)
    seeded = generation.initial_context(model, 2, rng, seed)
    assert seeded[0, -3:].tolist() == [3, 4, 5] and (seeded[:, :-3] == 16).all()
    a = generation.generate(model, 2, 50, 1.0, seed=7, wav_seed=seed)
    assert a.shape == (2, 50)  # the seed is not part of the output
    np.testing.assert_array_equal(a, generation.generate(model, 2, 50, 1.0, seed=7, wav_seed=seed))
    assert not np.array_equal(a, generation.generate(model, 2, 50, 1.0, seed=8, wav_seed=seed))
    logits = np.log(np.array([[0.1, 0.6, 0.3]]))
    assert generation.sample_classes(logits, 0.0, np.array([0.0])).tolist() == [1]
    assert [generation.sample_classes(logits, 1.0, np.array([u]))[0] for u in (0.05, 0.5, 0.95)] == [0, 1, 2]
