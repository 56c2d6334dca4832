/* pool.c — fork-join thread pool (see pool.h). */
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Spin this long before sleeping / yielding: long enough to bridge the gap
 * between two small jobs of one decode step, short enough not to steal a
 * loaded machine's CPU. */
#define SPIN_ITERS 4000

struct asr_pool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;      /* bumped for every job */
    atomic_int next;      /* next share of the current job to claim */
    atomic_int done;      /* shares of the current job finished */
    atomic_int quit;
    asr_task_fn fn;
    void *arg;
};

/* Claim and run shares of the current job until none are left.  Shares
 * are claimed, not assigned: when a worker is descheduled (a loaded
 * machine), the threads that are running take its share instead of
 * waiting for it.  Share i keeps its index, so per-share scratch stays
 * private.  fn/arg are read only after a successful claim, which the
 * release store of next = 0 in asr_pool_run() orders after their writes;
 * a late worker whose claim fails touches nothing. */
static void run_shares(asr_pool *p)
{
    for (;;) {
        int i = atomic_fetch_add_explicit(&p->next, 1, memory_order_acq_rel);
        if (i >= p->n)
            return;
        p->fn(p->arg, i, p->n);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

static void *worker(void *v)
{
    asr_pool *p = v;
    unsigned seen = 0; /* gen at creation: a job issued before this thread runs is not missed */
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen &&
               !atomic_load(&p->quit)) {
            if (++spins < SPIN_ITERS) {
                CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit))
            return NULL;
        seen = g;
        run_shares(p);
    }
}

asr_pool *asr_pool_new(int n_threads)
{
    asr_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = n_threads < 1 ? 1 : n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (p->n > 1) {
        p->th = calloc((size_t)p->n, sizeof *p->th);
        if (!p->th) {
            asr_pool_free(p);
            return NULL;
        }
        for (int i = 1; i < p->n; i++) {
            if (pthread_create(&p->th[i], NULL, worker, p)) {
                p->n = i; /* only the threads started so far */
                break;
            }
        }
    }
    return p;
}

void asr_pool_free(asr_pool *p)
{
    if (!p)
        return;
    atomic_store(&p->quit, 1);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; p->th && i < p->n; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->th);
    free(p);
}

int asr_pool_size(const asr_pool *p) { return p ? p->n : 1; }

void asr_pool_run(asr_pool *p, asr_task_fn fn, void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->next, 0, memory_order_release);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    run_shares(p);
    int spins = 0;
    while (atomic_load_explicit(&p->done, memory_order_acquire) < p->n) {
        if (++spins < SPIN_ITERS)
            CPU_RELAX();
        else
            sched_yield(); /* a worker was descheduled: let it run */
    }
}

void asr_split(int n, int ith, int nth, int align, int *lo, int *hi)
{
    if (align < 1)
        align = 1;
    int blocks = (n + align - 1) / align;
    int b0 = (int)((long long)blocks * ith / nth), b1 = (int)((long long)blocks * (ith + 1) / nth);
    *lo = b0 * align < n ? b0 * align : n;
    *hi = b1 * align < n ? b1 * align : n;
}
