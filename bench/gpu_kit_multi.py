"""Several GPU-kit runs side by side on one GPU, resumed command after command (issues 15, 17, 18).

    python3 bench/gpu_kit_multi.py --plan bench/gpu_plan.json --out $OUT --budget_s 560 [--mps]

One device-tool command gives at most 10 minutes, and a machine stays warm 30 s after it, so the runs
that belong together go in one command: the plan names every run (bench/gpu_kit.py's flags) and, for
each consecutive command on the same machine, which runs train in it and what each brings back. A fresh
machine starts at the plan's first command again. Runs in one `group` train in lockstep
(`gpu_kit.Lockstep`) so that their samples compare at equal iterations.

Each run trains in its own process (`bench/gpu_kit.py`, checkpoints in /tmp/gpu_kit_multi/ckpt/<run>,
JAX's memory allocated as needed rather than preallocated, so they share the GPU); with `--mps` the
CUDA multi-process service lets their kernels run concurrently where the GPU has room (a probe checks
that JAX still starts under it, and it is stopped otherwise). What comes back in `--out`, within the
device tool's limits (8 files, 16 MiB each, 64 MiB): `<run>/clips_NN.npz` for the runs the command
returns clips of, and `logs.tar.gz` holding every run's figures.json and log, the GPU's utilisation
readings and the plan as used.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import gpu_kit  # noqa: E402  (stdlib and numpy only; puts the repository on sys.path)

from wavegan.errors import UserError  # noqa: E402

WORK = "/tmp/gpu_kit_multi"
STATE = "state.json"
PACK_S = 20.0  # kept back from the runs' budget for packing what comes back


def load_plan(path: str) -> dict:
    with open(path) as f:
        plan = json.load(f)
    for key in ("runs", "commands"):
        if not plan.get(key):
            raise UserError(f"{path} has no '{key}': see bench/gpu_plan.json for the layout.")
    for i, command in enumerate(plan["commands"]):
        unknown = set(command["runs"]) - set(plan["runs"])
        if unknown:
            raise UserError(f"{path}: command {i} names runs the plan does not define: {sorted(unknown)}.")
    return plan


def command_index(work: str) -> int:
    """How many commands of the plan this machine has run (0 on a fresh machine)."""
    try:
        with open(os.path.join(work, STATE)) as f:
            return int(json.load(f)["commands_done"])
    except (OSError, ValueError, KeyError):
        return 0


def run_argv(plan: dict, name: str, extra: list[str], work: str, budget_s: float, groups: dict[str, int],
             kit: str = gpu_kit.KIT_DIR) -> list[str]:
    spec = plan["runs"][name]
    argv = [sys.executable, os.path.join(BENCH, "gpu_kit.py"), "--out", os.path.join(work, "out", name),
            "--ckpt_dir", os.path.join(work, "ckpt", name), "--budget_s", str(budget_s), "--wheels", "none",
            "--kit", kit]
    group = spec.get("group")
    if group:
        argv += ["--group", os.path.join(work, "groups", group), "--group_size", str(groups[group])]
    return argv + list(spec.get("args", [])) + list(extra)


def start_mps(log) -> bool:
    """Starts the CUDA multi-process service and checks that JAX runs under it; stops it otherwise."""
    if shutil.which("nvidia-cuda-mps-control") is None:
        print("mps: nvidia-cuda-mps-control is not installed; runs share the GPU by time slices", file=log, flush=True)
        return False
    started = subprocess.run(["nvidia-cuda-mps-control", "-d"], capture_output=True, text=True)
    probe = subprocess.run([sys.executable, "-c", "import jax, jax.numpy as jnp; print(jax.devices(), float(jnp.ones(8).sum()))"],
                           capture_output=True, text=True, timeout=120)
    if started.returncode == 0 and probe.returncode == 0:
        print(f"mps: on ({probe.stdout.strip()})", file=log, flush=True)
        return True
    subprocess.run(["nvidia-cuda-mps-control"], input="quit\n", text=True, capture_output=True)
    print(f"mps: off (start rc {started.returncode}: {started.stderr.strip()[:200]}; probe rc {probe.returncode}: "
          f"{probe.stderr.strip()[-300:]})", file=log, flush=True)
    return False


def gpu_reading() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "n/a"


def last_progress(log_path: str) -> str:
    try:
        with open(log_path, errors="replace") as f:
            lines = [line.strip() for line in f if line.startswith(("step ", "gpu_kit"))]
        return lines[-1] if lines else "(starting)"
    except OSError:
        return "(no log)"


def pack_out(out: str, work: str, names: list[str], returned: list[str], extra_files: dict[str, str]) -> dict:
    """Clip files of the runs in `returned` (in that order of priority) and one logs.tar.gz, within the
    device tool's limits; what would break a limit is left out and named."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in names:
            for file in (os.path.join(work, "out", name, gpu_kit.FIGURES), os.path.join(work, "logs", f"{name}.log")):
                if os.path.exists(file):
                    tar.add(file, arcname=f"{name}/{os.path.basename(file)}")
        for arcname, text in extra_files.items():
            data = text.encode()
            info = tarfile.TarInfo(arcname)
            info.size, info.mtime = len(data), time.time()
            tar.addfile(info, io.BytesIO(data))
    logs = buffer.getvalue()
    files, total, left_out = 1, len(logs), []
    with open(os.path.join(out, "logs.tar.gz"), "wb") as f:
        f.write(logs)
    for name in returned:
        src = os.path.join(work, "out", name)
        packs = sorted(p for p in os.listdir(src) if p.startswith("clips_")) if os.path.isdir(src) else []
        for pack in packs:
            size = os.path.getsize(os.path.join(src, pack))
            if files + 1 > gpu_kit.OUT_MAX_FILES or total + size > gpu_kit.OUT_MAX_TOTAL_BYTES - 2**20:
                left_out.append(f"{name}/{pack}")
                continue
            os.makedirs(os.path.join(out, name), exist_ok=True)
            shutil.copyfile(os.path.join(src, pack), os.path.join(out, name, pack))
            files, total = files + 1, total + size
    return {"files": files, "bytes": total, "left_out": left_out}


def main(argv: list[str] | None = None) -> int:
    t0 = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default=os.path.join(BENCH, "gpu_plan.json"))
    parser.add_argument("--out", default=os.environ.get("OUT"))
    parser.add_argument("--budget_s", type=float, default=560.0, help="seconds this command may take in all")
    parser.add_argument("--kit", default=gpu_kit.KIT_DIR)
    parser.add_argument("--work", default=WORK, help="checkpoints, logs and lockstep files on the machine's disk")
    parser.add_argument("--mps", action="store_true", help="run the runs' kernels concurrently through CUDA MPS")
    parser.add_argument("--wheels", default="auto", help="as bench/gpu_kit.py's; installed once for every run")
    args = parser.parse_args(argv)
    try:
        if not args.out:
            raise UserError("--out is required where $OUT is unset.")
        plan = load_plan(args.plan)
        index = command_index(args.work)
        command = plan["commands"][min(index, len(plan["commands"]) - 1)]
        names = list(command["runs"])
        os.makedirs(args.out, exist_ok=True)
        for sub in ("logs", "groups", "out"):
            shutil.rmtree(os.path.join(args.work, sub), ignore_errors=True)  # lockstep and outputs start afresh
            os.makedirs(os.path.join(args.work, sub))
        wheels = os.path.join(args.kit, gpu_kit.WHEELS_SUBDIR) if args.wheels == "auto" else args.wheels
        if wheels != "none":
            gpu_kit.install_wheels(wheels, gpu_kit.SITE_DIR)
    except UserError as e:
        print(f"gpu_kit_multi: {e}", file=sys.stderr)
        return 2

    log = sys.stdout
    print(f"gpu_kit_multi: command {index} of the plan on this machine: {', '.join(names)}", flush=True)
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONUNBUFFERED": "1", "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
           "PYTHONPATH": os.pathsep.join(p for p in (gpu_kit.SITE_DIR, os.environ.get("PYTHONPATH")) if p)}
    mps = start_mps(log) if args.mps else False
    groups: dict[str, int] = {}
    for name in names:
        group = plan["runs"][name].get("group")
        if group:
            groups[group] = groups.get(group, 0) + 1
    budget = args.budget_s - PACK_S - (time.monotonic() - t0)
    processes = {}
    for name in names:
        os.makedirs(os.path.join(args.work, "out", name))
        argv = run_argv(plan, name, command["runs"][name].get("args", []), args.work, budget, groups, args.kit)
        handle = open(os.path.join(args.work, "logs", f"{name}.log"), "w")
        print(f"{name}: {' '.join(argv[1:])}", file=handle, flush=True)
        processes[name] = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=env)
    readings = []
    while any(p.poll() is None for p in processes.values()):
        time.sleep(5)
        if len(readings) * 30 <= time.monotonic() - t0:
            readings.append(f"{time.monotonic() - t0:.0f} s: {gpu_reading()}")
            print(f"[{readings[-1]}]", flush=True)
            for name in names:
                print(f"  {name}: {last_progress(os.path.join(args.work, 'logs', f'{name}.log'))}", flush=True)
    codes = {name: p.returncode for name, p in processes.items()}
    if mps:
        subprocess.run(["nvidia-cuda-mps-control"], input="quit\n", text=True, capture_output=True)
    summary = {"command_index": index, "runs": names, "return_codes": codes, "mps": mps,
               "gpu_readings": readings, "wall_s": time.monotonic() - t0, "plan": plan}
    returned = [n for n in names if command["runs"][n].get("return", True)]
    summary["packed"] = pack_out(args.out, args.work, names, returned, {"multi.json": json.dumps(summary, indent=1)})
    with open(os.path.join(args.work, STATE), "w") as f:
        json.dump({"commands_done": index + 1}, f)
    for name in names:
        print(f"{name}: rc {codes[name]}: {last_progress(os.path.join(args.work, 'logs', f'{name}.log'))}", flush=True)
    print(json.dumps({k: summary[k] for k in ("return_codes", "mps", "wall_s", "packed")}), flush=True)
    return 0 if all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
