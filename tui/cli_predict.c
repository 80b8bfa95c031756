/* cli_predict: `yoloport predict model=M source=IMAGE|FOLDER|GLOB [imgsz= conf= iou= max_det=
 * classes= agnostic_nms= save= project= name= exist_ok= runtime= threads=] [--json]` -- the peer's
 * predict, with its console lines ("image 1/1 /path/bus.jpg: 640x480 4 persons, 1 bus,
 * 35.2ms", then "Speed: ..."), one JSON object per image with --json (on stdout; the console
 * lines then go to stderr), and the annotated images where the peer saves them with save=True.
 * Exit status: 0, 1 when something failed (the message names the file), 2 on a usage error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/image.h"
#include "engine/core/util.h"
#include "engine/predict/annotate.h"
#include "engine/predict/predict.h"
#include "engine/predict/sources.h"
#include "engine/registry/registry.h"
#include "engine/runtime/runtime.h"
#include "tui/cli.h"
#include "tui/cli_args.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: yoloport predict model=MODEL source=IMAGE|FOLDER|GLOB [key=value ...] [--json]\n");
    cli_wrap(out, "  MODEL  ", registry_sources_text(), 80);
    fprintf(out, "  keys   imgsz=640 conf=0.25 iou=0.7 max_det=300 classes=0,2 agnostic_nms=False\n"
                 "         save=False project=runs/<task> name=predict exist_ok=False runtime=auto|builtin|onnxruntime[:PATH]\n"
                 "         threads=N (threads one image runs on; default every core)\n"
                 "  --json one JSON object per image on stdout\n"
                 "example: yoloport predict model=yolov8n.pt source=bus.jpg save=True\n");
}

static json_object *num(double v, const char *fmt)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return json_object_new_double_s(v, buf);
}

static json_object *result_json(const Predictor *p, const PredictResult *r, const char *path)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "image", json_object_new_string(path));
    json_object *shape = json_object_new_array();
    json_object_array_add(shape, json_object_new_int(r->img_h));
    json_object_array_add(shape, json_object_new_int(r->img_w));
    json_object_object_add(o, "shape", shape);
    if (r->task == TASK_CLASSIFY) {
        json_object *top = json_object_new_array();
        for (int k = 0; k < r->n_top; k++) {
            json_object *c = json_object_new_object();
            json_object_object_add(c, "class", json_object_new_int(r->top[k]));
            json_object_object_add(c, "name", json_object_new_string(predictor_class_name(p, r->top[k])));
            json_object_object_add(c, "conf", num(r->top_conf[k], "%.5f"));
            json_object_array_add(top, c);
        }
        json_object_object_add(o, "top5", top);
        return o;
    }
    json_object *dets = json_object_new_array();
    for (int i = 0; i < r->n; i++) {
        const PredictObject *ob = &r->obj[i];
        json_object *d = json_object_new_object();
        json_object_object_add(d, "class", json_object_new_int(ob->cls));
        json_object_object_add(d, "name", json_object_new_string(predictor_class_name(p, ob->cls)));
        json_object_object_add(d, "conf", num(ob->conf, "%.5f"));
        json_object *box = json_object_new_array();
        for (int k = 0; k < 4; k++) json_object_array_add(box, num(ob->box[k], "%.2f"));
        json_object_object_add(d, "box", box);
        if (r->task == TASK_OBB) {
            json_object *xywhr = json_object_new_array();
            for (int k = 0; k < 5; k++) json_object_array_add(xywhr, num(ob->rbox[k], k == 4 ? "%.5f" : "%.2f"));
            json_object_object_add(d, "xywhr", xywhr);
            json_object_object_add(d, "angle", num(ob->rbox[4], "%.5f"));
        }
        if (ob->poly) {
            json_object *poly = json_object_new_array();
            for (int k = 0; k < ob->n_poly; k++) {
                json_object *pt = json_object_new_array();
                json_object_array_add(pt, num(ob->poly[2 * k], "%.1f"));
                json_object_array_add(pt, num(ob->poly[2 * k + 1], "%.1f"));
                json_object_array_add(poly, pt);
            }
            json_object_object_add(d, "polygon", poly);
        }
        if (ob->kpts) {
            json_object *kp = json_object_new_array();
            for (int k = 0; k < r->nkpt; k++) {
                json_object *pt = json_object_new_array();
                for (int j = 0; j < r->kdim; j++)
                    json_object_array_add(pt, num(ob->kpts[k * r->kdim + j], j < 2 ? "%.2f" : "%.4f"));
                json_object_array_add(kp, pt);
            }
            json_object_object_add(d, "keypoints", kp);
        }
        json_object_array_add(dets, d);
    }
    json_object_object_add(o, "detections", dets);
    return o;
}

int cli_predict(int argc, char **argv)
{
    if (argc == 0 || (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))) {
        usage(argc == 0 ? stderr : stdout);
        return argc == 0 ? 2 : 0;
    }
    static char model[CLI_ARG_STR], source[CLI_ARG_STR], project[CLI_ARG_STR], name[CLI_ARG_STR],
        runtime[CLI_ARG_STR];
    model[0] = source[0] = project[0] = name[0] = runtime[0] = '\0';
    int imgsz[2] = {0, 0}, max_det = 300, threads = 0;
    double conf = 0.25, iou = 0.7;
    bool agnostic = false, save = false, exist_ok = false, json = false;
    CliInts classes = {.n = 0};
    CliArg spec[] = {
        {"model", CA_STR, model, false},      {"source", CA_STR, source, false},   {"imgsz", CA_IMGSZ, imgsz, false},
        {"conf", CA_FRACTION, &conf, false},  {"iou", CA_FRACTION, &iou, false},   {"max_det", CA_INT, &max_det, false},
        {"classes", CA_INTS, &classes, false}, {"agnostic_nms", CA_BOOL, &agnostic, false},
        {"save", CA_BOOL, &save, false},      {"project", CA_STR, project, false}, {"name", CA_STR, name, false},
        {"exist_ok", CA_BOOL, &exist_ok, false}, {"runtime", CA_STR, runtime, false},
        {"threads", CA_THREADS, &threads, false},
    };
    const char *flags[] = {"--json"};
    if (cli_args_parse(spec, (int)ARRAY_LEN(spec), flags, &json, 1, argc, argv, "predict") != 0) return 2;
    if (!model[0]) {
        cli_printf(stderr, "yoloport predict: no model given: add model=FILE (a .pt checkpoint, an .onnx file, ...)\n");
        return 2;
    }
    if (!source[0]) {
        cli_printf(stderr, "yoloport predict: no source given: add source=IMAGE, a folder of images or a pattern\n");
        return 2;
    }
    char err[2048];
    char **paths = NULL;
    int n_paths = 0;
    if (sources_list(source, &paths, &n_paths, err, sizeof err) != 0) {
        cli_printf(stderr, "yoloport predict: %s\n", err);
        return 1;
    }
    FILE *log = json ? stderr : stdout;
    RuntimeOpenOptions ro = {.runtime = runtime, .threads = threads};
    RuntimeSession *s = runtime_open(model, &ro, err, sizeof err);
    if (!s) {
        cli_printf(stderr, "yoloport predict: %s\n", err);
        sources_free(paths, n_paths);
        return 1;
    }
    if (ro.fallback[0]) cli_printf(log, "%s; running in the yoloport executor\n", ro.fallback);
    if (s->runtime != RUNTIME_BUILTIN) cli_printf(log, "Loading %s for %s inference...\n", model, s->label);
    PredictOptions po;
    predict_defaults(&po);
    po.conf = (float)conf;
    po.iou = (float)iou;
    po.max_det = max_det;
    po.agnostic = agnostic;
    po.imgsz[0] = imgsz[0], po.imgsz[1] = imgsz[1];
    po.n_classes = classes.n;
    memcpy(po.classes, classes.v, sizeof(int) * (size_t)classes.n);
    int status = 0;
    char *save_dir = NULL;
    Predictor *p = predictor_new(s, &po, err, sizeof err);
    if (!p) {
        cli_printf(stderr, "yoloport predict: %s: %s\n", model, err);
        status = 1;
        goto out;
    }
    if (save) {
        save_dir = sources_run_dir(project, name, predict_task_name(predictor_task(p)), "predict", exist_ok, err,
                                   sizeof err);
        if (!save_dir) {
            cli_printf(stderr, "yoloport predict: %s\n", err);
            status = 1;
            goto out;
        }
    }
    double t_pre = 0, t_inf = 0, t_post = 0;
    int seen = 0, last_h = 0, last_w = 0;
    for (int i = 0; i < n_paths; i++) {
        Image im;
        if (image_load(paths[i], &im, err, sizeof err) != 0) {
            cli_printf(stderr, "yoloport predict: %s\n", err);
            status = 1;
            break;
        }
        PredictResult r;
        if (predictor_run(p, &im, &r, err, sizeof err) != 0) {
            cli_printf(stderr, "yoloport predict: %s: %s\n", paths[i], err);
            image_free(&im);
            status = 1;
            break;
        }
        char summary[4096];
        predict_summary(p, &r, summary, sizeof summary);
        cli_printf(log, "image %d/%d %s: %dx%d %s%.1fms\n", i + 1, n_paths, paths[i], r.net_h, r.net_w, summary, r.ms_inf);
        fflush(log);
        if (json) {
            json_object *o = result_json(p, &r, paths[i]);
            printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
            fflush(stdout);
            json_object_put(o);
        }
        if (save_dir) {
            annotate_draw(&im, p, &r);
            const char *base = strrchr(paths[i], '/');
            char *out = xasprintf("%s/%s", save_dir, base ? base + 1 : paths[i]);
            if (annotate_save(&im, out, err, sizeof err) != 0) {
                cli_printf(stderr, "yoloport predict: %s\n", err);
                status = 1;
            }
            free(out);
        }
        t_pre += r.ms_pre, t_inf += r.ms_inf, t_post += r.ms_post;
        seen++;
        last_h = r.net_h, last_w = r.net_w;
        predict_result_free(&r);
        image_free(&im);
        if (status) break;
    }
    if (seen > 0)
        cli_printf(log, "Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image at shape (1, 3, %d, %d)\n",
                t_pre / seen, t_inf / seen, t_post / seen, last_h, last_w);
    if (save_dir && seen > 0) {
        char bold[4200];
        cli_printf(log, "Results saved to %s\n", report_colorstr(bold, sizeof bold, "bold", save_dir, cli_color_enabled(log)));
    }
out:
    free(save_dir);
    predictor_free(p);
    runtime_close(s);
    sources_free(paths, n_paths);
    return status;
}
