/* test-gpu-nodevice.c — where no CUDA device or driver exists (CI, this project's build
 * machines), asking for device "cuda" fails cleanly: a GError (FVC_ERROR_DEVICE) naming the CUDA
 * call and its status, from the backend, a model and a trainer; nothing aborts. Where a device
 * exists this test has nothing to check and exits 77. */
#include "fvc-backend-cuda.h"
#include "fvc-error.h"
#include "fvc-model.h"
#include "fvc-trainer.h"

#include <stdio.h>
#include <string.h>

static int failures;

static void
expect_device_error (const char *what, gboolean ok, GError *error)
{
  if (ok || error == NULL || !g_error_matches (error, FVC_ERROR, FVC_ERROR_DEVICE) ||
      strstr (error->message, "cuda") == NULL) {
    printf ("FAIL %s: %s\n", what, ok ? "succeeded without a device" : error ? error->message : "no error");
    failures++;
  } else {
    printf ("ok   %s: %s\n", what, error->message);
  }
}

int
main (void)
{
  g_autofree char *reason = NULL;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  FvcBackend *be;
  FvcModel *m;
  FvcTrainer *t;
  FvcModelConfig mc = { 6, 32, 32, 2, TRUE, FALSE, FVC_DEVICE_CUDA, FVC_PRECISION_BF16 };
  FvcTrainerConfig tc;

  if (fvc_cuda_device_count (&reason) > 0) {
    printf ("test-gpu-nodevice: SKIP: a CUDA device is present (this test checks the failure without one)\n");
    return 77;
  }
  printf ("no device: %s\n", reason);
  if (!fvc_backend_available (FVC_DEVICE_CUDA)) {
    printf ("FAIL this build has the CUDA backend but does not offer it\n");
    return 1;
  }
  be = fvc_backend_new (FVC_DEVICE_CUDA, &e1);
  expect_device_error ("fvc_backend_new (cuda)", be != NULL, e1);
  m = fvc_model_new (fvc_model_info_lookup ("naive_cnn"), &mc, &e2);
  expect_device_error ("fvc_model_new (naive_cnn, cuda, bf16)", m != NULL, e2);
  fvc_trainer_config_init (&tc);
  tc.model = "logistic_regression";
  tc.device = FVC_DEVICE_CUDA;
  tc.frames = 6;
  tc.height = tc.width = 32;
  t = fvc_trainer_new (&tc, &e3);
  expect_device_error ("fvc_trainer_new (logistic_regression, cuda)", t != NULL, e3);
  printf ("test-gpu-nodevice: %d failures\n", failures);
  return failures ? 1 : 0;
}
