/* test-clip-structure.c — the clip caps and the "fvc/clip" structure (fvc-clip-structure.h):
 * round trips, the exact field set and types the elements rely on, and the refusals (a missing
 * required field, a field of the wrong type, another structure or caps). */
#include "unit-util.h"

#include "fvc-clip-structure.h"
#include "fvc-provenance.h"

static FvcClipProvenance
sample_provenance (void)
{
  FvcClipProvenance prov = { { 0 } };

  prov.info.video_path = (char *) "videos/fake/a b,\"c\".mp4";
  prov.info.label = 1;
  prov.info.augmentation_idx = 3;
  prov.info.seed = 4000000000u;   /* above G_MAXINT: a uint, not an int */
  prov.info.frame_indices = (char *) "0,60,120";
  prov.info.pts_ns = (char *) "0,2000000000,4000000000";
  prov.info.config = (char *) "[cache]\nframes=3\n";
  prov.clip_file = (char *) "/cache/clips/a_b__c_-12345678_aug3.safetensors";
  return prov;
}

static void
assert_provenance_eq (const FvcClipProvenance *a, const FvcClipProvenance *b)
{
  ck_assert_str_eq (a->info.video_path, b->info.video_path);
  ck_assert_int_eq (a->info.label, b->info.label);
  ck_assert_int_eq (a->info.augmentation_idx, b->info.augmentation_idx);
  ck_assert_uint_eq (a->info.seed, b->info.seed);
  ck_assert_str_eq (a->info.frame_indices, b->info.frame_indices);
  ck_assert_str_eq (a->info.pts_ns, b->info.pts_ns);
  ck_assert_pstr_eq (a->info.config, b->info.config);
  ck_assert_pstr_eq (a->clip_file, b->clip_file);
}

START_TEST (test_structure_round_trip)
{
  FvcClipProvenance in = sample_provenance ();
  g_auto (FvcClipProvenance) out = { { 0 } };
  g_autoptr (GError) error = NULL;
  GstStructure *s = fvc_clip_structure_new (&in);

  ck_assert (fvc_clip_structure_parse (s, FVC_CLIP_FIELDS_PROVENANCE | FVC_CLIP_FIELD_CONFIG | FVC_CLIP_FIELD_CLIP_FILE,
                                       &out, &error));
  assert_provenance_eq (&out, &in);
  gst_structure_free (s);
}
END_TEST

/* What fvcclip sends (no config, no clip-file), field for field, in the contract's order. */
START_TEST (test_structure_fields)
{
  FvcClipProvenance in = sample_provenance ();
  static const struct {
    const char *name;
    GType type;
  } expected[] = {
    { "video-path", G_TYPE_STRING }, { "label", G_TYPE_INT }, { "augmentation-idx", G_TYPE_INT },
    { "seed", G_TYPE_UINT }, { "frame-indices", G_TYPE_STRING }, { "pts-ns", G_TYPE_STRING },
  };
  g_auto (FvcClipProvenance) out = { { 0 } };
  g_autoptr (GError) error = NULL;
  GstStructure *s;

  in.info.config = NULL;
  in.clip_file = NULL;
  s = fvc_clip_structure_new (&in);
  ck_assert_str_eq (gst_structure_get_name (s), FVC_CLIP_STRUCTURE_NAME);
  ck_assert_int_eq (gst_structure_n_fields (s), G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    ck_assert_str_eq (gst_structure_nth_field_name (s, i), expected[i].name);
    ck_assert (gst_structure_get_field_type (s, expected[i].name) == expected[i].type);
  }
  ck_assert (fvc_clip_structure_parse (s, FVC_CLIP_FIELDS_PROVENANCE, &out, &error));
  assert_provenance_eq (&out, &in);
  gst_structure_free (s);
}
END_TEST

/* An unknown video (fvcclip without fvcsample upstream): "" and -1, not absent fields. */
START_TEST (test_structure_unknown_video)
{
  FvcClipProvenance in = { { 0 } };
  g_auto (FvcClipProvenance) out = { { 0 } };
  g_autoptr (GError) error = NULL;
  GstStructure *s;

  in.info.label = -1;
  in.info.augmentation_idx = -1;
  s = fvc_clip_structure_new (&in);
  ck_assert_str_eq (gst_structure_get_string (s, "video-path"), "");
  ck_assert_str_eq (gst_structure_get_string (s, "frame-indices"), "");
  ck_assert (fvc_clip_structure_parse (s, FVC_CLIP_FIELDS_PROVENANCE, &out, &error));
  ck_assert_str_eq (out.info.video_path, "");
  ck_assert_int_eq (out.info.label, -1);
  ck_assert_ptr_null (out.info.config);
  ck_assert_ptr_null (out.clip_file);
  gst_structure_free (s);
}
END_TEST

/* Every field, once removed: refused when required, defaulted when not. */
static const struct {
  const char *name;
  FvcClipFields field;
} removable[] = {
  { "video-path", FVC_CLIP_FIELD_VIDEO_PATH },
  { "label", FVC_CLIP_FIELD_LABEL },
  { "augmentation-idx", FVC_CLIP_FIELD_AUGMENTATION_IDX },
  { "seed", FVC_CLIP_FIELD_SEED },
  { "frame-indices", FVC_CLIP_FIELD_FRAME_INDICES },
  { "pts-ns", FVC_CLIP_FIELD_PTS_NS },
  { "config", FVC_CLIP_FIELD_CONFIG },
  { "clip-file", FVC_CLIP_FIELD_CLIP_FILE },
};

START_TEST (test_structure_missing_field)
{
  FvcClipProvenance in = sample_provenance ();
  g_auto (FvcClipProvenance) out = { { 0 } };
  g_autoptr (GError) error = NULL;
  GstStructure *s = fvc_clip_structure_new (&in);
  g_autofree char *needle = g_strdup_printf ("without \"%s\"", removable[_i].name);

  gst_structure_remove_field (s, removable[_i].name);
  ck_assert (!fvc_clip_structure_parse (s, removable[_i].field, &out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, needle);
  ck_assert_ptr_null (out.info.video_path);
  ck_assert_ptr_null (out.clip_file);
  g_clear_error (&error);

  /* not required: the other fields still come through */
  ck_assert (fvc_clip_structure_parse (s, 0, &out, &error));
  ck_assert_int_eq (out.info.label, removable[_i].field == FVC_CLIP_FIELD_LABEL ? -1 : 1);
  ck_assert_int_eq (out.info.augmentation_idx, removable[_i].field == FVC_CLIP_FIELD_AUGMENTATION_IDX ? -1 : 3);
  ck_assert_uint_eq (out.info.seed, removable[_i].field == FVC_CLIP_FIELD_SEED ? 0 : 4000000000u);
  if (removable[_i].field == FVC_CLIP_FIELD_VIDEO_PATH)
    ck_assert_ptr_null (out.info.video_path);
  else
    ck_assert_str_eq (out.info.video_path, in.info.video_path);
  if (removable[_i].field == FVC_CLIP_FIELD_CLIP_FILE)
    ck_assert_ptr_null (out.clip_file);
  else
    ck_assert_str_eq (out.clip_file, in.clip_file);
  gst_structure_free (s);
}
END_TEST

/* A field of the wrong type is refused even when the reader does not need it. */
static const struct {
  const char *name;
  GType type;
  const char *value;       /* deserialised with the type */
} wrong_types[] = {
  { "video-path", G_TYPE_INT, "7" },
  { "label", G_TYPE_STRING, "1" },
  { "label", G_TYPE_UINT, "1" },
  { "augmentation-idx", G_TYPE_DOUBLE, "0" },
  { "seed", G_TYPE_INT, "42" },
  { "seed", G_TYPE_UINT64, "42" },
  { "frame-indices", G_TYPE_UINT, "0" },
  { "pts-ns", G_TYPE_INT64, "0" },
  { "config", G_TYPE_BOOLEAN, "true" },
  { "clip-file", G_TYPE_INT, "1" },
};

START_TEST (test_structure_wrong_type)
{
  FvcClipProvenance in = sample_provenance ();
  g_auto (FvcClipProvenance) out = { { 0 } };
  g_autoptr (GError) error = NULL;
  GstStructure *s = fvc_clip_structure_new (&in);
  GValue v = G_VALUE_INIT;
  g_autofree char *needle = g_strdup_printf ("\"%s\" is a %s", wrong_types[_i].name, g_type_name (wrong_types[_i].type));

  g_value_init (&v, wrong_types[_i].type);
  ck_assert (gst_value_deserialize (&v, wrong_types[_i].value));
  gst_structure_take_value (s, wrong_types[_i].name, &v);
  ck_assert (!fvc_clip_structure_parse (s, FVC_CLIP_FIELDS_PROVENANCE, &out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, needle);
  g_clear_error (&error);
  ck_assert (!fvc_clip_structure_parse (s, 0, &out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, needle);
  ck_assert_ptr_null (out.info.video_path);
  gst_structure_free (s);
}
END_TEST

START_TEST (test_structure_wrong_name)
{
  g_auto (FvcClipProvenance) out = { { 0 } };
  g_autoptr (GError) error = NULL;
  GstStructure *s = gst_structure_new (FVC_VIDEO_EVENT_NAME, "label", G_TYPE_INT, 1, NULL);

  ck_assert (!fvc_clip_structure_parse (s, 0, &out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "\"fvc/video\" structure, not \"fvc/clip\"");
  gst_structure_free (s);
}
END_TEST

/* ---- caps ----------------------------------------------------------------------------------- */

START_TEST (test_caps_round_trip)
{
  FvcClipShape in = { 16, 112, 224 }, out = { 0 };
  g_autoptr (GError) error = NULL;
  GstCaps *caps = fvc_clip_caps_new (&in);
  g_autoptr (GstCaps) tmpl = gst_caps_from_string (FVC_CLIP_CAPS);
  GstCaps *expected = gst_caps_from_string ("application/x-fvc-clip, frames=(int)16, width=(int)224, "
                                            "height=(int)112, format=(string)RGB");

  ck_assert (gst_caps_is_fixed (caps));
  ck_assert (gst_caps_is_equal (caps, expected));
  ck_assert (gst_caps_is_subset (caps, tmpl));
  ck_assert (fvc_clip_caps_parse (caps, &out, &error));
  ck_assert_uint_eq (out.frames, 16);
  ck_assert_uint_eq (out.height, 112);
  ck_assert_uint_eq (out.width, 224);
  ck_assert_uint_eq (fvc_clip_shape_bytes (&out), (gsize) 16 * 112 * 224 * 3);
  gst_caps_unref (caps);
  gst_caps_unref (expected);
}
END_TEST

static const char *const bad_caps[] = {
  "application/x-fvc-clip, width=(int)8, height=(int)8, format=(string)RGB",
  "application/x-fvc-clip, frames=(int)2, height=(int)8, format=(string)RGB",
  "application/x-fvc-clip, frames=(int)2, width=(int)8, format=(string)RGB",
  "application/x-fvc-clip, frames=(string)2, width=(int)8, height=(int)8, format=(string)RGB",
  "application/x-fvc-clip, frames=(int)0, width=(int)8, height=(int)8, format=(string)RGB",
  "application/x-fvc-clip, frames=(int)2, width=(int)8, height=(int)8, format=(string)BGR",
  "application/x-fvc-clip, frames=(int)2, width=(int)8, height=(int)8",
  "video/x-raw, frames=(int)2, width=(int)8, height=(int)8, format=(string)RGB",
};

START_TEST (test_caps_refused)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (bad_caps[_i]);
  g_autoptr (GError) error = NULL;
  FvcClipShape out = { 0 };

  ck_assert_ptr_nonnull (caps);
  ck_assert (!fvc_clip_caps_parse (caps, &out, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "are not application/x-fvc-clip");
}
END_TEST

static Suite *
clip_structure_suite (void)
{
  Suite *s = suite_create ("clip-structure");
  TCase *tc = tcase_create ("clip-structure");

  tcase_add_test (tc, test_structure_round_trip);
  tcase_add_test (tc, test_structure_fields);
  tcase_add_test (tc, test_structure_unknown_video);
  tcase_add_loop_test (tc, test_structure_missing_field, 0, G_N_ELEMENTS (removable));
  tcase_add_loop_test (tc, test_structure_wrong_type, 0, G_N_ELEMENTS (wrong_types));
  tcase_add_test (tc, test_structure_wrong_name);
  tcase_add_test (tc, test_caps_round_trip);
  tcase_add_loop_test (tc, test_caps_refused, 0, G_N_ELEMENTS (bad_caps));
  suite_add_tcase (s, tc);
  return s;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  return fvc_test_run_suite (clip_structure_suite ());
}
