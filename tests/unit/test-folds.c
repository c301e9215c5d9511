/* test-folds.c — seeded stratified and grouped k-fold assignment and the fold manifest
 * (fvc-folds.h). Pinned assignments come from tests/unit/reference-values.py, an independent
 * Python model of the documented algorithm; the rest are properties over generated indices. */
#include "unit-util.h"

#include "fvc-folds.h"

/* Writes an index with @n videos "v<i>.mp4", label @labels[i] (0/1) and, when @groups is not
 * NULL, a group column with @groups[i], and loads it. */
static FvcVideoIndex *
make_index (guint n, const guint *labels, const char *const *groups)
{
  g_autoptr (GString) csv = g_string_new (groups ? "video_path,label,group\n" : "video_path,label\n");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  FvcVideoIndex *index;

  for (guint i = 0; i < n; i++) {
    g_string_append_printf (csv, "v%03u.mp4,%s", i, labels[i] ? "fake" : "real");
    if (groups)
      g_string_append_printf (csv, ",%s", groups[i]);
    g_string_append_c (csv, '\n');
  }
  path = fvc_test_write_file ("index.csv", csv->str, -1);
  index = fvc_video_index_load (path, NULL, &error);
  ck_assert_msg (index != NULL, "fixture index: %s", error ? error->message : "?");
  return index;
}

/* Labels for n videos with n_real reals spread through the index (not all first). */
static guint *
spread_labels (guint n, guint n_real)
{
  guint *labels = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    labels[i] = (i * n_real / n) == ((i + 1) * n_real / n); /* real exactly n_real times */
  return labels;
}

static guint
count_label (guint n, const guint *labels, guint label)
{
  guint c = 0;
  for (guint i = 0; i < n; i++)
    c += labels[i] == label;
  return c;
}

/* Every video in one fold of 0..k-1; per fold sizes and per-class counts within ±1. */
static void
assert_stratified (guint n, const guint *labels, guint k, const guint *fold_of)
{
  g_autofree guint *size = g_new0 (guint, k);
  g_autofree guint *cls = g_new0 (guint, 2 * k);
  guint min_size = G_MAXUINT, max_size = 0;

  for (guint i = 0; i < n; i++) {
    ck_assert_msg (fold_of[i] < k, "video %u in fold %u of %u", i, fold_of[i], k);
    size[fold_of[i]]++;
    cls[2 * fold_of[i] + labels[i]]++;
  }
  for (guint c = 0; c < 2; c++) {
    guint lo = G_MAXUINT, hi = 0;
    for (guint f = 0; f < k; f++) {
      lo = MIN (lo, cls[2 * f + c]);
      hi = MAX (hi, cls[2 * f + c]);
    }
    ck_assert_msg (hi - lo <= 1, "class %u counts per fold range %u..%u", c, lo, hi);
    ck_assert_uint_ge (lo, 1); /* every validation fold has both classes */
  }
  for (guint f = 0; f < k; f++) {
    min_size = MIN (min_size, size[f]);
    max_size = MAX (max_size, size[f]);
  }
  ck_assert_msg (max_size - min_size <= 1, "fold sizes range %u..%u", min_size, max_size);
}

/* ---- stratified ----------------------------------------------------------------------------- */

START_TEST (test_stratified_pinned)
{
  /* /usr/bin/python3 tests/unit/reference-values.py:
   * folds_stratified(labels=[0,1,1,0,1,0,1,1,0,1], k=3, seed=2024). */
  static const guint labels[] = { 0, 1, 1, 0, 1, 0, 1, 1, 0, 1 };
  static const guint expected[] = { 2, 2, 0, 1, 1, 0, 0, 1, 0, 2 };
  g_autoptr (FvcVideoIndex) index = make_index (G_N_ELEMENTS (labels), labels, NULL);
  guint fold_of[G_N_ELEMENTS (labels)];
  g_autoptr (GError) error = NULL;

  ck_assert_msg (fvc_folds_assign (index, 3, 2024, fold_of, &error), "%s", error ? error->message : "");
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    ck_assert_msg (fold_of[i] == expected[i], "video %u: fold %u, expected %u", i, fold_of[i], expected[i]);
  assert_stratified (G_N_ELEMENTS (labels), labels, 3, fold_of);
}
END_TEST

/* (n, n_real, k) over which the balance properties are checked, for several seeds each. */
static const struct {
  guint n, n_real, k;
} strat_cases[] = {
  { 10, 5, 2 }, { 11, 4, 3 }, { 103, 41, 5 }, { 103, 41, 7 }, { 200, 20, 10 }, { 57, 50, 5 },
  { 30, 15, 10 }, { 8, 4, 4 },
};

START_TEST (test_stratified_balance)
{
  guint n = strat_cases[_i].n, k = strat_cases[_i].k;
  g_autofree guint *labels = spread_labels (n, strat_cases[_i].n_real);
  g_autoptr (FvcVideoIndex) index = make_index (n, labels, NULL);
  g_autofree guint *fold_of = g_new (guint, n);

  ck_assert_uint_eq (count_label (n, labels, 0), strat_cases[_i].n_real);
  for (guint32 seed = 0; seed < 20; seed++) {
    g_autoptr (GError) error = NULL;
    ck_assert_msg (fvc_folds_assign (index, k, seed * 7919u, fold_of, &error), "%s",
                   error ? error->message : "");
    assert_stratified (n, labels, k, fold_of);
  }
}
END_TEST

START_TEST (test_stratified_seeded)
{
  const guint n = 200;
  g_autofree guint *labels = spread_labels (n, 80);
  g_autoptr (FvcVideoIndex) index = make_index (n, labels, NULL);
  g_autofree guint *a = g_new (guint, n);
  g_autofree guint *b = g_new (guint, n);
  g_autofree guint *c = g_new (guint, n);
  guint same = 0;

  ck_assert (fvc_folds_assign (index, 5, 11, a, NULL));
  ck_assert (fvc_folds_assign (index, 5, 11, b, NULL));
  ck_assert (fvc_folds_assign (index, 5, 12, c, NULL));
  ck_assert (memcmp (a, b, n * sizeof *a) == 0); /* same seed: same folds */
  for (guint i = 0; i < n; i++)
    same += a[i] == c[i];
  /* Another seed: about n/k = 40 coincidences expected; identical would be absurd. */
  ck_assert_uint_lt (same, 100);
}
END_TEST

START_TEST (test_single_class)
{
  /* An index of one class is fine (nothing to stratify the other way). */
  static const guint labels[] = { 1, 1, 1, 1, 1 };
  g_autoptr (FvcVideoIndex) index = make_index (5, labels, NULL);
  guint fold_of[5];
  guint size[2] = { 0, 0 };

  ck_assert (fvc_folds_assign (index, 2, 3, fold_of, NULL));
  for (guint i = 0; i < 5; i++) {
    ck_assert_uint_lt (fold_of[i], 2);
    size[fold_of[i]]++;
  }
  ck_assert (size[0] + size[1] == 5 && (size[0] == 2 || size[0] == 3));
}
END_TEST

/* ---- errors --------------------------------------------------------------------------------- */

static const struct {
  guint n, n_real, k;
  const char *reason;
} error_cases[] = {
  { 10, 5, 1, "at least 2" },
  { 10, 5, 0, "at least 2" },
  { 5, 2, 6, "5 videos" },       /* k > n */
  { 12, 2, 3, "2 real" },        /* too few reals for 3 folds */
  { 12, 10, 3, "2 fake" },       /* too few fakes */
};

START_TEST (test_errors)
{
  guint n = error_cases[_i].n;
  g_autofree guint *labels = spread_labels (n, error_cases[_i].n_real);
  g_autoptr (FvcVideoIndex) index = make_index (n, labels, NULL);
  g_autofree guint *fold_of = g_new (guint, n);
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_folds_assign (index, error_cases[_i].k, 1, fold_of, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, error_cases[_i].reason);
}
END_TEST

/* ---- grouped -------------------------------------------------------------------------------- */

/* /usr/bin/python3 tests/unit/reference-values.py, folds_grouped(...): an independent model of
 * the documented greedy rule. Videos with an empty group cell are groups of their own. The k = 3,
 * seed = 77 case was also worked by hand (group order a c f e b v011 v010 d; final class counts
 * per fold (2,3) (2,3) (1,3)). */
static const struct {
  guint n, k;
  guint32 seed;
  guint labels[16];
  const char *groups[16];
  guint expected[16];
} grouped_pins[] = {
  { 11, 2, 5, { 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1 },
    { "a", "a", "a", "b", "b", "b", "c", "c", "c", "", "" },
    { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 } },
  { 14, 3, 77, { 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1 },
    { "a", "a", "a", "b", "b", "c", "c", "d", "e", "e", "", "", "f", "f" },
    { 0, 0, 0, 2, 2, 1, 1, 1, 1, 1, 0, 0, 2, 2 } },
  { 14, 3, 1234, { 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1 },
    { "a", "a", "a", "b", "b", "c", "c", "d", "e", "e", "", "", "f", "f" },
    { 0, 0, 0, 2, 2, 2, 2, 0, 1, 1, 1, 0, 1, 1 } },
  /* Here ties between folds of different sizes occur: the "smaller fold" rule decides. */
  { 14, 3, 10, { 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1 },
    { "a", "a", "a", "b", "b", "c", "c", "d", "e", "e", "", "", "f", "f" },
    { 0, 0, 0, 1, 1, 2, 2, 0, 1, 1, 2, 0, 2, 2 } },
};

START_TEST (test_grouped_pinned)
{
  guint n = grouped_pins[_i].n;
  g_autoptr (FvcVideoIndex) index = make_index (n, grouped_pins[_i].labels, grouped_pins[_i].groups);
  guint fold_of[16];
  g_autoptr (GError) error = NULL;

  ck_assert_msg (fvc_folds_assign (index, grouped_pins[_i].k, grouped_pins[_i].seed, fold_of, &error),
                 "%s", error ? error->message : "");
  for (guint i = 0; i < n; i++)
    ck_assert_msg (fold_of[i] == grouped_pins[_i].expected[i], "video %u: fold %u, expected %u", i,
                   fold_of[i], grouped_pins[_i].expected[i]);
}
END_TEST

/* Group names for n videos: @n_groups sources, video i in group i % n_groups, the group's first
 * video real and the others fake (one real source, several fakes derived from it). */
static void
make_sources (guint n, guint n_groups, guint *labels, char **groups)
{
  for (guint i = 0; i < n; i++) {
    groups[i] = g_strdup_printf ("src%u", i % n_groups);
    labels[i] = i >= n_groups;
  }
}

START_TEST (test_grouped_never_split)
{
  const guint n = 150, n_groups = 37;
  g_autofree guint *labels = g_new (guint, n);
  g_auto (GStrv) groups = g_new0 (char *, n + 1);
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autofree guint *fold_of = g_new (guint, n);

  make_sources (n, n_groups, labels, groups);
  index = make_index (n, labels, (const char *const *) groups);
  for (guint k = 2; k <= 6; k++) {
    for (guint32 seed = 0; seed < 10; seed++) {
      g_autofree guint *group_fold = g_new (guint, n_groups);
      g_autoptr (GError) error = NULL;

      ck_assert_msg (fvc_folds_assign (index, k, seed, fold_of, &error), "%s", error ? error->message : "");
      for (guint i = 0; i < n; i++) {
        ck_assert_uint_lt (fold_of[i], k);
        if (i < n_groups)
          group_fold[i] = fold_of[i];
        else
          ck_assert_msg (fold_of[i] == group_fold[i % n_groups], "group src%u split (k=%u seed=%u)",
                         i % n_groups, k, seed);
      }
    }
  }
}
END_TEST

/* Equal-composition groups (1 real + 3 fakes each): the best split puts floor or ceil of
 * n_groups/k groups in every fold, and the greedy assignment must reach it. */
static const struct {
  guint n_groups, k;
} equal_cases[] = { { 12, 4 }, { 13, 4 }, { 10, 3 }, { 7, 7 }, { 20, 6 } };

START_TEST (test_grouped_balance)
{
  guint n_groups = equal_cases[_i].n_groups, k = equal_cases[_i].k, n = 4 * n_groups;
  g_autofree guint *labels = g_new (guint, n);
  g_auto (GStrv) groups = g_new0 (char *, n + 1);
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autofree guint *fold_of = g_new (guint, n);

  make_sources (n, n_groups, labels, groups);
  index = make_index (n, labels, (const char *const *) groups);
  for (guint32 seed = 0; seed < 10; seed++) {
    g_autofree guint *size = g_new0 (guint, k);
    ck_assert (fvc_folds_assign (index, k, seed, fold_of, NULL));
    for (guint i = 0; i < n; i++)
      size[fold_of[i]]++;
    for (guint f = 0; f < k; f++)
      ck_assert_msg (size[f] == 4 * (n_groups / k) || size[f] == 4 * ((n_groups + k - 1) / k),
                     "fold %u has %u videos (%u groups of 4 over %u folds, seed %u)", f, size[f],
                     n_groups, k, seed);
  }
}
END_TEST

START_TEST (test_grouped_seeded)
{
  const guint n = 240, n_groups = 60;
  g_autofree guint *labels = g_new (guint, n);
  g_auto (GStrv) groups = g_new0 (char *, n + 1);
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autofree guint *a = g_new (guint, n);
  g_autofree guint *b = g_new (guint, n);
  g_autofree guint *c = g_new (guint, n);

  make_sources (n, n_groups, labels, groups);
  index = make_index (n, labels, (const char *const *) groups);
  ck_assert (fvc_folds_assign (index, 4, 100, a, NULL));
  ck_assert (fvc_folds_assign (index, 4, 100, b, NULL));
  ck_assert (fvc_folds_assign (index, 4, 101, c, NULL));
  ck_assert (memcmp (a, b, n * sizeof *a) == 0);
  ck_assert (memcmp (a, c, n * sizeof *a) != 0);
}
END_TEST

START_TEST (test_grouped_empty_cells)
{
  /* Four videos with empty group cells and k = 4: only possible if each is its own group. */
  static const guint labels[] = { 0, 1, 0, 1, 0, 1, 0, 1 };
  static const char *groups[] = { "", "", "", "", "", "", "", "" };
  g_autoptr (FvcVideoIndex) index = make_index (8, labels, groups);
  guint fold_of[8];
  g_autoptr (GError) error = NULL;

  ck_assert_msg (fvc_folds_assign (index, 4, 9, fold_of, &error), "%s", error ? error->message : "");
  assert_stratified (8, labels, 4, fold_of);
}
END_TEST

/* Grouped assignments that must be refused. */
static const struct {
  guint n, k;
  guint labels[8];
  const char *groups[8];
  const char *reason;
} grouped_errors[] = {
  /* All reals are in group A, so one of the two folds would validate on fakes only. */
  { 7, 2, { 0, 0, 1, 1, 1, 1, 1 }, { "A", "A", "A", "B", "B", "C", "C" }, "no real video" },
  /* Two groups cannot fill three folds, however many videos they hold. */
  { 6, 3, { 0, 0, 0, 1, 1, 1 }, { "A", "B", "A", "B", "A", "B" }, "2 groups" },
};

START_TEST (test_grouped_errors)
{
  g_autoptr (FvcVideoIndex) index = make_index (grouped_errors[_i].n, grouped_errors[_i].labels,
                                                grouped_errors[_i].groups);
  guint fold_of[8];
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_folds_assign (index, grouped_errors[_i].k, 1, fold_of, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, grouped_errors[_i].reason);
}
END_TEST

/* ---- manifest ------------------------------------------------------------------------------- */

START_TEST (test_manifest)
{
  g_autofree char *index_path = fvc_test_write_file (
      "m.csv",
      "video_path,label,group,extra\n"
      "a.mp4,REAL,s1,x\n"
      "\"b, c.mp4\",fake,s1,y\n"
      "\"q\"\"uote.mp4\",1,,z\n"
      "vid\xc3\xa9o.mp4,0,\"s 2\",w\n",
      -1);
  g_autofree char *out = g_build_filename (fvc_test_dir, "folds.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr (FvcVideoIndex) index = fvc_video_index_load (index_path, NULL, NULL);
  static const guint fold_of[] = { 1, 1, 0, 2 };
  g_autoptr (GError) error = NULL;

  ck_assert_ptr_nonnull (index);
  ck_assert_msg (fvc_folds_write_manifest (out, index, fold_of, &error), "%s", error ? error->message : "");
  ck_assert (g_file_get_contents (out, &text, NULL, NULL));
  /* video_path,label,group,fold; label as 0/1; index order; CSV quoting where needed. */
  ck_assert_str_eq (text,
                    "video_path,label,group,fold\n"
                    "a.mp4,0,s1,1\n"
                    "\"b, c.mp4\",1,s1,1\n"
                    "\"q\"\"uote.mp4\",1,,0\n"
                    "vid\xc3\xa9o.mp4,0,s 2,2\n");
}
END_TEST

START_TEST (test_manifest_no_groups)
{
  static const guint labels[] = { 1, 0 };
  g_autoptr (FvcVideoIndex) index = make_index (2, labels, NULL);
  g_autofree char *out = g_build_filename (fvc_test_dir, "folds.csv", NULL);
  g_autofree char *text = NULL;
  static const guint fold_of[] = { 0, 1 };

  ck_assert (fvc_folds_write_manifest (out, index, fold_of, NULL));
  ck_assert (g_file_get_contents (out, &text, NULL, NULL));
  ck_assert_str_eq (text, "video_path,label,group,fold\nv000.mp4,1,,0\nv001.mp4,0,,1\n");
}
END_TEST

START_TEST (test_manifest_bad_dir)
{
  static const guint labels[] = { 1, 0 };
  g_autoptr (FvcVideoIndex) index = make_index (2, labels, NULL);
  g_autofree char *out = g_build_filename (fvc_test_dir, "missing", "folds.csv", NULL);
  static const guint fold_of[] = { 0, 1 };
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_folds_write_manifest (out, index, fold_of, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, out);
}
END_TEST

static Suite *
folds_suite (void)
{
  Suite *s = suite_create ("folds");
  TCase *tc = tcase_create ("folds");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_test (tc, test_stratified_pinned);
  tcase_add_loop_test (tc, test_stratified_balance, 0, G_N_ELEMENTS (strat_cases));
  tcase_add_test (tc, test_stratified_seeded);
  tcase_add_test (tc, test_single_class);
  tcase_add_loop_test (tc, test_errors, 0, G_N_ELEMENTS (error_cases));
  tcase_add_loop_test (tc, test_grouped_pinned, 0, G_N_ELEMENTS (grouped_pins));
  tcase_add_test (tc, test_grouped_never_split);
  tcase_add_loop_test (tc, test_grouped_balance, 0, G_N_ELEMENTS (equal_cases));
  tcase_add_test (tc, test_grouped_seeded);
  tcase_add_test (tc, test_grouped_empty_cells);
  tcase_add_loop_test (tc, test_grouped_errors, 0, G_N_ELEMENTS (grouped_errors));
  tcase_add_test (tc, test_manifest);
  tcase_add_test (tc, test_manifest_no_groups);
  tcase_add_test (tc, test_manifest_bad_dir);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (folds_suite ());
}
