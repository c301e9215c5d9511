/* fvc-folds.h — seeded k-fold assignment over videos (not clips).
 *
 * Stratified: the videos of each class, in index order, are permuted with the seeded generator
 * (seed, "folds-real"/"folds-fake") and dealt round-robin to the folds; the fake class continues
 * the rotation where the real class stopped, so fold sizes differ by at most one and each class
 * count per fold differs by at most one.
 * Grouped (the index has a group column): whole groups are the units. Groups are permuted with
 * (seed, "folds-groups"), ordered by size (largest first, stable), and each goes to the fold where
 * it lowers the total squared deviation of the folds' class counts from the per-fold targets
 * n_c / k the most (raises it the least): the fold minimising
 * sum_c g_c * (2 * (fold_c - n_c / k) + g_c), g_c being the group's count of class c
 * (ties: the smaller fold, then the lower index). A group is never split. An empty group cell
 * makes a group of its own.
 * Every video gets exactly one validation fold, in 0..k-1.
 */
#pragma once

#include "fvc-index.h"

G_BEGIN_DECLS

/* Fills @fold_of (one entry per video, index order). Fails when k < 2, when there are fewer
 * videos (or groups) than folds, or when a fold would get no video of a class present in the
 * index. */
gboolean fvc_folds_assign (const FvcVideoIndex *index, guint k, guint32 seed, guint *fold_of,
                           GError **error);

/* Writes the manifest CSV: video_path,label,group,fold (label as 0/1), index order. */
gboolean fvc_folds_write_manifest (const char *path, const FvcVideoIndex *index, const guint *fold_of,
                                   GError **error);

G_END_DECLS
