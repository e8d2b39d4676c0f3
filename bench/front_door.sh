#!/usr/bin/env bash
# The front door, timed: from `git clone` to the demo drum machine playing in a browser, as the README has
# a newcomer do it (set-up from requirements.txt, `npm ci --prefix web`, `train_wavegan.py web models/drums
# --web_serve`), with headless Chromium standing in for the newcomer's browser: the clock stops when the
# page has generated its 8 pads and started playing pad 1.
#
#   bench/front_door.sh [SOURCE] [WORK_DIR]
#
# SOURCE: what to clone (default: this checkout); WORK_DIR: where (default: a new temporary folder).
# FRONT_DOOR_MODEL: the train dir the page plays, relative to the clone (default: models/drums, the shipped
# demo model; any WaveGAN train dir works, e.g. an absolute path to one of yours).
# FRONT_DOOR_SCREENSHOT=/absolute/path/page.png (the script runs in its clone) also saves the page with its
# sequencer playing, after the clock stops (docs/web_page.png is one, of the demo model).
# FRONT_DOOR_VENV=/path/to/venv reuses an environment instead of installing one (a check of the script,
# not a measurement). pip's and npm's caches make a second run faster: say which run a figure is.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
work=${2:-$(mktemp -d)}
port=${FRONT_DOOR_PORT:-8765}
model=${FRONT_DOOR_MODEL:-models/drums}
now() { date +%s.%N; }
lap() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
git clone -q "$src" "$work/wavegan"
t1=$(now)
cd "$work/wavegan"
if [ -n "${FRONT_DOOR_VENV:-}" ]; then
  ln -s "$FRONT_DOOR_VENV" .venv
else
  python3 -m venv .venv && .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
fi
t2=$(now)
npm ci --prefix web --no-audit --no-fund --loglevel=error
t3=$(now)
.venv/bin/python train_wavegan.py web "$model" --web_serve --web_port "$port" --web_dir "$work/web" > "$work/web.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
t4=$(.venv/bin/python - "$port" <<'EOF'
import os, sys, time, urllib.request
from playwright.sync_api import sync_playwright

url = f"http://127.0.0.1:{sys.argv[1]}/"
while True:  # the export runs first, then the server starts
    try:
        urllib.request.urlopen(url, timeout=1)
        break
    except OSError:
        time.sleep(0.2)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
    page = browser.new_page(viewport={"width": 1140, "height": 700})  # the size of docs/web_page.png
    page.goto(url)
    page.wait_for_function("window.wavegan && (window.wavegan.ready || window.wavegan.error)", timeout=600_000)
    error = page.evaluate("window.wavegan.error || null")
    if error:
        sys.exit(f"the page failed: {error}")
    page.keyboard.press("1")  # pad 1, as a visitor would
    print(f"{time.time():.3f}")  # the clock stops here
    shot = os.environ.get("FRONT_DOOR_SCREENSHOT")
    if shot:
        page.click("#play")
        page.wait_for_function("window.wavegan.state.scheduled.length >= 8", timeout=10_000)
        page.screenshot(path=shot)
    browser.close()
EOF
)
echo "front door on $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ):"
echo "  git clone                         $(lap "$t0" "$t1") s"
echo "  venv + pip install -r requirements.txt  $(lap "$t1" "$t2") s${FRONT_DOOR_VENV:+ (reused $FRONT_DOOR_VENV)}"
echo "  npm ci --prefix web               $(lap "$t2" "$t3") s"
echo "  web export + page ready + pad 1   $(lap "$t3" "$t4") s"
echo "  total, clone to drum sound        $(lap "$t0" "$t4") s"
