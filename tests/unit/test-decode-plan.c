/* test-decode-plan.c — frame numbering of a loaded frame index (fvc-frame-index.h), its file
 * format (the values read back, every damaged line refused with its line number) and the decode
 * plan (fvc-decode-plan.h) on hand-written GOP structures whose spans and costs are worked out
 * by hand in the comments. */
#include "unit-util.h"

#include "fvc-decode-plan.h"
#include "fvc-frame-index.h"

/* flags: 1 keyframe, 2 non-reference, 4 reference info known, 8 IDR */
#define I 13
#define P 4
#define B 6

typedef struct {
  guint frame;   /* presentation-order number */
  guint flags;
} Pkt;

/* Two closed GOPs of 10, IPBB order: decode order I0 P3 B1 B2 P6 B4 B5 P9 B7 B8 | I10 P13 ... */
static const Pkt two_gops[] = {
  { 0, I }, { 3, P }, { 1, B }, { 2, B }, { 6, P }, { 4, B }, { 5, B }, { 9, P }, { 7, B }, { 8, B },
  { 10, I }, { 13, P }, { 11, B }, { 12, B }, { 16, P }, { 14, B }, { 15, B }, { 19, P }, { 17, B }, { 18, B },
};

/* Writes an index file; PTS = 1000 * (frame + 2) (a shifted start, as edit lists make), DTS =
 * 1000 * decode position. @with_pts FALSE writes -1 PTS. */
static FvcFrameIndex *
load_index (const Pkt *pkts, guint n, gboolean with_pts, gboolean ref_info)
{
  g_autoptr (GString) s = g_string_new ("fvc-frame-index 2\nsignature 1 2 x\ncaps video/x-h264\ncontainer-duration 0\nsegment 0 0\n");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  FvcFrameIndex *index;

  g_string_append_printf (s, "packets %u\n", n);
  for (guint i = 0; i < n; i++) {
    guint flags = ref_info ? pkts[i].flags : (pkts[i].flags & 1);
    if (with_pts)
      g_string_append_printf (s, "%u %u %u 100\n", 1000 * (pkts[i].frame + 2), 1000 * i, flags);
    else
      g_string_append_printf (s, "-1 %u %u 100\n", 1000 * i, flags);
  }
  path = fvc_test_write_file ("v.fvcidx", s->str, -1);
  index = fvc_frame_index_load (path, &error);
  ck_assert_msg (index != NULL, "load failed: %s", error ? error->message : "?");
  return index;
}

static void
assert_feeds (const FvcDecodePlan *plan, guint n_packets, const char *expected_mask)
{
  for (guint p = 0; p < n_packets; p++)
    ck_assert_msg (fvc_decode_plan_feeds (plan, p) == (expected_mask[p] == 'x'),
                   "packet %u: expected %s", p, expected_mask[p] == 'x' ? "fed" : "dropped");
}

START_TEST (test_frame_numbers_from_pts)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);

  ck_assert (fvc_frame_index_is_timed (index));
  ck_assert (fvc_frame_index_has_ref_info (index));
  ck_assert_uint_eq (fvc_frame_index_get_n_frames (index), 20);
  ck_assert_uint_eq (fvc_frame_index_count_keyframes (index), 2);
  /* frame 3 is the second packet, frame 1 the third, frame 12 the 14th */
  ck_assert_uint_eq (fvc_frame_index_packet_of_frame (index, 3), 1);
  ck_assert_uint_eq (fvc_frame_index_packet_of_frame (index, 1), 2);
  ck_assert_uint_eq (fvc_frame_index_packet_of_frame (index, 12), 13);
  ck_assert_int_eq (fvc_frame_index_frame_at_pts (index, 1000 * (7 + 2)), 7);
  ck_assert_int_eq (fvc_frame_index_frame_at_pts (index, 1000 * 7), 5);
  ck_assert_int_eq (fvc_frame_index_frame_at_pts (index, 1234), -1);
  /* packet_at checks the DTS too: frame 7 is packet 8 (DTS 8000) */
  ck_assert_int_eq (fvc_frame_index_packet_at (index, 9000, 8000), 8);
  ck_assert_int_eq (fvc_frame_index_packet_at (index, 9000, 7000), -1);
}
END_TEST

START_TEST (test_untimed_without_pts)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), FALSE, TRUE);

  ck_assert (!fvc_frame_index_is_timed (index));
  /* decode order is the only order left */
  ck_assert_uint_eq (fvc_frame_index_packet_of_frame (index, 3), 3);
  ck_assert_int_eq (fvc_frame_index_frame_at_pts (index, 5000), -1);
}
END_TEST

START_TEST (test_untimed_with_duplicate_pts)
{
  Pkt dup[] = { { 0, I }, { 1, P }, { 1, P } };
  g_autoptr (FvcFrameIndex) index = load_index (dup, G_N_ELEMENTS (dup), TRUE, TRUE);

  ck_assert (!fvc_frame_index_is_timed (index));
}
END_TEST

START_TEST (test_plan_two_targets_skip_nonref)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);
  const guint64 targets[] = { 2, 12 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 2, TRUE);
  guint first, last;

  /* frame 2 = packet 3 → span [0,3]; frame 12 = packet 13 → span [10,13]; union 8.
   * Skipped: B1 (packet 2) and B11 (packet 12), non-reference and not targets. */
  ck_assert_uint_eq (fvc_decode_plan_get_n_spans (plan), 2);
  fvc_decode_plan_get_span (plan, 0, &first, &last);
  ck_assert_uint_eq (first, 0);
  ck_assert_uint_eq (last, 3);
  fvc_decode_plan_get_span (plan, 1, &first, &last);
  ck_assert_uint_eq (first, 10);
  ck_assert_uint_eq (last, 13);
  ck_assert_uint_eq (fvc_decode_plan_get_span_union (plan), 8);
  ck_assert_uint_eq (fvc_decode_plan_get_n_fed (plan), 6);
  assert_feeds (plan, 20, "xx.x......xx.x......");
  ck_assert_uint_eq (fvc_decode_plan_get_last_packet (plan), 13);
  ck_assert_int_eq (fvc_decode_plan_next_fed (plan, 4), 10);
  ck_assert_int_eq (fvc_decode_plan_next_fed (plan, 14), -1);
  /* one keyframe seek per target: 4 + 4 */
  ck_assert_uint_eq (fvc_decode_plan_naive_cost (index, targets, 2), 8);
}
END_TEST

START_TEST (test_plan_without_nonref_skipping)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);
  const guint64 targets[] = { 2, 12 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 2, FALSE);

  ck_assert_uint_eq (fvc_decode_plan_get_n_fed (plan), 8);
  assert_feeds (plan, 20, "xxxx......xxxx......");
}
END_TEST

START_TEST (test_plan_no_ref_info_keeps_b_frames)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, FALSE);
  const guint64 targets[] = { 2, 12 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 2, TRUE);

  ck_assert (!fvc_frame_index_has_ref_info (index));
  ck_assert_uint_eq (fvc_decode_plan_get_n_fed (plan), 8);
}
END_TEST

START_TEST (test_plan_overlapping_spans_merge)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);
  /* frame 0 → [0,0], frame 9 → [0,7], frame 19 → [10,17]: two spans, union 8 + 8 = 16;
   * fed: I0 P3 P6 P9 and I10 P13 P16 P19 (every B is skipped) = 8;
   * one seek per target: 1 + 8 + 8 = 17 */
  const guint64 targets[] = { 0, 9, 19 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 3, TRUE);

  ck_assert_uint_eq (fvc_decode_plan_get_n_spans (plan), 2);
  ck_assert_uint_eq (fvc_decode_plan_get_span_union (plan), 16);
  ck_assert_uint_eq (fvc_decode_plan_get_n_fed (plan), 8);
  assert_feeds (plan, 20, "xx..x..x..xx..x..x..");
  ck_assert_uint_eq (fvc_decode_plan_naive_cost (index, targets, 3), 17);
}
END_TEST

START_TEST (test_plan_adjacent_spans_merge)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);
  /* frame 8 → packet 9 → [0,9]; frame 10 → packet 10 → [10,10]: adjacent, one span [0,10] */
  const guint64 targets[] = { 8, 10 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 2, TRUE);
  guint first, last;

  ck_assert_uint_eq (fvc_decode_plan_get_n_spans (plan), 1);
  fvc_decode_plan_get_span (plan, 0, &first, &last);
  ck_assert_uint_eq (first, 0);
  ck_assert_uint_eq (last, 10);
  ck_assert_uint_eq (fvc_decode_plan_get_span_union (plan), 11);
}
END_TEST

START_TEST (test_plan_repeated_and_unsorted_targets)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);
  const guint64 targets[] = { 12, 2, 2 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 3, TRUE);

  ck_assert_uint_eq (fvc_decode_plan_get_n_fed (plan), 6);
  ck_assert_uint_eq (fvc_decode_plan_get_last_packet (plan), 13);
}
END_TEST

START_TEST (test_plan_open_gop_leading_picture)
{
  /* decode order I0 P2 B1 | I4 B3 P6 B5, the second I a non-IDR keyframe whose leading picture
   * B3 (shown before it) may reference the first GOP: the span of frame 3 starts at packet 0. */
  Pkt open_gop[] = { { 0, I }, { 2, P }, { 1, B }, { 4, I }, { 3, B }, { 6, P }, { 5, B } };
  g_autoptr (FvcFrameIndex) index = load_index (open_gop, G_N_ELEMENTS (open_gop), TRUE, TRUE);
  const guint64 targets[] = { 3 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 1, TRUE);
  guint first, last;

  fvc_decode_plan_get_span (plan, 0, &first, &last);
  ck_assert_uint_eq (first, 0);
  ck_assert_uint_eq (last, 4);
  /* fed: I0 P2 I4 B3 (B1 skipped) */
  assert_feeds (plan, 7, "xx.xx..");
}
END_TEST

START_TEST (test_plan_ignores_mislabelled_keyframe)
{
  /* MPEG-2 in MPEG-TS as seen: decode order ... I9 B8, the open-GOP B-frame B8 flagged as a
   * keyframe. It is shown before I9, which was decoded earlier: not a start. Frame 8 needs the
   * GOP before I9 (leading picture), so its span starts at I0. */
  Pkt ts[] = { { 0, I }, { 3, P }, { 1, B }, { 2, B }, { 6, P }, { 4, B }, { 5, B }, { 9, I }, { 7, B }, { 8, I } };
  g_autoptr (FvcFrameIndex) index = load_index (ts, G_N_ELEMENTS (ts), TRUE, FALSE);
  const guint64 targets[] = { 8 };
  g_autoptr (FvcDecodePlan) plan = fvc_decode_plan_new (index, targets, 1, TRUE);
  guint first, last;

  fvc_decode_plan_get_span (plan, 0, &first, &last);
  ck_assert_uint_eq (first, 0);
  ck_assert_uint_eq (last, 9);
}
END_TEST

START_TEST (test_load_rejects_malformed)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = fvc_test_write_file ("bad.fvcidx",
      "fvc-frame-index 2\nsignature 1 2 x\ncaps c\ncontainer-duration 0\nsegment 0 0\npackets 2\n0 0 5 10\n", -1);
  FvcFrameIndex *index = fvc_frame_index_load (path, &error);

  ck_assert (index == NULL);
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "malformed frame index");
  ck_assert_msg (strstr (error->message, ":8:") != NULL, "names line 8: %s", error->message);
}
END_TEST

#define HEADER "fvc-frame-index 2\nsignature 1 2 x\ncaps c\ncontainer-duration 5\nsegment 0 0\n"

START_TEST (test_load_values)
{
  /* No PTS, no DTS, the largest time, flags and size; the last line without its newline. */
  g_autoptr (GError) error = NULL;
  g_autofree char *path = fvc_test_write_file ("v.fvcidx",
      HEADER "packets 3\n-1 -1 0 0\n9223372036854775807 7 15 4294967295\n0 12 13 100", -1);
  g_autoptr (FvcFrameIndex) index = fvc_frame_index_load (path, &error);
  const FvcPacket *p;

  ck_assert_msg (index != NULL, "load failed: %s", error ? error->message : "?");
  ck_assert_uint_eq (fvc_frame_index_get_n_frames (index), 3);
  ck_assert_str_eq (fvc_frame_index_get_caps (index), "c");
  ck_assert_uint_eq (fvc_frame_index_get_container_duration (index), 5);
  p = fvc_frame_index_get_packet (index, 0);
  ck_assert (p->pts == FVC_TIME_NONE && p->dts == FVC_TIME_NONE && p->flags == 0 && p->size == 0);
  p = fvc_frame_index_get_packet (index, 1);
  ck_assert (p->pts == G_MAXINT64 && p->dts == 7 && p->flags == 15 && p->size == G_MAXUINT32);
  p = fvc_frame_index_get_packet (index, 2);
  ck_assert (p->pts == 0 && p->dts == 12 && p->flags == 13 && p->size == 100);
}
END_TEST

START_TEST (test_load_save_round_trip)
{
  g_autoptr (FvcFrameIndex) index = load_index (two_gops, G_N_ELEMENTS (two_gops), TRUE, TRUE);
  g_autofree char *path = g_build_filename (fvc_test_dir, "copy.fvcidx", NULL);
  g_autoptr (FvcFrameIndex) copy = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (fvc_frame_index_save (index, path, &error));
  copy = fvc_frame_index_load (path, &error);
  ck_assert_msg (copy != NULL, "load failed: %s", error ? error->message : "?");
  ck_assert_uint_eq (fvc_frame_index_get_n_frames (copy), fvc_frame_index_get_n_frames (index));
  for (guint i = 0; i < fvc_frame_index_get_n_frames (index); i++) {
    const FvcPacket *a = fvc_frame_index_get_packet (index, i), *b = fvc_frame_index_get_packet (copy, i);
    ck_assert (a->pts == b->pts && a->dts == b->dts && a->flags == b->flags && a->size == b->size &&
               a->frame == b->frame);
  }
}
END_TEST

/* A NUL ends the text where it is: what follows is not read. */
#define NUL_INSIDE HEADER "packets 2\n0 0 5 10\0\n1 1 5 10\n"

/* Damaged index files and the line each must be refused at. */
static const struct {
  const char *text;
  guint line;
  gsize len;    /* 0: strlen (text) */
} damaged[] = {
  { "", 1 },
  { "fvc-frame-index 3\n", 1 },
  /* Version 1 counted Theora's in-band headers as pictures: refused, so the video is indexed again. */
  { "fvc-frame-index 1\nsignature 1 2 x\ncaps c\ncontainer-duration 0\nsegment 0 0\npackets 1\n0 0 1 10\n", 1 },
  { "fvc-frame-index 2\n", 2 },
  { "fvc-frame-index 2\nsignature 1 2 x\ncaps c\ncontainer-duration x\n", 4 },
  { "fvc-frame-index 2\nsignature 1 2 x\ncaps c\ncontainer-duration 0\nsegment 0\n", 5 },
  { HEADER "packets 0\n", 6 },
  { HEADER "packets 4294967296\n", 6 },
  { HEADER "packets 1", 7 },
  { HEADER "packets 1\n", 7 },
  { HEADER "packets 2\n0 0 5 10\n", 8 },
  { HEADER "packets 2\n0 0 5 10", 8 },
  { HEADER "packets 1\n0 0 5\n", 7 },                   /* a field missing */
  { HEADER "packets 1\n0 0 5 10 1\n", 7 },              /* one too many */
  { HEADER "packets 1\n0  0 5 10\n", 7 },               /* two spaces */
  { HEADER "packets 1\n 0 0 5 10\n", 7 },               /* leading blank */
  { HEADER "packets 1\n0 0 5 10 \n", 7 },               /* trailing blank */
  { HEADER "packets 1\n0 0 5 10\r\n", 7 },              /* CRLF */
  { HEADER "packets 1\n0\t0 5 10\n", 7 },               /* a tab */
  { HEADER "packets 1\n-2 0 5 10\n", 7 },               /* below -1 */
  { HEADER "packets 1\n9223372036854775808 0 5 10\n", 7 },
  { HEADER "packets 1\nx 0 5 10\n", 7 },
  { HEADER "packets 1\n- 0 5 10\n", 7 },
  { HEADER "packets 1\n0 0x1 5 10\n", 7 },
  { HEADER "packets 1\n0 0 16 10\n", 7 },               /* flags 0..15 */
  { HEADER "packets 1\n0 0 -1 10\n", 7 },
  { HEADER "packets 1\n0 0 +1 10\n", 7 },
  { HEADER "packets 1\n0 0 5 4294967296\n", 7 },        /* size beyond 32 bits */
  { HEADER "packets 1\n0 0 5 -10\n", 7 },
  { HEADER "packets 1\n0 0 5 1e3\n", 7 },
  { HEADER "packets 3\n0 0 5 10\n1 1 5 10\n2 2 5\n", 9 },
  { HEADER "packets 2\n0 0 5 10\n\n1 1 5 10\n", 8 },   /* an empty line */
  { NUL_INSIDE, 8, sizeof (NUL_INSIDE) - 1 },
};

START_TEST (test_load_rejects_damaged)
{
  g_autoptr (GError) error = NULL;
  gsize len = damaged[_i].len ? damaged[_i].len : strlen (damaged[_i].text);
  g_autofree char *path = fvc_test_write_file ("bad.fvcidx", damaged[_i].text, (gssize) len);
  FvcFrameIndex *index = fvc_frame_index_load (path, &error);

  ck_assert_msg (index == NULL, "case %d accepted", _i);
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "malformed frame index");
  FVC_ASSERT_ERROR_AT (error, path, damaged[_i].line);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("decode-plan");
  TCase *tc = tcase_create ("core");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_test (tc, test_frame_numbers_from_pts);
  tcase_add_test (tc, test_untimed_without_pts);
  tcase_add_test (tc, test_untimed_with_duplicate_pts);
  tcase_add_test (tc, test_plan_two_targets_skip_nonref);
  tcase_add_test (tc, test_plan_without_nonref_skipping);
  tcase_add_test (tc, test_plan_no_ref_info_keeps_b_frames);
  tcase_add_test (tc, test_plan_overlapping_spans_merge);
  tcase_add_test (tc, test_plan_adjacent_spans_merge);
  tcase_add_test (tc, test_plan_repeated_and_unsorted_targets);
  tcase_add_test (tc, test_plan_open_gop_leading_picture);
  tcase_add_test (tc, test_plan_ignores_mislabelled_keyframe);
  tcase_add_test (tc, test_load_rejects_malformed);
  tcase_add_test (tc, test_load_values);
  tcase_add_test (tc, test_load_save_round_trip);
  tcase_add_loop_test (tc, test_load_rejects_damaged, 0, G_N_ELEMENTS (damaged));
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (suite ());
}
