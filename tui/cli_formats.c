/* cli_formats: the format lists of the usage texts and the man page, generated from the
 * registry's table (engine/registry/registry.h), so that no list of formats is kept by hand:
 * a row added to the table shows up in `yoloport --help`, `yoloport export --help`, the
 * workbench's usage and, through `yoloport --dump-formats` and scripts/update-man.sh, in
 * man/yoloport.1 (tests/e2e/man.sh fails when the checked-in page is out of step). */
#include <stdio.h>
#include <string.h>

#include "engine/registry/registry.h"
#include "tui/cli.h"

void cli_wrap(FILE *out, const char *lead, const char *text, int width)
{
    int indent = (int)strlen(lead), col = indent;
    fputs(lead, out);
    const char *p = text;
    bool first = true;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        int n = (int)strcspn(p, " ");
        if (!first && col + 1 + n > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, (size_t)n, out);
        col += n;
        p += n;
        first = false;
    }
    fputc('\n', out);
}

/* Man-page text: a backslash written as \e, and text that would start a line with a control
 * character ('.' or '\'') protected with \&.  No newline. */
static void roff_text(FILE *out, const char *text)
{
    if (text[0] == '.' || text[0] == '\'') fputs("\\&", out);
    for (const char *p = text; *p; p++) {
        if (*p == '\\') fputs("\\e", out);
        else fputc(*p, out);
    }
}

static void roff_line(FILE *out, const char *text)
{
    roff_text(out, text);
    fputc('\n', out);
}

/* A request with one text argument: ".B ONNX". */
static void roff_request(FILE *out, const char *request, const char *arg)
{
    fprintf(out, "%s ", request);
    roff_text(out, arg);
    fputc('\n', out);
}

/* "TensorRT: writes <stem>.engine" style sentences for an export row. */
static void man_export_row(FILE *out, const FormatInfo *f)
{
    char line[1024];
    fputs(".TP\n", out);
    roff_request(out, ".B", f->argument);
    if (f->aliases[0]) {
        size_t n = (size_t)snprintf(line, sizeof line, "(also");
        for (const char *const *a = f->aliases; *a && n < sizeof line; a++)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s %s", a == f->aliases ? "" : ",", *a);
        snprintf(line + n, sizeof line - n, ")");
        roff_line(out, line);
        fputs(".br\n", out);
    }
    snprintf(line, sizeof line, "%s.  Output: <stem>%s%s.", f->name, f->suffix, f->dir_output ? ", a directory" : "");
    roff_line(out, line);
    if (f->peer_args && *f->peer_args) snprintf(line, sizeof line, "Arguments: %s.", f->peer_args);
    else snprintf(line, sizeof line, "Arguments: none.");
    roff_line(out, line);
    if (f->our_args && *f->our_args) {
        snprintf(line, sizeof line, "Also (yoloport's own): %s.", f->our_args);
        roff_line(out, line);
    }
    if (f->write) {
        roff_line(out, "Written by this build, then read back and checked against the source.");
    } else if (f->drive_tool && f->unavailable_reason) {
        const char *r = f->unavailable_reason;
        const char *na = "not available in this build: ";
        snprintf(line, sizeof line, "Made by an external tool yoloport drives (see EXTERNAL TOOLS AND BUILD HOSTS); "
                 "not written by this build itself: %s.", !strncmp(r, na, strlen(na)) ? r + strlen(na) : r);
        roff_line(out, line);
    } else if (f->unavailable_reason) {
        const char *r = f->unavailable_reason;
        const char *na = "not available in this build: ";
        if (!strncmp(r, na, strlen(na)))
            snprintf(line, sizeof line, "Not available in this build: %s.", r + strlen(na));
        else snprintf(line, sizeof line, "%s.", r);
        roff_line(out, line);
    }
    if (f->tool) {
        snprintf(line, sizeof line, "External tool: %s.  %s.", f->tool, f->tool_note ? f->tool_note : "");
        roff_line(out, line);
    }
    if (f->write && f->drive_tool)
        roff_line(out, "With backend= set to its converter, that tool converts yoloport's ONNX export instead.");
}

void cli_formats_man(FILE *out)
{
    fputs(".SS Models it opens\n", out);
    roff_line(out, "The kind of a model is found from its content, whatever its name.");
    for (int id = 0; id < FMT_ID_COUNT; id++) {
        const FormatInfo *f = registry_row((FormatId)id);
        if (!f->recognise) continue;
        char line[1024];
        fputs(".TP\n", out);
        roff_request(out, ".B", f->name);
        if (f->read) snprintf(line, sizeof line, "Opened: %s; info shows its source as %s.", f->source_text, f->key);
        else snprintf(line, sizeof line, "Recognised, not opened: %s.", f->unreadable_reason);
        roff_line(out, line);
    }
    fputs(".SS Export formats\n", out);
    roff_line(out, "The values of format=, in the order of the Ultralytics exporter's table; <stem> is the "
                   "model's file name without its extension.");
    for (int i = 0; i < registry_count(); i++) {
        const FormatInfo *f = registry_get(i);
        if (strcmp(f->argument, "-")) man_export_row(out, f);
    }
}
