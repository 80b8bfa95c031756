/* dialog: a modal box centred in the screen -- a message or long text (scrollable, wrapped
 * by display width) with buttons.  The owner keeps the Dialog, feeds it keys and mouse
 * clicks while it is open and reads the result when dialog_key returns DIALOG_DONE.
 * The box is recomputed from the screen size on every draw, so resizing is safe. */
#ifndef YOLOPORT_WIDGETS_DIALOG_H
#define YOLOPORT_WIDGETS_DIALOG_H

#include <stdbool.h>
#include <wchar.h>
#include <curses.h>

#include "widgets/theme.h"

#define DIALOG_MAX_BUTTONS 4

typedef enum { DIALOG_OPEN, DIALOG_DONE } DialogState;

typedef struct {
    bool open;
    char title[128];
    char *text;        /* owned copy, may hold newlines */
    const char *buttons[DIALOG_MAX_BUTTONS];
    int n_buttons, button, result; /* result: button index, -1 = cancelled */
    int scroll;
    int purpose;       /* the owner's tag: what the answer is for */
    int tag;           /* owner data (a job id, a row) */
    int bx, by, bw, bh; /* last drawn box (for clicks) */
    int lines;         /* wrapped line count at the last draw */
} Dialog;

/* Open with a copy of text; buttons NULL-terminated (NULL = just "OK"). */
void dialog_open(Dialog *d, const char *title, const char *text, const char *const *buttons, int purpose, int tag);
void dialog_close(Dialog *d);
/* Keys: Left/Right/Tab pick a button; Enter chooses; Esc/q cancels; y/n answer two-button
 * dialogs; j/k/PgUp/PgDn scroll.  Returns DIALOG_DONE when d->result is set. */
DialogState dialog_key(Dialog *d, wint_t ch, bool is_key);
DialogState dialog_click(Dialog *d, int y, int x);
void dialog_draw(Dialog *d, WINDOW *win, int scr_h, int scr_w, const Theme *th);

/* Word-wrap text to width w (display columns) with textwidth_wrap (the command line's
 * wrapping: spaces, between CJK glyphs, never before closing punctuation): calls
 * emit(line, len, ctx) per line and returns the count (0 for empty text; a trailing
 * newline adds no empty line).  Used by the dialog and by the panes' detail views. */
int text_wrap(const char *text, int w, void (*emit)(const char *line, int len, void *ctx), void *ctx);

#endif
