/* test-augment.c — the augmentation module of libfvc (fvc-augment.h): per-clip parameter draws,
 * the canonical settings string, and the RGB kernels (flip, jitter, blur, noise, JPEG).
 * Pinned parameters come from tests/unit/reference-augment.py (an independent Python version of
 * the header's formulas); kernel expectations are computed here from the documented formulas, in
 * double precision, never by calling the kernel under test. */
#include "unit-util.h"

#include "fvc-augment.h"
#include "fvc-seed.h"

#include <math.h>
#include <stdio.h>

static const char *self_exe;   /* argv[0], for the SIMD re-run of the JPEG test */

/* ---- parameter draws ------------------------------------------------------------------------ */

/* /usr/bin/python3 tests/unit/reference-augment.py, default settings, base seed 1141667350
 * (= fvc_seed_from_path ("videos/real/000.mp4")); the last row: base 2^32 - 1, index 2. */
static const struct {
  guint32 base;
  int idx, w, h;
  guint32 seed;
  int crop[4];
  gboolean flip, jitter;
  double brightness, contrast, saturation;
  gboolean blur;
  double blur_sigma;
  gboolean noise;
  double noise_sigma;
  gboolean jpeg;
  guint jpeg_quality;
} param_cases[] = {
  { 1141667350u, 0, 1920, 1080, 1141667350u, { 489, 121, 899, 912 }, 0, 0,
    1.1341619195070063, 0.95663139064427094, 1.1233763085450359, 0, 1.237658582062017, 0,
    5.6150241476278024, 1, 84 },
  { 1141667350u, 1, 1920, 1080, 1141667351u, { 446, 71, 1012, 925 }, 1, 1,
    0.90413227457620593, 0.81878163845889129, 0.97538549236285332, 0, 0.97338752171023435, 1,
    2.3503113233719617, 0, 84 },
  /* crop height clamped to the frame */
  { 1141667350u, 2, 1920, 1080, 1141667352u, { 510, 0, 948, 1080 }, 1, 1,
    1.187452453036816, 1.1157163726730919, 0.80489723347341813, 0, 1.1761684728264983, 0,
    4.008031879617282, 0, 86 },
  /* crop wider than the centred square: it covers the square */
  { 1141667350u, 4, 1920, 1080, 1141667354u, { 368, 101, 1181, 936 }, 0, 0,
    1.1245785196132054, 0.84508443890105378, 1.0120486655457706, 0, 1.0123680619890856, 0,
    7.6970310937134707, 1, 80 },
  /* portrait: crop taller than the square */
  { 1141667350u, 2, 1080, 1920, 1141667352u, { 90, 373, 948, 1170 }, 1, 1,
    1.187452453036816, 1.1157163726730919, 0.80489723347341813, 0, 1.1761684728264983, 0,
    4.008031879617282, 0, 86 },
  { 1141667350u, 5, 320, 240, 1141667355u, { 37, 26, 247, 200 }, 1, 1,
    0.82632834030185953, 0.92789166283608071, 0.98348126585653961, 0, 0.9069361871032291, 1,
    4.3095947564480799, 1, 83 },
  { 1141667350u, 0, 240, 320, 1141667350u, { 15, 67, 200, 203 }, 0, 0,
    1.1341619195070063, 0.95663139064427094, 1.1233763085450359, 0, 1.237658582062017, 0,
    5.6150241476278024, 1, 84 },
  /* every op on */
  { 1141667350u, 95, 640, 480, 1141667445u, { 32, 45, 531, 426 }, 1, 1,
    1.0801656446487797, 1.049042675406864, 0.80691859152389223, 1, 0.45517952100709635, 1,
    7.1177976498152491, 1, 65 },
  /* seed wraps modulo 2^32 */
  { 4294967295u, 2, 640, 480, 1u, { 138, 0, 395, 480 }, 0, 1,
    1.1609576605774743, 0.82053582189425445, 0.82402254371763606, 0, 1.1029294315669724, 0,
    2.5337104110510156, 0, 75 },
};

#define ASSERT_CLOSE(a, b) ck_assert_msg (fabs ((a) - (b)) <= 1e-12 * fmax (1.0, fabs (b)), \
                                          "%s = %.17g, expected %.17g", #a, (double) (a), (double) (b))

START_TEST (test_params_pinned)
{
  FvcAugmentSettings s;
  FvcAugmentParams p;
  const typeof (param_cases[0]) *c = &param_cases[_i];

  fvc_augment_settings_init (&s);
  fvc_augment_draw_params (&s, c->base, c->idx, c->w, c->h, &p);
  ck_assert_int_eq (p.augmentation_idx, c->idx);
  ck_assert_uint_eq (p.seed, c->seed);
  ck_assert_int_eq (p.crop_x, c->crop[0]);
  ck_assert_int_eq (p.crop_y, c->crop[1]);
  ck_assert_int_eq (p.crop_width, c->crop[2]);
  ck_assert_int_eq (p.crop_height, c->crop[3]);
  ck_assert_int_eq (!!p.flip, c->flip);
  ck_assert_int_eq (!!p.jitter, c->jitter);
  ASSERT_CLOSE (p.brightness, c->brightness);
  ASSERT_CLOSE (p.contrast, c->contrast);
  ASSERT_CLOSE (p.saturation, c->saturation);
  ck_assert_int_eq (!!p.blur, c->blur);
  ASSERT_CLOSE (p.blur_sigma, c->blur_sigma);
  ck_assert_int_eq (!!p.noise, c->noise);
  ASSERT_CLOSE (p.noise_sigma, c->noise_sigma);
  ck_assert_int_eq (!!p.jpeg, c->jpeg);
  ck_assert_uint_eq (p.jpeg_quality, c->jpeg_quality);
}
END_TEST

START_TEST (test_params_pure)
{
  FvcAugmentSettings s, other;
  FvcAugmentParams a, b, c;

  fvc_augment_settings_init (&s);
  fvc_augment_draw_params (&s, 777, 3, 1280, 720, &a);
  fvc_augment_draw_params (&s, 777, 3, 1280, 720, &b);
  ck_assert (memcmp (&a, &b, sizeof a) == 0);

  /* A value depends on (seed, its name) only: other ops' settings do not move it. */
  other = s;
  other.flip = FALSE;
  other.jpeg_quality_min = 10;
  other.jpeg_quality_max = 20;
  other.blur_probability = 1.0;
  fvc_augment_draw_params (&other, 777, 3, 1280, 720, &c);
  ck_assert_int_eq (c.crop_x, a.crop_x);
  ck_assert_int_eq (c.crop_y, a.crop_y);
  ck_assert_int_eq (c.crop_width, a.crop_width);
  ck_assert_int_eq (c.crop_height, a.crop_height);
  ck_assert (c.brightness == a.brightness && c.contrast == a.contrast && c.saturation == a.saturation);
  ck_assert (c.noise_sigma == a.noise_sigma && c.blur_sigma == a.blur_sigma);
  ck_assert (!c.flip);
  ck_assert (c.blur);
  ck_assert_uint_ge (c.jpeg_quality, 10);
  ck_assert_uint_le (c.jpeg_quality, 20);

  /* The seed is base + index: (base 770, index 10) is the same clip as (777, 3). */
  fvc_augment_draw_params (&s, 770, 10, 1280, 720, &c);
  c.augmentation_idx = a.augmentation_idx;
  ck_assert (memcmp (&a, &c, sizeof a) == 0);
  ck_assert_uint_eq (fvc_augment_clip_seed (770, 10), 780);
  ck_assert_uint_eq (fvc_augment_clip_seed (770, -1), 770);
}
END_TEST

static const int base_sizes[][4] = {
  /* w, h, expected x, y of the centred square min(w, h) */
  { 1920, 1080, 420, 0 }, { 1080, 1920, 0, 420 }, { 320, 240, 40, 0 }, { 321, 240, 40, 0 },
  { 240, 321, 0, 40 }, { 64, 64, 0, 0 }, { 3, 2, 0, 0 },
};

START_TEST (test_params_base_clip)
{
  FvcAugmentSettings s;
  FvcAugmentParams p;
  const int *c = base_sizes[_i];
  int side = MIN (c[0], c[1]);

  fvc_augment_settings_init (&s);
  /* Even with every op certain, the base clip is only the centred square. */
  s.flip_probability = s.jitter_probability = s.blur_probability = 1.0;
  s.noise_probability = s.jpeg_probability = 1.0;
  fvc_augment_draw_params (&s, 123456, -1, c[0], c[1], &p);
  ck_assert_uint_eq (p.seed, 123456);
  ck_assert_int_eq (p.crop_x, c[2]);
  ck_assert_int_eq (p.crop_y, c[3]);
  ck_assert_int_eq (p.crop_width, side);
  ck_assert_int_eq (p.crop_height, side);
  ck_assert (!p.flip && !p.jitter && !p.blur && !p.noise && !p.jpeg);
  ck_assert (!fvc_augment_params_have_rgb_ops (&p));
}
END_TEST

START_TEST (test_params_ops_off_and_forced)
{
  FvcAugmentSettings s;
  FvcAugmentParams p;

  fvc_augment_settings_init (&s);
  s.crop = s.flip = s.jitter = s.blur = s.noise = s.jpeg = FALSE;
  for (int idx = 0; idx < 50; idx++) {
    fvc_augment_draw_params (&s, 99, idx, 640, 480, &p);
    ck_assert_int_eq (p.crop_x, 80);
    ck_assert_int_eq (p.crop_y, 0);
    ck_assert_int_eq (p.crop_width, 480);
    ck_assert_int_eq (p.crop_height, 480);
    ck_assert (!fvc_augment_params_have_rgb_ops (&p));
  }
  fvc_augment_settings_init (&s);
  s.flip_probability = s.jitter_probability = s.blur_probability = 1.0;
  s.noise_probability = s.jpeg_probability = 1.0;
  for (int idx = 0; idx < 50; idx++) {
    fvc_augment_draw_params (&s, 99, idx, 640, 480, &p);
    ck_assert (p.flip && p.jitter && p.blur && p.noise && p.jpeg);
  }
}
END_TEST

START_TEST (test_params_crop_bounds)
{
  FvcAugmentSettings s;
  const int sizes[][2] = { { 1920, 1080 }, { 1080, 1920 }, { 320, 240 }, { 241, 239 }, { 100, 100 } };
  guint flips = 0, n = 0;

  fvc_augment_settings_init (&s);
  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++) {
    int w = sizes[k][0], h = sizes[k][1], sq = MIN (w, h), ox = (w - sq) / 2, oy = (h - sq) / 2;
    for (int idx = 0; idx < 400; idx++, n++) {
      FvcAugmentParams p;
      double area;

      fvc_augment_draw_params (&s, 4242, idx, w, h, &p);
      flips += p.flip;
      ck_assert (p.crop_x >= 0 && p.crop_y >= 0 && p.crop_width >= 1 && p.crop_height >= 1);
      ck_assert (p.crop_x + p.crop_width <= w && p.crop_y + p.crop_height <= h);
      /* inside the square where the crop fits, covering it where it does not */
      if (p.crop_width <= sq)
        ck_assert (p.crop_x >= ox && p.crop_x + p.crop_width <= ox + sq);
      else
        ck_assert (p.crop_x <= ox && p.crop_x + p.crop_width >= ox + sq);
      if (p.crop_height <= sq)
        ck_assert (p.crop_y >= oy && p.crop_y + p.crop_height <= oy + sq);
      else
        ck_assert (p.crop_y <= oy && p.crop_y + p.crop_height >= oy + sq);
      /* area within the scale range (rounding and the clamp to the frame only shrink it) */
      area = (double) p.crop_width * p.crop_height / ((double) sq * sq);
      ck_assert_msg (area <= 1.0 + 3.0 / sq, "area %g", area);
      ck_assert_msg (area >= 0.6 * (1 - 2.0 / sq) * (sq == MAX (w, h) ? 0.75 : 1.0) - 1e-9,
                     "area %g for %dx%d", area, p.crop_width, p.crop_height);
      ck_assert_msg (((double) p.crop_width / p.crop_height <= 4.0 / 3.0 * (1 + 4.0 / sq)
                      && (double) p.crop_width / p.crop_height >= 0.75 / (1 + 4.0 / sq))
                     || p.crop_width == w || p.crop_height == h,
                     "ratio of %dx%d", p.crop_width, p.crop_height);
    }
  }
  /* flip with p = 0.5 over 2000 clips: within 5 standard deviations */
  ck_assert_msg (fabs (flips - n / 2.0) < 5 * sqrt (n / 4.0), "%u flips of %u", flips, n);
}
END_TEST

/* ---- settings ------------------------------------------------------------------------------- */

START_TEST (test_settings_string)
{
  FvcAugmentSettings s;
  g_autofree char *def = NULL, *none = NULL, *some = NULL, *big = NULL;

  fvc_augment_settings_init (&s);
  def = fvc_augment_settings_to_string (&s);
  /* Written by hand from the header's format and the documented defaults. */
  ck_assert_str_eq (def,
      "size=112;resample=lanczos;ops=crop,flip,jitter,blur,noise,jpeg;"
      "crop-scale=0.6-1;crop-ratio=0.75-1.3333333333333333;flip-p=0.5;"
      "jitter-p=0.8;brightness=0.2;contrast=0.2;saturation=0.2;"
      "blur-p=0.2;blur-sigma=0.3-1.5;noise-p=0.2;noise-sigma=2-8;"
      "jpeg-p=0.3;jpeg-quality=60-95;v=1");

  s.crop = s.flip = s.jitter = s.blur = s.noise = s.jpeg = FALSE;
  none = fvc_augment_settings_to_string (&s);
  ck_assert_str_eq (none, "size=112;resample=lanczos;ops=none;v=1");

  /* A disabled op's ranges do not count; an enabled op's do. */
  s.jpeg_quality_min = 5;
  s.noise = TRUE;
  s.noise_sigma_max = 0.1 + 0.2;     /* needs 17 digits to read back */
  some = fvc_augment_settings_to_string (&s);
  ck_assert_str_eq (some, "size=112;resample=lanczos;ops=noise;noise-p=0.2;"
                          "noise-sigma=2-0.30000000000000004;v=1");

  fvc_augment_settings_init (&s);
  s.size = 224;
  big = fvc_augment_settings_to_string (&s);
  ck_assert (g_str_has_prefix (big, "size=224;"));
  ck_assert (g_str_has_suffix (big, ";v=1"));
}
END_TEST

START_TEST (test_settings_validate)
{
  FvcAugmentSettings s;
  GError *err = NULL;

  fvc_augment_settings_init (&s);
  ck_assert (fvc_augment_settings_validate (&s, NULL));

  s.crop_scale_min = 0.9;
  s.crop_scale_max = 0.8;
  ck_assert (!fvc_augment_settings_validate (&s, &err));
  FVC_ASSERT_ERROR (err, FVC_ERROR_INVALID, "crop-scale");
  g_clear_error (&err);

  fvc_augment_settings_init (&s);
  s.jpeg_quality_max = 101;
  ck_assert (!fvc_augment_settings_validate (&s, &err));
  FVC_ASSERT_ERROR (err, FVC_ERROR_INVALID, "jpeg-quality");
  g_clear_error (&err);

  fvc_augment_settings_init (&s);
  s.blur_sigma_min = 0.0;
  ck_assert (!fvc_augment_settings_validate (&s, &err));
  FVC_ASSERT_ERROR (err, FVC_ERROR_INVALID, "blur-sigma");
  g_clear_error (&err);

  fvc_augment_settings_init (&s);
  s.flip_probability = NAN;
  ck_assert (!fvc_augment_settings_validate (&s, &err));
  FVC_ASSERT_ERROR (err, FVC_ERROR_INVALID, "flip-probability");
  g_clear_error (&err);

  fvc_augment_settings_init (&s);
  s.size = 8;
  ck_assert (!fvc_augment_settings_validate (&s, &err));
  FVC_ASSERT_ERROR (err, FVC_ERROR_INVALID, "size");
  g_clear_error (&err);
}
END_TEST

/* ---- kernels -------------------------------------------------------------------------------- */

/* A frame with two padding bytes per row (stride = 3 w + 2) filled with 0xEE: no kernel may touch
 * them. */
typedef struct {
  int w, h, stride;
  guint8 *data;
} Img;

static Img
img_new (int w, int h)
{
  Img im = { w, h, w * 3 + 2, NULL };
  im.data = g_malloc ((gsize) im.stride * h);
  memset (im.data, 0xEE, (gsize) im.stride * h);
  return im;
}

static guint8 *
px (Img *im, int x, int y)
{
  return im->data + (gsize) y * im->stride + x * 3;
}

static void
img_fill_random (Img *im, guint32 seed)
{
  for (int y = 0; y < im->h; y++)
    for (int x = 0; x < im->w; x++)
      for (int c = 0; c < 3; c++)
        px (im, x, y)[c] = (guint8) fvc_rng_below (seed, "test-image", (guint64) (y * im->w + x) * 3 + c, 256);
}

static void
img_assert_padding (Img *im)
{
  for (int y = 0; y < im->h; y++)
    ck_assert_msg (im->data[(gsize) y * im->stride + im->w * 3] == 0xEE
                   && im->data[(gsize) y * im->stride + im->w * 3 + 1] == 0xEE, "padding of row %d touched", y);
}

static Img
img_copy (const Img *im)
{
  Img c = *im;
  c.data = g_memdup2 (im->data, (gsize) im->stride * im->h);
  return c;
}

START_TEST (test_flip_exact)
{
  Img im = img_new (7, 3), orig;

  img_fill_random (&im, 1);
  orig = img_copy (&im);
  fvc_augment_flip_rgb (im.data, im.w, im.h, im.stride);
  for (int y = 0; y < im.h; y++)
    for (int x = 0; x < im.w; x++)
      ck_assert (memcmp (px (&im, x, y), px (&orig, im.w - 1 - x, y), 3) == 0);
  img_assert_padding (&im);
  fvc_augment_flip_rgb (im.data, im.w, im.h, im.stride);
  ck_assert (memcmp (im.data, orig.data, (gsize) im.stride * im.h) == 0);
  g_free (im.data);
  g_free (orig.data);
}
END_TEST

/* The documented jitter in double precision: each step blends, clamps and truncates to uint8. */
static int
ref_trunc (double v)
{
  return (int) floor (CLAMP (v, 0.0, 255.0));
}

static double
ref_gray (const int *p)
{
  return floor (0.2989 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
}

static const double jitter_cases[][3] = {
  { 1.0, 1.0, 1.0 }, { 1.2, 1.0, 1.0 }, { 1.0, 0.8, 1.0 }, { 1.0, 1.0, 1.2 },
  { 0.83, 1.17, 0.91 }, { 1.19, 0.81, 1.2 }, { 0.5, 1.5, 0.0 },
};

START_TEST (test_jitter_reference)
{
  const double b = jitter_cases[_i][0], c = jitter_cases[_i][1], s = jitter_cases[_i][2];
  Img im = img_new (16, 9), orig;
  int (*ref)[3] = (int (*)[3]) g_new (int, 3 * im.w * im.h);
  double mean = 0.0;
  int worst = 0;

  img_fill_random (&im, 2 + _i);
  orig = img_copy (&im);
  for (int i = 0; i < im.w * im.h; i++)
    for (int k = 0; k < 3; k++)
      ref[i][k] = ref_trunc (b * px (&orig, i % im.w, i / im.w)[k]);
  for (int i = 0; i < im.w * im.h; i++)
    mean += ref_gray (ref[i]);
  mean /= im.w * im.h;
  for (int i = 0; i < im.w * im.h; i++)
    for (int k = 0; k < 3; k++)
      ref[i][k] = ref_trunc (c * ref[i][k] + (1 - c) * mean);
  for (int i = 0; i < im.w * im.h; i++) {
    double g = ref_gray (ref[i]);
    for (int k = 0; k < 3; k++)
      ref[i][k] = ref_trunc (s * ref[i][k] + (1 - s) * g);
  }

  fvc_augment_jitter_rgb (im.data, im.w, im.h, im.stride, b, c, s);
  for (int i = 0; i < im.w * im.h; i++)
    for (int k = 0; k < 3; k++)
      worst = MAX (worst, abs (px (&im, i % im.w, i / im.w)[k] - ref[i][k]));
  /* float vs double at a truncation boundary can differ by one step per op */
  ck_assert_msg (worst <= 1, "jitter %g %g %g: off by %d", b, c, s, worst);
  if (b == 1.0 && c == 1.0 && s == 1.0)
    ck_assert (memcmp (im.data, orig.data, (gsize) im.stride * im.h) == 0);
  else
    ck_assert (memcmp (im.data, orig.data, (gsize) im.stride * im.h) != 0);
  img_assert_padding (&im);
  g_free (ref);
  g_free (im.data);
  g_free (orig.data);
}
END_TEST

static const double blur_sigmas[] = { 0.3, 0.7, 1.0, 1.5, 3.0 };

START_TEST (test_blur_constant)
{
  g_autoptr (FvcAugmentScratch) sc = fvc_augment_scratch_new (40, 40);
  Img im = img_new (40, 33);

  for (int y = 0; y < im.h; y++)
    for (int x = 0; x < im.w; x++) {
      px (&im, x, y)[0] = 17;
      px (&im, x, y)[1] = 128;
      px (&im, x, y)[2] = 250;
    }
  fvc_augment_blur_rgb (im.data, im.w, im.h, im.stride, blur_sigmas[_i], sc);
  for (int y = 0; y < im.h; y++)
    for (int x = 0; x < im.w; x++)
      ck_assert_msg (px (&im, x, y)[0] == 17 && px (&im, x, y)[1] == 128 && px (&im, x, y)[2] == 250,
                     "sigma %g: pixel %d,%d changed", blur_sigmas[_i], x, y);
  img_assert_padding (&im);
  g_free (im.data);
}
END_TEST

START_TEST (test_blur_impulse)
{
  const double sigma = blur_sigmas[_i];
  const int n = 41, mid = 20, radius = (int) ceil (3 * sigma);
  g_autoptr (FvcAugmentScratch) sc = fvc_augment_scratch_new (n, n);
  Img im = img_new (n, n);
  double w[64], total = 0.0;
  int sum = 0;

  memset (im.data, 0, (gsize) im.stride * n);
  for (int y = 0; y < n; y++)
    im.data[(gsize) y * im.stride + n * 3] = im.data[(gsize) y * im.stride + n * 3 + 1] = 0xEE;
  px (&im, mid, mid)[1] = 255;         /* impulse in green only */
  fvc_augment_blur_rgb (im.data, n, n, im.stride, sigma, sc);

  for (int i = -radius; i <= radius; i++)
    total += exp (-(double) i * i / (2 * sigma * sigma));
  for (int i = 0; i <= radius; i++)
    w[i] = exp (-(double) i * i / (2 * sigma * sigma)) / total;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      int dx = abs (x - mid), dy = abs (y - mid);
      double expect = (dx <= radius && dy <= radius) ? 255.0 * w[dx] * w[dy] : 0.0;
      int got = px (&im, x, y)[1];
      ck_assert_msg (fabs (got - expect) <= 0.5 + 1e-3, "sigma %g at (%d,%d): %d, expected %.3f",
                     sigma, dx, dy, got, expect);
      ck_assert_int_eq (px (&im, x, y)[0], 0);
      ck_assert_int_eq (px (&im, x, y)[2], 0);
      sum += got;
    }
  /* the kernel is normalised: the energy stays (up to rounding of each tap) */
  ck_assert_msg (abs (sum - 255) <= (2 * radius + 1) * (2 * radius + 1) / 2 + 1, "sum %d", sum);
  img_assert_padding (&im);
  g_free (im.data);
}
END_TEST

/* Weight with which output position p sees input position q along an axis of length n, from
 * the documented kernel and "reflect" borders. */
static double
ref_blur_weight (int p, int q, int n, double sigma, int radius)
{
  double total = 0.0, sum = 0.0;

  for (int i = -radius; i <= radius; i++)
    total += exp (-(double) i * i / (2 * sigma * sigma));
  for (int i = -radius; i <= radius; i++) {
    int r = p + i;
    r = r < 0 ? -r : r >= n ? 2 * (n - 1) - r : r;
    if (r == q)
      sum += exp (-(double) i * i / (2 * sigma * sigma)) / total;
  }
  return sum;
}

START_TEST (test_blur_border)
{
  /* Impulses next to the edges (red near the top-left corner, blue near the bottom-right): the
   * mirrored taps ("reflect": -1 -> 1, n -> n - 2, no edge repeat) fold back onto them. */
  const double sigma = blur_sigmas[_i];
  const int n = 24, radius = MIN ((int) ceil (3 * sigma), n - 1);
  const int imp[2][3] = { { 0, 1, 2 }, { 2, n - 2, n - 1 } };   /* channel, x, y */
  g_autoptr (FvcAugmentScratch) sc = fvc_augment_scratch_new (n, n);
  Img im = img_new (n, n);

  for (int y = 0; y < n; y++)
    memset (im.data + (gsize) y * im.stride, 0, n * 3);
  for (int k = 0; k < 2; k++)
    px (&im, imp[k][1], imp[k][2])[imp[k][0]] = 255;
  fvc_augment_blur_rgb (im.data, n, n, im.stride, sigma, sc);

  for (int k = 0; k < 2; k++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        double expect = 255.0 * ref_blur_weight (x, imp[k][1], n, sigma, radius)
                              * ref_blur_weight (y, imp[k][2], n, sigma, radius);
        int got = px (&im, x, y)[imp[k][0]];
        ck_assert_msg (fabs (got - expect) <= 0.5 + 1e-3, "sigma %g, channel %d at (%d,%d): %d, expected %.3f",
                       sigma, imp[k][0], x, y, got, expect);
      }
  img_assert_padding (&im);
  g_free (im.data);
}
END_TEST

/* The cached bytes of a blurred clip are fixed by the arithmetic, not just by the kernel: float
 * weights k[i] = (float) (g(i) / (g(0) + 2 (g(1) + ... + g(r)))) computed in double, a
 * horizontal pass into floats, then a vertical pass, each value summed in float as
 * k[0] v + k[1] (pair 1) + ... + k[r] (pair r) with mirrored taps, rounded half up. A scalar
 * pixel-by-pixel rendering of exactly that must give the same bytes, whatever loop order the
 * kernel uses to get there. */
static void
ref_blur_scalar (const Img *src, Img *dst, double sigma)
{
  const int w = src->w, h = src->h;
  int r = MIN ((int) ceil (3.0 * sigma), MIN (w, h) - 1);
  double total = 0.0;
  float k[64];
  float *mid = g_new (float, (gsize) w * h * 3);

  r = MIN (r, 63);
  for (int i = 0; i <= r; i++)
    total += (i == 0 ? 1.0 : 2.0) * exp (-(double) i * i / (2.0 * sigma * sigma));
  for (int i = 0; i <= r; i++)
    k[i] = (float) (exp (-(double) i * i / (2.0 * sigma * sigma)) / total);
#define MIRROR(i, n) ((i) < 0 ? -(i) : (i) >= (n) ? 2 * (n) - 2 - (i) : (i))
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        const guint8 *row = src->data + (gsize) y * src->stride;
        float v = k[0] * row[x * 3 + c];
        for (int i = 1; i <= r; i++)
          v += k[i] * (row[MIRROR (x - i, w) * 3 + c] + row[MIRROR (x + i, w) * 3 + c]);
        mid[((gsize) y * w + x) * 3 + c] = v;
      }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        float v = k[0] * mid[((gsize) y * w + x) * 3 + c];
        for (int i = 1; i <= r; i++)
          v += k[i] * (mid[((gsize) MIRROR (y - i, h) * w + x) * 3 + c]
                       + mid[((gsize) MIRROR (y + i, h) * w + x) * 3 + c]);
        v = floorf (v + 0.5f);
        px (dst, x, y)[c] = (guint8) CLAMP (v, 0.0f, 255.0f);
      }
#undef MIRROR
  g_free (mid);
}

START_TEST (test_blur_exact_arithmetic)
{
  /* 300 frames of sizes 1..64 and sigmas 0.2..10: a float summed in another order lands on the
   * other side of a rounding boundary in a few of them (measured: reversing the order of the
   * vertical taps changes ~6 % of such frames), so a kernel that reorders its sums fails here. */
  for (guint t = 0; t < 300; t++) {
    const int w = 1 + (int) fvc_rng_below (99, "blur-test-width", t, 64);
    const int h = 1 + (int) fvc_rng_below (99, "blur-test-height", t, 64);
    const double sigma = t < 5 ? blur_sigmas[t] : fvc_rng_range (99, "blur-test-sigma", t, 0.2, 10.0);
    g_autoptr (FvcAugmentScratch) sc = fvc_augment_scratch_new (w, h);
    Img im = img_new (w, h), expect;

    img_fill_random (&im, 1000 + t);
    expect = img_copy (&im);
    ref_blur_scalar (&im, &expect, sigma);
    fvc_augment_blur_rgb (im.data, im.w, im.h, im.stride, sigma, sc);
    for (int y = 0; y < im.h; y++)
      for (int x = 0; x < im.w; x++)
        for (int c = 0; c < 3; c++)
          ck_assert_msg (px (&im, x, y)[c] == px (&expect, x, y)[c],
                         "sigma %g, %dx%d at (%d,%d,%d): %d, the scalar rendering gives %d", sigma,
                         im.w, im.h, x, y, c, px (&im, x, y)[c], px (&expect, x, y)[c]);
    img_assert_padding (&im);
    g_free (im.data);
    g_free (expect.data);
  }
}
END_TEST

START_TEST (test_noise_statistics)
{
  const int n = 112;
  const double sigma = 5.0;
  Img a = img_new (n, n), b, c, d;
  double sum = 0.0, sum2 = 0.0;

  for (int y = 0; y < n; y++)
    memset (a.data + (gsize) y * a.stride, 128, n * 3);
  b = img_copy (&a);
  c = img_copy (&a);
  d = img_copy (&a);
  fvc_augment_noise_rgb (a.data, n, n, a.stride, sigma, 31337, 2);
  fvc_augment_noise_rgb (b.data, n, n, b.stride, sigma, 31337, 2);
  fvc_augment_noise_rgb (c.data, n, n, c.stride, sigma, 31337, 3);
  fvc_augment_noise_rgb (d.data, n, n, d.stride, sigma, 31338, 2);
  ck_assert (memcmp (a.data, b.data, (gsize) a.stride * n) == 0);    /* deterministic */
  ck_assert (memcmp (a.data, c.data, (gsize) a.stride * n) != 0);    /* per frame */
  ck_assert (memcmp (a.data, d.data, (gsize) a.stride * n) != 0);    /* per seed */
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n * 3; x++) {
      double v = a.data[(gsize) y * a.stride + x] - 128.0;
      sum += v;
      sum2 += v * v;
    }
  {
    double N = 3.0 * n * n, mean = sum / N, sd = sqrt (sum2 / N - mean * mean);
    /* 37632 samples: the mean's standard error is 0.026, rounding adds 1/12 to the variance */
    ck_assert_msg (fabs (mean) < 0.15, "mean %g", mean);
    ck_assert_msg (fabs (sd - sqrt (sigma * sigma + 1.0 / 12)) < 0.15, "std %g", sd);
  }

  /* The documented counter: ((position * H + y) * W + x) * 3 + c, name "noise-value". */
  for (int k = 0; k < 5; k++) {
    int x = (k * 37) % n, y = (k * 53 + 7) % n, ch = k % 3;
    guint64 ctr = (((guint64) 2 * n + y) * n + x) * 3 + ch;
    double expect = floor (128.0 + sigma * fvc_rng_normal (31337, "noise-value", ctr) + 0.5);
    ck_assert_int_eq (px (&a, x, y)[ch], (int) CLAMP (expect, 0, 255));
  }
  img_assert_padding (&a);
  g_free (a.data);
  g_free (b.data);
  g_free (c.data);
  g_free (d.data);
}
END_TEST

/* A smooth test picture: gradients plus a soft disc, so JPEG at high quality stays close. */
static void
img_fill_smooth (Img *im)
{
  for (int y = 0; y < im->h; y++)
    for (int x = 0; x < im->w; x++) {
      double r = hypot (x - im->w / 2.0, y - im->h / 2.0);
      px (im, x, y)[0] = (guint8) (255 * x / (im->w - 1));
      px (im, x, y)[1] = (guint8) (255 * y / (im->h - 1));
      px (im, x, y)[2] = (guint8) (r < im->w / 4.0 ? 220 : 40);
    }
}

static double
psnr (const Img *a, const Img *b)
{
  double se = 0.0;
  for (int y = 0; y < a->h; y++)
    for (int x = 0; x < a->w * 3; x++) {
      double d = (double) a->data[(gsize) y * a->stride + x] - b->data[(gsize) y * b->stride + x];
      se += d * d;
    }
  return 10 * log10 (255.0 * 255.0 / (se / (3.0 * a->w * a->h) + 1e-12));
}

/* md5 of the compressed and the decoded bytes of the smooth picture at quality 75. */
static char *
jpeg_digest (void)
{
  g_autoptr (FvcAugmentScratch) sc = fvc_augment_scratch_new (112, 112);
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  Img im = img_new (112, 112);
  const guint8 *bytes;
  gsize len;

  img_fill_smooth (&im);
  g_assert_true (fvc_augment_jpeg_rgb (im.data, im.w, im.h, im.stride, 75, sc, NULL));
  bytes = fvc_augment_scratch_last_jpeg (sc, &len);
  g_checksum_update (md5, bytes, len);
  g_checksum_update (md5, im.data, (gsize) im.stride * im.h);
  g_free (im.data);
  return g_strdup (g_checksum_get_string (md5));
}

START_TEST (test_jpeg)
{
  g_autoptr (FvcAugmentScratch) sc1 = fvc_augment_scratch_new (112, 112);
  g_autoptr (FvcAugmentScratch) sc2 = fvc_augment_scratch_new (128, 128);
  Img orig = img_new (112, 112), q90, q90b, q30;
  GError *err = NULL;
  const guint8 *bytes;
  gsize len90, len30;
  g_autofree guint8 *jpeg90 = NULL;

  img_fill_smooth (&orig);
  q90 = img_copy (&orig);
  q90b = img_copy (&orig);
  q30 = img_copy (&orig);

  ck_assert (fvc_augment_jpeg_rgb (q90.data, 112, 112, q90.stride, 90, sc1, &err));
  ck_assert (err == NULL);
  bytes = fvc_augment_scratch_last_jpeg (sc1, &len90);
  ck_assert (len90 > 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[len90 - 2] == 0xFF
             && bytes[len90 - 1] == 0xD9);
  jpeg90 = g_memdup2 (bytes, len90);
  /* another scratch (bigger), same bytes in and out */
  ck_assert (fvc_augment_jpeg_rgb (q90b.data, 112, 112, q90b.stride, 90, sc2, NULL));
  bytes = fvc_augment_scratch_last_jpeg (sc2, &len30);
  ck_assert_uint_eq (len30, len90);
  ck_assert (memcmp (bytes, jpeg90, len90) == 0);
  ck_assert (memcmp (q90.data, q90b.data, (gsize) q90.stride * 112) == 0);

  ck_assert (fvc_augment_jpeg_rgb (q30.data, 112, 112, q30.stride, 30, sc1, NULL));
  fvc_augment_scratch_last_jpeg (sc1, &len30);
  ck_assert_msg (len30 < len90, "q30 %zu bytes, q90 %zu bytes", len30, len90);
  ck_assert (memcmp (q30.data, q90.data, (gsize) q30.stride * 112) != 0);
  ck_assert_msg (psnr (&orig, &q90) > 30.0, "q90 PSNR %g", psnr (&orig, &q90));
  ck_assert_msg (psnr (&orig, &q90) > psnr (&orig, &q30), "q90 %g <= q30 %g", psnr (&orig, &q90),
                 psnr (&orig, &q30));
  ck_assert (memcmp (q90.data, orig.data, (gsize) q90.stride * 112) != 0);
  img_assert_padding (&q90);
  img_assert_padding (&q30);
  g_free (orig.data);
  g_free (q90.data);
  g_free (q90b.data);
  g_free (q30.data);
}
END_TEST

START_TEST (test_jpeg_same_without_simd)
{
  /* libjpeg-turbo turns its SIMD code off for JSIMD_FORCENONE=1 (read once per process): run
   * this binary again that way and compare the digests. */
  g_autofree char *here = jpeg_digest ();
  g_autofree char *out = NULL, *err_out = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "JSIMD_FORCENONE", "1", TRUE);
  const char *argv[] = { self_exe, "--jpeg-digest", NULL };
  int status = -1;
  GError *err = NULL;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err_out,
                               &status, &err), "spawn: %s", err ? err->message : "");
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "child failed: %s", err_out);
  g_strstrip (out);
  ck_assert_str_eq (out, here);
}
END_TEST

START_TEST (test_apply_order)
{
  /* fvc_augment_apply_rgb = flip, jitter, blur, noise, jpeg, in that order. */
  g_autoptr (FvcAugmentScratch) sc = fvc_augment_scratch_new (64, 64);
  FvcAugmentParams p = {
    .augmentation_idx = 3, .seed = 555, .flip = TRUE, .jitter = TRUE, .brightness = 1.1,
    .contrast = 0.85, .saturation = 1.15, .blur = TRUE, .blur_sigma = 0.8, .noise = TRUE,
    .noise_sigma = 4.0, .jpeg = TRUE, .jpeg_quality = 70,
  };
  Img a = img_new (48, 40), b;

  img_fill_smooth (&a);
  b = img_copy (&a);
  ck_assert (fvc_augment_apply_rgb (&p, a.data, a.w, a.h, a.stride, 5, sc, NULL));
  fvc_augment_flip_rgb (b.data, b.w, b.h, b.stride);
  fvc_augment_jitter_rgb (b.data, b.w, b.h, b.stride, 1.1, 0.85, 1.15);
  fvc_augment_blur_rgb (b.data, b.w, b.h, b.stride, 0.8, sc);
  fvc_augment_noise_rgb (b.data, b.w, b.h, b.stride, 4.0, 555, 5);
  ck_assert (fvc_augment_jpeg_rgb (b.data, b.w, b.h, b.stride, 70, sc, NULL));
  ck_assert (memcmp (a.data, b.data, (gsize) a.stride * a.h) == 0);

  /* all off: untouched */
  memset (&p, 0, sizeof p);
  memcpy (b.data, a.data, (gsize) a.stride * a.h);
  ck_assert (fvc_augment_apply_rgb (&p, a.data, a.w, a.h, a.stride, 0, sc, NULL));
  ck_assert (memcmp (a.data, b.data, (gsize) a.stride * a.h) == 0);
  img_assert_padding (&a);
  g_free (a.data);
  g_free (b.data);
}
END_TEST

/* ---- Y'CbCr -> RGB ---------------------------------------------------------------------------- */

static const struct {
  double kr, kb;
  gboolean full;
} matrix_cases[] = {
  { 0.299, 0.114, FALSE }, { 0.2126, 0.0722, FALSE }, { 0.2627, 0.0593, FALSE }, { 0.299, 0.114, TRUE },
};

START_TEST (test_yuv_matrix)
{
  const double kr = matrix_cases[_i].kr, kb = matrix_cases[_i].kb;
  const gboolean full = matrix_cases[_i].full;
  const int w = 52, h = 52;          /* Y along x (x 5), Cb along y (y 5), Cr per row pair */
  FvcYuvMatrix m;
  guint8 *ayuv = g_malloc0 ((gsize) (w * 4 + 8) * h), *rgb = g_malloc ((gsize) (w * 3 + 5) * h);
  double worst = 0.0;

  fvc_yuv_matrix_init (&m, kr, kb, full);
  for (int cr = 0; cr < 256; cr += 5) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        guint8 *p = ayuv + (gsize) y * (w * 4 + 8) + x * 4;
        p[0] = 255;
        p[1] = (guint8) (x * 5);
        p[2] = (guint8) (y * 5);
        p[3] = (guint8) cr;
      }
    fvc_yuv_matrix_ayuv_to_rgb (&m, ayuv, w * 4 + 8, rgb, w * 3 + 5, w, h);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        /* the standard, written out from the Kr/Kb definition of Y'CbCr */
        double yy = full ? x * 5 / 255.0 : (x * 5 - 16) / 219.0;
        double pb = (y * 5 - 128) / (full ? 255.0 : 224.0), pr = (cr - 128) / (full ? 255.0 : 224.0);
        double r = yy + 2 * (1 - kr) * pr, b = yy + 2 * (1 - kb) * pb;
        double g = (yy - kr * r - kb * b) / (1 - kr - kb);
        double ref[3] = { r, g, b };
        const guint8 *o = rgb + (gsize) y * (w * 3 + 5) + x * 3;
        for (int k = 0; k < 3; k++)
          worst = MAX (worst, fabs (o[k] - CLAMP (255 * ref[k], 0, 255)));
      }
  }
  /* rounding to the nearest level; 16.16 tables add at most 3 x 2^-17 near a tie */
  ck_assert_msg (worst <= 0.5 + 3 * 0.5 / 65536, "kr %g kb %g full %d: off by %g", kr, kb, full, worst);
  g_free (ayuv);
  g_free (rgb);
}
END_TEST

START_TEST (test_yuv_matrix_pinned)
{
  /* BT.601 limited range, Y'CbCr 120,100,160 -> 172.17, 106.06, 64.59 (by hand from the formula);
   * GStreamer 1.22's own 8-bit matrix gives 170, 102, 64 for it. */
  FvcYuvMatrix m;
  const guint8 ayuv[8] = { 255, 120, 100, 160, 255, 235, 128, 128 };
  guint8 rgb[6];

  fvc_yuv_matrix_init (&m, 0.299, 0.114, FALSE);
  fvc_yuv_matrix_ayuv_to_rgb (&m, ayuv, 8, rgb, 6, 2, 1);
  ck_assert_int_eq (rgb[0], 172);
  ck_assert_int_eq (rgb[1], 106);
  ck_assert_int_eq (rgb[2], 65);
  ck_assert_int_eq (rgb[3], 255);
  ck_assert_int_eq (rgb[4], 255);
  ck_assert_int_eq (rgb[5], 255);
}
END_TEST

static Suite *
augment_suite (void)
{
  Suite *s = suite_create ("augment");
  TCase *tc = tcase_create ("augment");

  tcase_add_loop_test (tc, test_params_pinned, 0, G_N_ELEMENTS (param_cases));
  tcase_add_test (tc, test_params_pure);
  tcase_add_loop_test (tc, test_params_base_clip, 0, G_N_ELEMENTS (base_sizes));
  tcase_add_test (tc, test_params_ops_off_and_forced);
  tcase_add_test (tc, test_params_crop_bounds);
  tcase_add_test (tc, test_settings_string);
  tcase_add_test (tc, test_settings_validate);
  tcase_add_test (tc, test_flip_exact);
  tcase_add_loop_test (tc, test_jitter_reference, 0, G_N_ELEMENTS (jitter_cases));
  tcase_add_loop_test (tc, test_blur_constant, 0, G_N_ELEMENTS (blur_sigmas));
  tcase_add_loop_test (tc, test_blur_impulse, 0, G_N_ELEMENTS (blur_sigmas));
  tcase_add_loop_test (tc, test_blur_border, 0, G_N_ELEMENTS (blur_sigmas));
  tcase_add_test (tc, test_blur_exact_arithmetic);
  tcase_add_test (tc, test_noise_statistics);
  tcase_add_test (tc, test_jpeg);
  tcase_add_test (tc, test_jpeg_same_without_simd);
  tcase_add_test (tc, test_apply_order);
  tcase_add_loop_test (tc, test_yuv_matrix, 0, G_N_ELEMENTS (matrix_cases));
  tcase_add_test (tc, test_yuv_matrix_pinned);
  suite_add_tcase (s, tc);
  return s;
}

int
main (int argc, char **argv)
{
  self_exe = argv[0];
  if (argc == 2 && strcmp (argv[1], "--jpeg-digest") == 0) {
    g_autofree char *digest = jpeg_digest ();
    printf ("%s\n", digest);
    return 0;
  }
  return fvc_test_run_suite (augment_suite ());
}
