/* test-sampler.c — frame-index selection (fvc-sampler.h): uniform as DESIGN.md fixes it,
 * random segments, stride, explicit lists, the short-video policy and index-list text. */
#include "unit-util.h"

#include "fvc-sampler.h"
#include "fvc-seed.h"

#define MAX_N 16

/* Runs fvc_sample_frames and compares with @expected (n values); @policy applies. */
static void
assert_sample (const FvcSampleSpec *spec, guint64 total, const guint64 *expected)
{
  guint n = fvc_sample_spec_count (spec);
  guint64 got[MAX_N];
  g_autoptr (GError) error = NULL;

  ck_assert_uint_le (n, MAX_N);
  ck_assert_msg (fvc_sample_frames (spec, total, "v.mp4", got, &error), "unexpected error: %s",
                 error ? error->message : "?");
  for (guint i = 0; i < n; i++)
    ck_assert_msg (got[i] == expected[i], "total=%" G_GUINT64_FORMAT " index %u: got %" G_GUINT64_FORMAT
                   ", expected %" G_GUINT64_FORMAT, total, i, got[i], expected[i]);
}

/* ---- uniform -------------------------------------------------------------------------------- */

/* round(i*(total-1)/(n-1)), half up, worked by hand from DESIGN.md; n = 1: total/2. */
static const struct {
  guint64 total;
  guint n;
  guint64 expected[MAX_N];
} uniform_cases[] = {
  { 300, 6, { 0, 60, 120, 179, 239, 299 } },        /* the pin: 59.8, 119.6, 179.4, 239.2 */
  { 300, 1, { 150 } },                              /* n = 1: the middle frame */
  { 301, 1, { 150 } },
  { 1, 1, { 0 } },                                  /* total = 1 */
  { 2, 1, { 1 } },
  { 10, 10, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 } },     /* n = total: identity */
  { 10, 2, { 0, 9 } },                              /* n = 2: first and last */
  { 2, 2, { 0, 1 } },
  { 6, 3, { 0, 3, 5 } },                            /* 2.5 -> 3: half up (half-even or truncation give 2) */
  { 7, 5, { 0, 2, 3, 5, 6 } },                      /* 1.5 -> 2, 4.5 -> 5 */
  { 100, 4, { 0, 33, 66, 99 } },
  { 1000, 3, { 0, 500, 999 } },                     /* 499.5 -> 500 */
};

START_TEST (test_uniform)
{
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_UNIFORM, .num_frames = uniform_cases[_i].n,
                         .short_video = FVC_SHORT_VIDEO_ERROR };

  assert_sample (&spec, uniform_cases[_i].total, uniform_cases[_i].expected);
  for (guint i = 0; i < uniform_cases[_i].n; i++)
    ck_assert_uint_eq (fvc_sample_uniform_index (i, uniform_cases[_i].n, uniform_cases[_i].total),
                       uniform_cases[_i].expected[i]);
}
END_TEST

START_TEST (test_uniform_large_exact)
{
  /* Integer arithmetic stays exact where doubles would not: total = 2^53 + 2, n = 3,
   * middle = round((2^53 + 1) / 2) = 2^52 + 1 (half up). */
  guint64 total = (G_GUINT64_CONSTANT (1) << 53) + 2;
  ck_assert_uint_eq (fvc_sample_uniform_index (1, 3, total), (G_GUINT64_CONSTANT (1) << 52) + 1);
  ck_assert_uint_eq (fvc_sample_uniform_index (2, 3, total), total - 1);
}
END_TEST

/* ---- the short-video policy ----------------------------------------------------------------- */

START_TEST (test_short_video_pad)
{
  /* Every frame there is, then the last one repeated up to n. */
  static const guint64 four_of_six[] = { 0, 1, 2, 3, 3, 3 };
  static const guint64 one_of_three[] = { 0, 0, 0 };
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_UNIFORM, .num_frames = 6, .short_video = FVC_SHORT_VIDEO_PAD };

  assert_sample (&spec, 4, four_of_six);
  spec.num_frames = 3;
  assert_sample (&spec, 1, one_of_three);
  spec.strategy = FVC_SAMPLE_RANDOM_SEGMENT;
  spec.num_frames = 6;
  assert_sample (&spec, 4, four_of_six);
}
END_TEST

static const FvcShortVideoPolicy refusing_policies[] = { FVC_SHORT_VIDEO_SKIP, FVC_SHORT_VIDEO_ERROR };

START_TEST (test_short_video_refused)
{
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_UNIFORM, .num_frames = 6,
                         .short_video = refusing_policies[_i] };
  guint64 out[6];
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_sample_frames (&spec, 5, "clips/short video.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_TOO_SHORT, "clips/short video.mp4");
  ck_assert (strstr (error->message, "5") != NULL);
  g_clear_error (&error);

  spec.strategy = FVC_SAMPLE_RANDOM_SEGMENT;
  ck_assert (!fvc_sample_frames (&spec, 2, "rs.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_TOO_SHORT, "rs.mp4");
  g_clear_error (&error);

  /* Exactly n frames is not short. */
  spec.strategy = FVC_SAMPLE_UNIFORM;
  ck_assert (fvc_sample_frames (&spec, 6, "ok.mp4", out, &error));
  ck_assert_uint_eq (out[5], 5);
}
END_TEST

START_TEST (test_no_frames)
{
  static const FvcSampleStrategy strategies[] = { FVC_SAMPLE_UNIFORM, FVC_SAMPLE_RANDOM_SEGMENT,
                                                  FVC_SAMPLE_STRIDE, FVC_SAMPLE_EXPLICIT };
  static const guint list[] = { 0, 1 };

  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++) {
    FvcSampleSpec spec = { .strategy = strategies[s], .num_frames = 2, .stride = 1,
                           .explicit_indices = list, .n_explicit = 2,
                           .short_video = FVC_SHORT_VIDEO_PAD };
    guint64 out[2];
    g_autoptr (GError) error = NULL;

    /* total = 0 is a broken video under every policy, pad included. */
    ck_assert (!fvc_sample_frames (&spec, 0, "empty.mp4", out, &error));
    FVC_ASSERT_ERROR (error, FVC_ERROR_MEDIA, "empty.mp4");
  }
}
END_TEST

START_TEST (test_bad_spec)
{
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_UNIFORM, .num_frames = 0, .short_video = FVC_SHORT_VIDEO_PAD };
  guint64 out[4];
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_sample_frames (&spec, 10, "v.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "v.mp4");
  g_clear_error (&error);

  spec.strategy = FVC_SAMPLE_EXPLICIT;
  spec.n_explicit = 0;
  ck_assert (!fvc_sample_frames (&spec, 10, "v.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "v.mp4");
  g_clear_error (&error);

  spec.strategy = FVC_SAMPLE_STRIDE;
  spec.num_frames = 3;
  spec.stride = 0;
  ck_assert (!fvc_sample_frames (&spec, 10, "v.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "stride");
  g_clear_error (&error);

  spec.strategy = (FvcSampleStrategy) 42;
  ck_assert (!fvc_sample_frames (&spec, 10, "v.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "v.mp4");
}
END_TEST

/* ---- random segments ------------------------------------------------------------------------ */

START_TEST (test_random_segment_pinned)
{
  /* /usr/bin/python3 tests/unit/reference-values.py: segments [floor(i*total/n),
   * floor((i+1)*total/n)), one frame each from fvc_rng_below(seed, "segment", i, size). */
  static const guint64 seed7[] = { 17, 45, 60, 89 };
  static const guint64 seed8[] = { 9, 27, 54, 91 };
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_RANDOM_SEGMENT, .num_frames = 4, .seed = 7,
                         .short_video = FVC_SHORT_VIDEO_ERROR };

  assert_sample (&spec, 100, seed7);
  spec.seed = 8;
  assert_sample (&spec, 100, seed8);
}
END_TEST

START_TEST (test_random_segment_properties)
{
  /* Uneven segment sizes (total = 103, n = 7) over many seeds. */
  const guint64 total = 103;
  const guint n = 7;
  guint differing_seeds = 0;
  guint64 first[7];

  for (guint32 seed = 0; seed < 200; seed++) {
    FvcSampleSpec spec = { .strategy = FVC_SAMPLE_RANDOM_SEGMENT, .num_frames = n, .seed = seed,
                           .short_video = FVC_SHORT_VIDEO_ERROR };
    guint64 a[7], b[7];
    gboolean differs = FALSE;

    ck_assert (fvc_sample_frames (&spec, total, "v", a, NULL));
    ck_assert (fvc_sample_frames (&spec, total, "v", b, NULL));
    for (guint i = 0; i < n; i++) {
      ck_assert_uint_eq (a[i], b[i]);           /* reproducible */
      ck_assert_uint_ge (a[i], i * total / n);  /* inside segment i */
      ck_assert_uint_lt (a[i], (i + 1) * total / n);
      if (seed == 0)
        first[i] = a[i];
      else if (a[i] != first[i])
        differs = TRUE;
    }
    differing_seeds += differs;
  }
  ck_assert_uint_eq (differing_seeds, 199); /* ~15^-7 chance per seed of a full collision */
}
END_TEST

START_TEST (test_random_segment_total_equals_n)
{
  static const guint64 identity[] = { 0, 1, 2, 3, 4 };
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_RANDOM_SEGMENT, .num_frames = 5, .seed = 1234,
                         .short_video = FVC_SHORT_VIDEO_ERROR };

  assert_sample (&spec, 5, identity);
}
END_TEST

/* ---- stride --------------------------------------------------------------------------------- */

START_TEST (test_stride)
{
  static const guint64 expected[] = { 5, 15, 25, 35 };
  static const guint64 padded[] = { 5, 15, 25, 25 };
  static const guint64 from0[] = { 0, 1, 2 };
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_STRIDE, .num_frames = 4, .stride = 10, .start = 5,
                         .short_video = FVC_SHORT_VIDEO_PAD };
  guint64 out[4];
  g_autoptr (GError) error = NULL;

  assert_sample (&spec, 100, expected);
  assert_sample (&spec, 36, expected);   /* the last needed frame is 35 */
  assert_sample (&spec, 30, padded);     /* pad: repeat the last index that exists */

  spec.short_video = FVC_SHORT_VIDEO_SKIP;
  ck_assert (!fvc_sample_frames (&spec, 35, "stride.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_TOO_SHORT, "stride.mp4");
  g_clear_error (&error);

  /* Nothing at all to take: refused even under pad. */
  spec.short_video = FVC_SHORT_VIDEO_PAD;
  ck_assert (!fvc_sample_frames (&spec, 5, "stride.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_TOO_SHORT, "stride.mp4");

  spec.num_frames = 3;
  spec.stride = 1;
  spec.start = 0;
  assert_sample (&spec, 3, from0);
}
END_TEST

/* ---- explicit ------------------------------------------------------------------------------- */

START_TEST (test_explicit)
{
  static const guint list[] = { 3, 7, 20 };
  static const guint64 expected[] = { 3, 7, 20 };
  static const guint64 padded[] = { 3, 7, 7 }; /* 20 does not exist: repeat 7 */
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_EXPLICIT, .num_frames = 99, .explicit_indices = list,
                         .n_explicit = 3, .short_video = FVC_SHORT_VIDEO_PAD };
  guint64 out[3];
  g_autoptr (GError) error = NULL;

  ck_assert_uint_eq (fvc_sample_spec_count (&spec), 3); /* num_frames is ignored */
  assert_sample (&spec, 21, expected);
  assert_sample (&spec, 10, padded);

  spec.short_video = FVC_SHORT_VIDEO_ERROR;
  ck_assert (!fvc_sample_frames (&spec, 20, "ex.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_TOO_SHORT, "ex.mp4");
  g_clear_error (&error);

  spec.short_video = FVC_SHORT_VIDEO_PAD;
  ck_assert (!fvc_sample_frames (&spec, 3, "ex.mp4", out, &error)); /* not even the first exists */
  FVC_ASSERT_ERROR (error, FVC_ERROR_TOO_SHORT, "ex.mp4");
}
END_TEST

static const guint not_increasing[][3] = { { 3, 3, 5 }, { 5, 2, 9 }, { 0, 4, 4 } };

START_TEST (test_explicit_not_increasing)
{
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_EXPLICIT, .explicit_indices = not_increasing[_i],
                         .n_explicit = 3, .short_video = FVC_SHORT_VIDEO_PAD };
  guint64 out[3];
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_sample_frames (&spec, 100, "ex.mp4", out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "increasing");
}
END_TEST

/* ---- names ---------------------------------------------------------------------------------- */

START_TEST (test_names)
{
  static const char *strategies[] = { "uniform", "random-segment", "stride", "explicit" };
  static const char *policies[] = { "pad", "skip", "error" };
  FvcSampleStrategy s;
  FvcShortVideoPolicy p;

  for (guint i = 0; i < G_N_ELEMENTS (strategies); i++) {
    ck_assert (fvc_sample_strategy_from_name (strategies[i], &s));
    ck_assert_int_eq (s, (int) i);
    ck_assert_str_eq (fvc_sample_strategy_name (s), strategies[i]);
  }
  ck_assert_int_eq (FVC_SAMPLE_RANDOM_SEGMENT, 1);
  for (guint i = 0; i < G_N_ELEMENTS (policies); i++) {
    ck_assert (fvc_short_video_policy_from_name (policies[i], &p));
    ck_assert_int_eq (p, (int) i);
    ck_assert_str_eq (fvc_short_video_policy_name (p), policies[i]);
  }
  ck_assert (!fvc_sample_strategy_from_name ("Uniform", &s));
  ck_assert (!fvc_sample_strategy_from_name ("random", &s));
  ck_assert (!fvc_sample_strategy_from_name ("", &s));
  ck_assert (!fvc_sample_strategy_from_name (NULL, &s));
  ck_assert (!fvc_short_video_policy_from_name ("repeat", &p));
  ck_assert (!fvc_short_video_policy_from_name (NULL, &p));
}
END_TEST

/* ---- index lists ---------------------------------------------------------------------------- */

static const struct {
  const char *text;
  guint n;
  guint64 values[6];
  const char *canonical;
} good_lists[] = {
  { "0,60,120,179,239,299", 6, { 0, 60, 120, 179, 239, 299 }, "0,60,120,179,239,299" },
  { "7", 1, { 7 }, "7" },
  { "", 0, { 0 }, "" },
  { " 1 , 2 ,3 ", 3, { 1, 2, 3 }, "1,2,3" },
  { "4294967295", 1, { G_MAXUINT32 }, "4294967295" },
  { "007", 1, { 7 }, "7" },
};

START_TEST (test_index_list_good)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) list = fvc_parse_index_list (good_lists[_i].text, &error);
  g_autofree char *text = NULL;

  ck_assert_msg (list != NULL, "\"%s\": %s", good_lists[_i].text, error ? error->message : "?");
  ck_assert_uint_eq (list->len, good_lists[_i].n);
  for (guint i = 0; i < list->len; i++)
    ck_assert_uint_eq (g_array_index (list, guint64, i), good_lists[_i].values[i]);
  text = fvc_format_index_list ((const guint64 *) list->data, list->len);
  ck_assert_str_eq (text, good_lists[_i].canonical);
}
END_TEST

static const char *bad_lists[] = {
  "1,,2", "1,", ",1", "a", "1;2", "-1", "+1", "1.5", "0x10", "4294967296", "1 2", "99999999999999999999",
};

START_TEST (test_index_list_bad)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) list = fvc_parse_index_list (bad_lists[_i], &error);

  ck_assert_msg (list == NULL, "\"%s\" was accepted", bad_lists[_i]);
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, bad_lists[_i]);
}
END_TEST

START_TEST (test_index_list_round_trip)
{
  /* Uniform picks of several shapes survive format -> parse unchanged. */
  static const guint64 totals[] = { 1, 17, 300, 123456789 };
  for (guint t = 0; t < G_N_ELEMENTS (totals); t++) {
    FvcSampleSpec spec = { .strategy = FVC_SAMPLE_UNIFORM, .num_frames = 9, .short_video = FVC_SHORT_VIDEO_PAD };
    guint64 out[9];
    g_autofree char *text = NULL;
    g_autoptr (GArray) back = NULL;

    ck_assert (fvc_sample_frames (&spec, totals[t], "v", out, NULL));
    text = fvc_format_index_list (out, 9);
    back = fvc_parse_index_list (text, NULL);
    ck_assert (back != NULL);
    ck_assert_uint_eq (back->len, 9);
    ck_assert (memcmp (back->data, out, sizeof out) == 0);
  }
}
END_TEST

START_TEST (test_spec_set_explicit)
{
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_UNIFORM, .num_frames = 6, .short_video = FVC_SHORT_VIDEO_ERROR };
  g_autofree guint *storage = NULL;
  g_autoptr (GError) error = NULL;
  guint64 out[3];

  ck_assert (fvc_sample_spec_set_explicit (&spec, " 4, 9 ,20", &storage, &error));
  ck_assert_int_eq (spec.strategy, FVC_SAMPLE_EXPLICIT);
  ck_assert_uint_eq (fvc_sample_spec_count (&spec), 3);
  ck_assert (fvc_sample_frames (&spec, 30, "v", out, NULL));
  ck_assert_uint_eq (out[0], 4);
  ck_assert_uint_eq (out[1], 9);
  ck_assert_uint_eq (out[2], 20);
  g_clear_pointer (&storage, g_free);
  ck_assert (!fvc_sample_spec_set_explicit (&spec, "", &storage, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "lists no frame");
  g_clear_error (&error);
  ck_assert (!fvc_sample_spec_set_explicit (&spec, "1,x", &storage, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "\"x\" is not a frame index");
}
END_TEST

static Suite *
sampler_suite (void)
{
  Suite *s = suite_create ("sampler");
  TCase *tc = tcase_create ("sampler");

  tcase_add_loop_test (tc, test_uniform, 0, G_N_ELEMENTS (uniform_cases));
  tcase_add_test (tc, test_uniform_large_exact);
  tcase_add_test (tc, test_short_video_pad);
  tcase_add_loop_test (tc, test_short_video_refused, 0, G_N_ELEMENTS (refusing_policies));
  tcase_add_test (tc, test_no_frames);
  tcase_add_test (tc, test_bad_spec);
  tcase_add_test (tc, test_random_segment_pinned);
  tcase_add_test (tc, test_random_segment_properties);
  tcase_add_test (tc, test_random_segment_total_equals_n);
  tcase_add_test (tc, test_stride);
  tcase_add_test (tc, test_explicit);
  tcase_add_test (tc, test_spec_set_explicit);
  tcase_add_loop_test (tc, test_explicit_not_increasing, 0, G_N_ELEMENTS (not_increasing));
  tcase_add_test (tc, test_names);
  tcase_add_loop_test (tc, test_index_list_good, 0, G_N_ELEMENTS (good_lists));
  tcase_add_loop_test (tc, test_index_list_bad, 0, G_N_ELEMENTS (bad_lists));
  tcase_add_test (tc, test_index_list_round_trip);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (sampler_suite ());
}
