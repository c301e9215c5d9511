/* fvc-decode-plan.h — which packets a decoder must be fed to produce a set of target frames.
 *
 * For each target frame t at decode position p(t), the span [k(t), p(t)] in decode order, k(t)
 * the last keyframe at or before p(t), holds everything t depends on (closed GOPs: references
 * precede their user in decode order and follow the keyframe). Spans are merged (overlapping or
 * adjacent), so each GOP prefix is fed at most once and feeding only moves forward. With
 * reference information (H.264/H.265), packets that are non-reference and not a target are left
 * out as well: nothing depends on them. Packets outside the spans are never fed. A target shown
 * before its keyframe (leading picture of an open GOP) starts its span one keyframe earlier. A
 * packet flagged keyframe but shown before a packet decoded earlier is not a usable start.
 *
 * Plans exist for timed indexes only (fvc_frame_index_is_timed): executing one means
 * recognising packets by their timestamps.
 */
#pragma once

#include "fvc-frame-index.h"

G_BEGIN_DECLS

typedef struct _FvcDecodePlan FvcDecodePlan;

/* @targets: frame numbers (any order, repeats allowed), each < n_frames. */
FvcDecodePlan *fvc_decode_plan_new (const FvcFrameIndex *index, const guint64 *targets, guint n_targets,
                                    gboolean skip_nonref);
void fvc_decode_plan_free (FvcDecodePlan *plan);

/* TRUE when the decode-order packet @packet is to be fed to the decoder. */
gboolean fvc_decode_plan_feeds (const FvcDecodePlan *plan, guint packet);
/* TRUE when @packet is the first packet of a span (a keyframe the decoder restarts from). */
gboolean fvc_decode_plan_starts_span (const FvcDecodePlan *plan, guint packet);
/* Decode-order position of the last packet to feed. */
guint fvc_decode_plan_get_last_packet (const FvcDecodePlan *plan);
/* The first packet to feed at or after @packet, or -1 when none is left. */
gint64 fvc_decode_plan_next_fed (const FvcDecodePlan *plan, guint packet);
/* Packets fed in total. */
guint fvc_decode_plan_get_n_fed (const FvcDecodePlan *plan);
/* Packets in the merged keyframe→target spans (the bound before non-reference skipping). */
guint fvc_decode_plan_get_span_union (const FvcDecodePlan *plan);
guint fvc_decode_plan_get_n_spans (const FvcDecodePlan *plan);
void fvc_decode_plan_get_span (const FvcDecodePlan *plan, guint i, guint *first, guint *last);

/* What seeking to the keyframe before each target in turn decodes (the old pipeline's way):
 * the sum over targets of (p(t) - k(t) + 1). Used for comparisons in reports and tests. */
guint64 fvc_decode_plan_naive_cost (const FvcFrameIndex *index, const guint64 *targets, guint n_targets);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcDecodePlan, fvc_decode_plan_free)

G_END_DECLS
