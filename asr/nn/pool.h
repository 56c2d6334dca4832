/*
 * pool.h — a tiny fork-join thread pool for the forward pass.  One pool per
 * transcriber state; asr_pool_run() calls fn(arg, i, n) once for each
 * i = 0..n-1 and returns when all are done.  The shares are claimed by
 * whichever threads are running (the caller included), so a descheduled
 * worker delays no one; no two threads run the same i at once.  Workers spin
 * briefly between jobs (decoding issues hundreds of small jobs per token),
 * then sleep on a condition variable.
 */
#ifndef ASR_POOL_H
#define ASR_POOL_H

typedef void (*asr_task_fn)(void *arg, int ith, int nth);
typedef struct asr_pool asr_pool;

/* n_threads >= 1 (1: no threads are started).  NULL when out of resources. */
asr_pool *asr_pool_new(int n_threads);
void asr_pool_free(asr_pool *p); /* NULL ok */
int asr_pool_size(const asr_pool *p);
void asr_pool_run(asr_pool *p, asr_task_fn fn, void *arg);
/* Split [0, n) into nth nearly equal ranges, aligned to align; range ith. */
void asr_split(int n, int ith, int nth, int align, int *lo, int *hi);

#endif
