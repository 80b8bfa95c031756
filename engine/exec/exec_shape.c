/* exec_shape: the executor's data-movement and shape ops — Concat, Split, Slice,
 * Reshape, Transpose, Flatten, (Un)Squeeze, Identity, Constant, Shape, Gather, Expand,
 * Tile, Range, ConstantOfShape, Pad, TopK and NonMaxSuppression.  They work on float32
 * and int64 values alike (int64 for shape arithmetic in dynamic graphs); Concat, Split,
 * Slice and Transpose also move float16 activations as they are stored.  Every axis,
 * index, count and size taken from the graph or from a value is range-checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_impl.h"
#include "engine/core/util.h"

static size_t esize(const Value *v) { return value_esize(v->type); }

/* Axes from the attribute (older opsets) or input k (newer ones).  *n = -1 when neither. */
static int axes_arg(const Node *n, Value **in, int nin, int k, int64_t *axes, int max, int *na, char *err,
                    size_t errlen)
{
    *na = -1;
    if (nin > k && in[k]) return value_int_list(in[k], axes, max, na, "axes", err, errlen);
    const Attr *a = node_attr(n, "axes");
    if (a) {
        if (a->count > max) return err_set(err, errlen, "too many axes");
        *na = attr_ints(n, "axes", axes, max);
        if (*na < 0) return err_set(err, errlen, "too many axes");
    }
    return 0;
}

int exec_op_identity(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    return value_forward(e, n, out[0], in[0], in[0]->rank, in[0]->dims, err, errlen);
}

int exec_op_constant(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_OUT(0);
    const Attr *a = node_attr(n, "value");
    Value *y = out[0];
    if (a && a->type == ATTR_TENSOR) {
        if (a->tensor < 0 || a->tensor >= e->g->n_tensors) return err_set(err, errlen, "value tensor out of range");
        const Value *c = &e->vals[a->tensor];
        if (!c->ready) return err_set(err, errlen, "value tensor has no data");
        *y = *c; /* a view of the prepared constant */
        y->owned = false;
        y->fshadow = NULL;
        return 0;
    }
    int64_t d[1];
    if ((a = node_attr(n, "value_float")) || (a = node_attr(n, "value_int"))) {
        bool f = !strcmp(a->name, "value_float");
        if (value_alloc(e, y, f ? VT_F32 : VT_I64, 0, d, err, errlen)) return -1;
        if (f) vf(y)[0] = (float)a->f;
        else vi(y)[0] = a->i;
        return 0;
    }
    if ((a = node_attr(n, "value_floats")) || (a = node_attr(n, "value_ints"))) {
        bool f = !strcmp(a->name, "value_floats");
        d[0] = a->count;
        if (value_alloc(e, y, f ? VT_F32 : VT_I64, 1, d, err, errlen)) return -1;
        for (int i = 0; i < a->count; i++) {
            if (f) vf(y)[i] = (float)a->floats[i];
            else vi(y)[i] = a->ints[i];
        }
        return 0;
    }
    return err_set(err, errlen, "no supported value attribute");
}

int exec_op_shape(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    int r = in[0]->rank;
    int64_t start = node_attr_int(n, "start", 0), end = node_attr_int(n, "end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t d[1] = {end > start ? end - start : 0};
    if (value_alloc(e, out[0], VT_I64, 1, d, err, errlen)) return -1;
    for (int64_t i = 0; i < d[0]; i++) vi(out[0])[i] = in[0]->dims[start + i];
    return 0;
}

int exec_op_size(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    if (value_alloc(e, out[0], VT_I64, 0, NULL, err, errlen)) return -1;
    vi(out[0])[0] = in[0]->numel;
    return 0;
}

int exec_op_reshape(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    int64_t s[GRAPH_MAX_RANK];
    int ns;
    if (value_int_list(in[1], s, GRAPH_MAX_RANK, &ns, "shape", err, errlen)) return -1;
    bool allowzero = node_attr_int(n, "allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ns; i++) {
        if (s[i] == 0 && !allowzero) {
            if (i >= in[0]->rank) return err_set(err, errlen, "shape entry %d is 0 but the input has rank %d", i, in[0]->rank);
            s[i] = in[0]->dims[i];
        }
        if (s[i] == -1) {
            if (infer >= 0) return err_set(err, errlen, "shape has more than one -1");
            infer = i;
            continue;
        }
        if (s[i] < 0) return err_set(err, errlen, "shape entry %lld is invalid", (long long)s[i]);
        if (s[i] && known > EXEC_MAX_ELEMS / s[i]) return err_set(err, errlen, "shape too large");
        known *= s[i];
    }
    if (infer >= 0) {
        if (known == 0 || in[0]->numel % known)
            return err_set(err, errlen, "cannot infer -1: %lld elements into blocks of %lld", (long long)in[0]->numel,
                           (long long)known);
        s[infer] = in[0]->numel / known;
    }
    return value_forward(e, n, out[0], in[0], ns, s, err, errlen);
}

int exec_op_flatten(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    int r = in[0]->rank, axis;
    if (axis_norm(node_attr_int(n, "axis", 1), r + 1, &axis, err, errlen)) return -1;
    int64_t d[2] = {1, 1};
    for (int i = 0; i < r; i++) d[i < axis ? 0 : 1] *= in[0]->dims[i];
    return value_forward(e, n, out[0], in[0], 2, d, err, errlen);
}

int exec_op_squeeze(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int64_t axes[GRAPH_MAX_RANK];
    int na;
    if (axes_arg(n, in, nin, 1, axes, GRAPH_MAX_RANK, &na, err, errlen)) return -1;
    bool drop[GRAPH_MAX_RANK] = {false};
    if (na < 0) {
        for (int i = 0; i < x->rank; i++) drop[i] = x->dims[i] == 1;
    } else {
        for (int i = 0; i < na; i++) {
            int a;
            if (axis_norm(axes[i], x->rank, &a, err, errlen)) return -1;
            if (x->dims[a] != 1) return err_set(err, errlen, "cannot squeeze axis %d of size %lld", a, (long long)x->dims[a]);
            drop[a] = true;
        }
    }
    int64_t d[GRAPH_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!drop[i]) d[r++] = x->dims[i];
    return value_forward(e, n, out[0], x, r, d, err, errlen);
}

int exec_op_unsqueeze(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int64_t axes[GRAPH_MAX_RANK];
    int na;
    if (axes_arg(n, in, nin, 1, axes, GRAPH_MAX_RANK, &na, err, errlen)) return -1;
    if (na < 0) return err_set(err, errlen, "axes missing");
    int r = x->rank + na;
    if (r > GRAPH_MAX_RANK) return err_set(err, errlen, "result rank %d too large", r);
    bool ins[GRAPH_MAX_RANK] = {false};
    for (int i = 0; i < na; i++) {
        int a;
        if (axis_norm(axes[i], r, &a, err, errlen)) return -1;
        if (ins[a]) return err_set(err, errlen, "axis %d repeated", a);
        ins[a] = true;
    }
    int64_t d[GRAPH_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++) d[i] = ins[i] ? 1 : x->dims[j++];
    return value_forward(e, n, out[0], x, r, d, err, errlen);
}

int exec_op_concat(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_OUT(0);
    Value *first = NULL;
    bool all_int = true, all_f16 = true;
    for (int i = 0; i < nin; i++)
        if (in[i]) {
            if (!first) first = in[i];
            all_int = all_int && in[i]->type == VT_I64;
            all_f16 = all_f16 && in[i]->type == VT_F16;
        }
    if (!first) return err_set(err, errlen, "no inputs");
    int r = first->rank, axis;
    if (axis_norm(node_attr_int(n, "axis", 0), r ? r : 1, &axis, err, errlen)) return -1;
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, first->dims, sizeof d);
    if (r == 0) return err_set(err, errlen, "cannot concatenate scalars");
    d[axis] = 0;
    for (int i = 0; i < nin; i++) {
        if (!in[i]) continue;
        if (in[i]->rank != r) return err_set(err, errlen, "input %d has rank %d, not %d", i, in[i]->rank, r);
        for (int k = 0; k < r; k++)
            if (k != axis && in[i]->dims[k] != first->dims[k])
                return err_set(err, errlen, "input %d dim %d is %lld, not %lld", i, k, (long long)in[i]->dims[k],
                               (long long)first->dims[k]);
        if (d[axis] > EXEC_MAX_ELEMS) return err_set(err, errlen, "result too large");
        d[axis] += in[i]->dims[axis];
    }
    ValueType t = all_int ? VT_I64 : all_f16 ? VT_F16 : VT_F32;
    if (value_alloc(e, out[0], t, r, d, err, errlen)) return -1;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= d[k];
    for (int k = axis + 1; k < r; k++) inner *= d[k];
    size_t es = value_esize(t);
    int64_t off = 0;
    for (int i = 0; i < nin; i++) {
        if (!in[i]) continue;
        Value *x = in[i];
        int64_t chunk = x->dims[axis] * inner;
        for (int64_t o = 0; o < outer; o++) {
            char *dst = (char *)out[0]->data + ((size_t)(o * d[axis] * inner + off)) * es;
            const char *src = (const char *)x->data + (size_t)(o * chunk) * es;
            if (x->type == t) {
                if (dst != src) memcpy(dst, src, (size_t)chunk * es); /* else its producer wrote it in place */
            } else
                for (int64_t j = 0; j < chunk; j++) ((float *)dst)[j] = (float)value_get(x, o * chunk + j);
        }
        off += chunk;
    }
    return 0;
}

int exec_op_split(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0);
    Value *x = in[0];
    int axis;
    if (axis_norm(node_attr_int(n, "axis", 0), x->rank ? x->rank : 1, &axis, err, errlen)) return -1;
    if (x->rank == 0) return err_set(err, errlen, "cannot split a scalar");
    if (nout < 1) return err_set(err, errlen, "no outputs");
    int64_t *sizes = xcalloc((size_t)nout, sizeof(int64_t));
    int ns = 0, rc = 0;
    if (nin > 1 && in[1]) {
        rc = value_int_list(in[1], sizes, nout, &ns, "split", err, errlen);
    } else if (node_attr(n, "split")) {
        const Attr *a = node_attr(n, "split");
        if (a->count > nout) rc = err_set(err, errlen, "split has %d entries for %d outputs", a->count, nout);
        else ns = attr_ints(n, "split", sizes, nout);
    } else {
        /* equal parts (the last one smaller when it does not divide, as opset 18 allows) */
        int64_t len = x->dims[axis], part = (len + nout - 1) / nout;
        for (int i = 0; i < nout; i++) {
            int64_t left = len - part * i;
            sizes[i] = left < 0 ? 0 : left < part ? left : part;
        }
        ns = nout;
    }
    int64_t total = 0;
    if (!rc && ns != nout) rc = err_set(err, errlen, "split has %d entries for %d outputs", ns, nout);
    for (int i = 0; !rc && i < ns; i++) {
        if (sizes[i] < 0 || sizes[i] > x->dims[axis]) rc = err_set(err, errlen, "split size %lld out of range", (long long)sizes[i]);
        else total += sizes[i];
    }
    if (!rc && total != x->dims[axis])
        rc = err_set(err, errlen, "split sizes add up to %lld, the axis is %lld", (long long)total, (long long)x->dims[axis]);
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= x->dims[k];
    for (int k = axis + 1; k < x->rank; k++) inner *= x->dims[k];
    size_t es = esize(x);
    int64_t off = 0;
    for (int i = 0; !rc && i < nout; i++) {
        int64_t d[GRAPH_MAX_RANK];
        memcpy(d, x->dims, sizeof d);
        d[axis] = sizes[i];
        if (!out[i]) {
            off += sizes[i];
            continue;
        }
        if ((rc = value_alloc(e, out[i], x->type, x->rank, d, err, errlen))) break;
        int64_t chunk = sizes[i] * inner;
        for (int64_t o = 0; o < outer; o++) {
            char *dst = (char *)out[i]->data + (size_t)(o * chunk) * es;
            const char *src = (const char *)x->data + (size_t)(o * x->dims[axis] * inner + off * inner) * es;
            if (dst != src) memcpy(dst, src, (size_t)chunk * es); /* else a planned view of the input */
        }
        off += sizes[i];
    }
    free(sizes);
    return rc;
}

/* Strided copy of a sub-box: out[i] = x[start + i * step] per dim. */
static void copy_box(const Value *x, Value *y, const int64_t *start, const int64_t *step)
{
    int r = x->rank;
    int64_t xst[GRAPH_MAX_RANK], s = 1;
    for (int d = r - 1; d >= 0; d--) { xst[d] = s; s *= x->dims[d]; }
    if (y->numel == 0) return;
    if (r == 0) {
        memcpy(y->data, x->data, esize(x));
        return;
    }
    size_t es = esize(x);
    int64_t idx[GRAPH_MAX_RANK] = {0}, inner = y->dims[r - 1];
    for (int64_t done = 0; done < y->numel; done += inner) {
        int64_t base = 0;
        for (int d = 0; d < r - 1; d++) base += (start[d] + idx[d] * step[d]) * xst[d];
        base += start[r - 1];
        char *dst = (char *)y->data + (size_t)done * es;
        if (step[r - 1] == 1) memcpy(dst, (char *)x->data + (size_t)base * es, (size_t)inner * es);
        else if (es == sizeof(uint16_t))
            for (int64_t j = 0; j < inner; j++) ((uint16_t *)dst)[j] = ((const uint16_t *)x->data)[base + j * step[r - 1]];
        else if (es == sizeof(float))
            for (int64_t j = 0; j < inner; j++) ((float *)dst)[j] = vf(x)[base + j * step[r - 1]];
        else
            for (int64_t j = 0; j < inner; j++) ((int64_t *)dst)[j] = vi(x)[base + j * step[r - 1]];
        for (int d = r - 2; d >= 0; d--) {
            if (++idx[d] < y->dims[d]) break;
            idx[d] = 0;
        }
    }
}

int exec_op_slice(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int r = x->rank;
    int64_t starts[GRAPH_MAX_RANK], ends[GRAPH_MAX_RANK], axes[GRAPH_MAX_RANK], steps[GRAPH_MAX_RANK];
    int ns, ne, na = -1, nst = -1;
    if (nin >= 3) { /* opset 10+: starts, ends, axes, steps inputs */
        NEED_IN(1); NEED_IN(2);
        if (value_int_list(in[1], starts, GRAPH_MAX_RANK, &ns, "starts", err, errlen) ||
            value_int_list(in[2], ends, GRAPH_MAX_RANK, &ne, "ends", err, errlen))
            return -1;
        if (nin > 3 && in[3] && value_int_list(in[3], axes, GRAPH_MAX_RANK, &na, "axes", err, errlen)) return -1;
        if (nin > 4 && in[4] && value_int_list(in[4], steps, GRAPH_MAX_RANK, &nst, "steps", err, errlen)) return -1;
    } else {
        ns = attr_ints(n, "starts", starts, GRAPH_MAX_RANK);
        ne = attr_ints(n, "ends", ends, GRAPH_MAX_RANK);
        if (node_attr(n, "axes") && (na = attr_ints(n, "axes", axes, GRAPH_MAX_RANK)) < 0)
            return err_set(err, errlen, "too many axes");
        if (ns < 0 || ne < 0) return err_set(err, errlen, "too many starts or ends");
    }
    if (ns != ne || ns > r) return err_set(err, errlen, "starts/ends have %d/%d entries for rank %d", ns, ne, r);
    if (na >= 0 && na != ns) return err_set(err, errlen, "axes has %d entries, starts %d", na, ns);
    if (nst >= 0 && nst != ns) return err_set(err, errlen, "steps has %d entries, starts %d", nst, ns);
    int64_t st[GRAPH_MAX_RANK], sp[GRAPH_MAX_RANK], d[GRAPH_MAX_RANK];
    bool seen[GRAPH_MAX_RANK] = {false};
    for (int i = 0; i < r; i++) { st[i] = 0; sp[i] = 1; d[i] = x->dims[i]; }
    for (int i = 0; i < ns; i++) {
        int a;
        if (axis_norm(na >= 0 ? axes[i] : i, r, &a, err, errlen)) return -1;
        if (seen[a]) return err_set(err, errlen, "axis %d repeated", a);
        seen[a] = true;
        int64_t dim = x->dims[a], step = nst >= 0 ? steps[i] : 1, s = starts[i], en = ends[i];
        if (step == 0) return err_set(err, errlen, "step 0");
        if (step < -EXEC_MAX_ELEMS || step > EXEC_MAX_ELEMS) return err_set(err, errlen, "step out of range");
        if (s < 0) s = s < -dim ? -dim - 1 : s, s += dim;
        if (en < 0) en = en < -dim ? -dim - 1 : en, en += dim;
        int64_t cnt;
        if (step > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            en = en < 0 ? 0 : en > dim ? dim : en;
            cnt = en > s ? (en - s + step - 1) / step : 0;
        } else {
            s = s < -1 ? -1 : s > dim - 1 ? dim - 1 : s;
            en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
            cnt = s > en ? (s - en + (-step) - 1) / (-step) : 0;
        }
        st[a] = cnt ? s : 0;
        sp[a] = step;
        d[a] = cnt;
    }
    if (value_alloc(e, out[0], x->type, r, d, err, errlen)) return -1;
    copy_box(x, out[0], st, sp);
    return 0;
}

int exec_op_transpose(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int r = x->rank;
    int64_t perm[GRAPH_MAX_RANK];
    int np = attr_ints(n, "perm", perm, GRAPH_MAX_RANK);
    if (!node_attr(n, "perm"))
        for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    else if (np != r) return err_set(err, errlen, "perm has %d entries for rank %d", np, r);
    bool used[GRAPH_MAX_RANK] = {false};
    int64_t d[GRAPH_MAX_RANK], xst[GRAPH_MAX_RANK], s = 1, pst[GRAPH_MAX_RANK];
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r || used[perm[i]]) return err_set(err, errlen, "perm is not a permutation");
        used[perm[i]] = true;
    }
    for (int i = r - 1; i >= 0; i--) { xst[i] = s; s *= x->dims[i]; }
    for (int i = 0; i < r; i++) { d[i] = x->dims[perm[i]]; pst[i] = xst[perm[i]]; }
    if (value_alloc(e, out[0], x->type, r, d, err, errlen)) return -1;
    if (!out[0]->numel) return 0;
    if (r == 0) {
        memcpy(out[0]->data, x->data, esize(x));
        return 0;
    }
    size_t es = esize(x);
    int64_t idx[GRAPH_MAX_RANK] = {0}, inner = d[r - 1], ist = pst[r - 1];
    for (int64_t done = 0; done < out[0]->numel; done += inner) {
        int64_t base = 0;
        for (int k = 0; k < r - 1; k++) base += idx[k] * pst[k];
        if (es == sizeof(float)) {
            float *dst = vf(out[0]) + done;
            const float *src = vf(x) + base;
            for (int64_t j = 0; j < inner; j++) dst[j] = src[j * ist];
        } else if (es == sizeof(uint16_t)) {
            uint16_t *dst = (uint16_t *)out[0]->data + done;
            const uint16_t *src = (const uint16_t *)x->data + base;
            for (int64_t j = 0; j < inner; j++) dst[j] = src[j * ist];
        } else {
            int64_t *dst = vi(out[0]) + done;
            const int64_t *src = vi(x) + base;
            for (int64_t j = 0; j < inner; j++) dst[j] = src[j * ist];
        }
        for (int k = r - 2; k >= 0; k--) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
    return 0;
}

/* Every index of ix within [-len, len): 0, or -1 + a message. */
static int indices_in_range(const Value *ix, int64_t len, char *err, size_t errlen)
{
    for (int64_t j = 0; j < ix->numel; j++) {
        int64_t v = value_get_i64(ix, j);
        if (v < -len || v >= len) return err_set(err, errlen, "index %lld out of range for size %lld", (long long)v, (long long)len);
    }
    return 0;
}

int exec_op_gather(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *ix = in[1];
    int r = x->rank, axis;
    if (r == 0) return err_set(err, errlen, "cannot gather from a scalar");
    if (axis_norm(node_attr_int(n, "axis", 0), r, &axis, err, errlen)) return -1;
    int orank = r - 1 + ix->rank;
    if (orank > GRAPH_MAX_RANK) return err_set(err, errlen, "result rank too large");
    int64_t d[GRAPH_MAX_RANK];
    int k = 0;
    for (int i = 0; i < axis; i++) d[k++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++) d[k++] = ix->dims[i];
    for (int i = axis + 1; i < r; i++) d[k++] = x->dims[i];
    int64_t outer = 1, inner = 1, len = x->dims[axis];
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < r; i++) inner *= x->dims[i];
    if (indices_in_range(ix, len, err, errlen)) return -1;
    if (value_alloc(e, out[0], x->type, orank, d, err, errlen)) return -1;
    size_t es = esize(x);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ix->numel; j++) {
            int64_t v = value_get_i64(ix, j);
            if (v < 0) v += len;
            memcpy((char *)out[0]->data + (size_t)((o * ix->numel + j) * inner) * es,
                   (char *)x->data + (size_t)((o * len + v) * inner) * es, (size_t)inner * es);
        }
    return 0;
}

int exec_op_gather_elements(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                              size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *ix = in[1];
    int r = x->rank, axis;
    if (r == 0 || ix->rank != r) return err_set(err, errlen, "data and indices must have the same rank");
    if (axis_norm(node_attr_int(n, "axis", 0), r, &axis, err, errlen)) return -1;
    for (int i = 0; i < r; i++)
        if (i != axis && ix->dims[i] > x->dims[i]) return err_set(err, errlen, "indices dim %d exceeds the data's", i);
    if (value_alloc(e, out[0], x->type, r, ix->dims, err, errlen)) return -1;
    int64_t xst[GRAPH_MAX_RANK], s = 1, idx[GRAPH_MAX_RANK] = {0};
    for (int i = r - 1; i >= 0; i--) { xst[i] = s; s *= x->dims[i]; }
    for (int64_t j = 0; j < ix->numel; j++) {
        int64_t v = value_get_i64(ix, j), len = x->dims[axis];
        if (v < -len || v >= len) return err_set(err, errlen, "index %lld out of range", (long long)v);
        if (v < 0) v += len;
        int64_t off = 0;
        for (int d = 0; d < r; d++) off += (d == axis ? v : idx[d]) * xst[d];
        if (x->type == VT_F32) vf(out[0])[j] = vf(x)[off];
        else vi(out[0])[j] = vi(x)[off];
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < ix->dims[d]) break;
            idx[d] = 0;
        }
    }
    return 0;
}

/* OpenVINO ScatterUpdate-3: a copy of data in which the slices at indices along axis are
 * replaced, output[.., indices[j], ..] = updates[.., j, ..]; updates has the shape
 * data.shape[:axis] + indices.shape + data.shape[axis + 1:].  Later indices win where two
 * name one slice. */
int exec_op_scatter_update(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                           size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_IN(2); NEED_OUT(0);
    Value *x = in[0], *ix = in[1], *up = in[2];
    int r = x->rank, axis;
    if (r == 0) return err_set(err, errlen, "the data must have at least one dimension");
    if (axis_norm(node_attr_int(n, "axis", 0), r, &axis, err, errlen)) return -1;
    if (up->type != x->type) return err_set(err, errlen, "the updates' type differs from the data's");
    if (axis + ix->rank + (r - axis - 1) != up->rank || up->rank > GRAPH_MAX_RANK)
        return err_set(err, errlen, "the updates have rank %d; data rank %d and indices rank %d make %d", up->rank, r,
                       ix->rank, r - 1 + ix->rank);
    for (int i = 0; i < up->rank; i++) {
        int64_t want = i < axis ? x->dims[i] : i < axis + ix->rank ? ix->dims[i - axis] : x->dims[i - ix->rank + 1];
        if (up->dims[i] != want) return err_set(err, errlen, "the updates' dim %d is %lld, not %lld", i,
                                                (long long)up->dims[i], (long long)want);
    }
    int64_t outer = 1, inner = 1, len = x->dims[axis];
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < r; i++) inner *= x->dims[i];
    if (indices_in_range(ix, len, err, errlen)) return -1;
    if (value_alloc(e, out[0], x->type, r, x->dims, err, errlen)) return -1;
    size_t es = esize(x);
    if (x->numel) memcpy(out[0]->data, x->data, (size_t)x->numel * es);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ix->numel; j++) {
            int64_t v = value_get_i64(ix, j);
            if (v < 0) v += len;
            memcpy((char *)out[0]->data + (size_t)((o * len + v) * inner) * es,
                   (const char *)up->data + (size_t)((o * ix->numel + j) * inner) * es, (size_t)inner * es);
        }
    return 0;
}

/* Broadcast copy of x into y's shape (numpy rules; y already allocated). */
static void broadcast_into(const Value *x, Value *y)
{
    int r = y->rank;
    int64_t st[GRAPH_MAX_RANK], s = 1;
    for (int i = r - 1; i >= 0; i--) {
        int xi = i - (r - x->rank);
        if (xi < 0 || x->dims[xi] == 1) st[i] = 0;
        else { st[i] = s; s *= x->dims[xi]; }
    }
    int64_t idx[GRAPH_MAX_RANK] = {0}, off = 0;
    for (int64_t j = 0; j < y->numel; j++) {
        if (y->type == VT_F32) vf(y)[j] = vf(x)[off];
        else vi(y)[j] = vi(x)[off];
        for (int d = r - 1; d >= 0; d--) {
            off += st[d];
            if (++idx[d] < y->dims[d]) break;
            off -= st[d] * y->dims[d];
            idx[d] = 0;
        }
    }
}

int exec_op_expand(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    int64_t s[GRAPH_MAX_RANK], d[GRAPH_MAX_RANK];
    int ns, r;
    if (value_int_list(in[1], s, GRAPH_MAX_RANK, &ns, "shape", err, errlen)) return -1;
    for (int i = 0; i < ns; i++)
        if (s[i] < 0) return err_set(err, errlen, "negative shape entry");
    if (broadcast_shape(in[0]->dims, in[0]->rank, s, ns, d, &r, err, errlen)) return -1;
    if (value_alloc(e, out[0], in[0]->type, r, d, err, errlen)) return -1;
    broadcast_into(in[0], out[0]);
    return 0;
}

int exec_op_tile(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0];
    int64_t rep[GRAPH_MAX_RANK], d[GRAPH_MAX_RANK];
    int nr;
    if (value_int_list(in[1], rep, GRAPH_MAX_RANK, &nr, "repeats", err, errlen)) return -1;
    if (nr != x->rank) return err_set(err, errlen, "repeats has %d entries for rank %d", nr, x->rank);
    for (int i = 0; i < nr; i++) {
        if (rep[i] < 0 || (x->dims[i] && rep[i] > EXEC_MAX_ELEMS / x->dims[i]))
            return err_set(err, errlen, "repeat %lld out of range", (long long)rep[i]);
        d[i] = x->dims[i] * rep[i];
    }
    if (value_alloc(e, out[0], x->type, nr, d, err, errlen)) return -1;
    int64_t xst[GRAPH_MAX_RANK], s = 1, idx[GRAPH_MAX_RANK] = {0};
    for (int i = nr - 1; i >= 0; i--) { xst[i] = s; s *= x->dims[i]; }
    for (int64_t j = 0; j < out[0]->numel; j++) {
        int64_t off = 0;
        for (int k = 0; k < nr; k++) off += (idx[k] % x->dims[k]) * xst[k];
        if (x->type == VT_F32) vf(out[0])[j] = vf(x)[off];
        else vi(out[0])[j] = vi(x)[off];
        for (int k = nr - 1; k >= 0; k--) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
    return 0;
}

int exec_op_range(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_IN(2); NEED_OUT(0);
    for (int k = 0; k < 3; k++)
        if (in[k]->numel != 1) return err_set(err, errlen, "start, limit and delta must be scalars");
    bool ints = in[0]->type == VT_I64 && in[1]->type == VT_I64 && in[2]->type == VT_I64;
    double st = value_get(in[0], 0), lim = value_get(in[1], 0), dl = value_get(in[2], 0);
    if (dl == 0 || dl != dl) return err_set(err, errlen, "delta is 0");
    double cnt = ceil((lim - st) / dl);
    if (!(cnt >= 0)) cnt = 0;
    if (cnt > (double)EXEC_MAX_ELEMS) return err_set(err, errlen, "range too long");
    int64_t d[1] = {(int64_t)cnt};
    if (value_alloc(e, out[0], ints ? VT_I64 : VT_F32, 1, d, err, errlen)) return -1;
    for (int64_t i = 0; i < d[0]; i++) {
        if (ints) vi(out[0])[i] = vi(in[0])[0] + i * vi(in[2])[0];
        else vf(out[0])[i] = (float)(st + (double)i * dl);
    }
    return 0;
}

/* CumSum (ONNX): running sums of x along the axis given as a scalar input; exclusive leaves
 * each element out of its own sum, reverse sums from the end. */
int exec_op_cumsum(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0];
    if (x->type != VT_F32 && x->type != VT_I64) return err_set(err, errlen, "CumSum takes float32 or int64 data");
    if (in[1]->numel != 1) return err_set(err, errlen, "the axis must be a scalar");
    int64_t axis = value_get_i64(in[1], 0);
    if (axis < -x->rank || axis >= x->rank || x->rank == 0)
        return err_set(err, errlen, "axis %lld is out of range for rank %d", (long long)axis, x->rank);
    if (axis < 0) axis += x->rank;
    bool excl = node_attr_int(n, "exclusive", 0) != 0, rev = node_attr_int(n, "reverse", 0) != 0;
    if (value_alloc(e, out[0], x->type, x->rank, x->dims, err, errlen)) return -1;
    int64_t len = x->dims[axis], inner = 1, outer = 1;
    for (int i = (int)axis + 1; i < x->rank; i++) inner *= x->dims[i];
    for (int i = 0; i < (int)axis; i++) outer *= x->dims[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            double sf = 0;
            int64_t si = 0;
            for (int64_t k = 0; k < len; k++) {
                int64_t kk = rev ? len - 1 - k : k, at = (o * len + kk) * inner + j;
                if (x->type == VT_F32) {
                    float v = vf(x)[at];
                    if (!excl) sf += v;
                    vf(out[0])[at] = (float)sf;
                    if (excl) sf += v;
                } else {
                    int64_t v = vi(x)[at];
                    if (!excl) si += v;
                    vi(out[0])[at] = si;
                    if (excl) si += v;
                }
            }
        }
    return 0;
}

int exec_op_constant_of_shape(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                                size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    int64_t s[GRAPH_MAX_RANK];
    int ns;
    if (value_int_list(in[0], s, GRAPH_MAX_RANK, &ns, "shape", err, errlen)) return -1;
    const Attr *a = node_attr(n, "value");
    ValueType t = VT_F32;
    double fv = 0;
    int64_t iv = 0;
    if (a && a->type == ATTR_TENSOR) {
        if (a->tensor < 0 || a->tensor >= e->g->n_tensors) return err_set(err, errlen, "value tensor out of range");
        const Value *c = &e->vals[a->tensor];
        if (!c->ready || c->numel != 1) return err_set(err, errlen, "value must be a one-element tensor");
        t = c->type;
        fv = value_get(c, 0);
        iv = value_get_i64(c, 0);
    }
    if (value_alloc(e, out[0], t, ns, s, err, errlen)) return -1;
    for (int64_t i = 0; i < out[0]->numel; i++) {
        if (t == VT_F32) vf(out[0])[i] = (float)fv;
        else vi(out[0])[i] = iv;
    }
    return 0;
}

int exec_op_pad(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int r = x->rank;
    int64_t p[2 * GRAPH_MAX_RANK];
    int np;
    if (nin > 1 && in[1]) {
        if (value_int_list(in[1], p, 2 * GRAPH_MAX_RANK, &np, "pads", err, errlen)) return -1;
    } else {
        np = attr_ints(n, "pads", p, 2 * GRAPH_MAX_RANK);
    }
    if (nin > 3 && in[3]) return err_set(err, errlen, "the axes input is not supported");
    if (np != 2 * r) return err_set(err, errlen, "pads has %d entries for rank %d", np, r);
    const char *mode = node_attr_str(n, "mode", "constant");
    if (strcmp(mode, "constant")) return err_set(err, errlen, "Pad mode '%s' is not supported", mode);
    double cv = node_attr_float(n, "value", 0.0);
    if (nin > 2 && in[2] && in[2]->numel) cv = value_get(in[2], 0);
    int64_t d[GRAPH_MAX_RANK];
    for (int i = 0; i < r; i++) {
        if (p[i] < -x->dims[i] || p[i + r] < -x->dims[i] || p[i] > EXEC_MAX_ELEMS || p[i + r] > EXEC_MAX_ELEMS)
            return err_set(err, errlen, "pad out of range");
        d[i] = x->dims[i] + p[i] + p[i + r];
        if (d[i] < 0) return err_set(err, errlen, "pads leave a negative size");
    }
    if (value_alloc(e, out[0], x->type, r, d, err, errlen)) return -1;
    if (out[0]->numel == 0) return 0;
    int64_t xst[GRAPH_MAX_RANK], s = 1, idx[GRAPH_MAX_RANK] = {0};
    for (int i = r - 1; i >= 0; i--) { xst[i] = s; s *= x->dims[i]; }
    /* row by row along the last axis: the value, then the row's part of x copied over it */
    int last = r - 1;
    int64_t W = r ? d[last] : 1, rows = out[0]->numel / W;
    int64_t lo = r ? p[last] : 0; /* x's row starts at out column lo (may be negative: cropped) */
    size_t es = value_esize(x->type);
    unsigned char fill[8]; /* the value as the element type stores it */
    float f32 = (float)cv;
    double ci = cv != cv ? 0 : cv < -9.2e18 ? -9.2e18 : cv > 9.2e18 ? 9.2e18 : cv; /* converts to int64 */
    int64_t i64 = (int64_t)ci;
    uint8_t u8 = (uint8_t)(ci < 0 ? 0 : ci > 255 ? 255 : ci);
    int8_t i8 = (int8_t)(ci < -128 ? -128 : ci > 127 ? 127 : ci);
    memcpy(fill, x->type == VT_F32 ? (void *)&f32 : x->type == VT_I64 ? (void *)&i64 : x->type == VT_U8 ? (void *)&u8 : (void *)&i8, es);
    int64_t c0 = lo > 0 ? lo : 0, c1 = r ? lo + x->dims[last] : 1;
    if (c1 > W) c1 = W;
    for (int64_t j = 0; j < rows; j++) {
        int64_t off = 0;
        bool inside = true;
        for (int k = 0; k < last; k++) {
            int64_t xi = idx[k] - p[k];
            if (xi < 0 || xi >= x->dims[k]) inside = false;
            off += xi * xst[k];
        }
        uint8_t *o = (uint8_t *)out[0]->data + (size_t)(j * W) * es;
        for (int64_t c = 0; c < W; c++) memcpy(o + (size_t)c * es, fill, es);
        if (inside && c1 > c0)
            memcpy(o + (size_t)c0 * es, (const uint8_t *)x->data + (size_t)(off + (c0 - lo)) * es, es * (size_t)(c1 - c0));
        for (int k = last - 1; k >= 0; k--) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
    return 0;
}

/* ---- TopK ------------------------------------------------------------------------- */

typedef struct {
    double v;
    int64_t i;
} Ranked;

static int rank_desc(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int rank_asc(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int exec_op_topk(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int64_t k;
    if (nin > 1 && in[1]) {
        if (in[1]->numel != 1) return err_set(err, errlen, "K must hold one value");
        k = value_get_i64(in[1], 0);
    } else {
        k = node_attr_int(n, "k", -1);
    }
    int axis;
    if (axis_norm(node_attr_int(n, "axis", -1), x->rank ? x->rank : 1, &axis, err, errlen)) return -1;
    if (x->rank == 0) return err_set(err, errlen, "TopK of a scalar");
    int64_t len = x->dims[axis];
    if (k < 0 || k > len) return err_set(err, errlen, "K %lld out of range for size %lld", (long long)k, (long long)len);
    bool largest = node_attr_int(n, "largest", 1) != 0;
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    d[axis] = k;
    if (value_alloc(e, out[0], x->type, x->rank, d, err, errlen)) return -1;
    if (nout > 1 && out[1] && value_alloc(e, out[1], VT_I64, x->rank, d, err, errlen)) return -1;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
    Ranked *buf = xmalloc(sizeof(Ranked) * (size_t)(len ? len : 1));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            for (int64_t a = 0; a < len; a++) {
                buf[a].v = value_get(x, (o * len + a) * inner + j);
                buf[a].i = a;
            }
            qsort(buf, (size_t)len, sizeof *buf, largest ? rank_desc : rank_asc);
            for (int64_t a = 0; a < k; a++) {
                int64_t oi = (o * k + a) * inner + j;
                if (x->type == VT_F32) vf(out[0])[oi] = (float)buf[a].v;
                else vi(out[0])[oi] = (int64_t)buf[a].v;
                if (nout > 1 && out[1]) vi(out[1])[oi] = buf[a].i;
            }
        }
    free(buf);
    return 0;
}

/* ---- NonMaxSuppression ------------------------------------------------------------ */

static float box_iou(const float *a, const float *b, int center)
{
    float ax1, ay1, ax2, ay2, bx1, by1, bx2, by2;
    if (center) {
        ax1 = a[0] - a[2] / 2; ax2 = a[0] + a[2] / 2; ay1 = a[1] - a[3] / 2; ay2 = a[1] + a[3] / 2;
        bx1 = b[0] - b[2] / 2; bx2 = b[0] + b[2] / 2; by1 = b[1] - b[3] / 2; by2 = b[1] + b[3] / 2;
    } else { /* [y1, x1, y2, x2], corners in either order */
        ay1 = fminf(a[0], a[2]); ay2 = fmaxf(a[0], a[2]); ax1 = fminf(a[1], a[3]); ax2 = fmaxf(a[1], a[3]);
        by1 = fminf(b[0], b[2]); by2 = fmaxf(b[0], b[2]); bx1 = fminf(b[1], b[3]); bx2 = fmaxf(b[1], b[3]);
    }
    float iw = fminf(ax2, bx2) - fmaxf(ax1, bx1), ih = fminf(ay2, by2) - fmaxf(ay1, by1);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = iw * ih, uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    return uni > 0 ? inter / uni : 0;
}

int exec_op_nms(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *boxes = in[0], *scores = in[1];
    if (boxes->type != VT_F32 || scores->type != VT_F32 || boxes->rank != 3 || scores->rank != 3 ||
        boxes->dims[2] != 4 || boxes->dims[0] != scores->dims[0] || boxes->dims[1] != scores->dims[2])
        return err_set(err, errlen, "boxes must be [B, N, 4] and scores [B, C, N]");
    int64_t max_out = nin > 2 && in[2] && in[2]->numel ? value_get_i64(in[2], 0) : 0;
    float iou_th = nin > 3 && in[3] && in[3]->numel ? (float)value_get(in[3], 0) : 0.f;
    bool has_score_th = nin > 4 && in[4] && in[4]->numel;
    float score_th = has_score_th ? (float)value_get(in[4], 0) : 0.f;
    int center = (int)node_attr_int(n, "center_point_box", 0);
    int64_t B = boxes->dims[0], N = boxes->dims[1], C = scores->dims[1];
    if (max_out < 0) max_out = 0;
    Ranked *cand = xmalloc(sizeof(Ranked) * (size_t)(N ? N : 1));
    int64_t *keep = xmalloc(sizeof(int64_t) * (size_t)(N ? N : 1));
    Vec sel = {0};
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++) {
            const float *sc = vf(scores) + (b * C + c) * N;
            int64_t nc = 0;
            for (int64_t i = 0; i < N; i++)
                if (!has_score_th || sc[i] > score_th) {
                    cand[nc].v = sc[i];
                    cand[nc++].i = i;
                }
            qsort(cand, (size_t)nc, sizeof *cand, rank_desc);
            int64_t nk = 0;
            for (int64_t i = 0; i < nc && nk < max_out; i++) {
                const float *bi = vf(boxes) + (b * N + cand[i].i) * 4;
                bool ok = true;
                for (int64_t j = 0; j < nk && ok; j++)
                    if (box_iou(bi, vf(boxes) + (b * N + keep[j]) * 4, center) > iou_th) ok = false;
                if (!ok) continue;
                keep[nk++] = cand[i].i;
                int64_t trip[3] = {b, c, cand[i].i};
                for (int t = 0; t < 3; t++) vec_push(&sel, sizeof(int64_t), &trip[t]);
            }
        }
    free(cand);
    free(keep);
    int64_t d[2] = {(int64_t)sel.len / 3, 3};
    int rc = value_alloc(e, out[0], VT_I64, 2, d, err, errlen);
    if (!rc && sel.len) memcpy(out[0]->data, sel.items, sel.len * sizeof(int64_t));
    vec_free(&sel);
    return rc;
}

