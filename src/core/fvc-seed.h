/* fvc-seed.h — seeds derived from video paths and the counter-based random generator.
 *
 * base_seed = int(md5(video_path)[:8], 16) % 2**31, with video_path exactly as written in the
 * index CSV. Augmentation a of a video uses base_seed + a.
 *
 * Every random number is a pure function of (seed, parameter name, counter): Philox4x32-10
 * (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) with key
 * (seed, fnv1a32(name)) and counter (counter_lo, counter_hi, 0, 0). Nothing depends on thread
 * count, processing order, shard or fold.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* int(md5(path)[:8], 16) % 2**31 */
guint32 fvc_seed_from_path (const char *video_path);
/* The first 8 hex digits of md5(path), as used in cache file names. (transfer full) */
char *fvc_path_hash8 (const char *video_path);

/* One Philox4x32-10 block. */
void fvc_philox4x32 (const guint32 counter[4], const guint32 key[2], guint32 out[4]);

/* FNV-1a, 32 bit, over the bytes of @name. */
guint32 fvc_fnv1a32 (const char *name);

/* The values below are part of the contract (cached clips and folds depend on them). With
 * x[0..3] = fvc_philox4x32 ((counter_lo, counter_hi, 0, 0), (seed, fvc_fnv1a32 (name))) and
 * unit(a, b) = ((a >> 5) * 2^26 + (b >> 6)) / 2^53: */

/* x[0]. */
guint32 fvc_rng_u32 (guint32 seed, const char *name, guint64 counter);
/* unit(x[0], x[1]): uniform double in [0, 1) with 53 random bits. */
double fvc_rng_uniform (guint32 seed, const char *name, guint64 counter);
/* lo + (hi - lo) * fvc_rng_uniform(): uniform double in [lo, hi). */
double fvc_rng_range (guint32 seed, const char *name, guint64 counter, double lo, double hi);
/* (x[0] * n) >> 32: an integer in [0, n), n > 0 (multiply-shift with one draw, no rejection, so
 * each value has probability within 2^-32 of 1/n). */
guint32 fvc_rng_below (guint32 seed, const char *name, guint64 counter, guint32 n);
/* Box-Muller: sqrt(-2 ln u1) * cos(2 pi u2), u1 = unit(x[0], x[1]) (at least 1e-300),
 * u2 = unit(x[2], x[3]). */
double fvc_rng_normal (guint32 seed, const char *name, guint64 counter);
/* fvc_rng_normal with the name already hashed (@name_key = fvc_fnv1a32 (name)): the same values,
 * for kernels that draw once per pixel. */
double fvc_rng_normal_keyed (guint32 seed, guint32 name_key, guint64 counter);
/* Fisher-Yates in place: for i = n-1 down to 1, swap perm[i] with perm[j],
 * j = fvc_rng_below (seed, name, i, i + 1). */
void fvc_rng_shuffle_u32 (guint32 seed, const char *name, guint32 *perm, guint n);

G_END_DECLS
