/* help: the `?` overlay -- the commands that apply to the current screen (its own first,
 * then the global ones) with their keys as currently bound and their help.  Typing filters
 * the list (by name, key or help text); Up/Down select; Enter runs the selected command
 * (commands that take an argument open the `:` line pre-filled); Esc or F1 closes. */
#ifndef YOLOPORT_TUI_HELP_H
#define YOLOPORT_TUI_HELP_H

#include <stdbool.h>
#include <wchar.h>
#include <curses.h>

#include "tui/app.h"

Help *help_new(void);
void help_free(Help *h);
void help_open(Help *h, App *app, Scope scope);
bool help_active(const Help *h);
void help_close(Help *h);
int help_key(Help *h, App *app, wint_t ch, bool is_key);
int help_mouse(Help *h, App *app, const MEVENT *ev);
void help_draw(Help *h, App *app, WINDOW *win);
/* Rows currently listed (tests): count, and the command at row i. */
int help_count(const Help *h);
Command help_command_at(const Help *h, int i);

#endif
