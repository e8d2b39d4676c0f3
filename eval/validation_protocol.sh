#!/usr/bin/env bash
# One WaveGAN run on the spoken digits with held-out speakers (data/digits/valid) and an `incept` follower,
# then the figure of its validation distance against its Inception score (docs/results.md, "When to stop"):
#
#   MINUTES=75 DIM=16 BATCH=16 bash eval/validation_protocol.sh      # writes runs/valid_digits/ and docs/
#
# Rerunning resumes the run (same split: data/digits/valid) for $MINUTES more. `timeout` sends SIGTERM at the
# deadline; training saves that step and evaluates it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-runs/valid_digits}
MINUTES=${MINUTES:-75}
DIM=${DIM:-16}
BATCH=${BATCH:-16}
SECS=${SECS:-300}       # checkpoints and validations, both every $SECS seconds, so their steps nearly agree
INCEPT_N=${INCEPT_N:-500}
OUT=${OUT:-docs/validation_curve.png}
mkdir -p "$RUN"
[ -d data/digits/train ] || $PY data/make_digits.py --out_dir data/digits --per_digit 300
# The follower scores on one thread, leaving the rest to the trainer.
( timeout -s TERM "${MINUTES}m" $PY train_wavegan.py train "$RUN" --data_dir data/digits/train \
    --data_valid_dir data/digits/valid --data_first_slice --data_pad_end --data_cache memory \
    --train_batch_size "$BATCH" --wavegan_dim "$DIM" --train_save_secs "$SECS" --train_valid_secs "$SECS" \
    --train_keep_checkpoints 1000 ) >> "$RUN.train.log" 2>&1 &
trainer=$!
sleep 90  # config.json is written once training starts
TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 $PY train_wavegan.py incept "$RUN" --incept_n "$INCEPT_N" \
    >> "$RUN.incept.log" 2>&1 &
follower=$!
wait "$trainer" || true
# Every checkpoint scored (they are all kept), then the follower is stopped.
sleep 60
kill "$follower" 2>/dev/null || true
$PY train_wavegan.py incept "$RUN" --incept_n "$INCEPT_N" --incept_once >> "$RUN.incept.log" 2>&1
$PY -m eval.validation_curve --run "$RUN" --out "$OUT"
