"""Evaluation of trained generators inside the library: the digit classifier (reference §9.2) and the incept
mode that follows a run with it (reference §1.1). Above training and serving (it restores checkpoints and
follows a run as the preview does), below the CLI, which dispatches to it; the metrics themselves are
wavegan/metrics.py's. `eval/` (the paper's protocol, scoring folders, figures) builds on this layer.
"""
