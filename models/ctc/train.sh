#!/bin/sh
# Rebuild models/tale-da-ctc-small end to end (`make ctc-model`): synthesize
# the data, train in two stages, export, tune the decoder. Resumable:
# features already made are kept, each stage picks up from its
# checkpoint folder's last.pt. CPU only (Debian's python3-torch).
#
#   stage 1: from scratch, 9,000 utterances, cosine schedule of STEPS1 steps
#            at lr 1e-3, stopped at STOP1 (the committed model's first part)
#   stage 2: warm restart from stage 1's export, 15,000 utterances, a new
#            cosine schedule of STEPS2 steps at lr 6e-4, stopped at STOP2
#   stage 3: warm restart from stage 2's export, same data, batches of 6000
#            frames (60 s, ~20% more frames/s), cosine schedule of STEPS3
#            steps at lr 4e-4
#   then:    make lm (the corpus LM + the wdanish word list), and
#            bench_ctc --tune picks the LM weight, word bonus, unknown-word
#            penalties and the inserted-word-boundary penalty on held-out
#            tuning items, written into config.json's "decoder" block
#            (set_decoder.py)
#
#   N_TRAIN1 N_TRAIN2 STEPS1 STOP1 STEPS2 STOP2 STEPS3 THREADS   override the defaults below
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
WORK=${TALE_CTC_WORK:-models/ctc-work}
N_TRAIN1=${N_TRAIN1:-9000}
N_TRAIN2=${N_TRAIN2:-15000}
STEPS1=${STEPS1:-4400}
STOP1=${STOP1:-4000}
STEPS2=${STEPS2:-7500}
STOP2=${STOP2:-7000}
STEPS3=${STEPS3:-4600}
THREADS=${THREADS:-2}
OUT=${OUT:-models/tale-da-ctc-small}
ARCH="--d 128 --heads 4 --layers 6"

"$PY" -c 'import numpy, torch' || { echo "train.sh: $PY needs numpy and torch" >&2; exit 1; }
command -v espeak-ng >/dev/null || { echo "train.sh: espeak-ng not installed" >&2; exit 1; }
[ -f data/models/whisper-assets/mel_80.f32 ] || make --no-print-directory data
"$PY" models/ctc/check_grads.py     # float32 gradients = float64 ones (torch bug guard)
mkdir -p "$WORK"
# stage 1
"$PY" models/ctc/synth.py data "$WORK" "$N_TRAIN1"   # skips shards already made
"$PY" models/ctc/train.py "$WORK" --steps "$STEPS1" --stop-at "$STOP1" --threads "$THREADS" \
    $ARCH --lr 1e-3 --warmup 200 --eval-every 500 --subset-steps 0
"$PY" models/ctc/export.py "$WORK" "$OUT" data "$WORK/ckpt"
# stage 2
"$PY" models/ctc/synth.py data "$WORK" "$N_TRAIN2"
"$PY" models/ctc/train.py "$WORK" --init "$OUT" --ckpt-dir "$WORK/ckpt2" --steps "$STEPS2" \
    --stop-at "$STOP2" --threads "$THREADS" $ARCH --lr 6e-4 --warmup 200 --eval-every 500 \
    --subset-steps 0 --sortagrad 0
"$PY" models/ctc/export.py "$WORK" "$OUT" data "$WORK/ckpt2"
# stage 3
"$PY" models/ctc/train.py "$WORK" --init "$OUT" --ckpt-dir "$WORK/ckpt3" --steps "$STEPS3" \
    --threads "$THREADS" $ARCH --lr 4e-4 --warmup 300 --eval-every 500 --subset-steps 0 \
    --sortagrad 0 --max-frames 6000
"$PY" models/ctc/export.py "$WORK" "$OUT" data "$WORK/ckpt3"
# decoder settings, tuned with the corpus LM (make lm) on held-out items 200-299
make --no-print-directory all lm
build/bench/bench_ctc --tune --beam 64 --model "$OUT" --eval "$WORK/eval" | tee "$WORK/tune.log"
"$PY" models/ctc/set_decoder.py "$OUT" "$WORK/tune.log" 64 tale-da-3gram.arpa
