/* fvc-index.h — the video index: a CSV with a header `video_path,label[,group]`, extra columns
 * kept. A relative video_path is opened relative to the index file's directory (or the video
 * root given), but seeds, cache names and metadata use it exactly as written. Labels are
 * real|fake|0|1, case-insensitive; 0 = real, 1 = fake everywhere downstream.
 * Bad rows (empty path, unknown label, missing fields, duplicate path) are refused with
 * "file:line: reason". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FVC_LABEL_REAL = 0,
  FVC_LABEL_FAKE = 1,
} FvcLabel;

typedef struct {
  char *video_path;      /* as written in the CSV */
  char *resolved_path;   /* what to open */
  FvcLabel label;
  char *group;           /* NULL without a group column; an empty cell is a group of its own */
  guint line;            /* line of the row in the CSV */
  char **extra;          /* values of the extra columns, in fvc_video_index_get_extra_columns() order */
} FvcVideoEntry;

typedef struct _FvcVideoIndex FvcVideoIndex;

/* @video_root: directory for relative paths, or NULL for the index file's directory. */
FvcVideoIndex *fvc_video_index_load (const char *csv_path, const char *video_root, GError **error);
void fvc_video_index_free (FvcVideoIndex *index);

const char *fvc_video_index_get_path (const FvcVideoIndex *index);
guint fvc_video_index_get_n_videos (const FvcVideoIndex *index);
const FvcVideoEntry *fvc_video_index_get (const FvcVideoIndex *index, guint i);
/* By video_path as written; NULL when absent. */
const FvcVideoEntry *fvc_video_index_lookup (const FvcVideoIndex *index, const char *video_path);
gboolean fvc_video_index_has_groups (const FvcVideoIndex *index);
/* Names of the extra columns (NULL-terminated). */
const char *const *fvc_video_index_get_extra_columns (const FvcVideoIndex *index);
/* Value of extra column @name for @entry, or NULL when there is no such column. */
const char *fvc_video_index_get_extra (const FvcVideoIndex *index, const FvcVideoEntry *entry,
                                       const char *name);
/* Number of videos with @label. */
guint fvc_video_index_count_label (const FvcVideoIndex *index, FvcLabel label);

/* "real"/"fake"/"0"/"1" (any case, surrounding spaces ignored). */
gboolean fvc_label_parse (const char *text, FvcLabel *out);
const char *fvc_label_name (FvcLabel label);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcVideoIndex, fvc_video_index_free)

G_END_DECLS
