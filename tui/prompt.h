/* prompt: the `:` command line and the `/` search line, with GNU readline embedded in
 * curses the way tig does it: readline's rl_getc_function reads from a queue the UI loop
 * fills with the keys it got from curses, and its rl_redisplay_function draws nothing
 * itself -- prompt_draw() paints rl_line_buffer into the status row on the next frame.
 * readline never touches the terminal (its prep/deprep hooks are no-ops, its streams are
 * /dev/null), so the UI loop keeps running (jobs stream) while the user types.
 *
 * Completion (Tab): command names; then per command: export keys (`imgsz=`), values of
 * `format=` and of boolean keys, theme names, screen names, and file paths (readline's own).
 * History: Up/Down (C-p/C-n), kept for the session.
 */
#ifndef YOLOPORT_TUI_PROMPT_H
#define YOLOPORT_TUI_PROMPT_H

#include <stdbool.h>
#include <wchar.h>
#include <curses.h>

#include "tui/app.h"

typedef enum { PROMPT_COMMAND, PROMPT_SEARCH } PromptKind;

Prompt *prompt_new(App *app);
void prompt_free(Prompt *p);
/* Start editing with an optional initial text. */
void prompt_begin(Prompt *p, PromptKind kind, const char *initial);
bool prompt_active(const Prompt *p);
PromptKind prompt_kind(const Prompt *p);
/* Feed one key.  When the line is accepted or cancelled the prompt ends and the line is
 * run (a command through app_run_command, a search through the pane's search hook).
 * Returns reaction flags. */
int prompt_key(Prompt *p, wint_t ch, bool is_key);
/* Completion candidates listed by the last Tab ("" when none), for the row under the line. */
const char *prompt_matches(const Prompt *p);
/* Draw the line into row y (full width); leaves the cursor where the caret is. */
void prompt_draw(Prompt *p, WINDOW *win, int y, int w);
/* The completion candidates for a whole line (tests): up to max strings written into out
 * (heap copies; caller frees each).  Returns the count. */
int prompt_complete_line(Prompt *p, const char *line, char **out, int max);

#endif
