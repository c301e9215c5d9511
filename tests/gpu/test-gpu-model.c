/* test-gpu-model.c — whole models on the CUDA backend against the CPU backend, and the step
 * machinery: gradient parity (every parameter gradient after one forward/backward), one full
 * training step (parameters after AdamW), graphs vs one-by-one launches (bitwise), the fused
 * uint8 input vs the written float input, gradient accumulation (2 x 2 vs 4 x 1), and no device
 * allocation per step (backend counters and cudaMemGetInfo over 20 steps).
 *
 * Tolerances (rel = ||gpu - cpu|| / ||cpu||):
 *   logits, losses        fp32 1e-4, tf32 1e-2, bf16 5e-2
 *   gradients             fp32 1e-3, tf32 2e-2, bf16 1e-1 (naive_cnn: a ReLU or max that flips
 *                         near a tie moves a whole path; bf16 activations round at 2^-9)
 *   one AdamW step        AdamW's first update is ~lr * sign(gradient), so an element whose tiny
 *                         gradient changes sign moves by 2 lr: the updates (p1 - p0) must agree in
 *                         sign for >= 99 % (fp32) / 90 % (bf16) of the elements and, for fp32,
 *                         within rel 0.1 (the AdamW kernel itself is bitwise equal: test-gpu-layers)
 * Exits 77 without a CUDA device.
 */
#include "gpu-util.h"

#include "fvc-backend-cuda.h"
#include "fvc-model.h"
#include "fvc-optim.h"
#include "fvc-trainer.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void
make_clips (guint8 *clips, gsize n, guint32 seed)
{
  gpu_random_bytes (clips, n, seed);
}

static FvcModel *
model_new (const char *name, FvcDevice dev, FvcPrecision prec, guint batch, guint t, guint hw, gboolean accumulate,
           GError **error)
{
  FvcModelConfig c = { 0 };
  c.frames = t;
  c.height = hw;
  c.width = hw;
  c.max_batch = batch;
  c.training = TRUE;
  c.accumulate = accumulate;
  c.device = dev;
  c.precision = prec;
  return fvc_model_new (fvc_model_info_lookup (name), &c, error);
}

/* An arena's tensors as plain host floats, in order (the alignment gaps are skipped). */
static float *
arena_host (FvcModel *m, FvcArena *a, gsize *n_out)
{
  FvcBackend *be = fvc_model_get_backend (m);
  gsize n = fvc_arena_get_numel (a), off = 0;
  float *out = g_new (float, MAX (n, 1));

  for (guint i = 0; i < fvc_arena_get_n_tensors (a); i++) {
    FvcTensor *t = fvc_arena_get_nth (a, i);
    if (!be->copy_d2h (be, out + off, t->data, t->numel * sizeof (float), NULL))
      memset (out + off, 0xff, t->numel * sizeof (float));
    off += t->numel;
  }
  *n_out = n;
  return out;
}

typedef struct {
  double logits, grads;
  double sign_agree;     /* fraction of update signs that must agree */
  double update;         /* rel of the updates, 0: not checked */
} Tolerances;

static Tolerances
tolerances (FvcPrecision p)
{
  switch (p) {
  case FVC_PRECISION_BF16:
    return (Tolerances) { 5e-2, 1e-1, 0.90, 0 };
  case FVC_PRECISION_TF32:
    return (Tolerances) { 1e-2, 2e-2, 0.97, 0 };
  default:
    return (Tolerances) { 1e-4, 1e-3, 0.99, 0.1 };
  }
}

/* Per-parameter comparison of two arenas of the same model layout. */
static void
compare_arenas (const char *what, FvcModel *cm, FvcArena *ca, FvcModel *gm, FvcArena *ga, double tol)
{
  FvcBackend *cb = fvc_model_get_backend (cm), *gb = fvc_model_get_backend (gm);

  for (guint i = 0; i < fvc_arena_get_n_tensors (ca); i++) {
    FvcTensor *ct = fvc_arena_get_nth (ca, i), *gt = fvc_arena_get_nth (ga, i);
    g_autofree float *a = g_new (float, ct->numel);
    g_autofree float *b = g_new (float, ct->numel);
    g_autofree char *label = g_strdup_printf ("%s %s", what, ct->name);
    if (!cb->copy_d2h (cb, a, ct->data, ct->numel * sizeof (float), NULL) ||
        !gb->copy_d2h (gb, b, gt->data, gt->numel * sizeof (float), NULL)) {
      gpu_fail ("%s: copy", label);
      continue;
    }
    gpu_check_close (label, b, a, ct->numel, tol);
  }
}

/* One forward/backward of the same clips on both backends, then one AdamW step. */
static void
parity (const char *name, FvcPrecision prec)
{
  const guint n = 3, t = 4, hw = 32;
  const gsize clip = (gsize) t * hw * hw * 3;
  const Tolerances tol = tolerances (prec);
  g_autoptr (FvcModel) cm = NULL;
  g_autoptr (FvcModel) gm = NULL;
  g_autofree guint8 *clips = g_new (guint8, n * clip);
  const float targets[3] = { 0.f, 1.f, 1.f };
  float cl[3], gl[3], closs[3], gloss[3];
  FvcBatch *cbt, *gbt;
  FvcAdamWConfig cfg;
  g_autofree float *p0 = NULL, *pc = NULL, *pg = NULL;
  gsize np = 0, agree = 0;
  double num = 0, den = 0;
  g_autofree char *label = g_strdup_printf ("%s %s", name, fvc_precision_name (prec));

  make_clips (clips, n * clip, 5);
  GPU_OK ((cm = model_new (name, FVC_DEVICE_CPU, FVC_PRECISION_FP32, n, t, hw, FALSE, error)) != NULL);
  GPU_OK ((gm = model_new (name, FVC_DEVICE_CUDA, prec, n, t, hw, FALSE, error)) != NULL);
  GPU_OK (fvc_model_init_params (cm, 7, error) && fvc_model_init_params (gm, 7, error));
  GPU_OK ((cbt = fvc_model_prepare_batch (cm, n, error)) != NULL);
  GPU_OK ((gbt = fvc_model_prepare_batch (gm, n, error)) != NULL);
  for (guint i = 0; i < 6; i++) {
    FvcTensor *a = fvc_batch_lookup (gbt, (const char *[]) { "c1", "p1", "c2", "p2", "c3", "gap" }[i]);
    if (a != NULL)
      gpu_note ("%s: activation %s in %s, %" G_GSIZE_FORMAT " bytes", label, a->name,
                a->layout ? "a backend layout" : "plain f32", a->nbytes);
  }
  GPU_OK (fvc_model_set_input (cm, cbt, clips, error) && fvc_model_set_targets (cm, cbt, targets, error) &&
          fvc_model_forward (cm, cbt, error) && fvc_model_loss (cm, cbt, 1.f / n, error) &&
          fvc_model_backward (cm, cbt, FALSE, error) && fvc_model_read_outputs (cm, cbt, cl, closs, error));
  GPU_OK (fvc_model_set_input (gm, gbt, clips, error) && fvc_model_set_targets (gm, gbt, targets, error) &&
          fvc_model_forward (gm, gbt, error) && fvc_model_loss (gm, gbt, 1.f / n, error) &&
          fvc_model_backward (gm, gbt, FALSE, error) && fvc_model_read_outputs (gm, gbt, gl, gloss, error));
  {
    g_autofree char *w = g_strdup_printf ("%s logits", label);
    gpu_check_close (w, gl, cl, n, tol.logits);
    g_free (w);
    w = g_strdup_printf ("%s losses", label);
    gpu_check_close (w, gloss, closs, n, tol.logits);
    g_free (w);
    w = g_strdup_printf ("%s grad", label);
    compare_arenas (w, cm, fvc_model_get_grads (cm), gm, fvc_model_get_grads (gm), tol.grads);
  }

  /* one AdamW step */
  p0 = arena_host (cm, fvc_model_get_params (cm), &np);
  fvc_adamw_config_init (&cfg);
  GPU_OK (fvc_adamw_step (cm, &cfg, 1, error) && fvc_adamw_step (gm, &cfg, 1, error));
  pc = arena_host (cm, fvc_model_get_params (cm), &np);
  pg = arena_host (gm, fvc_model_get_params (gm), &np);
  for (gsize i = 0; i < np; i++) {
    double uc = (double) pc[i] - p0[i], ug = (double) pg[i] - p0[i];
    agree += (uc > 0) == (ug > 0) || uc == ug;
    num += (ug - uc) * (ug - uc);
    den += uc * uc;
  }
  {
    double frac = np ? (double) agree / np : 0, rel = den > 0 ? sqrt (num / den) : 0;
    gboolean ok = frac >= tol.sign_agree && (tol.update == 0 || rel <= tol.update) && !isnan (rel);
    g_autofree char *bound = tol.update > 0 ? g_strdup_printf (" (<= %.1e)", tol.update) : g_strdup (" (not checked)");
    printf ("%s %s one AdamW step: %.4f of %" G_GSIZE_FORMAT " update signs agree (>= %.2f), update rel %.2e%s\n",
            ok ? "ok  " : "FAIL", label, frac, np, tol.sign_agree, rel, bound);
    if (!ok)
      gpu_fail ("%s: one AdamW step differs", label);
  }
}

static void
test_parity_logistic_fp32 (void)
{
  parity ("logistic_regression", FVC_PRECISION_FP32);
}

static void
test_parity_svm_fp32 (void)
{
  parity ("svm", FVC_PRECISION_FP32);
}

static void
test_parity_logistic_bf16 (void)
{
  parity ("logistic_regression", FVC_PRECISION_BF16);
}

static void
test_parity_cnn_fp32 (void)
{
  parity ("naive_cnn", FVC_PRECISION_FP32);
}

static void
test_parity_cnn_tf32 (void)
{
  parity ("naive_cnn", FVC_PRECISION_TF32);
}

static void
test_parity_cnn_bf16 (void)
{
  parity ("naive_cnn", FVC_PRECISION_BF16);
}

/* ---- steps: graphs, fused input, accumulation, allocations -------------------------------- */

/* @steps steps of one micro-batch each on the GPU; the parameters afterwards (host). */
static float *
gpu_steps (const char *name, FvcPrecision prec, guint n, guint t, guint hw, guint steps, gsize *np,
           FvcCudaCounters *counters, GError **error)
{
  g_autoptr (FvcModel) m = model_new (name, FVC_DEVICE_CUDA, prec, n, t, hw, FALSE, error);
  const gsize clip = (gsize) t * hw * hw * 3;
  g_autofree guint8 *clips = g_new (guint8, n * clip);
  g_autofree float *targets = g_new (float, n);
  FvcAdamWConfig cfg;
  FvcBatch *b;

  if (m == NULL || !fvc_model_init_params (m, 3, error) || (b = fvc_model_prepare_batch (m, n, error)) == NULL)
    return NULL;
  fvc_adamw_config_init (&cfg);
  for (guint s = 0; s < steps; s++) {
    make_clips (clips, n * clip, 100 + s);
    for (guint i = 0; i < n; i++)
      targets[i] = (i + s) % 2;
    if (!fvc_model_set_input (m, b, clips, error) || !fvc_model_set_targets (m, b, targets, error) ||
        !fvc_model_forward (m, b, error) || !fvc_model_loss (m, b, 1.f / n, error) ||
        !fvc_model_backward (m, b, FALSE, error) || !fvc_model_read_outputs (m, b, NULL, NULL, error) ||
        !fvc_adamw_step (m, &cfg, s + 1, error))
      return NULL;
  }
  fvc_backend_cuda_get_counters (fvc_model_get_backend (m), counters);
  return arena_host (m, fvc_model_get_params (m), np);
}

static void
graphs_check (const char *name, FvcPrecision prec)
{
  g_autofree float *a = NULL, *b = NULL;
  gsize na = 0, nb = 0;
  FvcCudaCounters ca, cb;
  g_autofree char *label = g_strdup_printf ("%s %s graphs vs one by one, 4 steps: parameters", name,
                                            fvc_precision_name (prec));

  g_setenv ("FVC_CUDA_GRAPHS", "1", TRUE);
  GPU_OK ((a = gpu_steps (name, prec, 4, 4, 32, 4, &na, &ca, error)) != NULL);
  g_setenv ("FVC_CUDA_GRAPHS", "0", TRUE);
  GPU_OK ((b = gpu_steps (name, prec, 4, 4, 32, 4, &nb, &cb, error)) != NULL);
  g_unsetenv ("FVC_CUDA_GRAPHS");
  gpu_note ("graphs: %" G_GUINT64_FORMAT " captured, %" G_GUINT64_FORMAT " launches, %" G_GUINT64_FORMAT
            " ops in graphs, %" G_GUINT64_FORMAT " ops one by one%s%s",
            ca.graphs_captured, ca.graph_launches, ca.ops_in_graphs, ca.ops_eager,
            ca.graph_error ? "; turned off: " : "", ca.graph_error ? ca.graph_error : "");
  /* step 1 runs one by one (and warms up), step 2 is captured, steps 2-4 are graph launches */
  if (ca.graph_error != NULL || ca.graph_launches < 3 || ca.graphs_captured < 1)
    gpu_fail ("%s: the steps did not run as graphs", name);
  gpu_check_equal (label, a, b, MIN (na, nb));
}

static void
test_graphs (void)
{
  graphs_check ("naive_cnn", FVC_PRECISION_FP32);
  graphs_check ("naive_cnn", FVC_PRECISION_BF16);
  graphs_check ("logistic_regression", FVC_PRECISION_FP32);
}

static void
test_fused_input (void)
{
  g_autofree float *a = NULL, *b = NULL;
  gsize na = 0, nb = 0;
  FvcCudaCounters ca, cb;

  g_setenv ("FVC_CUDA_FUSE_INPUT", "1", TRUE);
  GPU_OK ((a = gpu_steps ("logistic_regression", FVC_PRECISION_FP32, 5, 4, 32, 3, &na, &ca, error)) != NULL);
  g_setenv ("FVC_CUDA_FUSE_INPUT", "0", TRUE);
  GPU_OK ((b = gpu_steps ("logistic_regression", FVC_PRECISION_FP32, 5, 4, 32, 3, &nb, &cb, error)) != NULL);
  g_unsetenv ("FVC_CUDA_FUSE_INPUT");
  gpu_note ("fused: %" G_GUINT64_FORMAT " passes from uint8, %" G_GUINT64_FORMAT " normalisations; written: %"
            G_GUINT64_FORMAT " normalisations", ca.fused_input_ops, ca.normalize_runs, cb.normalize_runs);
  if (ca.fused_input_ops != 6 || ca.normalize_runs != 0 || cb.fused_input_ops != 0)
    gpu_fail ("the fused path was not (only) taken where expected");
  /* different summation orders, then 3 AdamW steps: compare the updates' sizes */
  gpu_check_close ("logistic fused vs written input, 3 steps: parameters", a, b, MIN (na, nb), 1e-5);
}

/* batch 2 x accumulation 2 vs batch 4 x 1 through the trainer (one optimizer step each). */
static void
test_accumulation (void)
{
  FvcTrainerConfig c;
  g_autoptr (FvcTrainer) t1 = NULL;
  g_autoptr (FvcTrainer) t2 = NULL;
  const guint t = 4, hw = 32;
  const gsize clip = (gsize) t * hw * hw * 3;
  g_autofree guint8 *clips = g_new (guint8, 4 * clip);
  g_autofree float *a = NULL, *b = NULL;
  gsize na, nb;

  make_clips (clips, 4 * clip, 77);
  fvc_trainer_config_init (&c);
  c.model = "naive_cnn";
  c.device = FVC_DEVICE_CUDA;
  c.frames = t;
  c.height = c.width = hw;
  c.seed = 9;
  c.batch_size = 2;
  c.accumulation_steps = 2;
  GPU_OK ((t1 = fvc_trainer_new (&c, error)) != NULL);
  c.batch_size = 4;
  c.accumulation_steps = 1;
  GPU_OK ((t2 = fvc_trainer_new (&c, error)) != NULL);
  for (guint i = 0; i < 4; i++) {
    GPU_OK (fvc_trainer_add_clip (t1, clips + i * clip, i % 2, error));
    GPU_OK (fvc_trainer_add_clip (t2, clips + i * clip, i % 2, error));
  }
  if (fvc_trainer_get_stats (t1)->steps != 1 || fvc_trainer_get_stats (t2)->steps != 1)
    gpu_fail ("expected one optimizer step each");
  /* the gradients themselves: both arenas hold the (accumulated) gradient of the same step */
  compare_arenas ("accumulation 2x2 vs 4x1 grad", fvc_trainer_get_model (t2),
                  fvc_model_get_grads (fvc_trainer_get_model (t2)), fvc_trainer_get_model (t1),
                  fvc_model_get_grads (fvc_trainer_get_model (t1)), 1e-5);
  a = arena_host (fvc_trainer_get_model (t1), fvc_model_get_params (fvc_trainer_get_model (t1)), &na);
  b = arena_host (fvc_trainer_get_model (t2), fvc_model_get_params (fvc_trainer_get_model (t2)), &nb);
  gpu_check_close ("accumulation 2x2 vs 4x1 parameters", a, b, MIN (na, nb), 1e-5);
}

/* No device memory is taken while steps run: the backend's counters and the device's free
 * memory are the same before and after 20 steps (after 3 warm-up steps). */
static void
no_alloc_check (const char *name, FvcPrecision prec, guint batch)
{
  FvcTrainerConfig c;
  g_autoptr (FvcTrainer) tr = NULL;
  const guint t = 6, hw = 112;
  const gsize clip = (gsize) t * hw * hw * 3;
  g_autofree guint8 *clips = g_new (guint8, batch * clip);
  FvcBackend *be;
  FvcCudaCounters c0, c1;
  guint64 allocs0;
  size_t free0 = 0, free1 = 0, total = 0;
  gint64 t0, t1;

  make_clips (clips, batch * clip, 1);
  fvc_trainer_config_init (&c);
  c.model = name;
  c.device = FVC_DEVICE_CUDA;
  c.precision = prec;
  c.frames = t;
  c.height = c.width = hw;
  c.batch_size = batch;
  c.accumulation_steps = 1;
  GPU_OK ((tr = fvc_trainer_new (&c, error)) != NULL);
  be = fvc_model_get_backend (fvc_trainer_get_model (tr));
  for (guint s = 0; s < 3; s++)
    for (guint i = 0; i < batch; i++)
      GPU_OK (fvc_trainer_add_clip (tr, clips + i * clip, i % 2, error));
  GPU_OK (be->synchronize (be, error));
  allocs0 = be->stats.n_allocs;
  fvc_backend_cuda_get_counters (be, &c0);
  cudaMemGetInfo (&free0, &total);
  t0 = g_get_monotonic_time ();
  for (guint s = 0; s < 20; s++)
    for (guint i = 0; i < batch; i++)
      GPU_OK (fvc_trainer_add_clip (tr, clips + i * clip, i % 2, error));
  GPU_OK (be->synchronize (be, error));
  t1 = g_get_monotonic_time ();
  cudaMemGetInfo (&free1, &total);
  fvc_backend_cuda_get_counters (be, &c1);
  {
    gboolean ok = be->stats.n_allocs == allocs0 && c1.device_mallocs == c0.device_mallocs && free0 == free1;
    printf ("%s %s %s batch %u, 20 steps: backend allocations %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
            ", device mallocs %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT ", device free %zu -> %zu bytes; "
            "arenas %.1f MiB (peak %.1f MiB); %.0f clips/s through the trainer (informational)\n",
            ok ? "ok  " : "FAIL", name, fvc_precision_name (prec), batch, allocs0, be->stats.n_allocs,
            c0.device_mallocs, c1.device_mallocs, free0, free1, be->stats.bytes_in_use / 1048576.0,
            be->stats.peak_bytes / 1048576.0, 20.0 * batch / ((t1 - t0) / 1e6));
    if (!ok)
      gpu_fail ("%s: memory allocated during steps", name);
  }
}

static void
test_no_alloc (void)
{
  no_alloc_check ("naive_cnn", FVC_PRECISION_FP32, 4);
  no_alloc_check ("naive_cnn", FVC_PRECISION_BF16, 4);
  no_alloc_check ("logistic_regression", FVC_PRECISION_FP32, 8);
  no_alloc_check ("svm", FVC_PRECISION_BF16, 8);
}

static const GpuCase cases[] = {
  { "parity-logistic-fp32", test_parity_logistic_fp32 },
  { "parity-svm-fp32", test_parity_svm_fp32 },
  { "parity-logistic-bf16", test_parity_logistic_bf16 },
  { "parity-cnn-fp32", test_parity_cnn_fp32 },
  { "parity-cnn-tf32", test_parity_cnn_tf32 },
  { "parity-cnn-bf16", test_parity_cnn_bf16 },
  { "graphs", test_graphs },
  { "fused-input", test_fused_input },
  { "accumulation", test_accumulation },
  { "no-alloc-per-step", test_no_alloc },
  { NULL, NULL },
};

int
main (int argc, char **argv)
{
  return gpu_test_main (argc, argv, "test-gpu-model", cases);
}
