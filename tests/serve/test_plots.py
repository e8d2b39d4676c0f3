"""wavegan.serve.plots: the post-processing filter's response figure."""

import numpy as np

from wavegan.serve import plots


def test_filter_response_figure_has_db_and_hz_axes():
    kernel = np.zeros(512)
    kernel[0] = 1.0  # an impulse: flat 0 dB, zero phase
    figure = plots.filter_response_figure(kernel, 16000)
    magnitude_ax, phase_ax = figure.axes
    assert magnitude_ax.get_xlabel() == "frequency (Hz)" and magnitude_ax.get_xlim() == (0, 8000)
    assert "dB" in magnitude_ax.get_ylabel() and "radians" in phase_ax.get_ylabel()
    assert [t.get_text() for t in magnitude_ax.get_legend().get_texts()] == ["magnitude (dB)", "unwrapped phase (rad)"]
    np.testing.assert_allclose(magnitude_ax.get_lines()[0].get_ydata(), 0.0, atol=1e-9)
    image = plots.plot_filter_response(kernel, 16000)
    assert image.dtype == np.uint8 and image.shape == (450, 800, 3) and image.min() < 100  # drawn, not blank
