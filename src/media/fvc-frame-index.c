/* fvc-frame-index.c — builds the frame index with one `filesrc ! parsebin` pass (no decoder),
 * parses H.264/H.265 access units for reference flags, and caches the result (format in the
 * header). Frame identification and planning use it; nothing here decodes pixels. */
#include "fvc-frame-index.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <errno.h>
#include <gst/codecparsers/gsth264parser.h>
#include <gst/codecparsers/gsth265parser.h>
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SIGNATURE_SPAN (64 * 1024)
/* First line of an index file, with the format version (docs/formats.md). */
#define FRAME_INDEX_MAGIC "fvc-frame-index 2"

struct _FvcFrameIndex {
  gint ref_count;
  char *path;
  char *caps;
  char *signature;
  GArray *packets;          /* FvcPacket, decode order */
  guint32 *packet_of_frame; /* frame -> decode-order index */
  GHashTable *frame_by_pts; /* pts -> frame + 1 (timed only) */
  gboolean timed;
  gboolean ref_info;
  guint64 container_duration; /* ns, what the container says (0 unknown) */
  guint64 segment_start;      /* the first segment: buffer time segment_start is stream time */
  guint64 segment_time;       /* segment_time (edit lists, empty edits, TS start offsets) */
};

G_DEFINE_BOXED_TYPE (FvcFrameIndex, fvc_frame_index, fvc_frame_index_ref, fvc_frame_index_unref)

gboolean
fvc_packet_is_untimed_header (GstBuffer *buf)
{
  return GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER) && !GST_BUFFER_PTS_IS_VALID (buf) &&
         !GST_BUFFER_DTS_IS_VALID (buf);
}

FvcFrameIndex *
fvc_frame_index_ref (FvcFrameIndex *index)
{
  g_atomic_int_inc (&index->ref_count);
  return index;
}

void
fvc_frame_index_unref (FvcFrameIndex *index)
{
  if (index == NULL || !g_atomic_int_dec_and_test (&index->ref_count))
    return;
  g_free (index->path);
  g_free (index->caps);
  g_free (index->signature);
  g_array_unref (index->packets);
  g_free (index->packet_of_frame);
  if (index->frame_by_pts)
    g_hash_table_unref (index->frame_by_pts);
  g_free (index);
}

static FvcFrameIndex *
index_new (const char *path)
{
  FvcFrameIndex *index = g_new0 (FvcFrameIndex, 1);
  index->ref_count = 1;
  index->path = g_strdup (path);
  index->packets = g_array_new (FALSE, TRUE, sizeof (FvcPacket));
  return index;
}

static gint
compare_by_pts (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const FvcPacket *packets = user_data;
  guint32 ia = *(const guint32 *) a, ib = *(const guint32 *) b;
  guint64 pa = packets[ia].pts, pb = packets[ib].pts;
  if (pa != pb)
    return pa < pb ? -1 : 1;
  return (ia > ib) - (ia < ib);
}

/* Derives frame numbers from PTS order; decides whether the index is timed. */
static void
index_finish (FvcFrameIndex *index)
{
  guint n = index->packets->len;
  FvcPacket *packets = (FvcPacket *) (gpointer) index->packets->data;
  gboolean ref_info = n > 0;

  index->timed = n > 0;
  for (guint i = 0; i < n; i++) {
    if (packets[i].pts == FVC_TIME_NONE)
      index->timed = FALSE;
    if (!(packets[i].flags & FVC_PACKET_REF_KNOWN))
      ref_info = FALSE;
  }
  index->ref_info = ref_info;
  g_free (index->packet_of_frame);
  index->packet_of_frame = g_new (guint32, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    index->packet_of_frame[i] = i;
  if (index->timed)
    g_qsort_with_data (index->packet_of_frame, n, sizeof (guint32), compare_by_pts, packets);

  if (index->frame_by_pts)
    g_hash_table_unref (index->frame_by_pts);
  index->frame_by_pts = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint f = 0; f < n; f++) {
    FvcPacket *p = &packets[index->packet_of_frame[f]];
    p->frame = f;
    if (index->timed) {
      if (g_hash_table_contains (index->frame_by_pts, &p->pts)) {
        /* Two packets with one PTS: timestamps cannot identify frames. */
        index->timed = FALSE;
      } else {
        g_hash_table_insert (index->frame_by_pts, &p->pts, GUINT_TO_POINTER (f + 1));
      }
    }
  }
  if (!index->timed) {
    /* Decode order is the best frame order we have; consumers count decoded frames. */
    for (guint i = 0; i < n; i++) {
      index->packet_of_frame[i] = i;
      packets[i].frame = i;
    }
    g_hash_table_remove_all (index->frame_by_pts);
  }
}

/* ---- reference flags from the bitstream ------------------------------------------------------ */

typedef enum { CODEC_OTHER, CODEC_H264, CODEC_H265 } Codec;

typedef struct {
  Codec codec;
  gboolean packetized;     /* avc/hvc1: NAL units prefixed by their length */
  guint nal_length_size;
  GstH264NalParser *h264;
  GstH265Parser *h265;
} RefParser;

static void
ref_parser_init (RefParser *rp, GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *format = gst_structure_get_string (s, "stream-format");
  const GValue *cd = gst_structure_get_value (s, "codec_data");

  memset (rp, 0, sizeof *rp);
  if (gst_structure_has_name (s, "video/x-h264"))
    rp->codec = CODEC_H264;
  else if (gst_structure_has_name (s, "video/x-h265"))
    rp->codec = CODEC_H265;
  else
    return;
  rp->packetized = format != NULL && (g_str_equal (format, "avc") || g_str_equal (format, "avc3") ||
                                      g_str_equal (format, "hvc1") || g_str_equal (format, "hev1"));
  rp->nal_length_size = 4;
  if (rp->packetized && cd != NULL && GST_VALUE_HOLDS_BUFFER (cd)) {
    GstBuffer *buf = gst_value_get_buffer (cd);
    GstMapInfo map;
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      if (rp->codec == CODEC_H264 && map.size >= 5)
        rp->nal_length_size = (map.data[4] & 0x03) + 1;
      else if (rp->codec == CODEC_H265 && map.size >= 22)
        rp->nal_length_size = (map.data[21] & 0x03) + 1;
      gst_buffer_unmap (buf, &map);
    }
  }
  if (rp->codec == CODEC_H264)
    rp->h264 = gst_h264_nal_parser_new ();
  else
    rp->h265 = gst_h265_parser_new ();
}

static void
ref_parser_clear (RefParser *rp)
{
  if (rp->h264)
    gst_h264_nal_parser_free (rp->h264);
  if (rp->h265)
    gst_h265_parser_free (rp->h265);
  memset (rp, 0, sizeof *rp);
}

/* Returns FVC_PACKET_REF_KNOWN (| FVC_PACKET_NONREF) when the access unit could be parsed. */
static guint32
ref_parser_flags (RefParser *rp, const guint8 *data, gsize size)
{
  guint offset = 0;
  gboolean any_slice = FALSE, any_ref = FALSE, idr = FALSE;

  if (rp->codec == CODEC_OTHER)
    return 0;
  while (offset < size) {
    if (rp->codec == CODEC_H264) {
      GstH264NalUnit nalu;
      GstH264ParserResult r = rp->packetized
          ? gst_h264_parser_identify_nalu_avc (rp->h264, data, offset, size, rp->nal_length_size, &nalu)
          : gst_h264_parser_identify_nalu (rp->h264, data, offset, size, &nalu);
      if (r != GST_H264_PARSER_OK && r != GST_H264_PARSER_NO_NAL_END)
        break;
      if (nalu.type == GST_H264_NAL_SLICE || nalu.type == GST_H264_NAL_SLICE_IDR ||
          nalu.type == GST_H264_NAL_SLICE_DPA) {
        any_slice = TRUE;
        any_ref |= nalu.ref_idc != 0;
        idr |= nalu.type == GST_H264_NAL_SLICE_IDR;
      }
      offset = nalu.offset + nalu.size;
    } else {
      GstH265NalUnit nalu;
      GstH265ParserResult r = rp->packetized
          ? gst_h265_parser_identify_nalu_hevc (rp->h265, data, offset, size, rp->nal_length_size, &nalu)
          : gst_h265_parser_identify_nalu (rp->h265, data, offset, size, &nalu);
      if (r != GST_H265_PARSER_OK && r != GST_H265_PARSER_NO_NAL_END)
        break;
      if (nalu.type <= GST_H265_NAL_SLICE_CRA_NUT) {
        any_slice = TRUE;
        /* VCL types 0..14: even = sub-layer non-reference (TRAIL_N, TSA_N, STSA_N, RADL_N,
         * RASL_N, RSV_VCL_N*); 16..21 are IRAP pictures, always references. */
        any_ref |= nalu.type >= 16 || (nalu.type % 2) == 1;
        /* BLA_W_LP..IDR_N_LP (16..20) reset the decoder; CRA (21) is open-GOP like. */
        idr |= nalu.type >= 16 && nalu.type <= 20;
      }
      offset = nalu.offset + nalu.size;
    }
  }
  if (!any_slice)
    return 0;
  return FVC_PACKET_REF_KNOWN | (any_ref ? 0 : FVC_PACKET_NONREF) | (idr ? FVC_PACKET_IDR : 0);
}

/* ---- the demux/parse pass --------------------------------------------------------------------- */

typedef struct {
  FvcFrameIndex *index;
  GstElement *pipeline;
  GMutex lock;
  gboolean have_video;
  gboolean caps_seen;
  RefParser rp;
  gint fps_n, fps_d;
} BuildState;

static GstPadProbeReturn
on_video_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  BuildState *st = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS && !st->caps_seen) {
      GstCaps *caps;
      GstStructure *s;
      gst_event_parse_caps (ev, &caps);
      g_mutex_lock (&st->lock);
      st->caps_seen = TRUE;
      st->index->caps = gst_caps_to_string (caps);
      s = gst_caps_get_structure (caps, 0);
      if (!gst_structure_get_fraction (s, "framerate", &st->fps_n, &st->fps_d))
        st->fps_n = 0;
      ref_parser_init (&st->rp, caps);
      g_mutex_unlock (&st->lock);
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT && st->index->packets->len == 0) {
      /* The segment of the first packet (qtdemux sends one per edit, empty edits first). */
      const GstSegment *seg;
      gst_event_parse_segment (ev, &seg);
      g_mutex_lock (&st->lock);
      if (seg->format == GST_FORMAT_TIME) {
        st->index->segment_start = seg->start;
        st->index->segment_time = seg->time;
      }
      g_mutex_unlock (&st->lock);
    }
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    FvcPacket p = { 0 };
    GstMapInfo map;

    /* Codec headers sent in-band without a time (Theora in Ogg: three of them) are not
     * pictures. (h264parse flags an IDR carrying SPS/PPS HEADER too, but that one is timed.) */
    if (fvc_packet_is_untimed_header (buf))
      return GST_PAD_PROBE_OK;

    p.pts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : FVC_TIME_NONE;
    p.dts = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) : FVC_TIME_NONE;
    p.size = (guint32) MIN (gst_buffer_get_size (buf), G_MAXUINT32);
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      p.flags |= FVC_PACKET_KEYFRAME;
    if (st->rp.codec != CODEC_OTHER && gst_buffer_map (buf, &map, GST_MAP_READ)) {
      p.flags |= ref_parser_flags (&st->rp, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
    if (p.flags & FVC_PACKET_KEYFRAME) {
      /* A keyframe is a reference whatever its NAL header says. */
      p.flags &= ~FVC_PACKET_NONREF;
    }
    g_mutex_lock (&st->lock);
    g_array_append_val (st->index->packets, p);
    g_mutex_unlock (&st->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *parsebin, GstPad *pad, gpointer user_data)
{
  BuildState *st = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstStructure *s;
  GstElement *sink;
  GstPad *sinkpad;
  gboolean video = FALSE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = caps && !gst_caps_is_empty (caps) ? gst_caps_get_structure (caps, 0) : NULL;
  /* Video streams: video/..., and Motion JPEG, which demuxers (avi, mov, mkv) announce as
   * image/jpeg. */
  if (s != NULL && (g_str_has_prefix (gst_structure_get_name (s), "video/") ||
                    gst_structure_has_name (s, "image/jpeg"))) {
    g_mutex_lock (&st->lock);
    video = !st->have_video;  /* the first video stream only */
    st->have_video = TRUE;
    g_mutex_unlock (&st->lock);
  }
  /* Every stream goes to a sink, or an unlinked audio pad would stop the demuxer. */
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (st->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  if (video)
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       on_video_data, st, NULL);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static gboolean
describe_failure (const char *path, GstMessage *msg, GError **error)
{
  g_autoptr (GError) gerr = NULL;
  g_autofree char *debug = NULL;

  gst_message_parse_error (msg, &gerr, &debug);
  if (g_error_matches (gerr, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND) ||
      g_error_matches (gerr, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE))
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: not a video file GStreamer can read (%s)", path,
                 gerr->message);
  else if (g_error_matches (gerr, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND))
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: no parser/decoder for this format (%s)", path,
                 gerr->message);
  else if (gerr->domain == GST_RESOURCE_ERROR)
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot read (%s)", path, gerr->message);
  else
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: unreadable media (%s)", path, gerr->message);
  return FALSE;
}

FvcFrameIndex *
fvc_frame_index_build (const char *path, GError **error)
{
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autoptr (GstBus) bus = NULL;
  GstElement *src, *parse;
  BuildState st = { 0 };
  GStatBuf sb;
  gboolean ok = TRUE;
  g_autoptr (GstMessage) msg = NULL;

  if (g_stat (path, &sb) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
    return NULL;
  }
  if (!S_ISREG (sb.st_mode)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: not a regular file", path);
    return NULL;
  }
  if (sb.st_size == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: empty file (0 bytes)", path);
    return NULL;
  }

  index = index_new (path);
  index->signature = fvc_file_signature (path, error);
  if (index->signature == NULL)
    return NULL;

  g_mutex_init (&st.lock);
  st.index = index;
  st.pipeline = gst_pipeline_new ("fvc-frame-index");
  src = gst_element_factory_make ("filesrc", NULL);
  parse = gst_element_factory_make ("parsebin", NULL);
  if (src == NULL || parse == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "GStreamer elements filesrc/parsebin are missing");
    gst_object_unref (st.pipeline);
    g_mutex_clear (&st.lock);
    return NULL;
  }
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (st.pipeline), src, parse, NULL);
  gst_element_link (src, parse);
  g_signal_connect (parse, "pad-added", G_CALLBACK (on_pad_added), &st);

  bus = gst_element_get_bus (st.pipeline);
  if (gst_element_set_state (st.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    ok = FALSE;
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_mutex_lock (&st.lock);
    /* A demuxer that gives up part-way (broken index, cut file) still leaves the packets it
     * delivered, which is what a decoder would get; no packets at all is a failure. */
    ok = index->packets->len > 0 && st.have_video;
    g_mutex_unlock (&st.lock);
    if (!ok)
      describe_failure (path, msg, error);
  } else if (!ok) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: GStreamer could not start reading it", path);
  }
  if (ok) {
    gint64 duration = -1;
    /* What the container promises, to tell an incomplete file from a complete one. */
    if (gst_element_query_duration (st.pipeline, GST_FORMAT_TIME, &duration) && duration > 0)
      index->container_duration = (guint64) duration;
  }
  gst_element_set_state (st.pipeline, GST_STATE_NULL);
  gst_object_unref (st.pipeline);
  ref_parser_clear (&st.rp);
  g_mutex_clear (&st.lock);
  if (!ok)
    return NULL;

  if (!st.have_video) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: no video stream", path);
    return NULL;
  }
  if (index->packets->len == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: the video stream has no frames", path);
    return NULL;
  }
  index_finish (index);
  return g_steal_pointer (&index);
}

/* ---- cache file --------------------------------------------------------------------------------- */

/* Size and modification time (ns) of @path: the first two fields of its signature. */
static gboolean
file_stamp (const char *path, gint64 *size, gint64 *mtime_ns, GError **error)
{
  GStatBuf sb;

  if (g_stat (path, &sb) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
    return FALSE;
  }
  *size = (gint64) sb.st_size;
  *mtime_ns = (gint64) sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
  return TRUE;
}

char *
fvc_file_signature (const char *path, GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);
  g_autofree guint8 *buf = g_malloc (SIGNATURE_SPAN);
  FILE *f;
  gsize n;
  gint64 size, mtime_ns;

  if (!file_stamp (path, &size, &mtime_ns, error))
    return NULL;
  f = fopen (path, "rb");
  if (f == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
    return NULL;
  }
  n = fread (buf, 1, SIGNATURE_SPAN, f);
  g_checksum_update (sum, buf, n);
  if (size > SIGNATURE_SPAN && fseeko (f, -(off_t) MIN (size - SIGNATURE_SPAN, SIGNATURE_SPAN), SEEK_END) == 0) {
    n = fread (buf, 1, SIGNATURE_SPAN, f);
    g_checksum_update (sum, buf, n);
  }
  fclose (f);
  return g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s", size, mtime_ns, g_checksum_get_string (sum));
}

gboolean
fvc_frame_index_check_file (const FvcFrameIndex *index, const char *path, GError **error)
{
  const char *sig = index->signature ? index->signature : "";
  char *end = NULL;
  gint64 size, mtime_ns, file_size, file_mtime_ns;

  if (!file_stamp (path, &file_size, &file_mtime_ns, error))
    return FALSE;
  /* The signature starts "<size> <mtime-ns> ". */
  size = g_ascii_strtoll (sig, &end, 10);
  if (end == sig || *end != ' ') {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH, "%s: the frame index given has no usable signature", path);
    return FALSE;
  }
  sig = end + 1;
  mtime_ns = g_ascii_strtoll (sig, &end, 10);
  if (end == sig) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH, "%s: the frame index given has no usable signature", path);
    return FALSE;
  }
  if (size != file_size || mtime_ns != file_mtime_ns) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH,
                 "%s: the frame index given (%u frames) was made from a file of %" G_GINT64_FORMAT " bytes, mtime %"
                 G_GINT64_FORMAT " ns; this file has %" G_GINT64_FORMAT " bytes, mtime %" G_GINT64_FORMAT
                 " ns (an index of another file, or the file changed)", path, index->packets->len, size, mtime_ns,
                 file_size, file_mtime_ns);
    return FALSE;
  }
  return TRUE;
}

static void
append_time (GString *s, guint64 t)
{
  if (t == FVC_TIME_NONE)
    g_string_append (s, "-1");
  else
    g_string_append_printf (s, "%" G_GUINT64_FORMAT, t);
}

gboolean
fvc_frame_index_save (const FvcFrameIndex *index, const char *index_file, GError **error)
{
  g_autoptr (GString) s = g_string_new (FRAME_INDEX_MAGIC "\n");
  g_autofree char *dir = g_path_get_dirname (index_file);

  g_string_append_printf (s, "signature %s\n", index->signature);
  g_string_append_printf (s, "caps %s\n", index->caps ? index->caps : "");
  g_string_append_printf (s, "container-duration %" G_GUINT64_FORMAT "\n", index->container_duration);
  g_string_append_printf (s, "segment %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n", index->segment_start,
                          index->segment_time);
  g_string_append_printf (s, "packets %u\n", index->packets->len);
  for (guint i = 0; i < index->packets->len; i++) {
    const FvcPacket *p = &g_array_index (index->packets, FvcPacket, i);
    append_time (s, p->pts);
    g_string_append_c (s, ' ');
    append_time (s, p->dts);
    g_string_append_printf (s, " %u %u\n", p->flags, p->size);
  }
  if (!fvc_mkdir_p (dir, error))
    return FALSE;
  return fvc_file_write_atomic_string (index_file, s->str, error);
}

/* The next line of the text at *@cursor, its '\n' replaced by NUL in place; NULL after the last
 * one. Lines as g_strsplit (text, "\n", -1) gives them for a text that is not empty: one ending
 * in '\n' ends with an empty line. */
static char *
next_line (char **cursor)
{
  char *line = *cursor, *newline;

  if (line == NULL)
    return NULL;
  newline = strchr (line, '\n');
  if (newline != NULL) {
    *newline = '\0';
    *cursor = newline + 1;
  } else {
    *cursor = NULL;
  }
  return line;
}

/* Reads the decimal number at *@p (digits only: no blank, no sign) up to @max and moves *@p past
 * it. */
static gboolean
scan_unsigned (const char **p, guint64 max, guint64 *out)
{
  char *end;
  guint64 v;

  if (!g_ascii_isdigit (**p))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoull (*p, &end, 10);
  if (errno != 0 || v > max)
    return FALSE;
  *p = end;
  *out = v;
  return TRUE;
}

/* A time at *@p: ns, or -1 for none (FVC_TIME_NONE); a sign as g_ascii_string_to_signed()
 * takes it, nothing below -1. */
static gboolean
scan_time (const char **p, guint64 *out)
{
  const char *digits = **p == '-' || **p == '+' ? *p + 1 : *p;
  char *end;
  gint64 v;

  if (!g_ascii_isdigit (*digits))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (*p, &end, 10);
  if (errno != 0 || v < -1)
    return FALSE;
  *p = end;
  *out = v < 0 ? FVC_TIME_NONE : (guint64) v;
  return TRUE;
}

static gboolean
scan_space (const char **p)
{
  if (**p != ' ')
    return FALSE;
  (*p)++;
  return TRUE;
}

/* One packet line at *@p, "<pts> <dts> <flags> <size>" with single spaces and nothing after:
 * moves *@p to the next line (or the end of the text). */
static gboolean
scan_packet (const char **p, FvcPacket *packet)
{
  guint64 flags, size;

  if (!scan_time (p, &packet->pts) || !scan_space (p) || !scan_time (p, &packet->dts) || !scan_space (p) ||
      !scan_unsigned (p, 15, &flags) || !scan_space (p) || !scan_unsigned (p, G_MAXUINT32, &size))
    return FALSE;
  if (**p == '\n')
    (*p)++;
  else if (**p != '\0')
    return FALSE;
  packet->flags = (guint32) flags;
  packet->size = (guint32) size;
  return TRUE;
}

FvcFrameIndex *
fvc_frame_index_load (const char *index_file, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (FvcFrameIndex) index = NULL;
  char *cursor, *lines[6];
  const char *p;
  guint64 n = 0;
  guint line = 0;

  if (!g_file_get_contents (index_file, &text, NULL, NULL)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot read", index_file);
    return NULL;
  }
  index = index_new (NULL);
#define BAD() G_STMT_START { \
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: malformed frame index", index_file, line + 1); \
    return NULL; } G_STMT_END
  /* The six header lines, split in place (an empty text has none); then the packet lines,
   * parsed where they lie. */
  cursor = *text != '\0' ? text : NULL;
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    lines[i] = next_line (&cursor);
  if (lines[0] == NULL || strcmp (lines[0], FRAME_INDEX_MAGIC) != 0)
    BAD ();
  line++;
  if (lines[line] == NULL || !g_str_has_prefix (lines[line], "signature "))
    BAD ();
  index->signature = g_strdup (lines[line++] + strlen ("signature "));
  if (lines[line] == NULL || !g_str_has_prefix (lines[line], "caps "))
    BAD ();
  index->caps = g_strdup (lines[line++] + strlen ("caps "));
  if (lines[line] == NULL || sscanf (lines[line], "container-duration %" G_GUINT64_FORMAT, &index->container_duration) != 1)
    BAD ();
  line++;
  if (lines[line] == NULL || sscanf (lines[line], "segment %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                                     &index->segment_start, &index->segment_time) != 2)
    BAD ();
  line++;
  if (lines[line] == NULL || sscanf (lines[line], "packets %" G_GUINT64_FORMAT, &n) != 1 || n == 0 || n > G_MAXUINT32)
    BAD ();
  line++;
  p = cursor;
  for (guint64 i = 0; i < n; i++, line++) {
    FvcPacket packet = { 0 };
    if (p == NULL || !scan_packet (&p, &packet))
      BAD ();
    g_array_append_val (index->packets, packet);
  }
#undef BAD
  index_finish (index);
  return g_steal_pointer (&index);
}

FvcFrameIndex *
fvc_frame_index_get (const char *path, const char *index_file, gboolean *rebuilt, GError **error)
{
  FvcFrameIndex *index;

  if (rebuilt)
    *rebuilt = FALSE;
  if (index_file != NULL && g_file_test (index_file, G_FILE_TEST_EXISTS)) {
    g_autofree char *sig = fvc_file_signature (path, NULL);
    index = fvc_frame_index_load (index_file, NULL);
    if (index != NULL && sig != NULL && g_strcmp0 (sig, index->signature) == 0) {
      g_free (index->path);
      index->path = g_strdup (path);
      return index;
    }
    g_clear_pointer (&index, fvc_frame_index_unref);
  }
  index = fvc_frame_index_build (path, error);
  if (index == NULL)
    return NULL;
  if (rebuilt)
    *rebuilt = TRUE;
  /* A cache that cannot be written only costs the next run a parse pass. */
  if (index_file != NULL)
    fvc_frame_index_save (index, index_file, NULL);
  return index;
}

/* ---- accessors ----------------------------------------------------------------------------------- */

const char *
fvc_frame_index_get_path (const FvcFrameIndex *index)
{
  return index->path;
}

const char *
fvc_frame_index_get_caps (const FvcFrameIndex *index)
{
  return index->caps;
}

guint
fvc_frame_index_get_n_frames (const FvcFrameIndex *index)
{
  return index->packets->len;
}

const FvcPacket *
fvc_frame_index_get_packet (const FvcFrameIndex *index, guint i)
{
  g_return_val_if_fail (i < index->packets->len, NULL);
  return &g_array_index (index->packets, FvcPacket, i);
}

guint
fvc_frame_index_packet_of_frame (const FvcFrameIndex *index, guint frame)
{
  g_return_val_if_fail (frame < index->packets->len, 0);
  return index->packet_of_frame[frame];
}

gboolean
fvc_frame_index_is_timed (const FvcFrameIndex *index)
{
  return index->timed;
}

gboolean
fvc_frame_index_has_ref_info (const FvcFrameIndex *index)
{
  return index->ref_info;
}

guint64
fvc_frame_index_get_container_duration (const FvcFrameIndex *index)
{
  return index->container_duration;
}

gboolean
fvc_frame_index_is_complete (const FvcFrameIndex *index, FvcCompleteness *out)
{
  guint64 min_pts = G_MAXUINT64, max_pts = 0, frame_ns;
  guint n_pts = 0;
  FvcCompleteness c = { 0 };

  for (guint i = 0; i < index->packets->len; i++) {
    guint64 pts = g_array_index (index->packets, FvcPacket, i).pts;
    if (pts == FVC_TIME_NONE)
      continue;
    min_pts = MIN (min_pts, pts);
    max_pts = MAX (max_pts, pts);
    n_pts++;
  }
  c.promised_ns = index->container_duration;
  if (n_pts >= 2 && index->container_duration > 0) {
    frame_ns = (max_pts - min_pts) / (n_pts - 1);
    /* In stream time, as the container's duration is. */
    c.present_ns = max_pts + frame_ns;
    c.present_ns = c.present_ns > index->segment_start ? c.present_ns - index->segment_start : 0;
    c.present_ns += index->segment_time;
    if (frame_ns > 0)
      c.promised_frames = (index->container_duration + frame_ns / 2) / frame_ns;
    /* Complete unless the container's time runs past the last frame by more than 2 frames and
     * 2 %: containers round durations and shift timestamps by an edit list. */
    c.complete = !(index->container_duration > c.present_ns + MAX (2 * frame_ns, index->container_duration / 50));
  } else {
    c.complete = TRUE; /* nothing to compare with */
  }
  if (out)
    *out = c;
  return c.complete;
}

gint64
fvc_frame_index_frame_at_pts (const FvcFrameIndex *index, guint64 pts)
{
  guint f;
  if (!index->timed || pts == FVC_TIME_NONE)
    return -1;
  f = GPOINTER_TO_UINT (g_hash_table_lookup (index->frame_by_pts, &pts));
  return f ? (gint64) f - 1 : -1;
}

gint64
fvc_frame_index_packet_at (const FvcFrameIndex *index, guint64 pts, guint64 dts)
{
  gint64 f = fvc_frame_index_frame_at_pts (index, pts);
  guint i;
  if (f < 0)
    return -1;
  i = index->packet_of_frame[f];
  if (dts != FVC_TIME_NONE && g_array_index (index->packets, FvcPacket, i).dts != FVC_TIME_NONE &&
      g_array_index (index->packets, FvcPacket, i).dts != dts)
    return -1;
  return i;
}

guint
fvc_frame_index_count_keyframes (const FvcFrameIndex *index)
{
  guint n = 0;
  for (guint i = 0; i < index->packets->len; i++)
    n += (g_array_index (index->packets, FvcPacket, i).flags & FVC_PACKET_KEYFRAME) != 0;
  return n;
}
