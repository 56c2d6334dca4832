#!/bin/sh
# Rebuild models/tale-da-ctc-small end to end (`make ctc-model`): synthesize
# the data, train in two stages, export. Resumable at every stage: features
# already made are kept, each stage picks up from its checkpoint. CPU only.
#
#   stage 1  d 128, 4 layers, from scratch with the plateau breakers
#            (conv stem gain, subset steps; docs/DEMO-MODEL.md)
#   stage 2  warm start from stage 1 with 2 more layers that start as
#            identity blocks (--init), the longer run
#
#   models/ctc/train.sh                        full rebuild
#   N_TRAIN=6500 STEPS1=2000 STEPS2=12000 THREADS=1   override the defaults below
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
WORK=${TALE_CTC_WORK:-models/ctc-work}
N_TRAIN=${N_TRAIN:-6500}
STEPS1=${STEPS1:-2000}
STEPS2=${STEPS2:-12000}
THREADS=${THREADS:-1}
OUT=${OUT:-models/tale-da-ctc-small}

"$PY" -c 'import numpy, torch' || { echo "train.sh: $PY needs numpy and torch" >&2; exit 1; }
command -v espeak-ng >/dev/null || { echo "train.sh: espeak-ng not installed" >&2; exit 1; }
[ -f data/models/whisper-assets/mel_80.f32 ] || make --no-print-directory data
mkdir -p "$WORK"
"$PY" models/ctc/synth.py data "$WORK" "$N_TRAIN"   # skips shards already made
"$PY" models/ctc/train.py "$WORK" --ckpt-dir "$WORK/ckpt-stage1" --steps "$STEPS1" \
    --threads "$THREADS" --d 128 --heads 4 --layers 4 --lr 1e-3 --warmup 50
"$PY" models/ctc/export.py "$WORK" "$WORK/stage1-model" data "$WORK/ckpt-stage1"
"$PY" models/ctc/train.py "$WORK" --steps "$STEPS2" --threads "$THREADS" \
    --d 128 --heads 4 --layers 6 --lr 1e-3 --warmup 200 --eval-every 500 \
    --init "$WORK/stage1-model"
"$PY" models/ctc/export.py "$WORK" "$OUT" data
