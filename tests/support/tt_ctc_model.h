/* tt_ctc_model.h — a random-weight tale CTC model for tests. */
#ifndef TT_CTC_MODEL_H
#define TT_CTC_MODEL_H

#include <stdint.h>

/* Write config.json and model.safetensors into the existing folder dir;
 * the weights are a deterministic function of seed.  0 ok, -1 on an I/O
 * error. */
int tt_write_random_ctc_model(const char *dir, uint64_t seed);
/* The same at other sizes (tale-da-ctc-small: state 192, 4 heads, 4
 * layers); layers 1..8.  -1 for bad sizes. */
int tt_write_random_ctc_model_dims(const char *dir, uint64_t seed, int state, int heads,
                                   int layers);

#endif
