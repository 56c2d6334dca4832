/*
 * tale_bench.h — evaluation: WER/CER alignments with bootstrap confidence
 * intervals, manifests, speed and memory measurement, CoNLL 2018 / CoNLL NER
 * scoring, report writers.
 */
#ifndef TALE_BENCH_H
#define TALE_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* TALE_BENCH_H */
