#!/usr/bin/env bash
# The paper's Table 2 on the spoken-digit corpus (docs/results.md): the WaveNet and frame-GRU baselines,
# WaveGAN with phase shuffle 2 and 0 and SpecGAN trained side by side for $MINUTES each (the same
# wall-clock budget per model) at a reduced size, each GAN with an `incept` follower scoring its
# checkpoints, then $SCORE_N 16384-sample clips of every model's last checkpoint scored against the corpus
# and the table written into docs/results.md (between its table2 markers).
#
#   MINUTES=80 DIM=16 BATCH=16 bash eval/digits_protocol.sh      # writes runs/digits/
#   MINUTES=30 RUNS="wavegan_ps2 wavegan_ps0" bash eval/digits_protocol.sh   # resumes those two, 30 min more
#   OUT=runs/cond FOLLOW=0 RUNS="wavegan_ps2 wavegan_cond" bash eval/digits_protocol.sh  # + label-conditional
#
# wavegan_cond is WaveGAN (phase shuffle 2) conditioned on the digit (--data_labels prefix); eval.score
# then also reports its accuracy (clips classified as the digit asked for). FOLLOW=0 runs no incept
# followers during training (more CPU for the trainers), REAL=0 skips re-scoring the real data.
#
# `timeout` sends SIGTERM at the deadline; training stops after that step and saves it. Rerunning
# resumes every run from its newest checkpoint; the logs are appended to.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/digits}
MINUTES=${MINUTES:-80}
DIM=${DIM:-16}
BATCH=${BATCH:-16}
SCORE_N=${SCORE_N:-2000}
INCEPT_N=${INCEPT_N:-1000}
# The baselines' sizes (docs/results.md says why): a 2-stack WaveNet (receptive field 2048 samples) and
# 256-sample frames, 64 per 16384-sample sequence, for the GRU (batch 128, the post's).
WAVENET_PARAMS=${WAVENET_PARAMS:-eval/wavenet_digits_params.json}
WAVENET_BATCH=${WAVENET_BATCH:-4}
FRAMERNN_UNITS=${FRAMERNN_UNITS:-256}
# Three trainers share the machine: one compute thread each instead of each spreading over every core.
export TF_NUM_INTRAOP_THREADS=${TF_NUM_INTRAOP_THREADS:-1} TF_NUM_INTEROP_THREADS=${TF_NUM_INTEROP_THREADS:-1}
mkdir -p "$OUT"

[ -d data/digits/train ] || $PY data/make_digits.py --out_dir data/digits --per_digit 300
# One slice per digit file; the WaveNet cuts its own pieces and refuses these two flags.
SLICING=(--data_first_slice --data_pad_end)
DATA=(--data_dir data/digits/train "${SLICING[@]}")
TRAIN=(--data_dir data/digits/train --data_cache memory --train_batch_size "$BATCH" --train_save_secs 480 --train_summary_secs 240)
[ -f "$OUT/moments.npz" ] || $PY train_specgan.py moments "$OUT/specgan" "${DATA[@]}" --data_moments_fp "$OUT/moments.npz"

declare -A SCRIPT=([wavegan_ps2]=train_wavegan.py [wavegan_ps0]=train_wavegan.py [specgan]=train_specgan.py
                   [wavegan_cond]=train_wavegan.py [wavenet]=train_wavenet.py [framernn]=train_framernn.py)
# Later flags win: the baselines' batch sizes replace $BATCH. The baselines are unconditional.
declare -A MODEL=([wavegan_ps2]="--wavegan_dim $DIM --wavegan_disc_phaseshuffle 2"
                  [wavegan_cond]="--wavegan_dim $DIM --wavegan_disc_phaseshuffle 2 --data_labels prefix"
                  [wavegan_ps0]="--wavegan_dim $DIM --wavegan_disc_phaseshuffle 0"
                  [specgan]="--specgan_dim $DIM --data_moments_fp $OUT/moments.npz"
                  [wavenet]="--wavenet_params $WAVENET_PARAMS --wavenet_sample_size 16384 --wavenet_silence_threshold 0 --data_normalize --train_batch_size $WAVENET_BATCH"
                  [framernn]="--framernn_frame_size 256 --framernn_seq_len 63 --framernn_units $FRAMERNN_UNITS --train_batch_size 128")
RUNS=${RUNS:-wavenet framernn wavegan_ps2 wavegan_ps0 specgan}
GANS=""
for name in $RUNS; do case $name in wavegan*|specgan) GANS="$GANS $name" ;; esac; done
start_time=$(date -u +%H:%M)
trainers=() followers=()
for name in $RUNS; do
    slicing=("${SLICING[@]}")
    [ "$name" = wavenet ] && slicing=()
    # shellcheck disable=SC2086
    ( /usr/bin/time -f "wall %e s" timeout -s TERM "${MINUTES}m" \
        $PY "${SCRIPT[$name]}" train "$OUT/$name" "${TRAIN[@]}" ${slicing[@]+"${slicing[@]}"} ${MODEL[$name]} ) >> "$OUT/$name.train.log" 2>&1 &
    trainers+=($!)
done
if [ "${FOLLOW:-1}" = 1 ]; then
    sleep 60  # each train dir has its config.json by now
    for name in $GANS; do  # the baselines have no incept mode: they are scored once, at the end
        $PY "${SCRIPT[$name]}" incept "$OUT/$name" --incept_n "$INCEPT_N" >> "$OUT/$name.incept.log" 2>&1 &
        followers+=($!)
    done
fi
wait "${trainers[@]}" || true
if [ "${#followers[@]}" -gt 0 ]; then
    sleep 30  # let each follower score the final checkpoint
    kill "${followers[@]}" 2>/dev/null || true
fi
# Scoring: every model in parallel (the WaveNet's sample-by-sample generation is the long one).
scorers=()
for name in $RUNS; do
    (
        if [[ " $GANS " == *" $name "* ]]; then
            $PY "${SCRIPT[$name]}" incept "$OUT/$name" --incept_n "$INCEPT_N" --incept_once >> "$OUT/$name.incept.log" 2>&1
        fi
        $PY -m eval.score --classifier eval/digits_classifier.keras --model "$OUT/$name" --n "$SCORE_N" \
            --real_dir data/digits/train --json "$OUT/$name.scores.json" > "$OUT/$name.scores.txt" 2>&1
        rm -rf "$OUT/samples/$name"
        extra=""
        [[ " $GANS " == *" $name "* ]] || extra="--generate_samples 16384"
        # shellcheck disable=SC2086
        $PY "${SCRIPT[$name]}" generate "$OUT/$name" --generate_n 6 --generate_seed 0 $extra \
            --generate_dir "$OUT/samples/$name" > /dev/null 2>&1
    ) &
    scorers+=($!)
done
[ "${REAL:-1}" = 1 ] && $PY -m eval.score --classifier eval/digits_classifier.keras --audio_dir data/digits/train \
    --audio_dir data/digits/test --real_dir data/digits/train --json "$OUT/real.scores.json" > "$OUT/real.scores.txt" 2>&1
wait "${scorers[@]}" || true
header="Budget: $MINUTES minutes of wall-clock training per model, all models side by side on this machine
(started $start_time UTC; $(nproc) cores, shared with other work), then $SCORE_N clips of 16384 samples per
model scored. Sizes: GANs dim $DIM, batch $BATCH; WaveNet $WAVENET_PARAMS, batch $WAVENET_BATCH;
frame GRU 256-sample frames × 63, $FRAMERNN_UNITS units, batch 128. Command:
\`MINUTES=$MINUTES SCORE_N=$SCORE_N DIM=$DIM BATCH=$BATCH bash eval/digits_protocol.sh\`."
$PY -m eval.table2 --runs "$OUT" --results docs/results.md --header "$header"
echo "done: $OUT"
