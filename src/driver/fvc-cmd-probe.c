/* fvc-cmd-probe.c — `fvc-stream probe VIDEO...`: the frame index of each video (frame count,
 * keyframes, reference information, what the container promises) and, for a sampling, the
 * decode plan with its cost against the alternatives. Read-only; for looking at real files. */
#include "fvc-cli.h"

#include "fvc-decode-plan.h"
#include "fvc-error.h"
#include "fvc-frame-index.h"
#include "fvc-pipeline.h"
#include "fvc-sampler.h"
#include "fvc-seed.h"

#include <stdio.h>

/* One line per packet in decode order; with a plan, whether the decoder is fed it (what the
 * decode-floor benchmark replays with libavcodec alone). */
static void
print_packets (const FvcFrameIndex *index, const FvcDecodePlan *plan)
{
  guint n = fvc_frame_index_get_n_frames (index);

  printf ("  packet  frame  pts-ns  dts-ns  flags  bytes  plan\n");
  for (guint i = 0; i < n; i++) {
    const FvcPacket *p = fvc_frame_index_get_packet (index, i);
    printf ("  %6u %6u %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s%s %u %s\n", i, p->frame,
            p->pts == FVC_TIME_NONE ? -1 : (gint64) p->pts, p->dts == FVC_TIME_NONE ? -1 : (gint64) p->dts,
            (p->flags & FVC_PACKET_KEYFRAME) ? "K" : "-", (p->flags & FVC_PACKET_NONREF) ? "n" : "r", p->size,
            plan == NULL ? "-" : fvc_decode_plan_feeds (plan, i) ? "feed" : "skip");
  }
}

gboolean
fvc_cmd_probe (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("VIDEO... - frame index and decode plan of videos");
  gint num_frames = 6;
  g_autofree char *strategy = NULL;
  g_autofree char *frames_text = NULL;
  gboolean packets = FALSE;
  GOptionEntry entries[] = {
    { "num-frames", 'n', 0, G_OPTION_ARG_INT, &num_frames, "Frames per clip (default 6)", "N" },
    { "strategy", 0, 0, G_OPTION_ARG_STRING, &strategy, "uniform (default) or random-segment", "NAME" },
    { "frames", 0, 0, G_OPTION_ARG_STRING, &frames_text, "Explicit frame numbers instead, e.g. 0,60,120", "LIST" },
    { "packets", 0, 0, G_OPTION_ARG_NONE, &packets, "List every packet (decode order) and whether the plan feeds it", NULL },
    { NULL },
  };
  gboolean all_ok = TRUE;
  FvcSampleSpec base_spec = { .strategy = FVC_SAMPLE_UNIFORM, .short_video = FVC_SHORT_VIDEO_PAD };
  g_autofree guint *explicit_u = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Example:\n  fvc-stream probe --num-frames 6 videos/synth/real_000.mp4\n\n"
      "Frame numbers are decodable frames in presentation order, from a demux-only pass.");
  if (!fvc_cli_parse (ctx, &argc, &argv, error))
    return FALSE;
  if (argc < 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "no video given");
    return FALSE;
  }
  if (num_frames < 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--num-frames must be at least 1");
    return FALSE;
  }
  base_spec.num_frames = (guint) num_frames;

  /* The sampling, once for all videos (each gets its own seed): a bad option fails before
   * any file is read. */
  if (frames_text != NULL) {
    if (!fvc_sample_spec_set_explicit (&base_spec, frames_text, &explicit_u, error))
      return FALSE;
  } else if (strategy != NULL && !fvc_sample_strategy_from_name (strategy, &base_spec.strategy)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown strategy \"%s\"", strategy);
    return FALSE;
  }

  for (int a = 1; a < argc; a++) {
    g_autoptr (GError) local = NULL;
    g_autoptr (FvcFrameIndex) index = fvc_frame_index_build (argv[a], &local);
    FvcSampleSpec spec = base_spec;
    g_autofree guint64 *targets = NULL;
    g_autofree char *targets_text = NULL;
    g_autoptr (FvcDecodePlan) plan = NULL;
    guint n, n_frames;
    FvcCompleteness completeness;
    g_autoptr (GstElementFactory) decoder = NULL;

    if (index == NULL) {
      fprintf (stderr, "%s\n", local->message);
      all_ok = FALSE;
      continue;
    }
    n_frames = fvc_frame_index_get_n_frames (index);
    fvc_frame_index_is_complete (index, &completeness);
    decoder = fvc_pipeline_find_decoder (fvc_frame_index_get_caps (index));
    printf ("%s\n  caps: %s\n  decoder: %s\n  frames: %u decodable, %u keyframes; container duration %.3f s, frames end at %.3f s%s\n"
            "  timestamps identify frames: %s; reference information: %s\n",
            argv[a], fvc_frame_index_get_caps (index),
            decoder != NULL ? GST_OBJECT_NAME (decoder) : "none installed (the video would fail)", n_frames, fvc_frame_index_count_keyframes (index),
            completeness.promised_ns / 1e9, completeness.present_ns / 1e9,
            completeness.complete ? "" : " (INCOMPLETE: cut file or lying header)",
            fvc_frame_index_is_timed (index) ? "yes" : "no", fvc_frame_index_has_ref_info (index) ? "yes" : "no");
    spec.seed = fvc_seed_from_path (argv[a]);
    n = fvc_sample_spec_count (&spec);
    targets = g_new (guint64, n);
    if (!fvc_sample_frames (&spec, n_frames, argv[a], targets, &local)) {
      printf ("  sampling: %s\n", local->message);
      all_ok = FALSE;
      continue;
    }
    targets_text = fvc_format_index_list (targets, n);
    printf ("  targets: %s\n", targets_text);
    if (!fvc_frame_index_is_timed (index)) {
      printf ("  plan: none (no usable timestamps): every frame up to the last target is decoded\n");
      if (packets)
        print_packets (index, NULL);
      continue;
    }
    plan = fvc_decode_plan_new (index, targets, n, TRUE);
    printf ("  plan: feed %u of %u packets in %u span(s); keyframe→target union %u; "
            "seeking to the keyframe before each target: %" G_GUINT64_FORMAT "\n",
            fvc_decode_plan_get_n_fed (plan), n_frames, fvc_decode_plan_get_n_spans (plan),
            fvc_decode_plan_get_span_union (plan), fvc_decode_plan_naive_cost (index, targets, n));
    for (guint s = 0; s < fvc_decode_plan_get_n_spans (plan); s++) {
      guint first, last;
      fvc_decode_plan_get_span (plan, s, &first, &last);
      printf ("    span %u: packets %u..%u (decode order)\n", s, first, last);
    }
    if (packets)
      print_packets (index, plan);
  }
  if (!all_ok)
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARTIAL, "some videos could not be probed");
  return all_ok;
}
