/* main: dispatch `yoloport VERB ...` to the command-line verbs, or open the workbench.
 * This is the only place that decides the process exit status. */
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/membudget.h"
#include "engine/core/paths.h"
#include "engine/registry/registry.h"
#include "tui/cli.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *help;
} verbs[] = {
    {"info", cli_info, "info MODEL [imgsz=N] [--json] [--tree]", "print the model's summary, metadata and shapes"},
    {"export", cli_export, "export model=MODEL format=FMT [key=value ...]", "export a model, as `yolo export` does"},
    {"predict", cli_predict, "predict model=MODEL source=IMAGE|FOLDER|GLOB [key=value ...] [--json]", "detect, segment, pose, obb or classify images, as `yolo predict` does"},
    {"val", cli_val, "val model=MODEL data=DATASET.yaml [imgsz=640 batch=1 conf=0.001 iou=0.7 split=val ...] [--json]", "score a model on a dataset with the peer's metrics, as `yolo val` does"},
    {"benchmark", cli_benchmark, "benchmark model=MODEL [data=DATASET.yaml] [imgsz= half= int8= format=a,b runtime= ...]", "export, check, time and validate every format on this host, as `yolo benchmark` does"},
    {"checks", cli_checks, "checks [runtime=NAME:PATH] [host=HOST] [--json]", "the host (or host= over ssh), the runtimes found (version, library) and the tools, as `yolo checks` does"},
    {"matrix", cli_matrix, "matrix [--lang en|zh] [--format table|markdown|json|csv] [--only FMT,...] ...", "show the deployment-option matrix"},
    {"diff", cli_diff, "diff MODEL_A MODEL_B [--nodes N]", "two models side by side: inputs, outputs, metadata, ops, parameters, size, the nodes that differ"},
};

/* The peer's other modes and commands (`yolo train`, `yolo settings`, ...): what yoloport says
 * in one line instead of opening the workbench on a file named "train". */
static const struct {
    const char *name, *says;
} not_done[] = {
    {"train", "training is not done here: yoloport exports, predicts, validates and benchmarks trained models (`yolo train` trains them)"},
    {"track", "tracking is not done here: `yoloport predict` detects in images, `yolo track` follows objects across video frames"},
    {"settings", "there is no Ultralytics settings file here: yoloport's settings are in ~/.config/yoloport/config (see yoloport(1))"},
    {"cfg", "printing the Ultralytics default configuration is not done here (`yolo cfg` does)"},
    {"copy-cfg", "copying the Ultralytics default configuration is not done here (`yolo copy-cfg` does)"},
    {"solutions", "the Ultralytics solutions are not run here (`yolo solutions` runs them)"},
    {"hub", "Ultralytics HUB is not reached from here: yoloport works offline"},
    {"login", "Ultralytics HUB is not reached from here: yoloport works offline"},
    {"logout", "Ultralytics HUB is not reached from here: yoloport works offline"},
};

static const char *const peer_tasks[] = {"detect", "segment", "classify", "pose", "obb"};

static int run_verb(int argc, char **argv);

/* argv[0] is the mode: a verb of this build, `version`, or a mode yoloport does not do. */
static int run_mode(const char *mode, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(mode, verbs[i].name)) return verbs[i].run(argc, argv);
    if (!strcmp(mode, "version")) {
        printf("yoloport %s\n", YOLOPORT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof not_done / sizeof not_done[0]; i++)
        if (!strcmp(mode, not_done[i].name)) {
            fprintf(stderr, "yoloport: %s\n", not_done[i].says);
            return 2;
        }
    fprintf(stderr, "yoloport: mode '%s' is not one of yoloport's (info, export, predict, val, benchmark, checks, matrix)\n",
            mode);
    return 2;
}

/* `yolo TASK MODE ...` and `... mode=MODE ...` as the peer takes them; else the workbench. */
static int run_verb(int argc, char **argv)
{
    if (argc >= 1) {
        for (size_t i = 0; i < sizeof peer_tasks / sizeof peer_tasks[0]; i++)
            if (!strcmp(argv[0], peer_tasks[i]) && argc >= 2 && !strchr(argv[1], '=')) return run_mode(argv[1], argc - 2, argv + 2);
        const char *mode = argv[0];
        bool word = strchr(mode, '=') == NULL && strchr(mode, '.') == NULL && strchr(mode, '/') == NULL && mode[0] != '-';
        for (size_t i = 0; word && i < sizeof not_done / sizeof not_done[0]; i++)
            if (!strcmp(mode, not_done[i].name)) return run_mode(mode, argc - 1, argv + 1);
        if (word && (!strcmp(mode, "version"))) return run_mode(mode, argc - 1, argv + 1);
        for (size_t i = 0; word && i < sizeof verbs / sizeof verbs[0]; i++)
            if (!strcmp(mode, verbs[i].name)) return verbs[i].run(argc - 1, argv + 1);
    }
    for (int i = 0; i < argc; i++) /* mode=predict anywhere: that verb with the other words */
        if (!strncmp(argv[i], "mode=", 5)) {
            char mode[64];
            snprintf(mode, sizeof mode, "%s", argv[i] + 5);
            memmove(&argv[i], &argv[i + 1], sizeof *argv * (size_t)(argc - i));
            argc--;
            if (argc >= 1) /* a task word before it: dropped, as the peer reads it from the model */
                for (size_t k = 0; k < sizeof peer_tasks / sizeof peer_tasks[0]; k++)
                    if (!strcmp(argv[0], peer_tasks[k])) {
                        argv++;
                        argc--;
                        break;
                    }
            return run_mode(mode, argc, argv);
        }
    return tui_main(argc, argv);
}

/* `--max-memory SIZE` (or `--max-memory=SIZE`) anywhere on the line sets the memory budget
 * (engine/core/membudget.h) for every verb and the workbench; it is taken out of argv.
 * 0, or 2 after a message for a size that is not one. */
static int take_max_memory(int *argc, char **argv)
{
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = NULL;
        int used = 1;
        if (!strncmp(a, "--max-memory=", 13)) v = a + 13;
        else if (!strcmp(a, "--max-memory")) v = i + 1 < *argc ? argv[i + 1] : "", used = i + 1 < *argc ? 2 : 1;
        else continue;
        uint64_t bytes;
        if (!membudget_parse(v, &bytes)) {
            fprintf(stderr, "yoloport: --max-memory '%s' is not a size: use e.g. 512M, 4G or 50%% (at least 16M)\n", v);
            return 2;
        }
        membudget_set_limit(bytes);
        memmove(&argv[i], &argv[i + used], sizeof *argv * (size_t)(*argc - i - used + 1));
        *argc -= used;
        i--;
    }
    return 0;
}

static void print_help(FILE *out)
{
    fprintf(out, "yoloport %s - take trained YOLO models to their deployment formats\n\n", YOLOPORT_VERSION);
    fprintf(out, "usage:\n  yoloport [MODEL] [key=value ...] [--theme NAME] [--no-color]\n"
                 "      open the workbench (default model: the built-in yolov8n.yaml)\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  yoloport %s\n      %s\n", verbs[i].usage, verbs[i].help);
    fprintf(out, "  yoloport --version | --help\n");
    fprintf(out, "  --max-memory SIZE (with any of the above)\n      the memory a model may take (512M, 4G, 50%%; "
                 "default half of this machine's)\n\n");
    /* the lists come from the registry's table */
    char text[2048];
    snprintf(text, sizeof text, "MODEL is %s.  FMT is %s (this build writes them; every other format of the "
             "Ultralytics exporter is recognised and says why it is not available).  See yoloport(1).",
             registry_sources_text(), registry_writable_text());
    cli_wrap(out, "", text, 80);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    paths_share_dir(); /* resolve once, before any thread starts */
    if (take_max_memory(&argc, argv) != 0) return 2;
    if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("yoloport %s\n", YOLOPORT_VERSION);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--dump-formats")) { /* man/yoloport.1's format list */
        cli_formats_man(stdout);
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        print_help(stdout);
        return 0;
    }
    return run_verb(argc - 1, argv + 1);
}
