/*
 * dtw.c — the math of Whisper word timing, no I/O and no model: column
 * normalisation, the median filter over time and dynamic time warping.
 * The recipe is OpenAI's whisper/timing.py (and whisper.cpp's -dtw):
 * normalise each audio frame's attention across the tokens, smooth each
 * token's row with a median filter of width 7, average the alignment heads,
 * then find the monotonic token-to-frame path of least cost over the
 * negated matrix (align.c strings these together).
 */
#include "whisper_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void asr_dtw_norm_cols(float *x, int rows, int cols)
{
    if (rows <= 0)
        return;
    for (int j = 0; j < cols; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < rows; i++)
            s += x[(size_t)i * cols + j];
        double mean = s / rows;
        for (int i = 0; i < rows; i++) {
            double d = x[(size_t)i * cols + j] - mean;
            s2 += d * d;
        }
        double inv = 1.0 / sqrt(s2 / rows + 1e-9);
        for (int i = 0; i < rows; i++)
            x[(size_t)i * cols + j] = (float)((x[(size_t)i * cols + j] - mean) * inv);
    }
}

void asr_median_filter(float *x, int rows, int cols, int width, float *tmp)
{
    int pad = width / 2;
    if (width < 3 || cols <= pad)
        return;
    float *row = tmp, *win = tmp + cols;
    for (int i = 0; i < rows; i++) {
        float *r = x + (size_t)i * cols;
        memcpy(row, r, (size_t)cols * sizeof *row);
        for (int k = 0; k < cols; k++) {
            /* the window sorted by insertion (7 values: cheaper than qsort) */
            for (int o = -pad; o <= pad; o++) {
                int idx = k + o;
                if (idx < 0)
                    idx = -idx;
                else if (idx >= cols)
                    idx = 2 * (cols - 1) - idx;
                float v = row[idx];
                int q = o + pad;
                while (q > 0 && win[q - 1] > v) {
                    win[q] = win[q - 1];
                    q--;
                }
                win[q] = v;
            }
            r[k] = win[pad];
        }
    }
}

int asr_dtw(const float *cost, int n, int m, int *pi, int *pj, int *len)
{
    *len = 0;
    if (n <= 0 || m <= 0)
        return -1;
    size_t W = (size_t)m + 1;
    float *acc = malloc(((size_t)n + 1) * W * sizeof *acc);
    uint8_t *trace = malloc(((size_t)n + 1) * W);
    if (!acc || !trace) {
        free(acc);
        free(trace);
        return -1;
    }
    for (size_t k = 0; k < ((size_t)n + 1) * W; k++)
        acc[k] = INFINITY;
    acc[0] = 0;
    int bad = 0;
    /* column by column, as the references (the order decides nothing, the
     * tie rule does: diagonal only when strictly best, then down) */
    for (int j = 1; j <= m; j++)
        for (int i = 1; i <= n; i++) {
            float c0 = acc[(size_t)(i - 1) * W + j - 1], c1 = acc[(size_t)(i - 1) * W + j],
                  c2 = acc[(size_t)i * W + j - 1], c;
            uint8_t t;
            if (c0 < c1 && c0 < c2) {
                c = c0;
                t = 0;
            } else if (c1 < c0 && c1 < c2) {
                c = c1;
                t = 1;
            } else {
                c = c2;
                t = 2;
            }
            float x = cost[(size_t)(i - 1) * m + j - 1];
            bad |= !isfinite(x);
            acc[(size_t)i * W + j] = x + c;
            trace[(size_t)i * W + j] = t;
        }
    free(acc);
    if (bad) {
        free(trace);
        return -1;
    }
    /* back from (n, m): the path in reverse, then turned around */
    int i = n, j = m, k = 0;
    while (i > 0 && j > 0) {
        pi[k] = i - 1;
        pj[k] = j - 1;
        k++;
        uint8_t t = trace[(size_t)i * W + j];
        if (t == 0) {
            i--;
            j--;
        } else if (t == 1) {
            i--;
        } else {
            j--;
        }
    }
    /* the first row and column have infinite cost except at (0, 0), so the
     * walk leaves the matrix only through (1, 1) → (0, 0) */
    free(trace);
    for (int a = 0, b = k - 1; a < b; a++, b--) {
        int ti = pi[a], tj = pj[a];
        pi[a] = pi[b];
        pj[a] = pj[b];
        pi[b] = ti;
        pj[b] = tj;
    }
    *len = k;
    return 0;
}
