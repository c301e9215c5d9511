/* fvc-sampler.h — which frames of a video make a clip.
 *
 * Frame k is the k-th frame the decoder outputs in presentation order, counting from 0, over
 * the decodable frames of the video (never the container's claim).
 *
 *   uniform         round(i*(total-1)/(n-1)) for i = 0..n-1, round half up, integer arithmetic;
 *                   n = 1 picks the middle frame total/2.
 *   random-segment  [0, total) cut into n equal segments [floor(i*total/n), floor((i+1)*total/n));
 *                   one frame drawn uniformly in each, from (seed, "segment", i).
 *   stride          start, start+stride, ..., n frames.
 *   explicit        the listed indices, strictly increasing.
 *
 * A video with fewer frames than a strategy needs follows the short-video policy:
 *   pad   take every frame there is and repeat the last one up to n (uniform, random-segment),
 *         or repeat the last of the strategy's indices that exists, i.e. is < total
 *         (stride, explicit; when none exists the video is too short even under pad);
 *   skip  no clip (FVC_ERROR_TOO_SHORT, the caller skips the video);
 *   error same code, the caller treats it as a failure.
 * Indices can repeat only under pad; otherwise they are strictly increasing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FVC_SAMPLE_UNIFORM,
  FVC_SAMPLE_RANDOM_SEGMENT,
  FVC_SAMPLE_STRIDE,
  FVC_SAMPLE_EXPLICIT,
} FvcSampleStrategy;

typedef enum {
  FVC_SHORT_VIDEO_PAD,
  FVC_SHORT_VIDEO_SKIP,
  FVC_SHORT_VIDEO_ERROR,
} FvcShortVideoPolicy;

typedef struct {
  FvcSampleStrategy strategy;
  guint num_frames;           /* n; ignored for explicit */
  guint32 seed;               /* random-segment */
  guint stride;               /* stride, >= 1 */
  guint start;                /* stride: first frame */
  const guint *explicit_indices;
  guint n_explicit;
  FvcShortVideoPolicy short_video;
} FvcSampleSpec;

const char *fvc_sample_strategy_name (FvcSampleStrategy s);
gboolean fvc_sample_strategy_from_name (const char *name, FvcSampleStrategy *out);
const char *fvc_short_video_policy_name (FvcShortVideoPolicy p);
gboolean fvc_short_video_policy_from_name (const char *name, FvcShortVideoPolicy *out);

/* The number of indices fvc_sample_frames() returns for @spec. */
guint fvc_sample_spec_count (const FvcSampleSpec *spec);

/* Fills @out (fvc_sample_spec_count() entries) with the frame indices for a video of @total
 * decodable frames. FVC_ERROR_TOO_SHORT when the video is too short and the policy is not pad,
 * FVC_ERROR_MEDIA when @total is 0, FVC_ERROR_INVALID for a bad spec. @video names the video in
 * messages. */
gboolean fvc_sample_frames (const FvcSampleSpec *spec, guint64 total, const char *video,
                            guint64 *out, GError **error);

/* Uniform selection alone, as in the contract (no policy: requires total >= n >= 1). */
guint64 fvc_sample_uniform_index (guint64 i, guint64 n, guint64 total);

/* The strategy and its parameters, without frame count or policy: "uniform", "random-segment",
 * "random-segment:seed=7" (explicit seed only), "stride=4:start=0", "explicit=0,5,9". Used in
 * cache fingerprints. (transfer full) */
char *fvc_sample_spec_describe (const FvcSampleSpec *spec, gboolean explicit_seed);

/* Makes @spec explicit with the frames listed in @text ("0,60,120"); *@storage receives the
 * array @spec points into (free it with g_free after use). An empty or malformed list is an
 * FVC_ERROR_PARSE error naming the text. */
gboolean fvc_sample_spec_set_explicit (FvcSampleSpec *spec, const char *text, guint **storage, GError **error);

/* Parses "0,60,120" into a new array. (transfer full) */
GArray *fvc_parse_index_list (const char *text, GError **error);
/* Formats indices as "0,60,120". (transfer full) */
char *fvc_format_index_list (const guint64 *indices, guint n);

G_END_DECLS
