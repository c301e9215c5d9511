/* fvcdecodegate.c — sits between a parser and a decoder and feeds the decoder exactly the
 * packets of the decode plan (libfvc fvc-decode-plan): merged keyframe→target spans, without
 * non-reference frames nobody needs. The targets and the frame index come from the fvcsample
 * downstream through the FVC_DECODE_PLAN_QUERY_NAME query; packets are recognised by their
 * demuxer timestamps through that index. Without an fvcsample that answers, it passes
 * everything. */

/**
 * SECTION:element-fvcdecodegate
 * @title: fvcdecodegate
 *
 * Put it between the parser and the decoder, with fvcsample right after the decoder. On its
 * first packet it asks fvcsample for the target frames and the frame index, builds the decode
 * plan, and from then on drops every packet the plan does not need: spans without a target,
 * non-reference pictures that are not targets (H.264/H.265). After the last planned packet it
 * sends EOS to the decoder (which drains) and EOS upstream (which stops the demuxer). At EOS it
 * posts an element message "fvc-decode-gate" with packets-demuxed, packets-fed, span-union and
 * naive-cost (what seeking to the keyframe before each target would decode).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! parsebin ! fvcdecodegate ! avdec_h264 ! fvcsample num-frames=6 ! fakesink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvcdecodegate.h"
#include "fvcsample.h"

#include "fvc-decode-plan.h"
#include "fvc-frame-index.h"
#include "fvc-sampler.h"

GST_DEBUG_CATEGORY_STATIC (fvc_decode_gate_debug);
#define GST_CAT_DEFAULT fvc_decode_gate_debug

#define DEFAULT_ENABLED TRUE
#define DEFAULT_SKIP_NONREF TRUE
#define DEFAULT_SEEK_THRESHOLD 48

enum {
  PROP_0,
  PROP_ENABLED,
  PROP_SKIP_NONREF,
  PROP_SEEK_THRESHOLD,
  PROP_PACKETS_DEMUXED,
  PROP_SEEKS,
  PROP_PACKETS_FED,
  PROP_PLANNED,
};

typedef enum {
  MODE_UNDECIDED,
  MODE_PLANNED,
  MODE_PASSTHROUGH,
  MODE_DONE,
} GateMode;

struct _FvcDecodeGate {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  /* Settings, under GST_OBJECT_LOCK. */
  gboolean enabled;
  gboolean skip_nonref;
  guint seek_threshold;
  guint stream_seek_threshold;  /* seek-threshold as it was when the stream's plan was made */

  /* Streaming state: touched by the streaming thread only, reset in PAUSED→READY. */
  GateMode mode;
  FvcFrameIndex *index;
  FvcDecodePlan *plan;
  guint64 naive_cost;
  gboolean stats_posted;
  gboolean fed_any;
  gint64 last_fed;            /* decode-order index of the last packet fed, -1 before */
  GstSegment segment;         /* upstream's own (not one of our seeks'): packet PTS -> seek position */
  /* Seeking past spans without a target: a flushing seek from another thread (call_async);
   * its flush and segment events (same seqnum) are swallowed here, so nothing downstream is
   * flushed: the decoder keeps its frames and the stream looks continuous. */
  guint32 seek_seqnum;        /* 0: none */
  /* Shared with the thread that sends the seek, under seek_lock (never held while an event
   * travels). */
  GMutex seek_lock;
  gboolean seek_pending;      /* a seek is under way */
  gboolean seek_refused;      /* upstream cannot seek or refused: drop packets instead */
  gboolean eos_held;          /* upstream's EOS came while a seek was pending, kept back */
  gint64 seek_target;         /* packet the last seek aims at, checked on the first packet after */
  gboolean after_seek;
  gboolean seek_retried;      /* the last seek overshot once and was sent again, from earlier */
  gboolean awaiting_retry;    /* drop everything until that second seek lands */

  /* Counters, atomic. */
  gint seeks;
  gint packets_demuxed;
  gint packets_fed;
};

/* Video only (compressed, or raw in AVI/MOV), so that parsebin's audio and subtitle pads never
 * link here: the video media types GStreamer's demuxers and parsers give, delivery codecs and
 * the intra/lossless ones of editing and archives alike. */
#define GATE_CAPS "video/x-h264; video/x-h265; video/x-vp8; video/x-vp9; video/x-av1; video/mpeg; " \
  "video/x-divx; video/x-xvid; video/x-3ivx; video/x-msmpeg; video/x-h263; video/x-h261; video/x-theora; " \
  "video/x-wmv; video/x-prores; video/x-dirac; video/x-dnxhd; video/x-cineform; video/x-dv; " \
  "video/x-ffv; video/x-huffyuv; video/x-rle; video/x-flash-video; video/x-vp6; video/x-vp6-flash; " \
  "video/x-vp6-alpha; video/x-vp3; video/x-cinepak; video/x-svq; video/x-indeo; video/x-pn-realvideo; " \
  "video/x-apple-video; video/x-tscc; video/x-zmbv; video/x-fraps; video/x-j2c; image/x-j2c; image/x-jpc; " \
  "image/jpeg; image/png; video/x-raw"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GATE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GATE_CAPS));

#define fvc_decode_gate_parent_class parent_class
G_DEFINE_TYPE (FvcDecodeGate, fvc_decode_gate, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvcdecodegate, "fvcdecodegate", GST_RANK_NONE, FVC_TYPE_DECODE_GATE,
    GST_DEBUG_CATEGORY_INIT (fvc_decode_gate_debug, "fvcdecodegate", 0, "fvc decode gate"));

static void
reset_state (FvcDecodeGate *self)
{
  g_clear_pointer (&self->plan, fvc_decode_plan_free);
  g_clear_pointer (&self->index, fvc_frame_index_unref);
  self->mode = MODE_UNDECIDED;
  self->naive_cost = 0;
  self->stats_posted = FALSE;
  self->fed_any = FALSE;
  self->last_fed = -1;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->seek_seqnum = 0;
  g_mutex_lock (&self->seek_lock);
  self->seek_pending = FALSE;
  self->seek_refused = FALSE;
  self->eos_held = FALSE;
  g_mutex_unlock (&self->seek_lock);
  self->seek_target = -1;
  self->after_seek = FALSE;
  self->seek_retried = FALSE;
  self->awaiting_retry = FALSE;
  g_atomic_int_set (&self->seeks, 0);
  g_atomic_int_set (&self->packets_demuxed, 0);
  g_atomic_int_set (&self->packets_fed, 0);
}

/* Seeking is out for now: a seek is under way, or upstream cannot seek. */
static gboolean
seek_blocked (FvcDecodeGate *self)
{
  gboolean blocked;

  g_mutex_lock (&self->seek_lock);
  blocked = self->seek_pending || self->seek_refused;
  g_mutex_unlock (&self->seek_lock);
  return blocked;
}

static gboolean
seek_was_refused (FvcDecodeGate *self)
{
  gboolean refused;

  g_mutex_lock (&self->seek_lock);
  refused = self->seek_refused;
  g_mutex_unlock (&self->seek_lock);
  return refused;
}

static void
post_stats (FvcDecodeGate *self)
{
  GstStructure *s;

  if (self->stats_posted)
    return;
  self->stats_posted = TRUE;
  s = gst_structure_new ("fvc-decode-gate",
      "planned", G_TYPE_BOOLEAN, self->plan != NULL,
      "packets-demuxed", G_TYPE_UINT64, (guint64) g_atomic_int_get (&self->packets_demuxed),
      "packets-fed", G_TYPE_UINT64, (guint64) g_atomic_int_get (&self->packets_fed),
      "packets-planned", G_TYPE_UINT64, (guint64) (self->plan ? fvc_decode_plan_get_n_fed (self->plan) : 0),
      "span-union", G_TYPE_UINT64, (guint64) (self->plan ? fvc_decode_plan_get_span_union (self->plan) : 0),
      "naive-cost", G_TYPE_UINT64, self->naive_cost,
      "seeks", G_TYPE_UINT64, (guint64) g_atomic_int_get (&self->seeks),
      "total-packets", G_TYPE_UINT64, (guint64) (self->index ? fvc_frame_index_get_n_frames (self->index) : 0),
      NULL);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* Asks the fvcsample downstream for the targets; builds the plan. */
static void
decide_mode (FvcDecodeGate *self)
{
  g_autoptr (GstQuery) q = gst_query_new_custom (GST_QUERY_CUSTOM, gst_structure_new_empty (FVC_DECODE_PLAN_QUERY_NAME));
  const GstStructure *s;
  const char *targets_text;
  g_autoptr (GArray) targets = NULL;
  gboolean enabled, skip_nonref;

  GST_OBJECT_LOCK (self);
  enabled = self->enabled;
  skip_nonref = self->skip_nonref;
  self->stream_seek_threshold = self->seek_threshold;
  GST_OBJECT_UNLOCK (self);

  self->mode = MODE_PASSTHROUGH;
  if (!enabled)
    return;
  if (!gst_pad_peer_query (self->srcpad, q)) {
    GST_INFO_OBJECT (self, "no fvcsample answered downstream: passing every packet");
    return;
  }
  s = gst_query_get_structure (q);
  if (!gst_structure_get (s, "index", FVC_TYPE_FRAME_INDEX, &self->index, NULL) ||
      (targets_text = gst_structure_get_string (s, "targets")) == NULL ||
      (targets = fvc_parse_index_list (targets_text, NULL)) == NULL || targets->len == 0) {
    GST_WARNING_OBJECT (self, "malformed answer to the decode-plan query: passing every packet");
    g_clear_pointer (&self->index, fvc_frame_index_unref);
    return;
  }
  self->plan = fvc_decode_plan_new (self->index, (const guint64 *) (gpointer) targets->data, targets->len, skip_nonref);
  self->naive_cost = fvc_decode_plan_naive_cost (self->index, (const guint64 *) (gpointer) targets->data, targets->len);
  self->mode = MODE_PLANNED;
  {
    /* An upstream that says it cannot seek, in time or (the source behind a push-mode demuxer)
     * in bytes, is never asked to: such a demuxer may flush on a seek it then cannot carry
     * out, losing the packets it held. One that does not answer is tried, and not again once
     * it refuses (send_seek). */
    static const GstFormat formats[] = { GST_FORMAT_TIME, GST_FORMAT_BYTES };
    gboolean seekable = TRUE;
    for (guint i = 0; i < G_N_ELEMENTS (formats) && seekable; i++) {
      g_autoptr (GstQuery) seeking = gst_query_new_seeking (formats[i]);
      gboolean answered = gst_pad_peer_query (self->sinkpad, seeking);
      if (answered)
        gst_query_parse_seeking (seeking, NULL, &seekable, NULL, NULL);
      GST_INFO_OBJECT (self, "seeking query in %s: %s", gst_format_get_name (formats[i]),
                       answered ? (seekable ? "seekable" : "not seekable") : "no answer");
    }
    if (!seekable) {
      GST_INFO_OBJECT (self, "upstream cannot seek: packets between spans are read and dropped");
      g_mutex_lock (&self->seek_lock);
      self->seek_refused = TRUE;
      g_mutex_unlock (&self->seek_lock);
    }
  }
  GST_INFO_OBJECT (self, "plan: %u of %u packets in %u spans (span union %u, one seek per target: %" G_GUINT64_FORMAT ")",
                   fvc_decode_plan_get_n_fed (self->plan), fvc_frame_index_get_n_frames (self->index),
                   fvc_decode_plan_get_n_spans (self->plan), fvc_decode_plan_get_span_union (self->plan),
                   self->naive_cost);
}

static void
send_seek (GstElement *element, gpointer user_data)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (element);
  GstEvent *seek = user_data;
  gboolean release_eos;

  if (g_atomic_int_get ((gint *) &self->mode) == MODE_DONE) {
    /* The streaming thread got to the last planned packet first (the thread pool was slow):
     * nothing is needed any more, and a seek now would restart a demuxer the application may
     * be shutting down. */
    g_mutex_lock (&self->seek_lock);
    self->seek_pending = FALSE;
    g_mutex_unlock (&self->seek_lock);
    return;
  }
  /* Taken: the flush it causes clears seek_pending (sink_event, FLUSH_STOP). */
  if (gst_pad_push_event (self->sinkpad, gst_event_ref (seek)))
    return;
  /* Not seekable (or refused): packets keep coming in order and are dropped as before. */
  GST_INFO_OBJECT (self, "seek refused upstream: dropping packets instead");
  g_mutex_lock (&self->seek_lock);
  self->seek_refused = TRUE;
  self->seek_pending = FALSE;
  release_eos = self->eos_held;
  self->eos_held = FALSE;
  g_mutex_unlock (&self->seek_lock);
  if (release_eos) {
    /* Upstream ended while we waited for this seek: the stream ends here after all. */
    post_stats (self);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
}

/* The stream time of decode-order packet @p in upstream's own segment (-1: none); a time before
 * the segment's start (an edit list's pre-roll) is taken as 0. */
static gint64
packet_stream_time (FvcDecodeGate *self, guint p)
{
  const FvcPacket *packet = fvc_frame_index_get_packet (self->index, p);
  guint64 stream_time;
  gint sign;

  if (packet->pts == FVC_TIME_NONE)
    return -1;
  sign = gst_segment_to_stream_time_full (&self->segment, GST_FORMAT_TIME, packet->pts, &stream_time);
  if (sign == 0)
    return -1;
  return sign > 0 ? (gint64) stream_time : 0;
}

/* Seeks (from another thread) to stream time @position, aiming at the keyframe @target. */
static void
start_seek (FvcDecodeGate *self, gint64 target, gint64 position)
{
  GstEvent *seek;

  self->seek_seqnum = gst_util_seqnum_next ();
  self->seek_target = target;
  g_mutex_lock (&self->seek_lock);
  self->seek_pending = TRUE;
  g_mutex_unlock (&self->seek_lock);
  /* KEY_UNIT | SNAP_BEFORE: the demuxer starts at that keyframe or an earlier one; packets
   * before the target are recognised and dropped, so an early landing costs reading only. */
  seek = gst_event_new_seek (1.0, GST_FORMAT_TIME,
                             GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_BEFORE,
                             GST_SEEK_TYPE_SET, position, GST_SEEK_TYPE_NONE, -1);
  gst_event_set_seqnum (seek, self->seek_seqnum);
  g_atomic_int_inc (&self->seeks);
  GST_DEBUG_OBJECT (self, "seeking to packet %" G_GINT64_FORMAT " (%" GST_TIME_FORMAT ")", target,
                    GST_TIME_ARGS (position));
  gst_element_call_async (GST_ELEMENT (self), send_seek, seek, (GDestroyNotify) gst_event_unref);
}

/* After packet @p: when the next planned packet is far ahead, seek to it (its keyframe) instead
 * of reading and dropping everything in between. */
static void
maybe_seek (FvcDecodeGate *self, guint p)
{
  guint threshold = self->stream_seek_threshold;
  gint64 next, position;

  if (threshold == 0)
    return;
  next = fvc_decode_plan_next_fed (self->plan, p + 1);
  if (next < 0 || next - (gint64) p <= (gint64) threshold)
    return;
  /* One seek per gap: a seek that landed early (tsdemux snaps well before the keyframe) is
   * followed by reading forward, not by the same seek again, which would land there again.
   * Checked before seek_lock is taken: this runs after every packet dropped. */
  if (next <= self->seek_target || seek_blocked (self))
    return;
  position = packet_stream_time (self, (guint) next);
  if (position < 0)
    return;
  self->seek_retried = FALSE;
  start_seek (self, next, position);
}

/* The seek to self->seek_target landed past a packet still to feed (tsdemux estimates
 * positions; a demuxer may snap forward): seek once more, to the last packet fed, and drop what
 * comes until that seek lands. FALSE when that was tried already. */
static gboolean
retry_seek_from_earlier (FvcDecodeGate *self)
{
  gint64 position;

  if (self->seek_retried || self->last_fed < 0 || seek_was_refused (self))
    return FALSE;
  position = packet_stream_time (self, (guint) self->last_fed);
  if (position < 0)
    return FALSE;
  GST_INFO_OBJECT (self, "the seek to packet %" G_GINT64_FORMAT " landed too late: seeking again, to packet %"
                   G_GINT64_FORMAT, self->seek_target, self->last_fed);
  self->seek_retried = TRUE;
  self->awaiting_retry = TRUE;
  start_seek (self, self->seek_target, position);
  return TRUE;
}

/* Before a jump to a later keyframe, the decoder must output what it holds and restart: libav's
 * H.264 decoder otherwise takes the jump for lost data and drops the frames it holds when the
 * keyframe is not an IDR (open GOP). GstVideoDecoder drains on STREAM_START (1.22 does not on
 * GAP or DISCONT), so a copy of the current one goes down, marked FVC_DRAIN_FIELD; fvcsample
 * swallows it. */
static void
drain_decoder (FvcDecodeGate *self)
{
  GstEvent *current = gst_pad_get_sticky_event (self->sinkpad, GST_EVENT_STREAM_START, 0);
  GstEvent *drain;

  if (current == NULL)
    return;
  drain = gst_event_copy (current);
  gst_event_unref (current);
  gst_structure_set (gst_event_writable_structure (drain), FVC_DRAIN_FIELD, G_TYPE_BOOLEAN, TRUE, NULL);
  gst_pad_push_event (self->srcpad, drain);
}

static GstFlowReturn
fvc_decode_gate_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (parent);
  guint64 pts, dts;
  gint64 packet;
  GstFlowReturn ret;

  if (self->mode == MODE_DONE) {
    gst_buffer_unref (buf);
    return GST_FLOW_EOS;
  }
  if (self->mode == MODE_UNDECIDED)
    decide_mode (self);
  g_atomic_int_inc (&self->packets_demuxed);
  if (self->mode == MODE_PASSTHROUGH) {
    g_atomic_int_inc (&self->packets_fed);
    return gst_pad_push (self->srcpad, buf);
  }

  if (fvc_packet_is_untimed_header (buf)) {
    /* Codec configuration, not a picture: the decoder needs it whatever the plan. */
    return gst_pad_push (self->srcpad, buf);
  }
  pts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : FVC_TIME_NONE;
  dts = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) : FVC_TIME_NONE;
  packet = fvc_frame_index_packet_at (self->index, pts, dts);
  if (packet < 0)
    goto unknown_packet;
  if (self->awaiting_retry) {
    /* Packets of the landing that overshot, until the second seek lands (or is refused). */
    if (seek_was_refused (self))
      goto overshoot;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  if (self->after_seek) {
    /* A seek that landed past the keyframe it aimed at would lose frames: seek again from
     * earlier, once; then refuse to go on (the driver decodes the video again without a plan). */
    gint64 needed = fvc_decode_plan_next_fed (self->plan, (guint) (self->last_fed + 1));
    self->after_seek = FALSE;
    /* Past the next packet still to feed (the target, or one before it when the streaming
     * thread got there before the seek took effect). */
    if (needed >= 0 && packet > needed) {
      if (!retry_seek_from_earlier (self))
        goto overshoot;
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    }
  }
  if (packet <= self->last_fed || !fvc_decode_plan_feeds (self->plan, (guint) packet)) {
    /* Not needed, or already fed before a seek went back. */
    gst_buffer_unref (buf);
    if (packet > self->last_fed)
      maybe_seek (self, (guint) packet);
    return GST_FLOW_OK;
  }
  if (self->fed_any && fvc_decode_plan_starts_span (self->plan, (guint) packet))
    drain_decoder (self);
  self->fed_any = TRUE;
  self->last_fed = packet;
  g_atomic_int_inc (&self->packets_fed);
  if ((guint) packet == fvc_decode_plan_get_last_packet (self->plan)) {
    /* The counts are final: post them now, before this packet lets fvcsample finish and the
     * pipeline reach EOS (an application stops reading the bus there). */
    g_atomic_int_set ((gint *) &self->mode, MODE_DONE);
    post_stats (self);
    ret = gst_pad_push (self->srcpad, buf);
    /* Nothing after this is needed: let the decoder drain, stop the demuxer. */
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
    return ret == GST_FLOW_OK ? GST_FLOW_EOS : ret;
  }
  ret = gst_pad_push (self->srcpad, buf);
  if (ret == GST_FLOW_OK)
    maybe_seek (self, (guint) packet);
  return ret;

  /* ERRORS */
unknown_packet:
  GST_ELEMENT_ERROR (self, STREAM, DEMUX,
                     ("%s: a packet (PTS %" GST_TIME_FORMAT ", DTS %" GST_TIME_FORMAT ") is not in the frame index; "
                      "the file changed since it was indexed or the demuxer disagrees with itself",
                      fvc_frame_index_get_path (self->index), GST_TIME_ARGS (pts), GST_TIME_ARGS (dts)), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
overshoot:
  GST_ELEMENT_ERROR (self, STREAM, DECODE,
                     ("%s: a seek to packet %" G_GINT64_FORMAT " landed at packet %" G_GINT64_FORMAT " after it",
                      fvc_frame_index_get_path (self->index), self->seek_target, packet), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
}

static gboolean
fvc_decode_gate_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (parent);
  gboolean ours = self->seek_seqnum != 0 && gst_event_get_seqnum (event) == self->seek_seqnum;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      if (ours) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      if (ours) {
        self->after_seek = TRUE;
        self->awaiting_retry = FALSE;
        g_mutex_lock (&self->seek_lock);
        self->eos_held = FALSE;  /* the seek restarted the stream */
        self->seek_pending = FALSE;
        g_mutex_unlock (&self->seek_lock);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    case GST_EVENT_SEGMENT:
      if (ours) {
        /* Kept out of self->segment: a seek's segment starts at its target, and a position
         * before that (a second seek from earlier) would have no stream time in it. */
        gst_event_unref (event);
        return TRUE;
      }
      gst_event_copy_segment (event, &self->segment);
      break;
    default:
      break;
  }

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gboolean held;

    if (self->mode == MODE_DONE) {
      gst_event_unref (event); /* ours went first */
      return TRUE;
    }
    /* The demuxer read to the end before our seek reached it: the seek will restart it (its
     * flush clears eos_held), or, refused, let the EOS go (send_seek). */
    g_mutex_lock (&self->seek_lock);
    held = self->seek_pending;
    if (held)
      self->eos_held = TRUE;
    g_mutex_unlock (&self->seek_lock);
    if (held) {
      gst_event_unref (event);
      return TRUE;
    }
    post_stats (self);
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
fvc_decode_gate_change_state (GstElement *element, GstStateChange transition)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (element);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_state (self);
  return ret;
}

static void
fvc_decode_gate_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ENABLED: self->enabled = g_value_get_boolean (value); break;
    case PROP_SKIP_NONREF: self->skip_nonref = g_value_get_boolean (value); break;
    case PROP_SEEK_THRESHOLD: self->seek_threshold = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_decode_gate_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (object);

  switch (prop_id) {
    case PROP_PACKETS_DEMUXED:
      g_value_set_uint64 (value, (guint64) g_atomic_int_get (&self->packets_demuxed));
      return;
    case PROP_PACKETS_FED:
      g_value_set_uint64 (value, (guint64) g_atomic_int_get (&self->packets_fed));
      return;
    case PROP_SEEKS:
      g_value_set_uint64 (value, (guint64) g_atomic_int_get (&self->seeks));
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ENABLED: g_value_set_boolean (value, self->enabled); break;
    case PROP_SKIP_NONREF: g_value_set_boolean (value, self->skip_nonref); break;
    case PROP_SEEK_THRESHOLD: g_value_set_uint (value, self->seek_threshold); break;
    case PROP_PLANNED: g_value_set_boolean (value, self->mode == MODE_PLANNED || (self->mode == MODE_DONE && self->plan)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_decode_gate_finalize (GObject *object)
{
  FvcDecodeGate *self = FVC_DECODE_GATE (object);

  reset_state (self);
  g_mutex_clear (&self->seek_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_decode_gate_class_init (FvcDecodeGateClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = fvc_decode_gate_set_property;
  gobject_class->get_property = fvc_decode_gate_get_property;
  gobject_class->finalize = fvc_decode_gate_finalize;
  element_class->change_state = fvc_decode_gate_change_state;

  g_object_class_install_property (gobject_class, PROP_ENABLED,
      g_param_spec_boolean ("enabled", "Enabled", "Execute the decode plan (FALSE passes every packet)",
                            DEFAULT_ENABLED, rw));
  g_object_class_install_property (gobject_class, PROP_SKIP_NONREF,
      g_param_spec_boolean ("skip-nonref", "Skip non-reference frames",
                            "Drop non-reference pictures that are not targets (H.264/H.265)", DEFAULT_SKIP_NONREF, rw));
  g_object_class_install_property (gobject_class, PROP_SEEK_THRESHOLD,
      g_param_spec_uint ("seek-threshold", "Seek threshold",
                         "Seek to the next span when it starts more than this many packets ahead (0: never seek, "
                         "read and drop)", 0, G_MAXINT, DEFAULT_SEEK_THRESHOLD, rw));
  g_object_class_install_property (gobject_class, PROP_SEEKS,
      g_param_spec_uint64 ("seeks", "Seeks", "Seeks made past spans without a target", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PACKETS_DEMUXED,
      g_param_spec_uint64 ("packets-demuxed", "Packets demuxed", "Packets received from the parser", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PACKETS_FED,
      g_param_spec_uint64 ("packets-fed", "Packets fed", "Packets passed to the decoder", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PLANNED,
      g_param_spec_boolean ("planned", "Planned", "TRUE when a decode plan is being executed", FALSE, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "fvc decode gate", "Filter/Video",
      "Feeds a decoder only the packets the downstream fvcsample needs", "fvc-stream maintainers");
}

static void
fvc_decode_gate_init (FvcDecodeGate *self)
{
  g_mutex_init (&self->seek_lock);
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_decode_gate_chain));
  gst_pad_set_event_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_decode_gate_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->enabled = DEFAULT_ENABLED;
  self->skip_nonref = DEFAULT_SKIP_NONREF;
  self->seek_threshold = DEFAULT_SEEK_THRESHOLD;
  self->last_fed = -1;
  self->seek_target = -1;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->mode = MODE_UNDECIDED;
}
