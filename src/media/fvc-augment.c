/* fvc-augment.c — augmentation settings, their canonical string, per-clip parameter draws and the
 * RGB kernels (flip, jitter, blur, noise, JPEG) that run at output size. The crop + resize itself
 * is GstVideoConverter's job in the element; nothing here knows GStreamer. Contracts in the header.
 */
#include "fvc-augment.h"
#include "fvc-error.h"
#include "fvc-seed.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* ---- settings ------------------------------------------------------------------------------ */

void
fvc_augment_settings_init (FvcAugmentSettings *s)
{
  g_return_if_fail (s != NULL);

  *s = (FvcAugmentSettings) {
    .size = FVC_AUGMENT_DEFAULT_SIZE,
    .crop = TRUE,
    .crop_scale_min = FVC_AUGMENT_DEFAULT_CROP_SCALE_MIN,
    .crop_scale_max = FVC_AUGMENT_DEFAULT_CROP_SCALE_MAX,
    .crop_ratio_min = FVC_AUGMENT_DEFAULT_CROP_RATIO_MIN,
    .crop_ratio_max = FVC_AUGMENT_DEFAULT_CROP_RATIO_MAX,
    .flip = TRUE,
    .flip_probability = FVC_AUGMENT_DEFAULT_FLIP_PROBABILITY,
    .jitter = TRUE,
    .jitter_probability = FVC_AUGMENT_DEFAULT_JITTER_PROBABILITY,
    .brightness = FVC_AUGMENT_DEFAULT_BRIGHTNESS,
    .contrast = FVC_AUGMENT_DEFAULT_CONTRAST,
    .saturation = FVC_AUGMENT_DEFAULT_SATURATION,
    .blur = TRUE,
    .blur_probability = FVC_AUGMENT_DEFAULT_BLUR_PROBABILITY,
    .blur_sigma_min = FVC_AUGMENT_DEFAULT_BLUR_SIGMA_MIN,
    .blur_sigma_max = FVC_AUGMENT_DEFAULT_BLUR_SIGMA_MAX,
    .noise = TRUE,
    .noise_probability = FVC_AUGMENT_DEFAULT_NOISE_PROBABILITY,
    .noise_sigma_min = FVC_AUGMENT_DEFAULT_NOISE_SIGMA_MIN,
    .noise_sigma_max = FVC_AUGMENT_DEFAULT_NOISE_SIGMA_MAX,
    .jpeg = TRUE,
    .jpeg_probability = FVC_AUGMENT_DEFAULT_JPEG_PROBABILITY,
    .jpeg_quality_min = FVC_AUGMENT_DEFAULT_JPEG_QUALITY_MIN,
    .jpeg_quality_max = FVC_AUGMENT_DEFAULT_JPEG_QUALITY_MAX,
  };
}

static gboolean
check_range (const char *name, double lo, double hi, double min_allowed, double max_allowed,
             gboolean lo_exclusive, GError **error)
{
  /* Written so that NaN fails every comparison and is refused. */
  if (!(lo <= hi) || !(lo >= min_allowed) || !(hi <= max_allowed) || (lo_exclusive && !(lo > min_allowed))) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                 "augmentation setting %s: range %g-%g is not within %s%g, %g] or min > max",
                 name, lo, hi, lo_exclusive ? "(" : "[", min_allowed, max_allowed);
    return FALSE;
  }
  return TRUE;
}

gboolean
fvc_augment_settings_validate (const FvcAugmentSettings *s, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);

  if (s->size < FVC_AUGMENT_MIN_SIZE || s->size > FVC_AUGMENT_MAX_SIZE) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "augmentation setting size: %u is not within [%d, %d]",
                 s->size, FVC_AUGMENT_MIN_SIZE, FVC_AUGMENT_MAX_SIZE);
    return FALSE;
  }
  return check_range ("crop-scale", s->crop_scale_min, s->crop_scale_max, 0.0, 1.0, TRUE, error)
      && check_range ("crop-ratio", s->crop_ratio_min, s->crop_ratio_max, 0.0, 100.0, TRUE, error)
      && check_range ("flip-probability", s->flip_probability, s->flip_probability, 0.0, 1.0, FALSE, error)
      && check_range ("jitter-probability", s->jitter_probability, s->jitter_probability, 0.0, 1.0, FALSE, error)
      && check_range ("brightness", s->brightness, s->brightness, 0.0, FVC_AUGMENT_MAX_JITTER, FALSE, error)
      && check_range ("contrast", s->contrast, s->contrast, 0.0, FVC_AUGMENT_MAX_JITTER, FALSE, error)
      && check_range ("saturation", s->saturation, s->saturation, 0.0, FVC_AUGMENT_MAX_JITTER, FALSE, error)
      && check_range ("blur-probability", s->blur_probability, s->blur_probability, 0.0, 1.0, FALSE, error)
      && check_range ("blur-sigma", s->blur_sigma_min, s->blur_sigma_max, 0.0, FVC_AUGMENT_MAX_BLUR_SIGMA, TRUE, error)
      && check_range ("noise-probability", s->noise_probability, s->noise_probability, 0.0, 1.0, FALSE, error)
      && check_range ("noise-sigma", s->noise_sigma_min, s->noise_sigma_max, 0.0, FVC_AUGMENT_MAX_NOISE_SIGMA, FALSE, error)
      && check_range ("jpeg-probability", s->jpeg_probability, s->jpeg_probability, 0.0, 1.0, FALSE, error)
      && check_range ("jpeg-quality", s->jpeg_quality_min, s->jpeg_quality_max, 1.0, 100.0, FALSE, error);
}

/* The shortest %.Ng text that reads back to exactly @v, so the string is canonical and readable
 * ("0.6", "1.3333333333333333"). */
static void
append_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int digits = 1; digits <= 17; digits++) {
    char fmt[8];
    g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
    g_ascii_formatd (buf, sizeof buf, fmt, v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  g_string_append (out, buf);
}

static void
append_range (GString *out, const char *key, double lo, double hi)
{
  g_string_append_printf (out, ";%s=", key);
  append_number (out, lo);
  g_string_append_c (out, '-');
  append_number (out, hi);
}

static void
append_value (GString *out, const char *key, double v)
{
  g_string_append_printf (out, ";%s=", key);
  append_number (out, v);
}

char *
fvc_augment_settings_to_string (const FvcAugmentSettings *s)
{
  GString *out;
  const char *sep = "";

  g_return_val_if_fail (s != NULL, NULL);

  out = g_string_new (NULL);
  g_string_append_printf (out, "size=%u;resample=%s;ops=", s->size, FVC_AUGMENT_RESAMPLER_NAME);
  /* The op list in application order; "none" when every op is off (base-clip-like output). */
  {
    const struct { gboolean on; const char *name; } ops[] = {
      { s->crop, "crop" }, { s->flip, "flip" }, { s->jitter, "jitter" },
      { s->blur, "blur" }, { s->noise, "noise" }, { s->jpeg, "jpeg" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (ops); i++) {
      if (!ops[i].on)
        continue;
      g_string_append_printf (out, "%s%s", sep, ops[i].name);
      sep = ",";
    }
    if (*sep == '\0')
      g_string_append (out, "none");
  }
  if (s->crop) {
    append_range (out, "crop-scale", s->crop_scale_min, s->crop_scale_max);
    append_range (out, "crop-ratio", s->crop_ratio_min, s->crop_ratio_max);
  }
  if (s->flip)
    append_value (out, "flip-p", s->flip_probability);
  if (s->jitter) {
    append_value (out, "jitter-p", s->jitter_probability);
    append_value (out, "brightness", s->brightness);
    append_value (out, "contrast", s->contrast);
    append_value (out, "saturation", s->saturation);
  }
  if (s->blur) {
    append_value (out, "blur-p", s->blur_probability);
    append_range (out, "blur-sigma", s->blur_sigma_min, s->blur_sigma_max);
  }
  if (s->noise) {
    append_value (out, "noise-p", s->noise_probability);
    append_range (out, "noise-sigma", s->noise_sigma_min, s->noise_sigma_max);
  }
  if (s->jpeg) {
    append_value (out, "jpeg-p", s->jpeg_probability);
    g_string_append_printf (out, ";jpeg-quality=%u-%u", s->jpeg_quality_min, s->jpeg_quality_max);
  }
  g_string_append_printf (out, ";v=%d", FVC_AUGMENT_VERSION);
  return g_string_free (out, FALSE);
}

/* ---- per-clip parameters ------------------------------------------------------------------- */

guint32
fvc_augment_clip_seed (guint32 base_seed, int augmentation_idx)
{
  if (augmentation_idx < 0)
    return base_seed;
  return base_seed + (guint32) augmentation_idx;
}

static int
round_half_up (double v)
{
  return (int) floor (v + 0.5);
}

/* Crop position along one axis: inside the centred square when the crop fits in it, else any
 * position that covers the square (see the header). */
static int
draw_position (guint32 seed, const char *name, int length, int square, int crop)
{
  int o = (length - square) / 2;
  int lo = MAX (0, MIN (o, o + square - crop));
  int hi = MIN (length - crop, MAX (o, o + square - crop));

  g_assert (hi >= lo);
  return lo + (int) fvc_rng_below (seed, name, 0, (guint32) (hi - lo + 1));
}

static gboolean
draw_on (gboolean enabled, guint32 seed, const char *name, double probability)
{
  /* Always draw: the value is a function of (seed, name) only, not of other settings. */
  double u = fvc_rng_uniform (seed, name, 0);
  return enabled && u < probability;
}

void
fvc_augment_draw_params (const FvcAugmentSettings *s, guint32 base_seed, int augmentation_idx,
                         int src_width, int src_height, FvcAugmentParams *p)
{
  guint32 seed;
  int square;

  g_return_if_fail (s != NULL && p != NULL);
  g_return_if_fail (src_width > 0 && src_height > 0);

  seed = fvc_augment_clip_seed (base_seed, augmentation_idx);
  square = MIN (src_width, src_height);

  memset (p, 0, sizeof *p);
  p->augmentation_idx = augmentation_idx;
  p->seed = seed;
  p->crop_x = (src_width - square) / 2;
  p->crop_y = (src_height - square) / 2;
  p->crop_width = square;
  p->crop_height = square;

  if (augmentation_idx < 0)
    return;   /* the base clip: the centred square, nothing random */

  if (s->crop) {
    double a = fvc_rng_range (seed, "crop-scale", 0, s->crop_scale_min, s->crop_scale_max);
    double r = exp (fvc_rng_range (seed, "crop-ratio", 0, log (s->crop_ratio_min), log (s->crop_ratio_max)));

    p->crop_width = CLAMP (round_half_up (square * sqrt (a * r)), 1, src_width);
    p->crop_height = CLAMP (round_half_up (square * sqrt (a / r)), 1, src_height);
    p->crop_x = draw_position (seed, "crop-x", src_width, square, p->crop_width);
    p->crop_y = draw_position (seed, "crop-y", src_height, square, p->crop_height);
  }

  p->flip = draw_on (s->flip, seed, "flip", s->flip_probability);

  p->jitter = draw_on (s->jitter, seed, "jitter", s->jitter_probability);
  p->brightness = fvc_rng_range (seed, "brightness", 0, MAX (0.0, 1.0 - s->brightness), 1.0 + s->brightness);
  p->contrast = fvc_rng_range (seed, "contrast", 0, MAX (0.0, 1.0 - s->contrast), 1.0 + s->contrast);
  p->saturation = fvc_rng_range (seed, "saturation", 0, MAX (0.0, 1.0 - s->saturation), 1.0 + s->saturation);

  p->blur = draw_on (s->blur, seed, "blur", s->blur_probability);
  p->blur_sigma = fvc_rng_range (seed, "blur-sigma", 0, s->blur_sigma_min, s->blur_sigma_max);

  p->noise = draw_on (s->noise, seed, "noise", s->noise_probability);
  p->noise_sigma = fvc_rng_range (seed, "noise-sigma", 0, s->noise_sigma_min, s->noise_sigma_max);

  p->jpeg = draw_on (s->jpeg, seed, "jpeg", s->jpeg_probability);
  p->jpeg_quality = s->jpeg_quality_min
      + fvc_rng_below (seed, "jpeg-quality", 0, s->jpeg_quality_max - s->jpeg_quality_min + 1);
}

gboolean
fvc_augment_params_have_rgb_ops (const FvcAugmentParams *p)
{
  return p->flip || p->jitter || p->blur || p->noise || p->jpeg;
}

/* ---- Y'CbCr -> R'G'B' ---------------------------------------------------------------------- */

static gint32
fixed16 (double v)
{
  return (gint32) floor (v * 65536.0 + 0.5);
}

void
fvc_yuv_matrix_init (FvcYuvMatrix *m, double kr, double kb, gboolean full_range)
{
  const double y_off = full_range ? 0.0 : 16.0, y_range = full_range ? 255.0 : 219.0;
  const double c_range = full_range ? 255.0 : 224.0, kg = 1.0 - kr - kb;

  g_return_if_fail (m != NULL && kr > 0 && kb > 0 && kg > 0);

  for (int i = 0; i < 256; i++) {
    double y = (i - y_off) / y_range, c = (i - 128) / c_range;
    m->y[i] = fixed16 (255.0 * y);
    m->r_cr[i] = fixed16 (255.0 * 2.0 * (1.0 - kr) * c);
    m->b_cb[i] = fixed16 (255.0 * 2.0 * (1.0 - kb) * c);
    m->g_cb[i] = fixed16 (-255.0 * 2.0 * kb * (1.0 - kb) / kg * c);
    m->g_cr[i] = fixed16 (-255.0 * 2.0 * kr * (1.0 - kr) / kg * c);
  }
}

static inline guint8
fixed16_to_u8 (gint32 v)
{
  if (v <= 0)
    return 0;
  v = (v + 32768) >> 16;
  return (guint8) MIN (v, 255);
}

void
fvc_yuv_matrix_ayuv_to_rgb (const FvcYuvMatrix *m, const guint8 *ayuv, int ayuv_stride, guint8 *rgb,
                            int rgb_stride, int width, int height)
{
  for (int y = 0; y < height; y++) {
    const guint8 *in = ayuv + (gsize) y * ayuv_stride;
    guint8 *out = rgb + (gsize) y * rgb_stride;
    for (int x = 0; x < width; x++, in += 4, out += 3) {
      gint32 l = m->y[in[1]];
      out[0] = fixed16_to_u8 (l + m->r_cr[in[3]]);
      out[1] = fixed16_to_u8 (l + m->g_cb[in[2]] + m->g_cr[in[3]]);
      out[2] = fixed16_to_u8 (l + m->b_cb[in[2]]);
    }
  }
}

/* ---- scratch ------------------------------------------------------------------------------- */

/* libjpeg reports errors through error_exit, which must not return: jump back to the caller. */
typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} JpegErrorMgr;

struct _FvcAugmentScratch {
  int width, height;
  float *plane;                      /* width * height * 3: blur's horizontal pass */
  float *line;                       /* width * 3: blur's vertical sums of one row */
  float *kernel;                     /* blur weights, [0..radius] */
  int kernel_cap;

  struct jpeg_compress_struct cinfo;
  struct jpeg_decompress_struct dinfo;
  JpegErrorMgr cerr, derr;
  unsigned char *jpeg_buf;           /* compressed frame, worst-case size */
  unsigned long jpeg_cap;
  unsigned long jpeg_len;
};

static void
jpeg_error_exit (j_common_ptr cinfo)
{
  JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;

  err->pub.format_message (cinfo, err->message);
  longjmp (err->jump, 1);
}

static void
jpeg_silent (j_common_ptr cinfo, int level)
{
  /* Warnings (corrupt data) cannot happen on our own encoder's output; never print. */
}

FvcAugmentScratch *
fvc_augment_scratch_new (int width, int height)
{
  FvcAugmentScratch *sc;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  sc = g_new0 (FvcAugmentScratch, 1);
  sc->width = width;
  sc->height = height;
  sc->plane = g_new (float, (gsize) width * height * 3);
  sc->line = g_new (float, (gsize) width * 3);
  sc->kernel_cap = MIN (MAX (width, height), (int) ceil (3.0 * FVC_AUGMENT_MAX_BLUR_SIGMA)) + 1;
  sc->kernel = g_new (float, sc->kernel_cap);
  /* Worst case of a baseline JPEG (TurboJPEG's tjBufSize bound for 4:4:4), so libjpeg's memory
   * destination never has to grow the buffer. */
  sc->jpeg_cap = (unsigned long) ((width + 15) & ~15) * ((height + 15) & ~15) * 6 + 2048;
  sc->jpeg_buf = g_malloc (sc->jpeg_cap);

  sc->cinfo.err = jpeg_std_error (&sc->cerr.pub);
  sc->cerr.pub.error_exit = jpeg_error_exit;
  sc->cerr.pub.emit_message = jpeg_silent;
  jpeg_create_compress (&sc->cinfo);
  sc->dinfo.err = jpeg_std_error (&sc->derr.pub);
  sc->derr.pub.error_exit = jpeg_error_exit;
  sc->derr.pub.emit_message = jpeg_silent;
  jpeg_create_decompress (&sc->dinfo);
  return sc;
}

void
fvc_augment_scratch_free (FvcAugmentScratch *sc)
{
  if (sc == NULL)
    return;
  jpeg_destroy_compress (&sc->cinfo);
  jpeg_destroy_decompress (&sc->dinfo);
  g_free (sc->jpeg_buf);
  g_free (sc->kernel);
  g_free (sc->line);
  g_free (sc->plane);
  g_free (sc);
}

const guint8 *
fvc_augment_scratch_last_jpeg (const FvcAugmentScratch *sc, gsize *length)
{
  g_return_val_if_fail (sc != NULL, NULL);
  if (length)
    *length = sc->jpeg_len;
  return sc->jpeg_buf;
}

/* ---- kernels ------------------------------------------------------------------------------- */

void
fvc_augment_flip_rgb (guint8 *rgb, int width, int height, int stride)
{
  for (int y = 0; y < height; y++) {
    guint8 *l = rgb + (gsize) y * stride, *r = l + (gsize) (width - 1) * 3;
    for (; l < r; l += 3, r -= 3) {
      for (int c = 0; c < 3; c++) {
        guint8 t = l[c];
        l[c] = r[c];
        r[c] = t;
      }
    }
  }
}

/* torchvision's _blend on uint8: float, clamp to [0, 255], truncate. */
static inline guint8
blend_u8 (float ratio, float v, float other)
{
  float x = ratio * v + (1.0f - ratio) * other;
  return (guint8) CLAMP (x, 0.0f, 255.0f);
}

/* torchvision's rgb_to_grayscale on uint8: truncated. */
static inline float
gray_u8 (const guint8 *px)
{
  return (float) (guint8) (0.2989f * px[0] + 0.587f * px[1] + 0.114f * px[2]);
}

void
fvc_augment_jitter_rgb (guint8 *rgb, int width, int height, int stride, double brightness,
                        double contrast, double saturation)
{
  const float b = (float) brightness, c = (float) contrast, s = (float) saturation;
  double sum = 0.0;
  float mean;

  for (int y = 0; y < height; y++) {
    guint8 *px = rgb + (gsize) y * stride;
    for (int x = 0; x < width * 3; x++)
      px[x] = blend_u8 (b, px[x], 0.0f);
  }

  for (int y = 0; y < height; y++) {
    const guint8 *px = rgb + (gsize) y * stride;
    for (int x = 0; x < width; x++, px += 3)
      sum += gray_u8 (px);
  }
  mean = (float) (sum / ((double) width * height));
  for (int y = 0; y < height; y++) {
    guint8 *px = rgb + (gsize) y * stride;
    for (int x = 0; x < width * 3; x++)
      px[x] = blend_u8 (c, px[x], mean);
  }

  for (int y = 0; y < height; y++) {
    guint8 *px = rgb + (gsize) y * stride;
    for (int x = 0; x < width; x++, px += 3) {
      float g = gray_u8 (px);
      px[0] = blend_u8 (s, px[0], g);
      px[1] = blend_u8 (s, px[1], g);
      px[2] = blend_u8 (s, px[2], g);
    }
  }
}

/* Mirror an index into [0, n) without repeating the edge ("reflect"); radius < n. */
static inline int
reflect (int i, int n)
{
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * n - 2 - i;
  return i;
}

static inline guint8
round_u8 (float v)
{
  v = floorf (v + 0.5f);
  return (guint8) CLAMP (v, 0.0f, 255.0f);
}

/* Horizontal pass of one row for the columns [x0, x1), which must have all their taps inside the
 * row: no mirroring. Tap by tap over the whole run (the same sums, in the same order, as the
 * per-column loop of the border columns). */
static void
blur_row_interior (const guint8 *row, float *out, int x0, int x1, const float *k, int radius)
{
  const int j0 = x0 * 3, j1 = x1 * 3;

  for (int j = j0; j < j1; j++)
    out[j] = k[0] * row[j];
  for (int i = 1; i <= radius; i++) {
    const int d = 3 * i;
    const float w = k[i];
    for (int j = j0; j < j1; j++)
      out[j] += w * (row[j - d] + row[j + d]);
  }
}

/* Horizontal pass of one row for the columns [x0, x1), mirroring taps that fall outside. */
static void
blur_row_border (const guint8 *row, float *out, int x0, int x1, int width, const float *k, int radius)
{
  for (int x = x0; x < x1; x++)
    for (int c = 0; c < 3; c++) {
      float acc = k[0] * row[x * 3 + c];
      for (int i = 1; i <= radius; i++)
        acc += k[i] * (row[reflect (x - i, width) * 3 + c] + row[reflect (x + i, width) * 3 + c]);
      out[x * 3 + c] = acc;
    }
}

void
fvc_augment_blur_rgb (guint8 *rgb, int width, int height, int stride, double sigma,
                      FvcAugmentScratch *sc)
{
  const gsize line = (gsize) width * 3;
  int radius, inner0, inner1;
  double total = 0.0;
  float *k, *plane, *acc;

  g_return_if_fail (sc != NULL && width <= sc->width && height <= sc->height);
  if (!(sigma > 0.0))
    return;

  radius = MIN ((int) ceil (3.0 * sigma), MIN (width, height) - 1);
  radius = MIN (radius, sc->kernel_cap - 1);
  if (radius < 1)
    return;
  k = sc->kernel;
  plane = sc->plane;
  acc = sc->line;
  for (int i = 0; i <= radius; i++)
    total += (i == 0 ? 1.0 : 2.0) * exp (-(double) i * i / (2.0 * sigma * sigma));
  for (int i = 0; i <= radius; i++)
    k[i] = (float) (exp (-(double) i * i / (2.0 * sigma * sigma)) / total);

  /* Horizontal pass into the float plane. Columns closer than radius to an edge mirror their
   * taps; the ones between need no index arithmetic. */
  inner0 = MIN (radius, width);
  inner1 = MAX (inner0, width - radius);
  for (int y = 0; y < height; y++) {
    const guint8 *row = rgb + (gsize) y * stride;
    float *out = plane + (gsize) y * line;
    blur_row_border (row, out, 0, inner0, width, k, radius);
    blur_row_interior (row, out, inner0, inner1, k, radius);
    blur_row_border (row, out, inner1, width, width, k, radius);
  }
  /* Vertical pass back into the frame, a row at a time: each tap adds a pair of mirrored rows
   * to the whole line. Per value the sum is the same, in the same order, as tap by tap. */
  for (int y = 0; y < height; y++) {
    guint8 *row = rgb + (gsize) y * stride;
    const float *mid = plane + (gsize) y * line;
    for (gsize x = 0; x < line; x++)
      acc[x] = k[0] * mid[x];
    for (int i = 1; i <= radius; i++) {
      const float *up = plane + (gsize) reflect (y - i, height) * line;
      const float *down = plane + (gsize) reflect (y + i, height) * line;
      const float w = k[i];
      for (gsize x = 0; x < line; x++)
        acc[x] += w * (up[x] + down[x]);
    }
    for (gsize x = 0; x < line; x++)
      row[x] = round_u8 (acc[x]);
  }
}

void
fvc_augment_noise_rgb (guint8 *rgb, int width, int height, int stride, double sigma, guint32 seed,
                       guint clip_position)
{
  guint64 counter = (guint64) clip_position * (guint64) width * height * 3;
  guint32 name_key = fvc_fnv1a32 ("noise-value");

  for (int y = 0; y < height; y++) {
    guint8 *px = rgb + (gsize) y * stride;
    for (int x = 0; x < width * 3; x++, counter++) {
      double v = px[x] + sigma * fvc_rng_normal_keyed (seed, name_key, counter);
      v = floor (v + 0.5);
      px[x] = (guint8) CLAMP (v, 0.0, 255.0);
    }
  }
}

gboolean
fvc_augment_jpeg_rgb (guint8 *rgb, int width, int height, int stride, guint quality,
                      FvcAugmentScratch *sc, GError **error)
{
  unsigned char *buf = sc->jpeg_buf;
  unsigned long len = sc->jpeg_cap;
  struct jpeg_compress_struct *ci = &sc->cinfo;
  struct jpeg_decompress_struct *di = &sc->dinfo;

  g_return_val_if_fail (width <= sc->width && height <= sc->height, FALSE);
  g_return_val_if_fail (quality >= 1 && quality <= 100, FALSE);

  if (setjmp (sc->cerr.jump)) {
    jpeg_abort_compress (ci);
    goto compress_failed;
  }
  jpeg_mem_dest (ci, &buf, &len);
  ci->image_width = width;
  ci->image_height = height;
  ci->input_components = 3;
  ci->in_color_space = JCS_RGB;
  jpeg_set_defaults (ci);               /* YCbCr 4:2:0, baseline Huffman tables */
  ci->dct_method = JDCT_ISLOW;
  jpeg_set_quality (ci, (int) quality, TRUE);
  jpeg_start_compress (ci, TRUE);
  while (ci->next_scanline < ci->image_height) {
    JSAMPROW row = rgb + (gsize) ci->next_scanline * stride;
    jpeg_write_scanlines (ci, &row, 1);
  }
  jpeg_finish_compress (ci);
  if (buf != sc->jpeg_buf) {
    /* Cannot happen with the worst-case capacity; keep the bytes anyway. */
    g_free (sc->jpeg_buf);
    sc->jpeg_buf = g_memdup2 (buf, len);
    sc->jpeg_cap = len;
    free (buf);
  }
  sc->jpeg_len = len;

  if (setjmp (sc->derr.jump)) {
    jpeg_abort_decompress (di);
    goto decompress_failed;
  }
  jpeg_mem_src (di, sc->jpeg_buf, sc->jpeg_len);
  jpeg_read_header (di, TRUE);
  di->out_color_space = JCS_RGB;
  di->dct_method = JDCT_ISLOW;
  di->do_fancy_upsampling = TRUE;
  jpeg_start_decompress (di);
  if (di->output_width != (JDIMENSION) width || di->output_height != (JDIMENSION) height
      || di->output_components != 3) {
    jpeg_abort_decompress (di);
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED,
                 "JPEG re-compression: decoded %ux%ux%d, expected %dx%dx3",
                 di->output_width, di->output_height, di->output_components, width, height);
    return FALSE;
  }
  while (di->output_scanline < di->output_height) {
    JSAMPROW row = rgb + (gsize) di->output_scanline * stride;
    jpeg_read_scanlines (di, &row, 1);
  }
  jpeg_finish_decompress (di);
  return TRUE;

  /* ERRORS */
compress_failed:
  g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "JPEG re-compression (quality %u) failed: %s",
               quality, sc->cerr.message);
  return FALSE;
decompress_failed:
  g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "JPEG re-decompression (quality %u) failed: %s",
               quality, sc->derr.message);
  return FALSE;
}

gboolean
fvc_augment_apply_rgb (const FvcAugmentParams *p, guint8 *rgb, int width, int height, int stride,
                       guint clip_position, FvcAugmentScratch *sc, GError **error)
{
  g_return_val_if_fail (p != NULL && rgb != NULL && sc != NULL, FALSE);
  g_return_val_if_fail (width <= sc->width && height <= sc->height && stride >= width * 3, FALSE);

  if (p->flip)
    fvc_augment_flip_rgb (rgb, width, height, stride);
  if (p->jitter)
    fvc_augment_jitter_rgb (rgb, width, height, stride, p->brightness, p->contrast, p->saturation);
  if (p->blur)
    fvc_augment_blur_rgb (rgb, width, height, stride, p->blur_sigma, sc);
  if (p->noise)
    fvc_augment_noise_rgb (rgb, width, height, stride, p->noise_sigma, p->seed, clip_position);
  if (p->jpeg)
    return fvc_augment_jpeg_rgb (rgb, width, height, stride, p->jpeg_quality, sc, error);
  return TRUE;
}
