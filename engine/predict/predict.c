/* predict: preprocessing, a run in a runtime session, and the decode of every task's head
 * (see predict.h). */
#include "engine/predict/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/imgsz.h"
#include "engine/core/util.h"

static const char *const task_names[TASK_COUNT] = {
#define PREDICT_TASK_NAME_(id, name) [TASK_##id] = name,
    PREDICT_TASKS(PREDICT_TASK_NAME_)
#undef PREDICT_TASK_NAME_
};

const char *predict_task_name(Task t)
{
    return (int)t >= 0 && t < TASK_COUNT ? task_names[t] : "detect";
}

Task predict_task_from_name(const char *name)
{
    for (int i = 0; name && i < TASK_COUNT; i++)
        if (!strcmp(task_names[i], name)) return (Task)i;
    return TASK_DETECT;
}

void predict_defaults(PredictOptions *o)
{
    memset(o, 0, sizeof *o);
    o->conf = 0.25f;
    o->iou = 0.7f;
    o->max_det = 300;
    o->polygons = true;
}

struct Predictor {
    RuntimeSession *s;
    PredictOptions o;
    Task task;
    int nc;
    char **names;          /* nc names (heap) */
    int stride;
    int nkpt, kdim;
    bool fixed;            /* the model takes one input size */
    int in_h, in_w;        /* fixed: that size; else the imgsz to fit images in */
    unsigned char *class_ok;
    bool stretch;          /* RT-DETR's query rows: the image stretched to the input size */
    PredictHead head;
    bool have_head;
};

Task predictor_task(const Predictor *p) { return p->task; }
int predictor_nc(const Predictor *p) { return p->nc; }

const char *predictor_class_name(const Predictor *p, int c)
{
    if (c >= 0 && c < p->nc && p->names[c]) return p->names[c];
    return "?";
}

Predictor *predictor_new(RuntimeSession *session, const PredictOptions *o, char *err, size_t errlen)
{
    Predictor *p = xcalloc(1, sizeof *p);
    p->s = session;
    if (o) p->o = *o;
    else predict_defaults(&p->o);
    const GraphMeta *m = session->model ? &session->model->meta : NULL;
    p->task = predict_task_from_name(m ? m->task : NULL);
    p->nc = m && m->nc > 0 && m->names ? m->nc : 0;
    if (p->nc > PREDICT_MAX_CLASSES) p->nc = PREDICT_MAX_CLASSES;
    if (p->nc > 0) {
        p->names = xcalloc((size_t)p->nc, sizeof *p->names);
        for (int i = 0; i < p->nc; i++) p->names[i] = xstrdup(m->names[i] ? m->names[i] : "?");
    }
    p->stride = m ? imgsz_model_stride(m->strides, m->n_strides) : IMGSZ_STRIDE_DEFAULT;
    if (p->stride < 1) p->stride = IMGSZ_STRIDE_DEFAULT;
    if (m && m->kpt_shape[0] > 0) {
        p->nkpt = m->kpt_shape[0];
        p->kdim = m->kpt_shape[1] > 0 ? m->kpt_shape[1] : 3;
    }
    const RuntimeTensorInfo *in = &session->input;
    if (in->rank != 4 || (in->dims[1] > 0 && in->dims[1] != 3)) {
        predictor_free(p);
        err_set(err, errlen, "the model's input '%s' is not an image batch [N, 3, H, W]", in->name);
        return NULL;
    }
    p->fixed = in->dims[2] > 0 && in->dims[3] > 0;
    if (p->fixed) {
        p->in_h = (int)in->dims[2];
        p->in_w = (int)in->dims[3];
    } else {
        int h = p->o.imgsz[0] > 0 ? p->o.imgsz[0] : 640, w = p->o.imgsz[1] > 0 ? p->o.imgsz[1] : h;
        /* the peer's check_imgsz: up to a multiple of the stride */
        p->in_h = (h + p->stride - 1) / p->stride * p->stride;
        p->in_w = (w + p->stride - 1) / p->stride * p->stride;
    }
    /* the peer's RTDETRPredictor: LetterBox(imgsz, auto=False, scale_fill=True) */
    p->stretch = p->task == TASK_DETECT && predict_output_layout(session) == OUTPUT_E2E_CXCYWH_NORM;
    if (p->o.n_classes > 0) {
        int n = p->nc > 0 ? p->nc : PREDICT_MAX_CLASSES;
        p->class_ok = xcalloc((size_t)n, 1);
        for (int i = 0; i < p->o.n_classes; i++)
            if (p->o.classes[i] >= 0 && p->o.classes[i] < n) p->class_ok[p->o.classes[i]] = 1;
    }
    return p;
}

void predictor_free(Predictor *p)
{
    if (!p) return;
    for (int i = 0; i < p->nc; i++) free(p->names[i]);
    free(p->names);
    free(p->class_ok);
    free(p);
}

void predictor_input_size(const Predictor *p, int w, int h, int *net_w, int *net_h)
{
    if (p->fixed || p->stretch || p->task == TASK_CLASSIFY || w <= 0 || h <= 0) {
        *net_w = p->in_w;
        *net_h = p->in_h;
        return;
    }
    /* the rect letterbox's arithmetic (image_letterbox with rect) */
    double r = fmin((double)p->in_h / h, (double)p->in_w / w);
    int uw = (int)nearbyint(w * r), uh = (int)nearbyint(h * r);
    double dw = fmod((double)(p->in_w - uw), p->stride) / 2, dh = fmod((double)(p->in_h - uh), p->stride) / 2;
    *net_w = uw + (int)nearbyint(dw - 0.1) + (int)nearbyint(dw + 0.1);
    *net_h = uh + (int)nearbyint(dh - 0.1) + (int)nearbyint(dh + 0.1);
}

/* ---- the head ---------------------------------------------------------------------------- */

/* Query rows by shape: rank 3, [N, Q, 4 + nc] with Q != 4 + nc (a grid has 4 + nc rows). */
static bool query_shape(const int64_t *d, int rank, int nc)
{
    return rank == 3 && nc > 0 && d[2] == 4 + (int64_t)nc && d[1] > 0 && d[1] != 4 + (int64_t)nc;
}

OutputLayout predict_output_layout(const RuntimeSession *s)
{
    const Graph *g = s->model;
    if (!g) return OUTPUT_GRID;
    if (g->meta.output_layout != OUTPUT_GRID) return g->meta.output_layout;
    const char *task = g->meta.task;
    if (g->n_outputs < 1 || (task && *task && strcmp(task, "detect"))) return OUTPUT_GRID;
    const Tensor *t = &g->tensors[g->outputs[0]];
    return query_shape(t->dims, t->rank, g->meta.nc) ? OUTPUT_E2E_CXCYWH_NORM : OUTPUT_GRID;
}

int predict_head(RuntimeSession *s, PredictHead *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    const GraphMeta *m = s->model ? &s->model->meta : NULL;
    int64_t d0[GRAPH_MAX_RANK], d1[GRAPH_MAX_RANK];
    int r0 = 0, r1 = 0;
    const float *y0 = runtime_output(s, 0, d0, &r0);
    const float *y1 = s->n_outputs > 1 ? runtime_output(s, 1, d1, &r1) : NULL;
    if (!y0) return err_set(err, errlen, "the model gave no output");
    bool known = m && m->task && *m->task;
    h->task = known ? predict_task_from_name(m->task) : r0 == 2 ? TASK_CLASSIFY : (y1 && r1 == 4) ? TASK_SEGMENT : TASK_DETECT;
    h->nc = m && m->nc > 0 ? m->nc : 0;
    if (h->task == TASK_CLASSIFY) {
        if (r0 != 2 || d0[1] < 1) return err_set(err, errlen, "a classify model's output should be [N, classes]");
        if (h->nc <= 0 || h->nc > d0[1]) h->nc = (int)d0[1];
        return 0;
    }
    if (r0 != 3 || d0[0] < 1) return err_set(err, errlen, "the model's output0 has rank %d; [N, 4 + classes (+ extra), anchors] expected", r0);
    if (h->task == TASK_DETECT &&
        (predict_output_layout(s) == OUTPUT_E2E_CXCYWH_NORM || query_shape(d0, r0, h->nc))) {
        /* RT-DETR's query rows: [N, queries, 4 + classes] */
        if (d0[2] < 5 || d0[2] - 4 > PREDICT_MAX_CLASSES || (h->nc > 0 && d0[2] != 4 + h->nc))
            return err_set(err, errlen, "the model's output0 [%lld, %lld, %lld] should be query rows of 4 box values and "
                           "%d class scores", (long long)d0[0], (long long)d0[1], (long long)d0[2], h->nc);
        h->nc = (int)(d0[2] - 4);
        h->end2end = true;
        h->layout = OUTPUT_E2E_CXCYWH_NORM;
        return 0;
    }
    switch (h->task) {
    case TASK_SEGMENT:
        if (!y1 || r1 != 4 || d1[1] < 1 || d1[1] > 1024)
            return err_set(err, errlen, "a segment model needs its prototypes as output1 [N, masks, h, w]");
        h->nm = (int)d1[1];
        h->extra = h->nm;
        break;
    case TASK_POSE:
        h->nkpt = m && m->kpt_shape[0] > 0 ? m->kpt_shape[0] : 17;
        h->kdim = m && m->kpt_shape[1] > 0 ? m->kpt_shape[1] : 3;
        h->extra = h->nkpt * h->kdim;
        break;
    case TASK_OBB: h->extra = 1; break;
    default: break;
    }
    int64_t C = d0[1], A = d0[2];
    if (h->nc > 0 && C == 4 + h->nc + h->extra) return 0;
    if (A == 6 + h->extra && (h->nc <= 0 || C != 4 + h->nc + h->extra)) {
        h->end2end = true;
        h->layout = OUTPUT_E2E_XYXY;
        if (h->nc <= 0) h->nc = PREDICT_MAX_CLASSES;
        return 0;
    }
    if (h->nc <= 0 && C > 4 + h->extra && C - 4 - h->extra <= PREDICT_MAX_CLASSES) {
        h->nc = (int)(C - 4 - h->extra);
        return 0;
    }
    return err_set(err, errlen, "the model's output0 [%lld, %lld, %lld] is neither 4 + %d classes + %d values per anchor "
                   "nor end-to-end rows of %d values", (long long)d0[0], (long long)C, (long long)A, h->nc, h->extra,
                   6 + h->extra);
}

int predict_decode(RuntimeSession *s, const PredictHead *h, PostOptions po, int net_h, int net_w, Detection **dets,
                   int *n, char *err, size_t errlen)
{
    *dets = NULL;
    *n = 0;
    int64_t d0[GRAPH_MAX_RANK];
    int r0 = 0;
    const float *y0 = runtime_output(s, 0, d0, &r0);
    if (!y0 || r0 != 3) return err_set(err, errlen, "the model gave no detection output");
    po.extra = h->extra;
    po.rotated = h->task == TASK_OBB;
    po.nc = h->nc;
    if (h->layout == OUTPUT_E2E_CXCYWH_NORM)
        return post_queries(y0, d0[1], d0[2], &po, (float)net_w, (float)net_h, 1.f, 1.f, dets, n, err, errlen);
    if (h->end2end) return post_rows(y0, d0[1], d0[2], &po, dets, n, err, errlen);
    return post_detect(y0, d0[1], d0[2], &po, dets, n, err, errlen);
}

bool predict_proto_size(RuntimeSession *s, int *mh, int *mw)
{
    int64_t d1[GRAPH_MAX_RANK];
    int r1 = 0;
    const float *protos = s->n_outputs > 1 ? runtime_output(s, 1, d1, &r1) : NULL;
    if (!protos || r1 != 4) return false;
    *mh = (int)d1[2];
    *mw = (int)d1[3];
    return true;
}

unsigned char *predict_masks(RuntimeSession *s, const PredictHead *h, const Detection *dets, int n, int net_h,
                             int net_w, int mask_h, int mask_w, char *err, size_t errlen)
{
    int64_t d0[GRAPH_MAX_RANK], d1[GRAPH_MAX_RANK];
    int r0 = 0, r1 = 0;
    const float *y0 = runtime_output(s, 0, d0, &r0);
    const float *protos = runtime_output(s, 1, d1, &r1);
    if (!y0 || r0 != 3 || !protos || r1 != 4 || d1[1] != h->nm || n < 0) {
        err_set(err, errlen, "the model gave no prototypes for its masks");
        return NULL;
    }
    /* boxes in the masks' pixels, so that the crop happens at that size */
    float sx = (float)mask_w / (float)net_w, sy = (float)mask_h / (float)net_h;
    Detection *tmp = xmalloc(sizeof *tmp * (size_t)(n ? n : 1));
    for (int k = 0; k < n; k++) {
        tmp[k] = dets[k];
        tmp[k].x1 *= sx, tmp[k].x2 *= sx, tmp[k].y1 *= sy, tmp[k].y2 *= sy;
    }
    unsigned char *m;
    if (h->end2end) {
        /* rows hold the coefficients: lay them out as the anchor-major output post_masks reads */
        int64_t C = 5 + h->nm;
        float *pred = xcalloc((size_t)(C * (n ? n : 1)), sizeof(float));
        for (int k = 0; k < n; k++) {
            for (int c = 0; c < h->nm; c++) pred[(5 + c) * n + k] = y0[dets[k].anchor * d0[2] + 6 + c];
            tmp[k].anchor = k;
        }
        m = post_masks(pred, C, n, 1, tmp, n, protos, h->nm, (int)d1[2], (int)d1[3], mask_h, mask_w, err, errlen);
        free(pred);
    } else {
        /* the crop uses the box scaled from the mask size: pass the mask size as the "network" */
        m = post_masks(y0, d0[1], d0[2], h->nc, tmp, n, protos, h->nm, (int)d1[2], (int)d1[3], mask_h, mask_w, err,
                       errlen);
    }
    free(tmp);
    return m;
}

/* ---- one image --------------------------------------------------------------------------- */

/* classify's preprocessing: the short side resized to the input size, centre crop. */
static float *classify_input(const Image *im, int H, int W, Letterbox *lb)
{
    double r = fmax((double)H / im->h, (double)W / im->w);
    int uw = (int)fmax(W, nearbyint(im->w * r)), uh = (int)fmax(H, nearbyint(im->h * r));
    unsigned char *scaled = xmalloc((size_t)uw * uh * 3);
    image_resize_linear(im->rgb, im->w, im->h, scaled, uw, uh);
    int ox = (uw - W) / 2, oy = (uh - H) / 2;
    size_t plane = (size_t)H * W;
    float *t = xmalloc(plane * 3 * sizeof(float));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const unsigned char *px = scaled + ((size_t)(y + oy) * uw + (x + ox)) * 3;
            for (int c = 0; c < 3; c++) t[c * plane + (size_t)y * W + x] = px[c] / 255.0f;
        }
    free(scaled);
    memset(lb, 0, sizeof *lb);
    lb->src_w = im->w, lb->src_h = im->h, lb->net_w = W, lb->net_h = H, lb->new_w = uw, lb->new_h = uh, lb->ratio = r;
    return t;
}

/* RT-DETR's preprocessing: the image resized to H x W whatever its aspect (scale_fill). */
static float *stretch_input(const Image *im, int H, int W, Letterbox *lb)
{
    const unsigned char *src = im->rgb;
    unsigned char *scaled = NULL;
    if (im->w != W || im->h != H) {
        scaled = xmalloc((size_t)W * H * 3);
        image_resize_linear(im->rgb, im->w, im->h, scaled, W, H);
        src = scaled;
    }
    size_t plane = (size_t)H * W;
    float *t = xmalloc(plane * 3 * sizeof(float));
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) t[c * plane + i] = src[i * 3 + (size_t)c] / 255.0f;
    free(scaled);
    memset(lb, 0, sizeof *lb);
    lb->src_w = im->w, lb->src_h = im->h, lb->net_w = W, lb->net_h = H, lb->new_w = W, lb->new_h = H;
    lb->ratio = (double)W / im->w;
    return t;
}

static int obj_cmp_conf(const void *a, const void *b)
{
    const PredictObject *x = a, *y = b;
    return x->conf > y->conf ? -1 : x->conf < y->conf;
}

int predictor_run(Predictor *p, const Image *im, PredictResult *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    RuntimeSession *s = p->s;
    double t0 = now_seconds();
    float *x;
    Letterbox lb;
    if (p->task == TASK_CLASSIFY) x = classify_input(im, p->in_h, p->in_w, &lb);
    else if (p->stretch) x = stretch_input(im, p->in_h, p->in_w, &lb);
    else x = image_letterbox(im, p->in_h, p->in_w, !p->fixed, p->stride, true, &lb, err, errlen);
    if (!x) return -1;
    double t1 = now_seconds();
    int64_t dims[4] = {1, 3, lb.net_h, lb.net_w};
    int rc = runtime_run(s, x, dims, 4, err, errlen);
    free(x);
    if (rc != 0) return -1;
    double t2 = now_seconds();
    out->img_w = im->w, out->img_h = im->h, out->net_w = lb.net_w, out->net_h = lb.net_h, out->lb = lb;
    if (!p->have_head) {
        if (predict_head(s, &p->head, err, errlen) != 0) return -1;
        p->have_head = true;
        if (p->head.task != p->task) p->task = p->head.task;
        if (p->nc == 0 && p->head.nc > 0 && p->head.nc < PREDICT_MAX_CLASSES) { /* the peer's class0, class1, ... */
            p->nc = p->head.nc;
            p->names = xcalloc((size_t)p->nc, sizeof *p->names);
            for (int i = 0; i < p->nc; i++) p->names[i] = xasprintf("class%d", i);
        }
    }
    const PredictHead *h = &p->head;
    out->task = h->task;
    out->end2end = h->end2end;
    if (h->task == TASK_CLASSIFY) {
        int64_t d[GRAPH_MAX_RANK];
        int r;
        const float *y = runtime_output(s, 0, d, &r);
        int nc = (int)d[1] < h->nc ? (int)d[1] : h->nc;
        for (int k = 0; k < 5 && k < nc; k++) {
            int best = -1;
            for (int c = 0; c < nc; c++) {
                bool used = false;
                for (int j = 0; j < k; j++) used |= out->top[j] == c;
                if (!used && (best < 0 || y[c] > y[best])) best = c;
            }
            out->top[k] = best;
            out->top_conf[k] = y[best];
            out->n_top = k + 1;
        }
        out->ms_pre = (t1 - t0) * 1e3, out->ms_inf = (t2 - t1) * 1e3, out->ms_post = (now_seconds() - t2) * 1e3;
        return 0;
    }
    PostOptions po;
    post_defaults(&po);
    po.conf = p->o.conf;
    po.iou = p->o.iou;
    po.max_det = p->o.max_det;
    po.agnostic = p->o.agnostic;
    po.class_ok = p->class_ok;
    Detection *det = NULL;
    int n = 0;
    unsigned char *masks = NULL;
    bool queries = h->layout == OUTPUT_E2E_CXCYWH_NORM;
    if (queries) {
        /* the peer's RTDETRPredictor: corners of the fractions, times the image's size */
        int64_t dq[GRAPH_MAX_RANK];
        int rq;
        const float *yq = runtime_output(s, 0, dq, &rq);
        po.nc = h->nc;
        if (!yq || rq != 3 || post_queries(yq, dq[1], dq[2], &po, 1.f, 1.f, (float)im->w, (float)im->h, &det, &n, err,
                                           errlen) != 0)
            return yq && rq == 3 ? -1 : err_set(err, errlen, "the model gave no detection output");
    } else if (predict_decode(s, h, po, lb.net_h, lb.net_w, &det, &n, err, errlen) != 0) {
        return -1;
    }
    if (h->task == TASK_SEGMENT && n > 0) {
        masks = predict_masks(s, h, det, n, lb.net_h, lb.net_w, lb.net_h, lb.net_w, err, errlen);
        if (!masks) {
            free(det);
            return -1;
        }
    }
    int64_t d0[GRAPH_MAX_RANK];
    int r0;
    const float *y0 = runtime_output(s, 0, d0, &r0);
    size_t plane = (size_t)lb.net_h * lb.net_w;
    out->obj = xcalloc((size_t)(n ? n : 1), sizeof *out->obj);
    out->nkpt = h->nkpt, out->kdim = h->kdim;
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int area = 0;
        if (masks) {
            const unsigned char *m = masks + (size_t)i * plane;
            for (size_t j = 0; j < plane; j++) area += m[j];
            if (area == 0) continue; /* the peer keeps only detections with a mask */
            if (kept != i) memcpy(masks + (size_t)kept * plane, m, plane);
        }
        PredictObject *o = &out->obj[kept];
        o->mask_area = area;
        if (h->task == TASK_POSE && h->nkpt > 0) {
            o->kpts = xmalloc(sizeof(float) * (size_t)(h->nkpt * h->kdim));
            for (int k = 0; k < h->nkpt * h->kdim; k++)
                o->kpts[k] = h->end2end ? y0[det[i].anchor * d0[2] + 6 + k]
                                        : y0[(int64_t)(4 + h->nc + k) * d0[2] + det[i].anchor];
            post_scale_points(o->kpts, h->nkpt, h->kdim, lb.net_h, lb.net_w, im->h, im->w);
        }
        det[kept] = det[i];
        kept++;
    }
    n = kept;
    if (h->task == TASK_OBB) post_scale_rotated(det, n, lb.net_h, lb.net_w, im->h, im->w);
    else if (!queries) post_scale_boxes(det, n, lb.net_h, lb.net_w, im->h, im->w);
    for (int i = 0; i < n; i++) {
        PredictObject *o = &out->obj[i];
        o->box[0] = det[i].x1, o->box[1] = det[i].y1, o->box[2] = det[i].x2, o->box[3] = det[i].y2;
        o->conf = det[i].conf;
        o->cls = det[i].cls;
        memcpy(o->rbox, det[i].r, sizeof o->rbox);
        if (masks && p->o.polygons) {
            int np = 0;
            float *poly = predict_mask_outline(masks + (size_t)i * plane, lb.net_w, lb.net_h, &np);
            if (poly) {
                /* scale_coords: mask pixels to image pixels */
                post_scale_points(poly, np, 2, lb.net_h, lb.net_w, im->h, im->w);
                o->poly = poly;
                o->n_poly = np;
            }
        }
    }
    out->n = n;
    out->masks = masks;
    if (n == 0) {
        free(masks);
        out->masks = NULL;
    }
    free(det);
    if (h->end2end && n > 1) qsort(out->obj, (size_t)n, sizeof *out->obj, obj_cmp_conf);
    out->ms_pre = (t1 - t0) * 1e3, out->ms_inf = (t2 - t1) * 1e3, out->ms_post = (now_seconds() - t2) * 1e3;
    return 0;
}

void predict_result_free(PredictResult *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        free(r->obj[i].kpts);
        free(r->obj[i].poly);
    }
    free(r->obj);
    free(r->masks);
    memset(r, 0, sizeof *r);
}

const char *predict_summary(const Predictor *p, const PredictResult *r, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (r->task == TASK_CLASSIFY) {
        for (int k = 0; k < r->n_top && used < len; k++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s %.2f", k ? ", " : "", predictor_class_name(p, r->top[k]),
                                     r->top_conf[k]);
        if (used < len) snprintf(buf + used, len - used, ", ");
        return buf;
    }
    if (r->n == 0) {
        snprintf(buf, len, "(no detections), ");
        return buf;
    }
    /* classes in index order, as torch.unique sorts them */
    int last = -1;
    for (;;) {
        int next = -1;
        for (int i = 0; i < r->n; i++)
            if (r->obj[i].cls > last && (next < 0 || r->obj[i].cls < next)) next = r->obj[i].cls;
        if (next < 0) break;
        int count = 0;
        for (int i = 0; i < r->n; i++) count += r->obj[i].cls == next;
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%d %s%s, ", count, predictor_class_name(p, next),
                                     count > 1 ? "s" : "");
        last = next;
    }
    return buf;
}
