/* fvc-synth.h — the synthetic fake/real dataset: procedural "face" videos rendered frame by frame
 * and encoded in-process (appsrc ! videoconvert ! x264enc ! h264parse ! mp4mux ! filesink).
 *
 * Dataset layout, for a config with N sources and M fakes per source (docs/dataset.md):
 *   video i = s * (M + 1) + k, s = source 0..N-1, k = 0 the real video, k = 1..M fake k-1
 *   real_SSS.mp4          label real, group src_SSS
 *   fake_SSS_FF.mp4       label fake, group src_SSS: source SSS with its inner face swapped for the
 *                         face of another source (the donor), rendered in the target's pose and
 *                         expression, with one artefact kind (seam, blur, flicker, ghost) of a
 *                         per-video strength.
 * Every random choice is fvc_rng_*(seed, "synth.<param>", counter) with a counter keyed by
 * (source, fake, frame) only, so a source looks the same whatever N, M or the job count, and the
 * same config gives byte-identical files (mp4mux's wall-clock times are zeroed after muxing).
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

#define FVC_SYNTH_DEFAULT_SOURCES 8
#define FVC_SYNTH_DEFAULT_FAKES_PER_SOURCE 3
#define FVC_SYNTH_DEFAULT_FRAMES 48
#define FVC_SYNTH_DEFAULT_WIDTH 160
#define FVC_SYNTH_DEFAULT_HEIGHT 120
#define FVC_SYNTH_DEFAULT_FPS 24
#define FVC_SYNTH_DEFAULT_SEED 1
#define FVC_SYNTH_DONOR_BASE 1000000

typedef struct {
  guint n_sources;         /* real videos, 1..1000 */
  guint fakes_per_source;  /* 0..99 */
  guint n_frames;          /* frames per video, 1..100000 */
  guint width, height;     /* even, 16..4096 */
  guint fps;               /* frames per second, 1..240 */
  guint32 seed;
} FvcSynthConfig;

typedef enum {
  FVC_SYNTH_REAL = 0,
  FVC_SYNTH_SEAM,     /* hard-edged paste: colour mismatch and a dark/bright ring at the mask edge */
  FVC_SYNTH_BLUR,     /* feathered paste of a blurred face: skin texture and detail lost inside */
  FVC_SYNTH_FLICKER,  /* the pasted region's opacity, brightness and position jitter per frame */
  FVC_SYNTH_GHOST,    /* half-transparent, misaligned paste: doubled eyes and mouth */
  FVC_SYNTH_N_KINDS
} FvcSynthKind;

/* What one video of the dataset is. */
typedef struct {
  guint index;          /* position in the index CSV */
  guint source;         /* group */
  guint fake;           /* 0 for the real video, 1..M for fake fake-1 */
  FvcSynthKind kind;
  guint donor;          /* identity of the face: the source for the real video; for a fake,
                         * FVC_SYNTH_DONOR_BASE + 100 * source + fake, used by no other video */
  double strength;      /* artefact strength in [0.5, 1] (0 for the real video) */
  char name[32];        /* file name: real_000.mp4, fake_000_00.mp4 */
  char group[16];       /* src_000 */
} FvcSynthVideo;

void fvc_synth_config_init (FvcSynthConfig *cfg);
/* FVC_ERROR_INVALID naming the first option out of range. */
gboolean fvc_synth_config_validate (const FvcSynthConfig *cfg, GError **error);
guint fvc_synth_n_videos (const FvcSynthConfig *cfg);
void fvc_synth_describe (const FvcSynthConfig *cfg, guint index, FvcSynthVideo *out);
const char *fvc_synth_kind_name (FvcSynthKind kind);

/* Frame @t of video @index as I420 (BT.601 limited range): Y width*height bytes, then U and V
 * (width/2)*(height/2) each, into @i420 (3*width*height/2 bytes). */
void fvc_synth_render_frame (const FvcSynthConfig *cfg, guint index, guint t, guint8 *i420);

/* Renders and encodes video @index into @path (H.264 in MP4), atomically: a temporary file next
 * to it, timestamps fixed, fsync, rename. FVC_ERROR_CANCELLED when @cancellable fires. */
gboolean fvc_synth_write_video (const FvcSynthConfig *cfg, guint index, const char *path,
                                GCancellable *cancellable, GError **error);

/* The index CSV: header `video_path,label,group`, one row per video in index order, video_path
 * = @video_prefix + "/" + name (@video_prefix as given, e.g. "../videos/synth"). (transfer full) */
char *fvc_synth_format_index (const FvcSynthConfig *cfg, const char *video_prefix);

/* @target written relative to directory @from_dir (both relative to the current directory or
 * absolute; no symlinks are resolved), e.g. ("data", "videos/synth") -> "../videos/synth".
 * (transfer full) */
char *fvc_synth_relative_path (const char *from_dir, const char *target);

/* Sets the creation/modification times of the mvhd, tkhd and mdhd boxes of an MP4 held in
 * memory to 0 (mp4mux writes the wall clock there). FVC_ERROR_PARSE on a malformed box tree. */
gboolean fvc_mp4_clear_times (guint8 *data, gsize len, const char *label, GError **error);

G_END_DECLS
