/* fvc-sampler.c — frame-index selection strategies and the short-video policy (see the header). */
#include "fvc-sampler.h"
#include "fvc-error.h"
#include "fvc-seed.h"


static const char *strategy_names[] = { "uniform", "random-segment", "stride", "explicit" };
static const char *policy_names[] = { "pad", "skip", "error" };

const char *
fvc_sample_strategy_name (FvcSampleStrategy s)
{
  g_return_val_if_fail ((guint) s < G_N_ELEMENTS (strategy_names), "?");
  return strategy_names[s];
}

gboolean
fvc_sample_strategy_from_name (const char *name, FvcSampleStrategy *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (strategy_names); i++) {
    if (g_strcmp0 (name, strategy_names[i]) == 0) {
      *out = (FvcSampleStrategy) i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
fvc_short_video_policy_name (FvcShortVideoPolicy p)
{
  g_return_val_if_fail ((guint) p < G_N_ELEMENTS (policy_names), "?");
  return policy_names[p];
}

gboolean
fvc_short_video_policy_from_name (const char *name, FvcShortVideoPolicy *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (policy_names); i++) {
    if (g_strcmp0 (name, policy_names[i]) == 0) {
      *out = (FvcShortVideoPolicy) i;
      return TRUE;
    }
  }
  return FALSE;
}

guint
fvc_sample_spec_count (const FvcSampleSpec *spec)
{
  return spec->strategy == FVC_SAMPLE_EXPLICIT ? spec->n_explicit : spec->num_frames;
}

guint64
fvc_sample_uniform_index (guint64 i, guint64 n, guint64 total)
{
  g_return_val_if_fail (n >= 1 && total >= 1 && i < n, 0);
  if (n == 1)
    return total / 2;
  /* round(i*(total-1)/(n-1)) half up == floor((2*i*(total-1) + (n-1)) / (2*(n-1))) */
  return (2 * i * (total - 1) + (n - 1)) / (2 * (n - 1));
}

static gboolean
too_short (const FvcSampleSpec *spec, const char *video, guint64 total, guint64 needed, GError **error)
{
  g_set_error (error, FVC_ERROR, FVC_ERROR_TOO_SHORT,
               "%s: %" G_GUINT64_FORMAT " decodable frames, %" G_GUINT64_FORMAT " needed "
               "(short-video=%s)", video, total, needed, fvc_short_video_policy_name (spec->short_video));
  return FALSE;
}

gboolean
fvc_sample_frames (const FvcSampleSpec *spec, guint64 total, const char *video, guint64 *out,
                   GError **error)
{
  guint n = fvc_sample_spec_count (spec);
  gboolean pad = spec->short_video == FVC_SHORT_VIDEO_PAD;

  if (video == NULL)
    video = "video";
  if (n == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: no frames requested", video);
    return FALSE;
  }
  if (total == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: no decodable video frames", video);
    return FALSE;
  }

  switch (spec->strategy) {
    case FVC_SAMPLE_UNIFORM:
    case FVC_SAMPLE_RANDOM_SEGMENT:
      if (total < n) {
        if (!pad)
          return too_short (spec, video, total, n, error);
        for (guint i = 0; i < n; i++)
          out[i] = MIN ((guint64) i, total - 1);
        return TRUE;
      }
      for (guint i = 0; i < n; i++) {
        if (spec->strategy == FVC_SAMPLE_UNIFORM) {
          out[i] = fvc_sample_uniform_index (i, n, total);
        } else {
          guint64 lo = (guint64) i * total / n, hi = (guint64) (i + 1) * total / n;
          /* total >= n makes every segment non-empty */
          out[i] = lo + fvc_rng_below (spec->seed, "segment", i, (guint32) (hi - lo));
        }
      }
      return TRUE;

    case FVC_SAMPLE_STRIDE: {
      guint64 stride = spec->stride;
      guint64 last = spec->start + (guint64) (n - 1) * stride;
      if (stride == 0) {
        /* A stride of 0 would repeat one frame n times: a bad spec, not a padding case. */
        g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: stride must be at least 1", video);
        return FALSE;
      }
      if (spec->start >= total)
        return too_short (spec, video, total, spec->start + 1, error);
      if (last >= total && !pad)
        return too_short (spec, video, total, last + 1, error);
      /* pad: repeat the last requested index that exists (not the video's last frame, which
       * would leave the stride grid and repeat nothing). */
      for (guint i = 0; i < n; i++) {
        guint64 idx = spec->start + (guint64) i * stride;
        out[i] = idx < total ? idx : out[i - 1];
      }
      return TRUE;
    }

    case FVC_SAMPLE_EXPLICIT:
      for (guint i = 0; i < n; i++) {
        if (i > 0 && spec->explicit_indices[i] <= spec->explicit_indices[i - 1]) {
          g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                       "%s: explicit frame indices must be strictly increasing", video);
          return FALSE;
        }
      }
      if (spec->explicit_indices[n - 1] >= total && !pad)
        return too_short (spec, video, total, (guint64) spec->explicit_indices[n - 1] + 1, error);
      if (spec->explicit_indices[0] >= total)
        return too_short (spec, video, total, (guint64) spec->explicit_indices[0] + 1, error);
      for (guint i = 0; i < n; i++) {
        guint64 idx = spec->explicit_indices[i];
        out[i] = idx < total ? idx : out[i - 1]; /* i > 0: the first index exists */
      }
      return TRUE;
  }
  g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: unknown sampling strategy", video);
  return FALSE;
}

GArray *
fvc_parse_index_list (const char *text, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint i = 0; parts[i] != NULL; i++) {
    const char *p = g_strstrip (parts[i]);
    guint64 v;
    if (*p == '\0' && parts[1] == NULL)
      break; /* "" is the empty list */
    if (!g_ascii_string_to_unsigned (p, 10, 0, G_MAXUINT32, &v, NULL)) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "\"%s\" is not a frame index in \"%s\"", p, text);
      g_array_unref (out);
      return NULL;
    }
    g_array_append_val (out, v);
  }
  return out;
}

gboolean
fvc_sample_spec_set_explicit (FvcSampleSpec *spec, const char *text, guint **storage, GError **error)
{
  g_autoptr (GArray) list = fvc_parse_index_list (text, error);

  if (list == NULL)
    return FALSE;
  if (list->len == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "\"%s\" lists no frame", text);
    return FALSE;
  }
  *storage = g_new (guint, list->len);
  for (guint i = 0; i < list->len; i++)
    (*storage)[i] = (guint) g_array_index (list, guint64, i);
  spec->strategy = FVC_SAMPLE_EXPLICIT;
  spec->explicit_indices = *storage;
  spec->n_explicit = list->len;
  return TRUE;
}

char *
fvc_format_index_list (const guint64 *indices, guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? "," : "", indices[i]);
  return g_string_free (s, FALSE);
}

char *
fvc_sample_spec_describe (const FvcSampleSpec *spec, gboolean explicit_seed)
{
  switch (spec->strategy) {
    case FVC_SAMPLE_UNIFORM:
      return g_strdup ("uniform");
    case FVC_SAMPLE_RANDOM_SEGMENT:
      return explicit_seed ? g_strdup_printf ("random-segment:seed=%u", spec->seed) : g_strdup ("random-segment");
    case FVC_SAMPLE_STRIDE:
      return g_strdup_printf ("stride=%u:start=%u", MAX (spec->stride, 1u), spec->start);
    case FVC_SAMPLE_EXPLICIT: {
      GString *s = g_string_new ("explicit=");
      for (guint i = 0; i < spec->n_explicit; i++)
        g_string_append_printf (s, "%s%u", i ? "," : "", spec->explicit_indices[i]);
      return g_string_free (s, FALSE);
    }
  }
  return g_strdup ("?");
}
