#!/usr/bin/env node
// check_export: run yoloport's ONNX exports in onnxruntime and compare them with the
// peer's reference arrays.  Every check prints one "PASS name" / "FAIL name: why" line
// (tests/run.sh counts them); the exit status is 1 when any check failed.
//
//   node check_export.js parity NAME MODEL INPUT.npy OUTPUT.npy [PROTOS.npy] [--batch N]
//       output0 within 0.05 px on the 4 box rows and 1e-3 on the rest; output1 within 1e-3.
//       --batch N repeats the input N times (dynamic models) and checks every image.
//   node check_export.js shape NAME MODEL BxCxHxW EXPECTED_OUTPUT0 [EXPECTED_OUTPUT1] [--dtype float16]
//       runs on a fixed pattern and checks the output shapes ("1x84x2100").
//   node check_export.js nms NAME MODEL INPUT.npy PREDICTIONS.json KEY IMG_W IMG_H [MIN_CONF]
//       the (1, max_det, 6) rows mapped back through the letterbox to the original image
//       match the peer's predictions with conf >= MIN_CONF (default 0.5): same classes,
//       IoU >= 0.9, no extra detection above MIN_CONF + 0.05.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
const { readNpy } = require('./npy');

let failed = 0;
function pass(name, what) { console.log(`PASS ${name}${what ? ' (' + what + ')' : ''}`); }
function fail(name, why) { failed++; console.log(`FAIL ${name}: ${why}`); }

function toHalf(v) {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  if (mant & 0x1000) h++;
  return h;
}

function fromHalf(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

function floats(t) {
  if (t.type === 'float16') return Float32Array.from(t.data, fromHalf);
  return t.data;
}

async function session(model) {
  return ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
}

function inputTensor(sess, data, dims) {
  const meta = (sess.inputMetadata || [])[0];
  const t = meta && meta.type ? meta.type : 'float32';
  if (t === 'float16') return new ort.Tensor('float16', Uint16Array.from(data, toHalf), dims);
  return new ort.Tensor('float32', Float32Array.from(data), dims);
}

async function parity(args) {
  const bi = args.indexOf('--batch');
  const [name, model, inFile, outFile, protoFile] = args.filter((a, i) => !a.startsWith('--') && !(bi >= 0 && i === bi + 1));
  const batch = bi >= 0 ? Number(args[bi + 1]) : 1;
  const x = readNpy(inFile), y = readNpy(outFile);
  const p = protoFile && !protoFile.startsWith('--') ? readNpy(protoFile) : null;
  const sess = await session(model);
  const per = x.data.length;
  const data = new Float32Array(per * batch);
  for (let b = 0; b < batch; b++) data.set(x.data, b * per);
  const dims = [batch, ...x.dims.slice(1)];
  const r = await sess.run({ [sess.inputNames[0]]: inputTensor(sess, data, dims) });
  const o0 = r[sess.outputNames[0]];
  const want = [batch, ...y.dims.slice(1)];
  if (o0.dims.join('x') !== want.join('x')) return fail(name, `output0 is ${o0.dims.join('x')}, expected ${want.join('x')}`);
  const got = floats(o0);
  const C = y.dims[1], A = y.dims[2];
  let box = 0, rest = 0;
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < C; c++)
      for (let a = 0; a < A; a++) {
        const d = Math.abs(got[(b * C + c) * A + a] - y.data[c * A + a]);
        if (c < 4) box = Math.max(box, d); else rest = Math.max(rest, d);
        if (Number.isNaN(d)) box = Infinity;
      }
  let protoD = 0;
  if (p) {
    const o1 = r[sess.outputNames[1]];
    if (!o1) return fail(name, 'no output1');
    const g1 = floats(o1);
    const n = p.data.length;
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < n; i++) protoD = Math.max(protoD, Math.abs(g1[b * n + i] - p.data[i]));
  }
  const what = `boxes max|Δ| ${box.toExponential(2)}, scores${C > 84 ? '+coefficients' : ''} max|Δ| ${rest.toExponential(2)}` +
    (p ? `, protos max|Δ| ${protoD.toExponential(2)}` : '') + (batch > 1 ? `, batch ${batch}` : '');
  if (box <= 0.05 && rest <= 1e-3 && protoD <= 1e-3) pass(name, what);
  else fail(name, what);
}

async function shape(args) {
  const pos = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--dtype');
  const [name, model, inDims, want0, want1] = pos;
  const sess = await session(model);
  const dims = inDims.split('x').map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = (s >>> 8) / 16777216; }
  const r = await sess.run({ [sess.inputNames[0]]: inputTensor(sess, data, dims) });
  const o0 = r[sess.outputNames[0]];
  const got0 = o0.dims.join('x');
  const got1 = sess.outputNames[1] ? r[sess.outputNames[1]].dims.join('x') : undefined;
  let finite = true;
  for (const v of floats(o0)) if (!Number.isFinite(v)) { finite = false; break; }
  if (got0 !== want0) return fail(name, `output0 ${got0}, expected ${want0}`);
  if (want1 && got1 !== want1) return fail(name, `output1 ${got1}, expected ${want1}`);
  if (!finite) return fail(name, 'output0 has non-finite values');
  pass(name, `output0 ${got0}${got1 ? ', output1 ' + got1 : ''}, ${o0.type}`);
}

function iou(a, b) {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

async function nms(args) {
  const [name, model, inFile, predFile, key, wS, hS, minS] = args;
  const minConf = minS ? Number(minS) : 0.5;
  const W = Number(wS), H = Number(hS);
  const x = readNpy(inFile);
  const sess = await session(model);
  const r = await sess.run({ [sess.inputNames[0]]: inputTensor(sess, x.data, x.dims) });
  const o = r[sess.outputNames[0]];
  if (o.dims.length !== 3 || o.dims[2] < 6) return fail(name, `output0 is ${o.dims.join('x')}, expected (1, max_det, 6+)`);
  const rows = floats(o), R = o.dims[2];
  // undo the peer's square letterbox: scale to fit, centred
  const ih = x.dims[2], iw = x.dims[3];
  const gain = Math.min(ih / H, iw / W);
  const padw = (iw - Math.round(W * gain)) / 2, padh = (ih - Math.round(H * gain)) / 2;
  const dets = [];
  for (let i = 0; i < o.dims[1]; i++) {
    const q = rows.subarray(i * R, i * R + R);
    if (q[4] <= 0) continue;
    dets.push({ cls: Math.round(q[5]), conf: q[4],
      xyxy: [(q[0] - padw) / gain, (q[1] - padh) / gain, (q[2] - padw) / gain, (q[3] - padh) / gain] });
  }
  const peer = JSON.parse(fs.readFileSync(predFile, 'utf8'))[key].filter((d) => d.conf >= minConf);
  const used = new Set();
  for (const p of peer) {
    let best = -1, bi = -1;
    dets.forEach((d, i) => { if (!used.has(i) && d.cls === p.cls) { const v = iou(d.xyxy, p.xyxy); if (v > best) { best = v; bi = i; } } });
    if (best < 0.9) return fail(name, `peer ${p.name} ${p.conf} [${p.xyxy}] has no match (best IoU ${best.toFixed(3)})`);
    used.add(bi);
  }
  const extra = dets.filter((d, i) => !used.has(i) && d.conf >= minConf + 0.05);
  if (extra.length) return fail(name, `extra detection cls ${extra[0].cls} conf ${extra[0].conf.toFixed(3)}`);
  pass(name, `${peer.length} peer detections with conf >= ${minConf} matched at IoU >= 0.9; ${dets.length} rows in all`);
}

(async () => {
  const [cmd, ...rest] = process.argv.slice(2);
  try {
    if (cmd === 'parity') await parity(rest);
    else if (cmd === 'shape') await shape(rest);
    else if (cmd === 'nms') await nms(rest);
    else { console.error('usage: check_export.js parity|shape|nms ...'); process.exit(2); }
  } catch (e) {
    fail(rest[0] || cmd, String(e && e.message ? e.message : e).split('\n')[0]);
  }
  process.exit(failed ? 1 : 0);
})();
