#!/bin/sh
# Rebuild models/tale-da-ctc-small end to end: synthesize the data, train,
# export. Resumable: features already made are kept, training picks up from
# models/ctc-work/ckpt/last.pt. Everything runs on the CPU.
#
#   models/ctc/train.sh                 full rebuild
#   N_TRAIN=14000 STEPS=2000 THREADS=1  override the defaults below
# synth.py writes the training features in shards of 500 and train.py takes
# new shards at each epoch, so the two may run at the same time (as they did
# for the committed model: see docs/DEMO-MODEL.md); this script runs them one
# after the other.
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
WORK=${TALE_CTC_WORK:-models/ctc-work}
N_TRAIN=${N_TRAIN:-14000}
STEPS=${STEPS:-2000}
THREADS=${THREADS:-1}
OUT=${OUT:-models/tale-da-ctc-small}

"$PY" -c 'import numpy, torch' || { echo "train.sh: $PY needs numpy and torch" >&2; exit 1; }
command -v espeak-ng >/dev/null || { echo "train.sh: espeak-ng not installed" >&2; exit 1; }
[ -f data/models/whisper-assets/mel_80.f32 ] || make --no-print-directory data
mkdir -p "$WORK"
"$PY" models/ctc/synth.py data "$WORK" "$N_TRAIN"   # skips shards already made
"$PY" models/ctc/train.py "$WORK" --steps "$STEPS" --threads "$THREADS"
"$PY" models/ctc/export.py "$WORK" "$OUT" data
