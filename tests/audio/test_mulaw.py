"""wavegan.audio.mulaw: the μ-law companding of the WaveNet baseline (reference §B1)."""

import numpy as np
import pytest

from wavegan.audio import mulaw


REFERENCE_IN = [-1, 1, 0.6, -0.25, 0.01, 0.33, -0.9999, 0.42, 0.1, -0.45]


REFERENCE_OUT = [0, 255, 243, 32, 157, 230, 0, 235, 203, 18]  # reference §B1


def test_mulaw_reference_values_and_round_trips():
    assert np.asarray(mulaw.encode(np.array(REFERENCE_IN), 256)).tolist() == REFERENCE_OUT
    assert mulaw.encode_np(np.array(REFERENCE_IN), 256).tolist() == REFERENCE_OUT
    classes = np.arange(256)
    decoded = mulaw.decode_np(classes, 256)
    np.testing.assert_allclose(np.asarray(mulaw.decode(classes, 256)), decoded, atol=1e-6)
    assert mulaw.encode_np(decoded, 256).tolist() == classes.tolist()  # decode → encode is the identity
    assert decoded[0] == pytest.approx(-1.0, abs=1e-10) and decoded[-1] == pytest.approx(1.0, abs=1e-10)
    assert mulaw.encode_np(np.zeros(1), 256)[0] == 128 and decoded[128] == pytest.approx(8.6e-5, rel=0.01)
    x = np.linspace(-1, 1, 1000)
    y = mulaw.decode_np(mulaw.encode_np(x))
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(1, abs=1e-4) and intercept == pytest.approx(0, abs=1e-4)
    np.testing.assert_allclose(y, x, rtol=0.1, atol=0.05)
    assert len(np.unique(mulaw.encode_np(np.linspace(-1, 1, 10000), 123))) == 123
    assert mulaw.encode_np(np.array([3.0, -7.0])).tolist() == [255, 0]  # clipped
