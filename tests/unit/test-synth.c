/* test-synth.c — the synthetic dataset's libfvc side (fvc-synth.h): video naming and kinds, the
 * index text, relative paths, config validation, frame rendering (deterministic; a fake differs
 * from its real only around the face) and the MP4 time-field fixup on hand-built boxes. Encoding
 * is covered by tests/integration/synth-determinism.sh. */
#include "unit-util.h"

#include "fvc-synth.h"

static FvcSynthConfig
small_config (guint sources, guint fakes)
{
  FvcSynthConfig cfg;
  fvc_synth_config_init (&cfg);
  cfg.n_sources = sources;
  cfg.fakes_per_source = fakes;
  cfg.width = 64;
  cfg.height = 48;
  cfg.n_frames = 4;
  return cfg;
}

START_TEST (test_defaults)
{
  FvcSynthConfig cfg;
  fvc_synth_config_init (&cfg);
  ck_assert_uint_eq (cfg.n_sources, 8);
  ck_assert_uint_eq (cfg.fakes_per_source, 3);
  ck_assert_uint_eq (cfg.n_frames, 48);
  ck_assert_uint_eq (cfg.width, 160);
  ck_assert_uint_eq (cfg.height, 120);
  ck_assert_uint_eq (cfg.fps, 24);
  ck_assert_uint_eq (fvc_synth_n_videos (&cfg), 32);
  ck_assert (fvc_synth_config_validate (&cfg, NULL));
}
END_TEST

static const struct {
  const char *field;
  guint value;
  const char *needle;
} bad_configs[] = {
  { "sources", 0, "sources" },      { "sources", 1001, "sources" }, { "fakes", 100, "fakes" },
  { "frames", 0, "frames" },        { "width", 63, "width" },      { "width", 8, "width" },
  { "height", 4098, "height" },     { "fps", 0, "fps" },           { "fps", 241, "fps" },
};

START_TEST (test_bad_config)
{
  FvcSynthConfig cfg = small_config (2, 1);
  g_autoptr (GError) error = NULL;
  const char *f = bad_configs[_i].field;
  guint v = bad_configs[_i].value;

  if (g_str_equal (f, "sources"))
    cfg.n_sources = v;
  else if (g_str_equal (f, "fakes"))
    cfg.fakes_per_source = v;
  else if (g_str_equal (f, "frames"))
    cfg.n_frames = v;
  else if (g_str_equal (f, "width"))
    cfg.width = v;
  else if (g_str_equal (f, "height"))
    cfg.height = v;
  else
    cfg.fps = v;
  ck_assert (!fvc_synth_config_validate (&cfg, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, bad_configs[_i].needle);
}
END_TEST

START_TEST (test_describe)
{
  FvcSynthConfig cfg = small_config (3, 4);
  FvcSynthVideo v;
  guint kinds[FVC_SYNTH_N_KINDS] = { 0 };

  ck_assert_uint_eq (fvc_synth_n_videos (&cfg), 15);
  fvc_synth_describe (&cfg, 0, &v);
  ck_assert_str_eq (v.name, "real_000.mp4");
  ck_assert_str_eq (v.group, "src_000");
  ck_assert_uint_eq (v.kind, FVC_SYNTH_REAL);
  ck_assert_uint_eq (v.donor, 0);
  ck_assert (v.strength == 0);

  fvc_synth_describe (&cfg, 7, &v);
  ck_assert_str_eq (v.name, "fake_001_01.mp4");
  ck_assert_str_eq (v.group, "src_001");
  ck_assert_uint_eq (v.source, 1);
  ck_assert_uint_eq (v.fake, 2);
  ck_assert_uint_eq (v.donor, FVC_SYNTH_DONOR_BASE + 100 + 2);
  ck_assert (v.strength >= 0.5 && v.strength < 1.0);

  fvc_synth_describe (&cfg, 10, &v);
  ck_assert_str_eq (v.name, "real_002.mp4");

  /* Four fakes per source: every kind appears once per source. */
  for (guint i = 0; i < 5; i++) {
    fvc_synth_describe (&cfg, i, &v);
    kinds[v.kind]++;
  }
  for (guint k = 0; k < FVC_SYNTH_N_KINDS; k++)
    ck_assert_uint_eq (kinds[k], 1);
  ck_assert_str_eq (fvc_synth_kind_name (FVC_SYNTH_GHOST), "ghost");
}
END_TEST

START_TEST (test_strength_independent_of_dataset_size)
{
  /* A video's draws depend on (seed, source, fake) only, not on --sources or --fakes. */
  FvcSynthConfig a = small_config (2, 3), b = small_config (9, 5);
  FvcSynthVideo va, vb;

  fvc_synth_describe (&a, 1 * 4 + 2, &va);
  fvc_synth_describe (&b, 1 * 6 + 2, &vb);
  ck_assert_str_eq (va.name, vb.name);
  ck_assert (va.strength == vb.strength);
  b.seed = a.seed + 1;
  fvc_synth_describe (&b, 1 * 6 + 2, &vb);
  ck_assert (va.strength != vb.strength);
}
END_TEST

START_TEST (test_format_index)
{
  FvcSynthConfig cfg = small_config (2, 1);
  g_autofree char *csv = fvc_synth_format_index (&cfg, "../videos/synth");
  g_autofree char *flat = fvc_synth_format_index (&cfg, ".");

  ck_assert_str_eq (csv, "video_path,label,group\n"
                         "../videos/synth/real_000.mp4,real,src_000\n"
                         "../videos/synth/fake_000_00.mp4,fake,src_000\n"
                         "../videos/synth/real_001.mp4,real,src_001\n"
                         "../videos/synth/fake_001_00.mp4,fake,src_001\n");
  ck_assert_str_eq (flat, "video_path,label,group\n"
                          "real_000.mp4,real,src_000\n"
                          "fake_000_00.mp4,fake,src_000\n"
                          "real_001.mp4,real,src_001\n"
                          "fake_001_00.mp4,fake,src_001\n");
}
END_TEST

static const struct {
  const char *from, *to, *want;
} rel_cases[] = {
  { "data", "videos/synth", "../videos/synth" },
  { "data", "data/videos", "videos" },
  { ".", "videos/synth", "videos/synth" },
  { "videos", "videos", "." },
  { "a/b/c", "a/x", "../../x" },
  { "/srv/p/data", "/srv/p/videos/synth", "../videos/synth" },
  { "/", "/v", "v" },
  { "data/./sub/..", "videos", "../videos" },
};

START_TEST (test_relative_path)
{
  g_autofree char *got = fvc_synth_relative_path (rel_cases[_i].from, rel_cases[_i].to);
  ck_assert_msg (g_str_equal (got, rel_cases[_i].want), "(%s, %s): got %s, want %s", rel_cases[_i].from,
                 rel_cases[_i].to, got, rel_cases[_i].want);
}
END_TEST

START_TEST (test_render)
{
  FvcSynthConfig cfg = small_config (2, 2);
  const gsize size = 64 * 48 * 3 / 2;
  g_autofree guint8 *real = g_malloc (size), *real2 = g_malloc (size), *fake = g_malloc (size);
  g_autofree guint8 *next = g_malloc (size);
  guint diff_border = 0, diff_centre = 0;

  fvc_synth_render_frame (&cfg, 3, 2, real);   /* real_001, frame 2 */
  fvc_synth_render_frame (&cfg, 3, 2, real2);
  ck_assert_mem_eq (real, real2, size);
  fvc_synth_render_frame (&cfg, 3, 3, next);
  ck_assert (memcmp (real, next, size) != 0);
  fvc_synth_render_frame (&cfg, 4, 2, fake);   /* fake_001_00, frame 2 */

  /* Luma: the same background and grain at the left and right edges, a different face inside. */
  for (guint y = 0; y < 48; y++)
    for (guint x = 0; x < 64; x++) {
      guint i = y * 64 + x;
      if (x < 4 || x >= 60)
        diff_border += real[i] != fake[i];
      else if (x >= 24 && x < 40 && y >= 16 && y < 32)
        diff_centre += real[i] != fake[i];
    }
  ck_assert_uint_eq (diff_border, 0);
  ck_assert_uint_gt (diff_centre, 16 * 16 / 2);
}
END_TEST

/* ---- MP4 times ---------------------------------------------------------------------------------- */

static void
put_box (GByteArray *a, guint32 size, const char *type)
{
  guint8 h[8] = { size >> 24, size >> 16, size >> 8, size, type[0], type[1], type[2], type[3] };
  g_byte_array_append (a, h, 8);
}

static void
put_fill (GByteArray *a, guint8 value, guint n)
{
  for (guint i = 0; i < n; i++)
    g_byte_array_append (a, &value, 1);
}

/* ftyp(16) moov(8 + mvhd(8+4+8+8) + trak(8 + tkhd(8+4+16+8) + mdia(8 + mdhd(8+4+8+4)))) mdat(12) */
static GByteArray *
build_mp4 (void)
{
  GByteArray *a = g_byte_array_new ();
  guint8 v0[4] = { 0, 0, 0, 0 }, v1[4] = { 1, 0, 0, 0 };

  put_box (a, 16, "ftyp");
  put_fill (a, 0x66, 8);
  put_box (a, 8 + 28 + 8 + 36 + 8 + 24, "moov");
  put_box (a, 28, "mvhd");
  g_byte_array_append (a, v0, 4);
  put_fill (a, 0xAA, 8);        /* creation + modification, 4 bytes each */
  put_fill (a, 0x77, 8);        /* timescale, duration: kept */
  put_box (a, 8 + 36 + 8 + 24, "trak");
  put_box (a, 36, "tkhd");
  g_byte_array_append (a, v1, 4);
  put_fill (a, 0xBB, 16);       /* version 1: 8 bytes each */
  put_fill (a, 0x77, 8);
  put_box (a, 8 + 24, "mdia");
  put_box (a, 24, "mdhd");
  g_byte_array_append (a, v0, 4);
  put_fill (a, 0xCC, 8);
  put_fill (a, 0x77, 4);
  put_box (a, 12, "mdat");
  put_fill (a, 0xAA, 4);        /* looks like times but is media data: kept */
  return a;
}

START_TEST (test_mp4_clear_times)
{
  g_autoptr (GByteArray) a = build_mp4 ();
  g_autoptr (GByteArray) orig = build_mp4 ();
  g_autoptr (GError) error = NULL;
  guint changed = 0;

  ck_assert (fvc_mp4_clear_times (a->data, a->len, "mem.mp4", &error));
  ck_assert_ptr_null (error);
  for (guint i = 0; i < a->len; i++) {
    if (a->data[i] != orig->data[i]) {
      ck_assert_uint_eq (a->data[i], 0);
      changed++;
    }
  }
  ck_assert_uint_eq (changed, 8 + 16 + 8);
  /* Nothing outside the time fields: the 0x77 fields and the mdat survive. */
  ck_assert_uint_eq (a->data[a->len - 1], 0xAA);
}
END_TEST

START_TEST (test_mp4_malformed)
{
  g_autoptr (GByteArray) a = build_mp4 ();
  g_autoptr (GError) error = NULL;

  /* moov claims more bytes than the file has. */
  a->data[16 + 3] = 0xF0;
  ck_assert (!fvc_mp4_clear_times (a->data, a->len, "bad.mp4", &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "bad.mp4");
  g_clear_error (&error);
  /* A box smaller than its header. */
  a = (g_byte_array_unref (a), build_mp4 ());
  a->data[3] = 4;
  ck_assert (!fvc_mp4_clear_times (a->data, a->len, "tiny.mp4", &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "offset 0");
}
END_TEST

static Suite *
synth_suite (void)
{
  Suite *s = suite_create ("synth");
  TCase *tc = tcase_create ("synth");

  tcase_add_test (tc, test_defaults);
  tcase_add_loop_test (tc, test_bad_config, 0, G_N_ELEMENTS (bad_configs));
  tcase_add_test (tc, test_describe);
  tcase_add_test (tc, test_strength_independent_of_dataset_size);
  tcase_add_test (tc, test_format_index);
  tcase_add_loop_test (tc, test_relative_path, 0, G_N_ELEMENTS (rel_cases));
  tcase_add_test (tc, test_render);
  tcase_add_test (tc, test_mp4_clear_times);
  tcase_add_test (tc, test_mp4_malformed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (synth_suite ());
}
