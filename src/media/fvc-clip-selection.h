/* fvc-clip-selection.h — which clips of a cache a training or evaluation pass replays, and in
 * which order in each epoch (what fvcclipsrc pushes; docs/elements.md, "fvcclipsrc").
 *
 * Videos: the lines of a videos file (one video_path a line, as written in the index; blank
 * lines, '#' comments and a first "video_path" header line skipped), or the rows of a fold
 * manifest (CSV with the columns video_path and fold; split train = the videos whose fold is not
 * `fold`, val = those whose fold is; `fold` beyond the manifest's folds is an error), or, with
 * neither, every video of the cache sorted by path (strcmp). A video listed twice counts once.
 * Clips: the cache rows of those videos in video-list order, each video's by augmentation index
 * (-1, the base clip, first); `include` keeps the base clip, the augmented ones or all. Listed
 * videos without clips are skipped and counted; a selection may be empty (a replay of it is an
 * error: fvc_clip_selection_check_not_empty).
 * Epoch order: with shuffle, epoch e replays the clips in the permutation
 * fvc_rng_shuffle_u32 (seed, "fvcclipsrc/fold=<fold>/epoch=<e>") of 0..n-1, a function of
 * (seed, fold, epoch) only; without, in the order above.
 */
#pragma once

#include "fvc-cache.h"

G_BEGIN_DECLS

typedef enum {
  FVC_CLIP_SPLIT_TRAIN,      /* videos not in the fold */
  FVC_CLIP_SPLIT_VAL,        /* videos in the fold */
} FvcClipSplit;

typedef enum {
  FVC_CLIP_INCLUDE_BASE,     /* augmentation index -1 only */
  FVC_CLIP_INCLUDE_AUGMENTED,
  FVC_CLIP_INCLUDE_ALL,
} FvcClipInclude;

typedef struct {
  const char *videos_file;   /* NULL: none */
  const char *manifest;      /* NULL: none; not with videos_file */
  guint fold;                /* with manifest: the validation fold */
  FvcClipSplit split;        /* with manifest */
  FvcClipInclude include;
} FvcClipSelectionSpec;

typedef struct {
  char *path;                /* the clip file, fvc_cache_clip_path() */
  char *video;               /* original_video, as written in the index */
  int label;
  int augmentation_idx;
} FvcSelectedClip;

typedef struct _FvcClipSelection FvcClipSelection;

/* Reads the videos file or manifest of @spec and selects @cache's clips: fails on an unreadable or
 * malformed list, not on an empty selection. */
FvcClipSelection *fvc_clip_selection_new (const FvcCache *cache, const FvcClipSelectionSpec *spec, GError **error);
void fvc_clip_selection_free (FvcClipSelection *selection);
/* FVC_ERROR_INVALID, naming the cache, the list and `include`, when no clip was selected. */
gboolean fvc_clip_selection_check_not_empty (const FvcClipSelection *selection, GError **error);
/* Clips per epoch. */
guint fvc_clip_selection_get_n_clips (const FvcClipSelection *selection);
/* @i < n_clips, in the unshuffled order. (transfer none) */
const FvcSelectedClip *fvc_clip_selection_get_clip (const FvcClipSelection *selection, guint i);
/* Videos listed (duplicates included), and how many of them have no clip in the cache; the
 * first of those, or NULL. */
guint fvc_clip_selection_get_n_videos (const FvcClipSelection *selection);
guint fvc_clip_selection_get_n_missing (const FvcClipSelection *selection);
const char *fvc_clip_selection_get_first_missing (const FvcClipSelection *selection);

/* Fills @order with the clip indices of epoch @epoch: 0..n-1, permuted when @shuffle. */
void fvc_clip_selection_epoch_order (guint32 seed, guint fold, guint epoch, gboolean shuffle, guint32 *order,
                                     guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcClipSelection, fvc_clip_selection_free)

G_END_DECLS
