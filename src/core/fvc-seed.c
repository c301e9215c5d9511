/* fvc-seed.c — path seeds (md5 via GChecksum) and the Philox4x32-10 counter-based generator.
 * See fvc-seed.h for the contract. */
#include "fvc-seed.h"

#include <math.h>
#include <string.h>

static gchar *
md5_hex (const char *s)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, s, -1);
}

char *
fvc_path_hash8 (const char *video_path)
{
  g_autofree gchar *hex = md5_hex (video_path);
  return g_strndup (hex, 8);
}

guint32
fvc_seed_from_path (const char *video_path)
{
  g_autofree char *hex8 = fvc_path_hash8 (video_path);
  guint64 v = g_ascii_strtoull (hex8, NULL, 16);
  return (guint32) (v % G_GUINT64_CONSTANT (2147483648));
}

/* Philox4x32 constants from the Random123 reference. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void
fvc_philox4x32 (const guint32 counter[4], const guint32 key[2], guint32 out[4])
{
  guint32 c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  guint32 k0 = key[0], k1 = key[1];

  for (int round = 0; round < 10; round++) {
    guint64 p0 = (guint64) PHILOX_M0 * c0;
    guint64 p1 = (guint64) PHILOX_M1 * c2;
    guint32 hi0 = (guint32) (p0 >> 32), lo0 = (guint32) p0;
    guint32 hi1 = (guint32) (p1 >> 32), lo1 = (guint32) p1;
    guint32 n0 = hi1 ^ c1 ^ k0;
    guint32 n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

guint32
fvc_fnv1a32 (const char *name)
{
  guint32 h = 0x811C9DC5u;
  for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
    h ^= *p;
    h *= 0x01000193u;
  }
  return h;
}

static void
rng_block (guint32 seed, const char *name, guint64 counter, guint32 out[4])
{
  guint32 ctr[4] = { (guint32) counter, (guint32) (counter >> 32), 0, 0 };
  guint32 key[2] = { seed, fvc_fnv1a32 (name) };
  fvc_philox4x32 (ctr, key, out);
}

guint32
fvc_rng_u32 (guint32 seed, const char *name, guint64 counter)
{
  guint32 out[4];
  rng_block (seed, name, counter, out);
  return out[0];
}

static double
to_unit (guint32 a, guint32 b)
{
  /* 27 + 26 bits -> 53-bit mantissa, the usual construction. */
  guint64 v = ((guint64) (a >> 5) << 26) | (b >> 6);
  return (double) v * (1.0 / 9007199254740992.0);
}

double
fvc_rng_uniform (guint32 seed, const char *name, guint64 counter)
{
  guint32 out[4];
  rng_block (seed, name, counter, out);
  return to_unit (out[0], out[1]);
}

double
fvc_rng_range (guint32 seed, const char *name, guint64 counter, double lo, double hi)
{
  return lo + (hi - lo) * fvc_rng_uniform (seed, name, counter);
}

guint32
fvc_rng_below (guint32 seed, const char *name, guint64 counter, guint32 n)
{
  guint32 out[4];
  guint64 m;

  g_return_val_if_fail (n > 0, 0);
  /* Lemire's multiply-shift; the bias is below 2^-32 for our n, and rejection would make the
   * value depend on a variable number of draws, so we take the first. */
  rng_block (seed, name, counter, out);
  m = (guint64) out[0] * (guint64) n;
  return (guint32) (m >> 32);
}

double
fvc_rng_normal (guint32 seed, const char *name, guint64 counter)
{
  return fvc_rng_normal_keyed (seed, fvc_fnv1a32 (name), counter);
}

double
fvc_rng_normal_keyed (guint32 seed, guint32 name_key, guint64 counter)
{
  guint32 ctr[4] = { (guint32) counter, (guint32) (counter >> 32), 0, 0 };
  guint32 key[2] = { seed, name_key };
  guint32 out[4];
  double u1, u2;

  fvc_philox4x32 (ctr, key, out);
  u1 = to_unit (out[0], out[1]);
  u2 = to_unit (out[2], out[3]);
  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

void
fvc_rng_shuffle_u32 (guint32 seed, const char *name, guint32 *perm, guint n)
{
  for (guint i = n; i > 1; i--) {
    guint32 j = fvc_rng_below (seed, name, i - 1, i);
    guint32 t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
}
