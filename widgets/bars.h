/* bars: one-line widgets -- the tabs bar, the status line, the clickable function bar,
 * progress bars and horizontal separators.  Clickable bars remember where each item was
 * drawn so a mouse click maps back to it. */
#ifndef YOLOPORT_WIDGETS_BARS_H
#define YOLOPORT_WIDGETS_BARS_H

#include <stdbool.h>
#include <curses.h>

#include "widgets/theme.h"

#define BAR_MAX_ITEMS 16

typedef struct {
    const char *key;   /* "F1" or "?" */
    const char *label; /* "Help" */
    int id;            /* the owner's id (a command or a screen) */
    const char *badge; /* optional short text after the label: "2" running jobs */
} BarItem;

typedef struct {
    BarItem items[BAR_MAX_ITEMS];
    int n;
    int x0[BAR_MAX_ITEMS], x1[BAR_MAX_ITEMS]; /* drawn spans [x0, x1) */
} ClickBar;

void clickbar_clear(ClickBar *b);
void clickbar_add(ClickBar *b, const char *key, const char *label, int id);
/* Tabs: items drawn as " key label ", the active one highlighted. */
void tabs_draw(ClickBar *b, WINDOW *win, int y, int x, int w, int active_id, const Theme *th);
/* Function bar: "key" in one style then "label" in another, htop-like; labels shrink to
 * fit narrow terminals. */
void funcbar_draw(ClickBar *b, WINDOW *win, int y, int x, int w, const Theme *th);
/* The id drawn at column xoff, -1 for none. */
int clickbar_hit(const ClickBar *b, int xoff);

/* Status line: message on the left (in slot), right-aligned info. */
void status_draw(WINDOW *win, int y, int x, int w, const char *msg, ThemeSlot slot, const char *right, const Theme *th);

/* Progress bar of width w: fraction in [0,1] (negative = unknown: a moving block), with an
 * optional label centred over it. */
void progress_draw(WINDOW *win, int y, int x, int w, double fraction, const char *label, const Theme *th, int tick);

/* A horizontal rule with an optional title at the left: "── Title ───". */
void rule_draw(WINDOW *win, int y, int x, int w, const char *title, bool focused, const Theme *th);

#endif
