#!/usr/bin/python3
"""Test-only: run yoloport's TorchScript archives in PyTorch (torch.jit.load) and compare.

  torchscript_check.py ops FILE       the hand-built op graph of tests/unit/test_torchscript.c:
                                      recompute every output with torch.nn.functional from the
                                      module's own tensors; prints "OK name diff" / "BAD name why"
  torchscript_check.py plan PLAN.json the e2e checks (tests/e2e/torchscript.sh); prints PASS/FAIL
                                      lines for tests/run.sh

Plan entries: {"name", "model", "input", "output", "protos"?, "box_tol", "score_tol",
"kind"? ("raw": compare every output with "tol": [per output] instead of boxes/scores),
"half_of"? (the float32 archive this one must equal after .half()), "same_as"? (an archive that
must give identical outputs), "sizes"? ([[h, w], ...] extra input sizes to run),
"peer_config"? (the peer's archive whose extra/config.txt must match but for date/version),
"params"? (expected parameter count), "resave"? (a path: save, reload and freeze must agree)}.
"""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def ops_input():
    n = 1 * 4 * 8 * 8
    return torch.sin(torch.arange(n, dtype=torch.float32) * 0.37).reshape(1, 4, 8, 8)


def ops_reference(m, x):
    """The op graph, written independently with torch.nn.functional (ONNX semantics)."""
    c1 = F.conv2d(x, m.conv1_weight, m.conv1_bias, padding=1)
    c1 = F.batch_norm(c1, m.bn_running_mean, m.bn_running_var, m.bn_weight, m.bn_bias, False, 0.0, 1e-3)
    c2 = F.conv2d(F.pad(x, (0, 1, 0, 1)), m.conv2_weight, None, stride=2, groups=4)
    s, r, g = F.silu(c1), F.relu(c1), torch.sigmoid(c1)
    mp = F.max_pool2d(s, 3, 1, 1)
    ap = F.avg_pool2d(r, 2, 2)
    gp = F.adaptive_avg_pool2d(g, 1)
    up = ap.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    cat = torch.cat([mp, up], 1)
    sp0, sp1 = cat[:, :6], cat[:, 6:]
    sl = sp1[:, :, 1:7:2, :]
    rs = sl.reshape(1, 10, -1)
    tp = rs.permute(0, 2, 1)
    sm = torch.softmax(tp, -1)
    mm = sm @ m.mat
    a4 = ((np.float32(1.0) - (mm + 0.5)) * m.vec) / 3.0
    rm = a4.amax(1)
    fl = gp.reshape(1, -1)
    gm = fl @ m.fc_weight.t() + m.fc_bias
    gm2 = (fl @ m.fc2_weight) * 0.5
    c2f = c2.reshape(4, 16)
    am = a4.argmax(2, keepdim=True)
    topv, topi = torch.topk(gm, 2, -1)
    ct = F.conv_transpose2d(c2, m.convt_weight, m.convt_bias, stride=2)
    sq = gm2.clone()
    gt = c2f[1]
    cl = a4.clamp(-0.1, 0.2)
    ex = torch.exp(gm)
    return [a4, rm, gm, gm2, c2f, am, topv, topi, ct, sq, gt, cl, ex, sp0]


OPS_NAMES = ["div", "reducemax", "gemm_linear", "gemm_alpha", "flatten2", "argmax", "topk_values", "topk_indices",
             "conv_transpose", "unsqueeze_squeeze", "gather", "clip", "exp", "split"]


def run_ops(path):
    m = torch.jit.load(path)
    x = ops_input()
    with torch.no_grad():
        got = m(x)
        want = ops_reference(m, x)
    got = list(got) if isinstance(got, (tuple, list)) else [got]
    if len(got) != len(want):
        print("BAD outputs", len(got), "outputs, expected", len(want))
        return 1
    bad = 0
    for name, a, b in zip(OPS_NAMES, got, want):
        if a.shape != b.shape or a.dtype != b.dtype:
            print("BAD", name, "shape/dtype", tuple(a.shape), a.dtype, "expected", tuple(b.shape), b.dtype)
            bad += 1
            continue
        d = (a.double() - b.double()).abs().max().item() if a.numel() else 0.0
        if d > 1e-5:
            print("BAD", name, "max |diff|", d)
            bad += 1
        else:
            print("OK", name, d)
    return 1 if bad else 0


def line(ok, name, msg):
    print(("PASS " if ok else "FAIL ") + name + ": " + msg)
    return ok


def outputs_of(model, x):
    with torch.no_grad():
        y = model(x)
    return list(y) if isinstance(y, (tuple, list)) else [y]


def check_entry(e):
    name = "torchscript_" + e["name"]
    t0 = time.time()
    extra = {"config.txt": ""}
    try:
        m = torch.jit.load(e["model"], _extra_files=extra)
    except Exception as ex:  # report, do not stop the other entries
        line(False, name + "_load", str(ex).strip().splitlines()[-1][:300])
        return
    line(True, name + "_load", "torch.jit.load %.2f s" % (time.time() - t0))
    params = list(m.parameters())
    dtypes = sorted({str(p.dtype) for p in params})
    x = torch.from_numpy(np.load(e["input"]))
    if e.get("half_of"):
        ref = torch.jit.load(e["half_of"])
        same = all(torch.equal(a.half(), b) for a, b in zip(ref.parameters(), params)) and \
            all(torch.equal(a.half(), b) for a, b in zip(ref.buffers(), m.buffers()))
        line(same and dtypes == ["torch.float16"], name + "_fp16_weights",
             "%d parameters %s, each equal to torch's .half() of the float32 export" % (len(params), dtypes))
        try:
            outputs_of(m, x.half())
            line(True, name + "_cpu_fp16", "ran in float16 on the CPU")
        except RuntimeError as ex:
            # torch 1.13 has no CPU float16 convolution: the file is for GPUs, or .float() on CPUs
            msg = str(ex).strip().splitlines()[-1]
            line("not implemented for 'Half'" in msg, name + "_cpu_fp16",
                 "torch 1.13 CPU: %s -> checked after .float()" % msg[:80])
        m = m.float()
    t0 = time.time()
    got = outputs_of(m, x)
    ms = (time.time() - t0) * 1000
    want = [np.load(e["output"])] + ([np.load(e["protos"])] if e.get("protos") else [])
    if len(got) != len(want) or any(tuple(g.shape) != w.shape for g, w in zip(got, want)):
        line(False, name + "_outputs", "shapes %s, expected %s" % ([tuple(g.shape) for g in got],
                                                                  [w.shape for w in want]))
        return
    if e.get("kind") == "raw":
        # any head: output by output against another runtime (our executor)
        for k, (g, w) in enumerate(zip(got, want)):
            d = float(np.abs(g.numpy().astype(np.float64) - w).max())
            scale = float(np.abs(w).max())
            line(d <= e["tol"][k], "%s_output%d" % (name, k),
                 "max |diff| %.3g on values up to %.4g (tol %g), shape %s, forward %.0f ms"
                 % (d, scale, e["tol"][k], tuple(w.shape), ms))
        return
    y, ref = got[0].numpy(), want[0]
    d = np.abs(y.astype(np.float64) - ref)
    nc = int(e.get("nc", 80))
    box, score = float(d[:, :4].max()), float(d[:, 4:4 + nc].max())
    conf = ref[0, 4:4 + nc].max(0) > 0.25
    box_conf = float(d[0, :4, conf].max()) if conf.any() else 0.0
    line(box <= e["box_tol"] or box_conf <= e.get("box_conf_tol", -1), name + "_boxes",
         "max |diff| %.4g px (%.4g px on the %d boxes scoring > 0.25; tol %g), forward %.0f ms"
         % (box, box_conf, int(conf.sum()), e["box_tol"], ms))
    line(score <= e["score_tol"], name + "_scores", "max |diff| %.3g (tol %g)" % (score, e["score_tol"]))
    if d.shape[1] > 4 + nc:
        mc = float(d[:, 4 + nc:].max())
        line(mc <= e.get("extra_tol", 1e-3), name + "_mask_coefficients", "max |diff| %.3g" % mc)
    if len(got) > 1:
        p = float(np.abs(got[1].numpy().astype(np.float64) - want[1]).max())
        line(p <= e.get("protos_tol", 1e-3), name + "_protos", "max |diff| %.3g" % p)
    if e.get("params") is not None:
        n = sum(p.numel() for p in m.parameters())
        line(n == e["params"], name + "_parameters", "%d parameters (expected %d)" % (n, e["params"]))
    if e.get("resave"):
        # users re-save, freeze and optimize scripted modules: all must keep the outputs
        m.save(e["resave"])
        again = outputs_of(torch.jit.load(e["resave"]), x)
        frozen = outputs_of(torch.jit.freeze(m.eval()), x)
        d1 = max(float((a - b).abs().max()) for a, b in zip(got, again))
        d2 = max(float((a - b).abs().max()) for a, b in zip(got, frozen))
        line(d1 == 0.0 and d2 <= 1e-3, name + "_resave_freeze",
             "torch.jit.save + load: max |diff| %g; torch.jit.freeze: %g" % (d1, d2))
    if e.get("same_as"):
        other = outputs_of(torch.jit.load(e["same_as"]), x)
        diff = max(float((a - b).abs().max()) for a, b in zip(got, other))
        line(diff == 0.0, name + "_same_as_static", "max |diff| %g against %s" % (diff, e["same_as"]))
    for h, w in e.get("sizes", []):
        xs = F.interpolate(x, size=(h, w))
        try:
            shapes = [tuple(t.shape) for t in outputs_of(m, xs)]
            anchors = sum((h // s) * (w // s) for s in (8, 16, 32))
            line(shapes[0][2] == anchors, "%s_size_%dx%d" % (name, h, w), "outputs %s" % shapes)
        except Exception as ex:
            line(False, "%s_size_%dx%d" % (name, h, w), str(ex).strip().splitlines()[-1][:200])
    if e.get("peer_config"):
        peer = {"config.txt": ""}
        torch.jit.load(e["peer_config"], _extra_files=peer)
        ours, theirs = json.loads(extra["config.txt"]), json.loads(peer["config.txt"])
        skip = {"date", "version"}
        diff = [k for k in set(ours) | set(theirs) if k not in skip and ours.get(k) != theirs.get(k)]
        line(not diff and list(ours) == list(theirs), name + "_metadata",
             "extra/config.txt keys %s; differing (date/version aside): %s" % (list(ours), diff or "none"))


def run_plan(path):
    with open(path) as f:
        plan = json.load(f)
    for e in plan:
        check_entry(e)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "ops":
        sys.exit(run_ops(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "plan":
        sys.exit(run_plan(sys.argv[2]))
    print(__doc__)
    sys.exit(2)
