/* fvc-error.c — the FVC_ERROR quark. */
#include "fvc-error.h"

G_DEFINE_QUARK (fvc-error-quark, fvc_error)
