#!/bin/sh
# make lm: the word 3-gram LM that tale's CTC models decode with by default
# (data/models/lm/tale-da-3gram.arpa): modified Kneser-Ney over the corpus
# text (DDT sentences and the two Leipzig samples) with the DDT test
# sentences left out, the same recipe as build/bench/bench_ctc uses to tune
# and score the decoder.  Skips (exit 0, with a note) when the corpus text is
# missing; rebuilds only when the output is missing.
set -eu
cd "$(dirname "$0")/.."
out=data/models/lm/tale-da-3gram.arpa
[ -s "$out" ] && exit 0
t=data/corpus/text
src="$t/ddt-sentences.txt $t/leipzig/dan_mixed_2014_10K-sentences.csv $t/leipzig/dan_newscrawl_2011_10K-sentences.csv"
test_conllu=data/corpus/ud_ddt/da_ddt-ud-test.conllu
for f in $src $test_conllu; do
    if [ ! -r "$f" ]; then
        echo "lm: $f is missing (make corpus): no language model; CTC decoding stays greedy" >&2
        exit 0
    fi
done
mkdir -p "$(dirname "$out")"
./tale lm build -o 3 -x "$test_conllu" -O "$out.tmp.$$" $src
mv -f "$out.tmp.$$" "$out"
