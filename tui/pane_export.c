/* pane_export: the Export screen -- the sixteen formats with what this host can do for
 * each, an argument form for the chosen format that greys out the arguments it ignores
 * (with the reason) and shows the effective values and the peer's warnings inline as you
 * edit, the equivalent `yoloport export ...` and `yolo export ...` lines, and Run, which
 * queues one job per marked format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/export/export.h"
#include "engine/registry/registry.h"
#include "engine/tools/stages.h"
#include "engine/tools/trt.h"
#include "tui/app.h"
#include "tui/session.h"
#include "widgets/form.h"
#include "widgets/list.h"
#include "widgets/text.h"

typedef struct {
    ListState fmts;          /* over registry rows */
    bool marked[FMT_COUNT];
    int avail[FMT_COUNT];    /* 0 built in, 1 tool found, 2 missing, 3 not exportable */
    char tool_path[FMT_COUNT][256];
    int focus;               /* 0 formats, 1 form */
    Form form;
    int field_key[EXPORT_KEY_COUNT]; /* form field -> ExportArgKey */
    const char *host_choices[1 + REMOTE_HOSTS_MAX]; /* "" (this host) and the configured hosts */
    ExportMsgs msgs;
    ExportEffective eff;
    char *cmd_yoloport, *cmd_yolo;
    char out_path[4096];     /* what the export would write (or replace), "" when unknown */
    char *cmd_tool;          /* the tool a tool-driven format runs (trtexec ..., ssh ...), NULL when none */
    char why[FMT_COUNT][256]; /* what this host lacks for a tool-driven format ("" when nothing) */
    bool tools_seen;         /* the start-up tool discovery was taken into account */
    int list_x, list_y, list_w, list_h, form_x, form_y, form_w, form_h, cmd_y;
    App *app;                /* for the form's check (the App outlives its panes) */
    unsigned model_serial;   /* app->model_serial the last validation saw */
    long validations;        /* export_args_validate runs (tests: one per change) */
} ExportPane;

static ExportPane *ep_of(Pane *p) { return p->state; }

static const char *const split_choices[] = {"train", "val", "test"};
static const char *const backend_choices[] = {"", "yoloport", "ultralytics", "ovc", "pnnx", "mnnconvert"};

static void build_form(ExportPane *ep, App *app)
{
    form_clear(&ep->form);
    ep->host_choices[0] = "";
    for (int i = 0; i < app->hosts.n; i++) ep->host_choices[1 + i] = app->hosts.items[i].name;
    int n = 0;
    for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
        const ExportArgInfo *ai = &export_arg_info[k];
        if (k == EXPORT_KEY_MODEL || k == EXPORT_KEY_FORMAT) continue;
        FieldKind kind = FIELD_TEXT;
        switch (ai->type) {
        case ARG_BOOL: kind = FIELD_BOOL; break;
        case ARG_INT: case ARG_IMGSZ: kind = FIELD_INT; break;
        case ARG_FLOAT: kind = FIELD_FLOAT; break;
        default: kind = FIELD_TEXT; break;
        }
        if (k == EXPORT_KEY_SPLIT || k == EXPORT_KEY_BACKEND) kind = FIELD_CHOICE;
        if (k == EXPORT_KEY_HOST && app->hosts.n > 0) kind = FIELD_CHOICE; /* the host picker */
        char val[256];
        export_args_value_text(&app->args, (ExportArgKey)k, val, sizeof val);
        if (!strcmp(val, "None")) val[0] = 0;
        FormField *f = form_add(&ep->form, ai->name, kind, val);
        f->allow_empty = (ai->flags & ARGF_NULLABLE) != 0;
        snprintf(f->help, sizeof f->help, "%s", ai->help);
        if (k == EXPORT_KEY_SPLIT) {
            f->choices = split_choices;
            f->n_choices = 3;
        } else if (k == EXPORT_KEY_BACKEND) {
            f->choices = backend_choices;
            f->n_choices = (int)(sizeof backend_choices / sizeof backend_choices[0]);
            f->allow_empty = true;
        } else if (kind == FIELD_CHOICE && k == EXPORT_KEY_HOST) {
            f->choices = (const char *const *)ep->host_choices;
            f->n_choices = 1 + app->hosts.n;
            f->allow_empty = true;
        }
        ep->field_key[n++] = k;
    }
}

static const FormatInfo *selected_format(ExportPane *ep) { return registry_get(ep->fmts.sel); }

/* Where the loaded model sits in the list: its own format's row, or for a source-only kind
 * (a model config, which builds the peer's PyTorch model) the PyTorch row.  -1 when no model
 * is loaded. */
static int source_row(const App *app)
{
    if (!app->graph) return -1;
    FormatId id = app->graph->meta.source_format;
    if (format_id_in_export_table(id)) return (int)id;
    return registry_row(id) ? FMT_PYTORCH : -1;
}

static int check_field(Form *f, int field, const char *value, char *msg, size_t msglen, void *user);

/* Re-run the peer's checks and put effective values, warnings and disabled reasons on the
 * fields. */
static void revalidate(ExportPane *ep, App *app)
{
    ModelFacts facts;
    memset(&facts, 0, sizeof facts);
    if (app->graph) export_facts_from_meta(&app->graph->meta, &facts);
    ExportArgs a = app->args;
    if (export_args_is_none(&a, EXPORT_KEY_MODEL) && app->model_path[0]) export_args_set(&a, "model", app->model_path, NULL);
    export_msgs_clear(&ep->msgs);
    export_args_validate(&a, app->graph ? &facts : NULL, &ep->eff, &ep->msgs);
    ep->validations++;
    ep->model_serial = app->model_serial;
    const FormatInfo *fi = selected_format(ep);
    for (int i = 0; i < ep->form.n_fields; i++) {
        FormField *f = &ep->form.fields[i];
        int k = ep->field_key[i];
        const char *why = NULL;
        f->disabled = fi && strcmp(fi->argument, "-") ? !export_arg_applies(fi->id, (ExportArgKey)k, &why) : false;
        snprintf(f->reason, sizeof f->reason, "%s", f->disabled && why ? why : "");
        f->modified = !export_args_is_default(&app->args, (ExportArgKey)k);
        f->note[0] = 0;
        f->note_slot = SLOT_DIM;
        /* the effective value when it differs from the typed one */
        char typed[256], effv[256];
        export_args_value_text(&app->args, (ExportArgKey)k, typed, sizeof typed);
        export_args_value_text(&ep->eff.args, (ExportArgKey)k, effv, sizeof effv);
        if (strcmp(typed, effv) != 0 && strcmp(effv, "None") != 0)
            snprintf(f->note, sizeof f->note, "%s %s", app->theme.g.arrow, effv);
        /* the worst message about this key */
        int worst = -1;
        for (int m = 0; m < ep->msgs.n; m++)
            if (ep->msgs.items[m].key == k && (int)ep->msgs.items[m].level > worst && ep->msgs.items[m].level != EXPORT_MSG_INFO)
                worst = m;
        if (worst >= 0) {
            const ExportMsg *em = &ep->msgs.items[worst];
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s%s%s", f->note, f->note[0] ? "  " : "", em->text);
            snprintf(f->note, sizeof f->note, "%s", tmp);
            f->note_slot = em->level == EXPORT_MSG_ERROR ? SLOT_ERROR : SLOT_WARNING;
        }
    }
    free(ep->cmd_yoloport);
    free(ep->cmd_yolo);
    free(ep->cmd_tool);
    /* the name the workbench gives this variant: the yoloport line writes the same file */
    ExportArgs named = a;
    char *auto_name = session_variant_name(app, &a, &ep->eff, NULL, 0);
    if (auto_name) export_args_set(&named, "name", auto_name, NULL);
    free(auto_name);
    ep->out_path[0] = '\0';
    if (ep->eff.fmt && a.model[0]) {
        char *out = export_replaced_path(named.model, &named, ep->eff.fmt);
        snprintf(ep->out_path, sizeof ep->out_path, "%s", out);
        free(out);
    }
    ep->cmd_yoloport = export_args_command(&named, EXPORT_CMD_YOLOPORT);
    ep->cmd_yolo = export_args_command(&a, EXPORT_CMD_YOLO);
    ep->cmd_tool = NULL;
    if (ep->eff.fmt) { /* the tool's own command: trtexec ..., MNNConvert ..., over ssh with host= */
        RemoteHost host;
        char herr[256];
        bool remote = !export_args_is_none(&a, EXPORT_KEY_HOST) && a.host[0] &&
                      remote_resolve(&app->hosts, a.host, &host, herr, sizeof herr) == 0;
        char *stem = export_out_base_for(a.model[0] ? a.model : "yolov8n.pt", &named, ep->eff.fmt);
        const char *slash = strrchr(stem, '/');
        ep->cmd_tool = tools_stage_command_preview(ep->eff.fmt, &ep->eff.args, &a, app->tools_ready ? &app->tools : NULL,
                                                   remote ? &host : NULL, slash ? slash + 1 : stem);
        free(stem);
        /* the peer's exporter: its command is the yolo line, shown there unless it runs on a host */
        if (ep->cmd_tool && !remote && !strncmp(ep->cmd_tool, "yolo export", 11)) {
            free(ep->cmd_tool);
            ep->cmd_tool = NULL;
        }
    }
}

/* What this host can do for each format: our writer; a tool it drives, found (with the
 * start-up discovery once it is in: TensorRT also needs an NVIDIA GPU); or nothing. */
static void scan_formats(ExportPane *ep, App *app)
{
    ep->tools_seen = app->tools_ready;
    for (int i = 0; i < registry_count() && i < FMT_COUNT; i++) {
        const FormatInfo *fi = registry_get(i);
        ep->tool_path[i][0] = 0;
        ep->why[i][0] = 0;
        if (!strcmp(fi->argument, "-")) ep->avail[i] = 3;
        else if (fi->write) ep->avail[i] = 0;
        else if (!app->tools_ready) {
            bool found = fi->tool && registry_tool_on_path(fi, ep->tool_path[i], sizeof ep->tool_path[i]);
            ep->avail[i] = found ? 1 : 2;
        } else {
            int t = fi->tool ? tools_find(fi->tool) : -1;
            const ToolInfo *ti = t >= 0 ? &app->tools.tool[t] : NULL;
            bool found = ti && ti->found;
            if (found) snprintf(ep->tool_path[i], sizeof ep->tool_path[i], "%s%s%s", ti->path, ti->version[0] ? " " : "", ti->version);
            if (fi->id == FMT_ENGINE && *trt_missing(&app->tools, ep->why[i], sizeof ep->why[i])) found = false;
            else if (!found && fi->tool) snprintf(ep->why[i], sizeof ep->why[i], "%s is not on PATH", fi->tool);
            ep->avail[i] = found ? 1 : 2;
        }
    }
}

bool pane_export_select_format(Pane *p, App *app, const char *format)
{
    ExportPane *ep = ep_of(p);
    const FormatInfo *fi = registry_find(format);
    if (!fi) return false;
    list_select(&ep->fmts, fi->id);
    export_args_set(&app->args, "format", fi->argument, NULL);
    revalidate(ep, app);
    return true;
}

void *pane_export_form(Pane *p) { return &ep_of(p)->form; }

void pane_export_sync(Pane *p, App *app)
{
    ExportPane *ep = ep_of(p);
    if (!ep) return;
    int sel = ep->form.list.sel, top = ep->form.list.top;
    build_form(ep, app);
    ep->form.list.sel = sel;
    ep->form.list.top = top;
    const FormatInfo *fi = registry_find(app->args.format);
    if (fi) list_select(&ep->fmts, fi->id);
    revalidate(ep, app);
}

static void export_open(Pane *p, App *app)
{
    ExportPane *ep = xcalloc(1, sizeof *ep);
    p->state = ep;
    ep->app = app;
    form_init(&ep->form);
    ep->form.check = check_field;
    ep->form.check_user = ep;
    ep->fmts.count = registry_count();
    ep->fmts.height = 16;
    scan_formats(ep, app);
    /* start on the format the arguments name, else ONNX */
    const FormatInfo *fi = registry_find(app->args.format);
    if (!fi || export_args_is_default(&app->args, EXPORT_KEY_FORMAT)) {
        fi = registry_find("onnx");
        if (fi) export_args_set(&app->args, "format", "onnx", NULL);
        app->args.given &= ~EXPORT_ARG_BIT(EXPORT_KEY_FORMAT);
    }
    ep->fmts.sel = fi ? (int)fi->id : 0;
    build_form(ep, app);
    revalidate(ep, app);
}

static void export_close(Pane *p, App *app)
{
    ExportPane *ep = ep_of(p);
    if (!ep) return;
    form_free(&ep->form);
    free(ep->cmd_yoloport);
    free(ep->cmd_yolo);
    free(ep->cmd_tool);
    free(ep);
    p->state = NULL;
}

static int export_update(Pane *p, App *app)
{
    ExportPane *ep = ep_of(p);
    if (ep->tools_seen != app->tools_ready) { /* the start-up discovery came in */
        scan_formats(ep, app);
        revalidate(ep, app);
        return R_REDRAW;
    }
    /* a new model brings its own stride and default imgsz; job events change nothing here */
    if (ep->model_serial != app->model_serial) {
        revalidate(ep, app);
        return R_REDRAW;
    }
    return 0;
}

long pane_export_validations(Pane *p) { return ep_of(p) ? ep_of(p)->validations : 0; }

static void layout(ExportPane *ep, Pane *p)
{
    ep->list_w = p->w >= 100 ? 34 : 26;
    ep->list_x = p->x;
    ep->list_y = p->y + 1;
    ep->cmd_y = p->y + p->h - (ep->cmd_tool ? 4 : 3);
    ep->list_h = ep->cmd_y - ep->list_y;
    ep->form_x = p->x + ep->list_w + 1;
    ep->form_y = p->y + 1;
    ep->form_w = p->w - ep->list_w - 1;
    ep->form_h = ep->cmd_y - ep->form_y;
}

static void export_resize(Pane *p, App *app) { layout(ep_of(p), p); }

static int run_marked(ExportPane *ep, App *app)
{
    int queued = 0, first = -1;
    bool any = false;
    for (int i = 0; i < FMT_COUNT; i++) any |= ep->marked[i];
    for (int i = 0; i < FMT_COUNT; i++) {
        if (any ? !ep->marked[i] : i != ep->fmts.sel) continue;
        const FormatInfo *fi = registry_get(i);
        if (!fi || ep->avail[i] == 3) {
            app_status(app, MSG_WARN, "%s is %s: pick a format to export to", fi ? fi->name : "this",
                       source_row(app) == i ? "the source format" : "not an export format");
            continue;
        }
        int id = app_queue_export(app, fi->argument);
        if (id > 0) {
            queued++;
            if (first < 0) first = id;
            ep->marked[i] = false;
        }
    }
    if (queued > 0) {
        if (queued > 1) app_status(app, MSG_INFO, "queued %d exports", queued);
        app_show(app, SCREEN_JOBS);
        pane_jobs_select(&app->panes[SCREEN_JOBS], app, first);
    }
    return R_HANDLED | R_REDRAW;
}

/* The form's check (widgets/form.h): a changed field goes into app->args through the
 * peer's parser, which refuses what it cannot read (imgsz=640,480 and [640, 480] are fine,
 * "abc" is not) with the peer's message; then the one validation of this change. */
static int check_field(Form *f, int field, const char *value, char *msg, size_t msglen, void *user)
{
    ExportPane *ep = user;
    App *app = ep->app;
    int k = ep->field_key[field];
    ExportMsgs m;
    export_msgs_clear(&m);
    if (export_args_set(&app->args, export_arg_info[k].name, *value ? value : "None", &m) != 0) {
        snprintf(msg, msglen, "%s", m.n ? m.items[0].text : "invalid value");
        return -1;
    }
    revalidate(ep, app);
    return 0;
}

static int form_feed(ExportPane *ep, App *app, wint_t ch, bool is_key)
{
    FormResult fr = form_key(&ep->form, ch, is_key); /* a change was applied by check_field */
    return fr == FORM_IGNORED ? 0 : R_HANDLED | R_REDRAW;
}

static int export_key(Pane *p, App *app, Command cmd, wint_t ch, bool is_key)
{
    ExportPane *ep = ep_of(p);
    if (ep->focus == 1 && ep->form.editing && (ch || is_key)) return form_feed(ep, app, ch, is_key) | R_HANDLED;
    switch (cmd) {
    case CMD_NEXT_PANE:
    case CMD_PREV_PANE: ep->focus = !ep->focus; return R_HANDLED | R_REDRAW;
    case CMD_RUN: return run_marked(ep, app);
    case CMD_RESET_ARGS: {
        char fmt[EXPORT_STR_MAX], model[EXPORT_PATH_MAX];
        snprintf(fmt, sizeof fmt, "%s", app->args.format);
        snprintf(model, sizeof model, "%s", app->args.model);
        export_args_init(&app->args);
        export_args_set(&app->args, "format", fmt, NULL);
        if (model[0]) export_args_set(&app->args, "model", model, NULL);
        pane_export_sync(p, app);
        app_status(app, MSG_INFO, "arguments reset to their defaults");
        return R_HANDLED | R_REDRAW;
    }
    default: break;
    }
    if (ep->focus == 0) {
        int old = ep->fmts.sel;
        switch (cmd) {
        case CMD_UP: list_move(&ep->fmts, LIST_UP); break;
        case CMD_DOWN: list_move(&ep->fmts, LIST_DOWN); break;
        case CMD_PAGE_UP: case CMD_HALF_UP: case CMD_TOP: list_move(&ep->fmts, LIST_TOP); break;
        case CMD_PAGE_DOWN: case CMD_HALF_DOWN: case CMD_BOTTOM: list_move(&ep->fmts, LIST_BOTTOM); break;
        case CMD_TOGGLE:
            if (ep->avail[ep->fmts.sel] != 3) ep->marked[ep->fmts.sel] = !ep->marked[ep->fmts.sel];
            list_move(&ep->fmts, LIST_DOWN);
            break;
        case CMD_ENTER:
        case CMD_RIGHT: ep->focus = 1; return R_HANDLED | R_REDRAW;
        default: return 0;
        }
        if (ep->fmts.sel != old) {
            const FormatInfo *fi = selected_format(ep);
            if (fi && strcmp(fi->argument, "-")) export_args_set(&app->args, "format", fi->argument, NULL);
            revalidate(ep, app);
            const FormatInfo *sel = selected_format(ep);
            if (sel && ep->avail[sel->id] == 2 && ep->why[sel->id][0] && sel->drive_tool)
                app_status(app, MSG_WARN, "%s: not available on this host: %s", sel->name, ep->why[sel->id]);
            else if (sel && ep->avail[sel->id] == 2 && sel->unavailable_reason) app_status(app, MSG_WARN, "%s: %s", sel->name, sel->unavailable_reason);
            else if (sel && ep->avail[sel->id] == 1) app_status(app, MSG_INFO, "%s: through %s", sel->name, ep->tool_path[sel->id]);
        }
        return R_HANDLED | R_REDRAW;
    }
    /* the form */
    switch (cmd) {
    case CMD_UP: return form_feed(ep, app, KEY_UP, true);
    case CMD_DOWN: return form_feed(ep, app, KEY_DOWN, true);
    case CMD_PAGE_UP: case CMD_HALF_UP: return form_feed(ep, app, KEY_PPAGE, true);
    case CMD_PAGE_DOWN: case CMD_HALF_DOWN: return form_feed(ep, app, KEY_NPAGE, true);
    case CMD_TOP: return form_feed(ep, app, KEY_HOME, true);
    case CMD_BOTTOM: return form_feed(ep, app, KEY_END, true);
    case CMD_TOGGLE: return form_feed(ep, app, ' ', false) | R_HANDLED;
    case CMD_ENTER: return form_feed(ep, app, '\n', false) | R_HANDLED;
    case CMD_LEFT: {
        FormField *f = form_selected(&ep->form);
        if (f && (f->kind == FIELD_BOOL || f->kind == FIELD_CHOICE)) return form_feed(ep, app, '-', false);
        ep->focus = 0;
        return R_HANDLED | R_REDRAW;
    }
    case CMD_RIGHT: return form_feed(ep, app, '+', false) | R_HANDLED;
    case CMD_BACK:
        ep->focus = 0;
        return R_HANDLED | R_REDRAW;
    default: break;
    }
    /* typing a number starts editing a number field */
    if (!is_key && ch >= '0' && ch <= '9') return form_feed(ep, app, ch, false);
    return 0;
}

static int export_mouse(Pane *p, App *app, const MEVENT *ev)
{
    ExportPane *ep = ep_of(p);
    bool wheel = ev->bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED);
    int dir = (ev->bstate & BUTTON4_PRESSED) ? -1 : 1;
    if (ev->x < ep->list_x + ep->list_w && ev->y >= ep->list_y && ev->y < ep->list_y + ep->list_h) {
        ep->focus = 0;
        if (wheel) list_scroll(&ep->fmts, 3 * dir);
        else {
            int r = ep->fmts.top + ev->y - ep->list_y;
            if (r >= 0 && r < ep->fmts.count) {
                if (r == ep->fmts.sel && ep->avail[r] != 3) ep->marked[r] = !ep->marked[r];
                list_select(&ep->fmts, r);
                const FormatInfo *fi = selected_format(ep);
                if (fi && strcmp(fi->argument, "-")) export_args_set(&app->args, "format", fi->argument, NULL);
                revalidate(ep, app);
            }
        }
        return R_HANDLED | R_REDRAW;
    }
    if (ev->x >= ep->form_x && ev->y >= ep->form_y && ev->y < ep->form_y + ep->form_h) {
        ep->focus = 1;
        if (wheel) list_scroll(&ep->form.list, 3 * dir);
        else {
            int before = ep->form.list.sel;
            if (form_click(&ep->form, ev->y - ep->form_y) && before == ep->form.list.sel) form_feed(ep, app, '\n', false);
        }
        return R_HANDLED | R_REDRAW;
    }
    return 0;
}

static void export_draw(Pane *p, App *app, WINDOW *win)
{
    ExportPane *ep = ep_of(p);
    const Theme *th = &app->theme;
    layout(ep, p);
    attr_t normal = theme_attr(th, SLOT_NORMAL);
    /* header: model and the selected format */
    const FormatInfo *fi = selected_format(ep);
    char head[512];
    const char *out = strrchr(ep->out_path, '/');
    out = out ? out + 1 : ep->out_path;
    if (*out) snprintf(head, sizeof head, "Export %s to %s as %s", app->model_path, fi ? fi->name : "?", out);
    else snprintf(head, sizeof head, "Export %s to %s%s%s", app->model_path, fi ? fi->name : "?", fi && fi->suffix ? "  " : "",
                  fi ? fi->suffix : "");
    text_draw_pad(win, p->y, p->x, head, p->w, theme_attr(th, SLOT_TITLE));
    /* format list; the loaded model's own format says "(source)" */
    int src = source_row(app);
    const FormatInfo *src_fmt = app->graph ? registry_row(app->graph->meta.source_format) : NULL;
    ep->fmts.height = ep->list_h;
    list_fix(&ep->fmts);
    for (int i = 0; i < ep->list_h; i++) {
        int r = ep->fmts.top + i, yy = ep->list_y + i;
        const FormatInfo *f = registry_get(r);
        if (!f) {
            text_fill(win, yy, ep->list_x, ep->list_w, normal);
            continue;
        }
        bool sel = r == ep->fmts.sel;
        static const ThemeSlot av[] = {SLOT_OK, SLOT_WARNING, SLOT_DIM, SLOT_DIM};
        const char *mark = ep->avail[r] == 0 ? (th->g.ascii ? "+" : "✓") : ep->avail[r] == 1 ? "t" : ep->avail[r] == 3 ? " " : "-";
        attr_t a = sel ? theme_attr(th, ep->focus == 0 ? SLOT_SELECTED : SLOT_SELECTED_INACTIVE) : theme_attr(th, av[ep->avail[r]]);
        char line[128], fit[256];
        snprintf(line, sizeof line, "%s%s %s", ep->marked[r] ? "[x]" : "[ ]", mark, f->name);
        if (ep->avail[r] == 3) snprintf(line, sizeof line, "    %s", f->name);
        if (r == src && src_fmt && src_fmt->id != f->id) /* a model config: "PyTorch (source: yaml)" */
            snprintf(line + strlen(line), sizeof line - strlen(line), " (source: %s)", src_fmt->key);
        else if (r == src)
            snprintf(line + strlen(line), sizeof line - strlen(line), " (source)");
        textwidth_fit(fit, sizeof fit, line, ep->list_w, -1, th->g.ellipsis);
        text_draw_pad(win, yy, ep->list_x, fit, ep->list_w, a);
    }
    for (int i = 0; i < ep->list_h; i++) text_draw(win, ep->list_y + i, ep->list_x + ep->list_w, th->g.vline, 1, theme_attr(th, SLOT_BORDER));
    /* the form */
    form_draw(&ep->form, win, ep->form_y, ep->form_x, ep->form_h, ep->form_w, th, ep->focus == 1);
    if (ep->focus == 1 && ep->form.editing) { /* the caret goes where form_draw left it */
        int cy, cx;
        getyx(win, cy, cx);
        app->cursor_y = cy, app->cursor_x = cx;
    }
    /* command lines and general messages */
    rule_draw(win, ep->cmd_y, p->x, p->w, "equivalent commands", false, th);
    text_draw_pad(win, ep->cmd_y + 1, p->x, ep->cmd_yoloport ? ep->cmd_yoloport : "", p->w, normal);
    char yolo[2048];
    const char *other = NULL;
    for (int m = 0; m < ep->msgs.n; m++)
        if (ep->msgs.items[m].key < 0 && ep->msgs.items[m].level != EXPORT_MSG_INFO) {
            other = ep->msgs.items[m].text;
            break;
        }
    char lacks[400];
    bool remote = !export_args_is_none(&app->args, EXPORT_KEY_HOST) && app->args.host[0];
    if (fi && ep->avail[fi->id] == 2 && fi->drive_tool && ep->why[fi->id][0] && !remote) {
        snprintf(lacks, sizeof lacks, "not available on this host: %s", ep->why[fi->id]);
        other = lacks;
    } else if (fi && ep->avail[fi->id] == 2 && !fi->drive_tool && fi->unavailable_reason) {
        other = fi->unavailable_reason;
    }
    if (other) text_draw_pad(win, ep->cmd_y + 2, p->x, other, p->w, theme_attr(th, SLOT_WARNING));
    else {
        snprintf(yolo, sizeof yolo, "%s", ep->cmd_yolo ? ep->cmd_yolo : "");
        text_draw_pad(win, ep->cmd_y + 2, p->x, yolo, p->w, theme_attr(th, SLOT_DIM));
    }
    if (ep->cmd_tool) text_draw_pad(win, ep->cmd_y + 3, p->x, ep->cmd_tool, p->w, normal);
}

const PaneOps pane_export_ops = {
    .name = "Export",
    .scope = SCOPE_EXPORT,
    .open = export_open,
    .draw = export_draw,
    .key = export_key,
    .mouse = export_mouse,
    .resize = export_resize,
    .close = export_close,
    .update = export_update,
};
