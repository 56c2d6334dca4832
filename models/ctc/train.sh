#!/bin/sh
# Rebuild models/tale-da-ctc-small end to end: synthesize the data, train,
# export. Resumable: features already made are kept, training picks up from
# models/work/ckpt/last.pt. Everything runs on the CPU.
#
#   models/ctc/train.sh                 full rebuild (about 15 min synth + training)
#   N_TRAIN=14000 STEPS=1500 THREADS=2  override the defaults below
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
WORK=${TALE_CTC_WORK:-models/work}
N_TRAIN=${N_TRAIN:-14000}
STEPS=${STEPS:-1500}
THREADS=${THREADS:-2}
OUT=${OUT:-models/tale-da-ctc-small}

"$PY" -c 'import numpy, torch' || { echo "train.sh: $PY needs numpy and torch" >&2; exit 1; }
command -v espeak-ng >/dev/null || { echo "train.sh: espeak-ng not installed" >&2; exit 1; }
[ -f data/models/whisper-assets/mel_80.f32 ] || make --no-print-directory data
mkdir -p "$WORK"
[ -f "$WORK/feats/train.npz" ] || "$PY" models/ctc/synth.py data "$WORK" "$N_TRAIN"
"$PY" models/ctc/train.py "$WORK" --steps "$STEPS" --threads "$THREADS"
"$PY" models/ctc/export.py "$WORK" "$OUT" data
