/* Tests for the format registry: the peer's rows and order, aliases, closest-match
 * suggestions with difflib's numbers, availability texts and the tool lookup; and the
 * completeness test of the table of format plugins: every row says what it is and what it
 * lacks, every writer's output is recognised as its own format (and read back where the row
 * reads), every reader round-trips through model_load, every matrix id is in the matrix, and
 * the generated usage and man-page lists name every row. */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"
#include "engine/export/export_args.h"
#include "engine/matrix/matrix.h"
#include "engine/registry/model.h"
#include "engine/registry/registry.h"
#include "tests/check.h"
#include "tests/export_fixture.h"
#include "tui/cli.h"

static char tmpdir[PATH_MAX];
static char shared_abs[PATH_MAX]; /* ../shared as an absolute path, "" when absent */

/* The peer's export_formats() table (section 2 of the reference), row by row. */
static const struct {
    const char *name, *argument, *suffix;
    bool cpu, gpu;
    const char *args;
} peer[] = {
    {"PyTorch", "-", ".pt", true, true, ""},
    {"TorchScript", "torchscript", ".torchscript", true, true, "batch, optimize, half, nms, dynamic"},
    {"ONNX", "onnx", ".onnx", true, true, "batch, dynamic, half, opset, simplify, nms"},
    {"OpenVINO", "openvino", "_openvino_model", true, false, "batch, dynamic, half, int8, nms, fraction"},
    {"TensorRT", "engine", ".engine", false, true, "batch, dynamic, half, int8, simplify, nms, fraction"},
    {"CoreML", "coreml", ".mlpackage", true, false, "batch, half, int8, nms"},
    {"TensorFlow SavedModel", "saved_model", "_saved_model", true, true, "batch, int8, keras, nms"},
    {"TensorFlow GraphDef", "pb", ".pb", true, true, "batch"},
    {"TensorFlow Lite", "tflite", ".tflite", true, false, "batch, half, int8, nms, fraction"},
    {"TensorFlow Edge TPU", "edgetpu", "_edgetpu.tflite", true, false, ""},
    {"TensorFlow.js", "tfjs", "_web_model", true, false, "batch, half, int8, nms"},
    {"PaddlePaddle", "paddle", "_paddle_model", true, true, "batch"},
    {"MNN", "mnn", ".mnn", true, true, "batch, half, int8"},
    {"NCNN", "ncnn", "_ncnn_model", true, true, "batch, half"},
    {"IMX", "imx", "_imx_model", true, true, "int8, fraction, nms"},
    {"RKNN", "rknn", "_rknn_model", false, false, "batch, name"},
};

static void test_rows_match_peer(void)
{
    EXPECT_EQ_INT(registry_count(), 16);
    EXPECT_EQ_INT(ARRAY_LEN(peer), 16);
    for (int i = 0; i < registry_count(); i++) {
        const FormatInfo *f = registry_get(i);
        EXPECT_EQ_INT(f->id, i);
        EXPECT_EQ_STR(f->name, peer[i].name);
        EXPECT_EQ_STR(f->argument, peer[i].argument);
        EXPECT_EQ_STR(f->suffix, peer[i].suffix);
        EXPECT_EQ_INT(f->cpu, peer[i].cpu);
        EXPECT_EQ_INT(f->gpu, peer[i].gpu);
        EXPECT_EQ_STR(f->peer_args, peer[i].args);
        /* the bitmask says the same as the text */
        uint32_t mask = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", peer[i].args);
        for (char *t = strtok(buf, ", "); t; t = strtok(NULL, ", ")) mask |= EXPORT_ARG_BIT(export_arg_find(t));
        EXPECT_MSG(f->args == mask, "%s: mask %#x vs %#x", f->name, f->args, mask);
        EXPECT(f->aliases != NULL);
        /* honest availability: a reason exactly when there is no writer */
        if (f->write) {
            EXPECT(f->unavailable_reason == NULL);
        } else {
            EXPECT(f->unavailable_reason != NULL);
            EXPECT_MSG(strncmp(f->unavailable_reason, "not available in this build: ", strlen("not available in this build: ")) == 0, "%s: %s", f->name,
                       f->unavailable_reason);
            EXPECT(strlen(f->unavailable_reason) > 50);
        }
        EXPECT((f->tool == NULL) == (f->tool_note == NULL));
    }
    EXPECT(registry_get(-1) == NULL);
    EXPECT(registry_get(16) == NULL);
    EXPECT_EQ_INT(registry_get(FMT_ONNX)->dir_output, false);
    EXPECT_EQ_INT(registry_get(FMT_OPENVINO)->dir_output, true);
    EXPECT_EQ_INT(registry_get(FMT_SAVED_MODEL)->dir_output, true);
    EXPECT_EQ_INT(registry_get(FMT_EDGETPU)->dir_output, false);
    EXPECT_EQ_INT(registry_get(FMT_NCNN)->dir_output, true);
    EXPECT_EQ_INT(registry_get(FMT_COREML)->dir_output, false);
    EXPECT_EQ_STR(registry_get(FMT_ENGINE)->tool, "trtexec");
    EXPECT_EQ_STR(registry_get(FMT_OPENVINO)->tool, "ovc");
    EXPECT_EQ_STR(registry_get(FMT_NCNN)->tool, "pnnx");
    EXPECT_EQ_STR(registry_get(FMT_EDGETPU)->tool, "edgetpu_compiler");
    if (!registry_get(FMT_ENGINE)->write) EXPECT_CONTAINS(registry_get(FMT_ENGINE)->unavailable_reason, "NVIDIA GPU");
    EXPECT_EQ_STR(registry_valid_formats_text(),
                  "('torchscript', 'onnx', 'openvino', 'engine', 'coreml', 'saved_model', 'pb', 'tflite', "
                  "'edgetpu', 'tfjs', 'paddle', 'mnn', 'ncnn', 'imx', 'rknn')");
}

static void test_lookup_and_aliases(void)
{
    static const struct {
        const char *in;
        int id;
    } cases[] = {
        {"onnx", FMT_ONNX},         {"ONNX", FMT_ONNX},         {"engine", FMT_ENGINE},
        {"tensorrt", FMT_ENGINE},   {"trt", FMT_ENGINE},        {"TRT", FMT_ENGINE},
        {"coreml", FMT_COREML},     {"mlmodel", FMT_COREML},    {"mlpackage", FMT_COREML},
        {"mlprogram", FMT_COREML},  {"apple", FMT_COREML},      {"ios", FMT_COREML},
        {"saved_model", FMT_SAVED_MODEL}, {"rknn", FMT_RKNN},   {"torchscript", FMT_TORCHSCRIPT},
        {"-", -1},                  {"pytorch", -1},            {"pt", -1},
        {"", -1},                   {"onnx ", -1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const FormatInfo *f = registry_find(cases[i].in);
        EXPECT_MSG((f ? (int)f->id : -1) == cases[i].id, "'%s' -> %d, expected %d", cases[i].in, f ? (int)f->id : -1,
                   cases[i].id);
    }
    EXPECT(registry_find(NULL) == NULL);
}

/* Expected values from Python's difflib (3.11) on the same inputs. */
static void test_suggestions_like_difflib(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"onx", "onnx"},           {"tflit", "tflite"},         {"openvno", "openvino"},  {"xyz", NULL},
        {"torchscrip", "torchscript"}, {"engin", "engine"},     {"tensorflow", NULL},     {"tf", "tfjs"},
        {"pt", NULL},              {"saved", "saved_model"},    {"savedmodel", "saved_model"}, {"ncn", "ncnn"},
        {"mn", "mnn"},             {"paddlepaddle", "paddle"},  {"edge", "edgetpu"},      {"coreml2", "coreml"},
        {"onnx2", "onnx"},         {"open_vino", "openvino"},   {"tensorrt", NULL},       {"pytorch", NULL},
        {"imx500", "imx"},         {"tfl", "tflite"},           {"tflite_int8", "tflite"}, {"OPENVNO", "openvino"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = registry_suggest(cases[i].in);
        EXPECT_MSG((got == NULL && cases[i].out == NULL) || (got && cases[i].out && !strcmp(got, cases[i].out)),
                   "'%s' -> %s, expected %s", cases[i].in, got ? got : "(none)", cases[i].out ? cases[i].out : "(none)");
    }
    /* SequenceMatcher(None, a, b).ratio() */
    EXPECT_NEAR(registry_similarity("onnx", "onx"), 6.0 / 7.0, 1e-12);
    EXPECT_NEAR(registry_similarity("tflite", "tflit"), 10.0 / 11.0, 1e-12);
    EXPECT_NEAR(registry_similarity("openvino", "openvno"), 14.0 / 15.0, 1e-12);
    EXPECT_NEAR(registry_similarity("engine", "edge"), 0.6, 1e-12);
    EXPECT_NEAR(registry_similarity("", ""), 1.0, 0);
    EXPECT_NEAR(registry_similarity("abc", ""), 0.0, 0);
    /* order-sensitive blocks: 'abcd' vs 'bcda' matches 'bcd' (3 of 4) */
    EXPECT_NEAR(registry_similarity("abcd", "bcda"), 0.75, 1e-12);
    /* get_close_matches ties: heapq.nlargest on (score, word) puts the larger word first */
    const char *cands[] = {"ab1", "ab2", "zzz", "ab"};
    int out[4];
    EXPECT_EQ_INT(registry_close_matches("ab", cands, 4, 3, 0.6, out), 3);
    EXPECT_EQ_STR(cands[out[0]], "ab");
    EXPECT_EQ_STR(cands[out[1]], "ab2");
    EXPECT_EQ_STR(cands[out[2]], "ab1");
    EXPECT_EQ_INT(registry_close_matches("ab", cands, 4, 0, 0.6, out), 0);
}

static void test_tool_on_path(void)
{
    char dir[] = "/tmp/yoloport-regXXXXXX";
    if (!mkdtemp(dir)) {
        SKIP("mkdtemp failed");
        return;
    }
    char *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
    setenv("PATH", dir, 1);
    const FormatInfo *trt = registry_get(FMT_ENGINE);
    char where[4096] = "";
    EXPECT(!registry_tool_on_path(trt, where, sizeof where));
    char *tool = xasprintf("%s/trtexec", dir);
    FILE *f = fopen(tool, "w");
    EXPECT(f != NULL);
    if (f) {
        fputs("#!/bin/sh\n", f);
        fclose(f);
    }
    chmod(tool, 0755);
    EXPECT(registry_tool_on_path(trt, where, sizeof where));
    EXPECT_EQ_STR(where, tool);
    EXPECT(!registry_tool_on_path(registry_get(FMT_ONNX), NULL, 0)); /* no tool for ONNX */
    chmod(tool, 0644); /* not executable: not a tool */
    EXPECT(!registry_tool_on_path(trt, NULL, 0));
    unlink(tool);
    rmdir(dir);
    free(tool);
    if (old) setenv("PATH", old, 1);
    free(old);
}

/* ---- completeness: the table of format plugins --------------------------------------- */

/* Every row, export table and source-only: what it is, and for each operation it lacks, the
 * words that say why. */
static void test_every_row_complete(void)
{
    EXPECT_EQ_INT(FMT_COUNT, registry_count());
    EXPECT((int)FMT_ID_COUNT > (int)FMT_COUNT); /* the source-only kinds follow the export table */
    EXPECT(registry_row(FMT_NONE) == NULL);
    EXPECT(registry_row(FMT_ID_COUNT) == NULL);
    for (int id = 0; id < FMT_ID_COUNT; id++) {
        const FormatInfo *f = registry_row((FormatId)id);
        EXPECT_MSG(f != NULL, "format id %d has no row", id);
        if (!f) continue;
        const char *what = f->name ? f->name : format_id_key((FormatId)id);
        EXPECT_EQ_INT(f->id, id);
        EXPECT_MSG(f->name && *f->name, "id %s: the row has no name", format_id_key((FormatId)id));
        EXPECT_EQ_STR(f->key, format_id_key((FormatId)id));
        EXPECT(f->aliases != NULL);
        if (format_id_in_export_table(f->id)) {
            EXPECT(registry_get(id) == f);
            EXPECT_MSG(f->argument && f->suffix, "%s: an export row needs its format= argument and suffix", what);
            if (!f->write)
                EXPECT_MSG(f->unavailable_reason, "%s: no export stage and no unavailable_reason saying why", what);
        } else {
            EXPECT_MSG(!f->argument && !f->suffix && !f->write && !f->matrix_id && !f->peer_args,
                       "%s: a source-only row has no format= argument, output, stage or matrix id", what);
            EXPECT_MSG(registry_find(f->key) == NULL && registry_find(f->name) == NULL,
                       "%s: a source-only row must not be found as a format= value", what);
            EXPECT_MSG(!strstr(registry_valid_formats_text(), f->key), "%s: in the valid formats list", what);
        }
        if (f->read) {
            EXPECT_MSG(f->recognise, "%s: reads files but recognises none: add a recogniser", what);
            EXPECT_MSG(f->source_text, "%s: reads files but has no source_text for the usage texts", what);
        }
        if (f->recognise && !f->read)
            EXPECT_MSG(f->unreadable_reason, "%s: recognised but not read, and no unreadable_reason saying why",
                       what);
        if (f->write) {
            EXPECT_MSG(f->recognise, "%s: has a writer but recognises nothing: its own output must be recognised",
                       what);
            EXPECT_MSG(f->matrix_id, "%s: has a writer but no matrix id", what);
            EXPECT_MSG(f->write_ops, "%s: has a writer but no op table (write_ops)", what);
            for (int op = 0; f->write_ops && op < OP_COUNT; op++)
                EXPECT_MSG(f->write_ops((OpKind)op) != 0, "%s: its op table leaves %s unfilled", what,
                           op_name((OpKind)op));
        } else {
            EXPECT_MSG(!f->write_ops, "%s: an op table without a writer", what);
        }
        if (f->drive_tool) EXPECT_MSG(f->tool, "%s: drives a tool but names none", what);
        /* a format run in its own runtime is also read by yoloport: a session's model facts (task,
         * names, strides) come from our reader; each adapter has its test in test_runtime */
        if (f->run) EXPECT_MSG(f->read, "%s: has a runtime adapter but no reader for the model's facts", what);
    }
}

/* Every matrix id names an option of share/matrix/en.json and zh.json with the row's
 * argument: the matrix loads only when its options are the rows with a matrix id, in order. */
static void test_matrix_ids_exist(void)
{
    char err[512] = "";
    for (int l = 0; l < 2; l++) {
        const char *lang = l ? "zh" : "en";
        Matrix *m = matrix_load(lang, err, sizeof err);
        EXPECT_MSG(m != NULL, "share/matrix/%s.json: %s", lang, err);
        if (!m) continue;
        int with_id = 0;
        for (int i = 0; i < registry_count(); i++) {
            const FormatInfo *f = registry_get(i);
            if (!f->matrix_id) continue;
            with_id++;
            int o = matrix_option_find(m, f->matrix_id);
            EXPECT_MSG(o >= 0, "%s: matrix id \"%s\" is not an option of share/matrix/%s.json", f->name,
                       f->matrix_id, lang);
            if (o >= 0) {
                EXPECT_EQ_STR(matrix_option(m, o)->name, f->matrix_id);
                EXPECT_EQ_STR(matrix_option(m, o)->argument, f->argument);
            }
        }
        EXPECT_EQ_INT(matrix_option_count(m), with_id);
        matrix_free(m);
    }
}

/* The interface two graphs present: same inputs and outputs, same static dims. */
static void expect_same_interface(const Graph *want, const Graph *got, const char *what)
{
    EXPECT_MSG(got->n_inputs == want->n_inputs && got->n_outputs == want->n_outputs, "%s: %d in %d out, want %d %d",
               what, got->n_inputs, got->n_outputs, want->n_inputs, want->n_outputs);
    for (int i = 0; i < got->n_outputs && i < want->n_outputs; i++) {
        char a[128], b[128];
        EXPECT_MSG(!strcmp(shape_str(&got->tensors[got->outputs[i]], a, sizeof a),
                           shape_str(&want->tensors[want->outputs[i]], b, sizeof b)),
                   "%s: output %d is %s, want %s", what, i, a, b);
    }
}

/* Every row with a writer: export the built-in yolov8n at imgsz 64 through the pipeline; the
 * artifact is named <stem><suffix> (a directory exactly when dir_output), and the registry
 * recognises it as the row's own format.  Where the row also reads, model_load opens it with
 * the row's id as the source and the source's interface. */
static void test_writers_output_recognised(void)
{
    JobRunnerOptions ro = {.workers = 1};
    JobRunner *runner = jobs_new(&ro);
    char err[1024];
    LoadOptions lo = {.imgsz = {64, 64}, .shapes_only = true};
    Graph *source = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(source != NULL, "%s", err);
    int written = 0;
    for (int i = 0; source && i < registry_count(); i++) {
        const FormatInfo *f = registry_get(i);
        if (!f->write) continue;
        written++;
        char fmt[64];
        snprintf(fmt, sizeof fmt, "format=%s", f->argument);
        const char *w[] = {"model=yolov8n.yaml", fmt, "imgsz=64", "verify=False"};
        Captured log;
        JobState st;
        ExportRun *run = export_words(runner, &log, &st, w, 4);
        EXPECT_MSG(run && st == JOB_DONE && run->status == EXPORT_UNCHECKED, "%s: the export failed: %s", f->name,
                   run ? run->error : "arguments"); /* verify=False: written, not checked */
        if (!run) continue;
        char want[256];
        snprintf(want, sizeof want, "yolov8n%s", f->suffix);
        /* TF Lite: the peer's file inside the SavedModel directory it is written beside */
        if (f->id == FMT_TFLITE) snprintf(want, sizeof want, "yolov8n_saved_model/yolov8n_float32.tflite");
        EXPECT_EQ_STR(run->last_path, want);
        EXPECT_MSG(file_is_dir(want) == f->dir_output, "%s: %s is %s, dir_output says otherwise", f->name, want,
                   file_is_dir(want) ? "a directory" : "a file");
        FormatId got = model_detect(want, err, sizeof err);
        EXPECT_MSG(got == f->id, "%s: its writer's output %s is recognised as %s: %s", f->name, want,
                   format_id_key(got), got == FMT_NONE ? err : "another row claims it first");
        if (f->read) {
            Graph *back = model_load(want, &lo, err, sizeof err);
            EXPECT_MSG(back != NULL, "%s: model_load(%s): %s", f->name, want, err);
            if (back) {
                EXPECT_MSG(back->meta.source_format == f->id, "%s: read back with source %s", f->name,
                           format_id_key(back->meta.source_format));
                expect_same_interface(source, back, f->name);
                graph_free(back);
            }
        } else {
            EXPECT_MSG(model_load(want, &lo, err, sizeof err) == NULL, "%s: not read, yet model_load opened it",
                       f->name);
            EXPECT_CONTAINS(err, f->unreadable_reason);
        }
        export_run_free(run);
        fileio_remove_tree(want);
    }
    EXPECT(written >= 4); /* TorchScript, ONNX, OpenVINO, TF.js at least */
    graph_free(source);
    jobs_free(runner);
}

/* Models for the rows that read but do not write (their writer's output would do otherwise):
 * a row that reads and has neither fails the test below until it gets one here.  rel is a
 * built-in config name, or a path under ../shared (shared = true). */
static const struct {
    FormatId id;
    const char *rel;
    bool shared;
} read_samples[] = {
    {FMT_PYTORCH, "models/yolov8n.pt", true},
    {FMT_YAML, "yolov8n.yaml", false},
};

static void test_readers_round_trip(void)
{
    bool skipped = false;
    for (int id = 0; id < FMT_ID_COUNT; id++) {
        const FormatInfo *f = registry_row((FormatId)id);
        if (!f->read || f->write) continue; /* with a writer: test_writers_output_recognised */
        int s = 0;
        while (s < (int)ARRAY_LEN(read_samples) && read_samples[s].id != f->id) s++;
        EXPECT_MSG(s < (int)ARRAY_LEN(read_samples),
                   "%s reads models but has no writer and no sample in read_samples[] (tests/unit/test_registry.c)",
                   f->name);
        if (s == (int)ARRAY_LEN(read_samples)) continue;
        char path[PATH_MAX];
        if (read_samples[s].shared && !shared_abs[0]) {
            skipped = true;
            continue;
        }
        snprintf(path, sizeof path, "%s%s%s", read_samples[s].shared ? shared_abs : "",
                 read_samples[s].shared ? "/" : "", read_samples[s].rel);
        char err[1024];
        EXPECT_MSG(model_detect(path, err, sizeof err) == f->id, "%s: %s not recognised as its own: %s", f->name,
                   path, err);
        LoadOptions lo = {.shapes_only = true};
        Graph *g = model_load(path, &lo, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", f->name, err);
        if (!g) continue;
        EXPECT_MSG(g->meta.source_format == f->id, "%s: loaded with source %s", f->name,
                   format_id_key(g->meta.source_format));
        EXPECT(g->n_inputs == 1 && g->n_outputs >= 1);
        EXPECT_EQ_INT(g->meta.summary.valid, f->read_builds);
        graph_free(g);
    }
    if (skipped && !check_cur_failed) SKIP("../shared is absent: the .pt sample was not read");
}

/* The lists the usage texts and the man page print come from the rows. */
static void test_generated_lists(void)
{
    EXPECT_EQ_STR(registry_writable_text(), "torchscript, onnx, openvino, saved_model, pb, tflite, tfjs, mnn or ncnn");
    EXPECT_EQ_STR(registry_sources_text(),
                  "an Ultralytics checkpoint (.pt), a TorchScript archive yoloport exported (.torchscript), an ONNX "
                  "file (.onnx), an OpenVINO IR (an .xml with its .bin, "
                  "or their _openvino_model folder), a TensorFlow SavedModel (a _saved_model folder), a frozen "
                  "TensorFlow GraphDef (.pb), a TensorFlow Lite model (.tflite), a TensorFlow.js graph model (a "
                  "_web_model folder or its model.json), an MNN model (.mnn), an ncnn "
                  "model (a .param with its .bin, or their _ncnn_model folder) or a model config (yolov8n.yaml, "
                  "built in)");
    char *man = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&man, &len);
    cli_formats_man(f);
    fclose(f);
    for (int id = 0; id < FMT_ID_COUNT; id++) {
        const FormatInfo *r = registry_row((FormatId)id);
        char want[256];
        if (r->read) EXPECT_MSG(strstr(registry_sources_text(), r->source_text), "%s: not in the sources", r->name);
        if (r->write) EXPECT_MSG(strstr(registry_writable_text(), r->argument), "%s: not writable", r->name);
        if (r->recognise) {
            snprintf(want, sizeof want, "\n.B %s\n", r->name);
            EXPECT_MSG(strstr(man, want), "%s: not among the man page's models", r->name);
        }
        if (format_id_in_export_table(r->id) && strcmp(r->argument, "-")) {
            snprintf(want, sizeof want, "\n.B %s\n", r->argument);
            EXPECT_MSG(strstr(man, want), "%s: not among the man page's export formats", r->name);
        }
    }
    EXPECT(!strstr(man, "\n.B yaml\n") && !strstr(man, "\n.B -\n"));
    free(man);
    /* cli_wrap: words kept whole, continuation lines indented as wide as the lead */
    f = open_memstream(&man, &len);
    cli_wrap(f, "  FMT  ", "alpha beta gamma delta", 18);
    fclose(f);
    EXPECT_EQ_STR(man, "  FMT  alpha beta\n       gamma delta\n");
    free(man);
}

int main(void)
{
    char share[PATH_MAX];
    if (!getenv("YOLOPORT_SHARE") && realpath("share", share)) setenv("YOLOPORT_SHARE", share, 1);
    if (shared_dir() && !realpath(shared_dir(), shared_abs)) shared_abs[0] = '\0';
    RUN(test_rows_match_peer);
    RUN(test_lookup_and_aliases);
    RUN(test_suggestions_like_difflib);
    RUN(test_tool_on_path);
    RUN(test_every_row_complete);
    RUN(test_matrix_ids_exist);
    RUN(test_generated_lists);
    RUN(test_readers_round_trip);
    /* the exports write into a temporary directory */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-registry-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
        printf("FAIL setup: cannot make a temporary directory\n");
        return 1;
    }
    RUN(test_writers_output_recognised);
    if (chdir("/") == 0) fileio_remove_tree(tmpdir);
    return check_done();
}
