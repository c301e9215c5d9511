/* test-seed.c — path seeds (md5) and the Philox4x32-10 generator of fvc-seed.h.
 * Expected values are pinned from independent sources (Python hashlib, the Random123 known-answer
 * vectors, the FNV reference vectors, tests/unit/reference-values.py); the properties at the end
 * check what no single value can (ranges, permutations, rough moments). */
#include "unit-util.h"

#include "fvc-seed.h"

#include <math.h>

/* ---- seeds from paths --------------------------------------------------------------------- */

/* /usr/bin/python3 -c "import hashlib; h = hashlib.md5(p.encode()).hexdigest(); \
 *                      print(h[:8], int(h[:8], 16) % 2**31)" for each p below. */
static const struct {
  const char *path;
  const char *hash8;
  guint32 seed;
} seed_cases[] = {
  { "videos/real/000.mp4", "c40c7616", 1141667350u },          /* 0xc40c7616 >= 2^31: the modulo matters */
  { "../data/clip 1,take2.mp4", "7ce38027", 2095284263u },     /* relative with ../, space and comma */
  { "vid\xc3\xa9os/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/fake_01.mp4", "82e30c0c", 48434188u }, /* "vidéos/日本語/fake_01.mp4" */
  { "/abs/path/to/x.mp4", "eb6d2759", 1802315609u },
  { "dir/with \"quote\".mp4", "5787fa3a", 1468529210u },
  { "", "d41d8cd9", 1411222745u },                             /* md5 of nothing */
  { "a", "0cc175b9", 214005177u },                             /* leading zero hex digit */
  { " ", "7215ee9c", 1914039964u },
};

START_TEST (test_seed_from_path)
{
  const char *path = seed_cases[_i].path;
  g_autofree char *hash8 = fvc_path_hash8 (path);

  ck_assert_str_eq (hash8, seed_cases[_i].hash8);
  ck_assert_uint_eq (fvc_seed_from_path (path), seed_cases[_i].seed);
  ck_assert_uint_lt (fvc_seed_from_path (path), 2147483648u);
}
END_TEST

START_TEST (test_seed_path_written_form)
{
  /* Seeds use the path exactly as written: equivalent spellings are different videos. */
  ck_assert_uint_ne (fvc_seed_from_path ("videos/a.mp4"), fvc_seed_from_path ("./videos/a.mp4"));
  ck_assert_uint_ne (fvc_seed_from_path ("videos/a.mp4"), fvc_seed_from_path ("videos/a.mp4 "));
  ck_assert_uint_ne (fvc_seed_from_path ("videos/a.mp4"), fvc_seed_from_path ("Videos/a.mp4"));
}
END_TEST

/* ---- Philox4x32-10 known answers ---------------------------------------------------------- */

/* Random123's tests/kat_vectors, the three "philox4x32 10" lines (counter[4] key[2] -> out[4]),
 * as cut and pasted into DEShawResearch/Random123-Boost libs/random/test/test_philox.cpp; also
 * reproduced by the independent Python implementation in reference-values.py. */
static const struct {
  guint32 ctr[4], key[2], out[4];
} philox_kat[] = {
  { { 0x00000000, 0x00000000, 0x00000000, 0x00000000 }, { 0x00000000, 0x00000000 },
    { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 } },
  { { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, { 0xffffffff, 0xffffffff },
    { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd } },
  { { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, { 0xa4093822, 0x299f31d0 },
    { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } },
};

START_TEST (test_philox_kat)
{
  guint32 out[4];

  fvc_philox4x32 (philox_kat[_i].ctr, philox_kat[_i].key, out);
  for (int w = 0; w < 4; w++)
    ck_assert_msg (out[w] == philox_kat[_i].out[w], "vector %d word %d: got %08x, expected %08x",
                   _i, w, out[w], philox_kat[_i].out[w]);
}
END_TEST

/* The FNV-1a 32-bit reference values (Fowler/Noll/Vo test suite: "" and "a", "foobar"), and two
 * of our parameter names from reference-values.py. */
static const struct {
  const char *name;
  guint32 hash;
} fnv_cases[] = {
  { "", 0x811c9dc5u },
  { "a", 0xe40c292cu },
  { "foobar", 0xbf9cf968u },
  { "segment", 0xf3c342e6u },
  { "folds-real", 0xcd5c0cf2u },
};

START_TEST (test_fnv1a32)
{
  ck_assert_uint_eq (fvc_fnv1a32 (fnv_cases[_i].name), fnv_cases[_i].hash);
}
END_TEST

/* ---- the keyed generator ------------------------------------------------------------------ */

/* /usr/bin/python3 tests/unit/reference-values.py ("fvc_rng_u32 / uniform / below / normal"):
 * Philox keyed by (seed, fnv1a32(name)), counter (lo, hi, 0, 0), outputs mapped as documented in
 * fvc-seed.h. The third case has a counter >= 2^32, so the high counter word is used. */
static const struct {
  guint32 seed;
  const char *name;
  guint64 counter;
  guint32 u32;
  double uniform;
  guint32 below1000;
  double normal;
} rng_cases[] = {
  { 0, "flip", 0, 0xa66833c5u, 0.65002750540647858, 650, -0.89239665293492632 },
  { 1141667350u, "crop-x", 7, 0x86a27d8cu, 0.52591690437078398, 525, -0.15728545457560839 },
  { 12345, "noise", G_GUINT64_CONSTANT (4294967301), 0x5d3feb3du, 0.36425657168519843, 364,
    1.3671942981378618 },
};

START_TEST (test_rng_pinned)
{
  guint32 seed = rng_cases[_i].seed;
  const char *name = rng_cases[_i].name;
  guint64 ctr = rng_cases[_i].counter;

  ck_assert_uint_eq (fvc_rng_u32 (seed, name, ctr), rng_cases[_i].u32);
  /* 53-bit construction from two words: exact in double arithmetic. */
  ck_assert_double_eq (fvc_rng_uniform (seed, name, ctr), rng_cases[_i].uniform);
  ck_assert_double_eq (fvc_rng_range (seed, name, ctr, 10.0, 20.0), 10.0 + 10.0 * rng_cases[_i].uniform);
  ck_assert_uint_eq (fvc_rng_below (seed, name, ctr, 1000), rng_cases[_i].below1000);
  /* log/cos may differ in the last ulp between libms. */
  ck_assert_double_eq_tol (fvc_rng_normal (seed, name, ctr), rng_cases[_i].normal, 1e-12);
  ck_assert_double_eq_tol (fvc_rng_normal_keyed (seed, fvc_fnv1a32 (name), ctr), rng_cases[_i].normal, 1e-12);
}
END_TEST

START_TEST (test_rng_is_pure)
{
  /* The same (seed, name, counter) gives the same value whatever was drawn in between. */
  guint32 first[64];

  for (guint i = 0; i < G_N_ELEMENTS (first); i++)
    first[i] = fvc_rng_u32 (99, "jitter", i);
  for (int i = G_N_ELEMENTS (first) - 1; i >= 0; i--) {
    (void) fvc_rng_u32 (7, "other", (guint64) i * 3);
    ck_assert_uint_eq (fvc_rng_u32 (99, "jitter", (guint) i), first[i]);
  }
}
END_TEST

START_TEST (test_rng_streams_differ)
{
  /* Different names, seeds or counter halves must give different streams: count coincidences
   * over 1000 draws (for independent 32-bit streams the expected count is ~2e-7). */
  guint same_name = 0, same_seed = 0, same_hi = 0, adjacent = 0;

  for (guint64 c = 0; c < 1000; c++) {
    guint32 v = fvc_rng_u32 (5, "brightness", c);
    same_name += v == fvc_rng_u32 (5, "contrast", c);
    same_seed += v == fvc_rng_u32 (6, "brightness", c);
    same_hi += v == fvc_rng_u32 (5, "brightness", c | (G_GUINT64_CONSTANT (1) << 32));
    adjacent += v == fvc_rng_u32 (5, "brightness", c + 1);
  }
  ck_assert_uint_eq (same_name, 0);
  ck_assert_uint_eq (same_seed, 0);
  ck_assert_uint_eq (same_hi, 0);
  ck_assert_uint_eq (adjacent, 0);
}
END_TEST

START_TEST (test_rng_uniform_range_and_moments)
{
  const guint n = 200000;
  double sum = 0, sum2 = 0, lo_min = 1e9, lo_max = -1e9;
  guint bins[10] = { 0 };

  for (guint i = 0; i < n; i++) {
    double u = fvc_rng_uniform (31337, "u", i);
    double r = fvc_rng_range (31337, "r", i, -3.0, 5.0);
    ck_assert (u >= 0.0 && u < 1.0);
    ck_assert (r >= -3.0 && r < 5.0);
    lo_min = MIN (lo_min, r);
    lo_max = MAX (lo_max, r);
    sum += u;
    sum2 += u * u;
    bins[(int) (u * 10)]++;
  }
  /* mean 1/2, variance 1/12; the standard error of the mean is ~6.5e-4. */
  ck_assert_double_eq_tol (sum / n, 0.5, 0.005);
  ck_assert_double_eq_tol (sum2 / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
  for (int b = 0; b < 10; b++)
    ck_assert_msg (bins[b] > n / 10 * 0.95 && bins[b] < n / 10 * 1.05, "bin %d has %u", b, bins[b]);
  /* The range is used, not just a corner of it. */
  ck_assert (lo_min < -2.99 && lo_max > 4.99);
}
END_TEST

START_TEST (test_rng_normal_moments)
{
  const guint n = 200000;
  double sum = 0, sum2 = 0, sum4 = 0;
  guint within1 = 0;

  for (guint i = 0; i < n; i++) {
    double z = fvc_rng_normal (2718, "z", i);
    ck_assert (isfinite (z));
    sum += z;
    sum2 += z * z;
    sum4 += z * z * z * z;
    within1 += fabs (z) < 1.0;
  }
  ck_assert_double_eq_tol (sum / n, 0.0, 0.01);
  ck_assert_double_eq_tol (sum2 / n, 1.0, 0.02);
  ck_assert_double_eq_tol (sum4 / n, 3.0, 0.1);                   /* kurtosis of a normal */
  ck_assert_double_eq_tol ((double) within1 / n, 0.682689, 0.005); /* P(|z| < 1) */
}
END_TEST

/* n values for fvc_rng_below, including 1, a power of two, non-powers and the largest. */
static const guint32 below_ns[] = { 1, 2, 3, 7, 10, 256, 1000, 65537, G_MAXUINT32 };

START_TEST (test_rng_below_bounds)
{
  guint32 n = below_ns[_i];
  guint32 max_seen = 0;
  guint hits[7] = { 0 };

  for (guint c = 0; c < 20000; c++) {
    guint32 v = fvc_rng_below (4242, "below", c, n);
    ck_assert_msg (v < n, "fvc_rng_below(n=%u) gave %u", n, v);
    max_seen = MAX (max_seen, v);
    if (n == 7)
      hits[v]++;
  }
  if (n == 1)
    ck_assert_uint_eq (max_seen, 0);
  else if (n <= 1000)
    ck_assert_uint_eq (max_seen, n - 1); /* the top value is reachable */
  else
    ck_assert_uint_gt (max_seen, n / 2);
  if (n == 7)
    for (int v = 0; v < 7; v++)
      ck_assert_msg (hits[v] > 20000 / 7 * 0.9 && hits[v] < 20000 / 7 * 1.1, "value %d: %u", v, hits[v]);
}
END_TEST

START_TEST (test_rng_shuffle_pinned)
{
  /* /usr/bin/python3 tests/unit/reference-values.py: shuffle(42, 'deck', 0..9), Fisher-Yates as
   * documented in fvc-seed.h (i = n-1..1, j = below(seed, name, i, i+1)). */
  static const guint32 expected[10] = { 1, 4, 5, 6, 0, 9, 8, 2, 7, 3 };
  guint32 perm[10];

  for (guint i = 0; i < 10; i++)
    perm[i] = i;
  fvc_rng_shuffle_u32 (42, "deck", perm, 10);
  for (guint i = 0; i < 10; i++)
    ck_assert_uint_eq (perm[i], expected[i]);
}
END_TEST

START_TEST (test_rng_shuffle_properties)
{
  const guint n = 1000;
  g_autofree guint32 *a = g_new (guint32, n);
  g_autofree guint32 *b = g_new (guint32, n);
  g_autofree guint32 *c = g_new (guint32, n);
  g_autofree guint8 *seen = g_new0 (guint8, n);
  guint fixed = 0, same_ab = 0, same_ac = 0;
  guint32 one = 17, none = 0;

  for (guint i = 0; i < n; i++)
    a[i] = b[i] = c[i] = i;
  fvc_rng_shuffle_u32 (8, "order", a, n);
  fvc_rng_shuffle_u32 (8, "order", b, n);
  fvc_rng_shuffle_u32 (9, "order", c, n);
  for (guint i = 0; i < n; i++) {
    ck_assert_uint_lt (a[i], n);
    ck_assert_msg (!seen[a[i]], "%u appears twice", a[i]);
    seen[a[i]] = 1;
    fixed += a[i] == i;
    same_ab += a[i] == b[i];
    same_ac += a[i] == c[i];
  }
  ck_assert_uint_eq (same_ab, n);  /* reproducible */
  ck_assert_uint_lt (same_ac, 20); /* another seed: another permutation (~1 coincidence expected) */
  ck_assert_uint_lt (fixed, 20);   /* actually shuffled */

  /* Trivial sizes are left alone and do not crash. */
  fvc_rng_shuffle_u32 (8, "order", &one, 1);
  ck_assert_uint_eq (one, 17);
  fvc_rng_shuffle_u32 (8, "order", &none, 0);
  ck_assert_uint_eq (none, 0);
}
END_TEST

START_TEST (test_rng_shuffle_uniform)
{
  /* All 6 permutations of 3 elements appear with roughly equal frequency over seeds. */
  guint counts[27] = { 0 };
  const guint trials = 12000;

  for (guint s = 0; s < trials; s++) {
    guint32 p[3] = { 0, 1, 2 };
    fvc_rng_shuffle_u32 (s, "three", p, 3);
    counts[p[0] * 9 + p[1] * 3 + p[2]]++;
  }
  for (guint k = 0; k < 27; k++) {
    gboolean is_perm = k / 9 != k / 3 % 3 && k / 9 != k % 3 && k / 3 % 3 != k % 3;
    if (is_perm)
      ck_assert_msg (counts[k] > trials / 6 * 0.9 && counts[k] < trials / 6 * 1.1,
                     "permutation %u seen %u times", k, counts[k]);
    else
      ck_assert_uint_eq (counts[k], 0);
  }
}
END_TEST

static Suite *
seed_suite (void)
{
  Suite *s = suite_create ("seed");
  TCase *tc = tcase_create ("seed");

  tcase_add_loop_test (tc, test_seed_from_path, 0, G_N_ELEMENTS (seed_cases));
  tcase_add_test (tc, test_seed_path_written_form);
  tcase_add_loop_test (tc, test_philox_kat, 0, G_N_ELEMENTS (philox_kat));
  tcase_add_loop_test (tc, test_fnv1a32, 0, G_N_ELEMENTS (fnv_cases));
  tcase_add_loop_test (tc, test_rng_pinned, 0, G_N_ELEMENTS (rng_cases));
  tcase_add_test (tc, test_rng_is_pure);
  tcase_add_test (tc, test_rng_streams_differ);
  tcase_add_test (tc, test_rng_uniform_range_and_moments);
  tcase_add_test (tc, test_rng_normal_moments);
  tcase_add_loop_test (tc, test_rng_below_bounds, 0, G_N_ELEMENTS (below_ns));
  tcase_add_test (tc, test_rng_shuffle_pinned);
  tcase_add_test (tc, test_rng_shuffle_properties);
  tcase_add_test (tc, test_rng_shuffle_uniform);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (seed_suite ());
}
