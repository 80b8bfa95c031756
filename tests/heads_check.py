#!/usr/bin/python3
"""Test-only: the peer's decode of the end-to-end heads, applied to an output tensor our
executor computed, against what `yoloport predict --json` printed for the same input; and
validation labels made from that decode (every prediction then matches a label exactly).

  heads_check.py inputs DIR
      DIR/a.png (320x320) and DIR/b.png (320 wide, 240 high), random RGB, and the network
      inputs the peer's preprocessing makes of them at imgsz=320, written out exactly
      (no resize is involved):
        a.npy      a.png as is: RT-DETR's stretch to 320x320, and its validation input;
        b_pred.npy b.png letterboxed for predict (auto): 256x320, 8 rows of 114 above and below;
        b_val.npy  b.png letterboxed for val (rect, batch 1): 256x352 (ceil(0.75*10+0.5)*32 x
                   ceil(10+0.5)*32), 8 rows above and below, 16 columns left and right.
  heads_check.py pickconf OUT.npy K
      a conf halfway between the K-th and (K+1)-th best query scores of RT-DETR rows
  heads_check.py predict queries OUT.npy PRED.json CONF MAX_DET CLASSES IMG_W IMG_H
  heads_check.py predict rows OUT.npy PRED.json CONF MAX_DET CLASSES NET_H NET_W IMG_H IMG_W
      the peer's RTDETRPredictor.postprocess / its non_max_suppression for end-to-end rows
      plus scale_boxes, compared with the JSON's detections (CLASSES: "-" or "0,3");
      prints "PASS ..." or "FAIL ..."
  heads_check.py labels queries OUT.npy LABELS.txt CONF IMGSZ IMG_W IMG_H
  heads_check.py labels rows OUT.npy LABELS.txt CONF MAX_DET NET_H NET_W IMG_H IMG_W PADX PADY
      the peer's validator decode (RTDETRValidator / DetectionValidator) written as YOLO labels
"""
import json
import struct
import sys
import zlib

import numpy as np

F = np.float32


def png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def tensor(rgb, H, W, top, left):
    t = np.full((1, 3, H, W), F(114) / F(255), F)
    h, w, _ = rgb.shape
    t[0, :, top:top + h, left:left + w] = rgb.transpose(2, 0, 1).astype(F) / F(255)
    return t


def inputs(d):
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (320, 320, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    png(d + "/a.png", a)
    png(d + "/b.png", b)
    np.save(d + "/a.npy", tensor(a, 320, 320, 0, 0))
    np.save(d + "/b_pred.npy", tensor(b, 256, 320, 8, 0))
    np.save(d + "/b_val.npy", tensor(b, 256, 352, 8, 16))


def classes_arg(s):
    return None if s == "-" else [int(c) for c in s.split(",")]


def decode_queries(out, conf, max_det, classes, ow, oh):
    """RTDETRPredictor.postprocess on one image."""
    p = out[0]
    bbox, score = p[:, :4], p[:, 4:]
    wh = bbox[:, 2:] / F(2)
    xyxy = np.concatenate([bbox[:, :2] - wh, bbox[:, :2] + wh], 1)
    mx, cls = score.max(1), score.argmax(1)
    idx = mx > conf
    if classes is not None:
        idx &= np.isin(cls, classes)
    pred = np.concatenate([xyxy, mx[:, None], cls[:, None].astype(F)], 1)[idx]
    pred = pred[np.argsort(-pred[:, 4], kind="stable")][:max_det]
    pred[:, [0, 2]] *= F(ow)
    pred[:, [1, 3]] *= F(oh)
    return pred


def scale_boxes(boxes, net_h, net_w, img_h, img_w, pad=None, gain=None):
    if gain is None:
        gain = min(net_h / img_h, net_w / img_w)
        pad = (round((net_w - img_w * gain) / 2 - 0.1), round((net_h - img_h * gain) / 2 - 0.1))
    b = boxes.copy()
    b[:, [0, 2]] -= F(pad[0])
    b[:, [1, 3]] -= F(pad[1])
    b /= F(gain)
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, img_w)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, img_h)
    return b


def decode_rows(out, conf, max_det, classes, net_h, net_w, img_h, img_w):
    """non_max_suppression's end-to-end branch, then scale_boxes (predict)."""
    p = out[0]
    pred = p[p[:, 4] > conf][:max_det]
    if classes is not None:
        pred = pred[np.isin(pred[:, 5], classes)]
    pred = pred[:, :6].copy()
    pred[:, :4] = scale_boxes(pred[:, :4], net_h, net_w, img_h, img_w)
    return pred


def compare(name, want, path):
    with open(path) as f:
        got = json.loads(f.readline())["detections"]
    confs = [d["conf"] for d in got]
    if any(a < b for a, b in zip(confs, confs[1:])):
        return print(f"FAIL {name}: detections not highest confidence first")
    if len(got) != len(want):
        return print(f"FAIL {name}: {len(got)} detections, the peer's decode gives {len(want)}")
    used = [False] * len(got)
    for w in want:
        hit = -1
        for k, g in enumerate(got):
            if (not used[k] and g["class"] == int(w[5]) and abs(g["conf"] - w[4]) <= 6e-6 and
                    all(abs(g["box"][i] - w[i]) <= 0.011 for i in range(4))):
                hit = k
                break
        if hit < 0:
            return print(f"FAIL {name}: the peer's detection {w.tolist()} is not in the JSON")
        used[hit] = True
    print(f"PASS {name} ({len(want)} detections, classes, confidences and boxes as the peer's decode)")


def write_labels(path, boxes, cls, img_w, img_h):
    rows = []
    for (x1, y1, x2, y2), c in zip(boxes.astype(np.float64), cls):
        cx, cy, w, h = (x1 + x2) / 2 / img_w, (y1 + y2) / 2 / img_h, (x2 - x1) / img_w, (y2 - y1) / img_h
        if not (0 <= cx <= 1 and 0 <= cy <= 1 and 0 < w <= 1 and 0 < h <= 1):
            sys.exit(f"a decoded box {x1, y1, x2, y2} makes no valid label")
        rows.append(f"{int(c)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    if len(set(rows)) != len(rows):
        sys.exit("two decoded boxes make the same label")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")
    print(len(rows))


def main():
    a = sys.argv
    if a[1] == "inputs":
        inputs(a[2])
    elif a[1] == "pickconf":
        s = np.sort(np.load(a[2])[0, :, 4:].max(1))[::-1]
        k = int(a[3])
        print(f"{(float(s[k - 1]) + float(s[k])) / 2:.9g}")
    elif a[1] == "predict" and a[2] == "queries":
        out = np.load(a[3])
        want = decode_queries(out, float(a[5]), int(a[6]), classes_arg(a[7]), int(a[8]), int(a[9]))
        compare("heads: RT-DETR predict --json matches the peer's decode", want, a[4])
    elif a[1] == "predict" and a[2] == "rows":
        out = np.load(a[3])
        want = decode_rows(out, float(a[5]), int(a[6]), classes_arg(a[7]), *map(int, a[8:12]))
        compare("heads: YOLOv10 predict --json matches the peer's decode", want, a[4])
    elif a[1] == "labels" and a[2] == "queries":
        # RTDETRValidator.postprocess and _prepare_pred
        out, conf, imgsz, ow, oh = np.load(a[3]), float(a[5]), int(a[6]), int(a[7]), int(a[8])
        p = out[0].copy()
        bbox, score = p[:, :4] * F(imgsz), p[:, 4:]
        wh = bbox[:, 2:] / F(2)
        xyxy = np.concatenate([bbox[:, :2] - wh, bbox[:, :2] + wh], 1)
        mx, cls = score.max(1), score.argmax(1)
        order = np.argsort(-mx, kind="stable")
        keep = mx > conf  # the peer's mask, in query order, on the sorted rows
        xyxy, cls = xyxy[order][keep], cls[order][keep]
        xyxy[:, [0, 2]] *= F(ow / imgsz)
        xyxy[:, [1, 3]] *= F(oh / imgsz)
        write_labels(a[4], xyxy, cls, ow, oh)
    elif a[1] == "labels" and a[2] == "rows":
        out, conf, max_det = np.load(a[3]), float(a[5]), int(a[6])
        net_h, net_w, img_h, img_w, padx, pady = map(int, a[7:13])
        p = out[0]
        pred = p[p[:, 4] > conf][:max_det]
        boxes = scale_boxes(pred[:, :4], net_h, net_w, img_h, img_w, pad=(padx, pady), gain=1.0)
        write_labels(a[4], boxes, pred[:, 5], img_w, img_h)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
