/* test-clip-selection.c — which clips of a cache a pass replays and each epoch's order
 * (fvc-clip-selection.h). The expected orders are pinned from tests/unit/reference-values.py
 * (clip_selection, epoch_order), an independent Python model of the documented contract run on
 * the same fixture; the refusals are checked by their messages. */
#include "unit-util.h"

#include "fvc-cache.h"
#include "fvc-clip-selection.h"

/* The fixture, also in reference-values.py: a manifest of seven videos in three folds (v5 has no
 * clips), and cache rows appended out of order (v3's, v2's, v6's), x9 not in the manifest. */
static const char manifest_csv[] =
  "video_path,label,group,fold\n"
  "v0.mp4,0,,0\n"
  "v1.mp4,1,,1\n"
  "v2.mp4,1,,2\n"
  "v3.mp4,0,,1\n"
  "v4.mp4,1,,0\n"
  "v5.mp4,0,,2\n"
  "v6.mp4,1,,2\n";

static const struct {
  const char *video;
  int aug;
} rows[] = {
  { "v0.mp4", -1 }, { "v0.mp4", 0 }, { "v0.mp4", 1 }, { "v1.mp4", -1 }, { "v1.mp4", 0 }, { "v3.mp4", 1 },
  { "v3.mp4", -1 }, { "v3.mp4", 0 },  { "v2.mp4", 0 }, { "v2.mp4", -1 }, { "v2.mp4", 1 }, { "v4.mp4", -1 },
  { "v6.mp4", 1 },  { "v6.mp4", 0 },  { "x9.mp4", -1 }, { "x9.mp4", 0 },
};

/* label of a fixture video: the manifest's (x9: 1) */
static int
label_of (const char *video)
{
  return strchr ("12469", video[1]) != NULL;
}

static FvcCache *
make_cache (void)
{
  g_autofree char *dir = g_build_filename (fvc_test_dir, "cache", NULL);
  FvcCacheConfig want = { 1, 2, (char *) "uniform", (char *) "pad", 2, (char *) "none" };
  g_autoptr (FvcCache) created = NULL;
  g_autoptr (GError) error = NULL;
  FvcCache *cache;

  created = fvc_cache_open (dir, &want, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_SETTINGS_ONLY, &error);
  ck_assert_msg (created != NULL, "%s", error ? error->message : "?");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    FvcCacheRow row = { 0 };
    g_autofree char *file = g_strdup_printf ("clips/%s_%d.safetensors", rows[i].video, rows[i].aug);
    row.clip_file = file;
    row.label = label_of (rows[i].video);
    row.original_video = (char *) rows[i].video;
    row.augmentation_idx = rows[i].aug;
    row.seed = 100 + i;
    row.frame_indices = (char *) "0";
    ck_assert (fvc_cache_append_row (dir, &row, &error));
  }
  cache = fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, &error);
  ck_assert_msg (cache != NULL, "%s", error ? error->message : "?");
  ck_assert_uint_eq (fvc_cache_get_n_rows (cache), G_N_ELEMENTS (rows));
  return cache;
}

/* "v0.mp4/-1 v0.mp4/0 ..." for @order (NULL: the selection's own order); checks every clip's
 * label and path on the way. */
static char *
describe (const FvcClipSelection *sel, const FvcCache *cache, const guint32 *order)
{
  GString *out = g_string_new (NULL);
  guint n = fvc_clip_selection_get_n_clips (sel);

  for (guint i = 0; i < n; i++) {
    const FvcSelectedClip *c = fvc_clip_selection_get_clip (sel, order ? order[i] : i);
    g_autofree char *path = g_strdup_printf ("%s/clips/%s_%d.safetensors", fvc_cache_get_dir (cache), c->video,
                                             c->augmentation_idx);
    ck_assert_int_eq (c->label, label_of (c->video));
    ck_assert_str_eq (c->path, path);
    g_string_append_printf (out, "%s%s/%d", i ? " " : "", c->video, c->augmentation_idx);
  }
  return g_string_free (out, FALSE);
}

/* @sel holds the clips @expected (describe()) of @n_videos listed videos, @n_missing of them
 * without clips, the first being @first_missing. */
static void
assert_selection (const FvcClipSelection *sel, const FvcCache *cache, const char *expected, guint n_videos,
                  guint n_missing, const char *first_missing)
{
  g_autofree char *got = describe (sel, cache, NULL);

  ck_assert_str_eq (got, expected);
  ck_assert_uint_eq (fvc_clip_selection_get_n_videos (sel), n_videos);
  ck_assert_uint_eq (fvc_clip_selection_get_n_missing (sel), n_missing);
  ck_assert_pstr_eq (fvc_clip_selection_get_first_missing (sel), first_missing);
}

static FvcClipSelection *
new_selection (const FvcCache *cache, const FvcClipSelectionSpec *spec)
{
  g_autoptr (GError) error = NULL;
  FvcClipSelection *sel = fvc_clip_selection_new (cache, spec, &error);

  ck_assert_msg (sel != NULL, "%s", error ? error->message : "?");
  return sel;
}

static FvcClipSelection *
select_from_manifest (const FvcCache *cache, guint fold, FvcClipSplit split, FvcClipInclude include)
{
  g_autofree char *manifest = fvc_test_write_file ("folds.csv", manifest_csv, -1);
  FvcClipSelectionSpec spec = { NULL, manifest, fold, split, include };
  FvcClipSelection *sel = new_selection (cache, &spec);

  ck_assert (fvc_clip_selection_check_not_empty (sel, NULL));
  return sel;
}

/* Manifest order (not cache order), each video's clips by augmentation index, v5 missing. */
START_TEST (test_manifest_train)
{
  g_autoptr (FvcCache) cache = make_cache ();
  g_autoptr (FvcClipSelection) sel = select_from_manifest (cache, 1, FVC_CLIP_SPLIT_TRAIN, FVC_CLIP_INCLUDE_ALL);

  assert_selection (sel, cache, "v0.mp4/-1 v0.mp4/0 v0.mp4/1 v2.mp4/-1 v2.mp4/0 v2.mp4/1 v4.mp4/-1 v6.mp4/0 v6.mp4/1",
                    5, 1, "v5.mp4");
}
END_TEST

START_TEST (test_manifest_val_base)
{
  g_autoptr (FvcCache) cache = make_cache ();
  g_autoptr (FvcClipSelection) sel = select_from_manifest (cache, 1, FVC_CLIP_SPLIT_VAL, FVC_CLIP_INCLUDE_BASE);

  assert_selection (sel, cache, "v1.mp4/-1 v3.mp4/-1", 2, 0, NULL);
}
END_TEST

/* The per-epoch permutation: a function of (seed, fold, epoch). */
static const struct {
  guint fold;
  FvcClipInclude include;
  guint32 seed;
  guint epoch;
  const char *expected;
} shuffle_cases[] = {
  { 1, FVC_CLIP_INCLUDE_ALL, 7, 0,
    "v6.mp4/1 v6.mp4/0 v0.mp4/1 v2.mp4/1 v4.mp4/-1 v0.mp4/-1 v0.mp4/0 v2.mp4/-1 v2.mp4/0" },
  { 1, FVC_CLIP_INCLUDE_ALL, 7, 3,
    "v4.mp4/-1 v2.mp4/1 v0.mp4/-1 v0.mp4/0 v2.mp4/0 v0.mp4/1 v2.mp4/-1 v6.mp4/1 v6.mp4/0" },
  { 1, FVC_CLIP_INCLUDE_ALL, 8, 0,
    "v6.mp4/1 v2.mp4/0 v0.mp4/1 v0.mp4/0 v2.mp4/1 v2.mp4/-1 v6.mp4/0 v0.mp4/-1 v4.mp4/-1" },
  { 2, FVC_CLIP_INCLUDE_AUGMENTED, 3000000000u, 2, "v3.mp4/0 v0.mp4/0 v0.mp4/1 v1.mp4/0 v3.mp4/1" },
};

START_TEST (test_epoch_order)
{
  g_autoptr (FvcCache) cache = make_cache ();
  g_autoptr (FvcClipSelection) sel = select_from_manifest (cache, shuffle_cases[_i].fold, FVC_CLIP_SPLIT_TRAIN,
                                                           shuffle_cases[_i].include);
  guint n = fvc_clip_selection_get_n_clips (sel);
  g_autofree guint32 *order = g_new (guint32, n);
  g_autofree char *got = NULL, *plain = NULL, *unshuffled = NULL;

  fvc_clip_selection_epoch_order (shuffle_cases[_i].seed, shuffle_cases[_i].fold, shuffle_cases[_i].epoch, TRUE,
                                  order, n);
  got = describe (sel, cache, order);
  ck_assert_str_eq (got, shuffle_cases[_i].expected);

  /* without shuffle: the selection's order, whatever the seed and epoch */
  fvc_clip_selection_epoch_order (shuffle_cases[_i].seed, shuffle_cases[_i].fold, shuffle_cases[_i].epoch, FALSE,
                                  order, n);
  plain = describe (sel, cache, order);
  unshuffled = describe (sel, cache, NULL);
  ck_assert_str_eq (plain, unshuffled);
}
END_TEST

/* Without a list: every video of the cache, sorted by path. */
START_TEST (test_all_videos)
{
  g_autoptr (FvcCache) cache = make_cache ();
  FvcClipSelectionSpec spec = { NULL, NULL, 0, FVC_CLIP_SPLIT_TRAIN, FVC_CLIP_INCLUDE_ALL };
  g_autoptr (FvcClipSelection) sel = new_selection (cache, &spec);

  assert_selection (sel, cache, "v0.mp4/-1 v0.mp4/0 v0.mp4/1 v1.mp4/-1 v1.mp4/0 v2.mp4/-1 v2.mp4/0 v2.mp4/1 "
                    "v3.mp4/-1 v3.mp4/0 v3.mp4/1 v4.mp4/-1 v6.mp4/0 v6.mp4/1 x9.mp4/-1 x9.mp4/0", 7, 0, NULL);
}
END_TEST

/* A videos file: header, comments and blank lines skipped, a repeated video counted once. */
START_TEST (test_videos_file)
{
  g_autoptr (FvcCache) cache = make_cache ();
  g_autofree char *list = fvc_test_write_file ("videos.txt", "video_path\n# a comment\nv6.mp4\n\n  v0.mp4  \n"
                                               "v6.mp4\nnope.mp4\n", -1);
  FvcClipSelectionSpec spec = { list, NULL, 0, FVC_CLIP_SPLIT_TRAIN, FVC_CLIP_INCLUDE_ALL };
  g_autoptr (FvcClipSelection) sel = new_selection (cache, &spec);

  assert_selection (sel, cache, "v6.mp4/0 v6.mp4/1 v0.mp4/-1 v0.mp4/0 v0.mp4/1", 4, 1, "nope.mp4");
}
END_TEST

/* Nothing selected: a valid selection that refuses to be replayed. */
START_TEST (test_empty)
{
  g_autoptr (FvcCache) cache = make_cache ();
  g_autofree char *list = fvc_test_write_file ("videos.txt", "v5.mp4\nv4.mp4\n", -1);
  FvcClipSelectionSpec spec = { list, NULL, 0, FVC_CLIP_SPLIT_TRAIN, FVC_CLIP_INCLUDE_AUGMENTED };
  g_autoptr (FvcClipSelection) sel = new_selection (cache, &spec);
  g_autoptr (GError) error = NULL;

  ck_assert_uint_eq (fvc_clip_selection_get_n_clips (sel), 0);
  ck_assert_uint_eq (fvc_clip_selection_get_n_missing (sel), 1);
  ck_assert (!fvc_clip_selection_check_not_empty (sel, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "no clips to read: 2 videos selected");
  ck_assert (strstr (error->message, "none has an augmented clip") != NULL);
}
END_TEST

static const struct {
  const char *manifest;    /* NULL: the fixture's, with a videos file too */
  guint fold;
  FvcErrorCode code;
  const char *needle;
} refusals[] = {
  { NULL, 0, FVC_ERROR_INVALID, "either videos-file or manifest" },
  { manifest_csv, 3, FVC_ERROR_INVALID, "folds are 0..2, there is no fold 3" },
  { "video_path,fold\nv0.mp4,0\nv1.mp4,x\n", 0, FVC_ERROR_PARSE, ":3: fold \"x\" is not a number" },
  { "video_path,label\nv0.mp4,0\n", 0, FVC_ERROR_PARSE, "needs the columns video_path and fold" },
};

START_TEST (test_refusals)
{
  g_autoptr (FvcCache) cache = make_cache ();
  g_autofree char *manifest = fvc_test_write_file ("m.csv", refusals[_i].manifest ? refusals[_i].manifest
                                                                                    : manifest_csv, -1);
  g_autofree char *list = fvc_test_write_file ("videos.txt", "v0.mp4\n", -1);
  FvcClipSelectionSpec spec = { refusals[_i].manifest ? NULL : list, manifest, refusals[_i].fold,
                                FVC_CLIP_SPLIT_TRAIN, FVC_CLIP_INCLUDE_ALL };
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcClipSelection) sel = fvc_clip_selection_new (cache, &spec, &error);

  ck_assert_ptr_null (sel);
  FVC_ASSERT_ERROR (error, refusals[_i].code, refusals[_i].needle);
}
END_TEST

static Suite *
clip_selection_suite (void)
{
  Suite *s = suite_create ("clip-selection");
  TCase *tc = tcase_create ("clip-selection");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_test (tc, test_manifest_train);
  tcase_add_test (tc, test_manifest_val_base);
  tcase_add_loop_test (tc, test_epoch_order, 0, G_N_ELEMENTS (shuffle_cases));
  tcase_add_test (tc, test_all_videos);
  tcase_add_test (tc, test_videos_file);
  tcase_add_test (tc, test_empty);
  tcase_add_loop_test (tc, test_refusals, 0, G_N_ELEMENTS (refusals));
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (clip_selection_suite ());
}
