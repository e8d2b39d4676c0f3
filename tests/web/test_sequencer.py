"""The drum-machine page's sequencer and latents in headless Chromium (web/page/app.js): note times at two
swing values and two tempi, and the latents each pad draws.

A sixteenth lasts 60 / tempo / 4 s; swing s makes the first of each pair of sixteenths last 2·s of one and
the second 2·(1 − s) (app.js: stepDuration), so the even steps stay on the straight grid and the odd
ones move. The page is a tiny generator's export (its sound does not matter here); the browser setup is
the minimum of tests/test_web.py's.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from wavegan.models import WaveGANGenerator
from wavegan.serve import web as web_export

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium keeps trying to reach Google on this closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SWUNG_PAD = 3  # the starting beat leaves pad 4 empty: the test puts it on the odd steps 1 and 3


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The exported page, loaded and ready, served as the README says (plain http.server)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)")
    if web_export.runtime_missing():
        pytest.skip("needs onnxruntime-web: npm ci --prefix web (.ci/run runs it)")
    from playwright.sync_api import sync_playwright

    generator = WaveGANGenerator(dim=2)
    generator.build((None, generator.latent_dim))
    facts = {"model_type": "wavegan", "latent_dim": 100, "sample_rate": 16000, "slice_len": 16384,
             "num_channels": 1, "step": 0, "post_proc_filter": False}
    folder = web_export.write_web_folder(generator, facts, str(tmp_path_factory.mktemp("page") / "web"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            tab = browser.new_page()
            errors = []
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            tab.wait_for_function("window.wavegan && (window.wavegan.ready || window.wavegan.error)", timeout=120_000)
            assert tab.evaluate("window.wavegan.error || null") is None and not errors, errors
            yield tab
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def set_range(page, selector: str, value: float) -> None:
    """Moves a slider as a user does (its `input` event), and checks the slider took the value."""
    page.locator(selector).evaluate(f"el => {{ el.value = '{value}'; el.dispatchEvent(new Event('input')); }}")
    assert float(page.locator(selector).input_value()) == pytest.approx(value)


def first_beat(page, tempo: int, swing: float) -> list[dict]:
    """Plays from the start at `tempo` and `swing` until the notes of steps 0–3 are scheduled; those notes."""
    set_range(page, "#tempo", tempo)
    set_range(page, "#swing", swing)
    assert page.evaluate("[window.wavegan.state.tempo, window.wavegan.state.swing]") == [tempo, pytest.approx(swing)]
    before = page.evaluate("window.wavegan.state.scheduled.length")
    page.click("#play")
    page.wait_for_function(f"window.wavegan.state.scheduled.slice({before}).some(n => n.step === 4)", timeout=20_000)
    page.click("#play")  # stop
    notes = page.evaluate(f"window.wavegan.state.scheduled.slice({before})")
    return [n for n in notes if n["step"] < 4]


def test_note_times_follow_tempo_and_swing(page):
    for step in (1, 3):
        if not page.evaluate(f"window.wavegan.state.pattern[{SWUNG_PAD}][{step}]"):
            page.click(f'#seq .step[data-pad="{SWUNG_PAD}"][data-step="{step}"]')
    # The starting beat (pad 1 on step 0, pad 3 on step 2) plus pad 4 on steps 1 and 3.
    for tempo in (90, 150):
        for swing in (0.62, 0.75):
            notes = first_beat(page, tempo, swing)
            assert [(n["pad"], n["step"]) for n in notes] == [(0, 0), (SWUNG_PAD, 1), (2, 2), (SWUNG_PAD, 3)]
            sixteenth = 60 / tempo / 4
            # Literal offsets from step 0: odd steps late by (2s − 1) sixteenths, even ones on the grid.
            expected = [0, 2 * swing * sixteenth, 2 * sixteenth, 2 * sixteenth + 2 * swing * sixteenth]
            got = [n["time"] - notes[0]["time"] for n in notes]
            assert got == pytest.approx(expected, abs=1e-9), (tempo, swing)
    # Spot values: at 90 BPM a sixteenth is 1/6 s, so swing 0.75 puts step 1 at 0.25 s; at 150 BPM, 0.1 s → 0.15 s.
    assert 2 * 0.75 * (60 / 90 / 4) == pytest.approx(0.25) and 2 * 0.75 * (60 / 150 / 4) == pytest.approx(0.15)


def test_pad_latents_are_uniform_in_plus_minus_one(page):
    """Each pad's z (and both ends of its morph) in [−1, 1], with negative and positive entries; a pad's "new"
    draws a fresh one of the same kind."""
    z = np.array(page.evaluate("window.wavegan.state.pads.map(p => [Array.from(p.zA), Array.from(p.zB), "
                               "Array.from(p.z)])"), np.float64)
    assert z.shape == (8, 3, 100)
    assert np.abs(z).max() <= 1.0
    assert (z.min(axis=2) < 0).all() and (z.max(axis=2) > 0).all()  # not all positive (as [0, 1) would be)
    assert 0.3 < (z < 0).mean() < 0.7
    generations = page.evaluate("window.wavegan.state.generations")
    page.click('.pad[data-pad="5"] .new')
    page.wait_for_function(f"window.wavegan.state.generations > {generations}")
    fresh = np.array(page.evaluate("Array.from(window.wavegan.state.pads[5].z)"))
    assert not np.array_equal(fresh, z[5, 2])
    assert np.abs(fresh).max() <= 1.0 and fresh.min() < 0 < fresh.max()
