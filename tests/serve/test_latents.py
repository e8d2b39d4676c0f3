"""wavegan.serve.latents: the fixed latents of the followers, without a model."""

import logging

import numpy as np

from wavegan.serve import latents


def test_fixed_latents_follow_a_changed_count_and_say_so(tmp_path, caplog):
    path = str(tmp_path / "z.npy")
    first = latents.fixed_latents(path, 32, 100, "preview_n")
    assert first.shape == (32, 100)
    np.testing.assert_array_equal(latents.fixed_latents(path, 32, 100, "preview_n"), first)
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        fewer = latents.fixed_latents(path, 4, 100, "preview_n")
    np.testing.assert_array_equal(fewer, first[:4])  # earlier previews stay comparable
    assert np.load(path).shape == (4, 100)
    assert any("--preview_n is 4" in r.getMessage() and "32 latents" in r.getMessage() for r in caplog.records)
    more = latents.fixed_latents(path, 6, 100, "preview_n")
    np.testing.assert_array_equal(more[:4], first[:4])
    assert more.shape == (6, 100) and np.all(np.abs(more) <= 1.0)
