/* pane_jobs: the Jobs screen -- the queue (state, stage, progress bar, elapsed time, time
 * since the last log line), the selected job's live log (follow mode, scrollback, search)
 * and, once it finished, its artifacts with sizes and ratios.  Cancel asks first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/core/textwidth.h"
#include "tui/app.h"
#include "tui/session.h"
#include "widgets/list.h"
#include "widgets/logview.h"
#include "widgets/text.h"

#define LOG_BATCH 4096

typedef struct {
    int job_id;
    uint64_t last_seq;
    double last_change;
} JobSeen;

typedef struct {
    ListState jobs;      /* over app->exports */
    LogView log;
    int log_job;         /* job whose log is in the view, -1 none */
    uint64_t log_next;
    int focus;           /* 0 queue, 1 log */
    bool track_running;  /* the workbench chose the selection (a queued export): it moves to the job that
                            runs while the chosen one waits, and on to the next one that starts; a key
                            or a click on the queue stops that */
    JobSeen *seen;
    int n_seen, cap_seen;
    int list_y, list_h, log_y, log_h, art_y, art_h;
    JobLogLine batch[LOG_BATCH];
} JobsPane;

static JobsPane *jp_of(Pane *p) { return p->state; }

static JobSeen *seen_for(JobsPane *jp, int id)
{
    for (int i = 0; i < jp->n_seen; i++)
        if (jp->seen[i].job_id == id) return &jp->seen[i];
    if (jp->n_seen == jp->cap_seen) {
        jp->cap_seen = jp->cap_seen ? jp->cap_seen * 2 : 16;
        jp->seen = xrealloc(jp->seen, sizeof *jp->seen * (size_t)jp->cap_seen);
    }
    jp->seen[jp->n_seen] = (JobSeen){id, 0, now_seconds()};
    return &jp->seen[jp->n_seen++];
}

static ExportRecord *selected(JobsPane *jp, App *app)
{
    return (jp->jobs.sel >= 0 && jp->jobs.sel < app->n_exports) ? &app->exports[jp->jobs.sel] : NULL;
}

static LogViewLevel level_of(JobLogLevel l)
{
    switch (l) {
    case JOB_LOG_DEBUG: return LOGV_DEBUG;
    case JOB_LOG_WARNING: return LOGV_WARNING;
    case JOB_LOG_ERROR: return LOGV_ERROR;
    default: return LOGV_INFO;
    }
}

/* Pull new lines of the selected job into the view (bounded per call: the UI never waits). */
static bool pull_log(JobsPane *jp, App *app)
{
    ExportRecord *rec = selected(jp, app);
    if (!rec || !app->jobs) return false;
    Job *job = jobs_find(app->jobs, rec->job_id);
    if (!job) return false;
    if (jp->log_job != rec->job_id) {
        logview_clear(&jp->log);
        jp->log_job = rec->job_id;
        jp->log_next = 0;
    }
    bool any = false;
    for (int rounds = 0; rounds < 4; rounds++) {
        uint64_t next = jp->log_next;
        int n = job_log_read(job, jp->log_next, jp->batch, LOG_BATCH, &next);
        if (n <= 0) break;
        for (int i = 0; i < n; i++) {
            const char *text = jp->batch[i].text ? jp->batch[i].text : "";
            char *ascii = app->theme.g.ascii ? textwidth_ascii_symbols(text) : NULL; /* LANG=C: as the screens draw */
            logview_append(&jp->log, level_of(jp->batch[i].level), ascii ? ascii : text);
            free(ascii);
        }
        job_log_lines_free(jp->batch, n);
        jp->log_next = next;
        any = true;
        if (n < LOG_BATCH) break;
    }
    return any;
}

/* With track_running: while the selected job waits (queued), or once it has finished, the
 * job that runs now is the one whose log is worth watching (the oldest running one). */
static void follow_running(JobsPane *jp, App *app)
{
    if (!jp->track_running || jp->jobs.sel < 0 || jp->jobs.sel >= app->n_exports) return;
    const ExportRecord *cur = &app->exports[jp->jobs.sel];
    if (cur->state == JOB_RUNNING) return;
    for (int i = 0; i < app->n_exports; i++) {
        if (app->exports[i].state != JOB_RUNNING) continue;
        if (cur->state != JOB_QUEUED && i < jp->jobs.sel) continue; /* a finished one: on to a later job only */
        list_select(&jp->jobs, i);
        return;
    }
}

void pane_jobs_select(Pane *p, App *app, int job_id)
{
    JobsPane *jp = jp_of(p);
    for (int i = 0; i < app->n_exports; i++)
        if (app->exports[i].job_id == job_id) {
            jp->jobs.count = app->n_exports;
            list_select(&jp->jobs, i);
            jp->track_running = true;
            follow_running(jp, app);
            pull_log(jp, app);
            return;
        }
}

int pane_jobs_selected(Pane *p, App *app)
{
    JobsPane *jp = jp_of(p);
    return jp && jp->jobs.sel >= 0 && jp->jobs.sel < app->n_exports ? app->exports[jp->jobs.sel].job_id : -1;
}

static void jobs_open(Pane *p, App *app)
{
    JobsPane *jp = xcalloc(1, sizeof *jp);
    p->state = jp;
    logview_init(&jp->log, JOB_LOG_CAP_DEFAULT);
    jp->log_job = -1;
    jp->jobs.sel = -1;
    jp->jobs.height = 4;
}

static void jobs_close(Pane *p, App *app)
{
    JobsPane *jp = jp_of(p);
    if (!jp) return;
    logview_free(&jp->log);
    free(jp->seen);
    free(jp);
    p->state = NULL;
}

static int jobs_update(Pane *p, App *app)
{
    JobsPane *jp = jp_of(p);
    jp->jobs.count = app->n_exports;
    if (jp->jobs.sel < 0 && app->n_exports > 0) jp->jobs.sel = app->n_exports - 1;
    list_fix(&jp->jobs);
    follow_running(jp, app);
    double now = now_seconds();
    for (int i = 0; i < app->n_exports && app->jobs; i++) {
        Job *job = jobs_find(app->jobs, app->exports[i].job_id);
        if (!job) continue;
        JobInfo info;
        job_get_info(job, &info);
        JobSeen *s = seen_for(jp, app->exports[i].job_id);
        if (info.log_next != s->last_seq) {
            s->last_seq = info.log_next;
            s->last_change = now;
        }
    }
    pull_log(jp, app);
    return R_REDRAW;
}

static void layout(JobsPane *jp, Pane *p, App *app)
{
    int n = app->n_exports;
    jp->list_y = p->y;
    jp->list_h = n + 1;
    int maxl = p->h / 3;
    if (maxl < 3) maxl = 3;
    if (jp->list_h > maxl) jp->list_h = maxl;
    if (jp->list_h < 3) jp->list_h = 3;
    ExportRecord *rec = (jp->jobs.sel >= 0 && jp->jobs.sel < n) ? &app->exports[jp->jobs.sel] : NULL;
    jp->art_h = 0;
    if (rec && rec->finished && rec->run) {
        ExportRun *run = rec->run;
        jp->art_h = run->report.n_artifacts + 1 + (run->error[0] ? 1 : 0);
        if (jp->art_h > p->h / 4) jp->art_h = p->h / 4;
        if (jp->art_h < 2) jp->art_h = 2;
    }
    jp->log_y = jp->list_y + jp->list_h + 1;
    jp->log_h = p->y + p->h - jp->log_y - jp->art_h;
    if (jp->log_h < 1) jp->log_h = 1;
    jp->art_y = jp->log_y + jp->log_h;
}

static void jobs_resize(Pane *p, App *app) { layout(jp_of(p), p, app); }

static const char *fmt_secs(char *buf, size_t len, double s)
{
    if (s < 0) snprintf(buf, len, "-");
    else if (s < 60) snprintf(buf, len, "%.1fs", s);
    else if (s < 3600) snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, len, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
    return buf;
}

static void jobs_draw(Pane *p, App *app, WINDOW *win)
{
    JobsPane *jp = jp_of(p);
    const Theme *th = &app->theme;
    layout(jp, p, app);
    attr_t normal = theme_attr(th, SLOT_NORMAL), head = theme_attr(th, SLOT_HEADER);
    int w = p->w;
    /* columns: id 4, format 12, state 10, stage (flex), progress 16|10, elapsed 8, idle 8 */
    int pw = w >= 100 ? 20 : 12;
    int stage_w = w - (49 + pw);
    if (stage_w < 6) stage_w = 6;
    char line[1024];
    snprintf(line, sizeof line, "%-4s %-12s %-10s %-*s %-*s %8s %8s", "job", "format", "state", stage_w, "stage", pw, "progress", "elapsed", "last log");
    text_draw_pad(win, jp->list_y, p->x, line, w, head);
    jp->jobs.count = app->n_exports;
    jp->jobs.height = jp->list_h - 1;
    list_fix(&jp->jobs);
    double now = now_seconds();
    for (int i = 0; i < jp->list_h - 1; i++) {
        int r = jp->jobs.top + i, yy = jp->list_y + 1 + i;
        if (r >= app->n_exports) {
            text_fill(win, yy, p->x, w, normal);
            if (app->n_exports == 0 && i == 0)
                text_draw(win, yy, p->x + 1, "no jobs yet: pick formats on the Export screen (2) and press r", w - 2, theme_attr(th, SLOT_DIM));
            continue;
        }
        ExportRecord *rec = &app->exports[r];
        Job *job = app->jobs ? jobs_find(app->jobs, rec->job_id) : NULL;
        JobInfo info;
        memset(&info, 0, sizeof info);
        info.fraction = 0;
        if (job) job_get_info(job, &info);
        else info.state = rec->state;
        JobSeen *s = seen_for(jp, rec->job_id);
        bool sel = r == jp->jobs.sel;
        ThemeSlot st = info.state == JOB_DONE ? SLOT_OK : info.state == JOB_FAILED ? SLOT_ERROR : info.state == JOB_CANCELLED ? SLOT_WARNING : SLOT_NORMAL;
        /* an export written but failing its check ends FAILED for the runner: say which */
        bool check_failed = rec->finished && rec->run && ((ExportRun *)rec->run)->status == EXPORT_CHECK_FAILED;
        bool unchecked = rec->finished && rec->run && ((ExportRun *)rec->run)->status == EXPORT_UNCHECKED;
        if (check_failed) st = SLOT_WARNING;
        if (unchecked) st = SLOT_DIM;
        attr_t a = sel ? theme_attr(th, jp->focus == 0 ? SLOT_SELECTED : SLOT_SELECTED_INACTIVE) : theme_attr(th, st);
        char el[32], idle[32], stage[256], c1[64], c2[64];
        fmt_secs(el, sizeof el, info.state == JOB_QUEUED ? -1 : info.elapsed);
        fmt_secs(idle, sizeof idle, job_state_finished(info.state) || info.state == JOB_QUEUED ? -1 : now - s->last_change);
        textwidth_fit(stage, sizeof stage, info.stage, stage_w, -1, th->g.ellipsis);
        snprintf(c1, sizeof c1, "%-4d ", rec->job_id);
        int cx = p->x;
        cx += text_draw(win, yy, cx, c1, 5, a);
        textwidth_fit(c2, sizeof c2, rec->format_name, 12, -1, th->g.ellipsis);
        cx += text_draw(win, yy, cx, c2, 12, a);
        text_fill(win, yy, cx++, 1, a);
        snprintf(c2, sizeof c2, "%-10s", check_failed ? "check fail" : job_state_name(info.state));
        cx += text_draw(win, yy, cx, c2, 10, a);
        text_fill(win, yy, cx++, 1, a);
        cx += text_draw(win, yy, cx, stage, stage_w, a);
        text_fill(win, yy, cx++, 1, a);
        double fr = info.state == JOB_DONE ? 1.0 : info.state == JOB_QUEUED ? 0.0 : info.fraction;
        char pl[32];
        if (check_failed) snprintf(pl, sizeof pl, "written, check failed");
        else if (unchecked) snprintf(pl, sizeof pl, "written, not checked");
        else if (job_state_finished(info.state)) snprintf(pl, sizeof pl, "%s", info.state == JOB_DONE ? "done" : job_state_name(info.state));
        else if (info.fraction >= 0) snprintf(pl, sizeof pl, "%d%%", (int)(info.fraction * 100 + 0.5));
        else pl[0] = 0;
        progress_draw(win, yy, cx, pw, fr, pl, th, app->tick);
        cx += pw;
        snprintf(line, sizeof line, " %8s %8s", el, idle);
        int d = text_draw(win, yy, cx, line, p->x + w - cx, a);
        text_fill(win, yy, cx + d, p->x + w - cx - d, a);
    }
    /* the log */
    ExportRecord *rec = selected(jp, app);
    char title[256];
    if (rec) snprintf(title, sizeof title, "log: job %d %s%s%s%s", rec->job_id, rec->format_name, jp->log.follow ? "  [follow]" : "",
                      jp->log.search[0] ? "  /" : "", jp->log.search);
    else snprintf(title, sizeof title, "log");
    rule_draw(win, jp->log_y - 1, p->x, w, title, jp->focus == 1, th);
    logview_draw(&jp->log, win, jp->log_y, p->x, jp->log_h, w, th, jp->focus == 1);
    /* artifacts */
    if (jp->art_h > 0 && rec && rec->finished && rec->run) {
        ExportRun *run = rec->run;
        const Report *rp = &run->report;
        char src[32];
        snprintf(src, sizeof src, "%.1f MB", report_mib(rp->source_bytes));
        snprintf(title, sizeof title, "artifacts (source %s)", rp->source_bytes > 0 ? src : "built from a config");
        rule_draw(win, jp->art_y, p->x, w, title, false, th);
        int row = 1;
        for (int i = 0; i < rp->n_artifacts && row < jp->art_h; i++, row++) {
            const ReportArtifact *ar = &rp->artifacts[i];
            char sz[32], ratio[32], delta[48];
            snprintf(sz, sizeof sz, "%.1f MB", report_mib(ar->bytes)); /* MiB, as the log prints them */
            if (rp->source_bytes > 0) snprintf(ratio, sizeof ratio, "%.2fx source", (double)ar->bytes / (double)rp->source_bytes);
            else ratio[0] = 0;
            if (ar->max_abs_delta >= 0) snprintf(delta, sizeof delta, "max |d| %.2g", ar->max_abs_delta);
            else delta[0] = 0;
            const char *mark = ar->status == CHECK_PASSED ? th->g.ok : ar->status == CHECK_WRITTEN_FAILED ? th->g.check_failed
                               : ar->status == CHECK_FAILED ? th->g.failed : th->g.unchecked;
            snprintf(line, sizeof line, "%s %s  %s  %s  %s  %s  %.1fs%s%s%s%s", mark, ar->path, sz, ratio, ar->precision.text,
                     delta, ar->seconds, ar->accuracy ? "  " : "", ar->accuracy ? ar->accuracy : "",
                     ar->built_on ? "  built on " : "", ar->built_on ? ar->built_on : "");
            text_draw_pad(win, jp->art_y + row, p->x, line, w, theme_attr(th, ar->status == CHECK_PASSED ? SLOT_OK : SLOT_WARNING));
        }
        if (run->error[0] && row < jp->art_h) {
            text_draw_pad(win, jp->art_y + row, p->x, run->error, w, theme_attr(th, SLOT_ERROR));
            row++;
        }
        if (rp->n_artifacts == 0 && !run->error[0] && row < jp->art_h) {
            text_draw_pad(win, jp->art_y + row, p->x, rec->state == JOB_CANCELLED ? "cancelled: nothing written" : "no artifacts", w,
                          theme_attr(th, SLOT_DIM));
            row++;
        }
        for (; row < jp->art_h; row++) text_fill(win, jp->art_y + row, p->x, w, normal);
    }
}

static int jobs_key(Pane *p, App *app, Command cmd, wint_t ch, bool is_key)
{
    JobsPane *jp = jp_of(p);
    ListMove m;
    if (command_list_move(cmd, &m)) {
        if (jp->focus == 1) logview_move(&jp->log, m);
        else {
            jp->jobs.count = app->n_exports;
            list_move(&jp->jobs, m);
            jp->track_running = false; /* the user's choice stays */
            pull_log(jp, app);
        }
        return R_HANDLED | R_REDRAW;
    }
    switch (cmd) {
    case CMD_NEXT_PANE:
    case CMD_PREV_PANE: jp->focus = !jp->focus; return R_HANDLED | R_REDRAW;
    case CMD_ENTER: jp->focus = 1; return R_HANDLED | R_REDRAW;
    case CMD_FOLLOW:
        logview_set_follow(&jp->log, !jp->log.follow);
        app_status(app, MSG_INFO, "follow %s", jp->log.follow ? "on" : "off");
        return R_HANDLED | R_REDRAW;
    case CMD_LEFT:
        if (jp->focus == 1 && jp->log.hscroll > 0) jp->log.hscroll -= jp->log.hscroll >= 8 ? 8 : jp->log.hscroll;
        return R_HANDLED | R_REDRAW;
    case CMD_RIGHT:
        if (jp->focus == 1) jp->log.hscroll += 8;
        return R_HANDLED | R_REDRAW;
    case CMD_CANCEL: {
        ExportRecord *rec = selected(jp, app);
        if (!rec) return R_HANDLED;
        if (job_state_finished(rec->state)) {
            app_status(app, MSG_INFO, "job %d has already finished (%s)", rec->job_id, job_state_name(rec->state));
            return R_HANDLED | R_REDRAW;
        }
        char text[256];
        snprintf(text, sizeof text, "Cancel job %d (%s export)?\nIts unfinished files are removed.", rec->job_id, rec->format_name);
        app_confirm(app, DLG_CONFIRM_CANCEL, rec->job_id, "Cancel job", text);
        return R_HANDLED | R_REDRAW;
    }
    case CMD_SEARCH_NEXT:
    case CMD_SEARCH_PREV:
        if (!logview_search(&jp->log, cmd == CMD_SEARCH_NEXT ? 1 : -1)) app_status(app, MSG_WARN, "not found: %s", jp->log.search);
        return R_HANDLED | R_REDRAW;
    case CMD_BACK:
        if (jp->log.search[0]) {
            jp->log.search[0] = 0;
            return R_HANDLED | R_REDRAW;
        }
        return 0;
    default: return 0;
    }
}

static int jobs_search(Pane *p, App *app, const char *pattern, int dir)
{
    JobsPane *jp = jp_of(p);
    if (pattern) snprintf(jp->log.search, sizeof jp->log.search, "%s", pattern);
    if (!jp->log.search[0]) return R_REDRAW;
    if (dir == 0) jp->log.list.sel = jp->log.n > 0 ? jp->log.n - 1 : 0; /* a new search starts at the newest line, backwards */
    if (!logview_search(&jp->log, dir == 0 ? -1 : dir)) app_status(app, MSG_WARN, "not found in the log: %s", jp->log.search);
    else app_status(app, MSG_INFO, "/%s  (n/N: next/previous, G: follow again)", jp->log.search);
    jp->focus = 1;
    return R_HANDLED | R_REDRAW;
}

static int jobs_mouse(Pane *p, App *app, const MEVENT *ev)
{
    JobsPane *jp = jp_of(p);
    bool up = ev->bstate & BUTTON4_PRESSED, down = ev->bstate & BUTTON5_PRESSED;
    if (ev->y > jp->list_y && ev->y < jp->list_y + jp->list_h) {
        jp->focus = 0;
        if (up || down) list_scroll(&jp->jobs, up ? -1 : 1);
        else {
            int r = jp->jobs.top + ev->y - jp->list_y - 1;
            if (r < app->n_exports) list_select(&jp->jobs, r);
            jp->track_running = false;
        }
        pull_log(jp, app);
        return R_HANDLED | R_REDRAW;
    }
    if (ev->y >= jp->log_y && ev->y < jp->log_y + jp->log_h) {
        jp->focus = 1;
        if (up || down) {
            logview_move(&jp->log, up ? LIST_UP : LIST_DOWN);
            logview_move(&jp->log, up ? LIST_UP : LIST_DOWN);
            logview_move(&jp->log, up ? LIST_UP : LIST_DOWN);
        } else {
            int r = jp->log.list.top + ev->y - jp->log_y;
            if (r < jp->log.n) {
                jp->log.follow = false;
                list_select(&jp->log.list, r);
            }
        }
        return R_HANDLED | R_REDRAW;
    }
    return 0;
}

const PaneOps pane_jobs_ops = {
    .name = "Jobs",
    .scope = SCOPE_JOBS,
    .open = jobs_open,
    .draw = jobs_draw,
    .key = jobs_key,
    .mouse = jobs_mouse,
    .resize = jobs_resize,
    .close = jobs_close,
    .search = jobs_search,
    .update = jobs_update,
};
