/* val: the peer's metrics (compute_ap, matching, ap_per_class) on hand-made cases, the dataset
 * yaml and label readers (and their refusals of bad files), and val of yolov8n.pt on
 * ../shared/data/coco8.yaml against the peer's figures (P 0.865, R 0.893, mAP50 0.921,
 * mAP50-95 0.638), plus a segment val on a dataset made from the peer's own masks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine/core/util.h"
#include "engine/runtime/runtime.h"
#include "engine/val/dataset.h"
#include "engine/val/metrics.h"
#include "engine/val/val.h"
#include "formats/pt.h"
#include "tests/check.h"

/* model.c refers to pt_load weakly: a strong reference pulls formats/pt.o from the archive */
void *volatile test_force_pt_link = (void *)pt_load;

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    for (char *p = path + strlen(tmpdir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0777);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_compute_ap(void)
{
    /* one correct detection of two targets: envelope 1 up to recall 0.5, then a straight line to 0 */
    double r1[] = {0.5}, p1[] = {1.0};
    EXPECT_NEAR(metrics_compute_ap(r1, p1, 1), 0.75, 1e-9);
    /* every target found at full precision: the peer's 0.995 (the last step falls to the sentinel) */
    double r2[] = {0.5, 1.0}, p2[] = {1.0, 1.0};
    EXPECT_NEAR(metrics_compute_ap(r2, p2, 2), 0.995, 1e-9);
    /* a false positive first: precision 0 then 0.5; the envelope keeps 0.5 up to recall 1 */
    double r3[] = {0.0, 1.0}, p3[] = {0.0, 0.5};
    EXPECT_NEAR(metrics_compute_ap(r3, p3, 2), 0.5 * 0.99 + 0.5 * 0.01 * 0.5, 1e-9);
}

static void test_match(void)
{
    /* two targets, three predictions: p0 overlaps t0 at 0.6 and t1 at 0.9; p1 overlaps t1 at 0.7 */
    float iou[2 * 3] = {0.6f, 0.0f, 0.0f, 0.9f, 0.7f, 0.0f};
    unsigned char c[3 * METRICS_NT];
    metrics_match(iou, 2, 3, c);
    /* at 0.5: p0 takes t1 (its best), p1 then has t1 taken -> the peer's unique() rule keeps the
     * lowest prediction per target, so p1 is not correct; p0 correct */
    EXPECT(c[0 * METRICS_NT + 0] == 1);
    EXPECT(c[1 * METRICS_NT + 0] == 0);
    EXPECT(c[2 * METRICS_NT + 0] == 0);
    /* at 0.95 nothing matches */
    EXPECT(c[0 * METRICS_NT + 9] == 0);
    float a[4] = {0, 0, 10, 10}, b[4] = {5, 0, 15, 10};
    EXPECT_NEAR(metrics_box_iou(a, b), 50.0 / 150.0, 1e-6);
    EXPECT_NEAR(metrics_iou_threshold(0), 0.5, 1e-7);
    EXPECT_NEAR(metrics_iou_threshold(9), 0.95, 1e-6);
}

static void test_ap_per_class(void)
{
    /* class 0: 2 targets, predictions TP (0.9), FP (0.8), TP (0.7); class 1: 1 target, no prediction */
    unsigned char tp[3 * METRICS_NT] = {0};
    for (int t = 0; t < METRICS_NT; t++) tp[0 * METRICS_NT + t] = 1, tp[2 * METRICS_NT + t] = 1;
    float conf[3] = {0.9f, 0.8f, 0.7f};
    int pcls[3] = {0, 0, 0}, tcls[3] = {0, 0, 1};
    ApResult r;
    EXPECT(metrics_ap_per_class(tp, conf, pcls, 3, tcls, 3, &r) == 0);
    EXPECT_EQ_INT(r.n, 2);
    if (r.n == 2) {
        EXPECT_EQ_INT(r.classes[0], 0);
        /* recall 0.5, 0.5, 1; precision 1, 0.5, 0.667: envelope 1 to 0.5, 0.667 to 1 */
        double ap0 = r.ap[0];
        EXPECT(ap0 > 0.8 && ap0 < 0.85);
        EXPECT_NEAR(r.ap[METRICS_NT], 0, 0); /* class 1: never predicted */
        EXPECT_NEAR(r.map50, ap0 / 2, 1e-12);
    }
    metrics_ap_free(&r);
    float g[6] = {10, 10, 2, 20, 20, 2}, p[6] = {10, 10, 0.9f, 20, 20, 0.9f};
    EXPECT_NEAR(metrics_oks(g, 3, p, 3, 2, 100), 1.0, 1e-5);
}

static void test_dataset_yaml(void)
{
    char err[1024], yaml[512];
    write_file("ds/images/val/a.jpg", "x");
    write_file("ds/images/val/sub/b.png", "x");
    write_file("ds/images/val/notes.txt", "x");
    write_file("ds/labels/val/a.txt", "0 0.5 0.5 0.2 0.2\n\n1 0.1 0.1 0.3 0.1 0.3 0.3\n0 0.5 0.5 0.2 0.2\n");
    write_file("ds/d.yaml", "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n");
    snprintf(yaml, sizeof yaml, "%s/ds/d.yaml", tmpdir);
    /* a link back up the tree is not walked (each image once, no endless descent) */
    char loop[600];
    snprintf(loop, sizeof loop, "%s/ds/images/val/sub/up", tmpdir);
    EXPECT(symlink("..", loop) == 0);
    Dataset d;
    EXPECT_MSG(dataset_load(yaml, "val", &d, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(d.nc, 2);
    EXPECT_EQ_INT(d.n_images, 2);
    if (d.nc == 2) EXPECT_EQ_STR(d.names[1], "dog");
    if (d.n_images == 2) {
        EXPECT(strstr(d.images[0], "/ds/images/val/a.jpg") != NULL);
        char *lp = dataset_label_path(d.images[1]);
        EXPECT(strstr(lp, "/ds/labels/val/sub/b.txt") != NULL);
        free(lp);
        DatasetLabel *l;
        int n;
        char warn[256];
        EXPECT_MSG(dataset_labels(&d, 0, &l, &n, warn, sizeof warn, err, sizeof err) == 0, "%s", err);
        EXPECT_EQ_INT(n, 2); /* the duplicate row removed, with a warning */
        EXPECT_CONTAINS(warn, "1 duplicate labels removed");
        bool poly = false;
        for (int i = 0; i < n; i++)
            if (l[i].poly) {
                poly = true;
                EXPECT_EQ_INT(l[i].cls, 1);
                EXPECT_NEAR(l[i].box[0], 0.2, 1e-6); /* the polygon's bounds: x 0.1..0.3 */
                EXPECT_NEAR(l[i].box[2], 0.2, 1e-6);
            }
        EXPECT(poly);
        dataset_labels_free(l, n);
        /* no label file: a background image */
        EXPECT(dataset_labels(&d, 1, &l, &n, warn, sizeof warn, err, sizeof err) == 0 && n == 0);
    }
    dataset_free(&d);
    /* a list of names and a .txt split */
    write_file("ds/list.txt", "./images/val/a.jpg\n");
    write_file("ds/e.yaml", "val: list.txt\nnames: [cat, dog, bird]\n");
    snprintf(yaml, sizeof yaml, "%s/ds/e.yaml", tmpdir);
    EXPECT_MSG(dataset_load(yaml, "val", &d, err, sizeof err) == 0, "%s", err);
    EXPECT(d.nc == 3 && d.n_images == 1);
    dataset_free(&d);
}

/* Each bad file: one message naming it and the problem. */
static void expect_refused(const char *yaml_rel, const char *yaml_text, const char *label_text, const char *want)
{
    char err[1024], yaml[512];
    write_file(yaml_rel, yaml_text);
    if (label_text) write_file("bad/labels/val/a.txt", label_text);
    snprintf(yaml, sizeof yaml, "%s/%s", tmpdir, yaml_rel);
    Dataset d;
    int rc = dataset_load(yaml, "val", &d, err, sizeof err);
    if (rc == 0 && label_text) {
        DatasetLabel *l;
        int n;
        rc = dataset_labels(&d, 0, &l, &n, NULL, 0, err, sizeof err);
        if (rc == 0) dataset_labels_free(l, n);
        dataset_free(&d);
    } else if (rc == 0) {
        dataset_free(&d);
    }
    EXPECT_MSG(rc != 0, "%s was accepted", yaml_rel);
    EXPECT_CONTAINS(err, want);
}

static void test_dataset_refusals(void)
{
    write_file("bad/images/val/a.jpg", "x");
    expect_refused("bad/missing.yaml", "path: .\nval: images/nowhere\nnames: [a]\n", NULL, "images/nowhere does not exist");
    expect_refused("bad/nosplit.yaml", "path: .\ntrain: images/val\nnames: [a]\n", NULL, "no 'val' split");
    expect_refused("bad/nonames.yaml", "path: .\nval: images/val\n", NULL, "no names");
    expect_refused("bad/notyaml.yaml", "path: [unclosed\n", NULL, "not valid YAML");
    const char *y = "path: .\nval: images/val\nnames: [a, b]\n";
    expect_refused("bad/d1.yaml", y, "0 0.5 0.5 0.2\n", "a.txt:1: labels require 5 columns");
    expect_refused("bad/d2.yaml", y, "0 0.5 0.5 0.2 0.2\n0 0.5 zero 0.2 0.2\n", "a.txt:2: 'zero' is not a number");
    expect_refused("bad/d3.yaml", y, "0 0.5 1.5 0.2 0.2\n", "non-normalized or out of bounds");
    expect_refused("bad/d4.yaml", y, "0 0.5 0.5 -0.2 0.2\n", "negative label value");
    expect_refused("bad/d5.yaml", y, "\n\n7 0.5 0.5 0.2 0.2\n", "a.txt:3: label class 7 exceeds dataset class count 2");
}

/* val of yolov8n.pt on coco8 at 640: the peer's figures. */
static void test_val_coco8(void)
{
    if (!shared_dir() || !file_exists(shared_path("data/coco8.yaml"))) {
        SKIP("../shared/data/coco8.yaml is absent");
        return;
    }
    char err[1024];
    Dataset d;
    EXPECT_MSG(dataset_load(shared_path("data/coco8.yaml"), "val", &d, err, sizeof err) == 0, "%s", err);
    RuntimeOpenOptions ro = {.runtime = "builtin"};
    RuntimeSession *s = runtime_open(shared_path("models/yolov8n.pt"), &ro, err, sizeof err);
    EXPECT_MSG(s != NULL, "%s", err);
    ValResult r;
    ValOptions o;
    val_defaults(&o);
    if (s && d.n_images && val_run(s, &d, &o, &r, err, sizeof err) == 0) {
        printf("# coco8 val: P %.4f R %.4f mAP50 %.4f mAP50-95 %.4f, %d images, %d instances, %.0f ms/image\n", r.mp[0],
               r.mr[0], r.map50[0], r.map[0], r.seen, r.instances, r.ms_inf);
        EXPECT_EQ_INT(r.seen, 4);
        EXPECT_EQ_INT(r.instances, 17);
        EXPECT_NEAR(r.map[0], 0.638, 0.01);
        EXPECT_NEAR(r.map50[0], 0.921, 0.01);
        EXPECT_NEAR(r.mp[0], 0.865, 0.02);
        EXPECT_NEAR(r.mr[0], 0.893, 0.02);
        EXPECT_EQ_INT(r.n_rows, 6);
        char *t = val_table_text(&r, true);
        EXPECT_CONTAINS(t, "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)\n");
        EXPECT_CONTAINS(t, "                   all          4         17      0.865      0.893      0.921      0.638\n");
        EXPECT_CONTAINS(t, "                person          3         10");
        free(t);
        val_result_free(&r);
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    runtime_close(s);
    dataset_free(&d);
}

/* A segment dataset made from the peer's own masks of bus.jpg and zidane.jpg: boxes and masks
 * are found again (mAP50 near 0.995 for both). */
static void test_val_segment(void)
{
    if (!shared_dir() || !file_exists(shared_path("reference/peer/seg_predictions.json"))) {
        SKIP("../shared is absent");
        return;
    }
    json_object *root = json_object_from_file(shared_path("reference/peer/seg_predictions.json"));
    const char *imgs[2] = {"bus.jpg", "zidane.jpg"};
    const int wh[2][2] = {{810, 1080}, {1280, 720}};
    char rel[256], path[512];
    for (int k = 0; k < 2; k++) {
        write_file("seg/images/val/.keep", "");
        snprintf(path, sizeof path, "%s/seg/images/val/%s", tmpdir, imgs[k]);
        snprintf(rel, sizeof rel, "data/images/%s", imgs[k]);
        char *abs = realpath(shared_path(rel), NULL);
        EXPECT(abs && symlink(abs, path) == 0);
        free(abs);
        char key[128];
        snprintf(key, sizeof key, "yolo11n-seg.pt|images/%s", imgs[k]);
        json_object *list = json_object_object_get(root, key);
        StrBuf b = {0};
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
            json_object *e = json_object_array_get_idx(list, i), *poly = json_object_object_get(e, "polygon");
            strbuf_printf(&b, "%d", json_object_get_int(json_object_object_get(e, "cls")));
            for (size_t j = 0; j < json_object_array_length(poly); j++) {
                json_object *pt = json_object_array_get_idx(poly, j);
                strbuf_printf(&b, " %.6f %.6f", json_object_get_double(json_object_array_get_idx(pt, 0)) / wh[k][0],
                              json_object_get_double(json_object_array_get_idx(pt, 1)) / wh[k][1]);
            }
            strbuf_puts(&b, "\n");
        }
        snprintf(rel, sizeof rel, "seg/labels/val/%.*s.txt", (int)(strlen(imgs[k]) - 4), imgs[k]);
        write_file(rel, b.p ? b.p : "");
        free(b.p);
    }
    json_object_put(root);
    /* 80 classes, as the model has */
    StrBuf y = {0};
    strbuf_puts(&y, "path: .\nval: images/val\nnames:\n");
    for (int c = 0; c < 80; c++) strbuf_printf(&y, "  %d: c%d\n", c, c);
    write_file("seg/seg.yaml", y.p);
    free(y.p);
    char err[1024], yaml[512];
    snprintf(yaml, sizeof yaml, "%s/seg/seg.yaml", tmpdir);
    Dataset d;
    EXPECT_MSG(dataset_load(yaml, "val", &d, err, sizeof err) == 0, "%s", err);
    RuntimeOpenOptions ro = {.runtime = "builtin"};
    RuntimeSession *s = runtime_open(shared_path("models/yolo11n-seg.pt"), &ro, err, sizeof err);
    EXPECT_MSG(s != NULL, "%s", err);
    ValResult r;
    if (s && d.n_images == 2 && val_run(s, &d, NULL, &r, err, sizeof err) == 0) {
        printf("# segment val on the peer's masks: box mAP50 %.3f mAP50-95 %.3f, mask mAP50 %.3f mAP50-95 %.3f\n",
               r.map50[0], r.map[0], r.map50[1], r.map[1]);
        EXPECT_EQ_INT(r.n_kinds, 2);
        EXPECT_EQ_INT(r.instances, 9);
        EXPECT(r.map50[0] >= 0.99);
        EXPECT(r.map50[1] >= 0.9);
        char *t = val_table_text(&r, false);
        EXPECT_CONTAINS(t, "     Mask(P          R      mAP50  mAP50-95)");
        free(t);
        val_result_free(&r);
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    runtime_close(s);
    dataset_free(&d);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-val-XXXXXX");
    if (!mkdtemp(tmpdir)) return 2;
    RUN(test_compute_ap);
    RUN(test_match);
    RUN(test_ap_per_class);
    RUN(test_dataset_yaml);
    RUN(test_dataset_refusals);
    RUN(test_val_coco8);
    RUN(test_val_segment);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 2;
    return check_done();
}
