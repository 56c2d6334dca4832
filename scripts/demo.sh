#!/bin/sh
# make demo: the main job end to end.  Until a Danish model exists this is
# the front end on real input: synthesise a Danish sentence with espeak-ng,
# convert it to 16 kHz with sox, and let `tale info` read it (libsndfile,
# resampler, streaming log-mel).  No transcript is printed because no
# recogniser is wired in yet; the statistics below are computed, not canned.
set -eu
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
sentence="Borgeren har søgt om hjælp til bolig, og sagsbehandleren ringer tilbage på fredag."

if command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1; then
    espeak-ng -v da -s 135 -w "$out/sentence-22k.wav" "$sentence"
    sox "$out/sentence-22k.wav" -r 16000 -c 1 -b 16 "$out/sentence.wav"
    echo "demo: synthesised with espeak-ng (Danish voice, synthetic speech):"
    echo "      \"$sentence\""
    echo
    # the espeak original (22.05 kHz) goes through tale's own resampler;
    # the sox copy is already 16 kHz
    ./tale info "$out/sentence-22k.wav" "$out/sentence.wav"
    echo
    echo "demo: utterances the voice activity detector finds in it (tale dictate --input):"
    ./tale dictate --input "$out/sentence.wav"
else
    echo "demo: espeak-ng or sox missing (run 'make deps'); using a real recording instead"
fi

sample=data/audio/nst-unlabeled/danspeech_u0013002.wav
if [ -f "$sample" ]; then
    echo
    echo "demo: a real Danish recording (NST, no transcript available):"
    ./tale info "$sample"
fi
echo
echo "demo: no speech recogniser is wired in yet, so no transcript is shown."
