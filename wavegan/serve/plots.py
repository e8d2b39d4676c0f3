"""Figures drawn with matplotlib (its object API and the Agg canvas: no pyplot state, no display):
the post-processing filter's frequency response, and a figure → RGB array helper for summaries."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def filter_response(kernel: np.ndarray, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude (dB) and unwrapped phase (radians) of an FIR filter, DC to Nyquist (n_fft/2 + 1 bins)."""
    spectrum = np.fft.rfft(kernel, n=max(n_fft, len(kernel)))
    magnitude_db = 20.0 * np.log10(np.maximum(np.abs(spectrum), 1e-12))
    return magnitude_db, np.unwrap(np.angle(spectrum))


def figure_to_rgb(figure: Figure) -> np.ndarray:
    """The rendered figure as an RGB uint8 array [height, width, 3]."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def filter_response_figure(kernel: np.ndarray, sample_rate: int, title: str = "") -> Figure:
    """Magnitude in dB (left axis, blue) and unwrapped phase in radians (right axis, green) against
    frequency in Hz, from DC to Nyquist."""
    magnitude_db, phase = filter_response(kernel)
    freqs = np.linspace(0.0, sample_rate / 2.0, len(magnitude_db))
    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    ax = figure.add_subplot()
    magnitude_line, = ax.plot(freqs, magnitude_db, color="tab:blue", label="magnitude (dB)")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("magnitude (dB)", color="tab:blue")
    ax.set_xlim(0, sample_rate / 2.0)
    ax.grid(True, alpha=0.3)
    phase_ax = ax.twinx()
    phase_line, = phase_ax.plot(freqs, phase, color="tab:green", label="unwrapped phase (rad)")
    phase_ax.set_ylabel("unwrapped phase (radians)", color="tab:green")
    ax.legend(handles=[magnitude_line, phase_line], loc="best")
    ax.set_title(title or f"Post-processing filter response ({len(kernel)} taps, {sample_rate} Hz)")
    return figure


def plot_filter_response(kernel: np.ndarray, sample_rate: int, title: str = "") -> np.ndarray:
    """RGB uint8 image of `filter_response_figure`."""
    return figure_to_rgb(filter_response_figure(kernel, sample_rate, title))
