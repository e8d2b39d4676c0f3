"""The shape of the code, for docs/architecture.md and closing notes: files and lines per package, the
largest modules, and what importing a baseline's train entry point loads.

    python bench/layout.py
"""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("wavegan", "specgan", "wavenet", "framernn", "eval")


def modules() -> dict[str, int]:
    """path → lines, for every Python file of the project's packages."""
    found = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(REPO, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path) as f:
                        found[os.path.relpath(path, REPO)] = sum(1 for _ in f)
    return found


def package_of(path: str) -> str:
    parts = path.split(os.sep)
    return os.sep.join(parts[:2]) if parts[0] == "wavegan" and len(parts) > 2 else parts[0]


def loaded_by(statement: str) -> list[str]:
    code = (f"import sys; {statement}; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in %r)))" % (PACKAGES,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), check=True)
    return out.stdout.split()


def main() -> None:
    lines = modules()
    by_package: dict[str, list[str]] = {}
    for path in lines:
        by_package.setdefault(package_of(path), []).append(path)
    print("| package | files | lines | largest module |\n|---|---|---|---|")
    for package in sorted(by_package):
        paths = by_package[package]
        largest = max(paths, key=lines.get)
        print(f"| {package} | {len(paths)} | {sum(lines[p] for p in paths)} | {largest} ({lines[largest]}) |")
    top = sorted(lines, key=lines.get, reverse=True)[:3]
    print("\nlargest modules: " + ", ".join(f"{p} ({lines[p]})" for p in top))
    for statement in ("import wavenet", "import train_wavenet, wavenet.kind, wavenet.run",
                      "import train_framernn, framernn.kind, framernn.run"):
        loaded = loaded_by(statement)
        print(f"\n`{statement}` loads {len(loaded)} project modules: {', '.join(loaded)}")


if __name__ == "__main__":
    main()
