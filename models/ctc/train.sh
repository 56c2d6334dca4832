#!/bin/sh
# Rebuild models/tale-da-ctc-small end to end (`make ctc-model`): synthesize
# the data, train, export. Resumable: features already made are kept,
# training picks up from $WORK/ckpt/last.pt. CPU only (Debian's python3-torch).
#
#   models/ctc/train.sh                                  full rebuild
#   N_TRAIN=9000 STEPS=4400 THREADS=2                    override the defaults below
#
# (train.py --init DIR warm-starts from an exported model instead, e.g. to
# train a committed model further; extra layers start as identity blocks.)
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
WORK=${TALE_CTC_WORK:-models/ctc-work}
N_TRAIN=${N_TRAIN:-9000}
STEPS=${STEPS:-4400}
THREADS=${THREADS:-2}
OUT=${OUT:-models/tale-da-ctc-small}

"$PY" -c 'import numpy, torch' || { echo "train.sh: $PY needs numpy and torch" >&2; exit 1; }
command -v espeak-ng >/dev/null || { echo "train.sh: espeak-ng not installed" >&2; exit 1; }
[ -f data/models/whisper-assets/mel_80.f32 ] || make --no-print-directory data
"$PY" models/ctc/check_grads.py     # float32 gradients = float64 ones (torch bug guard)
mkdir -p "$WORK"
"$PY" models/ctc/synth.py data "$WORK" "$N_TRAIN"   # skips shards already made
"$PY" models/ctc/train.py "$WORK" --steps "$STEPS" --threads "$THREADS" \
    --d 128 --heads 4 --layers 6 --lr 1e-3 --warmup 200 --eval-every 500 --subset-steps 0
"$PY" models/ctc/export.py "$WORK" "$OUT" data
