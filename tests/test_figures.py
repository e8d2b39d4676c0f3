import numpy as np

from eval import figures
from wavegan import plots


def test_incept_curve_reads_each_step_once_in_order(tmp_path):
    log = tmp_path / "run.incept.log"
    log.write_text("INFO: noise\nstep 400: Inception score 2.0000 ± 0.1000\n"
                   "step 200: Inception score 1.5000 ± 0.1000 (best so far, kept)\n"
                   "step 400: Inception score 2.5000 ± 0.1000\n")
    steps, scores = figures.incept_curve(str(log))
    assert steps.tolist() == [200, 400] and scores.tolist() == [1.5, 2.5]


def test_plot_lines_puts_points_where_the_axes_say():
    red = (255, 0, 0)
    image = plots.plot_lines([(np.array([0.0, 100.0]), np.array([0.0, 10.0]), red)], x_max=100, y_max=10,
                             x_grid=50, y_grid=5, width=110, height=110)
    assert image.shape == (110, 110, 3)
    is_red = np.all(image == red, axis=-1)
    assert is_red[99, 10] and is_red[10, 99]  # (0, 0) bottom-left and (100, 10) top-right of the box
    assert is_red[55, 55]  # the segment between them
    assert not is_red[20, 80]


def test_spectrogram_grid_stacks_rows_and_columns():
    rng = np.random.default_rng(0)
    rows = [[rng.normal(size=16384).astype(np.float32) * 0.1 for _ in range(3)] for _ in range(2)]
    image = figures.spectrogram_grid(rows, gap=4)
    h, w = figures.log_spectrogram(rows[0][0]).shape
    assert image.shape == (2 * h + 4, 3 * w + 8, 3)
    assert np.all(image[h:h + 4] == 255)  # white gap between rows
