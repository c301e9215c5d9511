/* fvc-synth.c — renders the synthetic fake/real "face" videos (see fvc-synth.h) and encodes them
 * with an in-process GStreamer pipeline. Pixels are computed in float RGB and converted to I420
 * here (BT.601, limited range, signalled in the caps), so no colour conversion of GStreamer's
 * decides the content. Not a general video writer: one fixed pipeline, small test videos. */
#include "fvc-synth.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"
#include "fvc-seed.h"

#include <gst/app/gstappsrc.h>
#include <gst/base/gstbytereader.h>
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TILE 64 /* noise tiles are TILE x TILE, sampled with wrap-around */

/* ---- the scene of one source ----------------------------------------------------------------- */

/* What a face swap takes from the donor: identity, not pose or expression. */
typedef struct {
  float skin[3], hair[3], iris[3], lip[3];
  float tex_amp;                        /* skin texture amplitude, 8-bit levels */
  float eye_dx, eye_y, eye_rx, eye_ry;  /* face units: the face outline is the unit circle */
  float mouth_w;
  float tile[TILE * TILE];              /* skin texture, values in [0, 1) */
} FaceLook;

typedef struct {
  float bg_a[3], bg_b[3];
  float bg_vx, bg_vy;                   /* background drift, px per frame */
  float stripe_nx, stripe_ny, stripe_period, stripe_amp;
  float bg_tile[TILE * TILE];
  double cx, cy, rx, ry;                /* face centre and radii at rest, px */
  double ax, ay, fx, fy, phx, phy;      /* head motion: amplitude px, cycles per frame, phase */
  double rot_amp, rot_f, rot_ph;        /* head roll, radians */
  double zoom_amp, zoom_f;
  double talk_f, talk_ph;               /* mouth opening */
  double blink_period, blink_ph;        /* frames */
  double gaze_f, gaze_ph;
  float light_u, light_v;
  FaceLook look;
} Scene;

/* The head at one frame. */
typedef struct {
  double cx, cy, c, s, rx, ry;          /* centre px, cos/sin of the roll, radii px */
  double mouth_open, eye_open, gaze_u, gaze_v;
} Pose;

/* Counter of a per-(source, fake, frame) draw; fake 0 is the real video. */
static guint64
key (guint source, guint fake, guint t)
{
  return ((guint64) source << 40) | ((guint64) fake << 24) | t;
}

static double
rnd (const FvcSynthConfig *cfg, const char *name, guint64 counter, double lo, double hi)
{
  return fvc_rng_range (cfg->seed, name, counter, lo, hi);
}

static void
fill_tile (const FvcSynthConfig *cfg, const char *name, guint source, float *tile)
{
  for (guint i = 0; i < TILE * TILE; i++)
    tile[i] = (float) fvc_rng_uniform (cfg->seed, name, ((guint64) source << 16) | i);
}

static void
scene_init (const FvcSynthConfig *cfg, guint s, Scene *sc)
{
  const double px = cfg->height / 120.0; /* geometry is designed at 120 lines */
  FaceLook *lk = &sc->look;
  double skin_r, tone;

  /* A muted background: a mid grey with a slight tint and a low-contrast texture. Strong,
   * saturated backgrounds vary more between sources than the artefacts differ between classes,
   * and a small classifier trained on ~24 videos then learns the backgrounds (docs/dataset.md). */
  {
    double grey = rnd (cfg, "synth.bg_grey", s, 100, 150);
    for (int c = 0; c < 3; c++) {
      sc->bg_a[c] = (float) (grey + rnd (cfg, "synth.bg_tint", s * 4 + c, -10, 10));
      sc->bg_b[c] = (float) (sc->bg_a[c] + rnd (cfg, "synth.bg_b", s * 4 + c, -20, 20));
    }
  }
  sc->bg_vx = (float) (rnd (cfg, "synth.bg_vx", s, -0.8, 0.8) * px);
  sc->bg_vy = (float) (rnd (cfg, "synth.bg_vy", s, -0.5, 0.5) * px);
  {
    double a = rnd (cfg, "synth.stripe_angle", s, 0, G_PI);
    sc->stripe_nx = (float) cos (a);
    sc->stripe_ny = (float) sin (a);
  }
  sc->stripe_period = (float) (rnd (cfg, "synth.stripe_period", s, 10, 28) * px);
  sc->stripe_amp = (float) rnd (cfg, "synth.stripe_amp", s, 0.1, 0.5);
  fill_tile (cfg, "synth.bg_tile", s, sc->bg_tile);

  sc->cx = cfg->width / 2.0 + rnd (cfg, "synth.cx", s, -0.06, 0.06) * cfg->height;
  sc->cy = cfg->height / 2.0 + rnd (cfg, "synth.cy", s, -0.04, 0.04) * cfg->height;
  /* The face fills most of the centre square, as in face-cropped deepfake datasets. */
  sc->rx = rnd (cfg, "synth.rx", s, 0.27, 0.32) * cfg->height;
  sc->ry = sc->rx * rnd (cfg, "synth.aspect", s, 1.1, 1.3);
  sc->ax = rnd (cfg, "synth.ax", s, 0.02, 0.07) * cfg->height;
  sc->ay = rnd (cfg, "synth.ay", s, 0.01, 0.04) * cfg->height;
  sc->fx = 1.0 / rnd (cfg, "synth.px", s, 30, 90);
  sc->fy = 1.0 / rnd (cfg, "synth.py", s, 25, 80);
  sc->phx = rnd (cfg, "synth.phx", s, 0, 2 * G_PI);
  sc->phy = rnd (cfg, "synth.phy", s, 0, 2 * G_PI);
  sc->rot_amp = rnd (cfg, "synth.rot_amp", s, 0.04, 0.2);
  sc->rot_f = 1.0 / rnd (cfg, "synth.rot_period", s, 30, 90);
  sc->rot_ph = rnd (cfg, "synth.rot_ph", s, 0, 2 * G_PI);
  sc->zoom_amp = rnd (cfg, "synth.zoom_amp", s, 0.0, 0.06);
  sc->zoom_f = 1.0 / rnd (cfg, "synth.zoom_period", s, 40, 120);
  sc->talk_f = 1.0 / rnd (cfg, "synth.talk_period", s, 6, 14);
  sc->talk_ph = rnd (cfg, "synth.talk_ph", s, 0, 2 * G_PI);
  sc->blink_period = rnd (cfg, "synth.blink_period", s, 30, 60);
  sc->blink_ph = rnd (cfg, "synth.blink_ph", s, 0, 30);
  sc->gaze_f = 1.0 / rnd (cfg, "synth.gaze_period", s, 20, 50);
  sc->gaze_ph = rnd (cfg, "synth.gaze_ph", s, 0, 2 * G_PI);
  sc->light_u = (float) rnd (cfg, "synth.light_u", s, -1, 1);
  sc->light_v = (float) rnd (cfg, "synth.light_v", s, -1, 0.3);

  /* Skin from pale to dark brown: one tone, then channel ratios. */
  tone = rnd (cfg, "synth.skin_tone", s, 0.4, 0.7);
  skin_r = 110 + 130 * tone;
  lk->skin[0] = (float) skin_r;
  lk->skin[1] = (float) (skin_r * rnd (cfg, "synth.skin_g", s, 0.62, 0.82));
  lk->skin[2] = (float) (lk->skin[1] * rnd (cfg, "synth.skin_b", s, 0.65, 0.9));
  for (int c = 0; c < 3; c++) {
    lk->hair[c] = (float) rnd (cfg, "synth.hair", s * 4 + c, 15, 60);
    lk->iris[c] = (float) rnd (cfg, "synth.iris", s * 4 + c, 30, 160);
  }
  lk->lip[0] = (float) (lk->skin[0] * 0.8);
  lk->lip[1] = (float) (lk->skin[1] * 0.45);
  lk->lip[2] = (float) (lk->skin[2] * 0.5);
  lk->tex_amp = (float) rnd (cfg, "synth.tex_amp", s, 10, 18);
  lk->eye_dx = (float) rnd (cfg, "synth.eye_dx", s, 0.3, 0.42);
  lk->eye_y = (float) rnd (cfg, "synth.eye_y", s, -0.25, -0.1);
  lk->eye_rx = (float) rnd (cfg, "synth.eye_rx", s, 0.15, 0.21);
  lk->eye_ry = (float) (lk->eye_rx * rnd (cfg, "synth.eye_aspect", s, 0.45, 0.65));
  lk->mouth_w = (float) rnd (cfg, "synth.mouth_w", s, 0.25, 0.42);
  fill_tile (cfg, "synth.skin_tile", s, lk->tile);
}

/* Face-swap pipelines pick donors that look like the target and colour-correct them, so the
 * donor identity moves only part of the way from the target's look: what tells a fake apart is
 * the artefacts, not a stranger's face. */
static void
donor_resemble (FaceLook *donor, const FaceLook *target)
{
#define TOWARD(field, keep) donor->field = target->field + (1.f - (keep)) * (donor->field - target->field)
  for (int c = 0; c < 3; c++) {
    TOWARD (skin[c], 0.75f);
    TOWARD (hair[c], 0.6f);
    TOWARD (lip[c], 0.5f);
  }
  TOWARD (eye_dx, 0.5f);
  TOWARD (eye_y, 0.5f);
  TOWARD (eye_rx, 0.5f);
  TOWARD (eye_ry, 0.5f);
  TOWARD (mouth_w, 0.5f);
#undef TOWARD
}

static void
scene_pose (const Scene *sc, guint t, Pose *p)
{
  double zoom = 1.0 + sc->zoom_amp * sin (2 * G_PI * sc->zoom_f * t);
  double roll = sc->rot_amp * sin (2 * G_PI * sc->rot_f * t + sc->rot_ph);
  double b = fmod (t + sc->blink_ph, sc->blink_period);

  p->cx = sc->cx + sc->ax * sin (2 * G_PI * sc->fx * t + sc->phx);
  p->cy = sc->cy + sc->ay * sin (2 * G_PI * sc->fy * t + sc->phy);
  p->c = cos (roll);
  p->s = sin (roll);
  p->rx = sc->rx * zoom;
  p->ry = sc->ry * zoom;
  p->mouth_open = 0.5 + 0.5 * sin (2 * G_PI * sc->talk_f * t + sc->talk_ph);
  /* A blink closes the eyes over three frames. */
  p->eye_open = b < 1 ? 0.45 : b < 2 ? 0.1 : b < 3 ? 0.5 : 1.0;
  p->gaze_u = 0.6 * sin (2 * G_PI * sc->gaze_f * t + sc->gaze_ph);
  p->gaze_v = 0.3 * cos (2 * G_PI * sc->gaze_f * t * 0.7 + sc->gaze_ph);
}

/* ---- pixel helpers ------------------------------------------------------------------------------ */

static inline float
clampf (float v, float lo, float hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* Coverage of an edge at signed distance @d px (positive inside): a one-pixel ramp. */
static inline float
cover (float d)
{
  return clampf (d + 0.5f, 0.f, 1.f);
}

static inline void
mix3 (float *dst, const float *src, float a)
{
  for (int c = 0; c < 3; c++)
    dst[c] += (src[c] - dst[c]) * a;
}

static float
tile_sample (const float *tile, float x, float y)
{
  float fx = floorf (x), fy = floorf (y);
  float wx = x - fx, wy = y - fy;
  int ix = (int) fx, iy = (int) fy;
  int x0 = ix & (TILE - 1), x1 = (ix + 1) & (TILE - 1);
  int y0 = iy & (TILE - 1), y1 = (iy + 1) & (TILE - 1);
  float a = tile[y0 * TILE + x0] + (tile[y0 * TILE + x1] - tile[y0 * TILE + x0]) * wx;
  float b = tile[y1 * TILE + x0] + (tile[y1 * TILE + x1] - tile[y1 * TILE + x0]) * wx;
  return a + (b - a) * wy;
}

/* Frame position (x, y) px -> face units (u, v) of pose @p (roll undone). */
static inline void
to_face (const Pose *p, float x, float y, float *u, float *v)
{
  float dx = x - (float) p->cx, dy = y - (float) p->cy;
  *u = (float) ((p->c * dx + p->s * dy) / p->rx);
  *v = (float) ((-p->s * dx + p->c * dy) / p->ry);
}

/* Signed distance inside an axis-aligned ellipse of face units, in px (approximate). */
static inline float
ellipse_depth (const Pose *p, float u, float v, float cu, float cv, float ru, float rv)
{
  float du = (u - cu) / ru, dv = (v - cv) / rv;
  float q = sqrtf (du * du + dv * dv);
  float r_px = (float) MIN (ru * p->rx, rv * p->ry);
  return (1.f - q) * r_px;
}

/* The face of @lk in pose @p at face position (u, v): colour into @rgb, outline coverage. */
static float
face_shade (const FaceLook *lk, float light_u, float light_v, const Pose *p, float u, float v, float *rgb)
{
  float r2 = u * u + v * v;
  float shade = 1.05f - 0.22f * r2 + 0.12f * (light_u * u + light_v * v);
  float tex = (tile_sample (lk->tile, u * (float) p->rx / 2.5f + 7, v * (float) p->ry / 2.5f + 11) - 0.5f) *
              2 * lk->tex_amp;
  float a;

  for (int c = 0; c < 3; c++)
    rgb[c] = lk->skin[c] * shade + tex * (c == 0 ? 1.f : 0.8f);

  /* Nose: a darker ridge and two nostrils. */
  if (fabsf (u) < 0.1f && v > -0.05f && v < 0.3f)
    for (int c = 0; c < 3; c++)
      rgb[c] *= 0.9f + fabsf (u);
  for (int side = -1; side <= 1; side += 2) {
    float d = ellipse_depth (p, u, v, side * 0.07f, 0.3f, 0.045f, 0.03f);
    float dark[3] = { lk->skin[0] * 0.35f, lk->skin[1] * 0.3f, lk->skin[2] * 0.3f };
    mix3 (rgb, dark, cover (d));
  }

  /* Eyes: sclera, iris following the gaze, pupil; brows above. */
  for (int side = -1; side <= 1; side += 2) {
    float eu = side * lk->eye_dx, ev = lk->eye_y;
    float open = (float) p->eye_open;
    float sclera[3] = { 232, 228, 220 };
    float pupil[3] = { 20, 15, 15 };
    float d_eye = ellipse_depth (p, u, v, eu, ev, lk->eye_rx, lk->eye_ry * open + 0.005f);
    float gu = eu + (float) p->gaze_u * lk->eye_rx * 0.4f, gv = ev + (float) p->gaze_v * lk->eye_ry * 0.3f;
    float d_iris = ellipse_depth (p, u, v, gu, gv, lk->eye_rx * 0.5f, lk->eye_rx * 0.5f * (float) (p->rx / p->ry));
    float d_pupil = ellipse_depth (p, u, v, gu, gv, lk->eye_rx * 0.22f, lk->eye_rx * 0.22f * (float) (p->rx / p->ry));
    float in_eye = cover (d_eye);
    float d_brow = ellipse_depth (p, u, v, eu, ev - lk->eye_ry - 0.1f, lk->eye_rx * 1.2f, 0.045f);

    mix3 (rgb, lk->hair, 0.85f * cover (d_brow));
    if (in_eye > 0) {
      float e[3] = { sclera[0], sclera[1], sclera[2] };
      mix3 (e, lk->iris, cover (d_iris));
      mix3 (e, pupil, cover (d_pupil));
      mix3 (rgb, e, in_eye);
    }
  }

  /* Mouth: lips, and the dark inside when open. */
  {
    float open = (float) p->mouth_open;
    float inside[3] = { 55, 18, 22 };
    mix3 (rgb, lk->lip, cover (ellipse_depth (p, u, v, 0, 0.5f, lk->mouth_w, 0.05f + 0.1f * open)));
    if (open > 0.1f)
      mix3 (rgb, inside, cover (ellipse_depth (p, u, v, 0, 0.5f, lk->mouth_w * 0.8f, 0.07f * open)));
  }

  /* Hair cap over the top of the head. */
  {
    float hair_line = -0.55f + 0.25f * u * u;
    float d_hair = (hair_line - v) * (float) p->ry;
    mix3 (rgb, lk->hair, cover (d_hair));
  }

  a = cover ((1.f - sqrtf (r2)) * (float) MIN (p->rx, p->ry));
  return a;
}

/* ---- fakes -------------------------------------------------------------------------------------- */

typedef struct {
  FvcSynthVideo v;
  float tint[3];        /* colour mismatch of the paste, 8-bit levels */
  float ring;           /* halo: relative darkening (<0) or brightening along the mask edge */
  float feather;        /* mask edge width, px */
  float opacity;
  float blur_radius;    /* px; 0 = none */
  double off_x, off_y;  /* paste offset, px */
  double zoom;          /* paste scale */
  float grid_amp;       /* upsampling-grid checkerboard: amplitude in 8-bit levels */
  float grid_cell;      /* and cell size, px */
  float mask_ru, mask_rv;  /* paste mask radii, face units */
  float ring_w;         /* halo width (gaussian sigma), px */
  float lift;           /* exposure mismatch, 8-bit levels added to the paste */
} Fake;

static const char *const kind_names[FVC_SYNTH_N_KINDS] = { "real", "seam", "blur", "flicker", "ghost" };

const char *
fvc_synth_kind_name (FvcSynthKind kind)
{
  g_return_val_if_fail (kind < FVC_SYNTH_N_KINDS, "?");
  return kind_names[kind];
}

void
fvc_synth_config_init (FvcSynthConfig *cfg)
{
  cfg->n_sources = FVC_SYNTH_DEFAULT_SOURCES;
  cfg->fakes_per_source = FVC_SYNTH_DEFAULT_FAKES_PER_SOURCE;
  cfg->n_frames = FVC_SYNTH_DEFAULT_FRAMES;
  cfg->width = FVC_SYNTH_DEFAULT_WIDTH;
  cfg->height = FVC_SYNTH_DEFAULT_HEIGHT;
  cfg->fps = FVC_SYNTH_DEFAULT_FPS;
  cfg->seed = FVC_SYNTH_DEFAULT_SEED;
}

gboolean
fvc_synth_config_validate (const FvcSynthConfig *cfg, GError **error)
{
  const char *what = NULL;

  if (cfg->n_sources < 1 || cfg->n_sources > 1000)
    what = "sources must be in 1..1000";
  else if (cfg->fakes_per_source > 99)
    what = "fakes per source must be in 0..99";
  else if (cfg->n_frames < 1 || cfg->n_frames > 100000)
    what = "frames must be in 1..100000";
  else if (cfg->width < 16 || cfg->width > 4096 || cfg->width % 2)
    what = "width must be even and in 16..4096";
  else if (cfg->height < 16 || cfg->height > 4096 || cfg->height % 2)
    what = "height must be even and in 16..4096";
  else if (cfg->fps < 1 || cfg->fps > 240)
    what = "fps must be in 1..240";
  if (what) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s", what);
    return FALSE;
  }
  return TRUE;
}

guint
fvc_synth_n_videos (const FvcSynthConfig *cfg)
{
  return cfg->n_sources * (cfg->fakes_per_source + 1);
}

void
fvc_synth_describe (const FvcSynthConfig *cfg, guint index, FvcSynthVideo *out)
{
  guint per = cfg->fakes_per_source + 1;

  g_return_if_fail (index < fvc_synth_n_videos (cfg));
  memset (out, 0, sizeof *out);
  out->index = index;
  out->source = index / per;
  out->fake = index % per;
  g_snprintf (out->group, sizeof out->group, "src_%03u", out->source);
  if (out->fake == 0) {
    out->kind = FVC_SYNTH_REAL;
    out->donor = out->source;
    g_snprintf (out->name, sizeof out->name, "real_%03u.mp4", out->source);
    return;
  }
  /* The kinds rotate over a source's fakes and across sources, so every kind has every role. */
  out->kind = 1 + (out->source + out->fake - 1) % (FVC_SYNTH_N_KINDS - 1);
  out->strength = rnd (cfg, "synth.strength", key (out->source, out->fake, 0), 0.5, 1.0);
  /* A synthetic identity of its own: a donor shared with a real video would let a classifier
   * learn identities (the donor's real video says "real") instead of artefacts. */
  out->donor = FVC_SYNTH_DONOR_BASE + out->source * 100 + out->fake;
  g_snprintf (out->name, sizeof out->name, "fake_%03u_%02u.mp4", out->source, out->fake - 1);
}

static void
fake_init (const FvcSynthConfig *cfg, guint index, Fake *f)
{
  const double px = cfg->height / 120.0;
  guint64 k;
  double s, sign;

  memset (f, 0, sizeof *f);
  fvc_synth_describe (cfg, index, &f->v);
  k = key (f->v.source, f->v.fake, 0);
  s = f->v.strength;
  f->opacity = 1.f;
  f->zoom = 1.0;
  f->feather = (float) (2.0 * px);
  /* Every kind: the donor's skin plus a colour mismatch (random direction) and an exposure
   * mismatch (brighter), the generator's upsampling grid, and a halo along the mask edge. */
  for (int c = 0; c < 3; c++)
    f->tint[c] = (float) (fvc_rng_normal (cfg->seed, "synth.tint", k + c) * 15.0);
  f->lift = (float) (30.0 * (0.5 + 0.5 * s));
  f->mask_ru = 0.78f;
  f->mask_rv = 0.76f;
  f->grid_amp = (float) (10.0 + 6.0 * s);
  f->grid_cell = (float) (rnd (cfg, "synth.grid_cell", k, 1.8, 2.5) * px);
  sign = fvc_rng_uniform (cfg->seed, "synth.ring_sign", k) < 0.7 ? -1 : 1;
  f->ring = (float) (sign * 0.3 * (0.5 + 0.5 * s));
  f->ring_w = (float) (1.2 * px);

  switch (f->v.kind) {
  case FVC_SYNTH_SEAM:
    for (int c = 0; c < 3; c++)
      f->tint[c] = CLAMP (f->tint[c] * (float) (1.0 + 2.0 * s), -40.f, 40.f);
    f->feather = (float) (0.6 * px);
    f->ring += (float) (sign * (0.15 + 0.25 * s));
    break;
  case FVC_SYNTH_BLUR:
    f->feather = (float) (4.0 * px);
    f->blur_radius = (float) ((1.0 + 1.5 * s) * px);
    break;
  case FVC_SYNTH_FLICKER:
    f->feather = (float) (2.5 * px);
    break;
  case FVC_SYNTH_GHOST: {
    double a = rnd (cfg, "synth.ghost_angle", k, 0, 2 * G_PI);
    double m = (2.0 + 3.0 * s) * px;
    f->off_x = m * cos (a);
    f->off_y = m * sin (a);
    f->zoom = 1.0 + 0.06 * s;
    f->opacity = (float) (0.75 - 0.2 * s);
    break;
  }
  default:
    g_assert_not_reached ();
  }
}

/* ---- frames ------------------------------------------------------------------------------------- */

/* Everything needed to render the frames of one video; buffers sized once. */
typedef struct {
  const FvcSynthConfig *cfg;
  guint index;
  Scene scene;           /* the target (the source of the video) */
  Scene donor;           /* used only by fakes */
  Fake fake;
  gboolean is_fake;
  float grain[TILE * TILE];
  float *rgb;            /* (H, W, 3) */
  float *layer;          /* (H, W, 3), the pasted face */
  float *mask;           /* (H, W) */
  float *tmp;            /* (H, W, 3), blur scratch */
} Renderer;

static Renderer *
renderer_new (const FvcSynthConfig *cfg, guint index)
{
  Renderer *r = g_new0 (Renderer, 1);
  gsize n = (gsize) cfg->width * cfg->height;
  FvcSynthVideo v;

  r->cfg = cfg;
  r->index = index;
  fvc_synth_describe (cfg, index, &v);
  scene_init (cfg, v.source, &r->scene);
  fill_tile (cfg, "synth.grain_tile", 0, r->grain);
  r->rgb = g_new (float, n * 3);
  if (v.fake > 0) {
    r->is_fake = TRUE;
    fake_init (cfg, index, &r->fake);
    scene_init (cfg, v.donor, &r->donor);
    donor_resemble (&r->donor.look, &r->scene.look);
    r->layer = g_new (float, n * 3);
    r->mask = g_new (float, n);
    r->tmp = g_new (float, n * 3);
  }
  return r;
}

static void
renderer_free (Renderer *r)
{
  if (r == NULL)
    return;
  g_free (r->rgb);
  g_free (r->layer);
  g_free (r->mask);
  g_free (r->tmp);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Renderer, renderer_free)

/* Separable box blur of an (H, W, 3) image, edges clamped; twice makes it close to a gaussian. */
static void
box_blur (float *img, float *tmp, guint w, guint h, int rad)
{
  for (int pass = 0; pass < 2; pass++) {
    for (guint y = 0; y < h; y++)
      for (guint x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          float sum = 0;
          for (int d = -rad; d <= rad; d++) {
            int xx = CLAMP ((int) x + d, 0, (int) w - 1);
            sum += img[((gsize) y * w + xx) * 3 + c];
          }
          tmp[((gsize) y * w + x) * 3 + c] = sum / (2 * rad + 1);
        }
    for (guint y = 0; y < h; y++)
      for (guint x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          float sum = 0;
          for (int d = -rad; d <= rad; d++) {
            int yy = CLAMP ((int) y + d, 0, (int) h - 1);
            sum += tmp[((gsize) yy * w + x) * 3 + c];
          }
          img[((gsize) y * w + x) * 3 + c] = sum / (2 * rad + 1);
        }
  }
}

/* Background, neck and face of the target: r->rgb. */
static void
render_scene (Renderer *r, guint t, const Pose *p)
{
  const Scene *sc = &r->scene;
  const guint w = r->cfg->width, h = r->cfg->height;

  for (guint y = 0; y < h; y++) {
    for (guint x = 0; x < w; x++) {
      float *px = r->rgb + ((gsize) y * w + x) * 3;
      float bx = x + sc->bg_vx * t, by = y + sc->bg_vy * t;
      float n1 = tile_sample (sc->bg_tile, bx / 9.f, by / 9.f);
      float n2 = tile_sample (sc->bg_tile, bx / 3.5f + 17, by / 3.5f + 31);
      float ph = (bx * sc->stripe_nx + by * sc->stripe_ny) / sc->stripe_period;
      float tri = 1.f - fabsf (2.f * (ph - floorf (ph)) - 1.f);
      float wgt = clampf (0.55f * n1 + 0.25f * n2 + sc->stripe_amp * (tri - 0.5f), 0.f, 1.f);
      float face[3], a, u, v;

      for (int c = 0; c < 3; c++)
        px[c] = sc->bg_a[c] + (sc->bg_b[c] - sc->bg_a[c]) * wgt;

      /* Neck: upright, below the head, darker skin. */
      {
        float dx = fabsf (x + 0.5f - (float) p->cx);
        float top = (float) (p->cy + 0.5 * p->ry);
        float d = MIN ((float) (0.42 * p->rx) - dx, y + 0.5f - top);
        float neck[3] = { sc->look.skin[0] * 0.78f, sc->look.skin[1] * 0.75f, sc->look.skin[2] * 0.75f };
        mix3 (px, neck, cover (d));
      }
      to_face (p, x + 0.5f, y + 0.5f, &u, &v);
      if (u * u + v * v < 1.1f) {
        a = face_shade (&sc->look, sc->light_u, sc->light_v, p, u, v, face);
        mix3 (px, face, a);
      }
    }
  }
}

/* The swap: the donor's face in the target's pose (moved/scaled per artefact), blended through
 * an elliptic mask over eyes, nose and mouth. */
static void
render_fake (Renderer *r, guint t, const Pose *target)
{
  const FvcSynthConfig *cfg = r->cfg;
  const Fake *f = &r->fake;
  const guint w = cfg->width, h = cfg->height;
  const guint64 k = key (f->v.source, f->v.fake, t);
  const double px = cfg->height / 120.0;
  Pose p = *target;
  float opacity = f->opacity, bright = 0, tint[3];

  p.cx += f->off_x;
  p.cy += f->off_y;
  p.rx *= f->zoom;
  p.ry *= f->zoom;
  if (f->v.kind == FVC_SYNTH_FLICKER) {
    double s = f->v.strength;
    opacity = (float) (1.0 - 0.6 * s * fvc_rng_uniform (cfg->seed, "synth.flicker_alpha", k));
    bright = (float) (12.0 * s * fvc_rng_normal (cfg->seed, "synth.flicker_bright", k));
    p.cx += 2.0 * s * px * fvc_rng_range (cfg->seed, "synth.flicker_dx", k, -1, 1);
    p.cy += 2.0 * s * px * fvc_rng_range (cfg->seed, "synth.flicker_dy", k, -1, 1);
  }
  for (int c = 0; c < 3; c++)
    tint[c] = f->tint[c] + f->lift + bright;

  for (guint y = 0; y < h; y++) {
    for (guint x = 0; x < w; x++) {
      gsize i = (gsize) y * w + x;
      float u, v, d;
      to_face (&p, x + 0.5f, y + 0.5f, &u, &v);
      /* Mask: ellipse centred below the eyes, radius 0.78 face units; edge ramp f->feather px. */
      d = ellipse_depth (&p, u, v, 0, 0.1f, f->mask_ru, f->mask_rv);
      r->mask[i] = clampf (d / f->feather + 0.5f, 0.f, 1.f);
      if (d > -f->feather - 2)
        face_shade (&r->donor.look, r->scene.light_u, r->scene.light_v, &p, u, v, r->layer + i * 3);
      else
        memcpy (r->layer + i * 3, r->rgb + i * 3, 3 * sizeof (float));
    }
  }
  if (f->blur_radius > 0)
    box_blur (r->layer, r->tmp, w, h, (int) (f->blur_radius + 0.5f));

  for (guint y = 0; y < h; y++) {
    for (guint x = 0; x < w; x++) {
      gsize i = (gsize) y * w + x;
      float *dst = r->rgb + i * 3, src[3], u, v, grid;
      to_face (&p, x + 0.5f, y + 0.5f, &u, &v);
      /* The generator's upsampling grid: a faint checkerboard fixed to the pasted face. */
      grid = f->grid_amp * sinf ((float) G_PI * u * (float) p.rx / f->grid_cell) *
             sinf ((float) G_PI * v * (float) p.ry / f->grid_cell);
      for (int c = 0; c < 3; c++)
        src[c] = r->layer[i * 3 + c] + tint[c] + grid;
      mix3 (dst, src, r->mask[i] * opacity);
      if (f->ring != 0) {
        /* A blending seam: a thin band straddling the mask edge. */
        float d = ellipse_depth (&p, u, v, 0, 0.1f, f->mask_ru, f->mask_rv);
        float band = expf (-d * d / (2 * f->ring_w * f->ring_w));
        for (int c = 0; c < 3; c++)
          dst[c] *= 1.f + f->ring * band;
      }
    }
  }
}

static inline guint8
to_u8 (float v)
{
  return (guint8) clampf (floorf (v + 0.5f), 0.f, 255.f);
}

/* r->rgb plus sensor grain -> I420, BT.601 limited range; chroma from 2x2 averages. */
static void
to_i420 (Renderer *r, guint t, guint8 *out)
{
  const guint w = r->cfg->width, h = r->cfg->height;
  FvcSynthVideo v;
  guint64 k;
  guint ox, oy;
  guint8 *yp = out, *up = out + (gsize) w * h, *vp = up + (gsize) (w / 2) * (h / 2);

  /* The grain moves per frame but is the same in a real video and its fakes. */
  fvc_synth_describe (r->cfg, r->index, &v);
  k = key (v.source, 0, t);
  ox = fvc_rng_below (r->cfg->seed, "synth.grain_x", k, TILE);
  oy = fvc_rng_below (r->cfg->seed, "synth.grain_y", k, TILE);

  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++) {
      float *p = r->rgb + ((gsize) y * w + x) * 3;
      float g = (r->grain[((y + oy) & (TILE - 1)) * TILE + ((x + ox) & (TILE - 1))] - 0.5f) * 6.f;
      for (int c = 0; c < 3; c++)
        p[c] = clampf (p[c] + g, 0.f, 255.f);
      yp[(gsize) y * w + x] = to_u8 (16.f + (65.481f * p[0] + 128.553f * p[1] + 24.966f * p[2]) / 255.f);
    }
  for (guint y = 0; y < h / 2; y++)
    for (guint x = 0; x < w / 2; x++) {
      float m[3] = { 0, 0, 0 };
      for (guint dy = 0; dy < 2; dy++)
        for (guint dx = 0; dx < 2; dx++)
          for (int c = 0; c < 3; c++)
            m[c] += r->rgb[((gsize) (2 * y + dy) * w + 2 * x + dx) * 3 + c] * 0.25f;
      up[(gsize) y * (w / 2) + x] = to_u8 (128.f + (-37.797f * m[0] - 74.203f * m[1] + 112.f * m[2]) / 255.f);
      vp[(gsize) y * (w / 2) + x] = to_u8 (128.f + (112.f * m[0] - 93.786f * m[1] - 18.214f * m[2]) / 255.f);
    }
}

static void
renderer_frame (Renderer *r, guint t, guint8 *i420)
{
  Pose p;
  scene_pose (&r->scene, t, &p);
  render_scene (r, t, &p);
  if (r->is_fake)
    render_fake (r, t, &p);
  to_i420 (r, t, i420);
}

void
fvc_synth_render_frame (const FvcSynthConfig *cfg, guint index, guint t, guint8 *i420)
{
  g_autoptr (Renderer) r = NULL;

  g_return_if_fail (index < fvc_synth_n_videos (cfg));
  r = renderer_new (cfg, index);
  renderer_frame (r, t, i420);
}

/* ---- MP4 time fields ---------------------------------------------------------------------------- */

/* Walks the boxes in data[start, end); descends into moov, trak and mdia; zeroes the times of
 * mvhd, tkhd and mdhd. */
static gboolean
clear_times_in (guint8 *data, gsize start, gsize end, const char *label, GError **error)
{
  gsize pos = start;

  while (pos + 8 <= end) {
    GstByteReader br = GST_BYTE_READER_INIT (data + pos, end - pos);
    guint32 size32 = 0, type = 0;
    guint64 size, header = 8;

    gst_byte_reader_get_uint32_be (&br, &size32);
    gst_byte_reader_get_uint32_le (&br, &type);
    size = size32;
    if (size32 == 1) {
      if (!gst_byte_reader_get_uint64_be (&br, &size))
        goto bad;
      header = 16;
    } else if (size32 == 0) {
      size = end - pos;
    }
    if (size < header || size > end - pos)
      goto bad;

    if (type == GST_MAKE_FOURCC ('m', 'o', 'o', 'v') || type == GST_MAKE_FOURCC ('t', 'r', 'a', 'k') ||
        type == GST_MAKE_FOURCC ('m', 'd', 'i', 'a')) {
      if (!clear_times_in (data, pos + header, pos + size, label, error))
        return FALSE;
    } else if (type == GST_MAKE_FOURCC ('m', 'v', 'h', 'd') || type == GST_MAKE_FOURCC ('t', 'k', 'h', 'd') ||
               type == GST_MAKE_FOURCC ('m', 'd', 'h', 'd')) {
      /* Full box: version (1), flags (3), creation and modification time, 4 bytes each in
       * version 0 and 8 bytes each in version 1. */
      guint8 version;
      gsize n;
      if (size < header + 4)
        goto bad;
      version = data[pos + header];
      n = version == 1 ? 16 : 8;
      if (size < header + 4 + n)
        goto bad;
      memset (data + pos + header + 4, 0, n);
    }
    pos += size;
  }
  return TRUE;

bad:
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: malformed MP4 box at offset %" G_GSIZE_FORMAT, label,
               pos);
  return FALSE;
}

gboolean
fvc_mp4_clear_times (guint8 *data, gsize len, const char *label, GError **error)
{
  return clear_times_in (data, 0, len, label, error);
}

/* ---- encoding ----------------------------------------------------------------------------------- */

typedef struct {
  Renderer *r;
  guint next;            /* next frame to push; touched only by appsrc's streaming thread */
  gsize frame_size;
} Feed;

static void
feed_need_data (GstAppSrc *src, guint length, gpointer user_data)
{
  Feed *feed = user_data;
  const FvcSynthConfig *cfg = feed->r->cfg;
  GstBuffer *buf;
  GstMapInfo map;

  if (feed->next >= cfg->n_frames) {
    gst_app_src_end_of_stream (src);
    return;
  }
  buf = gst_buffer_new_allocate (NULL, feed->frame_size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  renderer_frame (feed->r, feed->next, map.data);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (feed->next, GST_SECOND, cfg->fps);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (feed->next + 1, GST_SECOND, cfg->fps) - GST_BUFFER_PTS (buf);
  feed->next++;
  gst_app_src_push_buffer (src, buf);
}

/* x264enc: one thread and fixed GOP/B-frame settings make the bitstream a pure function of the
 * frames; constant quality keeps the fine texture the classifier is meant to see. */
#define SYNTH_PIPELINE                                                                             \
  "appsrc name=src format=time ! videoconvert ! "                                                  \
  "x264enc name=enc threads=1 bframes=2 b-adapt=false pass=qual quantizer=18 speed-preset=medium " \
  "! h264parse ! mp4mux ! filesink name=sink"

static gboolean
run_pipeline (const FvcSynthConfig *cfg, Feed *feed, const char *tmp, GCancellable *cancellable,
              GError **error)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL, enc = NULL, sink = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBus) bus = NULL;
  GError *perr = NULL;
  GstAppSrcCallbacks cb = { .need_data = feed_need_data };
  gboolean ok = FALSE, done = FALSE;

  pipeline = gst_parse_launch (SYNTH_PIPELINE, &perr);
  if (pipeline == NULL || perr) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "cannot build the encoding pipeline (%s)",
                 perr ? perr->message : "unknown error");
    g_clear_error (&perr);
    return FALSE;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  enc = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                              (int) cfg->width, "height", G_TYPE_INT, (int) cfg->height, "framerate",
                              GST_TYPE_FRACTION, (int) cfg->fps, 1, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1,
                              1, "interlace-mode", G_TYPE_STRING, "progressive", "colorimetry", G_TYPE_STRING,
                              "bt601", NULL);
  g_object_set (src, "caps", caps, "max-buffers", (guint64) 2, NULL);
  g_object_set (enc, "key-int-max", cfg->fps, NULL);
  g_object_set (sink, "location", tmp, NULL);
  gst_app_src_set_callbacks (GST_APP_SRC (src), &cb, feed, NULL);

  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    g_autoptr (GError) gerr = NULL;
    if (msg)
      gst_message_parse_error (msg, &gerr, NULL);
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot start encoding: %s", tmp,
                 gerr ? gerr->message : "state change failed");
    gst_element_set_state (pipeline, GST_STATE_NULL);
    return FALSE;
  }
  while (!done) {
    g_autoptr (GstMessage) msg =
      gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (g_cancellable_is_cancelled (cancellable)) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_CANCELLED, "cancelled");
      break;
    }
    if (msg == NULL)
      continue;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      ok = TRUE;
    } else {
      g_autoptr (GError) gerr = NULL;
      g_autofree char *dbg = NULL;
      gst_message_parse_error (msg, &gerr, &dbg);
      g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: encoding failed in %s: %s", tmp,
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), gerr->message);
    }
    done = TRUE;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return ok;
}

/* Clears the creation/modification times of the MP4 file @tmp in place (mapped, so only the
 * pages of the patched headers are written back). */
static gboolean
clear_times_in_file (const char *tmp, const char *label, GError **error)
{
  int fd = open (tmp, O_RDWR | O_CLOEXEC);
  struct stat st;
  void *map;
  gboolean ok;

  if (fd < 0 || fstat (fd, &st) != 0 || st.st_size == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot open the encoded file: %s", tmp,
                 fd < 0 ? g_strerror (errno) : "empty");
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  map = mmap (NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close (fd);
  if (map == MAP_FAILED) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot map: %s", tmp, g_strerror (errno));
    return FALSE;
  }
  ok = fvc_mp4_clear_times (map, (gsize) st.st_size, label, error);
  munmap (map, (size_t) st.st_size);
  return ok;
}

gboolean
fvc_synth_write_video (const FvcSynthConfig *cfg, guint index, const char *path, GCancellable *cancellable,
                       GError **error)
{
  g_autoptr (Renderer) r = NULL;
  g_autofree char *tmp = NULL;
  Feed feed = { 0 };

  g_return_val_if_fail (index < fvc_synth_n_videos (cfg), FALSE);
  if (!fvc_synth_config_validate (cfg, error))
    return FALSE;

  r = renderer_new (cfg, index);
  feed.r = r;
  feed.frame_size = (gsize) cfg->width * cfg->height * 3 / 2;
  /* mp4mux seeks back to patch headers, so it writes a real file: under a temporary name beside
   * the target, whose times are then cleared in place before it takes the final name. */
  tmp = fvc_temp_name_for (path);
  if (!run_pipeline (cfg, &feed, tmp, cancellable, error) || !clear_times_in_file (tmp, path, error)) {
    g_unlink (tmp);
    return FALSE;
  }
  return fvc_file_commit_temp (tmp, path, error);
}

/* ---- index -------------------------------------------------------------------------------------- */

char *
fvc_synth_format_index (const FvcSynthConfig *cfg, const char *video_prefix)
{
  GString *out = g_string_new ("video_path,label,group\n");
  guint n = fvc_synth_n_videos (cfg);

  for (guint i = 0; i < n; i++) {
    FvcSynthVideo v;
    fvc_synth_describe (cfg, i, &v);
    if (video_prefix && *video_prefix && strcmp (video_prefix, ".") != 0)
      g_string_append_printf (out, "%s/", video_prefix);
    g_string_append_printf (out, "%s,%s,%s\n", v.name, v.fake ? "fake" : "real", v.group);
  }
  return g_string_free (out, FALSE);
}

char *
fvc_synth_relative_path (const char *from_dir, const char *target)
{
  g_autofree char *a = g_canonicalize_filename (from_dir, NULL);
  g_autofree char *b = g_canonicalize_filename (target, NULL);
  g_auto (GStrv) pa = g_strsplit (a, "/", -1);
  g_auto (GStrv) pb = g_strsplit (b, "/", -1);
  GString *out = g_string_new (NULL);
  guint i = 0;

  /* Both start with "" (absolute); a root of "/" splits into two empty parts. */
  while (pa[i] && pb[i] && strcmp (pa[i], pb[i]) == 0)
    i++;
  for (guint j = i; pa[j]; j++)
    if (*pa[j])
      g_string_append (out, out->len ? "/.." : "..");
  for (guint j = i; pb[j]; j++)
    if (*pb[j]) {
      if (out->len)
        g_string_append_c (out, '/');
      g_string_append (out, pb[j]);
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  return g_string_free (out, FALSE);
}
