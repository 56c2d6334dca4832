// worklet_resample.mjs: the dictation page's AudioWorklet (server/web/worklet.js) in node, with
// the AudioWorkletGlobalScope stubbed: what it sends the server is 16-kHz mono s16le, in tune,
// at the right level, without aliasing, for the rates browsers run an AudioContext at.
// Run by tests/serve/test_serve_web.c (needs node only):  node tests/serve/worklet_resample.mjs
// Exit 0 = every check passed; otherwise the first failure is printed and the exit code is 1.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SRC = fs.readFileSync(path.join(here, '..', '..', 'server', 'web', 'worklet.js'), 'utf8');
const log = (...a) => console.log('worklet_resample:', ...a);

function check(cond, what) {
    must(cond, what);
    log('ok:', what);
}

/* A check too frequent to print. */
function must(cond, what) {
    if (!cond)
        throw new Error('FAILED: ' + what);
}

/* A fresh processor at `rate` Hz; returns {proc, out: posted samples, flushed: count}. */
function load(rate) {
    const posted = {samples: [], levels: [], flushed: 0};
    let Proc = null;
    const sandbox = {
        sampleRate: rate,
        AudioWorkletProcessor: class {
            constructor() {
                this.port = {
                    onmessage: null,
                    postMessage: (m) => {
                        if (m.type === 'audio') {
                            must(m.pcm instanceof ArrayBuffer && m.pcm.byteLength % 2 === 0,
                                 'chunks are ArrayBuffers of whole 16-bit samples');
                            posted.samples.push(...new Int16Array(m.pcm));
                            posted.levels.push(m.level);
                        } else if (m.type === 'flushed') {
                            posted.flushed++;
                        }
                    },
                };
            }
        },
        registerProcessor: (name, cls) => {
            if (name === 'tale-capture')
                Proc = cls;
        },
        Math, Float32Array, Int16Array, ArrayBuffer,
    };
    vm.runInNewContext(SRC, sandbox, {filename: 'worklet.js'});
    if (!Proc)
        throw new Error('worklet.js registers no "tale-capture" processor');
    return {proc: new Proc(), posted};
}

/* Feed channels (arrays of Float32Array of equal length) in render quanta of 128 frames. */
function feed(proc, channels) {
    const n = channels[0].length;
    for (let i = 0; i < n; i += 128) {
        const block = channels.map((c) => c.subarray(i, Math.min(n, i + 128)));
        if (proc.process([block], [], {}) !== true)
            throw new Error('process() must return true');
    }
}

const sine = (rate, hz, amp, seconds) => {
    const n = Math.round(rate * seconds);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++)
        x[i] = amp * Math.sin(2 * Math.PI * hz * i / rate);
    return x;
};

const rms = (a, from, to) => {
    let s = 0;
    for (let i = from; i < to; i++)
        s += (a[i] / 32768) ** 2;
    return Math.sqrt(s / (to - from));
};

/* Amplitude of frequency hz in a (Goertzel over the range), as a fraction of full scale. */
function tone(a, from, to, hz, rate) {
    const w = 2 * Math.PI * hz / rate;
    let s1 = 0, s2 = 0;
    for (let i = from; i < to; i++) {
        const s0 = a[i] / 32768 + 2 * Math.cos(w) * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
    return 2 * Math.sqrt(power) / (to - from);
}

for (const rate of [48000, 44100, 96000, 22050]) {
    // a 1-kHz tone at half scale, 2 s: the level and the pitch survive
    const {proc, posted} = load(rate);
    feed(proc, [sine(rate, 1000, 0.5, 2)]);
    proc.port.onmessage({data: {cmd: 'flush'}});
    const out = posted.samples;
    check(posted.flushed === 1, `${rate} Hz: flush answers "flushed"`);
    const want = 2 * 16000;
    check(Math.abs(out.length - want) <= 2,
          `${rate} Hz: 2 s and a flush give ${out.length} samples at 16 kHz (${want} ± 2)`);
    const r = rms(out, 1600, out.length - 1600);
    check(Math.abs(r - 0.5 / Math.SQRT2) < 0.005,
          `${rate} Hz: a 1-kHz tone keeps its level (RMS ${r.toFixed(4)}, want 0.3536)`);
    const a1 = tone(out, 1600, 30400, 1000, 16000);
    const a2 = tone(out, 1600, 30400, 1100, 16000);
    check(a1 > 0.49 && a2 < 0.01, `${rate} Hz: it is still 1 kHz (amplitude ${a1.toFixed(3)} ` +
          `at 1 kHz, ${a2.toFixed(4)} at 1.1 kHz)`);
    check(posted.levels.every((l) => l >= 0 && l <= 1), `${rate} Hz: the level meter stays in 0..1`);
}

// above the new Nyquist frequency: a 10-kHz tone at 48 kHz would alias to 6 kHz
{
    const {proc, posted} = load(48000);
    feed(proc, [sine(48000, 10000, 0.5, 1)]);
    const out = posted.samples;
    const alias = tone(out, 800, out.length - 800, 6000, 16000);
    const r = rms(out, 800, out.length - 800);
    check(alias < 0.5 * 0.001 && r < 0.5 * 0.002,
          '48 kHz: a 10-kHz tone is removed, not folded to 6 kHz (6-kHz amplitude ' +
          `${alias.toExponential(2)}, RMS ${r.toExponential(2)})`);
    // just inside the band: 7 kHz passes; just outside, 8.5 kHz (it would fold to 7.5) does not
    const b = load(48000);
    feed(b.proc, [sine(48000, 7000, 0.5, 1)]);
    const p = tone(b.posted.samples, 800, b.posted.samples.length - 800, 7000, 16000);
    check(p > 0.49, `48 kHz: a 7-kHz tone passes (amplitude ${p.toFixed(3)} of 0.5)`);
    const c = load(48000);
    feed(c.proc, [sine(48000, 8500, 0.5, 1)]);
    const q = rms(c.posted.samples, 800, c.posted.samples.length - 800);
    check(q < 0.5 * 0.001, `48 kHz: an 8.5-kHz tone is removed (RMS ${q.toExponential(2)})`);
}

// two channels are mixed to mono: opposite phases cancel, equal ones stay
{
    const a = load(48000);
    const x = sine(48000, 440, 0.5, 1);
    const y = x.map((v) => -v);
    feed(a.proc, [x, y]);
    check(rms(a.posted.samples, 0, a.posted.samples.length) < 1e-4, 'stereo: opposite channels cancel');
    const b = load(48000);
    feed(b.proc, [x, x]);
    const r = rms(b.posted.samples, 800, b.posted.samples.length - 800);
    check(Math.abs(r - 0.5 / Math.SQRT2) < 0.005,
          `stereo: equal channels keep their level (RMS ${r.toFixed(4)})`);
}

// 16 kHz in: the samples go through as they are (rounded to 16 bits); beyond full scale clips
{
    const {proc, posted} = load(16000);
    const x = new Float32Array(3200);
    for (let i = 0; i < x.length; i++)
        x[i] = ((i * 7919) % 2001 - 1000) / 1000 * 1.25;
    feed(proc, [x]);
    proc.port.onmessage({data: {cmd: 'flush'}});
    const out = posted.samples;
    check(out.length === x.length, '16 kHz: every sample comes out');
    let same = true;
    for (let i = 0; i < x.length; i++) {
        const c = Math.max(-1, Math.min(1, x[i]));
        const want = c < 0 ? Math.round(c * 32768) : Math.round(c * 32767);
        if (out[i] !== want)
            same = false;
    }
    check(same, '16 kHz: the samples are the input, rounded, clipped at full scale');
    check(out.includes(32767) && out.includes(-32768), '16 kHz: full scale reaches 32767 and -32768');
}

// chunks of 100 ms while streaming
{
    const {proc, posted} = load(48000);
    let chunks = 0;
    const orig = proc.port.postMessage;
    proc.port.postMessage = (m, t) => {
        if (m.type === 'audio') {
            chunks++;
            must(m.pcm.byteLength === 3200, 'a chunk is 1600 samples (100 ms)');
        }
        orig(m, t);
    };
    feed(proc, [sine(48000, 300, 0.1, 0.55)]);
    check(chunks === 5 && posted.samples.length === 5 * 1600,
          `0.55 s of audio: 5 whole chunks of 100 ms before a flush (${chunks})`);
}

log('PASS');
