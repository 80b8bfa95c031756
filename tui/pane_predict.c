/* pane_predict: the Predict screen -- the last prediction of the session (:predict IMAGE with
 * the model, or p on the Compare screen with the selected artifact) drawn in the terminal with
 * half blocks (widgets/halfblock: true colour or 256 colours where the terminal has them, grey
 * levels in 16, characters without colour), its boxes and labels over the picture in the
 * classes' colours, and the list of detections beside it (up/down select one: its box is
 * highlighted).  Predicting one artifact after another (fp32, fp16, int8) shows their boxes in
 * turn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/predict/annotate.h"
#include "tui/app.h"
#include "tui/session.h"
#include "widgets/halfblock.h"
#include "widgets/text.h"

typedef struct {
    HalfblockCache hc;
    bool hc_ready;
    int shown_job;             /* job whose picture is in px */
    int px_cols, px_rows;      /* px: px_cols x 2*px_rows pixels */
    unsigned char *px;
    int sel;                   /* selected detection */
    int list_top;
} PredictPane;

static PredictPane *pp_of(Pane *p) { return p->state; }

static void predict_open(Pane *p, App *app)
{
    PredictPane *pp = xcalloc(1, sizeof *pp);
    p->state = pp;
    (void)app;
}

static void predict_close(Pane *p, App *app)
{
    PredictPane *pp = pp_of(p);
    if (!pp) return;
    if (pp->hc_ready) halfblock_free(&pp->hc);
    free(pp->px);
    free(pp);
    p->state = NULL;
}

static const ExportRecord *shown_record(App *app)
{
    for (int i = 0; i < app->n_exports; i++)
        if (app->exports[i].job_id == app->predict_job && app->exports[i].predict) return &app->exports[i];
    return NULL;
}

static const ExportRecord *running_record(App *app)
{
    for (int i = app->n_exports - 1; i >= 0; i--)
        if (app->exports[i].predict && !app->exports[i].finished) return &app->exports[i];
    return NULL;
}

/* Area-average the image into cols x (2 rows) pixels. */
static void scale_into(PredictPane *pp, const Image *im, int cols, int rows)
{
    free(pp->px);
    int H = 2 * rows;
    pp->px = xmalloc((size_t)cols * H * 3);
    pp->px_cols = cols;
    pp->px_rows = rows;
    for (int y = 0; y < H; y++) {
        int sy0 = (int)((double)y * im->h / H), sy1 = (int)((double)(y + 1) * im->h / H);
        if (sy1 <= sy0) sy1 = sy0 + 1;
        if (sy1 > im->h) sy1 = im->h;
        for (int x = 0; x < cols; x++) {
            int sx0 = (int)((double)x * im->w / cols), sx1 = (int)((double)(x + 1) * im->w / cols);
            if (sx1 <= sx0) sx1 = sx0 + 1;
            if (sx1 > im->w) sx1 = im->w;
            /* at most 8x8 samples per pixel: enough for a terminal */
            int stx = (sx1 - sx0 + 7) / 8, sty = (sy1 - sy0 + 7) / 8;
            long acc[3] = {0, 0, 0}, n = 0;
            for (int sy = sy0; sy < sy1; sy += sty)
                for (int sx = sx0; sx < sx1; sx += stx) {
                    const unsigned char *s = im->rgb + ((size_t)sy * im->w + sx) * 3;
                    acc[0] += s[0], acc[1] += s[1], acc[2] += s[2];
                    n++;
                }
            unsigned char *d = pp->px + ((size_t)y * cols + x) * 3;
            for (int k = 0; k < 3; k++) d[k] = (unsigned char)(n ? acc[k] / n : 0);
        }
    }
}

static uint32_t rgb_at(const PredictPane *pp, int x, int y)
{
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x >= pp->px_cols) x = pp->px_cols - 1;
    if (y >= 2 * pp->px_rows) y = 2 * pp->px_rows - 1;
    const unsigned char *d = pp->px + ((size_t)y * pp->px_cols + x) * 3;
    return (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
}

static uint32_t class_rgb(int c)
{
    unsigned char rgb[3];
    annotate_class_color(c, rgb);
    return (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
}

static const char *class_name(const PredictJob *pj, int c)
{
    return c >= 0 && c < pj->nc ? pj->names[c] : "?";
}

/* One box outline and its label over the picture at (y0, x0), s pixels per image pixel. */
static void draw_box(PredictPane *pp, WINDOW *win, int y0, int x0, const PredictJob *pj, const PredictObject *o, double s,
                     bool selected)
{
    int cols = pp->px_cols, rows = pp->px_rows;
    int bx0 = (int)floor(o->box[0] * s), bx1 = (int)floor(o->box[2] * s);
    int r0 = (int)floor(o->box[1] * s / 2), r1 = (int)floor(o->box[3] * s / 2);
    if (bx1 > cols - 1) bx1 = cols - 1;
    if (r1 > rows - 1) r1 = rows - 1;
    if (bx0 < 0) bx0 = 0;
    if (r0 < 0) r0 = 0;
    if (bx1 < bx0 || r1 < r0) return;
    uint32_t c = class_rgb(o->cls);
    bool ascii = pp->hc.mode == HALFBLOCK_ASCII;
    attr_t at = selected ? A_BOLD : A_NORMAL;
    for (int r = r0; r <= r1; r++)
        for (int x = bx0; x <= bx1; x++) {
            bool top = r == r0, bot = r == r1, left = x == bx0, right = x == bx1;
            if (!(top || bot || left || right)) continue;
            const char *ch = ascii ? (((top || bot) && (left || right)) ? "+" : (top || bot) ? "-" : "|")
                             : top && left ? "┌" : top && right ? "┐" : bot && left ? "└" : bot && right ? "┘"
                             : (top || bot) ? "─" : "│";
            uint32_t under = rgb_at(pp, x, 2 * r + 1);
            halfblock_text(win, y0 + r, x0 + x, ch, 1, halfblock_pair(&pp->hc, c, under), at);
        }
    char label[128];
    snprintf(label, sizeof label, "%s %.2f", class_name(pj, o->cls), o->conf);
    int ly = r0 > 0 ? r0 - 1 : r0;
    int room = cols - bx0;
    unsigned char rgb[3];
    annotate_class_color(o->cls, rgb);
    bool light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 170;
    int pair = halfblock_pair(&pp->hc, light ? 0x000000 : 0xFFFFFF, c);
    halfblock_text(win, y0 + ly, x0 + bx0, label, room, pair, (selected ? A_REVERSE : A_NORMAL) | (ascii ? A_BOLD : 0));
}

static void predict_draw(Pane *p, App *app, WINDOW *win)
{
    PredictPane *pp = pp_of(p);
    const Theme *th = &app->theme;
    if (!pp->hc_ready) {
        halfblock_init(&pp->hc, th->mode == COLOR_MODE_MONO);
        pp->hc_ready = true;
    }
    for (int i = 0; i < p->h; i++) text_fill(win, p->y + i, p->x, p->w, theme_attr(th, SLOT_NORMAL));
    const ExportRecord *rec = shown_record(app), *running = running_record(app);
    const PredictJob *pj = rec ? rec->predict : NULL;
    char head[1024];
    if (!pj || !pj->done) {
        snprintf(head, sizeof head, "Predict%s", running ? ": predicting ..." : "");
        text_draw_pad(win, p->y, p->x, head, p->w, theme_attr(th, SLOT_TITLE));
        text_draw(win, p->y + 2, p->x + 1, "No prediction yet: :predict IMAGE predicts with the model; on the Compare "
                  "screen, p predicts the last image with the selected artifact.", p->w - 2, theme_attr(th, SLOT_DIM));
        return;
    }
    const PredictResult *r = &pj->res;
    const char *ib = strrchr(pj->image, '/'), *mb = strrchr(pj->model, '/');
    snprintf(head, sizeof head, "Predict: %s with %s in %s, %dx%d, %.1f ms%s", ib ? ib + 1 : pj->image,
             mb ? mb + 1 : pj->model, pj->runtime, r->net_h, r->net_w, r->ms_inf, running ? "  predicting ..." : "");
    text_draw_pad(win, p->y, p->x, head, p->w, theme_attr(th, SLOT_TITLE));
    /* the picture on the left, the list on the right */
    int lw = p->w / 3;
    if (lw < 24) lw = 24;
    if (lw > 44) lw = 44;
    int iw = p->w - lw - 1, ih = p->h - 1;
    if (iw < 8 || ih < 2 || pj->im.w <= 0 || pj->im.h <= 0) return;
    double s = fmin((double)iw / pj->im.w, 2.0 * ih / pj->im.h); /* picture pixels per image pixel */
    int cols = (int)fmax(1, floor(pj->im.w * s)), rows = (int)fmax(1, floor(pj->im.h * s / 2));
    if (pp->shown_job != rec->job_id || pp->px_cols != cols || pp->px_rows != rows) {
        scale_into(pp, &pj->im, cols, rows);
        pp->shown_job = rec->job_id;
        if (pp->sel >= r->n) pp->sel = 0;
    }
    int y0 = p->y + 1, x0 = p->x;
    halfblock_draw(win, y0, x0, rows, cols, pp->px, &pp->hc);
    for (int i = r->n - 1; i >= 0; i--)
        if (i != pp->sel) draw_box(pp, win, y0, x0, pj, &r->obj[i], s, false);
    if (pp->sel >= 0 && pp->sel < r->n) draw_box(pp, win, y0, x0, pj, &r->obj[pp->sel], s, true);
    /* the list */
    int lx = p->x + iw + 1;
    char line[512];
    if (r->task == TASK_CLASSIFY) {
        text_draw_pad(win, y0, lx, "Top 5", lw, theme_attr(th, SLOT_TITLE));
        snprintf(line, sizeof line, "drawn in %s", halfblock_mode_name(pp->hc.mode));
        text_draw_pad(win, y0 + ih - 1, lx, line, lw, theme_attr(th, SLOT_DIM));
        for (int k = 0; k < r->n_top && k + 1 < ih; k++) {
            snprintf(line, sizeof line, "%-20s %.2f", class_name(pj, r->top[k]), r->top_conf[k]);
            text_draw_pad(win, y0 + 1 + k, lx, line, lw, theme_attr(th, SLOT_NORMAL));
        }
        return;
    }
    snprintf(line, sizeof line, "Detections (%d)", r->n);
    text_draw_pad(win, y0, lx, line, lw, theme_attr(th, SLOT_TITLE));
    int room = ih - 2; /* the last row says how the picture is drawn */
    snprintf(line, sizeof line, "drawn in %s", halfblock_mode_name(pp->hc.mode));
    text_draw_pad(win, y0 + ih - 1, lx, line, lw, theme_attr(th, SLOT_DIM));
    if (pp->sel < pp->list_top) pp->list_top = pp->sel;
    if (pp->sel >= pp->list_top + room) pp->list_top = pp->sel - room + 1;
    for (int k = 0; k < room && pp->list_top + k < r->n; k++) {
        int i = pp->list_top + k;
        const PredictObject *o = &r->obj[i];
        int sw = halfblock_text(win, y0 + 1 + k, lx, pp->hc.mode == HALFBLOCK_ASCII ? "#" : "■", 1,
                                halfblock_pair(&pp->hc, class_rgb(o->cls), 0x000000), A_NORMAL);
        snprintf(line, sizeof line, " %-14s %.2f  %d,%d %dx%d", class_name(pj, o->cls), o->conf, (int)o->box[0],
                 (int)o->box[1], (int)(o->box[2] - o->box[0]), (int)(o->box[3] - o->box[1]));
        text_draw_pad(win, y0 + 1 + k, lx + sw, line, lw - sw,
                      theme_attr(th, i == pp->sel ? SLOT_SELECTED : SLOT_NORMAL));
    }
}

static int predict_key(Pane *p, App *app, Command cmd, wint_t ch, bool is_key)
{
    PredictPane *pp = pp_of(p);
    const ExportRecord *rec = shown_record(app);
    const PredictJob *pj = rec ? rec->predict : NULL;
    int n = pj && pj->done ? pj->res.n : 0;
    switch (cmd) {
    case CMD_UP: if (pp->sel > 0) pp->sel--; break;
    case CMD_DOWN: if (pp->sel + 1 < n) pp->sel++; break;
    case CMD_TOP: pp->sel = 0; break;
    case CMD_BOTTOM: pp->sel = n > 0 ? n - 1 : 0; break;
    default: return 0;
    }
    return R_HANDLED | R_REDRAW;
}

static int predict_update(Pane *p, App *app)
{
    (void)p;
    (void)app;
    return R_REDRAW;
}

const PaneOps pane_predict_ops = {
    .name = "Predict",
    .scope = SCOPE_PREDICT,
    .open = predict_open,
    .draw = predict_draw,
    .key = predict_key,
    .close = predict_close,
    .update = predict_update,
};
