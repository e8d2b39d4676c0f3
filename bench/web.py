"""The exported drum-machine page in headless Chromium: page load, time to generate 8 pads, model size.

    python bench/web.py --dim 64

Exports a randomly initialised generator of the given size (weights do not change the speed) with the
512-tap post-processing filter (the original demo's drum model had it), serves the folder twice, as
plain `python -m http.server` does (onnxruntime-web on one thread) and as `--web_serve` does
(cross-origin isolated: several threads), and times in the page. Besides wall time it reports the CPU
time Chromium's processes used, which a loaded machine changes much less than wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import common
import numpy as np
import tensorflow as tf

from wavegan.serve import web as web_export
from wavegan.serve.export import export_generator
from wavegan.train.kind import Renderer
from wavegan.models import WaveGANGenerator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
class _Plain(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def start(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


GENERATE = """async (z) => {
  const s = window.wavegan.state;
  s.pads.forEach((p, i) => { p.z = Float32Array.from(z[i]); });
  await window.wavegan.generatePads();
  return s.timings.lastGenerateMs;
}"""
AUDIO = "window.wavegan.state.pads.map(p => Array.from(p.audio))"


def measure(browser, url: str, z: np.ndarray, expected: np.ndarray, repeats: int) -> dict:
    page = browser.new_page()
    start_wall = time.perf_counter()
    page.goto(url)
    page.wait_for_function("window.wavegan && (window.wavegan.ready || window.wavegan.error)", timeout=600_000)
    load_s = time.perf_counter() - start_wall
    state = page.evaluate("[window.wavegan.error || null, window.wavegan.state.timings, window.wavegan.state.threads]")
    if state[0]:
        raise RuntimeError(state[0])
    walls, cpus = [], []
    for _ in range(repeats):
        cpu_before = common.tree_cpu_seconds(include_root=False)
        walls.append(page.evaluate(GENERATE, z.tolist()) / 1000)
        cpus.append(common.tree_cpu_seconds(include_root=False) - cpu_before)
    worst = float(np.abs(np.array(page.evaluate(AUDIO), np.float32) - expected).max())
    page.close()
    return {"load_s": load_s, "model_load_s": state[1]["modelLoadMs"] / 1000, "threads": state[2],
            "first_s": state[1]["lastGenerateMs"] / 1000, "wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
            "max_abs": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--slice_len", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=5, help="timed generations of 8 pads per server")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    generator = WaveGANGenerator(dim=args.dim, slice_len=args.slice_len, post_proc_filter=True)
    generator.build((None, 100))
    facts = {"model_type": "wavegan", "latent_dim": 100, "sample_rate": 16000, "slice_len": args.slice_len,
             "num_channels": 1, "step": 0, "post_proc_filter": True}
    z = np.random.default_rng(0).uniform(-1, 1, (8, 100)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        saved = export_generator(generator, os.path.join(tmp, "saved_model"), facts, Renderer())
        expected = tf.saved_model.load(saved).signatures["serving_default"](z=tf.constant(z))["G_z"].numpy()[..., 0]
        folder = web_export.write_web_folder(generator, facts, os.path.join(tmp, "web"))
        model_mb = os.path.getsize(os.path.join(folder, web_export.MODEL_FILE)) / 1e6
        runtime_mb = {name: sum(os.path.getsize(os.path.join(folder, "runtime", f)) for f in files) / 1e6
                      for name, files in web_export.RUNTIME_FILES.items()}
        servers = {"python -m http.server": ThreadingHTTPServer(("127.0.0.1", 0), partial(_Plain, directory=folder)),
                   "--web_serve (isolated)": web_export.make_server(folder, 0)}
        urls = {name: start(server) for name, server in servers.items()}
        results = {name: [] for name in urls}
        load_before = os.getloadavg()[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for _ in range(2):  # interleaved, so both servers see the same machine load
                for name, url in urls.items():
                    results[name].append(measure(browser, url, z, expected, args.repeats))
            browser.close()
        for server in servers.values():
            server.shutdown()
            server.server_close()
    seconds = args.slice_len / 16000
    rows = [f"| served by | threads | page load to 8 pads ready (s) | of which runtime + model load (s) | "
            f"8 pads ({8 * seconds:.1f} s of audio): wall (s) | 8 pads: Chromium CPU (s) | max abs vs SavedModel |",
            "|---|---|---|---|---|---|---|"]
    for name, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("load_s", "model_load_s", "wall_s", "cpu_s")}
        rows.append(f"| {name} | {runs[0]['threads']} | {med['load_s']:.2f} | {med['model_load_s']:.2f} | "
                    f"{med['wall_s']:.2f} | {med['cpu_s']:.2f} | {max(r['max_abs'] for r in runs):.1e} |")
    notes = (f"d = {args.dim}, slice {args.slice_len}, 512-tap post-processing filter, WebAssembly (CPU) backend; "
             f"medians of 2 page loads and {2 * args.repeats} generations per server, interleaved. generator.onnx "
             f"{model_mb:.1f} MB; onnxruntime-web {runtime_mb['wasm']:.1f} MB (WebAssembly build, loaded by default) + "
             f"{runtime_mb['webgpu']:.1f} MB (WebGPU build, loaded only when chosen). Load average at the start: "
             f"{load_before:.1f} on {os.cpu_count()} cores (a shared machine: wall times are inflated by the "
             "other jobs; the CPU column is what the page itself used).")
    common.record(f"Web page (onnxruntime-web in headless Chromium), d = {args.dim}", rows, notes)


if __name__ == "__main__":
    main()
