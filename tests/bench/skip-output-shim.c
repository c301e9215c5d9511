/* skip-output-shim.c — an experiment of the extraction benchmark, not part of fvc-stream.
 *
 * How much would fvc-stream gain from a decoder that never outputs the pictures it decodes only
 * as references? GStreamer 1.22 offers no way to ask avdec_h264 for that (it clears a frame's
 * decode-only flag when libav allocates the picture), so this library, preloaded
 * (LD_PRELOAD) into fvc-stream, interposes gst_video_decoder_finish_frame and flags every frame
 * whose PTS is not one of FVC_SKIP_OUTPUT_PTS (comma-separated nanoseconds: the targets' PTS
 * from `fvc-stream probe --packets`) decode-only. The base class then drops it before it copies
 * the picture out of libav's reference and before anything downstream sees it. The decoding
 * itself is untouched, so the clips must come out byte-identical (bench-extract.py checks). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <gst/video/video.h>

typedef GstFlowReturn (*FinishFrameFunc) (GstVideoDecoder *decoder, GstVideoCodecFrame *frame);

#define MAX_TARGETS 256

static FinishFrameFunc real_finish_frame;
static GstClockTime targets[MAX_TARGETS];
static int n_targets;
static GOnce setup_once = G_ONCE_INIT;

static gpointer
setup (gpointer unused)
{
  void *lib = dlopen ("libgstvideo-1.0.so.0", RTLD_NOW | RTLD_NOLOAD);
  const char *s = g_getenv ("FVC_SKIP_OUTPUT_PTS");

  real_finish_frame = lib != NULL ? (FinishFrameFunc) dlsym (lib, "gst_video_decoder_finish_frame") : NULL;
  if (real_finish_frame == NULL || real_finish_frame == gst_video_decoder_finish_frame)
    g_error ("skip-output-shim: libgstvideo's gst_video_decoder_finish_frame not found");
  while (s != NULL && *s != '\0' && n_targets < MAX_TARGETS) {
    char *end;
    targets[n_targets++] = g_ascii_strtoull (s, &end, 10);
    s = *end == ',' ? end + 1 : end;
  }
  if (n_targets == 0)
    g_error ("skip-output-shim: FVC_SKIP_OUTPUT_PTS names no target");
  return NULL;
}

GstFlowReturn
gst_video_decoder_finish_frame (GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  gboolean target = FALSE;

  g_once (&setup_once, setup, NULL);
  for (int i = 0; i < n_targets && !target; i++)
    target = frame->pts == targets[i];
  if (!target)
    GST_VIDEO_CODEC_FRAME_SET_DECODE_ONLY (frame);
  return real_finish_frame (decoder, frame);
}
