/* fvc-augment.h — seeded, clip-consistent augmentation: settings, per-clip parameters and the
 * RGB kernels that run after crop + resize. No GStreamer types: the element fvcaugment does the
 * crop + resize (GstVideoConverter, one pass, in Y'CbCr), converts to RGB with FvcYuvMatrix below
 * and calls this for the rest.
 *
 * Order of operations (fixed):
 *   1. crop      a box in source pixels (below), resized to size x size RGB by the element with
 *                GstVideoResampler lanczos, taps chosen by the resampler (it widens the kernel
 *                when downscaling, so nothing aliases)
 *   2. flip      horizontal mirror
 *   3. jitter    brightness, contrast, saturation in that order, torchvision semantics on uint8
 *                (each step: float blend, clamp to [0, 255], truncate to uint8):
 *                  brightness  v' = b * v
 *                  contrast    v' = c * v + (1 - c) * mean(gray)   gray over the whole frame
 *                  saturation  v' = s * v + (1 - s) * gray          gray per pixel
 *                gray = trunc(0.2989 R + 0.587 G + 0.114 B), the mean in double precision
 *   4. blur      separable gaussian, radius ceil(3 sigma) (at most size - 1), weights
 *                exp(-i^2 / (2 sigma^2)) normalised to sum 1, borders mirrored without repeating
 *                the edge pixel (numpy/torch "reflect"), float accumulation, round half up
 *   5. noise     v' = round_half_up(v + sigma * n), clamped; n standard normal from
 *                fvc_rng_normal (seed, "noise-value", ((clip_position * H + y) * W + x) * 3 + c):
 *                different on every frame of the clip, identical across runs
 *   6. jpeg      libjpeg-turbo baseline, quality q, 4:2:0, JDCT_ISLOW both ways, fancy
 *                upsampling: bit-exact whatever SIMD the CPU has
 *
 * Per-clip parameters: seed = base_seed + augmentation_idx (modulo 2^32); every value is a pure
 * function of (seed, name) through fvc_rng_*(seed, name, 0), whatever the other settings are:
 *   crop   S = min(W, H) (the largest centred square, offsets ox = (W - S) / 2, oy = (H - S) / 2)
 *          a = range("crop-scale", scale_min, scale_max)        area, as a fraction of S^2
 *          r = exp(range("crop-ratio", ln ratio_min, ln ratio_max))   width / height
 *          cw = clamp(floor(S sqrt(a r) + 0.5), 1, W), ch = clamp(floor(S sqrt(a / r) + 0.5), 1, H)
 *          per axis (length L, square offset o, crop length c): positions lo..hi with
 *            lo = max(0, min(o, o + S - c)), hi = min(L - c, max(o, o + S - c)),
 *          i.e. inside the centred square when the crop fits in it, else covering it;
 *          x = lo + below("crop-x", hi - lo + 1), y likewise with "crop-y"
 *   flip   uniform("flip") < flip_probability
 *   jitter uniform("jitter") < jitter_probability; factors range("brightness", max(0, 1 - b), 1 + b),
 *          likewise "contrast" and "saturation"
 *   blur   uniform("blur") < blur_probability; sigma range("blur-sigma", min, max)
 *   noise  uniform("noise") < noise_probability; sigma range("noise-sigma", min, max), in 0..255 units
 *   jpeg   uniform("jpeg") < jpeg_probability; quality min + below("jpeg-quality", max - min + 1)
 * (range = fvc_rng_range, uniform = fvc_rng_uniform, below = fvc_rng_below, counter 0.)
 * A disabled op is off whatever its draw. augmentation_idx -1 is the base clip: the centred
 * square (ox, oy, S, S) resized, nothing else, nothing random.
 *
 * fvc_augment_settings_to_string() is the canonical text used in the cache fingerprint and the
 * "fvc/augment" event. FVC_AUGMENT_VERSION is part of it and is bumped whenever the output bytes
 * of any setting change.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FVC_AUGMENT_VERSION 1
/* The resampler the element uses for crop + resize; part of the canonical string. */
#define FVC_AUGMENT_RESAMPLER_NAME "lanczos"

#define FVC_AUGMENT_MIN_SIZE 16
#define FVC_AUGMENT_MAX_SIZE 4096

#define FVC_AUGMENT_DEFAULT_SIZE 112
#define FVC_AUGMENT_DEFAULT_CROP_SCALE_MIN 0.6
#define FVC_AUGMENT_DEFAULT_CROP_SCALE_MAX 1.0
#define FVC_AUGMENT_DEFAULT_CROP_RATIO_MIN (3.0 / 4.0)
#define FVC_AUGMENT_DEFAULT_CROP_RATIO_MAX (4.0 / 3.0)
#define FVC_AUGMENT_DEFAULT_FLIP_PROBABILITY 0.5
#define FVC_AUGMENT_DEFAULT_JITTER_PROBABILITY 0.8
#define FVC_AUGMENT_DEFAULT_BRIGHTNESS 0.2
#define FVC_AUGMENT_DEFAULT_CONTRAST 0.2
#define FVC_AUGMENT_DEFAULT_SATURATION 0.2
#define FVC_AUGMENT_DEFAULT_BLUR_PROBABILITY 0.2
#define FVC_AUGMENT_DEFAULT_BLUR_SIGMA_MIN 0.3
#define FVC_AUGMENT_DEFAULT_BLUR_SIGMA_MAX 1.5
#define FVC_AUGMENT_DEFAULT_NOISE_PROBABILITY 0.2
#define FVC_AUGMENT_DEFAULT_NOISE_SIGMA_MIN 2.0
#define FVC_AUGMENT_DEFAULT_NOISE_SIGMA_MAX 8.0
#define FVC_AUGMENT_DEFAULT_JPEG_PROBABILITY 0.3
#define FVC_AUGMENT_DEFAULT_JPEG_QUALITY_MIN 60
#define FVC_AUGMENT_DEFAULT_JPEG_QUALITY_MAX 95

/* Limits checked by fvc_augment_settings_validate(). */
#define FVC_AUGMENT_MAX_JITTER 1.0
#define FVC_AUGMENT_MAX_BLUR_SIGMA 10.0
#define FVC_AUGMENT_MAX_NOISE_SIGMA 100.0

typedef struct {
  guint size;                     /* output is size x size RGB */

  gboolean crop;                  /* random resized crop (off: the centred square) */
  double crop_scale_min, crop_scale_max;   /* area fraction of the centred square, (0, 1] */
  double crop_ratio_min, crop_ratio_max;   /* width / height, log-uniform, > 0 */

  gboolean flip;
  double flip_probability;

  gboolean jitter;
  double jitter_probability;
  double brightness, contrast, saturation; /* factor ranges [max(0, 1 - x), 1 + x] */

  gboolean blur;
  double blur_probability;
  double blur_sigma_min, blur_sigma_max;   /* output pixels */

  gboolean noise;
  double noise_probability;
  double noise_sigma_min, noise_sigma_max; /* 0..255 units */

  gboolean jpeg;
  double jpeg_probability;
  guint jpeg_quality_min, jpeg_quality_max; /* 1..100 */
} FvcAugmentSettings;

/* The defaults above, every op on. */
void fvc_augment_settings_init (FvcAugmentSettings *settings);
/* FVC_ERROR_INVALID naming the setting when a value is out of range or min > max. */
gboolean fvc_augment_settings_validate (const FvcAugmentSettings *settings, GError **error);
/* "size=112;resample=lanczos;ops=crop,flip,jitter,blur,noise,jpeg;crop-scale=0.6-1;...;v=1":
 * only the enabled ops and their parameters, numbers in the shortest text that reads back to the
 * same double, C locale. (transfer full) */
char *fvc_augment_settings_to_string (const FvcAugmentSettings *settings);

typedef struct {
  int augmentation_idx;           /* -1: base clip */
  guint32 seed;                   /* base_seed + augmentation_idx (base_seed for -1) */

  int crop_x, crop_y, crop_width, crop_height;  /* source pixels */

  /* Each op's on/off result (settings and probability draw); values are drawn either way. */
  gboolean flip;
  gboolean jitter;
  double brightness, contrast, saturation;
  gboolean blur;
  double blur_sigma;
  gboolean noise;
  double noise_sigma;
  gboolean jpeg;
  guint jpeg_quality;
} FvcAugmentParams;

/* base_seed + augmentation_idx modulo 2^32; base_seed for the base clip (-1). */
guint32 fvc_augment_clip_seed (guint32 base_seed, int augmentation_idx);

/* Draws the parameters of one clip of a src_width x src_height video (see the top of the file).
 * @settings must be valid. */
void fvc_augment_draw_params (const FvcAugmentSettings *settings, guint32 base_seed,
                              int augmentation_idx, int src_width, int src_height,
                              FvcAugmentParams *params);

/* TRUE when fvc_augment_apply_rgb() would change pixels (any of flip, jitter, blur, noise, jpeg). */
gboolean fvc_augment_params_have_rgb_ops (const FvcAugmentParams *params);

/* ---- Y'CbCr -> R'G'B' ------------------------------------------------------------------------
 * The element resizes in Y'CbCr (GstVideoConverter to AYUV at output size, same colorimetry) and
 * converts to RGB here, because GStreamer 1.22's 8-bit matrix path is up to 4 levels off the
 * standard's formula (measured: Y'CbCr 120,100,160 BT.601 gave G 102 for 106.1; greys ~2 dark).
 * Exact formula, Kr/Kb from the colorimetry's matrix:
 *   limited range: y = (Y - 16) / 219, pb = (Cb - 128) / 224, pr = (Cr - 128) / 224
 *   full range:    y = Y / 255,        pb = (Cb - 128) / 255, pr = (Cr - 128) / 255
 *   R = y + 2 (1 - Kr) pr,  B = y + 2 (1 - Kb) pb,  G = (y - Kr R - Kb B) / (1 - Kr - Kb)
 *   out = round(255 * value), clamped to [0, 255]
 * evaluated with 16.16 fixed-point tables (integer arithmetic per pixel: the same bytes on every
 * CPU). */
typedef struct {
  gint32 y[256], r_cr[256], g_cb[256], g_cr[256], b_cb[256];
} FvcYuvMatrix;

void fvc_yuv_matrix_init (FvcYuvMatrix *matrix, double kr, double kb, gboolean full_range);
/* @ayuv: 4 bytes per pixel (A, Y, Cb, Cr); @rgb: 3 bytes per pixel. */
void fvc_yuv_matrix_ayuv_to_rgb (const FvcYuvMatrix *matrix, const guint8 *ayuv, int ayuv_stride,
                                 guint8 *rgb, int rgb_stride, int width, int height);

/* Working memory for frames up to width x height, allocated once (blur planes, JPEG codec state
 * and its output buffer). */
typedef struct _FvcAugmentScratch FvcAugmentScratch;

FvcAugmentScratch *fvc_augment_scratch_new (int width, int height);
void fvc_augment_scratch_free (FvcAugmentScratch *scratch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcAugmentScratch, fvc_augment_scratch_free)

/* Ops 2..6 in place on packed RGB (3 bytes per pixel, @stride bytes per row), for the frame at
 * @clip_position of the clip. Allocates nothing of its own (libjpeg keeps a per-image pool).
 * FVC_ERROR_FAILED when libjpeg reports an error. */
gboolean fvc_augment_apply_rgb (const FvcAugmentParams *params, guint8 *rgb, int width, int height,
                                int stride, guint clip_position, FvcAugmentScratch *scratch,
                                GError **error);

/* The single ops, exposed for tests and reuse; same semantics as in fvc_augment_apply_rgb(). */
void fvc_augment_flip_rgb (guint8 *rgb, int width, int height, int stride);
void fvc_augment_jitter_rgb (guint8 *rgb, int width, int height, int stride, double brightness,
                             double contrast, double saturation);
void fvc_augment_blur_rgb (guint8 *rgb, int width, int height, int stride, double sigma,
                           FvcAugmentScratch *scratch);
void fvc_augment_noise_rgb (guint8 *rgb, int width, int height, int stride, double sigma,
                            guint32 seed, guint clip_position);
gboolean fvc_augment_jpeg_rgb (guint8 *rgb, int width, int height, int stride, guint quality,
                               FvcAugmentScratch *scratch, GError **error);
/* The compressed bytes of the last fvc_augment_jpeg_rgb() call on @scratch (borrowed). */
const guint8 *fvc_augment_scratch_last_jpeg (const FvcAugmentScratch *scratch, gsize *length);

G_END_DECLS
