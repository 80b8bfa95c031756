#!/usr/bin/python3
"""Test-only: independent readers of yoloport's TensorFlow files (tests/e2e/tflite.sh).

  tf_check.py pb2tfjs DESC.pb MODEL.pb OUTDIR
      decode the GraphDef with Google's protobuf library (python3-protobuf; message classes
      built from DESC.pb, the descriptor set protoc-c makes of formats/proto/tensorflow) and
      turn it into a TF.js graph model as tensorflowjs_converter would: modelTopology is the
      GraphDef as protobuf JSON, every Const's tensor_content moves to the weights manifest.
  tf_check.py savedmodel DESC.pb DIR MODEL.pb
      decode DIR/saved_model.pb as a SavedModel: one meta graph tagged serve, a
      serving_default signature (images -> images:0, output_k -> Identity[_k]:0), a variables/
      directory, and its graph equal to MODEL.pb's GraphDef.  Prints one line; exit 1 on a
      difference.
  tf_check.py armnn MODEL.tflite IN.npy OUT.npy
      run the .tflite in Arm NN (its own TF Lite parser, CpuRef backend): input NCHW .npy
      transposed to NHWC, output 0 saved.  Exit 3 when pyarmnn or its CpuRef backend is absent.
  tf_check.py cmp NAME GOT.npy WANT.npy [--scale ROWS:FACTOR] ROWS TOL [ROWS TOL ...]
      max |diff| over row ranges of axis 1 ("0:4", "4:", ":"), GOT's rows first multiplied
      by FACTOR where --scale says; prints PASS/FAIL NAME lines.
  tf_check.py cmprel NAME GOT.npy WANT.npy [--scale ROWS:FACTOR] ROWS TOL [ROWS TOL ...]
      as cmp, each limit relative to the largest |WANT| of its rows.
"""
import base64
import json
import os
import struct
import sys

import numpy as np


def messages(desc_path):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fds = descriptor_pb2.FileDescriptorSet()
    with open(desc_path, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    def cls(name):
        d = pool.FindMessageTypeByName(name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(d)
        return message_factory.MessageFactory(pool).GetPrototype(d)
    return cls("tensorflow.GraphDef"), cls("tensorflow.SavedModel")


TF_DTYPES = {1: ("float32", 4), 3: ("int32", 4), 10: ("bool", 1), 9: ("int64", 8)}


def pb2tfjs(desc, pb, out):
    from google.protobuf import json_format

    GraphDef, _ = messages(desc)
    gd = GraphDef()
    with open(pb, "rb") as f:
        gd.ParseFromString(f.read())
    topo = json_format.MessageToDict(gd)
    weights, blob = [], bytearray()
    for node in topo.get("node", []):
        if node["op"] != "Const":
            continue
        t = node["attr"]["value"]["tensor"]
        data = base64.b64decode(t.pop("tensorContent", ""))
        dtype = {"DT_FLOAT": "float32", "DT_INT32": "int32", "DT_BOOL": "bool"}[t["dtype"]]
        shape = [int(d["size"]) for d in t.get("tensorShape", {}).get("dim", [])]
        weights.append({"name": node["name"], "shape": shape, "dtype": dtype})
        blob += data
    ins = [n for n in topo["node"] if n["op"] == "Placeholder"]
    outs = sorted((n for n in topo["node"] if n["name"].startswith("Identity")), key=lambda n: n["name"])
    sig = {"inputs": {n["name"] + ":0": {"name": n["name"] + ":0"} for n in ins},
           "outputs": {n["name"] + ":0": {"name": n["name"] + ":0"} for n in outs}}
    model = {"format": "graph-model", "generatedBy": "tf_check.py", "convertedBy": "tf_check.py pb2tfjs",
             "signature": sig, "modelTopology": topo,
             "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": weights}]}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model, f)
    with open(os.path.join(out, "group1-shard1of1.bin"), "wb") as f:
        f.write(bytes(blob))
    print(json.dumps({"nodes": len(topo["node"]), "weights": len(weights), "bytes": len(blob)}))


def savedmodel(desc, d, pb):
    GraphDef, SavedModel = messages(desc)
    sm = SavedModel()
    with open(os.path.join(d, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    gd = GraphDef()
    with open(pb, "rb") as f:
        gd.ParseFromString(f.read())
    problems = []
    if sm.saved_model_schema_version != 1:
        problems.append("schema version %d" % sm.saved_model_schema_version)
    if len(sm.meta_graphs) != 1:
        problems.append("%d meta graphs" % len(sm.meta_graphs))
    else:
        mg = sm.meta_graphs[0]
        if list(mg.meta_info_def.tags) != ["serve"]:
            problems.append("tags %s" % list(mg.meta_info_def.tags))
        if "serving_default" not in mg.signature_def:
            problems.append("no serving_default signature")
        else:
            s = mg.signature_def["serving_default"]
            if s.method_name != "tensorflow/serving/predict":
                problems.append("method %s" % s.method_name)
            if list(s.inputs) != ["images"] or s.inputs["images"].name != "images:0":
                problems.append("inputs %s" % {k: v.name for k, v in s.inputs.items()})
            for k, v in s.outputs.items():
                i = int(k.split("_")[-1])
                want = "Identity:0" if i == 0 else "Identity_%d:0" % i
                if not k.startswith("output_") or v.name != want:
                    problems.append("output %s -> %s" % (k, v.name))
            if "output_0" not in s.outputs:
                problems.append("no output_0")
        if mg.graph_def != gd:
            problems.append("its graph differs from the GraphDef's (%d vs %d nodes)" % (len(mg.graph_def.node), len(gd.node)))
    if not os.path.isdir(os.path.join(d, "variables")):
        problems.append("no variables/ directory")
    if problems:
        print("savedmodel: " + "; ".join(problems))
        sys.exit(1)
    print("savedmodel: serving_default %s -> %s, %d nodes, graph equal to the GraphDef's" %
          ("images", ", ".join(sorted(sm.meta_graphs[0].signature_def["serving_default"].outputs)), len(gd.node)))


def armnn(model, inp, out):
    try:
        import pyarmnn as ann
    except ImportError:
        print("pyarmnn is not installed")
        sys.exit(3)
    x = np.load(inp).astype(np.float32)
    if x.ndim == 4:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    parser = ann.ITfLiteParser()
    net = parser.CreateNetworkFromBinaryFile(model)
    ins = parser.GetSubgraphInputTensorNames(0)
    outs = parser.GetSubgraphOutputTensorNames(0)
    ib = parser.GetNetworkInputBindingInfo(0, ins[0])
    rt = ann.IRuntime(ann.CreationOptions())
    try:
        opt, _ = ann.Optimize(net, [ann.BackendId("CpuRef")], rt.GetDeviceSpec(), ann.OptimizerOptions())
    except RuntimeError as e:
        print("Arm NN has no CpuRef backend: %s" % e)
        sys.exit(3)
    nid, _ = rt.LoadNetwork(opt)
    it = ann.make_input_tensors([ib], [x])
    ot = ann.make_output_tensors([parser.GetNetworkOutputBindingInfo(0, n) for n in outs])
    rt.EnqueueWorkload(nid, it, ot)
    y = ann.workload_tensors_to_ndarray(ot)
    np.save(out, y[0])
    print("armnn: %s -> %s" % (list(x.shape), list(y[0].shape)))


def rows(spec):
    lo, hi = spec.split(":")
    return slice(int(lo) if lo else None, int(hi) if hi else None)


def cmp(relative, name, got, want, args):
    a, b = np.load(got).astype(np.float64), np.load(want).astype(np.float64)
    if args and args[0] == "--scale":
        r, factor = args[1].rsplit(":", 1)
        a[:, rows(r)] *= float(factor)
        args = args[2:]
    if a.shape != b.shape:
        print("FAIL %s: shape %s vs %s" % (name, a.shape, b.shape))
        return 1
    bad = 0
    for r, tol in zip(args[0::2], args[1::2]):
        d = float(np.abs(a[:, rows(r)] - b[:, rows(r)]).max())
        limit = float(tol) * (float(np.abs(b[:, rows(r)]).max()) if relative else 1.0)
        ok = d <= limit
        bad += not ok
        print("%s %s (rows %s: max |diff| %.3g, limit %.3g%s)" % ("PASS" if ok else "FAIL", name, r, d, limit,
                                                              " = %s x max |ref|" % tol if relative else ""))
    return 1 if bad else 0


def main():
    cmd = sys.argv[1]
    if cmd == "pb2tfjs":
        pb2tfjs(*sys.argv[2:5])
    elif cmd == "savedmodel":
        savedmodel(*sys.argv[2:5])
    elif cmd == "armnn":
        armnn(*sys.argv[2:5])
    elif cmd in ("cmp", "cmprel"):
        try:
            rc = cmp(cmd == "cmprel", sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
        except (OSError, ValueError) as e:
            print("FAIL %s: %s" % (sys.argv[2], e))
            rc = 1
        sys.exit(rc)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
