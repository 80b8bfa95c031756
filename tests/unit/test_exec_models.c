/* Whole-model parity: real YOLO graphs run by the executor on the peer's own input arrays
 * and compared with the peer's outputs (../shared/reference/peer).  The ONNX files are
 * the peer's exports of the same fused models, read through formats/onnx; the .pt
 * checkpoints go through model_load (formats/pt + the builder).  Targets: boxes within 0.05 px, class scores and
 * mask coefficients within 1e-3, protos within 1e-3. */
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/exec/exec.h"
#include "engine/core/image.h"
#include "engine/registry/model.h"
#include "engine/predict/postprocess.h"
#include "engine/core/npy.h"
#include "formats/onnx.h"
#include "formats/pt.h"
#include "tests/check.h"

/* model.c refers to pt_load weakly; from a static library the linker only pulls
 * formats/pt.o in for a strong reference, so make one here. */
void *volatile test_force_pt_link = (void *)pt_load;

typedef struct {
    double boxes, scores, protos;
    bool ok;
} Parity;

/* Run g on <peer>/<input>; compare output 0 (and output 1 when protos is set). */
static Parity run_parity(Graph *g, const char *input, const char *output, const char *protos)
{
    Parity p = {0};
    char err[512];
    NpyArray in = {0}, ref = {0}, pr = {0};
    Exec *e = NULL;
    float *rf = NULL, *pf = NULL;
    if (npy_read(shared_path(input), 0, &in, err, sizeof err) || npy_read(shared_path(output), 0, &ref, err, sizeof err)) {
        EXPECT_MSG(0, "%s", err);
        goto done;
    }
    e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) goto done;
    float *x = npy_to_f32(&in, err, sizeof err);
    int rc = exec_set_input(e, g->tensors[g->inputs[0]].name, x, in.dims, in.rank, err, sizeof err);
    free(x);
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) goto done;
    rc = exec_run(e, NULL, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) goto done;
    int64_t d[GRAPH_MAX_RANK];
    int rank;
    const float *y = exec_output(e, 0, d, &rank);
    EXPECT(y != NULL && rank == 3 && d[0] == ref.dims[0] && d[1] == ref.dims[1] && d[2] == ref.dims[2]);
    if (!y || rank != 3 || d[1] != ref.dims[1] || d[2] != ref.dims[2]) goto done;
    rf = npy_to_f32(&ref, err, sizeof err);
    for (int64_t c = 0; c < d[1]; c++)
        for (int64_t a = 0; a < d[2]; a++) {
            double df = fabs((double)y[c * d[2] + a] - rf[c * d[2] + a]);
            double *m = c < 4 ? &p.boxes : &p.scores;
            if (df > *m || df != df) *m = df != df ? INFINITY : df;
        }
    if (protos) {
        if (npy_read(shared_path(protos), 0, &pr, err, sizeof err)) {
            EXPECT_MSG(0, "%s", err);
            goto done;
        }
        const float *q = exec_output(e, 1, d, &rank);
        EXPECT(q != NULL && rank == pr.rank && d[1] == pr.dims[1] && d[2] == pr.dims[2] && d[3] == pr.dims[3]);
        if (!q || rank != pr.rank || d[1] != pr.dims[1] || d[2] != pr.dims[2] || d[3] != pr.dims[3]) goto done;
        pf = npy_to_f32(&pr, err, sizeof err);
        for (int64_t i = 0; i < pr.numel; i++) {
            double df = fabs((double)q[i] - pf[i]);
            if (df > p.protos || df != df) p.protos = df != df ? INFINITY : df;
        }
    }
    p.ok = true;
done:
    free(rf);
    free(pf);
    npy_free(&in);
    npy_free(&ref);
    npy_free(&pr);
    exec_free(e);
    return p;
}

static void check_parity(const char *what, Parity p, bool has_protos)
{
    if (!p.ok) return;
    printf("# %s: max |d| boxes %.4g px, scores %.3g%s", what, p.boxes, p.scores, has_protos ? "" : "\n");
    if (has_protos) printf(", protos %.3g\n", p.protos);
    EXPECT_MSG(p.boxes <= 0.05, "%s boxes off by %g px", what, p.boxes);
    EXPECT_MSG(p.scores <= 1e-3, "%s scores off by %g", what, p.scores);
    if (has_protos) EXPECT_MSG(p.protos <= 1e-3, "%s protos off by %g", what, p.protos);
}

static void test_peer_onnx_yolov8n(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512];
    Graph *g = onnx_read(shared_path("reference/peer/yolov8n.onnx"), err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    check_parity("yolov8n.onnx", run_parity(g, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8n.output.npy", NULL),
                 false);
    graph_free(g);
}

static void test_peer_onnx_yolo11n_seg(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512];
    Graph *g = onnx_read(shared_path("reference/peer/yolo11n-seg.onnx"), err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    check_parity("yolo11n-seg.onnx",
                 run_parity(g, "reference/peer/yolo11n-seg.input.npy", "reference/peer/yolo11n-seg.output.npy",
                            "reference/peer/yolo11n-seg.protos.npy"),
                 true);
    graph_free(g);
}

/* A checkpoint through model_load (the builder), fused as the peer's outputs were made,
 * or unfused (BatchNorm as its own op): the same numbers either way. */
static void pt_parity(const char *model, bool fuse, const char *input, const char *output, const char *protos)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512], what[128];
    LoadOptions lo = {.fuse = fuse};
    Graph *g = model_load(shared_path(model), &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    snprintf(what, sizeof what, "%s%s", model, fuse ? " (fused)" : " (unfused)");
    check_parity(what, run_parity(g, input, output, protos), protos != NULL);
    graph_free(g);
}

static void test_pt_yolov8n_fused(void)
{
    pt_parity("models/yolov8n.pt", true, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8n.output.npy", NULL);
}
static void test_pt_yolov8n_unfused(void)
{
    pt_parity("models/yolov8n.pt", false, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8n.output.npy", NULL);
}
static void test_pt_yolov8s_fused(void)
{
    pt_parity("models/yolov8s.pt", true, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8s.output.npy", NULL);
}
static void test_pt_yolo11n_seg_fused(void)
{
    pt_parity("models/yolo11n-seg.pt", true, "reference/peer/yolo11n-seg.input.npy",
              "reference/peer/yolo11n-seg.output.npy", "reference/peer/yolo11n-seg.protos.npy");
}

/* A dynamic graph (symbolic batch/height/width, anchors computed in the graph) gives the
 * same output at 640, and runs at other sizes and batches: two copies of the peer input in
 * one batch both match the peer's output; a 480x640 input yields 6300 anchors. */
static void test_pt_yolov8n_dynamic(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512];
    LoadOptions lo = {.fuse = true, .dynamic = true};
    Graph *g = model_load(shared_path("models/yolov8n.pt"), &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    check_parity("models/yolov8n.pt (dynamic)",
                 run_parity(g, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8n.output.npy", NULL), false);
    NpyArray in = {0}, ref = {0};
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (e && !npy_read(shared_path("reference/peer/yolov8n.input.npy"), 0, &in, err, sizeof err) &&
        !npy_read(shared_path("reference/peer/yolov8n.output.npy"), 0, &ref, err, sizeof err)) {
        const char *name = g->tensors[g->inputs[0]].name;
        size_t one = (size_t)in.numel;
        float *x2 = malloc(2 * one * sizeof(float));
        memcpy(x2, in.data, one * sizeof(float));
        memcpy(x2 + one, in.data, one * sizeof(float));
        int64_t d2[4] = {2, 3, 640, 640}, od[GRAPH_MAX_RANK];
        int rank;
        EXPECT_MSG(exec_set_input(e, name, x2, d2, 4, err, sizeof err) == 0 && exec_run(e, NULL, err, sizeof err) == 0,
                   "%s", err);
        const float *y = exec_output(e, 0, od, &rank);
        EXPECT(y && rank == 3 && od[0] == 2 && od[1] == 84 && od[2] == 8400);
        double m = 0;
        for (int64_t b = 0; y && b < 2; b++)
            for (int64_t i = 0; i < ref.numel; i++)
                m = fmax(m, fabs((double)y[b * ref.numel + i] - ((float *)ref.data)[i]));
        printf("# batch of 2: max |d| %.3g over both images\n", m);
        EXPECT(m <= 0.05);
        int64_t d3[4] = {1, 3, 480, 640};
        EXPECT_MSG(exec_set_input(e, name, x2, d3, 4, err, sizeof err) == 0 && exec_run(e, NULL, err, sizeof err) == 0,
                   "%s", err);
        y = exec_output(e, 0, od, &rank);
        EXPECT(y && rank == 3 && od[0] == 1 && od[1] == 84 && od[2] == 6300);
        free(x2);
    }
    npy_free(&in);
    npy_free(&ref);
    exec_free(e);
    graph_free(g);
}

/* Output 0 of g for the first h rows of x (1 x 3 x 640 x 640): NULL on failure, else a copy
 * (numel in *n). */
static float *run_rows(Graph *g, const float *x, int h, int64_t *n)
{
    char err[512];
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    float *xr = malloc(sizeof(float) * 3 * (size_t)h * 640);
    for (int c = 0; c < 3; c++) memcpy(xr + (size_t)c * h * 640, x + (size_t)c * 640 * 640, sizeof(float) * (size_t)h * 640);
    int64_t d[4] = {1, 3, h, 640}, od[GRAPH_MAX_RANK];
    int rank;
    float *copy = NULL;
    if (exec_set_input(e, g->tensors[g->inputs[0]].name, xr, d, 4, err, sizeof err) == 0 &&
        exec_run(e, NULL, err, sizeof err) == 0) {
        const float *y = exec_output(e, 0, od, &rank);
        *n = 1;
        for (int i = 0; i < rank; i++) *n *= od[i];
        copy = malloc(sizeof(float) * (size_t)*n);
        memcpy(copy, y, sizeof(float) * (size_t)*n);
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    free(xr);
    exec_free(e);
    return copy;
}

/* dynamic_hw_only (the dynamic export of formats without shape arithmetic): the batch stays
 * 1, no node reads a shape (the anchors come from CumSum over the feature maps), and the
 * graph gives the peer's output at 640 and the ONNX-style dynamic graph's output at 480x640. */
static void test_pt_yolov8n_dynamic_hw_only(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512];
    LoadOptions lo = {.fuse = true, .dynamic = true, .dynamic_hw_only = true};
    Graph *g = model_load(shared_path("models/yolov8n.pt"), &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    LoadOptions ld = {.fuse = true, .dynamic = true};
    Graph *gd = model_load(shared_path("models/yolov8n.pt"), &ld, err, sizeof err);
    EXPECT_MSG(gd != NULL, "%s", err);
    if (!g || !gd) goto out;
    const Tensor *in = &g->tensors[g->inputs[0]];
    EXPECT(in->dims[0] == 1 && in->dims[2] < 0 && in->dims[3] < 0);
    int shape_ops = 0, cumsums = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        OpKind op = g->nodes[i].op;
        shape_ops += op == OP_SHAPE || op == OP_GATHER || op == OP_RANGE || op == OP_EXPAND;
        cumsums += op == OP_CUMSUM;
    }
    EXPECT(shape_ops == 0 && cumsums == 6);
    check_parity("models/yolov8n.pt (dynamic_hw_only)",
                 run_parity(g, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8n.output.npy", NULL), false);
    NpyArray x = {0};
    if (npy_read(shared_path("reference/peer/yolov8n.input.npy"), 0, &x, err, sizeof err) == 0) {
        int64_t n1 = 0, n2 = 0;
        float *a = run_rows(g, x.data, 480, &n1), *b = run_rows(gd, x.data, 480, &n2);
        EXPECT(a && b && n1 == 84 * 6300 && n2 == n1);
        double m = 0;
        for (int64_t i = 0; a && b && i < n1 && n1 == n2; i++) m = fmax(m, fabs((double)a[i] - b[i]));
        printf("# 480x640: max |d| %.3g against the dynamic graph\n", m);
        EXPECT(m <= 1e-3);
        free(a);
        free(b);
    }
    npy_free(&x);
out:
    graph_free(g);
    graph_free(gd);
}

/* Run a fused model on x (1 x 3 x h x w), decode, map to img_h x img_w and compare
 * with the peer's predictions.json entry (rounded there to 4 decimals for scores, 2 for
 * pixels). */
static void check_predict(const char *model, const char *key, const float *x, int h, int w, int img_h, int img_w,
                          int extra, bool exact)
{
    char err[512], mrel[128];
    snprintf(mrel, sizeof mrel, "models/%s", model);
    /* built for this input size, as the peer's PyTorch model adapts its anchors to it */
    LoadOptions lo = {.fuse = true, .imgsz = {h, w}};
    Graph *g = model_load(shared_path(mrel), &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    Exec *e = g ? exec_new(g, err, sizeof err) : NULL;
    int64_t d[4] = {1, 3, h, w}, od[GRAPH_MAX_RANK];
    int rank, n = 0;
    Detection *det = NULL;
    if (e && x && exec_set_input(e, g->tensors[g->inputs[0]].name, x, d, 4, err, sizeof err) == 0 &&
        exec_run(e, NULL, err, sizeof err) == 0) {
        const float *y = exec_output(e, 0, od, &rank);
        PostOptions o;
        post_defaults(&o);
        o.extra = extra;
        EXPECT(post_detect(y, od[1], od[2], &o, &det, &n, err, sizeof err) == 0);
        if (extra == 32) {
            /* masks: each non-empty, inside its box (the peer's crop is done on the 4-px prototype grid
             * and the upsample spreads it by a few pixels), filling a plausible share */
            int64_t pd[GRAPH_MAX_RANK];
            int pr;
            const float *protos = exec_output(e, 1, pd, &pr);
            EXPECT(protos && pr == 4 && pd[1] == 32);
            unsigned char *m = protos ? post_masks(y, od[1], od[2], (int)od[1] - 4 - 32, det, n, protos, 32, (int)pd[2],
                                                   (int)pd[3], h, w, err, sizeof err)
                                      : NULL;
            EXPECT_MSG(m != NULL, "%s", err);
            for (int k = 0; m && k < n; k++) {
                long in_box = 0, total = 0;
                for (int yy = 0; yy < h; yy++)
                    for (int xx = 0; xx < w; xx++)
                        if (m[(size_t)k * h * w + (size_t)yy * w + xx]) {
                            total++;
                            in_box += xx >= det[k].x1 - 8 && xx <= det[k].x2 + 8 && yy >= det[k].y1 - 8 && yy <= det[k].y2 + 8;
                        }
                double box_area = (double)(det[k].x2 - det[k].x1) * (det[k].y2 - det[k].y1);
                printf("# mask %d (class %d): %ld px, %.2f of its box\n", k, det[k].cls, total, total / box_area);
                EXPECT(total > 0 && in_box == total && total / box_area > 0.1 && total / box_area < 1.0);
            }
            free(m);
        }
        post_scale_boxes(det, n, h, w, img_h, img_w);
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    json_object *root = json_object_from_file(shared_path("reference/peer/predictions.json")), *list = NULL;
    EXPECT(root && json_object_object_get_ex(root, key, &list));
    double dbox = 0, dconf = 0, min_iou = 1;
    if (list) {
        EXPECT_EQ_INT(n, (int)json_object_array_length(list));
        for (int i = 0; i < n && i < (int)json_object_array_length(list); i++) {
            json_object *p = json_object_array_get_idx(list, i), *v;
            json_object_object_get_ex(p, "cls", &v);
            EXPECT_EQ_INT(det[i].cls, json_object_get_int(v));
            json_object_object_get_ex(p, "conf", &v);
            dconf = fmax(dconf, fabs(det[i].conf - json_object_get_double(v)));
            json_object_object_get_ex(p, "xyxy", &v);
            float b[4] = {det[i].x1, det[i].y1, det[i].x2, det[i].y2};
            float p4[4];
            for (int k = 0; k < 4; k++) {
                p4[k] = (float)json_object_get_double(json_object_array_get_idx(v, k));
                dbox = fmax(dbox, fabs(b[k] - p4[k]));
            }
            double iw = fmin(b[2], p4[2]) - fmax(b[0], p4[0]), ih = fmin(b[3], p4[3]) - fmax(b[1], p4[1]);
            double inter = iw > 0 && ih > 0 ? iw * ih : 0;
            double uni = (b[2] - b[0]) * (b[3] - b[1]) + (p4[2] - p4[0]) * (p4[3] - p4[1]) - inter;
            min_iou = fmin(min_iou, uni > 0 ? inter / uni : 0);
        }
    }
    printf("# %s: %d detections, max |d| boxes %.3g px, conf %.3g (after the peer's rounding), min IoU %.3f\n", key,
           n, dbox, dconf, min_iou);
    if (exact) {
        EXPECT(dbox <= 0.05 + 0.005);
        EXPECT(dconf <= 1e-3 + 5e-5);
    } else {
        /* another encoding of the peer's picture: the same objects, boxes and scores that
         * move with the pixels */
        EXPECT(min_iou >= 0.9);
        EXPECT(dconf <= 0.1);
    }
    json_object_put(root);
    free(det);
    exec_free(e);
    graph_free(g);
}

/* The peer's predict input rebuilt from its square export input: the rect letterbox of
 * the same image is a band of the square one (bus.jpg 810x1080: columns 80..559, no
 * padding; zidane.jpg 1280x720: rows 128..511, 12 rows of padding each side), with the
 * same pixels since both come from the same resize. */
static void predict_from_square(const char *model, const char *image, const char *npy, int top, int left, int h,
                                int w, int img_h, int img_w, int extra)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512], key[256];
    NpyArray in;
    EXPECT_MSG(npy_read(shared_path(npy), 0, &in, err, sizeof err) == 0, "%s", err);
    if (!in.data) return;
    float *x = malloc(sizeof(float) * 3 * (size_t)h * (size_t)w);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            memcpy(x + ((size_t)c * h + y) * w, (float *)in.data + ((size_t)c * 640 + y + top) * 640 + left,
                   sizeof(float) * (size_t)w);
    snprintf(key, sizeof key, "%s|images/%s", model, image);
    check_predict(model, key, x, h, w, img_h, img_w, extra, true);
    free(x);
    npy_free(&in);
}

static void test_predict_yolov8n_bus(void)
{
    predict_from_square("yolov8n.pt", "bus.jpg", "reference/peer/yolov8n.input.npy", 0, 80, 640, 480, 1080, 810, 0);
}
static void test_predict_yolov8s_bus(void)
{
    predict_from_square("yolov8s.pt", "bus.jpg", "reference/peer/yolov8n.input.npy", 0, 80, 640, 480, 1080, 810, 0);
}
static void test_predict_yolov8n_zidane(void)
{
    predict_from_square("yolov8n.pt", "zidane.jpg", "reference/peer/yolo11n-seg.input.npy", 128, 0, 384, 640, 720, 1280,
                        0);
}
static void test_predict_yolo11n_seg_zidane(void)
{
    predict_from_square("yolo11n-seg.pt", "zidane.jpg", "reference/peer/yolo11n-seg.input.npy", 128, 0, 384, 640, 720,
                        1280, 32);
}

/* Does the square letterbox of im reproduce the peer's input npy?  Decoders differ by a
 * level on a few pixels, never on average; a mean over a quarter level means the JPEG is
 * another encoding of the peer's picture. */
static bool image_is_peers(const Image *im, const char *npy, double *mean_levels)
{
    char err[256];
    NpyArray ref;
    Letterbox lb;
    *mean_levels = -1;
    if (npy_read(shared_path(npy), 0, &ref, err, sizeof err)) return false;
    float *t = image_letterbox(im, 640, 640, false, 32, true, &lb, err, sizeof err);
    if (t && ref.numel == 3 * 640 * 640) {
        double sum = 0;
        for (int64_t i = 0; i < ref.numel; i++) sum += fabs((double)t[i] - ((float *)ref.data)[i]);
        *mean_levels = sum / (double)ref.numel * 255;
    }
    free(t);
    npy_free(&ref);
    return *mean_levels >= 0 && *mean_levels <= 0.25;
}

/* From the image file itself, when the peer's images are in ../shared/data/images. */
static void predict_from_image(const char *model, const char *image, const char *npy, int extra)
{
    char rel[128], key[256], err[512];
    snprintf(rel, sizeof rel, "data/images/%s", image);
    if (!shared_dir() || !file_exists(shared_path(rel))) {
        SKIP("%s is not in ../shared", rel);
        return;
    }
    Image im;
    EXPECT_MSG(image_load(shared_path(rel), &im, err, sizeof err) == 0, "%s", err);
    Letterbox lb;
    float *x = image_letterbox(&im, 640, 640, true, 32, true, &lb, err, sizeof err);
    snprintf(key, sizeof key, "%s|images/%s", model, image);
    double mean_levels;
    bool exact = image_is_peers(&im, npy, &mean_levels);
    if (x) check_predict(model, key, x, lb.net_h, lb.net_w, im.h, im.w, extra, exact);
    if (!exact)
        SKIP("../shared/%s is another encoding of the image the peer predicted on (mean |diff| %.2f levels): "
             "checked at IoU >= 0.9, conf within 0.1 instead of exactly", rel, mean_levels);
    free(x);
    image_free(&im);
}

static void test_predict_yolov8n_zidane_image(void)
{
    predict_from_image("yolov8n.pt", "zidane.jpg", "reference/peer/yolo11n-seg.input.npy", 0);
}
static void test_predict_yolov8n_bus_image(void)
{
    predict_from_image("yolov8n.pt", "bus.jpg", "reference/peer/yolov8n.input.npy", 0);
}

int main(void)
{
    RUN(test_predict_yolov8n_bus);
    RUN(test_predict_yolov8s_bus);
    RUN(test_predict_yolov8n_zidane);
    RUN(test_predict_yolo11n_seg_zidane);
    RUN(test_predict_yolov8n_bus_image);
    RUN(test_predict_yolov8n_zidane_image);
    RUN(test_pt_yolov8n_dynamic);
    RUN(test_pt_yolov8n_dynamic_hw_only);
    RUN(test_pt_yolov8n_fused);
    RUN(test_pt_yolov8n_unfused);
    RUN(test_pt_yolov8s_fused);
    RUN(test_pt_yolo11n_seg_fused);
    RUN(test_peer_onnx_yolov8n);
    RUN(test_peer_onnx_yolo11n_seg);
    return check_done();
}
