/* cli_val: `yoloport val model=M data=DATASET.yaml [imgsz=640 batch=1 conf=0.001 iou=0.7
 * max_det=300 split=val runtime= threads=] [--json]` -- the peer's val: its scanning line, its table
 * (Class, Images, Instances, Box(P, R, mAP50, mAP50-95), plus Mask or Pose columns), one line per
 * class, and its Speed line.  --json prints the figures as one JSON object (the peer's
 * results_dict keys) instead of the table.  Exit status: 0, 1 on a failure (the message names
 * the file), 2 on a usage error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "engine/runtime/runtime.h"
#include "engine/val/dataset.h"
#include "engine/val/val.h"
#include "tui/cli.h"
#include "tui/cli_args.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: yoloport val model=MODEL data=DATASET.yaml [key=value ...] [--json]\n");
    cli_wrap(out, "  MODEL  ", registry_sources_text(), 80);
    fprintf(out, "  keys   imgsz=640 batch=1 conf=0.001 iou=0.7 max_det=300 split=val (batch: images sharing a rect shape)\n"
                 "         runtime=auto|builtin|onnxruntime[:PATH] threads=N (default every core)\n"
                 "  --json the metrics as one JSON object\n"
                 "example: yoloport val model=yolov8n.pt data=coco8.yaml\n");
}

/* The figures as JSON, with the peer's results_dict keys. */
char *cli_val_json(const ValResult *r)
{
    json_object *o = json_object_new_object();
    const char *suffix[2] = {"B", r->kind2 && !strcmp(r->kind2, "Mask") ? "M" : "P"};
    for (int k = 0; k < r->n_kinds; k++) {
        char key[64];
        snprintf(key, sizeof key, "metrics/precision(%s)", suffix[k]);
        json_object_object_add(o, key, json_object_new_double(r->mp[k]));
        snprintf(key, sizeof key, "metrics/recall(%s)", suffix[k]);
        json_object_object_add(o, key, json_object_new_double(r->mr[k]));
        snprintf(key, sizeof key, "metrics/mAP50(%s)", suffix[k]);
        json_object_object_add(o, key, json_object_new_double(r->map50[k]));
        snprintf(key, sizeof key, "metrics/mAP50-95(%s)", suffix[k]);
        json_object_object_add(o, key, json_object_new_double(r->map[k]));
    }
    json_object_object_add(o, "images", json_object_new_int(r->seen));
    json_object_object_add(o, "instances", json_object_new_int(r->instances));
    json_object *classes = json_object_new_array();
    for (int i = 0; i < r->n_rows; i++) {
        const ValClassRow *row = &r->rows[i];
        json_object *c = json_object_new_object();
        json_object_object_add(c, "class", json_object_new_int(row->cls));
        json_object_object_add(c, "name", json_object_new_string(row->cls < r->nc ? r->names[row->cls] : "?"));
        json_object_object_add(c, "images", json_object_new_int(row->images));
        json_object_object_add(c, "instances", json_object_new_int(row->instances));
        json_object_object_add(c, "precision", json_object_new_double(row->p[0]));
        json_object_object_add(c, "recall", json_object_new_double(row->r[0]));
        json_object_object_add(c, "mAP50", json_object_new_double(row->ap50[0]));
        json_object_object_add(c, "mAP50-95", json_object_new_double(row->ap[0]));
        json_object_array_add(classes, c);
    }
    json_object_object_add(o, "classes", classes);
    json_object *speed = json_object_new_object();
    json_object_object_add(speed, "preprocess", json_object_new_double(r->ms_pre));
    json_object_object_add(speed, "inference", json_object_new_double(r->ms_inf));
    json_object_object_add(speed, "postprocess", json_object_new_double(r->ms_post));
    json_object_object_add(o, "speed", speed);
    char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

int cli_val(int argc, char **argv)
{
    if (argc == 0 || (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))) {
        usage(argc == 0 ? stderr : stdout);
        return argc == 0 ? 2 : 0;
    }
    static char model[CLI_ARG_STR], data[CLI_ARG_STR], split[CLI_ARG_STR], runtime[CLI_ARG_STR];
    model[0] = data[0] = runtime[0] = '\0';
    snprintf(split, sizeof split, "val");
    int imgsz[2] = {640, 640}, batch = 1, max_det = 300, threads = 0;
    double conf = 0.001, iou = 0.7;
    bool json = false, verbose = true;
    CliArg spec[] = {
        {"model", CA_STR, model, false},     {"data", CA_STR, data, false},       {"imgsz", CA_IMGSZ, imgsz, false},
        {"batch", CA_INT, &batch, false},    {"conf", CA_FRACTION, &conf, false}, {"iou", CA_FRACTION, &iou, false},
        {"max_det", CA_INT, &max_det, false}, {"split", CA_STR, split, false},    {"runtime", CA_STR, runtime, false},
        {"verbose", CA_BOOL, &verbose, false}, {"threads", CA_THREADS, &threads, false},
    };
    const char *flags[] = {"--json"};
    if (cli_args_parse(spec, (int)ARRAY_LEN(spec), flags, &json, 1, argc, argv, "val") != 0) return 2;
    if (!model[0]) {
        cli_printf(stderr, "yoloport val: no model given: add model=FILE (a .pt checkpoint, an .onnx file, ...)\n");
        return 2;
    }
    if (!data[0]) {
        cli_printf(stderr, "yoloport val: no dataset given: add data=DATASET.yaml (an Ultralytics dataset yaml)\n");
        return 2;
    }
    if (imgsz[0] != imgsz[1]) {
        cli_printf(stderr, "yoloport val: 'train' and 'val' imgsz must be an integer, while 'predict' and 'export' imgsz "
                        "may be a [h, w] list or an integer, i.e. 'yolo export imgsz=640,480' or 'yolo export imgsz=640'\n");
        return 2;
    }
    char err[2048];
    Dataset d;
    if (dataset_load(data, split, &d, err, sizeof err) != 0) {
        cli_printf(stderr, "yoloport val: %s\n", err);
        return 1;
    }
    FILE *log = json ? stderr : stdout;
    RuntimeOpenOptions ro = {.runtime = runtime, .threads = threads};
    RuntimeSession *s = runtime_open(model, &ro, err, sizeof err);
    if (!s) {
        cli_printf(stderr, "yoloport val: %s\n", err);
        dataset_free(&d);
        return 1;
    }
    if (ro.fallback[0]) cli_printf(log, "%s; running in the yoloport executor\n", ro.fallback);
    if (s->runtime != RUNTIME_BUILTIN) cli_printf(log, "Loading %s for %s inference...\n", model, s->label);
    const GraphMeta *m = s->model ? &s->model->meta : NULL;
    if (m && m->fused_summary.valid) {
        char p[32], g[32];
        cli_printf(log, "%s summary (fused): %lld layers, %s parameters, %s gradients, %.1f GFLOPs\n",
                m->model_name ? m->model_name : "Model", (long long)m->fused_summary.layers,
                str_thousands(p, sizeof p, m->fused_summary.parameters), str_thousands(g, sizeof g, m->fused_summary.gradients),
                m->fused_summary.gflops);
    }
    char *labels = dataset_label_path(d.images[0]);
    char *slash = strrchr(labels, '/');
    if (slash) *slash = '\0';
    ValOptions vo;
    val_defaults(&vo);
    vo.imgsz = imgsz[0];
    vo.batch = batch;
    vo.conf = (float)conf;
    vo.iou = (float)iou;
    vo.max_det = max_det;
    ValResult r;
    int status = 0;
    if (val_run(s, &d, &vo, &r, err, sizeof err) != 0) {
        cli_printf(stderr, "yoloport val: %s\n", err);
        status = 1;
    } else {
        cli_printf(log, "%s: Scanning %s... %d images, %d backgrounds, 0 corrupt\n", d.split, labels, r.seen, r.backgrounds);
        if (r.warnings[0]) cli_printf(log, "WARNING ⚠️ %s\n", r.warnings);
        if (json) {
            char *js = cli_val_json(&r);
            printf("%s\n", js);
            free(js);
        } else {
            char *table = val_table_text(&r, verbose);
            cli_printf(stdout, "%s", table);
            free(table);
        }
        cli_printf(log, "Speed: %.1fms preprocess, %.1fms inference, 0.0ms loss, %.1fms postprocess per image\n", r.ms_pre,
                r.ms_inf, r.ms_post);
        val_result_free(&r);
    }
    free(labels);
    runtime_close(s);
    dataset_free(&d);
    return status;
}
