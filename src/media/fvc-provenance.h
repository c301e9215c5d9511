/* fvc-provenance.h — how provenance travels with the data between fvc elements.
 *
 * 1. The sticky custom downstream event "fvc/video", sent by fvcsample before its first frame:
 *      video-path   (string)  the path as written in the index (seeds and cache names use it)
 *      label        (int)     0 real, 1 fake, -1 unknown
 *      seed         (uint)    base seed, fvc_seed_from_path(video-path) unless overridden
 *      total-frames (guint64) decodable frames of the video
 *      frame-indices(string)  the clip's target frames, "0,60,120,179,239,299"
 *      sampler      (string)  fvc_sample_spec_describe(), e.g. "uniform"
 *      short-video  (string)  pad | skip | error
 * 2. The sticky custom downstream event "fvc/augment", sent by fvcaugment:
 *      augmentation-idx (int) -1 for the base clip
 *      seed (uint)            base seed + augmentation-idx (base seed for -1)
 *      augment (string)       canonical augmentation settings, "size=112;ops=crop,flip,...;v=1"
 * 3. FvcFrameMeta on every frame fvcsample passes: frame index, source PTS, position in the clip.
 * 4. FvcClipMeta on every application/x-fvc-clip buffer (fvcclip): a GstStructure "fvc/clip"
 *    with the clip's provenance; its fields, and the clip caps, are built and parsed only by
 *    fvc-clip-structure.h, which lists them.
 * 5. The serialized custom downstream event "fvc/epoch", sent by fvcclipsrc before the first clip
 *    of every epoch: epoch (uint), clips (uint).
 *
 * libfvc is linked statically into the plugin and into test programs, so the meta registrations
 * look the API/implementation up by name first and register only once per process.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define FVC_VIDEO_EVENT_NAME "fvc/video"
#define FVC_AUGMENT_EVENT_NAME "fvc/augment"
#define FVC_CLIP_STRUCTURE_NAME "fvc/clip"
#define FVC_CLIP_CAPS_NAME "application/x-fvc-clip"
/* application/x-fvc-clip, frames=(int)T, width=(int)W, height=(int)H, format=(string)RGB */
#define FVC_CLIP_CAPS FVC_CLIP_CAPS_NAME ", frames=(int)[1,MAX], width=(int)[1,MAX], " \
  "height=(int)[1,MAX], format=(string)RGB"

typedef struct {
  char *video_path;
  int label;               /* -1 unknown */
  guint32 seed;
  gboolean has_seed;       /* parse: the event carried a seed (fvcsample's always do) */
  guint64 total_frames;
  char *frame_indices;
  char *sampler;
  char *short_video;
} FvcVideoInfo;

void fvc_video_info_clear (FvcVideoInfo *info);
/* (transfer full) */
GstEvent *fvc_video_event_new (const FvcVideoInfo *info);
/* TRUE when @event is an "fvc/video" event; fills @info (clear it with fvc_video_info_clear). */
gboolean fvc_video_event_parse (GstEvent *event, FvcVideoInfo *info);

typedef struct {
  int augmentation_idx;
  guint32 seed;
  char *augment;
} FvcAugmentInfo;

void fvc_augment_info_clear (FvcAugmentInfo *info);
GstEvent *fvc_augment_event_new (const FvcAugmentInfo *info);
gboolean fvc_augment_event_parse (GstEvent *event, FvcAugmentInfo *info);

/* ---- "fvc/epoch" -------------------------------------------------------------------------- */

/* Serialized (not sticky) custom downstream event that fvcclipsrc sends before the first clip of
 * every epoch: epoch (uint, 0-based), clips (uint, clips in that epoch). */
#define FVC_EPOCH_EVENT_NAME "fvc/epoch"
GstEvent *fvc_epoch_event_new (guint epoch, guint n_clips);
/* TRUE when @event is an "fvc/epoch" event; @epoch and @n_clips (either may be NULL) are set. */
gboolean fvc_epoch_event_parse (GstEvent *event, guint *epoch, guint *n_clips);

/* ---- FvcFrameMeta ------------------------------------------------------------------------- */

typedef struct {
  GstMeta meta;
  guint64 frame_index;     /* frame number per the contract (decoder output order, from 0) */
  GstClockTime pts;        /* the source PTS of that frame (demuxer timestamps) */
  guint clip_position;     /* 0..T-1: where the frame goes in the clip */
} FvcFrameMeta;

GType fvc_frame_meta_api_get_type (void);
const GstMetaInfo *fvc_frame_meta_get_info (void);
#define FVC_FRAME_META_API_TYPE (fvc_frame_meta_api_get_type ())
#define fvc_buffer_get_frame_meta(b) ((FvcFrameMeta *) gst_buffer_get_meta ((b), FVC_FRAME_META_API_TYPE))
FvcFrameMeta *fvc_buffer_add_frame_meta (GstBuffer *buffer, guint64 frame_index, GstClockTime pts,
                                         guint clip_position);

/* ---- FvcClipMeta -------------------------------------------------------------------------- */

typedef struct {
  GstMeta meta;
  GstStructure *info;      /* "fvc/clip", owned */
} FvcClipMeta;

GType fvc_clip_meta_api_get_type (void);
const GstMetaInfo *fvc_clip_meta_get_info (void);
#define FVC_CLIP_META_API_TYPE (fvc_clip_meta_api_get_type ())
#define fvc_buffer_get_clip_meta(b) ((FvcClipMeta *) gst_buffer_get_meta ((b), FVC_CLIP_META_API_TYPE))
/* Takes ownership of @info. */
FvcClipMeta *fvc_buffer_add_clip_meta (GstBuffer *buffer, GstStructure *info);

G_END_DECLS
