/* Detect-output decoding: confidence filter, best class, class-aware and agnostic NMS,
 * max_det, mapping back through the letterbox; and the peer's real outputs against its
 * predictions. */
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "engine/core/npy.h"
#include "engine/predict/postprocess.h"
#include "tests/check.h"

#define A 6
/* channels: cx, cy, w, h, 3 class scores, 1 extra */
static void put(float *p, int a, float cx, float cy, float w, float h, float s0, float s1, float s2)
{
    float v[8] = {cx, cy, w, h, s0, s1, s2, (float)a};
    for (int c = 0; c < 8; c++) p[c * A + a] = v[c];
}

static void synthetic(float *p)
{
    memset(p, 0, sizeof(float) * 8 * A);
    put(p, 0, 50, 50, 20, 20, 0.9f, 0.1f, 0.0f);   /* class 0 */
    put(p, 1, 52, 50, 20, 20, 0.8f, 0.2f, 0.0f);   /* class 0, IoU with 0 = 18*20/(800-360) = 0.818 */
    put(p, 2, 51, 50, 20, 20, 0.1f, 0.7f, 0.0f);   /* class 1, overlaps 0 */
    put(p, 3, 200, 200, 10, 10, 0.0f, 0.0f, 0.25f); /* score == conf: dropped (strict >) */
    put(p, 4, 300, 100, 40, 20, 0.3f, 0.0f, 0.6f); /* class 2, alone */
    put(p, 5, 60, 50, 20, 20, 0.5f, 0.5f, 0.0f);   /* tie: first maximum wins (class 0); IoU with 0 = 10/30 */
}

static void test_decode_and_nms(void)
{
    float p[8 * A];
    synthetic(p);
    PostOptions o;
    post_defaults(&o);
    o.extra = 1;
    Detection *d;
    int n;
    char err[256];
    EXPECT(post_detect(p, 8, A, &o, &d, &n, err, sizeof err) == 0);
    /* class-aware, IoU 0.7: 0 kept, 1 suppressed by 0 (0.818), 2 kept (other class), 4 kept,
     * 5 kept (IoU 0.333); order by score: 0 (.9), 2 (.7), 4 (.6), 5 (.5) */
    EXPECT_EQ_INT(n, 4);
    int64_t want[4] = {0, 2, 4, 5};
    int cls[4] = {0, 1, 2, 0};
    for (int i = 0; i < n && i < 4; i++) {
        EXPECT_EQ_INT(d[i].anchor, want[i]);
        EXPECT_EQ_INT(d[i].cls, cls[i]);
    }
    EXPECT_NEAR(d[0].x1, 40, 0);
    EXPECT_NEAR(d[0].y2, 60, 0);
    EXPECT_NEAR(d[2].x1, 280, 0);
    EXPECT_NEAR(d[2].y1, 90, 0);
    free(d);
    /* agnostic: 2 is suppressed by 0 too (IoU 19*20/(800-380) = 0.905) */
    o.agnostic = true;
    EXPECT(post_detect(p, 8, A, &o, &d, &n, err, sizeof err) == 0);
    EXPECT_EQ_INT(n, 3);
    if (n == 3) EXPECT(d[0].anchor == 0 && d[1].anchor == 4 && d[2].anchor == 5);
    free(d);
    /* IoU threshold 0.85: 1 survives (0.818 is not above it); max_det 2 keeps the best two */
    o.agnostic = false;
    o.iou = 0.85f;
    EXPECT(post_detect(p, 8, A, &o, &d, &n, err, sizeof err) == 0);
    EXPECT_EQ_INT(n, 5);
    free(d);
    o.max_det = 2;
    EXPECT(post_detect(p, 8, A, &o, &d, &n, err, sizeof err) == 0);
    EXPECT_EQ_INT(n, 2);
    if (n == 2) EXPECT(d[0].anchor == 0 && d[1].anchor == 1);
    free(d);
    /* channel count that does not fit */
    o.extra = 5;
    EXPECT(post_detect(p, 8, A, &o, &d, &n, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "channels");
}

static void test_scale_boxes(void)
{
    /* 810x1080 (w x h) into 640x640: gain 640/1080, scaled 480x640, pad_x = round(80 - 0.1) = 80 */
    Detection d[2] = {{.x1 = 80, .y1 = 0, .x2 = 560, .y2 = 640, .conf = 0.9f, .cls = 0, .anchor = 0},
                      {.x1 = 0, .y1 = 100, .x2 = 700, .y2 = 700, .conf = 0.5f, .cls = 1, .anchor = 1}};
    post_scale_boxes(d, 2, 640, 640, 1080, 810);
    EXPECT_NEAR(d[0].x1, 0, 1e-4);
    EXPECT_NEAR(d[0].y1, 0, 1e-4);
    EXPECT_NEAR(d[0].x2, 810, 1e-3);
    EXPECT_NEAR(d[0].y2, 1080, 1e-3);
    /* clipped to the image: x1 = -80/gain -> 0; y1 = 100 * 1.6875 = 168.75; x2, y2 clipped */
    EXPECT_NEAR(d[1].x1, 0, 0);
    EXPECT_NEAR(d[1].y1, 168.75, 1e-3);
    EXPECT_NEAR(d[1].x2, 810, 0);
    EXPECT_NEAR(d[1].y2, 1080, 0);
}

/* The peer's output for the square 640 letterbox, decoded, against its predict results
 * (made from the rect 480x640 / 384x640 letterbox, so boxes and scores differ a little):
 * every peer detection above 0.4 must have one of ours of the same class with IoU >= 0.8
 * and a score within 0.08.  Measured: worst IoU 0.850 (yolov8s, the bus, whose box edges
 * move most with the extra 160 columns of padding), worst score difference 0.058 (yolov8n,
 * a person: 0.825 for the peer, 0.883 here). */
static void compare_with_predictions(const char *npy, const char *key, int img_h, int img_w, int extra)
{
    char err[256];
    NpyArray a;
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    EXPECT_MSG(npy_read(shared_path(npy), 0, &a, err, sizeof err) == 0, "%s", err);
    if (!a.data) return;
    PostOptions o;
    post_defaults(&o);
    o.extra = extra;
    Detection *d;
    int n;
    EXPECT(post_detect(a.data, a.dims[1], a.dims[2], &o, &d, &n, err, sizeof err) == 0);
    post_scale_boxes(d, n, 640, 640, img_h, img_w);
    json_object *root = json_object_from_file(shared_path("reference/peer/predictions.json")), *list;
    EXPECT(root && json_object_object_get_ex(root, key, &list));
    int checked = 0;
    float worst_iou = 1, worst_conf = 0;
    for (size_t i = 0; root && list && i < json_object_array_length(list); i++) {
        json_object *p = json_object_array_get_idx(list, i), *v;
        json_object_object_get_ex(p, "conf", &v);
        double conf = json_object_get_double(v);
        if (conf < 0.4) continue;
        json_object_object_get_ex(p, "cls", &v);
        int cls = json_object_get_int(v);
        json_object_object_get_ex(p, "xyxy", &v);
        Detection ref = {(float)json_object_get_double(json_object_array_get_idx(v, 0)),
                         (float)json_object_get_double(json_object_array_get_idx(v, 1)),
                         (float)json_object_get_double(json_object_array_get_idx(v, 2)),
                         (float)json_object_get_double(json_object_array_get_idx(v, 3)), (float)conf, cls, 0, {0}};
        float best = 0, dconf = 1;
        for (int k = 0; k < n; k++)
            if (d[k].cls == cls && post_iou(&d[k], &ref) > best) {
                best = post_iou(&d[k], &ref);
                dconf = fabsf(d[k].conf - ref.conf);
            }
        EXPECT_MSG(best >= 0.8f && dconf <= 0.08f, "%s: peer detection %zu (class %d, %.3f): best IoU %.3f, conf diff %.3f",
                   key, i, cls, conf, best, dconf);
        worst_iou = fminf(worst_iou, best);
        worst_conf = fmaxf(worst_conf, dconf);
        checked++;
    }
    printf("# %s: %d peer detections matched, worst IoU %.3f, worst conf diff %.3f\n", key, checked, worst_iou, worst_conf);
    EXPECT(checked >= 3);
    json_object_put(root);
    free(d);
    npy_free(&a);
}

static void test_peer_yolov8n_bus(void)
{
    compare_with_predictions("reference/peer/yolov8n.output.npy", "yolov8n.pt|images/bus.jpg", 1080, 810, 0);
}
static void test_peer_yolov8s_bus(void)
{
    compare_with_predictions("reference/peer/yolov8s.output.npy", "yolov8s.pt|images/bus.jpg", 1080, 810, 0);
}
static void test_peer_yolo11n_seg_zidane(void)
{
    compare_with_predictions("reference/peer/yolo11n-seg.output.npy", "yolo11n-seg.pt|images/zidane.jpg", 720, 1280, 32);
}

/* Masks: one class, 2 prototypes of 160x160 for a 640x640 input.  Prototype 0 is 1
 * everywhere, prototype 1 is 0; the detection's coefficients are (2, 5), so its logits are 2
 * inside the crop.  Box [0, 0, 320, 320] crops prototype cells 0..79; the bilinear
 * upsample (source (x + 0.5) / 4 - 0.5) stays positive up to source 80 (exclusive), i.e.
 * output pixels 0..321: a 322 x 322 square. */
static void test_masks(void)
{
    enum { NC = 1, NM = 2, AN = 3 };
    float pred[(4 + NC + NM) * AN] = {0};
    pred[(4 + NC) * AN + 1] = 2; /* anchor 1 coefficients */
    pred[(4 + NC + 1) * AN + 1] = 5;
    float *protos = calloc(2 * 160 * 160, sizeof(float));
    for (int i = 0; i < 160 * 160; i++) protos[i] = 1;
    Detection d = {.x1 = 0, .y1 = 0, .x2 = 320, .y2 = 320, .conf = 0.9f, .cls = 0, .anchor = 1};
    char err[256];
    unsigned char *m = post_masks(pred, 4 + NC + NM, AN, NC, &d, 1, protos, NM, 160, 160, 640, 640, err, sizeof err);
    EXPECT_MSG(m != NULL, "%s", err);
    long area = 0, outside = 0;
    for (int y = 0; m && y < 640; y++)
        for (int x = 0; x < 640; x++) {
            area += m[y * 640 + x];
            if (m[y * 640 + x] && (x > 321 || y > 321)) outside++;
        }
    EXPECT_EQ_INT(area, 322 * 322);
    EXPECT_EQ_INT(outside, 0);
    free(m);
    /* sizes that do not fit: a message */
    EXPECT(post_masks(pred, 4 + NC + NM, AN, NC, &d, 1, protos, 40, 160, 160, 640, 640, err, sizeof err) == NULL);
    free(protos);
}

int main(void)
{
    RUN(test_masks);
    RUN(test_decode_and_nms);
    RUN(test_scale_boxes);
    RUN(test_peer_yolov8n_bus);
    RUN(test_peer_yolov8s_bus);
    RUN(test_peer_yolo11n_seg_zidane);
    return check_done();
}
