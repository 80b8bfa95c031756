/* form: a column of labelled fields -- bool toggles, numbers and text with validation,
 * choice lists -- each of which may be disabled with a reason and may carry a note (the
 * effective value, a warning) that the owner sets after validating the whole form.
 *
 * Keys: the owner passes keys to form_key while the form has focus.  Space/Enter toggle a
 * bool or cycle a choice (Backspace/'-' cycles back); Enter (or typing) edits a number or
 * text; while editing, Enter commits, Esc cancels.  form_key returns what happened so the
 * owner can re-validate (FORM_CHANGED, with form->changed = the field index).
 */
#ifndef YOLOPORT_WIDGETS_FORM_H
#define YOLOPORT_WIDGETS_FORM_H

#include <stdbool.h>
#include <wchar.h>
#include <curses.h>

#include "widgets/list.h"
#include "widgets/theme.h"

typedef enum { FIELD_BOOL, FIELD_INT, FIELD_FLOAT, FIELD_TEXT, FIELD_CHOICE, FIELD_HEADING } FieldKind;

#define FORM_VALUE_MAX 256

typedef struct {
    char key[40];     /* the argument name: "imgsz" */
    char label[64];   /* shown; defaults to key */
    FieldKind kind;
    char value[FORM_VALUE_MAX]; /* typed value as text ("True", "640", "", "cpu") */
    const char *const *choices; /* FIELD_CHOICE */
    int n_choices;
    bool allow_empty;           /* numbers: "" means None/auto */
    bool disabled;
    char reason[200];           /* why disabled */
    char note[256];             /* effective value or warning, shown after the value */
    ThemeSlot note_slot;        /* SLOT_DIM for effective values, SLOT_WARNING, SLOT_ERROR */
    char help[200];             /* one line shown at the bottom for the selected field */
    bool modified;              /* differs from its default (shown with a mark) */
} FormField;

typedef enum { FORM_IGNORED = 0, FORM_HANDLED, FORM_CHANGED, FORM_EDIT_START, FORM_EDIT_END } FormResult;

typedef struct {
    FormField *fields;
    int n_fields, cap_fields;
    ListState list;
    bool editing;
    wchar_t edit[FORM_VALUE_MAX];
    int edit_len, edit_cur;
    char error[200];   /* last validation error of an edit (shown at the bottom) */
    int changed;       /* field changed by the last FORM_CHANGED */
    int label_w;
    int caret_y, caret_x; /* where the caret was drawn while editing (-1 none) */
} Form;

void form_init(Form *f);
void form_free(Form *f);
void form_clear(Form *f);
FormField *form_add(Form *f, const char *key, FieldKind kind, const char *value);
FormField *form_field(Form *f, const char *key); /* NULL when absent */
FormField *form_selected(Form *f);
/* Feed one key (ch is a character when is_key is false, a KEY_* code otherwise). */
FormResult form_key(Form *f, wint_t ch, bool is_key);
/* Select the field at window line `line` (relative to the form's y); true when selected. */
bool form_click(Form *f, int line);
void form_draw(Form *f, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused);
/* Syntax check of a value for a field kind: NULL when fine, else a message. */
const char *form_check_value(const FormField *fd, const char *value);

#endif
