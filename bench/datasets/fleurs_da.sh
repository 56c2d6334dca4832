#!/bin/sh
# fleurs_da.sh — FLEURS Danish (google/fleurs, config da_dk) test split → a
# tale manifest.
#
#   sh bench/datasets/fleurs_da.sh OUTDIR            download, then convert
#   sh bench/datasets/fleurs_da.sh --from DIR OUTDIR convert a local copy
#
# Upstream layout (Hugging Face repo google/fleurs, folder data/da_dk/):
#   test.tsv               no header; columns: id, file name, raw transcription,
#                          normalized transcription, characters, number of
#                          samples (16 kHz), gender
#   audio/test.tar.gz      test/<file name>.wav
# The manifest uses the raw transcription (cased, punctuated: tale's
# normalization does the rest) and duration = samples / 16000; FLEURS has
# no speaker ids, so that column stays empty.
# Writes OUTDIR/audio/test/*.wav and OUTDIR/manifest.tsv.  License: CC BY 4.0.
set -eu
BASE=${FLEURS_BASE_URL:-https://huggingface.co/datasets/google/fleurs/resolve/main/data/da_dk}
FROM=""
if [ "${1:-}" = "--from" ]; then
    FROM=${2:?--from needs a folder}
    shift 2
fi
OUT=${1:?usage: fleurs_da.sh [--from DIR] OUTDIR}
mkdir -p "$OUT"
if [ -z "$FROM" ]; then
    FROM="$OUT/download"
    mkdir -p "$FROM/audio"
    echo "fleurs: downloading $BASE/test.tsv" >&2
    curl -fL --retry 3 -o "$FROM/test.tsv" "$BASE/test.tsv"
    echo "fleurs: downloading $BASE/audio/test.tar.gz" >&2
    curl -fL --retry 3 -o "$FROM/audio/test.tar.gz" "$BASE/audio/test.tar.gz"
fi
[ -f "$FROM/test.tsv" ] || { echo "fleurs: $FROM/test.tsv not found" >&2; exit 1; }
[ -f "$FROM/audio/test.tar.gz" ] || { echo "fleurs: $FROM/audio/test.tar.gz not found" >&2; exit 1; }
mkdir -p "$OUT/audio"
tar -xzf "$FROM/audio/test.tar.gz" -C "$OUT/audio"
# FLEURS repeats a sentence once per speaker with the same id; keep every
# recording (each is one utterance).  Malformed rows stop the conversion.
awk -F '\t' -v OFS='\t' '
    NF < 7 { printf "fleurs: %s:%d: expected 7 tab-separated columns, found %d\n", FILENAME, NR, NF > "/dev/stderr"; bad = 1; exit 1 }
    $6 !~ /^[0-9]+$/ { printf "fleurs: %s:%d: sample count \"%s\" is not a number\n", FILENAME, NR, $6 > "/dev/stderr"; bad = 1; exit 1 }
    BEGIN { print "audio", "text", "speaker", "duration" }
    { printf "audio/test/%s\t%s\t\t%.3f\n", $2, $3, $6 / 16000.0 }
' "$FROM/test.tsv" > "$OUT/manifest.tsv.tmp"
n=$(($(wc -l < "$OUT/manifest.tsv.tmp") - 1))
tail -n +2 "$OUT/manifest.tsv.tmp" | cut -f1 | while read -r f; do
    [ -f "$OUT/$f" ] || { echo "fleurs: $f is listed in test.tsv but not in the archive" >&2; exit 1; }
done
mv "$OUT/manifest.tsv.tmp" "$OUT/manifest.tsv"
echo "fleurs: $n utterances → $OUT/manifest.tsv" >&2
