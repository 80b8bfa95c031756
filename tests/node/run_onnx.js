#!/usr/bin/env node
// run_onnx: run an ONNX model in onnxruntime-node for the tests.
//
//   node tests/node/run_onnx.js MODEL [INPUT...] [--out DIR] [--fill PATTERN] [--info] [--threads N] [--no-optimize]
//   node tests/node/run_onnx.js --batch PLAN.json
//
// INPUT is NAME=FILE.npy or NAME=DTYPE:D0xD1x...:PATTERN (PATTERN: zeros, ones, ramp,
// seed:N, const:V).  Inputs not given are filled with --fill (default ramp) over their
// declared shape, symbolic dims taken as 1.  Outputs are written to DIR/<name>.npy (name
// with every character outside [A-Za-z0-9._-] replaced by '_').  Prints one JSON line:
//   {"model":..., "inputs":[{"name","dtype","dims"}], "outputs":[{"name","dtype","dims","file"}]}
// --info prints the declared interface (symbolic dims as strings) without running.
// --no-optimize runs without onnxruntime's graph rewrites (its Pad fusion folds a zero Pad into
// a following MaxPool's padding, which pads with -inf instead: not the same model).
// A batch plan is a JSON array of {"model", "inputs": {NAME: SPEC}, "out", "fill"}: one
// session per entry, one JSON line each.  Errors print {"model", "error"} and exit 1.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy, BY_DTYPE } = require('./npy');

function fillPattern(dtype, dims, pattern) {
  const info = BY_DTYPE[dtype];
  if (!info) throw new Error('unsupported input dtype ' + dtype);
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new info.ctor(count);
  let seed = 0;
  const [kind, arg] = pattern.split(':');
  if (kind === 'seed') seed = Number(arg) >>> 0;
  const big = dtype === 'int64' || dtype === 'uint64';
  const half = dtype === 'float16';
  for (let i = 0; i < count; i++) {
    let v;
    if (kind === 'zeros') v = 0;
    else if (kind === 'ones') v = 1;
    else if (kind === 'const') v = Number(arg);
    else if (kind === 'ramp') v = (i % 251) / 250;
    else if (kind === 'seed') {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      v = (seed >>> 8) / 16777216;
    } else throw new Error('unknown fill pattern ' + pattern);
    if (big) data[i] = BigInt(Math.round(v));
    else if (half) data[i] = toHalf(v);
    else if (dtype !== 'float32' && dtype !== 'float64') data[i] = Math.round(v);
    else data[i] = v;
  }
  return { dtype, dims, data };
}

function toHalf(v) {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  if (mant & 0x1000) h++; // round half up
  return h;
}

function parseSpec(spec) {
  if (spec.endsWith('.npy')) return readNpy(spec);
  const parts = spec.split(':');
  if (parts.length < 3) throw new Error('bad input spec ' + spec);
  const dims = parts[1].length ? parts[1].split('x').map(Number) : [];
  return fillPattern(parts[0], dims, parts.slice(2).join(':'));
}

function safeName(n) {
  return n.replace(/[^A-Za-z0-9._-]/g, '_');
}

function toOrt(arr) {
  return new ort.Tensor(arr.dtype, arr.data, arr.dims);
}

async function runOne(item, info, threads, noOptimize) {
  const opts = { logSeverityLevel: 3 };
  if (threads) opts.intraOpNumThreads = threads;
  if (noOptimize) opts.graphOptimizationLevel = 'disabled';
  const session = await ort.InferenceSession.create(item.model, opts);
  const meta = (names, md) => names.map((n, i) => ({ name: n, dtype: md[i].type, dims: md[i].shape }));
  const result = { model: item.model };
  const inMeta = session.inputMetadata || [];
  const outMeta = session.outputMetadata || [];
  if (info) {
    result.inputs = meta(session.inputNames, inMeta);
    result.outputs = meta(session.outputNames, outMeta);
    return result;
  }
  const feeds = {};
  result.inputs = [];
  session.inputNames.forEach((name, i) => {
    let arr;
    if (item.inputs && item.inputs[name] !== undefined) arr = parseSpec(item.inputs[name]);
    else {
      const md = inMeta[i] || {};
      const dims = (md.shape || []).map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
      arr = fillPattern(md.type || 'float32', dims, item.fill || 'ramp');
    }
    feeds[name] = toOrt(arr);
    result.inputs.push({ name, dtype: arr.dtype, dims: arr.dims });
  });
  for (const k of Object.keys(item.inputs || {}))
    if (!session.inputNames.includes(k)) throw new Error(`model has no input named '${k}'`);
  const outs = await session.run(feeds);
  result.outputs = [];
  if (item.out) fs.mkdirSync(item.out, { recursive: true });
  for (const name of session.outputNames) {
    const t = outs[name];
    const entry = { name, dtype: t.type, dims: Array.from(t.dims) };
    if (item.out) {
      entry.file = path.join(item.out, safeName(name) + '.npy');
      writeNpy(entry.file, { dtype: t.type, dims: entry.dims, data: t.data });
    }
    result.outputs.push(entry);
  }
  return result;
}

async function main(argv) {
  let items = [];
  let info = false, threads = 0, out = null, fill = null, model = null, noOptimize = false;
  const inputs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--batch') items = JSON.parse(fs.readFileSync(argv[++i], 'utf8'));
    else if (a === '--out') out = argv[++i];
    else if (a === '--fill') fill = argv[++i];
    else if (a === '--info') info = true;
    else if (a === '--threads') threads = Number(argv[++i]);
    else if (a === '--no-optimize') noOptimize = true;
    else if (!model && !a.includes('=')) model = a;
    else if (a.includes('=')) {
      const eq = a.indexOf('=');
      inputs[a.slice(0, eq)] = a.slice(eq + 1);
    } else throw new Error('unexpected argument ' + a);
  }
  if (model) items.push({ model, inputs, out, fill });
  if (!items.length) {
    process.stderr.write('usage: run_onnx.js MODEL [NAME=FILE.npy|NAME=DTYPE:DIMS:PATTERN]... [--out DIR] [--info]\n');
    return 2;
  }
  let failed = 0;
  for (const item of items) {
    try {
      process.stdout.write(JSON.stringify(await runOne(item, info, threads, noOptimize)) + '\n');
    } catch (e) {
      failed++;
      process.stdout.write(JSON.stringify({ model: item.model, error: String(e && e.message ? e.message : e) }) + '\n');
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (rc) => process.exit(rc),
  (e) => {
    process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + '\n');
    process.exit(1);
  }
);
