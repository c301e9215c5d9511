/* fvc-clip-selection.c — selecting a pass's clips from a cache (videos file, fold manifest or
 * the whole cache; base/augmented/all) and each epoch's seeded order (contract in
 * fvc-clip-selection.h). No GStreamer and no clip reading here: fvcclipsrc does that. */
#include "fvc-clip-selection.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-seed.h"

#include <string.h>

struct _FvcClipSelection {
  GArray *clips;           /* FvcSelectedClip, unshuffled order */
  guint n_videos, n_missing;
  char *first_missing;
  char *empty_reason;      /* the error text when no clip was selected */
};

static void
selected_clip_clear (gpointer p)
{
  FvcSelectedClip *c = p;
  g_free (c->path);
  g_free (c->video);
}

void
fvc_clip_selection_free (FvcClipSelection *sel)
{
  if (sel == NULL)
    return;
  g_array_unref (sel->clips);
  g_free (sel->first_missing);
  g_free (sel->empty_reason);
  g_free (sel);
}

/* Appends the video paths of a videos file, in file order, to @videos. */
static gboolean
read_videos_file (const char *path, GPtrArray *videos, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GError *local = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot read the videos file: %s", path, local->message);
    g_error_free (local);
    return FALSE;
  }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    char *line = g_strstrip (lines[i]);
    if (*line == '\0' || *line == '#' || (videos->len == 0 && strcmp (line, "video_path") == 0))
      continue;
    g_ptr_array_add (videos, g_strdup (line));
  }
  return TRUE;
}

/* Appends the video paths of the manifest's split, in manifest order, to @videos. */
static gboolean
read_manifest (const FvcClipSelectionSpec *spec, GPtrArray *videos, GError **error)
{
  g_autoptr (FvcCsvTable) t = fvc_csv_read (spec->manifest, FVC_CSV_NONE, error);
  int col_video, col_fold;
  guint64 max_fold = 0;

  if (t == NULL)
    return FALSE;
  col_video = fvc_csv_table_column (t, "video_path");
  col_fold = fvc_csv_table_column (t, "fold");
  if (col_video < 0 || col_fold < 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: a fold manifest needs the columns video_path and fold",
                 spec->manifest);
    return FALSE;
  }
  for (guint i = 0; i < t->rows->len; i++) {
    const FvcCsvRow *r = t->rows->pdata[i];
    guint64 fold;
    if (!g_ascii_string_to_unsigned (fvc_csv_row_get (r, col_fold), 10, 0, G_MAXUINT, &fold, NULL)) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: fold \"%s\" is not a number", spec->manifest, r->line,
                   fvc_csv_row_get (r, col_fold));
      return FALSE;
    }
    max_fold = MAX (max_fold, fold);
    if ((fold == spec->fold) == (spec->split == FVC_CLIP_SPLIT_VAL))
      g_ptr_array_add (videos, g_strdup (fvc_csv_row_get (r, col_video)));
  }
  if (spec->fold > max_fold) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: folds are 0..%" G_GUINT64_FORMAT ", there is no fold %u",
                 spec->manifest, max_fold, spec->fold);
    return FALSE;
  }
  return TRUE;
}

static int
compare_aug (gconstpointer a, gconstpointer b)
{
  const FvcCacheRow *x = *(const FvcCacheRow *const *) a, *y = *(const FvcCacheRow *const *) b;
  return (x->augmentation_idx > y->augmentation_idx) - (x->augmentation_idx < y->augmentation_idx);
}

static int
compare_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

FvcClipSelection *
fvc_clip_selection_new (const FvcCache *cache, const FvcClipSelectionSpec *spec, GError **error)
{
  g_autoptr (FvcClipSelection) sel = g_new0 (FvcClipSelection, 1);
  g_autoptr (GPtrArray) videos = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  sel->clips = g_array_new (FALSE, TRUE, sizeof (FvcSelectedClip));
  g_array_set_clear_func (sel->clips, selected_clip_clear);

  /* the cache's rows by original video */
  for (guint i = 0; i < fvc_cache_get_n_rows (cache); i++) {
    const FvcCacheRow *r = fvc_cache_get_row (cache, i);
    GPtrArray *list = g_hash_table_lookup (rows, r->original_video);
    if (list == NULL) {
      list = g_ptr_array_new ();
      g_hash_table_insert (rows, r->original_video, list);
    }
    g_ptr_array_add (list, (gpointer) r);
  }

  if (spec->videos_file && spec->manifest) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "set either videos-file or manifest, not both");
    return NULL;
  } else if (spec->videos_file) {
    if (!read_videos_file (spec->videos_file, videos, error))
      return NULL;
  } else if (spec->manifest) {
    if (!read_manifest (spec, videos, error))
      return NULL;
  } else {
    /* every video of the cache, sorted by path (the CSV order depends on how it was written) */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init (&it, rows);
    while (g_hash_table_iter_next (&it, &key, NULL))
      g_ptr_array_add (videos, g_strdup (key));
    g_ptr_array_sort (videos, compare_str);
  }

  for (guint i = 0; i < videos->len; i++) {
    const char *v = videos->pdata[i];
    GPtrArray *list = g_hash_table_lookup (rows, v);
    if (g_hash_table_contains (seen, v))
      continue;
    g_hash_table_add (seen, (gpointer) v);
    if (list == NULL) {
      if (sel->n_missing++ == 0)
        sel->first_missing = g_strdup (v);
      continue;
    }
    g_ptr_array_sort (list, compare_aug);
    for (guint j = 0; j < list->len; j++) {
      const FvcCacheRow *r = list->pdata[j];
      FvcSelectedClip c;
      if ((spec->include == FVC_CLIP_INCLUDE_BASE && r->augmentation_idx >= 0) ||
          (spec->include == FVC_CLIP_INCLUDE_AUGMENTED && r->augmentation_idx < 0))
        continue;
      c.path = fvc_cache_clip_path (cache, r);
      c.video = g_strdup (r->original_video);
      c.label = r->label;
      c.augmentation_idx = r->augmentation_idx;
      g_array_append_val (sel->clips, c);
    }
  }
  sel->n_videos = videos->len;
  if (sel->clips->len == 0)
    sel->empty_reason = g_strdup_printf ("%s: no clips to read: %u videos selected (%s), none has %s clip in the "
                                         "cache", fvc_cache_get_dir (cache), videos->len,
                                         spec->videos_file ? spec->videos_file : spec->manifest ? spec->manifest : "all",
                                         spec->include == FVC_CLIP_INCLUDE_BASE ? "a base" :
                                         spec->include == FVC_CLIP_INCLUDE_AUGMENTED ? "an augmented" : "any");
  return g_steal_pointer (&sel);
}

gboolean
fvc_clip_selection_check_not_empty (const FvcClipSelection *sel, GError **error)
{
  if (sel->clips->len > 0)
    return TRUE;
  g_set_error_literal (error, FVC_ERROR, FVC_ERROR_INVALID, sel->empty_reason);
  return FALSE;
}

guint
fvc_clip_selection_get_n_clips (const FvcClipSelection *sel)
{
  return sel->clips->len;
}

const FvcSelectedClip *
fvc_clip_selection_get_clip (const FvcClipSelection *sel, guint i)
{
  g_return_val_if_fail (i < sel->clips->len, NULL);
  return &g_array_index (sel->clips, FvcSelectedClip, i);
}

guint
fvc_clip_selection_get_n_videos (const FvcClipSelection *sel)
{
  return sel->n_videos;
}

guint
fvc_clip_selection_get_n_missing (const FvcClipSelection *sel)
{
  return sel->n_missing;
}

const char *
fvc_clip_selection_get_first_missing (const FvcClipSelection *sel)
{
  return sel->first_missing;
}

void
fvc_clip_selection_epoch_order (guint32 seed, guint fold, guint epoch, gboolean shuffle, guint32 *order, guint n)
{
  char name[96];

  for (guint i = 0; i < n; i++)
    order[i] = i;
  if (shuffle) {
    g_snprintf (name, sizeof name, "fvcclipsrc/fold=%u/epoch=%u", fold, epoch);
    fvc_rng_shuffle_u32 (seed, name, order, n);
  }
}
