/* fvc-folds.c — stratified and grouped k-fold assignment (rules in fvc-folds.h) and the manifest. */
#include "fvc-folds.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"
#include "fvc-seed.h"

#include <string.h>

static gboolean
assign_stratified (const FvcVideoIndex *index, guint k, guint32 seed, guint *fold_of)
{
  guint n = fvc_video_index_get_n_videos (index);
  g_autofree guint32 *members = g_new (guint32, n);
  guint next_fold = 0;

  for (int label = FVC_LABEL_REAL; label <= FVC_LABEL_FAKE; label++) {
    guint m = 0;
    for (guint i = 0; i < n; i++)
      if (fvc_video_index_get (index, i)->label == (FvcLabel) label)
        members[m++] = i;
    fvc_rng_shuffle_u32 (seed, label == FVC_LABEL_REAL ? "folds-real" : "folds-fake", members, m);
    for (guint j = 0; j < m; j++) {
      fold_of[members[j]] = next_fold;
      next_fold = (next_fold + 1) % k;
    }
  }
  return TRUE;
}

typedef struct {
  const char *name;
  guint count[2];       /* real, fake */
  GArray *videos;       /* guint */
} Group;

static void
group_free (gpointer p)
{
  Group *g = p;
  g_array_unref (g->videos);
  g_free (g);
}

static gint
group_by_size_desc (gconstpointer a, gconstpointer b)
{
  const Group *ga = *(Group *const *) a, *gb = *(Group *const *) b;
  guint sa = ga->count[0] + ga->count[1], sb = gb->count[0] + gb->count[1];
  return (sa < sb) - (sa > sb);
}

static gboolean
assign_grouped (const FvcVideoIndex *index, guint k, guint32 seed, guint *fold_of, GError **error)
{
  guint n = fvc_video_index_get_n_videos (index);
  g_autoptr (GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) groups = g_ptr_array_new_with_free_func (group_free);
  g_autoptr (GPtrArray) order = NULL;
  g_autofree guint32 *perm = NULL;
  g_autofree gint64 *fold_count = g_new0 (gint64, 2 * k);
  gint64 n_class[2] = { 0, 0 };

  for (guint i = 0; i < n; i++) {
    const FvcVideoEntry *e = fvc_video_index_get (index, i);
    /* An empty group cell: the video is its own group, keyed by its path (cannot clash with a
     * group name because of the prefix). */
    g_autofree char *key = e->group && *e->group ? g_strconcat ("g:", e->group, NULL)
                                                 : g_strconcat ("v:", e->video_path, NULL);
    Group *g = g_hash_table_lookup (by_name, key);
    if (g == NULL) {
      g = g_new0 (Group, 1);
      g->name = e->group;
      g->videos = g_array_new (FALSE, FALSE, sizeof (guint));
      g_ptr_array_add (groups, g);
      g_hash_table_insert (by_name, g_steal_pointer (&key), g);
    }
    g->count[e->label]++;
    g_array_append_val (g->videos, i);
    n_class[e->label]++;
  }
  if (groups->len < k) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: %u groups cannot fill %u folds",
                 fvc_video_index_get_path (index), groups->len, k);
    return FALSE;
  }

  perm = g_new (guint32, groups->len);
  for (guint i = 0; i < groups->len; i++)
    perm[i] = i;
  fvc_rng_shuffle_u32 (seed, "folds-groups", perm, groups->len);
  order = g_ptr_array_new ();
  for (guint i = 0; i < groups->len; i++)
    g_ptr_array_add (order, g_ptr_array_index (groups, perm[i]));
  /* g_ptr_array_sort is stable (GLib >= 2.32), so equal sizes keep the seeded order. */
  g_ptr_array_sort (order, group_by_size_desc);

  for (guint i = 0; i < order->len; i++) {
    Group *g = g_ptr_array_index (order, i);
    guint best = 0;
    gint64 best_cost = G_MAXINT64, best_size = G_MAXINT64;
    for (guint f = 0; f < k; f++) {
      /* k times the change of the sum of squared deviations from the targets n_c/k that adding
       * the group to fold f makes: sum_c g_c * (2 * (k * fold_c - n_c) + k * g_c). Exact in
       * integers, so ties are real ties. (Judging only the distance of the receiving fold after
       * the move would pile groups into one fold until it overshoots, and starve another.) */
      gint64 cost = 0, size = fold_count[2 * f] + fold_count[2 * f + 1];
      for (int c = 0; c < 2; c++) {
        gint64 gc = g->count[c];
        cost += gc * (2 * ((gint64) k * fold_count[2 * f + c] - n_class[c]) + (gint64) k * gc);
      }
      if (cost < best_cost || (cost == best_cost && size < best_size)) {
        best = f;
        best_cost = cost;
        best_size = size;
      }
    }
    fold_count[2 * best] += g->count[0];
    fold_count[2 * best + 1] += g->count[1];
    for (guint v = 0; v < g->videos->len; v++)
      fold_of[g_array_index (g->videos, guint, v)] = best;
  }
  return TRUE;
}

gboolean
fvc_folds_assign (const FvcVideoIndex *index, guint k, guint32 seed, guint *fold_of, GError **error)
{
  guint n = fvc_video_index_get_n_videos (index);
  guint n_class[2] = { fvc_video_index_count_label (index, FVC_LABEL_REAL),
                       fvc_video_index_count_label (index, FVC_LABEL_FAKE) };
  g_autofree guint *seen = NULL;

  if (k < 2) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "k-fold needs at least 2 folds, got %u", k);
    return FALSE;
  }
  if (n < k) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: %u videos cannot fill %u folds",
                 fvc_video_index_get_path (index), n, k);
    return FALSE;
  }
  for (int c = 0; c < 2; c++) {
    if (n_class[c] > 0 && n_class[c] < k) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                   "%s: %u %s videos cannot be spread over %u folds (each validation fold needs one)",
                   fvc_video_index_get_path (index), n_class[c], fvc_label_name ((FvcLabel) c), k);
      return FALSE;
    }
  }
  if (fvc_video_index_has_groups (index)) {
    if (!assign_grouped (index, k, seed, fold_of, error))
      return FALSE;
  } else {
    assign_stratified (index, k, seed, fold_of);
  }

  /* Grouping can leave a fold without one class; say so rather than train on it. */
  seen = g_new0 (guint, 2 * k);
  for (guint i = 0; i < n; i++)
    seen[2 * fold_of[i] + fvc_video_index_get (index, i)->label]++;
  for (guint f = 0; f < k; f++) {
    for (int c = 0; c < 2; c++) {
      if (n_class[c] > 0 && seen[2 * f + c] == 0) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                     "%s: fold %u would have no %s video in its validation set (too few groups?)",
                     fvc_video_index_get_path (index), f, fvc_label_name ((FvcLabel) c));
        return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean
fvc_folds_write_manifest (const char *path, const FvcVideoIndex *index, const guint *fold_of,
                          GError **error)
{
  g_autoptr (GString) out = g_string_new ("video_path,label,group,fold\n");

  for (guint i = 0; i < fvc_video_index_get_n_videos (index); i++) {
    const FvcVideoEntry *e = fvc_video_index_get (index, i);
    char fold[16];
    g_snprintf (fold, sizeof fold, "%u", fold_of[i]);
    fvc_csv_append_field (out, e->video_path, TRUE);
    fvc_csv_append_field (out, e->label == FVC_LABEL_FAKE ? "1" : "0", FALSE);
    fvc_csv_append_field (out, e->group ? e->group : "", FALSE);
    fvc_csv_append_field (out, fold, FALSE);
    g_string_append_c (out, '\n');
  }
  return fvc_file_write_atomic_string (path, out->str, error);
}
