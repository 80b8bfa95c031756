#!/usr/bin/env node
// run_tfjs: run a TF.js graph model directory (model.json + shards) in pure-JS TF.js (CPU
// backend) for the tests.
//
//   node tests/node/run_tfjs.js DIR [INPUT...] [--out DIR] [--nchw] [--to-nchw] [--info]
//   node tests/node/run_tfjs.js --batch PLAN.json
//
// INPUT is NAME=FILE.npy or NAME=DTYPE:D0xD1x...:PATTERN (zeros, ones, ramp, seed:N); a bare
// FILE.npy feeds the first input.  Inputs not given are filled with a ramp over their
// declared shape.  --nchw transposes rank-4 inputs from NCHW (the peer's .npy files) to the
// model's NHWC; --to-nchw transposes rank-4 outputs back.  Outputs go to DIR/<key>.npy (the
// signature key without ":0", other characters outside [A-Za-z0-9._-] as '_').  Prints one
// JSON line: {"model", "inputs": [{name, dtype, dims}], "outputs": [{name, dtype, dims,
// file}], "load_ms", "run_ms"}; --info prints the interface without running.  A batch plan
// is a JSON array of {"model", "inputs": {NAME: SPEC}, "out", "nchw", "to_nchw"}: one JSON
// line each.  Errors print {"model", "error"} and exit 1.
'use strict';
const fs = require('fs');
const path = require('path');
const { readNpy, writeNpy } = require('./npy');

// TF.js greets Node users on stdout; keep stdout for our JSON lines.
const say = (s) => process.stdout.write(s + '\n');
console.log = () => {};
console.warn = () => {};
console.info = () => {};
const tf = require('@tensorflow/tfjs');

// An IOHandler that reads model.json and the shards it lists from a directory.
function dirHandler(dir) {
  return {
    load: async () => {
      const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const specs = [];
      const buffers = [];
      for (const group of model.weightsManifest || []) {
        for (const p of group.paths) {
          if (p.includes('/') || p.includes('\\')) throw new Error(`shard path ${p} leaves the directory`);
          const b = fs.readFileSync(path.join(dir, p));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
        }
        specs.push(...group.weights);
      }
      const total = buffers.reduce((a, b) => a + b.byteLength, 0);
      const data = new Uint8Array(total);
      let off = 0;
      for (const b of buffers) {
        data.set(new Uint8Array(b), off);
        off += b.byteLength;
      }
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        convertedBy: model.convertedBy,
        signature: model.signature,
        userDefinedMetadata: model.userDefinedMetadata,
        weightSpecs: specs,
        weightData: data.buffer,
      };
    },
  };
}

const CTOR = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

function fill(dtype, dims, pattern) {
  const n = dims.reduce((a, b) => a * b, 1);
  const Ctor = CTOR[dtype];
  if (!Ctor) throw new Error('unsupported input dtype ' + dtype);
  const data = new Ctor(n);
  const [kind, arg] = pattern.split(':');
  let seed = kind === 'seed' ? Number(arg) >>> 0 : 0;
  for (let i = 0; i < n; i++) {
    let v;
    if (kind === 'zeros') v = 0;
    else if (kind === 'ones') v = 1;
    else if (kind === 'ramp') v = (i % 251) / 250;
    else if (kind === 'seed') {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      v = (seed >>> 8) / 16777216;
    } else throw new Error('unknown fill pattern ' + pattern);
    data[i] = dtype === 'float32' ? v : Math.round(v);
  }
  return { dtype, dims, data };
}

function parseSpec(spec) {
  if (spec.endsWith('.npy')) return readNpy(spec);
  const parts = spec.split(':');
  if (parts.length < 3) throw new Error('bad input spec ' + spec);
  const dims = parts[1].length ? parts[1].split('x').map(Number) : [];
  return fill(parts[0], dims, parts.slice(2).join(':'));
}

function toTensor(arr, nchw) {
  let dtype = arr.dtype;
  let data = arr.data;
  if (dtype === 'float64' || dtype === 'float16') throw new Error(`input dtype ${dtype}: give float32`);
  if (dtype === 'int64') {
    dtype = 'int32';
    data = Int32Array.from(data, (v) => Number(v));
  }
  let t = tf.tensor(data, arr.dims, dtype);
  if (nchw && arr.dims.length === 4) {
    const u = tf.transpose(t, [0, 2, 3, 1]);
    t.dispose();
    t = u;
  }
  return t;
}

const safeName = (key) => key.replace(/:0$/, '').replace(/[^A-Za-z0-9._-]/g, '_');

async function runOne(item, info) {
  const t0 = Date.now();
  const model = await tf.loadGraphModel(dirHandler(item.model));
  const t1 = Date.now();
  const result = { model: item.model };
  const sig = model.signature || {};
  const ins = model.inputs.map((i) => ({ name: i.name, dtype: i.dtype, dims: i.shape }));
  const outKeys = model.outputNodes;
  if (info) {
    result.inputs = ins;
    result.outputs = outKeys.map((k) => {
      const s = (sig.outputs || {})[k] || {};
      const dims = ((s.tensorShape || {}).dim || []).map((d) => Number(d.size));
      return { name: k, dims };
    });
    return result;
  }
  const feeds = {};
  result.inputs = [];
  const given = Object.assign({}, item.inputs || {});
  if (given[''] !== undefined) {
    given[ins[0].name] = given[''];
    delete given[''];
  }
  for (const k of Object.keys(given))
    if (!ins.some((i) => i.name === k)) throw new Error(`model has no input named '${k}'`);
  for (const i of ins) {
    const mine = given[i.name] !== undefined;
    const arr = mine ? parseSpec(given[i.name])
      : fill(i.dtype || 'float32', (i.dims || []).map((d) => (d > 0 ? d : 1)), 'ramp');
    const t = toTensor(arr, item.nchw && mine);
    feeds[i.name] = t;
    result.inputs.push({ name: i.name, dtype: t.dtype, dims: t.shape });
  }
  const t2 = Date.now();
  let outs = await model.executeAsync(feeds, outKeys);
  const t3 = Date.now();
  if (!Array.isArray(outs)) outs = [outs];
  result.outputs = [];
  if (item.out) fs.mkdirSync(item.out, { recursive: true });
  for (let k = 0; k < outs.length; k++) {
    let t = outs[k];
    if (item.to_nchw && t.shape.length === 4) t = tf.transpose(t, [0, 3, 1, 2]);
    const data = await t.data();
    const entry = { name: outKeys[k], dtype: t.dtype, dims: t.shape };
    if (item.out) {
      entry.file = path.join(item.out, safeName(outKeys[k]) + '.npy');
      const dt = t.dtype === 'bool' ? 'uint8' : t.dtype;
      writeNpy(entry.file, { dtype: dt, dims: t.shape, data });
    }
    result.outputs.push(entry);
  }
  tf.dispose(Object.values(feeds));
  tf.dispose(outs);
  model.dispose();
  result.load_ms = t1 - t0;
  result.run_ms = t3 - t2;
  return result;
}

async function main(argv) {
  let items = [];
  let info = false, out = null, nchw = false, toNchw = false, model = null;
  const inputs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--batch') items = JSON.parse(fs.readFileSync(argv[++i], 'utf8'));
    else if (a === '--out') out = argv[++i];
    else if (a === '--info') info = true;
    else if (a === '--nchw') nchw = true;
    else if (a === '--to-nchw') toNchw = true;
    else if (!model && !a.includes('=')) model = a;
    else if (a.includes('=')) {
      const eq = a.indexOf('=');
      inputs[a.slice(0, eq)] = a.slice(eq + 1);
    } else if (a.endsWith('.npy')) inputs[''] = a;
    else throw new Error('unexpected argument ' + a);
  }
  if (model) items.push({ model, inputs, out, nchw, to_nchw: toNchw });
  if (!items.length) {
    process.stderr.write('usage: run_tfjs.js DIR [NAME=FILE.npy|NAME=DTYPE:DIMS:PATTERN]... [--out DIR] [--nchw] [--to-nchw] [--info]\n');
    return 2;
  }
  await tf.setBackend('cpu');
  let failed = 0;
  for (const item of items) {
    try {
      say(JSON.stringify(await runOne(item, info)));
    } catch (e) {
      failed++;
      say(JSON.stringify({ model: item.model, error: String(e && e.message ? e.message : e) }));
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (rc) => process.exit(rc),
  (e) => {
    say(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
    process.exit(1);
  }
);
