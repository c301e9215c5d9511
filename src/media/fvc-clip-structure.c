/* fvc-clip-structure.c — building and parsing the clip caps and the "fvc/clip" structure
 * (contract in fvc-clip-structure.h). The structure's fields are one table, read by the builder
 * and the parser alike. Not here: the clip file format (fvc-clip.c), the metas (fvc-provenance.c). */
#include "fvc-clip-structure.h"
#include "fvc-error.h"
#include "fvc-provenance.h"

#include <string.h>

/* ---- the caps ----------------------------------------------------------------------------- */

gsize
fvc_clip_shape_bytes (const FvcClipShape *shape)
{
  return (gsize) shape->frames * shape->height * shape->width * 3;
}

GstCaps *
fvc_clip_caps_new (const FvcClipShape *shape)
{
  g_return_val_if_fail (shape->frames <= G_MAXINT && shape->width <= G_MAXINT && shape->height <= G_MAXINT, NULL);
  return gst_caps_new_simple (FVC_CLIP_CAPS_NAME,
                              "frames", G_TYPE_INT, (int) shape->frames,
                              "width", G_TYPE_INT, (int) shape->width,
                              "height", G_TYPE_INT, (int) shape->height,
                              "format", G_TYPE_STRING, "RGB", NULL);
}

gboolean
fvc_clip_caps_parse (const GstCaps *caps, FvcClipShape *shape, GError **error)
{
  const GstStructure *s;
  int frames = 0, width = 0, height = 0;

  if (gst_caps_get_size (caps) != 1)
    goto bad_caps;
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_name (s, FVC_CLIP_CAPS_NAME) || g_strcmp0 (gst_structure_get_string (s, "format"), "RGB") != 0)
    goto bad_caps;
  if (!gst_structure_get_int (s, "frames", &frames) || !gst_structure_get_int (s, "width", &width) ||
      !gst_structure_get_int (s, "height", &height) || frames < 1 || width < 1 || height < 1)
    goto bad_caps;
  shape->frames = (guint) frames;
  shape->width = (guint) width;
  shape->height = (guint) height;
  return TRUE;

  /* ERRORS */
bad_caps:
  {
    g_autofree char *text = gst_caps_to_string (caps);
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "caps \"%s\" are not %s with format RGB and positive frames, "
                 "width and height", text, FVC_CLIP_CAPS_NAME);
    return FALSE;
  }
}

/* ---- the "fvc/clip" structure ------------------------------------------------------------- */

typedef struct {
  const char *name;
  FvcClipFields field;
  GType type;              /* G_TYPE_STRING (a char *), G_TYPE_INT (an int) or G_TYPE_UINT (a guint32) */
  gsize offset;            /* in FvcClipProvenance */
  gboolean when_set;       /* strings only: written only when not NULL (else as "") */
} FieldSpec;

#define AT(member) G_STRUCT_OFFSET (FvcClipProvenance, member)

/* The contract's order: the structure is built in this order. */
static const FieldSpec fields[] = {
  { "video-path", FVC_CLIP_FIELD_VIDEO_PATH, G_TYPE_STRING, AT (info.video_path), FALSE },
  { "label", FVC_CLIP_FIELD_LABEL, G_TYPE_INT, AT (info.label), FALSE },
  { "augmentation-idx", FVC_CLIP_FIELD_AUGMENTATION_IDX, G_TYPE_INT, AT (info.augmentation_idx), FALSE },
  { "seed", FVC_CLIP_FIELD_SEED, G_TYPE_UINT, AT (info.seed), FALSE },
  { "frame-indices", FVC_CLIP_FIELD_FRAME_INDICES, G_TYPE_STRING, AT (info.frame_indices), FALSE },
  { "pts-ns", FVC_CLIP_FIELD_PTS_NS, G_TYPE_STRING, AT (info.pts_ns), FALSE },
  { "config", FVC_CLIP_FIELD_CONFIG, G_TYPE_STRING, AT (info.config), TRUE },
  { "clip-file", FVC_CLIP_FIELD_CLIP_FILE, G_TYPE_STRING, AT (clip_file), TRUE },
};

#undef AT

#define FIELD_PTR(prov, f) ((guint8 *) (prov) + (f)->offset)

void
fvc_clip_provenance_clear (FvcClipProvenance *prov)
{
  fvc_clip_info_clear (&prov->info);
  g_clear_pointer (&prov->clip_file, g_free);
}

GstStructure *
fvc_clip_structure_new (const FvcClipProvenance *prov)
{
  GstStructure *s = gst_structure_new_empty (FVC_CLIP_STRUCTURE_NAME);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    const FieldSpec *f = &fields[i];
    const guint8 *p = FIELD_PTR (prov, f);

    if (f->type == G_TYPE_STRING) {
      const char *v = *(char *const *) p;
      if (v == NULL && f->when_set)
        continue;
      gst_structure_set (s, f->name, G_TYPE_STRING, v ? v : "", NULL);
    } else if (f->type == G_TYPE_INT) {
      gst_structure_set (s, f->name, G_TYPE_INT, *(const int *) p, NULL);
    } else {
      gst_structure_set (s, f->name, G_TYPE_UINT, (guint) *(const guint32 *) p, NULL);
    }
  }
  return s;
}

gboolean
fvc_clip_structure_parse (const GstStructure *structure, FvcClipFields required, FvcClipProvenance *prov,
                          GError **error)
{
  const FieldSpec *f = NULL;
  const GValue *v = NULL;

  memset (prov, 0, sizeof *prov);
  prov->info.label = -1;
  prov->info.augmentation_idx = -1;
  if (!gst_structure_has_name (structure, FVC_CLIP_STRUCTURE_NAME))
    goto wrong_name;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    guint8 *p;

    f = &fields[i];
    v = gst_structure_get_value (structure, f->name);
    if (v == NULL) {
      if (required & f->field)
        goto missing;
      continue;
    }
    if (G_VALUE_TYPE (v) != f->type)
      goto wrong_type;
    p = FIELD_PTR (prov, f);
    if (f->type == G_TYPE_STRING)
      *(char **) p = g_value_dup_string (v);
    else if (f->type == G_TYPE_INT)
      *(int *) p = g_value_get_int (v);
    else
      *(guint32 *) p = g_value_get_uint (v);
  }
  return TRUE;

  /* ERRORS */
wrong_name:
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "clip provenance is a \"%s\" structure, not \"%s\"",
               gst_structure_get_name (structure), FVC_CLIP_STRUCTURE_NAME);
  return FALSE;
missing:
  fvc_clip_provenance_clear (prov);
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "\"%s\" structure without \"%s\"", FVC_CLIP_STRUCTURE_NAME,
               f->name);
  return FALSE;
wrong_type:
  fvc_clip_provenance_clear (prov);
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "\"%s\" structure: \"%s\" is a %s, not a %s",
               FVC_CLIP_STRUCTURE_NAME, f->name, G_VALUE_TYPE_NAME (v), g_type_name (f->type));
  return FALSE;
}
