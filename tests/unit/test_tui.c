/* Workbench tests without a terminal: the command table and keymap (defaults, config
 * overrides, man page), the config file, `:` completion, the help filter, the Graph pane
 * on a graph built in code (search lands on SPPF, links follow), and the Export pane's
 * inline validation (imgsz=641 shows 672 and the peer's warning; ignored arguments greyed). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "tests/unit/test_tui_fixture.h"
#include "tui/app.h"
#include "tui/cli.h"
#include "tui/commands.h"
#include "tui/config.h"
#include "tui/help.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/session.h"
#include "engine/core/fileio.h"
#include "engine/export/export.h"
#include "widgets/form.h"
#include "widgets/tree.h"

static void test_commands_table(void)
{
    EXPECT_EQ_INT(command_find("quit"), CMD_QUIT);
    EXPECT_EQ_INT(command_find("expand-a"), CMD_EXPAND_ALL); /* unique prefix */
    EXPECT_EQ_INT(command_find("s"), CMD_NONE);              /* ambiguous */
    EXPECT_EQ_INT(command_find("nope"), CMD_NONE);
    for (int c = 1; c < CMD_COUNT; c++) {
        const CommandInfo *ci = command_info((Command)c);
        EXPECT(ci && ci->name[0] && ci->help[0]);
        EXPECT_EQ_INT(command_find(ci->name), c);
    }
    /* the man-page fragment lists every command */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tui_print_commands_man(f);
    fclose(f);
    for (int c = 1; c < CMD_COUNT; c++) {
        char want[64];
        snprintf(want, sizeof want, ":%s", command_info((Command)c)->name);
        /* roff escapes '-' */
        char esc[128];
        size_t o = 0;
        for (const char *p = want; *p; p++) {
            if (*p == '-') esc[o++] = '\\';
            esc[o++] = *p;
        }
        esc[o] = 0;
        EXPECT_CONTAINS(buf, esc);
    }
    EXPECT_CONTAINS(buf, ".SS Matrix screen");
    free(buf);
}

static void test_keymap_defaults_and_config(void)
{
    KeyTable km;
    keymap_init_defaults(&km);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, 'q'), CMD_QUIT);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, 'j'), CMD_DOWN);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, KEYMAP_FN + KEY_DOWN), CMD_DOWN);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, KEYMAP_FN + KEY_F(1)), CMD_HELP);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, '1'), CMD_SHOW_GRAPH);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, 12), CMD_REDRAW); /* C-l */
    /* a screen's binding wins: l is "language" on the Matrix screen, "right" elsewhere */
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_MATRIX, 'l'), CMD_LANGUAGE);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, 'l'), CMD_RIGHT);
    /* every F-key has a letter or digit alias */
    for (int fk = 1; fk <= 10; fk++) {
        Command c = keymap_lookup(&km, SCOPE_GLOBAL, KEYMAP_FN + KEY_F(fk));
        if (c == CMD_NONE) continue;
        char keys[128];
        keymap_keys_for(&km, c, SCOPE_GLOBAL, keys, sizeof keys);
        bool alias = false;
        for (char *t = strtok(keys, " "); t; t = strtok(NULL, " "))
            if (t[0] != 'F' || !t[1]) alias = true;
        EXPECT_MSG(alias, "F%d (%s) has no alias", fk, command_info(c)->name);
    }
    char err[256];
    EXPECT_EQ_INT(keymap_config_line(&km, "bind graph x expand-all", err, sizeof err), 0);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, 'x'), CMD_EXPAND_ALL);
    EXPECT_EQ_INT(keymap_config_line(&km, "bind * C-n down", err, sizeof err), 0);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_JOBS, 14), CMD_DOWN);
    EXPECT_EQ_INT(keymap_config_line(&km, "unbind * q", err, sizeof err), 0);
    EXPECT_EQ_INT(keymap_lookup(&km, SCOPE_GRAPH, 'q'), CMD_NONE);
    EXPECT(keymap_config_line(&km, "bind graph x frobnicate", err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "unknown command");
    EXPECT(keymap_config_line(&km, "bind nowhere x quit", err, sizeof err) != 0);
    char name[32];
    EXPECT_EQ_STR(keymap_key_name(KEYMAP_FN + KEY_F(5), name, sizeof name), "F5");
    EXPECT_EQ_STR(keymap_key_name(4, name, sizeof name), "C-d");
    EXPECT_EQ_INT(keymap_parse_key("PgDn"), KEYMAP_FN + KEY_NPAGE);
    keymap_free(&km);
}

static void test_config_text(void)
{
    App *app = xcalloc(1, sizeof *app);
    keymap_init_defaults(&app->keymap);
    snprintf(app->theme_name, sizeof app->theme_name, "dark");
    app->fps = 30;
    char err[256] = "";
    const char *text = "# my config\ntheme = light\nrefresh = 10\nmouse = off\nexport = imgsz=320 half=True\n"
                       "bind graph Q quit\nbogus = 1\nrefresh = 9999\n";
    EXPECT(config_apply_text(app, text, false, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, ":7: unknown setting 'bogus'");
    EXPECT_EQ_STR(app->theme_name, "light");
    EXPECT_EQ_INT(app->fps, 10);
    EXPECT(!app->mouse);
    EXPECT_EQ_STR(app->default_args, "imgsz=320 half=True");
    EXPECT_EQ_INT(keymap_lookup(&app->keymap, SCOPE_GRAPH, 'Q'), CMD_QUIT);
    /* --theme on the command line wins over the config */
    snprintf(app->theme_name, sizeof app->theme_name, "mono");
    config_apply_text(app, "theme = light\n", true, err, sizeof err);
    EXPECT_EQ_STR(app->theme_name, "mono");
    /* state file round trip */
    snprintf(app->state_path, sizeof app->state_path, "/tmp/yoloport-test-state-%d/sub/state", (int)getpid());
    UiState st = {.screen = 2};
    snprintf(st.model, sizeof st.model, "/models/yolov8n.pt");
    snprintf(st.args, sizeof st.args, "format=onnx half=True");
    EXPECT_EQ_INT(state_save(app, &st), 0);
    UiState back;
    state_load(app, &back);
    EXPECT_EQ_STR(back.model, "/models/yolov8n.pt");
    EXPECT_EQ_STR(back.args, "format=onnx half=True");
    EXPECT_EQ_INT(back.screen, 2);
    unlink(app->state_path);
    keymap_free(&app->keymap);
    free(app);
}

static bool has(char **c, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(c[i], s)) return true;
    return false;
}

static void free_all(char **c, int n)
{
    for (int i = 0; i < n; i++) free(c[i]);
}

static void test_prompt_completion(void)
{
    App *app = xcalloc(1, sizeof *app);
    Prompt *p = prompt_new(app);
    char *c[64];
    int n = prompt_complete_line(p, "exp", c, 64);
    EXPECT(has(c, n, "export"));
    EXPECT(has(c, n, "expand-all"));
    free_all(c, n);
    n = prompt_complete_line(p, "export for", c, 64);
    EXPECT_EQ_INT(n, 1);
    EXPECT(has(c, n, "format="));
    free_all(c, n);
    n = prompt_complete_line(p, "export format=on", c, 64);
    EXPECT_EQ_INT(n, 1);
    EXPECT(has(c, n, "format=onnx"));
    free_all(c, n);
    n = prompt_complete_line(p, "set half=", c, 64);
    EXPECT(has(c, n, "half=True") && has(c, n, "half=False"));
    free_all(c, n);
    n = prompt_complete_line(p, "screen ma", c, 64);
    EXPECT(has(c, n, "matrix"));
    free_all(c, n);
    prompt_free(p);
    free(app);
}

static void test_help_filter(void)
{
    App *app = xcalloc(1, sizeof *app);
    keymap_init_defaults(&app->keymap);
    app->panes[0].ops = &pane_graph_ops;
    Help *h = help_new();
    help_open(h, app, SCOPE_GRAPH);
    int all = help_count(h);
    EXPECT(all > 20);
    EXPECT_EQ_INT(help_command_at(h, 0), CMD_EXPAND_ALL); /* the screen's own commands first */
    /* no Matrix-only command in the Graph help */
    for (int i = 0; i < all; i++) EXPECT(help_command_at(h, i) != CMD_LANGUAGE);
    help_key(h, app, 'r', false);
    help_key(h, app, 'e', false);
    help_key(h, app, 'd', false);
    help_key(h, app, 'r', false);
    EXPECT(help_count(h) >= 1 && help_count(h) < all);
    bool found = false;
    for (int i = 0; i < help_count(h); i++) found |= help_command_at(h, i) == CMD_REDRAW;
    EXPECT(found);
    /* on the Jobs screen, cancel is listed first among its own */
    help_open(h, app, SCOPE_JOBS);
    found = false;
    for (int i = 0; i < 3; i++) found |= help_command_at(h, i) == CMD_CANCEL;
    EXPECT(found);
    help_free(h);
    keymap_free(&app->keymap);
    free(app);
}

static void test_graph_pane_search_and_links(void)
{
    App *app = xcalloc(1, sizeof *app);
    app->graph = fixture_graph(300);
    Pane *p = &app->panes[SCREEN_GRAPH];
    p->ops = &pane_graph_ops;
    p->y = 1, p->h = 30, p->w = 100;
    p->ops->open(p, app);
    p->ops->resize(p, app);
    int rows = 0;
    pane_graph_selected(p, &rows);
    EXPECT(rows >= 300); /* the first two levels are open */
    pane_graph_search(p, app, "SPPF", 0);
    int user = pane_graph_selected(p, NULL);
    EXPECT(user >= 0 && user < app->graph->n_modules);
    if (user >= 0) EXPECT_EQ_STR(app->graph->modules[user].type, "SPPF");
    /* search by shape, and a miss */
    pane_graph_search(p, app, "[1, 6, 4]", 0);
    user = pane_graph_selected(p, NULL);
    EXPECT(user >= 0 && !strcmp(app->graph->modules[user].type, "Detect"));
    pane_graph_search(p, app, "nothing-like-this", 0);
    EXPECT_CONTAINS(app->status, "not found");
    /* a node row: Enter focuses its details on the first link; Enter again follows it to
     * the node's module */
    pane_graph_search(p, app, "MaxPool", 0);
    user = pane_graph_selected(p, NULL);
    EXPECT(user <= -2);
    int node = -user - 2;
    p->ops->key(p, app, CMD_ENTER, 0, false);
    p->ops->key(p, app, CMD_ENTER, 0, false);
    user = pane_graph_selected(p, NULL);
    EXPECT_EQ_INT(user, app->graph->nodes[node].module);
    /* collapse everything: one row left */
    p->ops->key(p, app, CMD_COLLAPSE_ALL, 0, false);
    pane_graph_selected(p, &rows);
    EXPECT_EQ_INT(rows, 1);
    p->ops->close(p, app);
    graph_free(app->graph);
    free(app);
}

static void test_export_pane_inline_validation(void)
{
    App *app = xcalloc(1, sizeof *app);
    app->graph = fixture_graph(2);
    app->graph->meta.imgsz[0] = app->graph->meta.imgsz[1] = 640;
    snprintf(app->model_path, sizeof app->model_path, "fixture.yaml");
    export_args_init(&app->args);
    Pane *p = &app->panes[SCREEN_EXPORT];
    p->ops = &pane_export_ops;
    p->y = 1, p->h = 30, p->w = 100;
    p->ops->open(p, app);
    p->ops->resize(p, app);
    EXPECT_EQ_STR(app->args.format, "onnx");
    EXPECT(app_run_command(app, CMD_SET, "imgsz=641 half") >= 0);
    /* the form was rebuilt from the args: find imgsz's note */
    Form *form = pane_export_form(p);
    EXPECT(form != NULL);
    if (form) {
        FormField *im = form_field(form, "imgsz"), *ws = form_field(form, "workspace"), *hf = form_field(form, "half");
        EXPECT_EQ_STR(im->value, "641");
        EXPECT_CONTAINS(im->note, "672");
        EXPECT_CONTAINS(im->note, "must be multiple of max stride 32");
        EXPECT(im->note_slot == SLOT_WARNING);
        EXPECT(ws->disabled);
        EXPECT_CONTAINS(ws->reason, "TensorRT");
        EXPECT_EQ_STR(hf->value, "True");
        EXPECT(hf->modified);
    }
    /* selecting TensorRT makes workspace apply */
    EXPECT(pane_export_select_format(p, app, "engine"));
    if (form) EXPECT(!form_field(form, "workspace")->disabled);
    p->ops->close(p, app);
    graph_free(app->graph);
    free(app);
}

/* Variants of one model stand side by side: each named by what differs from the defaults
 * (the defaults' export keeps the peer's name), and each Compare row knows whether its file
 * is still the one it wrote; Delete removes only that. */
static void test_variants_and_artifacts(void)
{
    App *app = xcalloc(1, sizeof *app);
    app->graph = fixture_graph(2);
    snprintf(app->model_path, sizeof app->model_path, "fixture.yaml");
    static const struct {
        const char *words, *name, *variant;
    } cases[] = {
        {"format=onnx", NULL, ""},
        {"format=onnx half", "fixture-half", "half"},
        {"format=onnx half dynamic opset=12", "fixture-half-dynamic-opset12", "half dynamic opset=12"},
        {"format=openvino half", "fixture-half", "half"},
        {"format=onnx half name=mine", NULL, "half"}, /* the user's name stands */
        {"format=onnx int8 data=cal.yaml", NULL, "int8"},                      /* its suffix says it: fixture_int8.onnx */
        {"format=onnx int8 dynamic data=cal.yaml", "fixture-dynamic", "int8 dynamic"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        ExportArgs a;
        export_args_init(&a);
        export_args_set(&a, "model", "fixture.yaml", NULL);
        char buf[256], *argv[8];
        snprintf(buf, sizeof buf, "%s", cases[i].words);
        int argc = 0;
        for (char *t = strtok(buf, " "); t && argc < 8; t = strtok(NULL, " ")) argv[argc++] = t;
        export_args_parse_argv(&a, argc, argv, NULL);
        ModelFacts facts;
        export_facts_from_meta(&app->graph->meta, &facts);
        ExportEffective eff;
        ExportMsgs m;
        export_msgs_clear(&m);
        EXPECT_EQ_INT(export_args_validate(&a, &facts, &eff, &m), 0);
        char variant[256];
        char *name = session_variant_name(app, &a, &eff, variant, sizeof variant);
        if (cases[i].name) EXPECT_EQ_STR(name, cases[i].name);
        else EXPECT_MSG(!name, "%s: named %s", cases[i].words, name);
        EXPECT_EQ_STR(variant, cases[i].variant);
        free(name);
    }

    char dir[] = "/tmp/yoloport-variantsXXXXXX";
    EXPECT(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/fixture-half.onnx", dir);
    EXPECT_EQ_INT(fileio_write_atomic(path, "one", 3, NULL, 0), 0);
    ExportArgs a;
    export_args_init(&a);
    ExportRecord rec;
    memset(&rec, 0, sizeof rec);
    ExportRun *run = export_run_new(&a, false);
    rec.run = run;
    rec.finished = true;
    run->status = EXPORT_OK;
    snprintf(run->last_path, sizeof run->last_path, "%s", path);
    snprintf(rec.replaces, sizeof rec.replaces, "%s", path);
    EXPECT_EQ_INT(session_artifact_state(&rec), ARTIFACT_NONE); /* not stamped: it wrote nothing yet */
    session_stamp_artifact(&rec);
    EXPECT_EQ_INT(session_artifact_state(&rec), ARTIFACT_PRESENT);
    unlink(path);
    EXPECT_EQ_INT(fileio_write_atomic(path, "other export", 12, NULL, 0), 0);
    EXPECT_EQ_INT(session_artifact_state(&rec), ARTIFACT_REPLACED);
    EXPECT_EQ_INT(session_delete_artifact(app, &rec), -1); /* another export's file stays */
    EXPECT(file_exists(path));
    EXPECT_CONTAINS(app->status, "was replaced since");
    session_stamp_artifact(&rec);
    EXPECT_EQ_INT(session_delete_artifact(app, &rec), 0);
    EXPECT(!file_exists(path));
    EXPECT_EQ_INT(session_artifact_state(&rec), ARTIFACT_GONE);
    EXPECT_CONTAINS(app->status, "deleted");
    export_run_free(run);
    rmdir(dir);
    graph_free(app->graph);
    free(app);
}

/* The Jobs log follows the job that runs, not the newest one queued behind it, and moves on
 * to the next one that starts, until the user picks a job. */
static void test_jobs_log_follows_the_running_job(void)
{
    App *app = xcalloc(1, sizeof *app);
    app->n_exports = app->cap_exports = 3;
    app->exports = xcalloc(3, sizeof *app->exports);
    JobState states[3] = {JOB_RUNNING, JOB_QUEUED, JOB_QUEUED};
    for (int i = 0; i < 3; i++) {
        app->exports[i].job_id = i + 1;
        app->exports[i].state = states[i];
        snprintf(app->exports[i].format_name, sizeof app->exports[i].format_name, "ONNX");
    }
    Pane *p = &app->panes[SCREEN_JOBS];
    p->ops = &pane_jobs_ops;
    p->y = 1, p->h = 30, p->w = 100;
    p->ops->open(p, app);
    pane_jobs_select(p, app, 3); /* the newest export queued: job 1 is the one running */
    EXPECT_EQ_INT(pane_jobs_selected(p, app), 1);
    app->exports[0].state = JOB_DONE;
    app->exports[1].state = JOB_RUNNING;
    p->ops->update(p, app);
    EXPECT_EQ_INT(pane_jobs_selected(p, app), 2);
    p->ops->key(p, app, CMD_UP, 0, false); /* the user's choice stays */
    app->exports[1].state = JOB_DONE;
    app->exports[2].state = JOB_RUNNING;
    p->ops->update(p, app);
    EXPECT_EQ_INT(pane_jobs_selected(p, app), 1);
    p->ops->close(p, app);
    free(app->exports);
    free(app);
}

/* :open PATH with the space completion leaves after it opens PATH. */
static void test_open_trims_the_path(void)
{
    App *app = xcalloc(1, sizeof *app);
    export_args_init(&app->args);
    app_run_command(app, CMD_OPEN, "yolov8n.yaml ");
    EXPECT_EQ_STR(app->model_path, "yolov8n.yaml");
    EXPECT(app->graph != NULL);
    if (app->graph) graph_free(app->graph);
    free(app);
}

/* A screen's message (a filter's count) does not follow to the next screen; the workbench's
 * own (a job finished) does. */
static void test_status_belongs_to_its_screen(void)
{
    App *app = xcalloc(1, sizeof *app);
    app->screen = SCREEN_MATRIX;
    app_status(app, MSG_INFO, "filter 'intel': 1 option (Esc clears)");
    app_show(app, SCREEN_EXPORT);
    EXPECT_EQ_STR(app->status, "");
    app_status(app, MSG_OK, "job 1: ONNX export success: yolov8n.onnx");
    app_status_global(app);
    app_show(app, SCREEN_COMPARE);
    EXPECT_EQ_STR(app->status, "job 1: ONNX export success: yolov8n.onnx");
    free(app);
}

static void type_keys(Pane *p, App *app, const char *s)
{
    for (; *s; s++) p->ops->key(p, app, CMD_NONE, (wint_t)(unsigned char)*s, false);
}

/* The Export form's check is the pane's: the peer's parser decides what imgsz accepts (the
 * form widget knows nothing of it), and every change is validated once -- not again on job
 * events, only when a new model comes in. */
static void test_export_pane_form_check(void)
{
    App *app = xcalloc(1, sizeof *app);
    app->graph = fixture_graph(2);
    app->graph->meta.imgsz[0] = app->graph->meta.imgsz[1] = 640;
    snprintf(app->model_path, sizeof app->model_path, "fixture.yaml");
    export_args_init(&app->args);
    Pane *p = &app->panes[SCREEN_EXPORT];
    p->ops = &pane_export_ops;
    p->y = 1, p->h = 30, p->w = 100;
    p->ops->open(p, app);
    p->ops->resize(p, app);
    Form *form = pane_export_form(p);
    int im = -1;
    for (int i = 0; i < form->n_fields; i++)
        if (!strcmp(form->fields[i].key, "imgsz")) im = i;
    EXPECT(im >= 0);
    if (im < 0) return;
    form->list.sel = im;
    p->ops->key(p, app, CMD_NEXT_PANE, 0, false); /* focus the form */
    long v0 = pane_export_validations(p);
    /* h,w and the peer's list form are imgsz values */
    type_keys(p, app, "640,480\n");
    EXPECT_EQ_INT(pane_export_validations(p), v0 + 1);
    EXPECT(app->args.imgsz.v[0] == 640 && app->args.imgsz.v[1] == 480 && app->args.imgsz.n == 2);
    EXPECT(!form->editing);
    p->ops->key(p, app, CMD_ENTER, 0, false);
    type_keys(p, app, "\x15[320, 256]\n"); /* Ctrl-U, then the list */
    EXPECT_EQ_INT(pane_export_validations(p), v0 + 2);
    EXPECT(app->args.imgsz.v[0] == 320 && app->args.imgsz.v[1] == 256);
    EXPECT_EQ_STR(form->fields[im].value, "[320, 256]");
    /* what the peer's parser refuses stays in the edit with the peer's message, unvalidated */
    p->ops->key(p, app, CMD_ENTER, 0, false);
    type_keys(p, app, "\x15" "abc\n");
    EXPECT(form->editing);
    EXPECT_CONTAINS(form->error, "'imgsz=abc' is of invalid type str");
    EXPECT_EQ_INT(pane_export_validations(p), v0 + 2);
    EXPECT(app->args.imgsz.v[0] == 320 && app->args.imgsz.v[1] == 256);
    type_keys(p, app, "\x1b");
    /* job events (an update without a new model) validate nothing; a new model does, once */
    EXPECT_EQ_INT(p->ops->update(p, app), 0);
    EXPECT_EQ_INT(pane_export_validations(p), v0 + 2);
    app->model_serial++;
    p->ops->update(p, app);
    EXPECT_EQ_INT(pane_export_validations(p), v0 + 3);
    p->ops->close(p, app);
    graph_free(app->graph);
    free(app);
}

/* The size report `yoloport export` prints (moved here with its code from engine/export/report.c). */
static void test_cli_size_report(void)
{
    Report r;
    report_init(&r, "models/yolov8n.pt", 6534387);
    PrecisionInfo p = {.kind = PREC_FP16};
    snprintf(p.text, sizeof p.text, "fp16");
    ReportArtifact *a = report_add_artifact(&r, "models/yolov8n.onnx", "ONNX", 6400000, &p, 0.12);
    a->status = CHECK_PASSED;
    a->max_abs_delta = 0.0123;
    report_add_check(&r, "numeric", CHECK_PASSED, 0.0123, 0.1, "output0 max |Δ| 0.0123");
    Report copy;
    report_copy(&copy, &r);
    char *text = cli_report_text(&copy, false);
    EXPECT_CONTAINS(text, "Size report (source yolov8n.pt, 6.2 MB)");
    EXPECT_CONTAINS(text, "models/yolov8n.onnx");
    EXPECT_CONTAINS(text, "fp16");
    EXPECT_CONTAINS(text, "6.1 MB");
    EXPECT_CONTAINS(text, "0.98x");
    EXPECT_CONTAINS(text, "✅ passed max |Δ| 0.012");
    EXPECT_CONTAINS(text, "check numeric: passed");
    free(text);
    setenv("NO_COLOR", "1", 1);
    EXPECT(!cli_color_enabled(stdout));
    unsetenv("NO_COLOR");
    report_free(&copy);
    report_free(&r);
}

static char *capture(void (*fn)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f);
    fclose(f);
    return buf;
}

/* The shipped data files are generated from the command table: they must not drift. */
static void test_generated_files_in_sync(void)
{
    char *km = capture(keymap_print_defaults), *man = capture(tui_print_commands_man);
    char *km_file = file_read_all("share/keymap", 1 << 20, NULL, NULL, 0);
    char *man_file = file_read_all("man/yoloport-keys.inc", 1 << 20, NULL, NULL, 0);
    EXPECT_MSG(km_file && !strcmp(km, km_file), "share/keymap is stale: regenerate with yoloport --dump-keymap");
    EXPECT_MSG(man_file && !strcmp(man, man_file), "man/yoloport-keys.inc is stale: regenerate with yoloport --dump-commands");
    /* loading the shipped keymap over the defaults changes nothing */
    KeyTable a, b;
    keymap_init_defaults(&a);
    keymap_init_defaults(&b);
    char err[256] = "";
    EXPECT_EQ_INT(keymap_load_text(&b, km_file ? km_file : "", err, sizeof err), 0);
    EXPECT_EQ_INT(a.n, b.n);
    for (int i = 0; i < a.n; i++) EXPECT_EQ_INT(keymap_lookup(&b, a.b[i].scope, a.b[i].key), keymap_lookup(&a, a.b[i].scope, a.b[i].key));
    EXPECT(keymap_load_text(&b, "bind * q quit\nbind x y z\n", err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "line 2");
    keymap_free(&a);
    keymap_free(&b);
    free(km);
    free(man);
    free(km_file);
    free(man_file);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    RUN(test_commands_table);
    RUN(test_keymap_defaults_and_config);
    RUN(test_config_text);
    RUN(test_prompt_completion);
    RUN(test_help_filter);
    RUN(test_graph_pane_search_and_links);
    RUN(test_export_pane_inline_validation);
    RUN(test_export_pane_form_check);
    RUN(test_generated_files_in_sync);
    RUN(test_cli_size_report);
    RUN(test_variants_and_artifacts);
    RUN(test_jobs_log_follows_the_running_job);
    RUN(test_open_trims_the_path);
    RUN(test_status_belongs_to_its_screen);
    return check_done();
}
