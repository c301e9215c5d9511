/* fvc-cli.c — log mirroring, progress display, option parsing and Ctrl-C handling for the
 * fvc-stream subcommands (see fvc-cli.h). */
#include "fvc-cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static FILE *log_file;
static gboolean log_quiet;
static GMutex log_lock;

gboolean
fvc_log_open_file (const char *path, GError **error)
{
  FILE *f = fopen (path, "a");
  if (f == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: cannot open log: %s", path,
                 g_strerror (errno));
    return FALSE;
  }
  g_mutex_lock (&log_lock);
  if (log_file)
    fclose (log_file);
  log_file = f;
  g_mutex_unlock (&log_lock);
  return TRUE;
}

void
fvc_log_close_file (void)
{
  g_mutex_lock (&log_lock);
  if (log_file)
    fclose (log_file);
  log_file = NULL;
  g_mutex_unlock (&log_lock);
}

void
fvc_log_set_quiet (gboolean quiet)
{
  log_quiet = quiet;
}

static void
log_line (gboolean warning, const char *fmt, va_list ap)
{
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%F %T");

  g_mutex_lock (&log_lock);
  if (warning || !log_quiet)
    fprintf (stderr, "%s%s\n", warning ? "warning: " : "", msg);
  if (log_file) {
    fprintf (log_file, "%s %s%s\n", stamp, warning ? "WARNING " : "", msg);
    fflush (log_file);
  }
  g_mutex_unlock (&log_lock);
}

void
fvc_log_info (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  log_line (FALSE, fmt, ap);
  va_end (ap);
}

void
fvc_log_warning (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  log_line (TRUE, fmt, ap);
  va_end (ap);
}

/* ---- progress ------------------------------------------------------------------------------ */

struct _FvcProgress {
  char *what;
  guint64 total;
  gboolean tty;
  gint64 start_us;
  gint64 last_draw_us;
  guint64 last_printed_done;
  gboolean drawn;
};

FvcProgress *
fvc_progress_new (const char *what, guint64 total)
{
  FvcProgress *p = g_new0 (FvcProgress, 1);
  p->what = g_strdup (what);
  p->total = total;
  p->tty = isatty (STDERR_FILENO) && g_getenv ("FVC_NO_PROGRESS_BAR") == NULL;
  p->start_us = g_get_monotonic_time ();
  return p;
}

static void
format_eta (char *buf, gsize len, double seconds)
{
  if (seconds < 0 || seconds > 360000)
    g_strlcpy (buf, "--:--", len);
  else if (seconds >= 3600)
    g_snprintf (buf, len, "%d:%02d:%02d", (int) seconds / 3600, ((int) seconds / 60) % 60, (int) seconds % 60);
  else
    g_snprintf (buf, len, "%02d:%02d", (int) seconds / 60, (int) seconds % 60);
}

void
fvc_progress_update (FvcProgress *p, guint64 done, const char *detail)
{
  gint64 now = g_get_monotonic_time ();
  double elapsed = (now - p->start_us) / 1e6;
  double frac = p->total ? (double) done / p->total : 0;
  char eta[32];

  format_eta (eta, sizeof eta, done > 0 ? elapsed * (p->total - done) / done : -1);
  if (p->tty) {
    const int width = 30;
    char bar[64];
    int filled;
    if (now - p->last_draw_us < 100000 && done < p->total)
      return;
    filled = (int) (frac * width);
    for (int i = 0; i < width; i++)
      bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    g_mutex_lock (&log_lock);
    fprintf (stderr, "\r\033[K%s [%s] %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " %3.0f%% eta %s %s",
             p->what, bar, done, p->total, 100 * frac, eta, detail ? detail : "");
    fflush (stderr);
    g_mutex_unlock (&log_lock);
    p->drawn = TRUE;
  } else {
    guint64 step = MAX (p->total / 20, 1);
    if (done < p->total && done < p->last_printed_done + step && now - p->last_draw_us < 10 * G_USEC_PER_SEC)
      return;
    if (done == p->last_printed_done && done != 0)
      return;
    g_mutex_lock (&log_lock);
    fprintf (stderr, "%s: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " (%.0f%%, %.1f s, eta %s)%s%s\n", p->what,
             done, p->total, 100 * frac, elapsed, eta, detail ? " " : "", detail ? detail : "");
    g_mutex_unlock (&log_lock);
    p->last_printed_done = done;
  }
  p->last_draw_us = now;
}

void
fvc_progress_finish (FvcProgress *p)
{
  if (p == NULL)
    return;
  if (p->tty && p->drawn) {
    g_mutex_lock (&log_lock);
    fputs ("\r\033[K", stderr);
    fflush (stderr);
    g_mutex_unlock (&log_lock);
  }
  g_free (p->what);
  g_free (p);
}

/* ---- options and interruption -------------------------------------------------------------- */

gboolean
fvc_cli_parse (GOptionContext *ctx, int *argc, char ***argv, GError **error)
{
  return g_option_context_parse (ctx, argc, argv, error);
}

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  if (interrupted) {
    signal (sig, SIG_DFL);
    raise (sig);
  }
  interrupted = 1;
}

void
fvc_cli_install_interrupt_handler (void)
{
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

gboolean
fvc_cli_interrupted (void)
{
  return interrupted != 0;
}
