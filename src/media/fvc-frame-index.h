/* fvc-frame-index.h — the per-video frame index: one demux/parse pass (no decoding) that records
 * every video packet, and the frame numbers derived from it.
 *
 * Packets are kept in decode order (the order the demuxer delivers them). Frame k of the video is
 * the packet with the k-th smallest PTS, i.e. the k-th frame a decoder outputs: frame numbers
 * count decodable frames, never the container's claim (a truncated file indexes only the
 * packets that are really there). For H.264 and H.265 each access unit is parsed to tell whether
 * it is a reference picture (H.264: every slice has nal_ref_idc 0 → non-reference; H.265:
 * sub-layer non-reference NAL types).
 *
 * The index is "timed" when every packet has a distinct PTS: frames can then be identified by
 * the PTS the same demuxer gives them (also after a seek). Without that (elementary streams
 * without timestamps, duplicated PTS), consumers must decode forward and count.
 *
 * Cache file (text, one per video, written atomically):
 *   fvc-frame-index 2
 *   signature <size> <mtime-ns> <md5 of first and last 64 KiB>
 *   caps <caps string>
 *   container-duration <ns the container promises, 0 unknown>
 *   segment <start-ns> <time-ns>                 (the first packet's segment: buffer time → stream time)
 *   packets <n>
 *   <pts-ns|-1> <dts-ns|-1> <flags> <size-bytes>        (n lines, decode order)
 * flags: 1 keyframe, 2 non-reference, 4 reference info known, 8 IDR/BLA (H.264/H.265).
 */
#pragma once

#include <glib.h>
#include <glib-object.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  FVC_PACKET_KEYFRAME = 1 << 0,
  FVC_PACKET_NONREF = 1 << 1,
  FVC_PACKET_REF_KNOWN = 1 << 2,
  /* H.264/H.265 only (with REF_KNOWN): an IDR/BLA picture. Informational: keyframes that are
   * not IDR (open GOPs) are restart points too, once the decoder is drained. */
  FVC_PACKET_IDR = 1 << 3,
} FvcPacketFlags;

#define FVC_TIME_NONE G_GUINT64_CONSTANT (0xffffffffffffffff)

typedef struct {
  guint64 pts;            /* ns, FVC_TIME_NONE when absent */
  guint64 dts;            /* ns, FVC_TIME_NONE when absent */
  guint32 size;           /* bytes */
  guint32 flags;          /* FvcPacketFlags */
  guint32 frame;          /* presentation-order frame number (timed indexes; else decode order) */
} FvcPacket;

typedef struct _FvcFrameIndex FvcFrameIndex;

GType fvc_frame_index_get_type (void);
#define FVC_TYPE_FRAME_INDEX (fvc_frame_index_get_type ())

/* Runs the demux/parse pass over @path (a local file). Fails with FVC_ERROR_IO (missing,
 * unreadable), FVC_ERROR_MEDIA (empty, not a media file, no video stream, no frames). */
FvcFrameIndex *fvc_frame_index_build (const char *path, GError **error);
/* Loads the cached index of @path from @index_file when its signature still matches the file,
 * else builds it and writes @index_file (when @index_file is not NULL). @rebuilt tells which. */
FvcFrameIndex *fvc_frame_index_get (const char *path, const char *index_file, gboolean *rebuilt,
                                    GError **error);
gboolean fvc_frame_index_save (const FvcFrameIndex *index, const char *index_file, GError **error);
FvcFrameIndex *fvc_frame_index_load (const char *index_file, GError **error);

FvcFrameIndex *fvc_frame_index_ref (FvcFrameIndex *index);
void fvc_frame_index_unref (FvcFrameIndex *index);

const char *fvc_frame_index_get_path (const FvcFrameIndex *index);
const char *fvc_frame_index_get_caps (const FvcFrameIndex *index);
/* Decodable frames = packets. */
guint fvc_frame_index_get_n_frames (const FvcFrameIndex *index);
/* Packet @i in decode order. */
const FvcPacket *fvc_frame_index_get_packet (const FvcFrameIndex *index, guint i);
/* Decode-order position of frame @frame. */
guint fvc_frame_index_packet_of_frame (const FvcFrameIndex *index, guint frame);
/* TRUE when frames can be identified by PTS. */
gboolean fvc_frame_index_is_timed (const FvcFrameIndex *index);
/* TRUE when reference information is known for every packet (H.264/H.265). */
gboolean fvc_frame_index_has_ref_info (const FvcFrameIndex *index);
/* Frame number with exactly this PTS, or -1. */
gint64 fvc_frame_index_frame_at_pts (const FvcFrameIndex *index, guint64 pts);
/* Decode-order packet with exactly this PTS (timed) and DTS, or -1. */
gint64 fvc_frame_index_packet_at (const FvcFrameIndex *index, guint64 pts, guint64 dts);
/* TRUE for a codec header sent in-band without a time (Theora's three in Ogg): not a picture,
 * not in the index; the gate passes it to the decoder as it is. */
gboolean fvc_packet_is_untimed_header (GstBuffer *buf);
guint fvc_frame_index_count_keyframes (const FvcFrameIndex *index);
/* The duration the container states (ns, 0 when unknown). */
guint64 fvc_frame_index_get_container_duration (const FvcFrameIndex *index);

typedef struct {
  gboolean complete;
  guint64 promised_ns;      /* the container's duration */
  guint64 present_ns;       /* where the last frame ends in stream time (last PTS + mean frame
                             * interval, through the first packet's segment) */
  guint64 promised_frames;  /* promised_ns / mean frame interval (0 when unknown) */
} FvcCompleteness;

/* FALSE when the container's duration runs past the end of the last frame by more than two
 * frames and 2 % (a cut file, or a header that lies); rounding and edit-list shifts pass. Works
 * with variable frame rates (the mean interval of the PTS present). */
gboolean fvc_frame_index_is_complete (const FvcFrameIndex *index, FvcCompleteness *out);

/* Cheap check, for an index handed over rather than loaded (fvcsample's frame-index): one stat,
 * no hashing. FALSE with FVC_ERROR_MISMATCH, naming both sizes, when @path's size or mtime is
 * not what @index's signature recorded (an index of another file, or the file changed since);
 * FVC_ERROR_IO when @path cannot be stat'ed. */
gboolean fvc_frame_index_check_file (const FvcFrameIndex *index, const char *path, GError **error);

/* The file signature: size, mtime, md5 of the first and last 64 KiB. (transfer full) */
char *fvc_file_signature (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcFrameIndex, fvc_frame_index_unref)

G_END_DECLS
