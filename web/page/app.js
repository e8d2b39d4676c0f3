// The drum machine of the original WaveGAN demo (reference §10), on the run's exported generator.onnx.
// Everything it loads is in this folder: run.json (the run's facts), generator.onnx and onnxruntime-web
// under runtime/. `window.wavegan` exposes the state for tests and the benchmark (tests/web/test_page.py).

const PADS = 8;
const STEPS = 16;
const LOOKAHEAD_S = 0.1;  // notes are scheduled this far ahead on the audio clock
const TICK_MS = 25;       // how often the scheduler wakes up

const $ = (selector, root = document) => root.querySelector(selector);

const state = {
  facts: null, ort: null, session: null, backend: 'wasm', threads: 1,
  pads: [], pattern: [], audio: null,
  playing: false, tempo: 120, swing: 0.5, nextStep: 0, nextTime: 0, timer: null,
  scheduled: [],  // every note handed to Web Audio: {pad, step, time}
  generations: 0, triggers: 0, timings: {},
};
window.wavegan = { state, PADS, STEPS, generatePads, setMorph, setBackend, play, stop, toggleStep };

function setStatus(text, isError = false) {
  const el = $('#status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function uniformLatent(n) {
  const z = new Float32Array(n);
  for (let i = 0; i < n; i++) z[i] = Math.random() * 2 - 1;
  return z;
}

// --- model -------------------------------------------------------------------------------------

async function loadRuntime(backend) {
  // Two builds of onnxruntime-web: plain WebAssembly, and the one with the WebGPU provider.
  const ort = backend === 'webgpu' ? await import('./runtime/ort.webgpu.min.mjs')
                                   : await import('./runtime/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = new URL('./runtime/', location.href).href;
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has (`--web_serve` sends
  // the headers; plain `python -m http.server` does not, and then one thread is used).
  state.threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.wasm.numThreads = state.threads;
  return ort;
}

async function loadModel(backend) {
  const t0 = performance.now();
  state.ort = await loadRuntime(backend);
  const bytes = await (await fetch(state.facts.model_file)).arrayBuffer();
  state.session = await state.ort.InferenceSession.create(bytes, {
    executionProviders: [backend], graphOptimizationLevel: 'all',
  });
  state.backend = backend;
  state.timings.modelLoadMs = performance.now() - t0;
}

// Runs the generator on the pads' current latents, all in one batch.
async function generatePads(indices = [...Array(PADS).keys()]) {
  const { latent_dim: d, slice_len: len, num_channels: ch } = state.facts;
  const z = new Float32Array(indices.length * d);
  indices.forEach((p, row) => z.set(state.pads[p].z, row * d));
  const t0 = performance.now();
  const out = await state.session.run({ z: new state.ort.Tensor('float32', z, [indices.length, d]) });
  const audio = out.G_z.getData ? await out.G_z.getData() : out.G_z.data;
  state.timings.lastGenerateMs = performance.now() - t0;
  state.timings.lastGenerateCount = indices.length;
  indices.forEach((p, row) => {
    const pad = state.pads[p];
    pad.audio = audio.slice(row * len * ch, (row + 1) * len * ch);  // [time, channels] interleaved
    pad.buffer = null;
    drawWaveform(pad);
    setDownload(pad);
  });
  state.generations += 1;
  setStatus(`generated ${indices.length} sound${indices.length > 1 ? 's' : ''} in `
            + `${state.timings.lastGenerateMs.toFixed(0)} ms (${describeBackend()})`);
}

function describeBackend() {
  return state.backend === 'wasm' ? `WebAssembly, ${state.threads} thread${state.threads > 1 ? 's' : ''}` : 'WebGPU';
}

function mixLatents(pad) {
  const t = pad.morph;
  pad.z = pad.zA.map((a, i) => (1 - t) * a + t * pad.zB[i]);
}

async function setMorph(p, t) {
  const pad = state.pads[p];
  pad.morph = t;
  $('.morph', pad.el).value = String(t);
  mixLatents(pad);
  await generatePads([p]);
}

async function newSound(p, which) {
  const pad = state.pads[p];
  pad[which] = uniformLatent(state.facts.latent_dim);
  if (which === 'zA') {
    pad.morph = 0;
    $('.morph', pad.el).value = '0';
  }
  mixLatents(pad);
  await generatePads([p]);
}

async function setBackend(backend) {
  setStatus(`loading the model on ${backend}…`);
  await loadModel(backend);
  await generatePads();
}

// --- pictures and files ------------------------------------------------------------------------

function drawWaveform(pad) {
  const canvas = $('canvas', pad.el);
  const g = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const ch = state.facts.num_channels;
  const frames = pad.audio.length / ch;
  g.fillStyle = '#0d1117';
  g.fillRect(0, 0, w, h);
  g.strokeStyle = '#30363d';
  g.beginPath(); g.moveTo(0, h / 2); g.lineTo(w, h / 2); g.stroke();
  // Drawn at the clip's own peak (an early checkpoint is very quiet), which the corner states in dBFS.
  let peak = 0;
  for (let t = 0; t < frames; t++) peak = Math.max(peak, Math.abs(pad.audio[t * ch]));
  const gain = peak > 0 ? 1 / peak : 1;
  g.fillStyle = '#3fb950';
  // One column per pixel: the minimum and maximum of channel 0 over its samples.
  for (let x = 0; x < w; x++) {
    const from = Math.floor((x * frames) / w), to = Math.max(from + 1, Math.floor(((x + 1) * frames) / w));
    let lo = 1, hi = -1;
    for (let t = from; t < to; t++) {
      const v = pad.audio[t * ch] * gain;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const top = (1 - Math.min(1, hi)) * h / 2, bottom = (1 - Math.max(-1, lo)) * h / 2;
    g.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
  const label = peak > 0 ? `peak ${(20 * Math.log10(peak)).toFixed(1)} dBFS` : 'silent';
  g.font = '11px sans-serif';
  g.textAlign = 'right';
  g.fillStyle = 'rgba(13, 17, 23, 0.8)';
  g.fillRect(w - 8 - g.measureText(label).width, 1, g.measureText(label).width + 8, 14);
  g.fillStyle = '#c9d1d9';
  g.fillText(label, w - 4, 12);
}

// 16-bit PCM WAV, quantised as the SavedModel's G_z_int16: x·32767, clipped, truncated toward zero.
function encodeWav(audio, channels, rate) {
  const n = audio.length;
  const buf = new ArrayBuffer(44 + 2 * n);
  const v = new DataView(buf);
  const text = (o, s) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  text(0, 'RIFF'); v.setUint32(4, 36 + 2 * n, true); text(8, 'WAVE');
  text(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, channels, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * channels * 2, true); v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true); text(36, 'data'); v.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) v.setInt16(44 + 2 * i, Math.trunc(Math.max(-32767, Math.min(32767, audio[i] * 32767))), true);
  return new Blob([buf], { type: 'audio/wav' });
}

function setDownload(pad) {
  const link = $('.download', pad.el);
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(encodeWav(pad.audio, state.facts.num_channels, state.facts.sample_rate));
  link.download = `wavegan_pad${pad.index + 1}.wav`;
}

// --- sound -------------------------------------------------------------------------------------

function audioContext() {
  // Created on the first click or key press: browsers only start audio after a user gesture.
  if (!state.audio) state.audio = new AudioContext();
  if (state.audio.state === 'suspended') state.audio.resume();
  return state.audio;
}

function padBuffer(pad) {
  if (!pad.buffer) {
    const { sample_rate: rate, num_channels: ch } = state.facts;
    const frames = pad.audio.length / ch;
    pad.buffer = state.audio.createBuffer(ch, frames, rate);
    for (let c = 0; c < ch; c++) {
      const data = pad.buffer.getChannelData(c);
      for (let t = 0; t < frames; t++) data[t] = pad.audio[t * ch + c];
    }
  }
  return pad.buffer;
}

function trigger(p, when = 0) {
  const ctx = audioContext();
  const pad = state.pads[p];
  if (!pad.audio) return;
  state.triggers += 1;
  const source = ctx.createBufferSource();
  source.buffer = padBuffer(pad);
  source.connect(ctx.destination);
  source.start(when);
  const delayMs = Math.max(0, (when - ctx.currentTime) * 1000);
  setTimeout(() => {
    pad.el.classList.add('hit');
    setTimeout(() => pad.el.classList.remove('hit'), 120);
  }, delayMs);
}

// --- sequencer ---------------------------------------------------------------------------------

// A sixteenth note lasts 60 / tempo / 4 s. Swing s delays every second sixteenth: the first of each
// pair lasts 2·s sixteenths, the second 2·(1 − s); s = 0.5 is straight time.
function stepDuration(step) {
  const sixteenth = 60 / state.tempo / 4;
  return 2 * sixteenth * (step % 2 === 0 ? state.swing : 1 - state.swing);
}

function schedule() {
  const ctx = state.audio;
  while (state.nextTime < ctx.currentTime + LOOKAHEAD_S) {
    const step = state.nextStep;
    for (let p = 0; p < PADS; p++) {
      if (state.pattern[p][step]) {
        trigger(p, state.nextTime);
        state.scheduled.push({ pad: p, step, time: state.nextTime });
        if (state.scheduled.length > 2000) state.scheduled.shift();
      }
    }
    const delayMs = Math.max(0, (state.nextTime - ctx.currentTime) * 1000);
    setTimeout(() => showStep(step), delayMs);
    state.nextTime += stepDuration(step);
    state.nextStep = (step + 1) % STEPS;
  }
}

function showStep(step) {
  document.querySelectorAll('#seq .step.now').forEach((el) => el.classList.remove('now'));
  if (state.playing) document.querySelectorAll(`#seq .step[data-step="${step}"]`).forEach((el) => el.classList.add('now'));
}

function play() {
  const ctx = audioContext();
  state.playing = true;
  state.nextStep = 0;
  state.nextTime = ctx.currentTime + 0.05;
  schedule();
  state.timer = setInterval(schedule, TICK_MS);
  $('#play').textContent = '■ stop';
  $('#play').classList.add('playing');
}

function stop() {
  state.playing = false;
  clearInterval(state.timer);
  state.timer = null;
  $('#play').textContent = '▶ play';
  $('#play').classList.remove('playing');
  showStep(-1);
}

function toggleStep(p, step) {
  state.pattern[p][step] = !state.pattern[p][step];
  $(`#seq .step[data-pad="${p}"][data-step="${step}"]`).classList.toggle('on', state.pattern[p][step]);
}

// --- page --------------------------------------------------------------------------------------

function buildPads() {
  const template = $('#pad-template');
  for (let p = 0; p < PADS; p++) {
    const el = template.content.firstElementChild.cloneNode(true);
    el.dataset.pad = String(p);
    $('.key', el).textContent = String(p + 1);
    $('.trigger', el).title = `play pad ${p + 1} (key ${p + 1})`;
    $('.trigger', el).addEventListener('click', () => trigger(p));
    $('.new', el).addEventListener('click', () => newSound(p, 'zA'));
    $('.new-b', el).addEventListener('click', () => newSound(p, 'zB'));
    $('.morph', el).addEventListener('change', (e) => setMorph(p, Number(e.target.value)));
    $('#pads').appendChild(el);
    const d = state.facts.latent_dim;
    const pad = { index: p, el, zA: uniformLatent(d), zB: uniformLatent(d), morph: 0, z: null, audio: null, buffer: null };
    mixLatents(pad);
    state.pads.push(pad);
  }
}

function buildSequencer() {
  // A starting beat: pad 1 on the downbeats, pad 2 on the backbeats, pad 3 on the off-beat eighths.
  const start = { 0: [0, 8], 1: [4, 12], 2: [2, 6, 10, 14] };
  const seq = $('#seq');
  for (let p = 0; p < PADS; p++) {
    state.pattern.push(Array.from({ length: STEPS }, (_, s) => (start[p] || []).includes(s)));
    const label = document.createElement('span');
    label.className = 'row-label';
    label.textContent = `pad ${p + 1}`;
    seq.appendChild(label);
    for (let s = 0; s < STEPS; s++) {
      const b = document.createElement('button');
      b.className = 'step' + (s % 4 === 0 ? ' beat' : '') + (state.pattern[p][s] ? ' on' : '');
      b.dataset.pad = String(p);
      b.dataset.step = String(s);
      b.title = `pad ${p + 1}, step ${s + 1}`;
      b.addEventListener('click', () => toggleStep(p, s));
      seq.appendChild(b);
    }
  }
}

function bindControls() {
  $('#play').addEventListener('click', () => (state.playing ? stop() : play()));
  $('#tempo').addEventListener('input', (e) => { state.tempo = Number(e.target.value); $('#tempo-value').textContent = e.target.value; });
  $('#swing').addEventListener('input', (e) => {
    state.swing = Number(e.target.value);
    $('#swing-value').textContent = state.swing.toFixed(2);
  });
  $('#new-all').addEventListener('click', async () => {
    state.pads.forEach((pad) => { pad.zA = uniformLatent(state.facts.latent_dim); pad.morph = 0; $('.morph', pad.el).value = '0'; mixLatents(pad); });
    await generatePads();
  });
  $('#backend').addEventListener('change', (e) => setBackend(e.target.value).catch(fail));
  document.addEventListener('keydown', (e) => {
    const p = Number(e.key) - 1;
    if (!e.repeat && !e.ctrlKey && !e.metaKey && !e.altKey && Number.isInteger(p) && p >= 0 && p < PADS) trigger(p);
  });
  if (navigator.gpu) $('#backend').add(new Option('WebGPU', 'webgpu'));
}

function fail(err) {
  console.error(err);
  setStatus(`error: ${err.message || err}`, true);
  window.wavegan.error = String(err.message || err);
}

async function main() {
  const t0 = performance.now();
  state.facts = await (await fetch('run.json')).json();
  const f = state.facts;
  $('#facts').textContent = `${f.model_type} step ${f.step} · ${f.sample_rate} Hz · ${f.slice_len} samples `
    + `(${(f.slice_len / f.sample_rate).toFixed(2)} s) · ${f.num_channels} channel${f.num_channels > 1 ? 's' : ''} · `
    + `z of ${f.latent_dim} · model ${(f.model_bytes / 1e6).toFixed(1)} MB`;
  buildPads();
  buildSequencer();
  bindControls();
  await loadModel('wasm');
  setStatus(`model loaded in ${state.timings.modelLoadMs.toFixed(0)} ms; generating…`);
  await generatePads();
  state.timings.pageReadyMs = performance.now() - t0;
  document.querySelectorAll('button:disabled').forEach((b) => { b.disabled = false; });
  window.wavegan.ready = true;
}

main().catch(fail);
