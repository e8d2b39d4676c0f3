"""A dependency-free line plot (NumPy raster → PNG) for the post-processing filter's response."""

from __future__ import annotations

import numpy as np

BLUE, GREEN, BLACK, GREY = (31, 119, 180), (44, 160, 44), (0, 0, 0), (200, 200, 200)


def filter_response(kernel: np.ndarray, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude (dB) and unwrapped phase (radians) of an FIR filter, DC to Nyquist."""
    spectrum = np.fft.rfft(kernel, n=max(n_fft, len(kernel)))
    magnitude_db = 20.0 * np.log10(np.maximum(np.abs(spectrum), 1e-12))
    return magnitude_db, np.unwrap(np.angle(spectrum))


def _draw_line(canvas: np.ndarray, values: np.ndarray, box: tuple[int, int, int, int], color) -> None:
    """Draws `values` across the box, scaled to fill its height, as a connected 2-pixel line."""
    top, left, bottom, right = box
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo if hi > lo else 1.0
    columns = np.arange(left, right)
    ys = np.interp(np.linspace(0, len(values) - 1, len(columns)), np.arange(len(values)), values)
    rows = np.round(bottom - 1 - (ys - lo) / span * (bottom - top - 1)).astype(int)
    for i, x in enumerate(columns):
        # Fill the vertical run to the next column's value, so steep stretches stay joined.
        nxt = rows[min(i + 1, len(rows) - 1)]
        canvas[max(min(rows[i], nxt) - 1, top):max(rows[i], nxt) + 1, x] = color


def plot_filter_response(kernel: np.ndarray, width: int = 640, height: int = 400) -> np.ndarray:
    """RGB uint8 image: magnitude in dB (blue) and unwrapped phase (green, own scale) against frequency."""
    magnitude_db, phase = filter_response(kernel)
    canvas = np.full((height, width, 3), 255, np.uint8)
    box = (20, 40, height - 30, width - 40)
    top, left, bottom, right = box
    for frac in (0.25, 0.5, 0.75):  # grid at quarter-Nyquist steps
        canvas[top:bottom, left + int(frac * (right - left))] = GREY
    canvas[top:bottom, left] = canvas[bottom - 1, left:right] = BLACK
    canvas[top:bottom, right - 1] = BLACK
    _draw_line(canvas, phase, box, GREEN)
    _draw_line(canvas, magnitude_db, box, BLUE)
    return canvas


def plot_lines(series: list[tuple[np.ndarray, np.ndarray, tuple]], x_max: float, y_max: float,
               x_grid: float, y_grid: float, width: int = 720, height: int = 400) -> np.ndarray:
    """RGB uint8 image of several (x, y, colour) lines on shared axes from (0, 0) to (x_max, y_max),
    with grey grid lines every x_grid and y_grid (no text: captions carry the scale)."""
    canvas = np.full((height, width, 3), 255, np.uint8)
    top, left, bottom, right = 10, 10, height - 10, width - 10

    def to_pixel(x, y):
        col = left + np.asarray(x, float) / x_max * (right - left - 1)
        row = bottom - 1 - np.asarray(y, float) / y_max * (bottom - top - 1)
        return np.round(row).astype(int), np.round(col).astype(int)

    for gx in np.arange(x_grid, x_max, x_grid):
        canvas[top:bottom, to_pixel(gx, 0)[1]] = GREY
    for gy in np.arange(y_grid, y_max, y_grid):
        canvas[to_pixel(0, gy)[0], left:right] = GREY
    canvas[top:bottom, left] = canvas[bottom - 1, left:right] = BLACK
    for xs, ys, color in series:
        rows, cols = to_pixel(xs, ys)
        for (r0, c0), (r1, c1) in zip(zip(rows, cols), zip(rows[1:], cols[1:])):
            n = max(abs(r1 - r0), abs(c1 - c0), 1)
            for t in np.linspace(0.0, 1.0, n + 1):  # a 3-pixel-thick segment
                r, c = int(round(r0 + t * (r1 - r0))), int(round(c0 + t * (c1 - c0)))
                canvas[max(r - 1, top):r + 2, max(c - 1, left):c + 2] = color
        for r, c in zip(rows, cols):  # a square marker on every measured point
            canvas[max(r - 3, top):r + 4, max(c - 3, left):c + 4] = color
    return canvas
