/* test-cache.c — clip files (fvc-clip.h: names, exact bytes, validation) and the clip cache
 * (fvc-cache.h: fingerprint check, rows, crash repair, canonical finalisation, concurrent
 * appends). */
#include "unit-util.h"

#include "config.h"
#include "fvc-cache.h"
#include "fvc-clip.h"
#include "fvc-fileutil.h"
#include "fvc-safetensors.h"

#include <glib/gstdio.h>

/* ---- clip files ------------------------------------------------------------------------------ */

/* md5 prefixes: /usr/bin/python3 -c "import hashlib; print(hashlib.md5(b'videos/a b.mp4').hexdigest()[:8])" */
static const struct {
  const char *video_path;
  int aug;
  const char *expected;
} name_cases[] = {
  { "videos/a b.mp4", -1, "a_b-7cc99e30_base.safetensors" },
  { "../videos/synth/real_000.mp4", 0, "real_000-098bb55c_aug0.safetensors" },
  { "clip.final.v2.mkv", 3, "clip.final.v2-06ca582a_aug3.safetensors" },
  { "/abs/\xc3\x9cn\xc3\xaf" "code,x.mp4", -1, "__n__code_x-9fd3e84a_base.safetensors" },
};

START_TEST (test_clip_file_name)
{
  g_autofree char *name = fvc_clip_file_name (name_cases[_i].video_path, name_cases[_i].aug);
  ck_assert_str_eq (name, name_cases[_i].expected);
}
END_TEST

static FvcClipInfo
sample_info (void)
{
  FvcClipInfo info = { 0 };
  info.video_path = (char *) "dir/v\"q.mp4";
  info.label = 1;
  info.augmentation_idx = -1;
  info.seed = 42;
  info.frame_indices = (char *) "0";
  info.pts_ns = (char *) "66666666";
  info.config = (char *) "[cache]\nframes=1\n";
  return info;
}

START_TEST (test_clip_exact_bytes)
{
  FvcClipInfo info = sample_info ();
  const guint8 rgb[6] = { 1, 2, 3, 250, 251, 252 };
  g_autofree char *path = g_build_filename (fvc_test_dir, "c.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  /* Written by hand from the format in fvc-clip.h / fvc-safetensors.h: keys in order, JSON
   * escapes for the quote and the newlines, spaces up to a multiple of 8. */
  const char *json = "{\"__metadata__\":{\"video_path\":\"dir/v\\\"q.mp4\",\"label\":\"1\",\"augmentation_idx\":\"-1\","
                     "\"seed\":\"42\",\"frame_indices\":\"0\",\"pts_ns\":\"66666666\","
                     "\"config\":\"[cache]\\nframes=1\\n\",\"fvc_version\":\"" FVC_VERSION "\"},"
                     "\"clip\":{\"dtype\":\"U8\",\"shape\":[1,1,2,3],\"data_offsets\":[0,6]}}";
  gsize json_len = strlen (json), padded = (json_len + 7) / 8 * 8;
  guint64 header_len;

  ck_assert (fvc_clip_write (path, &info, 1, 1, 2, rgb, &error));
  ck_assert (g_file_get_contents (path, &contents, &len, NULL));
  ck_assert_uint_eq (len, 8 + padded + 6);
  memcpy (&header_len, contents, 8);
  ck_assert_uint_eq (GUINT64_FROM_LE (header_len), padded);
  ck_assert (memcmp (contents + 8, json, json_len) == 0);
  for (gsize i = json_len; i < padded; i++)
    ck_assert_int_eq (contents[8 + i], ' ');
  ck_assert (memcmp (contents + 8 + padded, rgb, 6) == 0);
}
END_TEST

START_TEST (test_clip_round_trip)
{
  FvcClipInfo info = sample_info ();
  guint8 rgb[2 * 3 * 4 * 3];
  g_autofree char *path = g_build_filename (fvc_test_dir, "c.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcClip) clip = NULL;

  for (guint i = 0; i < sizeof rgb; i++)
    rgb[i] = (guint8) (i * 7);
  info.augmentation_idx = 3;
  info.seed = 4000000000u;
  ck_assert (fvc_clip_write (path, &info, 2, 3, 4, rgb, &error));
  clip = fvc_clip_open (path, &error);
  ck_assert_msg (clip != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (fvc_clip_get_frames (clip), 2);
  ck_assert_uint_eq (fvc_clip_get_height (clip), 3);
  ck_assert_uint_eq (fvc_clip_get_width (clip), 4);
  ck_assert (memcmp (fvc_clip_get_data (clip), rgb, sizeof rgb) == 0);
  ck_assert_str_eq (fvc_clip_get_info (clip)->video_path, "dir/v\"q.mp4");
  ck_assert_int_eq (fvc_clip_get_info (clip)->label, 1);
  ck_assert_int_eq (fvc_clip_get_info (clip)->augmentation_idx, 3);
  ck_assert_uint_eq (fvc_clip_get_info (clip)->seed, 4000000000u);
  ck_assert_str_eq (fvc_clip_get_info (clip)->config, "[cache]\nframes=1\n");
}
END_TEST

START_TEST (test_clip_open_refuses_wrong_tensor)
{
  g_autoptr (FvcSafetensorsWriter) w = fvc_safetensors_writer_new ();
  const float data[3] = { 0 };
  const gint64 shape[4] = { 1, 1, 1, 3 };
  g_autofree char *path = g_build_filename (fvc_test_dir, "f.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  FvcClip *clip;

  fvc_safetensors_writer_add_tensor (w, "clip", FVC_DTYPE_F32, 4, shape, data);
  ck_assert (fvc_safetensors_writer_write_file (w, path, NULL));
  clip = fvc_clip_open (path, &error);
  ck_assert (clip == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_MISMATCH, "is F32 [1, 1, 1, 3], expected U8 [*, *, *, 3]");
}
END_TEST

START_TEST (test_clip_open_refuses_missing_metadata)
{
  g_autoptr (FvcSafetensorsWriter) w = fvc_safetensors_writer_new ();
  const guint8 data[3] = { 0 };
  const gint64 shape[4] = { 1, 1, 1, 3 };
  g_autofree char *path = g_build_filename (fvc_test_dir, "m.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  fvc_safetensors_writer_set_metadata (w, "video_path", "v.mp4");
  fvc_safetensors_writer_add_tensor (w, "clip", FVC_DTYPE_U8, 4, shape, data);
  ck_assert (fvc_safetensors_writer_write_file (w, path, NULL));
  ck_assert (fvc_clip_open (path, &error) == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "clip metadata \"frame_indices\" is missing");
}
END_TEST

/* ---- the cache ---------------------------------------------------------------------------------- */

static FvcCacheConfig
config_with (guint frames, guint size, const char *augment)
{
  FvcCacheConfig c = { 0 };
  c.num_frames = frames;
  c.size = size;
  c.sampler = (char *) "uniform";
  c.short_video = (char *) "skip";
  c.augmentations = 1;
  c.augment = (char *) augment;
  return c;
}

static char *
cache_dir (void)
{
  return g_build_filename (fvc_test_dir, "cache", NULL);
}

START_TEST (test_cache_ini_exact_and_round_trip)
{
  FvcCacheConfig c = config_with (6, 112, "size=112;ops=crop;v=1");
  g_autofree char *ini = fvc_cache_config_to_ini (&c);
  FvcCacheConfig back;
  g_autoptr (GError) error = NULL;

  ck_assert_str_eq (ini, "[cache]\nformat=1\nframes=6\nsize=112\nsampler=uniform\nshort_video=skip\n"
                         "augmentations=1\naugment=size=112;ops=crop;v=1\n");
  ck_assert (fvc_cache_config_from_ini (ini, "x", &back, &error));
  ck_assert_uint_eq (back.num_frames, 6);
  ck_assert_uint_eq (back.size, 112);
  ck_assert_str_eq (back.augment, "size=112;ops=crop;v=1");
  fvc_cache_config_clear (&back);
}
END_TEST

START_TEST (test_cache_mismatch_names_settings)
{
  g_autofree char *dir = cache_dir ();
  FvcCacheConfig c6 = config_with (6, 112, "a");
  FvcCacheConfig c8 = config_with (8, 112, "b");
  g_autoptr (GError) error = NULL;
  FvcCache *cache = fvc_cache_open (dir, &c6, FVC_CACHE_OPEN_CREATE, &error);

  ck_assert (cache != NULL);
  fvc_cache_free (cache);
  cache = fvc_cache_open (dir, &c8, FVC_CACHE_OPEN_CREATE, &error);
  ck_assert (cache == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_MISMATCH, "frames (cache 6, requested 8)");
  ck_assert_msg (strstr (error->message, "augment (cache \"a\", requested \"b\")") != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, "size") == NULL, "size is the same: %s", error->message);
}
END_TEST

START_TEST (test_cache_refuses_foreign_directory)
{
  g_autofree char *dir = cache_dir ();
  g_autofree char *file = g_build_filename (dir, "thesis.tex", NULL);
  FvcCacheConfig c = config_with (6, 112, "a");
  g_autoptr (GError) error = NULL;

  ck_assert (fvc_mkdir_p (dir, NULL));
  ck_assert (g_file_set_contents (file, "x", -1, NULL));
  ck_assert (fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE, &error) == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "refusing to use it as a cache");
  ck_assert (g_file_test (file, G_FILE_TEST_EXISTS));
}
END_TEST

static void
add_clip (const char *dir, const char *video, int aug, gboolean with_row)
{
  FvcClipInfo info = { (char *) video, 0, aug, 7, (char *) "0", (char *) "0", (char *) "" };
  g_autofree char *name = fvc_clip_file_name (video, aug);
  g_autofree char *rel = g_build_filename ("clips", name, NULL);
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  const guint8 rgb[3] = { 1, 2, 3 };
  FvcCacheRow row = { rel, 0, (char *) video, aug, 7, (char *) "0" };

  ck_assert (fvc_clip_write (path, &info, 1, 1, 1, rgb, NULL));
  if (with_row)
    ck_assert (fvc_cache_append_row (dir, &row, NULL));
}

START_TEST (test_cache_repair_after_kill)
{
  g_autofree char *dir = cache_dir ();
  FvcCacheConfig c = config_with (1, 1, "a");
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcCache) cache = NULL;
  g_autofree char *csv = g_build_filename (dir, FVC_CACHE_METADATA_FILE, NULL);
  g_autofree char *temp = g_build_filename (dir, "clips", "x.safetensors" FVC_TEMP_MARKER "1-1", NULL);
  g_autofree char *orphan_name = fvc_clip_file_name ("c.mp4", -1);
  g_autofree char *orphan = g_build_filename (dir, "clips", orphan_name, NULL);
  g_autofree char *contents = NULL;
  FILE *f;

  cache = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE, &error);
  ck_assert (cache != NULL);
  g_clear_pointer (&cache, fvc_cache_free);
  add_clip (dir, "a.mp4", -1, TRUE);
  add_clip (dir, "a.mp4", 0, TRUE);
  add_clip (dir, "b.mp4", -1, TRUE);
  add_clip (dir, "c.mp4", -1, FALSE);               /* renamed, row never appended */
  ck_assert (g_file_set_contents (temp, "partial", -1, NULL));   /* killed mid-write */
  {
    /* b's clip vanished (deleted by hand), and a torn last row */
    g_autofree char *bname = fvc_clip_file_name ("b.mp4", -1);
    g_autofree char *b = g_build_filename (dir, "clips", bname, NULL);
    ck_assert_int_eq (g_unlink (b), 0);
  }
  f = fopen (csv, "a");
  fputs ("clips/d-xx_base.safetensors,0,d.mp4,-1,7,\"0", f);
  fclose (f);

  cache = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, &error);
  ck_assert_msg (cache != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (fvc_cache_get_n_rows (cache), 2);
  ck_assert (fvc_cache_find (cache, "a.mp4", -1) != NULL);
  ck_assert (fvc_cache_find (cache, "a.mp4", 0) != NULL);
  ck_assert (fvc_cache_find (cache, "b.mp4", -1) == NULL);
  ck_assert (fvc_cache_video_complete (cache, "a.mp4", 1));
  ck_assert (!fvc_cache_video_complete (cache, "a.mp4", 2));
  ck_assert (!g_file_test (temp, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (orphan, G_FILE_TEST_EXISTS));
  /* temp file, orphan clip, row without clip, torn row */
  ck_assert_uint_eq (fvc_cache_get_n_repairs (cache), 4);
  ck_assert (g_file_get_contents (csv, &contents, NULL, NULL));
  ck_assert_str_eq (contents, "video_path,label,original_video,augmentation_idx,seed,frame_indices\n"
                              "clips/a-2a1f2880_base.safetensors,0,a.mp4,-1,7,0\n"
                              "clips/a-2a1f2880_aug0.safetensors,0,a.mp4,0,7,0\n");
}
END_TEST

START_TEST (test_cache_finalize_canonical_order)
{
  g_autofree char *dir = cache_dir ();
  FvcCacheConfig c = config_with (1, 1, "a");
  g_autoptr (FvcCache) cache = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE, NULL);
  const char *order[] = { "b.mp4", "a.mp4", NULL };
  g_autofree char *csv = g_build_filename (dir, FVC_CACHE_METADATA_FILE, NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (cache != NULL);
  add_clip (dir, "a.mp4", 0, TRUE);
  add_clip (dir, "z.mp4", -1, TRUE);   /* not in the order: after the listed ones */
  add_clip (dir, "b.mp4", 0, TRUE);
  add_clip (dir, "a.mp4", -1, TRUE);
  add_clip (dir, "b.mp4", -1, TRUE);
  add_clip (dir, "a.mp4", 0, TRUE);    /* redone after an interruption */
  ck_assert (fvc_cache_finalize (cache, order, &error));
  ck_assert (g_file_get_contents (csv, &contents, NULL, NULL));
  /* md5 prefixes: a.mp4 2a1f2880, b.mp4 3cf62b9b, z.mp4 47cffd7f (hashlib) */
  ck_assert_str_eq (contents, "video_path,label,original_video,augmentation_idx,seed,frame_indices\n"
                              "clips/b-3cf62b9b_base.safetensors,0,b.mp4,-1,7,0\n"
                              "clips/b-3cf62b9b_aug0.safetensors,0,b.mp4,0,7,0\n"
                              "clips/a-2a1f2880_base.safetensors,0,a.mp4,-1,7,0\n"
                              "clips/a-2a1f2880_aug0.safetensors,0,a.mp4,0,7,0\n"
                              "clips/z-47cffd7f_base.safetensors,0,z.mp4,-1,7,0\n");
  ck_assert_uint_eq (fvc_cache_get_n_rows (cache), 5);
}
END_TEST

typedef struct {
  const char *dir;
  int thread;
} AppendArgs;

static gpointer
append_many (gpointer data)
{
  AppendArgs *a = data;
  for (int i = 0; i < 50; i++) {
    g_autofree char *video = g_strdup_printf ("t%d/video %d, \"q\".mp4", a->thread, i);
    FvcCacheRow row = { (char *) "clips/x.safetensors", a->thread % 2, video, -1, (guint32) i, (char *) "0,1,2" };
    if (!fvc_cache_append_row (a->dir, &row, NULL))
      return GINT_TO_POINTER (1);
  }
  return NULL;
}

START_TEST (test_cache_concurrent_appends)
{
  g_autofree char *dir = cache_dir ();
  FvcCacheConfig c = config_with (1, 1, "a");
  g_autoptr (FvcCache) cache = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE, NULL);
  g_autoptr (FvcCache) reread = NULL;
  GThread *threads[4];
  AppendArgs args[4];
  g_autoptr (GError) error = NULL;

  for (int t = 0; t < 4; t++) {
    args[t].dir = dir;
    args[t].thread = t;
    threads[t] = g_thread_new ("append", append_many, &args[t]);
  }
  for (int t = 0; t < 4; t++)
    ck_assert (g_thread_join (threads[t]) == NULL);
  reread = fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, &error);
  ck_assert_msg (reread != NULL, "%s", error ? error->message : "");
  /* one header, 200 whole rows, every one readable */
  ck_assert_uint_eq (fvc_cache_get_n_rows (reread), 200);
  ck_assert (fvc_cache_find (reread, "t3/video 49, \"q\".mp4", -1) != NULL);
}
END_TEST

START_TEST (test_cache_one_writer_at_a_time)
{
  g_autofree char *dir = cache_dir ();
  FvcCacheConfig c = config_with (1, 1, "a");
  g_autoptr (GError) error = NULL;
  FvcCache *writer = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, &error);
  FvcCache *second, *reader;

  ck_assert (writer != NULL);
  second = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, &error);
  ck_assert (second == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "another fvc-stream process is writing this cache");
  g_clear_error (&error);
  /* readers are not locked out */
  reader = fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, &error);
  ck_assert (reader != NULL);
  fvc_cache_free (reader);
  fvc_cache_free (writer);
  /* freed: the next writer gets the lock */
  second = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, &error);
  ck_assert_msg (second != NULL, "%s", error ? error->message : "");
  fvc_cache_free (second);
}
END_TEST

START_TEST (test_cache_read_refuses_missing)
{
  g_autofree char *dir = cache_dir ();
  g_autoptr (GError) error = NULL;

  ck_assert (fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, &error) == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, "not a clip cache (no cache.ini)");
}
END_TEST

/* SETTINGS_ONLY (what fvcclipsink opens once per branch and video): cache.ini's settings and
 * fingerprint as a full open gives them, and metadata.csv not read at all — not even a torn or
 * garbage file stops it, and no rows are held. */
START_TEST (test_cache_settings_only)
{
  g_autofree char *dir = cache_dir ();
  FvcCacheConfig c = config_with (6, 112, "a");
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcCache) full = NULL;
  g_autoptr (FvcCache) settings = NULL;
  g_autofree char *csv = g_build_filename (dir, FVC_CACHE_METADATA_FILE, NULL);

  full = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE, &error);
  ck_assert_msg (full != NULL, "%s", error ? error->message : "");
  add_clip (dir, "a.mp4", -1, TRUE);
  add_clip (dir, "b.mp4", -1, TRUE);
  g_clear_pointer (&full, fvc_cache_free);
  full = fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, &error);
  ck_assert_uint_eq (fvc_cache_get_n_rows (full), 2);

  ck_assert (g_file_set_contents (csv, "not,a\n\"metadata file", -1, NULL));
  settings = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_SETTINGS_ONLY, &error);
  ck_assert_msg (settings != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (fvc_cache_get_n_rows (settings), 0);
  ck_assert_str_eq (fvc_cache_get_fingerprint (settings), fvc_cache_get_fingerprint (full));
  ck_assert_uint_eq (fvc_cache_get_config (settings)->num_frames, 6);
  ck_assert_uint_eq (fvc_cache_get_config (settings)->size, 112);
  ck_assert_str_eq (fvc_cache_get_config (settings)->augment, "a");
  /* the settings are still checked */
  {
    FvcCacheConfig other = config_with (8, 112, "a");
    ck_assert (fvc_cache_open (dir, &other, FVC_CACHE_OPEN_SETTINGS_ONLY, &error) == NULL);
    FVC_ASSERT_ERROR (error, FVC_ERROR_MISMATCH, "frames (cache 6, requested 8)");
  }
  /* a full open still reads (and refuses) the garbage */
  ck_assert (fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, NULL) == NULL);
}
END_TEST

START_TEST (test_failures_file)
{
  g_autofree char *dir = cache_dir ();
  const char *paths[] = { "a,b.mp4", "c.mp4" };
  const char *reasons[] = { "failed: no video stream", "skipped: too short" };
  g_autofree char *file = g_build_filename (dir, FVC_CACHE_FAILURES_FILE, NULL);
  g_autofree char *contents = NULL;

  ck_assert (fvc_mkdir_p (dir, NULL));
  ck_assert (fvc_cache_write_failures (dir, paths, reasons, 2, NULL));
  ck_assert (g_file_get_contents (file, &contents, NULL, NULL));
  ck_assert_str_eq (contents, "video_path,reason\n\"a,b.mp4\",failed: no video stream\nc.mp4,skipped: too short\n");
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("cache");
  TCase *tc = tcase_create ("core");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_loop_test (tc, test_clip_file_name, 0, G_N_ELEMENTS (name_cases));
  tcase_add_test (tc, test_clip_exact_bytes);
  tcase_add_test (tc, test_clip_round_trip);
  tcase_add_test (tc, test_clip_open_refuses_wrong_tensor);
  tcase_add_test (tc, test_clip_open_refuses_missing_metadata);
  tcase_add_test (tc, test_cache_ini_exact_and_round_trip);
  tcase_add_test (tc, test_cache_mismatch_names_settings);
  tcase_add_test (tc, test_cache_refuses_foreign_directory);
  tcase_add_test (tc, test_cache_repair_after_kill);
  tcase_add_test (tc, test_cache_finalize_canonical_order);
  tcase_add_test (tc, test_cache_concurrent_appends);
  tcase_add_test (tc, test_cache_one_writer_at_a_time);
  tcase_add_test (tc, test_cache_read_refuses_missing);
  tcase_add_test (tc, test_cache_settings_only);
  tcase_add_test (tc, test_failures_file);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (suite ());
}
