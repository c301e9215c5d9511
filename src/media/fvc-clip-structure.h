/* fvc-clip-structure.h — the two GStreamer descriptions of a clip, each built and parsed here
 * and nowhere else (names and the caps template: fvc-provenance.h):
 *
 *   caps      application/x-fvc-clip, frames=(int)T, width=(int)W, height=(int)H,
 *             format=(string)RGB; a buffer holds T*H*W*3 bytes
 *   "fvc/clip" the FvcClipMeta structure, fields in this order:
 *             video-path        (string)  the source video as written in the index ("" unknown)
 *             label             (int)     0 real, 1 fake, -1 unknown
 *             augmentation-idx  (int)     -1 for the base clip
 *             seed              (uint)    the seed the clip's augmentation used
 *             frame-indices     (string)  the clip's frames, "0,60,120,179,239,299"
 *             pts-ns            (string)  their source PTS in ns, same order
 *             config            (string)  the cache fingerprint    } only on clips read from a
 *             clip-file         (string)  the clip file read       } cache (fvcclipsrc)
 * fvcclip writes the first six; fvcclipsrc all eight. A reader names the fields it needs: those
 * must be present, and every field present must have its type.
 */
#pragma once

#include "fvc-clip.h"

#include <gst/gst.h>

G_BEGIN_DECLS

/* ---- the caps ----------------------------------------------------------------------------- */

typedef struct {
  guint frames, height, width;   /* T, H, W */
} FvcClipShape;

/* T*H*W*3: the bytes of one clip buffer. */
gsize fvc_clip_shape_bytes (const FvcClipShape *shape);
/* Fixed application/x-fvc-clip caps for @shape. (transfer full) */
GstCaps *fvc_clip_caps_new (const FvcClipShape *shape);
/* Reads @shape from fixed clip caps: FVC_ERROR_PARSE unless they are application/x-fvc-clip with
 * format RGB and frames, width and height positive ints. */
gboolean fvc_clip_caps_parse (const GstCaps *caps, FvcClipShape *shape, GError **error);

/* ---- the "fvc/clip" structure ------------------------------------------------------------- */

typedef enum {
  FVC_CLIP_FIELD_VIDEO_PATH = 1 << 0,
  FVC_CLIP_FIELD_LABEL = 1 << 1,
  FVC_CLIP_FIELD_AUGMENTATION_IDX = 1 << 2,
  FVC_CLIP_FIELD_SEED = 1 << 3,
  FVC_CLIP_FIELD_FRAME_INDICES = 1 << 4,
  FVC_CLIP_FIELD_PTS_NS = 1 << 5,
  FVC_CLIP_FIELD_CONFIG = 1 << 6,
  FVC_CLIP_FIELD_CLIP_FILE = 1 << 7,
} FvcClipFields;

/* The fields every clip carries (what fvcclip writes). */
#define FVC_CLIP_FIELDS_PROVENANCE                                                                \
  (FVC_CLIP_FIELD_VIDEO_PATH | FVC_CLIP_FIELD_LABEL | FVC_CLIP_FIELD_AUGMENTATION_IDX |          \
   FVC_CLIP_FIELD_SEED | FVC_CLIP_FIELD_FRAME_INDICES | FVC_CLIP_FIELD_PTS_NS)

typedef struct {
  FvcClipInfo info;      /* label -1 when unknown; config NULL: no "config" field */
  char *clip_file;       /* NULL: no "clip-file" field */
} FvcClipProvenance;

void fvc_clip_provenance_clear (FvcClipProvenance *prov);

/* "fvc/clip" from @prov; a NULL video_path, frame_indices or pts_ns is written as "", a NULL
 * config or clip_file is left out. (transfer full) */
GstStructure *fvc_clip_structure_new (const FvcClipProvenance *prov);
/* Fills @prov (owned strings; clear it with fvc_clip_provenance_clear) from an "fvc/clip"
 * structure. FVC_ERROR_PARSE for another structure, a @required field missing, or any field of
 * the wrong type. Fields absent and not required: NULL strings, label -1, augmentation_idx -1,
 * seed 0. */
gboolean fvc_clip_structure_parse (const GstStructure *structure, FvcClipFields required, FvcClipProvenance *prov,
                                   GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FvcClipProvenance, fvc_clip_provenance_clear)

G_END_DECLS
