/* form: a column of labelled fields -- bool toggles, numbers and text with validation,
 * choice lists -- each of which may be disabled with a reason and may carry a note (the
 * effective value, a warning) that the owner sets after validating the whole form.
 *
 * Keys: the owner passes keys to form_key while the form has focus.  Space/Enter toggle a
 * bool or cycle a choice (Backspace/'-' cycles back); Enter (or typing) edits a number or
 * text; while editing, Enter commits, Esc cancels.  form_key returns what happened
 * (FORM_CHANGED, with form->changed = the field index).
 *
 * Validation.  The form knows field kinds, not what the values mean.  An owner that does
 * (the workbench's Export screen, for one) sets form->check: it sees every change before it
 * is committed, accepts it (and may apply it and re-validate the whole form there, once per
 * change) or refuses it with a reason.  Without a check the form checks a value's syntax by
 * its kind (form_check_value).
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
    char key[40];     /* the field's name, as the owner knows it */
    char label[64];   /* shown; defaults to key */
    FieldKind kind;
    char value[FORM_VALUE_MAX]; /* typed value as text ("True", "12", "", "text") */
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

typedef struct Form Form;

/* The owner's check of a change (Enter on an edit, a bool toggled, a choice cycled), called
 * with the field's value already set to the new text: return 0 to accept it, or -1 with a
 * one-line reason in msg (msglen bytes) to refuse it -- the value goes back, an edit stays
 * open showing the reason.  The owner must not add or remove fields here. */
typedef int (*FormCheckFn)(Form *f, int field, const char *value, char *msg, size_t msglen, void *user);

struct Form {
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
    FormCheckFn check;    /* the owner's validation; NULL: form_check_value */
    void *check_user;
};

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
/* The check a form without an owner's check applies: the value's syntax for the field's kind
 * (FIELD_INT one whole number, FIELD_FLOAT a number, FIELD_CHOICE one of the choices; empty
 * only when allow_empty, or for text).  NULL when fine, else a static message. */
const char *form_check_value(const FormField *fd, const char *value);

#endif
