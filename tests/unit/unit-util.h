/* unit-util.h — helpers shared by the Check unit tests of libfvc: a scratch directory per test,
 * fixture files written at test time, error assertions, and the standard Check main().
 * Test code only; nothing here is part of libfvc. */
#pragma once

#include <check.h>
#include <glib.h>
#include <string.h>

#include "fvc-error.h"

/* The scratch directory of the running test (created by fvc_test_tmpdir_setup, a checked
 * fixture, removed with everything in it by fvc_test_tmpdir_teardown). */
extern char *fvc_test_dir;
void fvc_test_tmpdir_setup (void);
void fvc_test_tmpdir_teardown (void);

/* Writes @len bytes (-1: a NUL-terminated string) to fvc_test_dir/@name and returns the full
 * path. (transfer full) */
char *fvc_test_write_file (const char *name, const char *contents, gssize len);
/* Names of the entries of @dir, sorted, joined with "|". (transfer full) */
char *fvc_test_list_dir (const char *dir);
/* Removes @path and, for a directory, everything below it. */
void fvc_test_rmtree (const char *path);

/* Runs @suite and returns the process exit status (0 when every test passed). */
int fvc_test_run_suite (Suite *suite);

/* @err is an FVC_ERROR with @code whose message contains @needle. */
#define FVC_ASSERT_ERROR(err, ecode, needle)                                                      \
  do {                                                                                           \
    const GError *e_ = (err);                                                                    \
    ck_assert_msg (e_ != NULL, "expected an error with code %d, got none", (int) (ecode));       \
    ck_assert_msg (e_->domain == FVC_ERROR && e_->code == (int) (ecode),                         \
                   "expected FVC_ERROR code %d, got %s code %d: %s", (int) (ecode),              \
                   g_quark_to_string (e_->domain), e_->code, e_->message);                      \
    ck_assert_msg (strstr (e_->message, (needle)) != NULL,                                      \
                   "message \"%s\" does not contain \"%s\"", e_->message, (needle));            \
    ck_assert_msg (strchr (e_->message, '\n') == NULL, "message \"%s\" spans lines", e_->message); \
  } while (0)

/* @err's message starts with "@path:@line: " (the file:line: reason convention). */
#define FVC_ASSERT_ERROR_AT(err, path, line)                                                     \
  do {                                                                                           \
    g_autofree char *prefix_ = g_strdup_printf ("%s:%u: ", (path), (guint) (line));            \
    ck_assert_msg ((err) != NULL, "expected an error at %s", prefix_);                          \
    ck_assert_msg (g_str_has_prefix ((err)->message, prefix_),                                  \
                   "message \"%s\" does not start with \"%s\"", (err)->message, prefix_);       \
  } while (0)
