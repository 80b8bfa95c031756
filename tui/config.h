/* config: the workbench's configuration file (read-only) and its separate state file.
 *
 * $XDG_CONFIG_HOME/yoloport/config (default ~/.config/yoloport/config), lines:
 *   theme = dark | light | high-contrast | mono | /path/to/file.theme
 *   refresh = 30            maximum frames per second for job-driven redraws (1..240)
 *   mouse = on | off
 *   export = imgsz=320 half=True ...   default export arguments for the Export form
 *   host.NAME = user@box    a build host for host=NAME (engine/remote/remote.h), with
 *   host.NAME.port = 2222   .ssh_config = FILE, .identity = FILE, .workdir = DIR, .path = DIRS
 *   bind SCOPE KEY COMMAND  /  unbind SCOPE KEY   (see keymap.h; SCOPE * = everywhere)
 *   # comments
 * The workbench never writes it.  UI state goes to $XDG_STATE_HOME/yoloport/state
 * (default ~/.local/state/yoloport/state): `model = PATH`, `args = key=value ...`, `screen = N`.
 */
#ifndef YOLOPORT_TUI_CONFIG_H
#define YOLOPORT_TUI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/app.h"

/* Fill app->config_path, state_path and log_path from the environment. */
void config_paths(App *app);
/* Read the config file into app (theme unless one was given on the command line, refresh,
 * mouse, default args, key bindings).  Missing file: 0.  Errors: -1 + the first problem
 * ("config:12: unknown command 'foo'") in err; every good line still applies. */
int config_load(App *app, bool theme_given, char *err, size_t errlen);
/* Only the host.NAME lines of the config file, for the command line (`export host=NAME`).
 * Missing file: 0 and no hosts.  -1 + the first problem ("config:3: ..."). */
int config_load_hosts(RemoteHosts *hosts, char *err, size_t errlen);
/* Apply config text (the same rules; used by config_load and the tests). */
int config_apply_text(App *app, const char *text, bool theme_given, char *err, size_t errlen);

typedef struct {
    char model[4096];
    char args[1024];
    int screen;
} UiState;

/* Read / write the state file.  Writing is atomic (temporary file + rename). */
void state_load(const App *app, UiState *st);
int state_save(const App *app, const UiState *st);

/* Make the directories above path (mode 0700).  0 or -1. */
int config_mkdirs_for(const char *path);

#endif
