/* fvc-model-naive-cnn.c — naive_cnn (DESIGN.md "Models"):
 *   c1 Conv3d(3->32, k=(1,3,3), p=(0,1,1)) -> ReLU -> MaxPool(1,2,2)
 *   c2 Conv3d(32->64, k=3, p=1)            -> ReLU -> MaxPool(1,2,2)
 *   c3 Conv3d(64->128, k=3, p=1)           -> ReLU -> global average pool -> fc Linear(128 -> 1)
 * BCE with logits. ReLUs run in place on the convolution outputs. */
#include "fvc-model-private.h"

#include <string.h>

enum { C1_W, C1_B, C2_W, C2_B, C3_W, C3_B, FC_W, FC_B };
enum { P_C1, P_P1, P_C2, P_P2, P_C3, P_GAP };             /* plans */
enum { A_C1, A_P1, A_C2, A_P2, A_C3, A_GAP };             /* activations */

typedef struct {
  const char *weight, *bias;
  guint in, out, k[3], pad[3];
} ConvSpec;

static const ConvSpec convs[3] = {
  { "c1.weight", "c1.bias", 3, 32, { 1, 3, 3 }, { 0, 1, 1 } },
  { "c2.weight", "c2.bias", 32, 64, { 3, 3, 3 }, { 1, 1, 1 } },
  { "c3.weight", "c3.bias", 64, 128, { 3, 3, 3 }, { 1, 1, 1 } },
};

static void
cnn_declare (FvcModel *m)
{
  for (guint i = 0; i < G_N_ELEMENTS (convs); i++) {
    const ConvSpec *s = &convs[i];
    guint fan_in = s->in * s->k[0] * s->k[1] * s->k[2];
    fvc_model_declare_param (m, s->weight, 5, (gint64[]) { s->out, s->in, s->k[0], s->k[1], s->k[2] }, fan_in);
    fvc_model_declare_param (m, s->bias, 1, (gint64[]) { s->out }, fan_in);
  }
  fvc_model_declare_param (m, "fc.weight", 2, (gint64[]) { 1, 128 }, 128);
  fvc_model_declare_param (m, "fc.bias", 1, (gint64[]) { 1 }, 128);
}

static gboolean
plan_conv (FvcModel *m, FvcBatch *b, guint i, const FvcTensor *src, guint plan, guint act, const char *name,
           GError **error)
{
  FvcPlanDesc d;

  fvc_plan_desc_over (&d, FVC_OP_CONV3D, src, m->config.training);
  d.out_c = convs[i].out;
  memcpy (d.kernel, convs[i].k, sizeof d.kernel);
  memcpy (d.pad, convs[i].pad, sizeof d.pad);
  d.need_src_grad = i > 0;   /* nothing upstream of c1 learns */
  return fvc_batch_plan (m, b, plan, &d, act, name, error);
}

static gboolean
plan_pool (FvcModel *m, FvcBatch *b, const FvcTensor *src, guint plan, guint act, const char *name, GError **error)
{
  FvcPlanDesc d;

  fvc_plan_desc_over (&d, FVC_OP_MAXPOOL3D, src, m->config.training);
  d.kernel[0] = 1;
  d.kernel[1] = d.kernel[2] = 2;
  return fvc_batch_plan (m, b, plan, &d, act, name, error);
}

static gboolean
cnn_plan (FvcModel *m, FvcBatch *b, GError **error)
{
  FvcPlanDesc d;

  if (!plan_conv (m, b, 0, &b->x, P_C1, A_C1, "c1", error) ||
      !plan_pool (m, b, &b->act[A_C1], P_P1, A_P1, "p1", error) ||
      !plan_conv (m, b, 1, &b->act[A_P1], P_C2, A_C2, "c2", error) ||
      !plan_pool (m, b, &b->act[A_C2], P_P2, A_P2, "p2", error) ||
      !plan_conv (m, b, 2, &b->act[A_P2], P_C3, A_C3, "c3", error))
    return FALSE;
  fvc_plan_desc_over (&d, FVC_OP_AVGPOOL_GLOBAL, &b->act[A_C3], m->config.training);
  return fvc_batch_plan (m, b, P_GAP, &d, A_GAP, "gap", error);
}

/* x (N, 3, T, H, W) -> c1 (N, 32, T, H, W) -> p1 (N, 32, T, H/2, W/2) -> c2 (N, 64, T, H/2, W/2)
 *   -> p2 (N, 64, T, H/4, W/4) -> c3 (N, 128, T, H/4, W/4) -> gap (N, 128) -> logits (N) */
static gboolean
cnn_forward (FvcModel *m, FvcBatch *b, GError **error)
{
  FvcBackend *be = m->be;
  FvcTensor **p = m->param, *a = b->act, *ws = b->ws;
  FvcPlan **pl = b->plan;

  return fvc_conv3d_forward (be, pl[P_C1], &b->x, p[C1_W], p[C1_B], &a[A_C1], &ws[P_C1], error) &&
         fvc_relu_forward (be, &a[A_C1], &a[A_C1], error) &&
         fvc_maxpool3d_forward (be, pl[P_P1], &a[A_C1], &a[A_P1], &ws[P_P1], error) &&
         fvc_conv3d_forward (be, pl[P_C2], &a[A_P1], p[C2_W], p[C2_B], &a[A_C2], &ws[P_C2], error) &&
         fvc_relu_forward (be, &a[A_C2], &a[A_C2], error) &&
         fvc_maxpool3d_forward (be, pl[P_P2], &a[A_C2], &a[A_P2], &ws[P_P2], error) &&
         fvc_conv3d_forward (be, pl[P_C3], &a[A_P2], p[C3_W], p[C3_B], &a[A_C3], &ws[P_C3], error) &&
         fvc_relu_forward (be, &a[A_C3], &a[A_C3], error) &&
         fvc_avgpool_global_forward (be, pl[P_GAP], &a[A_C3], &a[A_GAP], error) &&
         fvc_linear_forward (be, &a[A_GAP], p[FC_W], p[FC_B], &b->logits, error);
}

/* The forward in reverse; every activation gradient is overwritten before it is read. */
static gboolean
cnn_backward (FvcModel *m, FvcBatch *b, FvcTensor *const *g, GError **error)
{
  FvcBackend *be = m->be;
  FvcTensor **p = m->param, *a = b->act, *d = b->grad, *ws = b->ws;
  FvcPlan **pl = b->plan;

  return fvc_linear_backward (be, &a[A_GAP], p[FC_W], &b->dlogits, &d[A_GAP], g[FC_W], g[FC_B], error) &&
         fvc_avgpool_global_backward (be, pl[P_GAP], &d[A_GAP], &d[A_C3], error) &&
         fvc_relu_backward (be, &a[A_C3], &d[A_C3], &d[A_C3], error) &&
         fvc_conv3d_backward (be, pl[P_C3], &a[A_P2], p[C3_W], &d[A_C3], &d[A_P2], g[C3_W], g[C3_B], &ws[P_C3],
                              error) &&
         fvc_maxpool3d_backward (be, pl[P_P2], &a[A_C2], &a[A_P2], &d[A_P2], &d[A_C2], &ws[P_P2], error) &&
         fvc_relu_backward (be, &a[A_C2], &d[A_C2], &d[A_C2], error) &&
         fvc_conv3d_backward (be, pl[P_C2], &a[A_P1], p[C2_W], &d[A_C2], &d[A_P1], g[C2_W], g[C2_B], &ws[P_C2],
                              error) &&
         fvc_maxpool3d_backward (be, pl[P_P1], &a[A_C1], &a[A_P1], &d[A_P1], &d[A_C1], &ws[P_P1], error) &&
         fvc_relu_backward (be, &a[A_C1], &d[A_C1], &d[A_C1], error) &&
         fvc_conv3d_backward (be, pl[P_C1], &b->x, p[C1_W], &d[A_C1], NULL, g[C1_W], g[C1_B], &ws[P_C1], error);
}

const FvcModelInfo fvc_model_naive_cnn = {
  .name = "naive_cnn",
  .description = "3 x (Conv3d -> ReLU [-> MaxPool(1,2,2)]) -> global average pool -> Linear(128 -> 1), "
                 "BCE with logits",
  .loss = FVC_LOSS_BCE,
  .memory = { .batch_size = 4, .accumulation_steps = 2, .frames = 6 },
  .declare = cnn_declare,
  .plan = cnn_plan,
  .forward = cnn_forward,
  .backward = cnn_backward,
};
