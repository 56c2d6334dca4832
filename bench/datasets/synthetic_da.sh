#!/bin/sh
# synthetic_da.sh — a small synthetic Danish test set: espeak-ng reads each
# line of a text file, sox makes it 16 kHz mono, and a manifest with the
# exact text and durations is written.  For smoke tests and for comparing
# models on this machine without any download; figures from it are
# "synthetic" and say nothing about real speech.
#
#   sh bench/datasets/synthetic_da.sh [SENTENCES.txt] OUTDIR [SPEED_WPM]
#
# SENTENCES defaults to bench/datasets/synthetic_da.txt (20 sentences
# written for tale, with numbers both as words and as digits' spoken form).
set -eu
here=$(dirname "$0")
if [ $# -ge 2 ] && [ -f "$1" ]; then
    TXT=$1
    shift
else
    TXT=$here/synthetic_da.txt
fi
OUT=${1:?usage: synthetic_da.sh [SENTENCES.txt] OUTDIR [SPEED_WPM]}
SPEED=${2:-140}
command -v espeak-ng >/dev/null || { echo "synthetic: espeak-ng is not installed" >&2; exit 1; }
command -v sox >/dev/null || { echo "synthetic: sox is not installed" >&2; exit 1; }
mkdir -p "$OUT/audio"
tmp="$OUT/manifest.tsv.tmp"
printf 'audio\ttext\tspeaker\tduration\n' > "$tmp"
i=0
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    i=$((i + 1))
    f=$(printf 'audio/syn%03d.wav' "$i")
    espeak-ng -v da -s "$SPEED" -w "$OUT/$f.raw.wav" -- "$line"
    sox "$OUT/$f.raw.wav" -r 16000 -c 1 -b 16 "$OUT/$f"
    rm -f "$OUT/$f.raw.wav"
    d=$(soxi -D "$OUT/$f")
    printf '%s\t%s\tespeak-ng-da\t%s\n' "$f" "$line" "$d" >> "$tmp"
done < "$TXT"
[ "$i" -gt 0 ] || { echo "synthetic: $TXT has no sentences" >&2; exit 1; }
mv "$tmp" "$OUT/manifest.tsv"
echo "synthetic: $i utterances → $OUT/manifest.tsv" >&2
