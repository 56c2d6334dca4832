#!/bin/sh
# make demo: the main job end to end.  Synthesise a Danish sentence with
# espeak-ng in a voice variant the built-in model never heard in training,
# transcribe it with `tale transcribe` and no -m (the default model,
# models/tale-da-ctc-small), print the text and the real-time factor.
# The built-in model learned from synthetic speech only: real recordings need
# a real model (tale models list / tale models get).
set -eu
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
sentence="Borgeren har søgt om hjælp til en bolig, og kommunen svarer på fredag."

command -v espeak-ng >/dev/null 2>&1 || { echo "demo: espeak-ng is missing (make deps)" >&2; exit 1; }
espeak-ng -v da+m3 -s 150 -w "$out/sætning.wav" "$sentence"
echo "demo: espeak-ng (voice da+m3, not heard in training) said:"
echo "      $sentence"
echo "demo: tale transcribe $out/sætning.wav   (default model: tale-da-ctc-small)"
./tale transcribe --stats "$out/sætning.wav" 2>"$out/stats.txt" | sed 's/^/      → /'
# "real-time factor 0.020" = compute time / audio time; show it as × real time too
rtf=$(sed -n 's/.*real-time factor \([0-9.]*\).*/\1/p' "$out/stats.txt")
load=$(sed -n 's/.*model and LM load \([0-9.]*\) s.*/\1/p' "$out/stats.txt")
awk -v r="${rtf:-0}" -v l="${load:-0}" 'BEGIN {
    x = r > 0 ? 1 / r : 0
    printf "demo: real-time factor %.3f = %.0f× faster than real time (model and LM load %.2f s)\n", r, x, l }'
echo "demo: note: this small model learned from synthetic espeak-ng speech only; it is a"
echo "      demonstration, not a recogniser for real recordings (tale models list)."
