/* fvc-cli.h — what every fvc-stream subcommand shares: the command table entry type, the log
 * (terminal + log file), progress display (a bar on a terminal, plain lines otherwise) and
 * Ctrl-C handling. Subcommands orchestrate; the work itself lives in libfvc and the elements. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*FvcCommandFunc) (int argc, char **argv, GError **error);

typedef struct {
  const char *name;
  const char *summary;
  FvcCommandFunc run;
} FvcCommand;

/* One per subcommand, fvc-cmd-<name>.c. argv[0] is "fvc-stream <name>". */
gboolean fvc_cmd_synth (int argc, char **argv, GError **error);
gboolean fvc_cmd_augment (int argc, char **argv, GError **error);
gboolean fvc_cmd_probe (int argc, char **argv, GError **error);
gboolean fvc_cmd_run (int argc, char **argv, GError **error);
gboolean fvc_cmd_train (int argc, char **argv, GError **error);
gboolean fvc_cmd_eval (int argc, char **argv, GError **error);
gboolean fvc_cmd_clean (int argc, char **argv, GError **error);

/* Parses the options of a subcommand; on --help prints and exits 0 (the only exit outside main). */
gboolean fvc_cli_parse (GOptionContext *ctx, int *argc, char ***argv, GError **error);

/* ---- log --------------------------------------------------------------------------------- */
/* Mirrors every later fvc_log_*() line into @path (appending). */
gboolean fvc_log_open_file (const char *path, GError **error);
void fvc_log_close_file (void);
void fvc_log_info (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
void fvc_log_warning (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
/* Quiet mode: info lines go to the log file only. */
void fvc_log_set_quiet (gboolean quiet);

/* ---- progress ------------------------------------------------------------------------------ */
typedef struct _FvcProgress FvcProgress;
FvcProgress *fvc_progress_new (const char *what, guint64 total);
/* Redraws the bar (terminal, at most 10 times a second) or prints a line (otherwise, at most
 * every 5 % or 10 s). */
void fvc_progress_update (FvcProgress *p, guint64 done, const char *detail);
void fvc_progress_finish (FvcProgress *p);

/* ---- interruption -------------------------------------------------------------------------- */
/* Installs SIGINT/SIGTERM handlers that set a flag; a second Ctrl-C kills at once. */
void fvc_cli_install_interrupt_handler (void);
gboolean fvc_cli_interrupted (void);

G_END_DECLS
