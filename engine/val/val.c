/* val: a model over a dataset split, scored as the peer scores it (see val.h). */
#include "engine/val/val.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/imgsz.h"
#include "engine/core/util.h"
#include "engine/val/metrics.h"

void val_defaults(ValOptions *o)
{
    memset(o, 0, sizeof *o);
    o->imgsz = 640;
    o->batch = 1;
    o->conf = 0.001f;
    o->iou = 0.7f;
    o->max_det = 300;
}

/* How an image went onto the input: resized to (rw, rh), scaled again by r, padded. */
typedef struct {
    int rw, rh;     /* after the long-side resize */
    double r;       /* the letterbox's own scale (<= 1) */
    int left, top;
    int H, W;       /* the input */
} ValBox;

/* load_image (long side to imgsz, sizes rounded up) then LetterBox(new_shape, auto=False,
 * scaleup=False): a float NCHW tensor of 1 x 3 x H x W, heap. */
static float *val_letterbox(const Image *im, int imgsz, int new_h, int new_w, ValBox *vb)
{
    int w = im->w, h = im->h;
    const unsigned char *src = im->rgb;
    unsigned char *resized = NULL;
    double r0 = (double)imgsz / (w > h ? w : h);
    if (r0 != 1) {
        int nw = (int)fmin(ceil(w * r0), imgsz), nh = (int)fmin(ceil(h * r0), imgsz);
        if (nw < 1) nw = 1;
        if (nh < 1) nh = 1;
        resized = xmalloc((size_t)nw * nh * 3);
        image_resize_linear(src, w, h, resized, nw, nh);
        src = resized, w = nw, h = nh;
    }
    vb->rw = w, vb->rh = h;
    double r = fmin(fmin((double)new_h / h, (double)new_w / w), 1.0);
    int uw = (int)nearbyint(w * r), uh = (int)nearbyint(h * r);
    if (uw < 1) uw = 1;
    if (uh < 1) uh = 1;
    unsigned char *scaled = NULL;
    if (uw != w || uh != h) {
        scaled = xmalloc((size_t)uw * uh * 3);
        image_resize_linear(src, w, h, scaled, uw, uh);
        src = scaled;
    }
    double dw = (new_w - uw) / 2.0, dh = (new_h - uh) / 2.0;
    int top = (int)nearbyint(dh - 0.1), bottom = (int)nearbyint(dh + 0.1);
    int left = (int)nearbyint(dw - 0.1), right = (int)nearbyint(dw + 0.1);
    int H = uh + top + bottom, W = uw + left + right;
    size_t plane = (size_t)H * W;
    float *t = xmalloc(plane * 3 * sizeof(float));
    const float pad = 114.0f / 255.0f;
    for (size_t i = 0; i < plane * 3; i++) t[i] = pad;
    for (int y = 0; y < uh; y++)
        for (int x = 0; x < uw; x++) {
            const unsigned char *p = src + ((size_t)y * uw + x) * 3;
            size_t o = (size_t)(y + top) * W + (size_t)(x + left);
            for (int c = 0; c < 3; c++) t[c * plane + o] = (float)p[c] / 255.0f;
        }
    free(resized);
    free(scaled);
    vb->r = r, vb->left = left, vb->top = top, vb->H = H, vb->W = W;
    return t;
}

float *val_input(const Image *im, int imgsz, int new_h, int new_w)
{
    ValBox vb;
    return val_letterbox(im, imgsz, new_h, new_w, &vb);
}

static void label_xy(const ValBox *vb, float nx, float ny, float *x, float *y)
{
    *x = (float)(nx * vb->rw * vb->r + vb->left);
    *y = (float)(ny * vb->rh * vb->r + vb->top);
}

/* ---- growing stats ------------------------------------------------------------------------- */

typedef struct {
    Vec tp, tp2;        /* unsigned char[METRICS_NT] per prediction */
    Vec conf;           /* float */
    Vec cls;            /* int */
    Vec target_cls;     /* int */
} Stats;

static void stats_free(Stats *s)
{
    vec_free(&s->tp);
    vec_free(&s->tp2);
    vec_free(&s->conf);
    vec_free(&s->cls);
    vec_free(&s->target_cls);
}

typedef struct {
    int idx;
    double ar;
} ArIdx;

static int ar_cmp(const void *pa, const void *pb)
{
    const ArIdx *a = pa, *b = pb;
    if (a->ar != b->ar) return a->ar < b->ar ? -1 : 1;
    return a->idx - b->idx;
}

/* GT masks at the prototypes' size: polygons in input pixels scaled down, larger areas first,
 * smaller ones drawn over them (the peer's overlapping masks); mask k of target k. */
static unsigned char *gt_masks(const DatasetLabel *l, int nl, const ValBox *vb, int mh, int mw)
{
    size_t plane = (size_t)mh * mw;
    unsigned char *single = xcalloc((size_t)(nl ? nl : 1), plane);
    int *area = xcalloc((size_t)(nl ? nl : 1), sizeof(int));
    float sx = (float)mw / vb->W, sy = (float)mh / vb->H;
    for (int k = 0; k < nl; k++) {
        const DatasetLabel *L = &l[k];
        float *pts;
        int np;
        float quad[8];
        if (L->poly && L->n_poly >= 3) {
            np = L->n_poly;
            pts = xmalloc(sizeof(float) * 2 * (size_t)np);
            for (int j = 0; j < np; j++) {
                float x, y;
                label_xy(vb, L->poly[2 * j], L->poly[2 * j + 1], &x, &y);
                pts[2 * j] = x * sx, pts[2 * j + 1] = y * sy;
            }
        } else { /* a box label: its rectangle */
            float x0, y0, x1, y1;
            label_xy(vb, L->box[0] - L->box[2] / 2, L->box[1] - L->box[3] / 2, &x0, &y0);
            label_xy(vb, L->box[0] + L->box[2] / 2, L->box[1] + L->box[3] / 2, &x1, &y1);
            float q[8] = {x0 * sx, y0 * sy, x1 * sx, y0 * sy, x1 * sx, y1 * sy, x0 * sx, y1 * sy};
            memcpy(quad, q, sizeof quad);
            pts = NULL;
            np = 4;
        }
        predict_fill_polygon(pts ? pts : quad, np, single + (size_t)k * plane, mw, mh);
        free(pts);
        for (size_t i = 0; i < plane; i++) area[k] += single[(size_t)k * plane + i];
    }
    /* order by area, largest first; paint; then each target's mask is where its paint stayed */
    int *order = xmalloc(sizeof(int) * (size_t)(nl ? nl : 1));
    for (int k = 0; k < nl; k++) order[k] = k;
    for (int a = 1; a < nl; a++)
        for (int b = a; b > 0 && area[order[b]] > area[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    int *paint = xcalloc(plane, sizeof(int));
    for (int i = 0; i < nl; i++) {
        const unsigned char *m = single + (size_t)order[i] * plane;
        for (size_t p = 0; p < plane; p++)
            if (m[p]) paint[p] = order[i] + 1;
    }
    unsigned char *out = xcalloc((size_t)(nl ? nl : 1), plane);
    for (size_t p = 0; p < plane; p++)
        if (paint[p]) out[(size_t)(paint[p] - 1) * plane + p] = 1;
    free(paint);
    free(order);
    free(area);
    free(single);
    return out;
}

/* Score one image: tp for boxes (and masks or keypoints), conf, classes, targets. */
static void score_image(Stats *st, const PredictHead *h, RuntimeSession *s, const Detection *det, int n,
                        const DatasetLabel *l, int nl, const ValBox *vb, int nkpt, int kdim, char *err, size_t errlen)
{
    float *tb = xmalloc(sizeof(float) * 4 * (size_t)(nl ? nl : 1));
    for (int k = 0; k < nl; k++) {
        label_xy(vb, l[k].box[0] - l[k].box[2] / 2, l[k].box[1] - l[k].box[3] / 2, &tb[4 * k], &tb[4 * k + 1]);
        label_xy(vb, l[k].box[0] + l[k].box[2] / 2, l[k].box[1] + l[k].box[3] / 2, &tb[4 * k + 2], &tb[4 * k + 3]);
        vec_push(&st->target_cls, sizeof(int), &l[k].cls);
    }
    float *iou = xcalloc((size_t)(nl ? nl : 1) * (size_t)(n ? n : 1), sizeof(float));
    unsigned char *correct = xcalloc((size_t)(n ? n : 1), METRICS_NT);
    for (int k = 0; k < nl; k++)
        for (int j = 0; j < n; j++) {
            float pb[4] = {det[j].x1, det[j].y1, det[j].x2, det[j].y2};
            iou[(size_t)k * n + j] = det[j].cls == l[k].cls ? metrics_box_iou(&tb[4 * k], pb) : 0;
        }
    metrics_match(iou, nl, n, correct);
    for (int j = 0; j < n; j++) {
        vec_push(&st->tp, METRICS_NT, correct + (size_t)j * METRICS_NT);
        vec_push(&st->conf, sizeof(float), &det[j].conf);
        vec_push(&st->cls, sizeof(int), &det[j].cls);
    }
    if (h->task == TASK_SEGMENT || h->task == TASK_POSE) {
        memset(iou, 0, sizeof(float) * (size_t)(nl ? nl : 1) * (size_t)(n ? n : 1));
        if (h->task == TASK_SEGMENT && n > 0 && nl > 0) {
            int mh, mw;
            unsigned char *pm = NULL, *gm = NULL;
            if (predict_proto_size(s, &mh, &mw) && (pm = predict_masks(s, h, det, n, vb->H, vb->W, mh, mw, err, errlen))) {
                gm = gt_masks(l, nl, vb, mh, mw);
                size_t plane = (size_t)mh * mw;
                for (int k = 0; k < nl; k++)
                    for (int j = 0; j < n; j++) {
                        if (det[j].cls != l[k].cls) continue;
                        size_t in = 0, un = 0;
                        const unsigned char *a = gm + (size_t)k * plane, *b = pm + (size_t)j * plane;
                        for (size_t p = 0; p < plane; p++) {
                            in += a[p] & b[p];
                            un += a[p] | b[p];
                        }
                        iou[(size_t)k * n + j] = (float)in / ((float)un + 1e-7f);
                    }
            }
            free(pm);
            free(gm);
        } else if (h->task == TASK_POSE && n > 0 && nl > 0 && nkpt > 0) {
            int64_t d0[GRAPH_MAX_RANK];
            int r0;
            const float *y0 = runtime_output(s, 0, d0, &r0);
            float *pk = xmalloc(sizeof(float) * (size_t)(h->nkpt * h->kdim));
            float *gk = xmalloc(sizeof(float) * (size_t)(nkpt * kdim));
            for (int j = 0; j < n; j++) {
                for (int q = 0; q < h->nkpt * h->kdim; q++)
                    pk[q] = h->end2end ? y0[det[j].anchor * d0[2] + 6 + q] : y0[(int64_t)(4 + h->nc + q) * d0[2] + det[j].anchor];
                for (int k = 0; k < nl; k++) {
                    if (det[j].cls != l[k].cls || !l[k].kpts) continue;
                    for (int q = 0; q < nkpt; q++) {
                        label_xy(vb, l[k].kpts[q * kdim], l[k].kpts[q * kdim + 1], &gk[q * kdim], &gk[q * kdim + 1]);
                        if (kdim == 3) gk[q * kdim + 2] = l[k].kpts[q * kdim + 2];
                    }
                    float area = (tb[4 * k + 2] - tb[4 * k]) * (tb[4 * k + 3] - tb[4 * k + 1]) * 0.53f;
                    iou[(size_t)k * n + j] = metrics_oks(gk, kdim, pk, h->kdim, nkpt < h->nkpt ? nkpt : h->nkpt, area);
                }
            }
            free(pk);
            free(gk);
        }
        metrics_match(iou, nl, n, correct);
        for (int j = 0; j < n; j++) vec_push(&st->tp2, METRICS_NT, correct + (size_t)j * METRICS_NT);
    }
    free(iou);
    free(correct);
    free(tb);
}

int val_run(RuntimeSession *s, const Dataset *d, const ValOptions *opt, ValResult *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ValOptions o;
    if (opt) o = *opt;
    else val_defaults(&o);
    const GraphMeta *m = s->model ? &s->model->meta : NULL;
    Task task = predict_task_from_name(m ? m->task : NULL);
    if (task == TASK_OBB || task == TASK_CLASSIFY)
        return err_set(err, errlen, "val of %s models is not available in this build (detect, segment and pose are)",
                       predict_task_name(task));
    int gs = m ? imgsz_model_stride(m->strides, m->n_strides) : 32;
    if (gs < 32) gs = 32;
    const RuntimeTensorInfo *in = &s->input;
    if (in->rank != 4) return err_set(err, errlen, "the model's input is not an image batch [N, 3, H, W]");
    bool fixed = in->dims[2] > 0 && in->dims[3] > 0;
    int imgsz = o.imgsz > 0 ? o.imgsz : 640;
    if (fixed) {
        if (in->dims[2] != in->dims[3])
            return err_set(err, errlen, "the model's input is %lldx%lld; val needs a square input (export it with a "
                           "square imgsz)", (long long)in->dims[3], (long long)in->dims[2]);
        imgsz = (int)in->dims[2];
    } else {
        imgsz = (imgsz + gs - 1) / gs * gs;
    }
    int B = o.batch > 0 ? o.batch : 1;
    out->task = task;
    out->rect = !fixed;
    out->batch = B;
    out->imgsz = imgsz;
    out->n_kinds = task == TASK_SEGMENT || task == TASK_POSE ? 2 : 1;
    out->kind2 = task == TASK_SEGMENT ? "Mask" : task == TASK_POSE ? "Pose" : NULL;
    int nc = m && m->nc > 0 && m->names ? m->nc : d->nc;
    out->nc = nc;
    out->names = xcalloc((size_t)nc, sizeof *out->names);
    for (int i = 0; i < nc; i++)
        out->names[i] = xstrdup(m && m->names && m->names[i] ? m->names[i] : i < d->nc ? d->names[i] : "?");
    int nkpt = d->kpt_shape[0], kdim = d->kpt_shape[1];
    if (task == TASK_POSE && nkpt == 0)
        return err_set(err, errlen, "%s: a pose model needs a dataset with kpt_shape", d->yaml_path);

    /* the order and input shape of every image */
    int N = d->n_images;
    ArIdx *ord = xmalloc(sizeof *ord * (size_t)N);
    int *sh_h = xmalloc(sizeof(int) * (size_t)N), *sh_w = xmalloc(sizeof(int) * (size_t)N);
    char msg[1024];
    int rc = 0;
    for (int i = 0; i < N; i++) {
        ord[i] = (ArIdx){i, 1.0};
        sh_h[i] = sh_w[i] = imgsz;
    }
    if (!fixed) {
        for (int i = 0; i < N && rc == 0; i++) {
            Image im;
            if (image_load(d->images[i], &im, msg, sizeof msg) != 0) {
                rc = err_set(err, errlen, "%s", msg);
                break;
            }
            ord[i].ar = (double)im.h / im.w;
            image_free(&im);
        }
        if (rc == 0) {
            qsort(ord, (size_t)N, sizeof *ord, ar_cmp);
            for (int b0 = 0; b0 < N; b0 += B) {
                int b1 = b0 + B < N ? b0 + B : N;
                double mini = ord[b0].ar, maxi = ord[b1 - 1].ar, s0 = 1, s1 = 1;
                if (maxi < 1) s0 = maxi;
                else if (mini > 1) s1 = 1 / mini;
                int h = (int)ceil(s0 * imgsz / gs + 0.5) * gs, w = (int)ceil(s1 * imgsz / gs + 0.5) * gs;
                for (int k = b0; k < b1; k++) sh_h[ord[k].idx] = h, sh_w[ord[k].idx] = w;
            }
        }
    }
    Stats st = {0};
    PredictHead head;
    bool have_head = false;
    int *img_has = xcalloc((size_t)nc, sizeof(int)); /* images holding each class */
    int *seen_cls = xcalloc((size_t)nc, sizeof(int));
    double t_pre = 0, t_inf = 0, t_post = 0;
    for (int k = 0; k < N && rc == 0; k++) {
        if (o.cancel && __atomic_load_n(o.cancel, __ATOMIC_ACQUIRE)) {
            rc = err_set(err, errlen, "cancelled");
            break;
        }
        int i = ord[k].idx;
        double t0 = now_seconds();
        Image im;
        if (image_load(d->images[i], &im, msg, sizeof msg) != 0) {
            rc = err_set(err, errlen, "%s", msg);
            break;
        }
        DatasetLabel *l = NULL;
        int nl = 0;
        char warn[512];
        if (dataset_labels(d, i, &l, &nl, warn, sizeof warn, msg, sizeof msg) != 0) {
            image_free(&im);
            rc = err_set(err, errlen, "%s", msg);
            break;
        }
        if (warn[0]) snprintf(out->warnings, sizeof out->warnings, "%s", warn);
        for (int q = 0; q < nl; q++)
            if (l[q].cls >= nc) {
                char *lp = dataset_label_path(d->images[i]);
                rc = err_set(err, errlen, "%s: class %d is beyond the model's %d classes", lp, l[q].cls, nc);
                free(lp);
                break;
            }
        ValBox vb;
        float *x = rc == 0 ? val_letterbox(&im, imgsz, sh_h[i], sh_w[i], &vb) : NULL;
        image_free(&im);
        double t1 = now_seconds();
        int64_t dims[4] = {1, 3, rc == 0 ? vb.H : 0, rc == 0 ? vb.W : 0};
        if (rc == 0 && runtime_run(s, x, dims, 4, msg, sizeof msg) != 0)
            rc = err_set(err, errlen, "%s: %s", d->images[i], msg);
        free(x);
        double t2 = now_seconds();
        if (rc == 0 && !have_head) {
            if (predict_head(s, &head, msg, sizeof msg) != 0) rc = err_set(err, errlen, "%s", msg);
            else have_head = true;
        }
        Detection *det = NULL;
        int n = 0;
        if (rc == 0) {
            PostOptions po;
            post_defaults(&po);
            po.conf = o.conf;
            po.iou = o.iou;
            po.max_det = o.max_det;
            po.multi_label = true;
            if (predict_decode(s, &head, po, vb.H, vb.W, &det, &n, msg, sizeof msg) != 0)
                rc = err_set(err, errlen, "%s: %s", d->images[i], msg);
        }
        if (rc == 0) {
            score_image(&st, &head, s, det, n, l, nl, &vb, nkpt, kdim, msg, sizeof msg);
            memset(seen_cls, 0, sizeof(int) * (size_t)nc);
            for (int q = 0; q < nl; q++) seen_cls[l[q].cls] = 1;
            for (int c = 0; c < nc; c++) img_has[c] += seen_cls[c];
            out->backgrounds += nl == 0;
            out->seen++;
            out->last_h = vb.H, out->last_w = vb.W;
        }
        free(det);
        dataset_labels_free(l, nl);
        double t3 = now_seconds();
        t_pre += t1 - t0, t_inf += t2 - t1, t_post += t3 - t2;
        if (o.progress) o.progress(o.user, k + 1, N);
    }
    if (rc == 0 && out->seen > 0) {
        out->ms_pre = t_pre * 1e3 / out->seen;
        out->ms_inf = t_inf * 1e3 / out->seen;
        out->ms_post = t_post * 1e3 / out->seen;
        int np = (int)st.conf.len, nt = (int)st.target_cls.len;
        out->instances = nt;
        if (nt == 0)
            snprintf(out->warnings, sizeof out->warnings, "no labels found in the %s set, can not compute metrics "
                     "without labels", d->split);
        ApResult ap[2];
        memset(ap, 0, sizeof ap);
        for (int kind = 0; kind < out->n_kinds && rc == 0; kind++)
            if (metrics_ap_per_class(kind ? st.tp2.items : st.tp.items, st.conf.items, st.cls.items, np,
                                     st.target_cls.items, nt, &ap[kind]) != 0)
                rc = err_set(err, errlen, "too many predictions to score");
        if (rc == 0) {
            out->n_rows = ap[0].n;
            out->rows = xcalloc((size_t)(ap[0].n ? ap[0].n : 1), sizeof *out->rows);
            for (int kind = 0; kind < out->n_kinds; kind++) {
                out->mp[kind] = ap[kind].mp, out->mr[kind] = ap[kind].mr;
                out->map50[kind] = ap[kind].map50, out->map[kind] = ap[kind].map;
                for (int ci = 0; ci < ap[kind].n; ci++) {
                    ValClassRow *row = &out->rows[ci];
                    int c = ap[kind].classes[ci];
                    row->cls = c;
                    row->images = c < nc ? img_has[c] : 0;
                    row->instances = 0;
                    for (int t = 0; t < nt; t++) row->instances += ((int *)st.target_cls.items)[t] == c;
                    row->p[kind] = ap[kind].p[ci], row->r[kind] = ap[kind].r[ci];
                    row->ap50[kind] = ap[kind].ap[(size_t)ci * METRICS_NT];
                    double s = 0;
                    for (int t = 0; t < METRICS_NT; t++) s += ap[kind].ap[(size_t)ci * METRICS_NT + t];
                    row->ap[kind] = s / METRICS_NT;
                }
            }
        }
        metrics_ap_free(&ap[0]);
        metrics_ap_free(&ap[1]);
    }
    stats_free(&st);
    free(img_has);
    free(seen_cls);
    free(ord);
    free(sh_h);
    free(sh_w);
    if (rc != 0) val_result_free(out);
    return rc;
}

void val_result_free(ValResult *r)
{
    if (!r) return;
    for (int i = 0; i < r->nc && r->names; i++) free(r->names[i]);
    free(r->names);
    free(r->rows);
    memset(r, 0, sizeof *r);
}

char *val_table_text(const ValResult *r, bool per_class)
{
    StrBuf b = {0};
    strbuf_printf(&b, "%22s%11s%11s%11s%11s%11s%11s", "Class", "Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)");
    if (r->n_kinds == 2) {
        char first[16];
        snprintf(first, sizeof first, "%s(P", r->kind2);
        strbuf_printf(&b, "%11s%11s%11s%11s", first, "R", "mAP50", "mAP50-95)");
    }
    strbuf_puts(&b, "\n");
    strbuf_printf(&b, "%22s%11d%11d", "all", r->seen, r->instances);
    for (int k = 0; k < r->n_kinds; k++) strbuf_printf(&b, "%11.3g%11.3g%11.3g%11.3g", r->mp[k], r->mr[k], r->map50[k], r->map[k]);
    strbuf_puts(&b, "\n");
    for (int i = 0; per_class && r->nc > 1 && i < r->n_rows; i++) {
        const ValClassRow *row = &r->rows[i];
        strbuf_printf(&b, "%22s%11d%11d", row->cls < r->nc ? r->names[row->cls] : "?", row->images, row->instances);
        for (int k = 0; k < r->n_kinds; k++)
            strbuf_printf(&b, "%11.3g%11.3g%11.3g%11.3g", row->p[k], row->r[k], row->ap50[k], row->ap[k]);
        strbuf_puts(&b, "\n");
    }
    return b.p ? b.p : xstrdup("");
}
