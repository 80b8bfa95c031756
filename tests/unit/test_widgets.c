/* Widget tests: display-width text helpers (engine/core/textwidth, which the widgets draw
 * by: CJK, emoji, undrawable characters; the Chinese matrix drawn as measured), the
 * table's alignment with CJK cells (as text and as drawn curses cells), the tree with
 * thousands of nodes, form validation, the log view ring, themes and word wrap. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/matrix/matrix.h"
#include "tests/check.h"
#include "widgets/bars.h"
#include "widgets/dialog.h"
#include "widgets/form.h"
#include "widgets/list.h"
#include "widgets/logview.h"
#include "widgets/table.h"
#include "widgets/text.h"
#include "widgets/theme.h"
#include "widgets/tree.h"

static void test_text_width(void)
{
    EXPECT_EQ_INT(textwidth_str("abc"), 3);
    EXPECT_EQ_INT(textwidth_str("性能"), 4);          /* CJK: two columns each */
    EXPECT_EQ_INT(textwidth_str("ok ✅"), 5);         /* emoji: two columns */
    EXPECT_EQ_INT(textwidth_str("a\x01" "b"), 3);     /* a control char shows as one '?' */
    EXPECT_EQ_INT(textwidth_str("\xff\xfe"), 2);      /* invalid bytes: one '?' each */
    EXPECT_EQ_INT(textwidth_str(""), 0);
    EXPECT_EQ_INT(textwidth_str(NULL), 0);
}

static void test_text_cut_never_splits_wide(void)
{
    int w;
    size_t b = textwidth_cut("性能好", 3, &w);  /* 3 columns: only one glyph fits */
    EXPECT_EQ_INT(b, 3);
    EXPECT_EQ_INT(w, 2);
    b = textwidth_cut("a✅b", 2, &w);
    EXPECT_EQ_INT(b, 1);
    EXPECT_EQ_INT(w, 1);
    int pad;
    size_t off = textwidth_skip("性能", 1, &pad); /* scrolling 1 column into a wide glyph */
    EXPECT_EQ_INT(off, 3);
    EXPECT_EQ_INT(pad, 1);
}

static void test_text_fit(void)
{
    char out[64];
    EXPECT_EQ_STR(textwidth_fit(out, sizeof out, "ab", 5, -1, "~"), "ab   ");
    EXPECT_EQ_STR(textwidth_fit(out, sizeof out, "ab", 5, 1, "~"), "   ab");
    EXPECT_EQ_STR(textwidth_fit(out, sizeof out, "abcdef", 4, -1, "~"), "abc~");
    /* a wide glyph that does not fit is replaced by padding: the width stays exact */
    textwidth_fit(out, sizeof out, "性能好", 5, -1, "~");
    EXPECT_EQ_INT(textwidth_str(out), 5);
    EXPECT_EQ_STR(out, "性能~");
    textwidth_fit(out, sizeof out, "性能好", 4, -1, NULL);
    EXPECT_EQ_STR(out, "性能");
    char buf[32];
    EXPECT_EQ_STR(str_thousands(buf, sizeof buf, 3157200), "3,157,200");
    EXPECT_EQ_STR(str_thousands(buf, sizeof buf, -1234), "-1,234");
    EXPECT_EQ_STR(str_bytes(buf, sizeof buf, 12), "12 B");
}

/* ---- table ---------------------------------------------------------------------------- */

static const char *const cjk_rows[][3] = {
    {"ONNX", "跨框架通用", "12.2"},
    {"TensorRT", "NVIDIA 专用", "3.1"},
    {"NCNN", "ARM mobile", "100"},
    {"模型", "✅ ok", "7"},
};

static void cjk_cell(void *ctx, int row, int col, TableCell *c)
{
    (void)ctx;
    snprintf(c->buf, c->len, "%s", cjk_rows[row][col]);
}

static void test_table_cjk_alignment_text(void)
{
    Table t;
    table_init(&t, cjk_cell, NULL);
    table_add_column(&t, "option", 0, -1);
    table_add_column(&t, "兼容性", 0, -1);
    table_add_column(&t, "MB", 0, 1);
    t.cols[2].numeric = true;
    table_set_rows(&t, 4);
    char line[512];
    int bar1 = -1, bar2 = -1;
    for (int d = -1; d < 4; d++) {
        table_render_row(&t, d, 80, line, sizeof line);
        /* the column separators sit at the same display column in every row */
        char *p1 = strchr(line, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
        EXPECT(p1 && p2);
        if (!p1 || !p2) break;
        char pre[512];
        snprintf(pre, sizeof pre, "%.*s", (int)(p1 - line), line);
        int c1 = textwidth_str(pre);
        snprintf(pre, sizeof pre, "%.*s", (int)(p2 - line), line);
        int c2 = textwidth_str(pre);
        if (bar1 < 0) bar1 = c1, bar2 = c2;
        EXPECT_EQ_INT(c1, bar1);
        EXPECT_EQ_INT(c2, bar2);
        EXPECT_EQ_INT(textwidth_str(line), bar2 + 1 + t.widths[2]);
    }
    /* numeric sort, descending first */
    table_sort(&t, 2);
    EXPECT_EQ_INT(table_row_at_display(&t, 0), 2); /* 100 */
    EXPECT_EQ_INT(table_row_at_display(&t, 3), 1); /* 3.1 */
    table_sort(&t, 2);
    EXPECT_EQ_INT(table_row_at_display(&t, 0), 1);
    table_free(&t);
}

/* Draw the same table into a real curses window and read the cells back. */
static void test_table_cjk_alignment_drawn(void)
{
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *s = newterm("xterm-256color", out, in);
    if (!s) {
        SKIP("no xterm-256color terminfo");
        fclose(out);
        fclose(in);
        return;
    }
    set_term(s);
    WINDOW *w = newwin(10, 60, 0, 0);
    Theme th;
    memset(&th, 0, sizeof th);
    theme_glyphs(&th, false);
    theme_load(&th, NULL, "dark", COLOR_MODE_MONO, NULL, 0);
    Table t;
    table_init(&t, cjk_cell, NULL);
    table_add_column(&t, "option", 0, -1);
    table_add_column(&t, "兼容性", 0, -1);
    table_add_column(&t, "MB", 0, 1);
    table_set_rows(&t, 4);
    table_draw(&t, w, 0, 0, 6, 60, &th, true);
    /* the third column's first character: same x in every row */
    int x3 = t.widths[0] + 1 + t.widths[1] + 1;
    for (int r = 1; r <= 4; r++) {
        cchar_t cc;
        wchar_t wch[8];
        attr_t a;
        short pair;
        /* right-aligned numbers: the column's last cell holds the last digit */
        mvwin_wch(w, r, x3 + t.widths[2] - 1, &cc);
        getcchar(&cc, wch, &a, &pair, NULL);
        const char *num = cjk_rows[r - 1][2];
        EXPECT_EQ_INT(wch[0], (wchar_t)num[strlen(num) - 1]);
        /* the cell just before column 3 is the separator space, never half a glyph */
        mvwin_wch(w, r, x3 - 1, &cc);
        getcchar(&cc, wch, &a, &pair, NULL);
        EXPECT_EQ_INT(wch[0], L' ');
    }
    table_free(&t);
    delwin(w);
    endwin();
    delscreen(s);
    fclose(out);
    fclose(in);
}

/* One display-width model: what a widget draws takes exactly the columns engine/core/textwidth
 * measures (the matrix command line pads its Chinese table by the same function), for every
 * cell and detail of the Chinese matrix, and for undrawable text ('?' per column). */
static void test_drawn_width_is_textwidth(void)
{
    char err[512] = "";
    Matrix *zh = matrix_load("zh", err, sizeof err);
    EXPECT_MSG(zh != NULL, "%s", err);
    if (!zh) return;
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *s = newterm("xterm-256color", out, in);
    if (!s) {
        SKIP("no xterm-256color terminfo");
        fclose(out);
        fclose(in);
        matrix_free(zh);
        return;
    }
    set_term(s);
    WINDOW *w = newwin(2, 400, 0, 0);
    int checked = 0, wide = 0;
    for (int o = 0; o < matrix_option_count(zh); o++)
        for (int c = 0; c < matrix_criterion_count(zh); c++) {
            const char *texts[] = {matrix_cell(zh, o, c), matrix_detail(zh, o, c)};
            for (int t = 0; t < 2; t++) {
                int measured = textwidth_str(texts[t]);
                if (measured > 400) continue;
                werase(w);
                int drawn = text_draw(w, 0, 0, texts[t], 400, A_NORMAL);
                EXPECT_MSG(drawn == measured, "'%s': drawn %d, measured %d", texts[t], drawn, measured);
                EXPECT_EQ_INT(getcurx(w), measured);
                checked++;
                wide += measured > (int)strlen(texts[t]) / 3; /* CJK: 3 bytes, 2 columns */
            }
        }
    EXPECT(checked > 100);
    EXPECT(wide > 50);
    /* undrawable: a control character and an invalid byte are one '?' column each */
    werase(w);
    EXPECT_EQ_INT(text_draw(w, 0, 0, "a\x01" "b\xff", 400, A_NORMAL), 4);
    EXPECT_EQ_INT(textwidth_str("a\x01" "b\xff"), 4);
    cchar_t cc;
    wchar_t wch[8];
    attr_t a;
    short pair;
    for (int x = 0; x < 4; x++) {
        mvwin_wch(w, 0, x, &cc);
        getcchar(&cc, wch, &a, &pair, NULL);
        EXPECT_EQ_INT(wch[0], (wchar_t)"a?b?"[x]);
    }
    uint32_t g;
    int cols;
    EXPECT_EQ_INT(textwidth_glyph("\x01", 1, &g, &cols), 1);
    EXPECT(g == '?' && cols == 1);
    EXPECT_EQ_INT(textwidth_glyph("性", 3, &g, &cols), 3);
    EXPECT(g == 0x6027 && cols == 2);
    delwin(w);
    endwin();
    delscreen(s);
    fclose(out);
    fclose(in);
    matrix_free(zh);
}

/* ---- tree ----------------------------------------------------------------------------- */

static void tree_row(void *ctx, int user, TreeRow *row)
{
    (void)ctx;
    snprintf(row->name, sizeof row->name, "n%d", user);
}

static void test_tree_large(void)
{
    Tree t;
    tree_init(&t, tree_row, NULL);
    /* 100 top-level nodes with 100 children each: 10,100 nodes */
    int first_child_of_50 = -1;
    for (int i = 0; i < 100; i++) {
        int p = tree_add(&t, -1, i);
        for (int k = 0; k < 100; k++) {
            int c = tree_add(&t, p, 1000 + i * 100 + k);
            if (i == 50 && k == 0) first_child_of_50 = c;
        }
    }
    EXPECT_EQ_INT(t.n_nodes, 10100);
    EXPECT_EQ_INT(tree_row_count(&t), 100); /* collapsed: only the top level */
    t.list.height = 20;
    list_select(&t.list, 50);
    EXPECT(tree_right(&t));                  /* expand */
    EXPECT_EQ_INT(tree_row_count(&t), 200);
    EXPECT(tree_right(&t));                  /* to the first child */
    EXPECT_EQ_INT(tree_selected(&t), first_child_of_50);
    EXPECT(tree_left(&t));                   /* back to the parent */
    EXPECT_EQ_INT(t.nodes[tree_selected(&t)].user, 50);
    EXPECT(tree_left(&t));                   /* collapse */
    EXPECT_EQ_INT(tree_row_count(&t), 100);
    int deep = tree_find_user(&t, 1000 + 99 * 100 + 99);
    tree_reveal(&t, deep);
    EXPECT_EQ_INT(tree_selected(&t), deep);
    EXPECT_EQ_INT(tree_row_count(&t), 200);
    tree_expand_all(&t, true);
    EXPECT_EQ_INT(tree_row_count(&t), 10100);
    EXPECT_EQ_INT(tree_selected(&t), deep); /* the selection stays on its node */
    tree_expand_all(&t, false);
    EXPECT_EQ_INT(t.nodes[tree_selected(&t)].user, 99); /* nearest visible ancestor */
    tree_free(&t);
}

/* ---- form ----------------------------------------------------------------------------- */

static void type_str(Form *f, const char *s)
{
    for (; *s; s++) form_key(f, (wint_t)(unsigned char)*s, false);
}

static void test_form_validation(void)
{
    Form f;
    form_init(&f);
    form_add(&f, "imgsz", FIELD_INT, "640");
    FormField *half = form_add(&f, "half", FIELD_BOOL, "False");
    FormField *ws = form_add(&f, "workspace", FIELD_FLOAT, "");
    ws->allow_empty = true;
    ws->disabled = true;
    snprintf(ws->reason, sizeof ws->reason, "only TensorRT exports use it");
    static const char *const splits[] = {"train", "val", "test"};
    FormField *sp = form_add(&f, "split", FIELD_CHOICE, "val");
    sp->choices = splits;
    sp->n_choices = 3;
    /* typing a digit on a number field starts an edit; a non-number is refused */
    EXPECT_EQ_INT(form_key(&f, '6', false), FORM_EDIT_START);
    type_str(&f, "4x");
    EXPECT_EQ_INT(form_key(&f, '\n', false), FORM_HANDLED);
    EXPECT(f.editing);
    EXPECT_CONTAINS(f.error, "whole number");
    form_key(&f, KEY_BACKSPACE, true);
    type_str(&f, "1");
    EXPECT_EQ_INT(form_key(&f, '\n', false), FORM_CHANGED);
    EXPECT_EQ_STR(f.fields[0].value, "641");
    EXPECT_EQ_INT(f.changed, 0);
    /* Esc cancels an edit */
    form_key(&f, '\n', false);
    type_str(&f, "99");
    EXPECT_EQ_INT(form_key(&f, 27, false), FORM_EDIT_END);
    EXPECT_EQ_STR(f.fields[0].value, "641");
    /* bools toggle */
    form_key(&f, 'j', false);
    EXPECT_EQ_INT(form_key(&f, ' ', false), FORM_CHANGED);
    EXPECT_EQ_STR(half->value, "True");
    /* disabled fields refuse with their reason */
    form_key(&f, 'j', false);
    EXPECT_EQ_INT(form_key(&f, '\n', false), FORM_HANDLED);
    EXPECT_CONTAINS(f.error, "only TensorRT");
    EXPECT_EQ_STR(ws->value, "");
    /* choices cycle both ways */
    form_key(&f, 'j', false);
    EXPECT_EQ_INT(form_key(&f, ' ', false), FORM_CHANGED);
    EXPECT_EQ_STR(sp->value, "test");
    form_key(&f, '-', false);
    form_key(&f, '-', false);
    EXPECT_EQ_STR(sp->value, "train");
    /* without an owner's check a number field takes one whole number (what imgsz accepts is
     * the Export screen's business: test_tui's test_export_pane_form_check) */
    EXPECT(form_check_value(&f.fields[0], "abc") != NULL);
    EXPECT(form_check_value(&f.fields[0], "[640, 480]") != NULL);
    EXPECT(form_check_value(&f.fields[0], "-32") == NULL);
    form_free(&f);
}

/* An owner's check sees every change once, with the new value in place, and decides alone:
 * the form's own syntax rules do not apply; a refusal keeps the edit open with the reason,
 * and undoes a toggle. */
typedef struct {
    int calls;
    char last[64];
} CheckLog;

static int even_sizes_only(Form *f, int field, const char *value, char *msg, size_t msglen, void *user)
{
    CheckLog *log = user;
    log->calls++;
    snprintf(log->last, sizeof log->last, "%s=%s", f->fields[field].key, value);
    if (!strcmp(f->fields[field].key, "half")) {
        if (!strcmp(value, "True")) return 0;
        snprintf(msg, msglen, "half stays on");
        return -1;
    }
    int a = 0, b = 0;
    int n = sscanf(value, "%d,%d", &a, &b);
    if (n < 1 || a % 2 || (n == 2 && b % 2)) {
        snprintf(msg, msglen, "'%s' is not one or two even sizes", value);
        return -1;
    }
    return 0;
}

static void test_form_owner_check(void)
{
    Form f;
    form_init(&f);
    form_add(&f, "size", FIELD_INT, "640");
    FormField *half = form_add(&f, "half", FIELD_BOOL, "False");
    CheckLog log = {0};
    f.check = even_sizes_only;
    f.check_user = &log;
    /* "640,480" is no whole number, but the owner says yes: one call, committed */
    EXPECT_EQ_INT(form_key(&f, '6', false), FORM_EDIT_START);
    type_str(&f, "40,480");
    EXPECT_EQ_INT(form_key(&f, '\n', false), FORM_CHANGED);
    EXPECT_EQ_INT(log.calls, 1);
    EXPECT_EQ_STR(log.last, "size=640,480");
    EXPECT_EQ_STR(f.fields[0].value, "640,480");
    EXPECT(!f.editing);
    /* refused: the edit stays open with the owner's reason, the value is the old one */
    form_key(&f, '\n', false);
    form_key(&f, 21, false); /* Ctrl-U */
    type_str(&f, "641");
    EXPECT_EQ_INT(form_key(&f, '\n', false), FORM_HANDLED);
    EXPECT_EQ_INT(log.calls, 2);
    EXPECT(f.editing);
    EXPECT_EQ_STR(f.error, "'641' is not one or two even sizes");
    EXPECT_EQ_STR(f.fields[0].value, "640,480");
    /* an unchanged value is no change: the owner is not asked */
    form_key(&f, 27, false);
    form_key(&f, '\n', false);
    EXPECT_EQ_INT(form_key(&f, '\n', false), FORM_EDIT_END);
    EXPECT_EQ_INT(log.calls, 2);
    /* toggles go through the owner too; a refused one is undone */
    form_key(&f, 'j', false);
    EXPECT_EQ_INT(form_key(&f, ' ', false), FORM_CHANGED);
    EXPECT_EQ_STR(half->value, "True");
    EXPECT_EQ_INT(form_key(&f, ' ', false), FORM_HANDLED);
    EXPECT_EQ_STR(half->value, "True");
    EXPECT_EQ_STR(f.error, "half stays on");
    EXPECT_EQ_INT(log.calls, 4);
    form_free(&f);
}

/* ---- log view ------------------------------------------------------------------------- */

static void test_logview_ring_follow_search(void)
{
    LogView v;
    logview_init(&v, 100);
    for (int i = 0; i < 250; i++) {
        char line[64];
        snprintf(line, sizeof line, "line %d%s", i, i == 200 ? " needle" : "");
        logview_append(&v, i % 10 == 0 ? LOGV_WARNING : LOGV_INFO, line);
    }
    EXPECT_EQ_INT(v.n, 100);
    EXPECT_EQ_INT(v.dropped, 150);
    EXPECT_EQ_STR(logview_line(&v, 0), "line 150");
    EXPECT(v.follow);
    EXPECT_EQ_INT(v.list.sel, 99);
    logview_move(&v, LIST_UP);
    EXPECT(!v.follow);
    snprintf(v.search, sizeof v.search, "NEEDLE");
    EXPECT(logview_search(&v, -1));
    EXPECT_EQ_STR(logview_line(&v, v.list.sel), "line 200 needle");
    /* scrolled back, the view stays on the same text while lines fall off */
    logview_append(&v, LOGV_INFO, "more");
    EXPECT_EQ_STR(logview_line(&v, v.list.sel), "line 200 needle");
    logview_move(&v, LIST_BOTTOM);
    EXPECT(v.follow);
    logview_free(&v);
}

/* ---- themes --------------------------------------------------------------------------- */

static void test_theme_files_parse(void)
{
    static const char *const names[] = {"dark", "light", "high-contrast", "mono"};
    for (size_t i = 0; i < 4; i++) {
        char path[256];
        snprintf(path, sizeof path, "themes/%s.theme", names[i]);
        FILE *f = fopen(path, "r");
        EXPECT_MSG(f != NULL, "%s missing", path);
        if (!f) continue;
        static char text[16384];
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = 0;
        fclose(f);
        Theme th;
        memset(&th, 0, sizeof th);
        char err[256] = "";
        EXPECT_MSG(theme_parse(&th, text, COLOR_MODE_MONO, err, sizeof err) == 0, "%s: %s", names[i], err);
        /* every slot named (a slot a file leaves out keeps the built-in dark colours), and the
         * mono theme's every slot in the terminal's own colours */
        for (int slot = 0; slot < SLOT_COUNT; slot++) {
            char want[80], *at;
            snprintf(want, sizeof want, "\n%s ", theme_slot_name((ThemeSlot)slot));
            at = strstr(text, want);
            EXPECT_MSG(at != NULL, "%s names no %s", names[i], theme_slot_name((ThemeSlot)slot));
            if (at && !strcmp(names[i], "mono")) {
                char slotname[64], fg[32], bg[32];
                EXPECT(sscanf(at + 1, "%63s %31s %31s", slotname, fg, bg) == 3);
                EXPECT_MSG(!strcmp(fg, "default") && !strcmp(bg, "default"), "mono %s: %s %s", slotname, fg, bg);
            }
        }
    }
    /* a theme that does not exist is refused and changes nothing */
    {
        Theme th, before;
        memset(&th, 0, sizeof th);
        theme_load(&th, "themes", "light", COLOR_MODE_MONO, NULL, 0);
        before = th;
        char err[256] = "";
        EXPECT(theme_load(&th, "themes", "nope", COLOR_MODE_MONO, err, sizeof err) != 0);
        EXPECT_CONTAINS(err, "theme nope: no such theme (dark, high-contrast, light, mono)");
        EXPECT(!memcmp(&th, &before, sizeof th));
        EXPECT_EQ_STR(th.name, "light");
        EXPECT(theme_check("themes", "mono", NULL, 0) == 0);
        EXPECT(theme_check("themes", "dark", NULL, 0) == 0);
    }
    Theme th;
    memset(&th, 0, sizeof th);
    char err[256] = "";
    EXPECT(theme_parse(&th, "selected black cyan bold\nbogus x y\n", COLOR_MODE_MONO, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "line 2");
    EXPECT_EQ_INT(th.attr[SLOT_SELECTED], A_BOLD);
    EXPECT(theme_parse(&th, "ok 300 default\n", COLOR_MODE_MONO, err, sizeof err) != 0);
    EXPECT(theme_parse(&th, "ok 114/green default underline\n", COLOR_MODE_MONO, err, sizeof err) == 0);
    EXPECT_EQ_INT(theme_slot_from_name("log_warning"), SLOT_LOG_WARNING);
    EXPECT_EQ_INT(theme_slot_from_name("nope"), -1);
    /* mono mode gives every slot an attribute-only style with a visible selection */
    memset(&th, 0, sizeof th);
    theme_load(&th, "themes", "dark", COLOR_MODE_MONO, NULL, 0);
    EXPECT(th.attr[SLOT_SELECTED] & A_REVERSE);
    EXPECT_EQ_INT(th.attr[SLOT_SELECTED] & A_COLOR, 0);
    theme_glyphs(&th, true);
    EXPECT_EQ_STR(th.g.expanded, "-");
    EXPECT_EQ_STR(th.g.vline, "|");
}

static void wrap_collect(const char *line, int len, void *ctx)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 1024 - n, "[%.*s]", len, line);
}

static void test_text_wrap(void)
{
    char out[1024] = "";
    int n = text_wrap("the quick brown fox\n\njumps", 10, wrap_collect, out);
    EXPECT_EQ_INT(n, 4);
    EXPECT_EQ_STR(out, "[the quick][brown fox][][jumps]");
    out[0] = 0;
    n = text_wrap("性能很好性能很好", 5, wrap_collect, out); /* no spaces: break between glyphs */
    EXPECT_EQ_INT(n, 4);
    EXPECT_EQ_STR(out, "[性能][很好][性能][很好]");
}

static void test_list_move(void)
{
    ListState l = {.count = 100, .sel = 0, .top = 0, .height = 10};
    list_move(&l, LIST_PAGE_DOWN);
    EXPECT_EQ_INT(l.sel, 10);
    list_move(&l, LIST_BOTTOM);
    EXPECT_EQ_INT(l.sel, 99);
    EXPECT_EQ_INT(l.top, 90);
    list_move(&l, LIST_HALF_UP);
    EXPECT_EQ_INT(l.sel, 94);
    list_move(&l, LIST_TOP);
    EXPECT_EQ_INT(l.sel, 0);
    EXPECT_EQ_INT(l.top, 0);
    ListState e = {.count = 0, .sel = 3, .height = 5};
    list_fix(&e);
    EXPECT_EQ_INT(e.sel, -1);
}

static void test_clickbar_hit(void)
{
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *s = newterm("xterm-256color", out, in);
    if (!s) {
        SKIP("no xterm-256color terminfo");
        fclose(out);
        fclose(in);
        return;
    }
    set_term(s);
    WINDOW *w = newwin(2, 80, 0, 0);
    Theme th;
    memset(&th, 0, sizeof th);
    theme_load(&th, NULL, "dark", COLOR_MODE_MONO, NULL, 0);
    ClickBar b;
    clickbar_clear(&b);
    clickbar_add(&b, "1", "Graph", 10);
    clickbar_add(&b, "2", "Export", 11);
    tabs_draw(&b, w, 0, 0, 80, 10, &th);
    EXPECT_EQ_INT(clickbar_hit(&b, 1), 10);
    EXPECT_EQ_INT(clickbar_hit(&b, b.x0[1] + 2), 11);
    EXPECT_EQ_INT(clickbar_hit(&b, 79), -1);
    funcbar_draw(&b, w, 1, 0, 20, &th); /* narrow: labels shrink, items stay clickable */
    EXPECT(b.x1[1] <= 20);
    EXPECT_EQ_INT(clickbar_hit(&b, b.x0[1]), 11);
    delwin(w);
    endwin();
    delscreen(s);
    fclose(out);
    fclose(in);
}

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8")) {
        printf("SKIP widgets: no UTF-8 locale\n");
        return 0;
    }
    RUN(test_text_width);
    RUN(test_text_cut_never_splits_wide);
    RUN(test_text_fit);
    RUN(test_table_cjk_alignment_text);
    RUN(test_table_cjk_alignment_drawn);
    RUN(test_drawn_width_is_textwidth);
    RUN(test_tree_large);
    RUN(test_form_validation);
    RUN(test_form_owner_check);
    RUN(test_logview_ring_follow_search);
    RUN(test_theme_files_parse);
    RUN(test_text_wrap);
    RUN(test_list_move);
    RUN(test_clickbar_hit);
    return check_done();
}
