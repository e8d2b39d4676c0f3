"""eval.figures: the curves read back, and the paper's figures with labelled axes."""

import numpy as np

from eval import figures


def test_incept_curve_reads_each_step_once_in_order(tmp_path):
    log = tmp_path / "run.incept.log"
    log.write_text("INFO: noise\nstep 400: Inception score 2.0000 ± 0.1000\n"
                   "step 200: Inception score 1.5000 ± 0.1000 (best so far, kept)\n"
                   "step 400: Inception score 2.5000 ± 0.1000\n")
    steps, scores = figures.incept_curve(str(log))
    assert steps.tolist() == [200, 400] and scores.tolist() == [1.5, 2.5]


def test_curves_from_csv_group_by_run_in_step_order(tmp_path):
    table = tmp_path / "curve.csv"
    table.write_text("# read back from a figure\nrun,step,score\nspecgan,300,1.5\nwavegan_ps2,100,1.0\nspecgan,100,2.0\n")
    curves = figures.curves_from_csv(str(table))
    assert list(curves) == ["specgan", "wavegan_ps2"]
    assert curves["specgan"][0].tolist() == [100, 300] and curves["specgan"][1].tolist() == [2.0, 1.5]


def test_is_curve_figure_has_labelled_axes_a_legend_and_a_title():
    curves = {"wavegan_ps2": (np.array([100, 200]), np.array([1.0, 2.0])), "specgan": (np.array([100]), np.array([1.5]))}
    ax = figures.is_curve_figure(curves, "IS").axes[0]
    assert ax.get_xlabel() == "generator iterations" and ax.get_ylabel() == "Inception score" and ax.get_title() == "IS"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["WaveGAN, phase shuffle 2", "SpecGAN"]
    assert ax.get_ylim()[0] == 0


def test_spectrogram_figure_labels_rows_columns_and_the_db_scale():
    rng = np.random.default_rng(0)
    rows = {name: [rng.normal(size=16384).astype(np.float32) * 0.1 for _ in range(3)] for name in ("real", "model")}
    figure = figures.spectrogram_figure(rows, "grid")
    axes = figure.axes
    assert len(axes) == 2 * 3 + 1  # the grid and the colour bar
    assert axes[0].get_ylabel().startswith("real") and axes[3].get_ylabel().startswith("model")
    assert axes[0].get_title() == "clip 1" and axes[5].get_xlabel() == "time (s)"
    assert axes[-1].get_ylabel() == "magnitude (dB)"
    spectrogram = figures.log_spectrogram(rows["real"][0])
    assert spectrogram.shape == (figures.N_FFT // 2 + 1, (16384 - figures.N_FFT) // figures.HOP + 1)
