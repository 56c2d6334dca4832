#!/bin/sh
# commonvoice_da.sh — Common Voice Danish test split → a tale manifest.
#
#   sh bench/datasets/commonvoice_da.sh --from CV_DA_DIR OUTDIR
#   HF_TOKEN=hf_... sh bench/datasets/commonvoice_da.sh OUTDIR   (download)
#
# A Common Voice release (commonvoice.mozilla.org / Mozilla Data Collective,
# an account is needed) unpacks to cv-corpus-<version>/da/ with test.tsv
# (header: client_id, path, sentence_id, sentence, up_votes, down_votes,
# age, gender, accents, variant, locale, segment; column order varies
# between releases, so columns are found by name) and clips/<path>.mp3.
# The download mode fetches the same files from the gated Hugging Face
# mirror mozilla-foundation/common_voice_17_0 (accept its terms first):
#   transcript/da/test.tsv and audio/da/test/da_test_0.tar.
# Writes OUTDIR/manifest.tsv pointing into the clips (MP3, read by
# libsndfile ≥ 1.1).  License: CC0.
set -eu
HF=${CV_BASE_URL:-https://huggingface.co/datasets/mozilla-foundation/common_voice_17_0/resolve/main}
FROM=""
if [ "${1:-}" = "--from" ]; then
    FROM=${2:?--from needs a folder}
    shift 2
fi
OUT=${1:?usage: commonvoice_da.sh [--from CV_DA_DIR] OUTDIR}
mkdir -p "$OUT"
if [ -z "$FROM" ]; then
    [ -n "${HF_TOKEN:-}" ] || { echo "commonvoice: set HF_TOKEN (the dataset is gated) or use --from" >&2; exit 1; }
    FROM="$OUT/download"
    mkdir -p "$FROM/clips"
    curl -fL --retry 3 -H "Authorization: Bearer $HF_TOKEN" -o "$FROM/test.tsv" "$HF/transcript/da/test.tsv"
    curl -fL --retry 3 -H "Authorization: Bearer $HF_TOKEN" -o "$FROM/da_test_0.tar" "$HF/audio/da/test/da_test_0.tar"
    tar -xf "$FROM/da_test_0.tar" -C "$FROM/clips"
    # the archive holds a folder named after the split; flatten it
    if [ -d "$FROM/clips/da_test_0" ]; then mv "$FROM/clips/da_test_0"/* "$FROM/clips/"; rmdir "$FROM/clips/da_test_0"; fi
fi
[ -f "$FROM/test.tsv" ] || { echo "commonvoice: $FROM/test.tsv not found" >&2; exit 1; }
CLIPS=$(cd "$FROM/clips" 2>/dev/null && pwd) || { echo "commonvoice: $FROM/clips not found" >&2; exit 1; }
awk -F '\t' -v OFS='\t' -v clips="$CLIPS" '
    NR == 1 {
        for (i = 1; i <= NF; i++) col[$i] = i
        if (!("path" in col) || !("sentence" in col)) {
            printf "commonvoice: %s:1: header lacks a path or sentence column\n", FILENAME > "/dev/stderr"; exit 1
        }
        print "audio", "text", "speaker"
        next
    }
    NF == 0 { next }
    NF < col["sentence"] { printf "commonvoice: %s:%d: too few columns\n", FILENAME, NR > "/dev/stderr"; exit 1 }
    { print clips "/" $col["path"], $col["sentence"], ("client_id" in col) ? $col["client_id"] : "" }
' "$FROM/test.tsv" > "$OUT/manifest.tsv.tmp"
tail -n +2 "$OUT/manifest.tsv.tmp" | cut -f1 | while read -r f; do
    [ -f "$f" ] || { echo "commonvoice: $f is listed in test.tsv but missing" >&2; exit 1; }
done
mv "$OUT/manifest.tsv.tmp" "$OUT/manifest.tsv"
echo "commonvoice: $(($(wc -l < "$OUT/manifest.tsv") - 1)) utterances → $OUT/manifest.tsv" >&2
