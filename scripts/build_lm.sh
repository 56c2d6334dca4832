#!/bin/sh
# make lm: the word 3-gram LM that tale's CTC models decode with by default
# (data/models/lm/tale-da-3gram.arpa): modified Kneser-Ney over the corpus
# text (DDT sentences and the two Leipzig samples) with the DDT test
# sentences left out, plus the words of Debian's Danish word list (wdanish,
# /usr/share/dict/danish) at the unseen-word probability; and the same model
# in tale's binary format (tale-da-3gram.tlm, which tale transcribe/dictate
# load in its place, several times faster).  build/bench/bench_ctc tunes and
# scores the decoder with the ARPA file.  Skips (exit 0, with a note)
# when the corpus text is missing; rebuilds when the output is missing or was
# made by another recipe (the .recipe file beside it).
set -eu
cd "$(dirname "$0")/.."
out=data/models/lm/tale-da-3gram.arpa
t=data/corpus/text
src="$t/ddt-sentences.txt $t/leipzig/dan_mixed_2014_10K-sentences.csv $t/leipzig/dan_newscrawl_2011_10K-sentences.csv"
test_conllu=data/corpus/ud_ddt/da_ddt-ud-test.conllu
words=/usr/share/dict/danish
vocab=""
if [ -r "$words" ]; then
    vocab="-V $words"
else
    echo "lm: $words is missing (make deps installs wdanish): the LM knows only the corpus words" >&2
fi
recipe="tale lm build -o 3 -x $test_conllu $vocab $src"
bin=${out%.arpa}.tlm
[ -s "$out" ] && [ -s "$bin" ] && [ "$(cat "$out.recipe" 2>/dev/null)" = "$recipe" ] && exit 0
for f in $src $test_conllu; do
    if [ ! -r "$f" ]; then
        echo "lm: $f is missing (make corpus): no language model; CTC decoding stays greedy" >&2
        exit 0
    fi
done
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
./tale lm build -o 3 -x "$test_conllu" $vocab -O "$out.tmp.$$" $src
mv -f "$out.tmp.$$" "$out"
./tale lm binary "$out" "$bin"
printf '%s\n' "$recipe" > "$out.recipe.tmp.$$"
mv -f "$out.recipe.tmp.$$" "$out.recipe"
