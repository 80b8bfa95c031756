#!/usr/bin/python3
"""Test-only: compare a model family's output, as a runtime computed it, with a reference.

  families_check.py compare NAME KIND GOT.npy WANT.npy [CANDIDATES.npy]
  families_check.py torch NAME KIND MODEL.torchscript INPUT.npy WANT.npy [CANDIDATES.npy]
      (the archive run in torch.jit.load; its first output compared)
  families_check.py batch FILE
      (each line of FILE, tab-separated, one of the above without the program name: one
      process, torch imported once)

KIND says how output0 is laid out:
  grid     [B, C, A] (or any shape): every value within 1e-3 + 1e-4 * |want|
  xyxy     YOLOv10's [B, K, 6] rows (x1 y1 x2 y2 score class): the same scores; rows above the
           k-th score match one to one; rows at the k-th score (the top-k chose among equal
           scores) must each be one of the candidates [B, 4+nc, A] (our executor's, from
           `test_families run`)
  queries  RT-DETR's [B, K, 4+nc] query rows, as sets: rows without a match on either side
           only at ranks whose selection score (CANDIDATES [B, K], best first, ours) is within
           tolerance of the last one selected
Prints one "PASS name (...)" or "FAIL name: why" line for tests/run.sh.
"""
import sys

import numpy as np


def near(a, b):
    return np.abs(a - b) <= 1e-3 + 1e-4 * np.abs(b)


def cmp_grid(got, want):
    if got.shape != want.shape:
        return False, f"shape {got.shape} vs {want.shape}"
    d = np.abs(got - want)
    bad = int((~near(got, want)).sum())
    return bad == 0, f"max |diff| {d.max():.3g}, {bad} values beyond tolerance"


def is_candidate(row, cand):
    cls = int(row[5])
    if cls < 0 or 4 + cls >= cand.shape[0]:
        return False
    ok = near(cand[4 + cls], row[4])
    for k in range(4):
        ok &= near(cand[k], row[k])
    return bool(ok.any())


def cmp_xyxy(got, want, cand):
    if got.shape != want.shape:
        return False, f"shape {got.shape} vs {want.shape}"
    tied = 0
    for b in range(want.shape[0]):
        g = got[b][np.argsort(-got[b][:, 4], kind="stable")]
        w = want[b][np.argsort(-want[b][:, 4], kind="stable")]
        if not near(g[:, 4], w[:, 4]).all():
            return False, "scores differ"
        kth = w[-1, 4]
        used = np.zeros(len(g), bool)
        for r in w:
            if near(r[4], kth):
                tied += 1
                if not is_candidate(r, cand[b]):
                    return False, f"the reference row {r[:6]} is none of the candidates"
                continue
            m = np.where(~used & near(g, r).all(1))[0]
            if not len(m):
                return False, f"the reference row {r[:6]} has no match"
            used[m[0]] = True
        for r in g:
            if near(r[4], kth) and not is_candidate(r, cand[b]):
                return False, f"the row {r[:6]} is none of the candidates"
    return True, f"{want.shape[1]} rows, {tied} at the k-th score checked against the candidates"


def cmp_queries(got, want, sel):
    if got.shape != want.shape:
        return False, f"shape {got.shape} vs {want.shape}"
    free = 0
    for b in range(want.shape[0]):
        g, w, s = got[b], want[b], sel[b]
        used = np.zeros(len(g), bool)
        hit = np.zeros(len(w), bool)
        for i, r in enumerate(w):
            m = np.where(~used & near(g, r).all(1))[0]
            if len(m):
                used[m[0]] = hit[i] = True
        at_boundary = near(s, s[-1])
        if (~hit & ~at_boundary).any() or (~used & ~at_boundary).any():
            return False, "rows differ away from the selection's equal scores"
        free += int((~hit).sum())
    return True, f"{want.shape[1]} query rows, {want.shape[1] - free} matched, {free} chosen among equal scores"


def compare(name, kind, got, want, cand):
    got, want = got.astype(np.float64), want.astype(np.float64)
    if kind == "grid":
        ok, what = cmp_grid(got, want)
    elif kind == "xyxy":
        ok, what = cmp_xyxy(got, want, cand.astype(np.float64))
    elif kind == "queries":
        ok, what = cmp_queries(got, want, cand.astype(np.float64))
    else:
        ok, what = False, f"unknown kind {kind}"
    print(f"PASS {name} ({what})" if ok else f"FAIL {name}: {what}")
    return ok


def main(argv):
    if len(argv) == 3 and argv[1] == "batch":
        rc = 0
        with open(argv[2]) as f:
            for line in f:
                args = [a for a in line.rstrip("\n").split("\t") if a]
                if not args:
                    continue
                try:
                    rc |= main([argv[0]] + args)
                except Exception as e:  # a missing or unreadable output is that check's failure
                    print(f"FAIL {args[1] if len(args) > 1 else '?'}: {type(e).__name__}: {e}")
                    rc = 1
        return rc
    if len(argv) >= 6 and argv[1] == "compare":
        cand = np.load(argv[6]) if len(argv) > 6 else None
        return 0 if compare(argv[2], argv[3], np.load(argv[4]), np.load(argv[5]), cand) else 1
    if len(argv) >= 7 and argv[1] == "torch":
        import torch

        name = argv[2]
        try:
            m = torch.jit.load(argv[4])
            x = torch.from_numpy(np.load(argv[5]))
            with torch.no_grad():
                y = m(x)
            if isinstance(y, (list, tuple)):
                y = y[0]
            got = y.numpy()
        except Exception as e:  # a runtime error is the check's failure
            print(f"FAIL {name}: torch.jit: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            return 1
        cand = np.load(argv[7]) if len(argv) > 7 else None
        return 0 if compare(name, argv[3], got, np.load(argv[6]), cand) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
