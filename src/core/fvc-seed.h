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

/* 32 random bits for (seed, name, counter). */
guint32 fvc_rng_u32 (guint32 seed, const char *name, guint64 counter);
/* Uniform double in [0, 1) with 53 random bits. */
double fvc_rng_uniform (guint32 seed, const char *name, guint64 counter);
/* Uniform double in [lo, hi). */
double fvc_rng_range (guint32 seed, const char *name, guint64 counter, double lo, double hi);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
guint32 fvc_rng_below (guint32 seed, const char *name, guint64 counter, guint32 n);
/* Standard normal (Box-Muller on two uniforms of the same block). */
double fvc_rng_normal (guint32 seed, const char *name, guint64 counter);
/* Seeded Fisher-Yates permutation of perm[0..n) in place. */
void fvc_rng_shuffle_u32 (guint32 seed, const char *name, guint32 *perm, guint n);

G_END_DECLS
