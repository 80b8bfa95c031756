#!/bin/sh
# End-to-end: `yoloport info` over built-in configs, the real checkpoints and ONNX files
# (when ../shared is present) and bad inputs; checks the peer's summary lines, --json,
# --tree, the one-line error messages and the exit codes.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# run NAME ARGS...: stdout in $t/NAME.out, stderr in $t/NAME.err, status in $rc
run() { n=$1; shift; "$BIN" info "$@" >"$t/$n.out" 2>"$t/$n.err"; rc=$?; }
line1() { sed -n 1p "$t/$1.out"; }
line2() { sed -n 2p "$t/$1.out"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$t/$1.out')); print($2)"; }

run v8n yolov8n.yaml
check "info: yolov8n.yaml exits 0" [ "$rc" -eq 0 ]
check "info: yolov8n.yaml summary line" [ "$(line1 v8n)" = "YOLOv8n summary: 129 layers, 3,157,200 parameters, 3,157,184 gradients, 8.9 GFLOPs" ]
check "info: yolov8n.yaml task and output" sh -c "grep -q '^task: *detect' '$t/v8n.out' && grep -q 'output0 \[1, 84, 8400\]' '$t/v8n.out'"
check "info: yolov8n.yaml source is yaml" grep -qx "source: *yaml" "$t/v8n.out"

run y11 yolo11n.yaml
check "info: yolo11n.yaml summary line" [ "$(line1 y11)" = "YOLO11n summary: 181 layers, 2,624,080 parameters, 2,624,064 gradients, 6.6 GFLOPs" ]

run seg yolo11n-seg.yaml imgsz=320
check "info: imgsz=320 shapes" sh -c "grep -q 'images \[1, 3, 320, 320\]' '$t/seg.out' && grep -q 'output1 \[1, 32, 80, 80\]' '$t/seg.out'"

run round yolov8n.yaml imgsz=641
check "info: imgsz=641 rounds up with a warning" sh -c "[ $rc -eq 0 ] && grep -q 'updating to \[672, 672\]' '$t/round.err' && grep -q '672,672' '$t/round.out'"

run js yolov8n.yaml --json
check "info --json: one object with the keys" [ "$(json js "sorted(k for k in ('task','layers','parameters','gradients','gflops','fused','imgsz','stride','input_shape','output_shapes','names','source') if k in d) == sorted(('task','layers','parameters','gradients','gflops','fused','imgsz','stride','input_shape','output_shapes','names','source'))")" = True ]
check "info --json: numbers" [ "$(json js "(d['layers'], d['parameters'], d['gflops'], d['fused']['layers'], d['fused']['parameters'], d['fused']['gflops'], d['stride'], d['output_shapes'][0], d['source']['format'])")" = "(129, 3157200, 8.9, 72, 3151904, 8.7, 32, [1, 84, 8400], 'yaml')" ]

run tree yolo11n.yaml --tree
check "info --tree: modules with type, parameters and shape" sh -c "grep -Eq '^ +attn +Attention +[0-9,]+ +\[1, 128, 20, 20\]' '$t/tree.out' && grep -Eq '^ +23 +Detect' '$t/tree.out'"

# bad inputs: exit 1 and one line on stderr naming the file
bad() { # NAME EXPECTED-TEXT FILE
    run "$1" "$3"
    if [ "$rc" -eq 1 ] && [ "$(wc -l <"$t/$1.err")" -eq 1 ] && grep -qF -- "$3" "$t/$1.err" && grep -qF -- "$2" "$t/$1.err" \
        && [ ! -s "$t/$1.out" ]; then pass "info: $1 refused"; else fail "info: $1 refused" "rc=$rc: $(cat "$t/$1.err")"; fi
}
: >"$t/empty.pt"
mkdir "$t/dir"
/usr/bin/python3 -c "import random; r = random.Random(7); open('$t/random.bin', 'wb').write(bytes([0xde] + [r.randrange(256) for _ in range(4095)]))"
printf 'path: data\ntrain: images\nnames:\n  0: a\n' >"$t/coco.yaml"
bad missing "no such file" "$t/missing.pt"
bad directory "is a directory" "$t/dir"
bad empty "empty file" "$t/empty.pt"
bad random "not a model" "$t/random.bin"
bad dataset "without 'backbone' and 'head'" "$t/coco.yaml"
bad unknown-config "not a built-in model config" "yolov99z.yaml"

run abc yolov8n.yaml imgsz=abc
check "info: imgsz=abc is a usage error" sh -c "[ $rc -eq 2 ] && grep -q \"'imgsz=abc'\" '$t/abc.err'"
run none
check "info: no model is a usage error" [ "$rc" -eq 2 ]

if need_shared; then
    m="$YOLOPORT_SHARED/models"
    run pt8n "$m/yolov8n.pt"
    check "info: yolov8n.pt summary" [ "$(line1 pt8n)" = "YOLOv8n summary: 129 layers, 3,157,200 parameters, 0 gradients, 8.9 GFLOPs" ]
    check "info: yolov8n.pt fused summary" [ "$(line2 pt8n)" = "YOLOv8n summary (fused): 72 layers, 3,151,904 parameters, 0 gradients, 8.7 GFLOPs" ]
    check "info: yolov8n.pt names and source" sh -c "grep -q 'person, bicycle' '$t/pt8n.out' && grep -q 'Ultralytics 8.0.0.dev0' '$t/pt8n.out'"
    check "info: yolov8n.pt source is pt" grep -q "^source: *pt, Ultralytics" "$t/pt8n.out"
    run pt8s "$m/yolov8s.pt"
    check "info: yolov8s.pt summary" [ "$(line1 pt8s)" = "YOLOv8s summary: 129 layers, 11,166,560 parameters, 0 gradients, 28.8 GFLOPs" ]
    check "info: yolov8s.pt fused summary" [ "$(line2 pt8s)" = "YOLOv8s summary (fused): 72 layers, 11,156,544 parameters, 0 gradients, 28.6 GFLOPs" ]
    run pt11 "$m/yolo11n-seg.pt"
    check "info: yolo11n-seg.pt summary" [ "$(line1 pt11)" = "YOLO11n-seg summary: 203 layers, 2,876,848 parameters, 0 gradients, 9.9 GFLOPs" ]
    check "info: yolo11n-seg.pt fused summary" [ "$(line2 pt11)" = "YOLO11n-seg summary (fused): 113 layers, 2,868,664 parameters, 0 gradients, 9.7 GFLOPs" ]
    run pt11j "$m/yolo11n-seg.pt" --json
    check "info --json: checkpoint" [ "$(json pt11j "(d['task'], d['gradients'], d['output_shapes'], d['names'][0], d['source']['version'])")" = "('segment', 0, [[1, 116, 8400], [1, 32, 160, 160]], 'person', '8.2.100')" ]
    check "info --json: checkpoint source is pt" [ "$(json pt11j "(d['source']['format'], 'opset' in d['source'])")" = "('pt', False)" ]
    cp "$m/yolov8n.pt" "$t/model.onnx"
    run renamed "$t/model.onnx"
    check "info: content wins over the extension" [ "$(line1 renamed)" = "YOLOv8n summary: 129 layers, 3,157,200 parameters, 0 gradients, 8.9 GFLOPs" ]
    head -c 200000 "$m/yolov8n.pt" >"$t/cut.pt"
    bad truncated "zip archive" "$t/cut.pt"
    bad torchscript "TorchScript" "$YOLOPORT_SHARED/reference/peer/yolov8n.torchscript"
    run onnx "$YOLOPORT_SHARED/reference/peer/yolov8n.onnx"
    check "info: ONNX interface and op counts" sh -c "[ $rc -eq 0 ] && grep -q 'output0 \[1, 84, 8400\]' '$t/onnx.out' && grep -q '^nodes: *261' '$t/onnx.out' && grep -q 'Conv 64' '$t/onnx.out' && ! grep -q summary '$t/onnx.out'"
    run onnxj "$YOLOPORT_SHARED/reference/peer/yolo11n-seg.onnx" --json
    check "info --json: ONNX" [ "$(json onnxj "(d['layers'], d['task'], d['source']['opset'], d['output_shapes'][1], d['metadata']['stride'])")" = "(None, 'segment', 16, [1, 32, 160, 160], '32')" ]
    check "info: ONNX source is onnx" grep -q "^source: *onnx, opset 16, ir_version 8" "$t/onnx.out"
    check "info --json: ONNX source is onnx" [ "$(json onnxj "d['source']['format']")" = "onnx" ]
    run onnxsz "$YOLOPORT_SHARED/reference/peer/yolov8n.onnx" imgsz=320
    check "info: imgsz on ONNX is ignored, naming ONNX" grep -q "imgsz is ignored for ONNX files" "$t/onnxsz.err"
else
    skip "info: real checkpoints" "../shared not present"
fi
