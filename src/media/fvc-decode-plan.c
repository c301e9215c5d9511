/* fvc-decode-plan.c — merged keyframe→target spans with non-reference skipping (see header). */
#include "fvc-decode-plan.h"

#include <string.h>

struct _FvcDecodePlan {
  guint n_packets;
  guint8 *feed;          /* per decode-order packet: 1 = feed */
  gint32 *next_fed;      /* per packet: the first packet fed at or after it, -1 none */
  GArray *spans;         /* guint pairs: first, last (decode order, inclusive) */
  guint n_fed;
  guint span_union;
  guint last_packet;
};

void
fvc_decode_plan_free (FvcDecodePlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->feed);
  g_free (plan->next_fed);
  g_array_unref (plan->spans);
  g_free (plan);
}

/* clean[k]: packet k can start decoding: flagged a keyframe, and shown after every packet
 * before it. The second condition rejects pictures a parser flags as keyframes although they
 * belong to the GOP before (seen: an open-GOP B-frame of MPEG-2 in MPEG-TS). */
static guint8 *
clean_keyframes (const FvcFrameIndex *index)
{
  guint n = fvc_frame_index_get_n_frames (index);
  guint8 *clean = g_new0 (guint8, MAX (n, 1));
  gint64 max_before = -1;

  for (guint k = 0; k < n; k++) {
    const FvcPacket *p = fvc_frame_index_get_packet (index, k);
    clean[k] = (p->flags & FVC_PACKET_KEYFRAME) && (gint64) p->frame > max_before;
    max_before = MAX (max_before, (gint64) p->frame);
  }
  return clean;
}

static guint
keyframe_before (const guint8 *clean, guint p)
{
  for (guint k = p + 1; k-- > 0;)
    if (clean[k])
      return k;
  /* No keyframe before it (a stream that starts mid-GOP): everything from the start. */
  return 0;
}

/* The first packet of the span of the target at decode position @p showing @frame. */
static guint
span_start (const FvcFrameIndex *index, const guint8 *clean, guint p, guint64 frame)
{
  guint k = keyframe_before (clean, p);
  /* A target shown before its keyframe (a leading picture of an open GOP) may reference the
   * previous GOP: start from the keyframe before that one. */
  while (k > 0 && fvc_frame_index_get_packet (index, k)->frame > frame)
    k = keyframe_before (clean, k - 1);
  return k;
}

static gint
compare_uint_pairs (gconstpointer a, gconstpointer b)
{
  const guint *pa = a, *pb = b;
  if (pa[0] != pb[0])
    return pa[0] < pb[0] ? -1 : 1;
  return (pa[1] > pb[1]) - (pa[1] < pb[1]);
}

FvcDecodePlan *
fvc_decode_plan_new (const FvcFrameIndex *index, const guint64 *targets, guint n_targets, gboolean skip_nonref)
{
  FvcDecodePlan *plan = g_new0 (FvcDecodePlan, 1);
  guint n = fvc_frame_index_get_n_frames (index);
  g_autoptr (GArray) raw = g_array_new (FALSE, FALSE, sizeof (guint) * 2);
  g_autofree guint8 *is_target = g_new0 (guint8, n);
  g_autofree guint8 *clean = clean_keyframes (index);

  plan->n_packets = n;
  plan->feed = g_new0 (guint8, n);
  plan->next_fed = g_new (gint32, MAX (n, 1));
  memset (plan->next_fed, 0xff, sizeof (gint32) * MAX (n, 1));  /* -1: none, until filled below */
  plan->spans = g_array_new (FALSE, FALSE, sizeof (guint) * 2);
  skip_nonref = skip_nonref && fvc_frame_index_has_ref_info (index);

  for (guint i = 0; i < n_targets; i++) {
    guint pair[2];
    g_return_val_if_fail (targets[i] < n, plan);
    pair[1] = fvc_frame_index_packet_of_frame (index, (guint) targets[i]);
    pair[0] = span_start (index, clean, pair[1], targets[i]);
    is_target[pair[1]] = 1;
    g_array_append_vals (raw, pair, 1);
  }
  g_array_sort (raw, compare_uint_pairs);
  for (guint i = 0; i < raw->len; i++) {
    guint *cur = &g_array_index (raw, guint, 2 * i);
    guint *last = plan->spans->len ? &g_array_index (plan->spans, guint, 2 * (plan->spans->len - 1)) : NULL;
    if (last != NULL && cur[0] <= last[1] + 1)
      last[1] = MAX (last[1], cur[1]);
    else
      g_array_append_vals (plan->spans, cur, 1);
  }
  for (guint s = 0; s < plan->spans->len; s++) {
    guint first = g_array_index (plan->spans, guint, 2 * s), last = g_array_index (plan->spans, guint, 2 * s + 1);
    plan->span_union += last - first + 1;
    for (guint p = first; p <= last; p++) {
      const FvcPacket *pk = fvc_frame_index_get_packet (index, p);
      if (skip_nonref && (pk->flags & FVC_PACKET_NONREF) && !is_target[p])
        continue;
      plan->feed[p] = 1;
      plan->n_fed++;
      plan->last_packet = p;
    }
  }
  /* The gate asks after every packet it drops whether the next fed one is far ahead: one pass
   * from the end answers that for all of them. */
  for (guint p = n, next = G_MAXUINT; p-- > 0;) {
    if (plan->feed[p])
      next = p;
    plan->next_fed[p] = next == G_MAXUINT ? -1 : (gint32) next;
  }
  return plan;
}

gboolean
fvc_decode_plan_feeds (const FvcDecodePlan *plan, guint packet)
{
  return packet < plan->n_packets && plan->feed[packet];
}

gboolean
fvc_decode_plan_starts_span (const FvcDecodePlan *plan, guint packet)
{
  for (guint s = 0; s < plan->spans->len; s++)
    if (g_array_index (plan->spans, guint, 2 * s) == packet)
      return TRUE;
  return FALSE;
}

guint
fvc_decode_plan_get_last_packet (const FvcDecodePlan *plan)
{
  return plan->last_packet;
}

gint64
fvc_decode_plan_next_fed (const FvcDecodePlan *plan, guint packet)
{
  return packet < plan->n_packets ? plan->next_fed[packet] : -1;
}

guint
fvc_decode_plan_get_n_fed (const FvcDecodePlan *plan)
{
  return plan->n_fed;
}

guint
fvc_decode_plan_get_span_union (const FvcDecodePlan *plan)
{
  return plan->span_union;
}

guint
fvc_decode_plan_get_n_spans (const FvcDecodePlan *plan)
{
  return plan->spans->len;
}

void
fvc_decode_plan_get_span (const FvcDecodePlan *plan, guint i, guint *first, guint *last)
{
  g_return_if_fail (i < plan->spans->len);
  *first = g_array_index (plan->spans, guint, 2 * i);
  *last = g_array_index (plan->spans, guint, 2 * i + 1);
}

guint64
fvc_decode_plan_naive_cost (const FvcFrameIndex *index, const guint64 *targets, guint n_targets)
{
  g_autofree guint8 *clean = clean_keyframes (index);
  guint64 cost = 0;

  for (guint i = 0; i < n_targets; i++) {
    guint p = fvc_frame_index_packet_of_frame (index, (guint) targets[i]);
    cost += p - span_start (index, clean, p, targets[i]) + 1;
  }
  return cost;
}
