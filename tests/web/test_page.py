"""web/page: the drum-machine page `train_wavegan.py web` exports, in real headless Chromium (Playwright)."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from tests import helpers
from tests.helpers import TINY
from tests.model_fixtures import randomized_generator
from tests.serve.test_web import TOLERANCE
from wavegan.serve import export
from wavegan.serve import web as web_export
from wavegan.train.kind import Renderer

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium keeps trying to reach Google on this closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# --- the page in headless Chromium -----------------------------------------------------------------

def _skip_without_browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)")
    if web_export.runtime_missing():
        pytest.skip("needs onnxruntime-web: npm ci --prefix web (.ci/run runs it)")


@pytest.fixture(scope="module")
def playwright():
    """One Playwright per module: its sync API refuses a second one while the first runs."""
    _skip_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright):
    # Playwright gives every launch a fresh temporary profile (the --user-data-dir).
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def serve():
    """Serves a folder the way the README says, with plain `python -m http.server` (no isolation headers)."""
    servers = []

    def start(folder: str) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=folder))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1140, "height": 700}, accept_downloads=True)
    errors, elsewhere = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Everything the page loads must come from the exported folder (the page works offline).
    page.on("request", lambda r: None if r.url.startswith((url.rsplit("/", 1)[0], "blob:", "data:"))
            else elsewhere.append(r.url))
    page.goto(url)
    page.wait_for_function("window.wavegan && (window.wavegan.ready || window.wavegan.error)", timeout=120_000)
    assert page.evaluate("window.wavegan.error || null") is None and not errors, errors
    assert not elsewhere, elsewhere
    return page


def pad_latents_and_audio(page) -> tuple[np.ndarray, np.ndarray]:
    z, audio = page.evaluate("[window.wavegan.state.pads.map(p => Array.from(p.z)),"
                             " window.wavegan.state.pads.map(p => Array.from(p.audio))]")
    return np.array(z, np.float32), np.array(audio, np.float32)


def saved_model_audio(saved_model: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    serving = tf.saved_model.load(saved_model).signatures["serving_default"]
    out = serving(z=tf.constant(z))
    return out["G_z"].numpy(), out["G_z_int16"].numpy()


@pytest.mark.slow
def test_drum_machine_page_in_headless_chromium(browser, serve, tmp_path):
    """A tiny trained run with the post-processing filter: export, load the page, generate all 8 pads,
    compare with the run's SavedModel, morph, download, keys, sequencer, screenshot."""
    run_dir = str(tmp_path / "run")
    helpers.run_script("train_wavegan.py", "train", run_dir, "--train_max_steps", "2", "--wavegan_genr_pp",
                       "--wavegan_genr_pp_len", "64", *TINY)
    out = helpers.run_script("train_wavegan.py", "web", run_dir)
    folder = os.path.join(run_dir, "web")
    assert "Exported step 2" in out.stdout and os.path.isfile(os.path.join(folder, "index.html"))
    facts = json.load(open(os.path.join(folder, "run.json")))
    saved_model = os.path.join(run_dir, export.EXPORT_SUBDIR)
    assert export.read_export_info(saved_model)["step"] == facts["step"] == 2
    assert {k: facts[k] for k in ("sample_rate", "latent_dim", "slice_len", "num_channels", "post_proc_filter")} == {
        "sample_rate": 16000, "latent_dim": 100, "slice_len": 16384, "num_channels": 1, "post_proc_filter": True}

    page = open_page(browser, serve(folder) + "index.html")
    # Every pad's "new" button: 8 fresh latents, each generated on its own.
    before_z, _ = pad_latents_and_audio(page)
    for p in range(8):
        generations = page.evaluate("window.wavegan.state.generations")
        page.click(f'.pad[data-pad="{p}"] .new')
        page.wait_for_function(f"window.wavegan.state.generations > {generations}")
    z, audio = pad_latents_and_audio(page)
    assert z.shape == (8, 100) and audio.shape == (8, 16384) and np.abs(z).max() <= 1
    assert not np.any(np.all(z == before_z, axis=1)), "a pad kept its latent after 'new'"
    expected, expected_int16 = saved_model_audio(saved_model, z)
    assert np.abs(expected).max() > 0
    assert np.abs(audio - expected[..., 0]).max() <= TOLERANCE

    # The slider halfway between A and B: the pad plays the midpoint latent.
    z_a, z_b = (np.array(page.evaluate(f"Array.from(window.wavegan.state.pads[2].{k})"), np.float32) for k in ("zA", "zB"))
    generations = page.evaluate("window.wavegan.state.generations")
    page.locator('.pad[data-pad="2"] .morph').evaluate("el => { el.value = '0.5'; el.dispatchEvent(new Event('change')); }")
    page.wait_for_function(f"window.wavegan.state.generations > {generations}")
    z_mid, audio_mid = pad_latents_and_audio(page)
    np.testing.assert_allclose(z_mid[2], 0.5 * z_a + 0.5 * z_b, atol=1e-6)
    assert np.abs(audio_mid[2] - saved_model_audio(saved_model, z_mid[2:3])[0][0, :, 0]).max() <= TOLERANCE

    # Download pad 1 as a 16-bit WAV: the SavedModel's G_z_int16 (±1 where float rounding meets truncation).
    with page.expect_download() as download_info:
        page.click('.pad[data-pad="0"] .download')
    wav, rate = soundfile.read(io.BytesIO(open(download_info.value.path(), "rb").read()), dtype="int16")
    assert rate == 16000 and soundfile.info(download_info.value.path()).subtype == "PCM_16"
    assert np.abs(wav.astype(int) - expected_int16[0, :, 0].astype(int)).max() <= 1

    # Keys 1–8 play pads.
    page.keyboard.press("3")
    page.keyboard.press("8")
    assert page.evaluate("window.wavegan.state.triggers") == 2

    # The sequencer: tempo 120, straight: the starting beat's notes a sixteenth (0.125 s) apart per step.
    page.click("#play")
    page.wait_for_function("window.wavegan.state.scheduled.length >= 8", timeout=10_000)
    notes = page.evaluate("window.wavegan.state.scheduled")
    page.screenshot(path=str(tmp_path / "web_page.png"))
    page.click("#play")  # stop
    bar = notes[:8]
    assert [(n["pad"], n["step"]) for n in bar] == [(0, 0), (2, 2), (1, 4), (2, 6), (0, 8), (2, 10), (1, 12), (2, 14)]
    assert [n["time"] - bar[0]["time"] for n in bar] == pytest.approx([n["step"] * 0.125 for n in bar], abs=1e-6)
    assert page.evaluate("window.wavegan.state.audio.state") == "running"
    screenshot = os.environ.get("WAVEGAN_WEB_SCREENSHOT")
    if screenshot:
        shutil.copy(tmp_path / "web_page.png", screenshot)
    page.close()


@pytest.mark.slow
@pytest.mark.parametrize("slice_len", [32768, 65536])
def test_page_matches_the_saved_model_at_longer_slices(browser, serve, tmp_path, slice_len):
    generator = randomized_generator(slice_len=slice_len, post_proc_filter=True, post_proc_len=64)
    facts = {"model_type": "wavegan", "latent_dim": 100, "sample_rate": 16000, "slice_len": slice_len,
             "num_channels": 1, "step": 0, "post_proc_filter": True}
    saved_model = export.export_generator(generator, str(tmp_path / "saved_model"), facts, Renderer())
    folder = web_export.write_web_folder(generator, facts, str(tmp_path / "web"))
    page = open_page(browser, serve(folder))
    z, audio = pad_latents_and_audio(page)
    expected, _ = saved_model_audio(saved_model, z)
    assert audio.shape == (8, slice_len) and np.abs(expected).max() > 0.1
    assert np.abs(audio - expected[..., 0]).max() <= TOLERANCE
    page.close()


@pytest.mark.slow
def test_webgpu_backend_matches_the_saved_model(playwright, serve, tmp_path):
    """The page's WebGPU choice, on Chromium's software GPU (SwiftShader) since the test machine has none."""
    generator = randomized_generator(post_proc_filter=True, post_proc_len=64)
    facts = {"model_type": "wavegan", "latent_dim": 100, "sample_rate": 16000, "slice_len": 16384,
             "num_channels": 1, "step": 0, "post_proc_filter": True}
    saved_model = export.export_generator(generator, str(tmp_path / "saved_model"), facts, Renderer())
    folder = web_export.write_web_folder(generator, facts, str(tmp_path / "web"))
    gpu_args = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + [
        "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-angle=swiftshader", "--use-webgpu-adapter=swiftshader"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=gpu_args, headless=True)
    try:
        page = open_page(browser, serve(folder))
        if not page.evaluate("navigator.gpu ? navigator.gpu.requestAdapter().then(a => !!a) : false"):
            pytest.skip("this Chromium offers no WebGPU adapter, not even SwiftShader")
        generations = page.evaluate("window.wavegan.state.generations")
        page.select_option("#backend", "webgpu")
        page.wait_for_function(f"window.wavegan.error || (window.wavegan.state.backend === 'webgpu' && "
                               f"window.wavegan.state.generations > {generations})", timeout=300_000)
        assert page.evaluate("window.wavegan.error || null") is None
        z, audio = pad_latents_and_audio(page)
    finally:
        browser.close()
    expected, _ = saved_model_audio(saved_model, z)
    assert np.abs(audio - expected[..., 0]).max() <= TOLERANCE
