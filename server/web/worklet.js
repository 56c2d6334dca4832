/*
 * worklet.js: the AudioWorklet of the dictation page.  It mixes the microphone to mono,
 * resamples it from the AudioContext's rate to 16 kHz with a windowed-sinc low-pass
 * (band-limited interpolation: no aliasing from 44.1/48 kHz), converts to signed 16-bit and
 * posts chunks of 100 ms (1600 samples, an ArrayBuffer of s16le: the byte order of every
 * platform a browser runs on) to the page, which sends them as binary WebSocket frames.
 *
 * Messages from the page: {cmd: "flush"} posts what is buffered, then {type: "flushed"}.
 * Messages to the page: {type: "audio", pcm: ArrayBuffer, level: 0..1} and {type: "flushed"}.
 */
const OUT_RATE = 16000;
const CHUNK = 1600;  // samples of 16 kHz audio per message (100 ms)
const PHASES = 128;  // fractional positions of the interpolation table

class Resampler {
    constructor(inRate) {
        this.step = inRate / OUT_RATE;  // input samples per output sample
        this.passthrough = Math.abs(this.step - 1) < 1e-9;
        // cut-off (-6 dB) at 94 % of the lower Nyquist frequency, as a fraction of the input
        // rate; 32 output periods of taps each side (192 taps from 48 kHz, about 3 million
        // multiply-adds a second): -0.1 dB at 7 kHz, -5.5 dB at 7.5 kHz, below -74 dB from
        // 8.5 kHz (tests/serve/worklet_resample.mjs checks 7 and 8.5 kHz)
        const fc = 0.5 * Math.min(1, 1 / this.step) * 0.94;
        this.half = Math.ceil(32 * Math.max(1, this.step));  // taps each side
        const taps = 2 * this.half;
        this.table = new Float32Array((PHASES + 1) * taps);
        for (let p = 0; p <= PHASES; p++) {
            const frac = p / PHASES;
            let sum = 0;
            for (let k = 0; k < taps; k++) {
                const d = k - this.half + 1 - frac;  // distance of tap k from the output time
                const x = 2 * fc * d;
                const sinc = d === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
                const w = 0.42 + 0.5 * Math.cos(Math.PI * d / this.half) +
                          0.08 * Math.cos(2 * Math.PI * d / this.half);  // Blackman
                const h = Math.abs(d) >= this.half ? 0 : 2 * fc * sinc * w;
                this.table[p * taps + k] = h;
                sum += h;
            }
            for (let k = 0; k < taps; k++)
                this.table[p * taps + k] /= sum || 1;  // unit gain at DC
        }
        // buf starts with half - 1 zeros (silence before the first sample), so that the first
        // output is at the first input sample
        this.buf = new Float32Array(Math.max(8192, 4 * taps));
        this.len = this.half - 1;    // samples in buf
        this.pos = this.half - 1;    // next output time, in samples of buf
    }

    /* Emit what the held-back input still gives, as if silence followed. */
    drain(emit) {
        if (!this.passthrough)
            this.push(new Float32Array(this.half + 1), emit);
    }

    /* Append mono input; call emit(sample) for every output sample now computable. */
    push(input, emit) {
        if (this.passthrough) {
            for (let i = 0; i < input.length; i++)
                emit(input[i]);
            return;
        }
        if (this.len + input.length > this.buf.length) {
            const bigger = new Float32Array(2 * (this.len + input.length));
            bigger.set(this.buf.subarray(0, this.len));
            this.buf = bigger;
        }
        this.buf.set(input, this.len);
        this.len += input.length;
        const half = this.half, taps = 2 * half, table = this.table, buf = this.buf;
        let pos = this.pos;
        while (Math.floor(pos) + half < this.len) {
            const i = Math.floor(pos);
            const row = Math.round((pos - i) * PHASES) * taps;
            const first = i - half + 1;
            let acc = 0;
            for (let k = 0; k < taps; k++)
                acc += table[row + k] * buf[first + k];
            emit(acc);
            pos += this.step;
        }
        // keep only the history the next outputs need
        const drop = Math.floor(pos) - half + 1;
        if (drop > 0) {
            buf.copyWithin(0, drop, this.len);
            this.len -= drop;
            pos -= drop;
        }
        this.pos = pos;
    }
}

class TaleCapture extends AudioWorkletProcessor {
    constructor() {
        super();
        this.resampler = new Resampler(sampleRate);
        this.out = new Int16Array(CHUNK);
        this.n = 0;
        this.sumsq = 0;
        this.mono = new Float32Array(128);
        this.emit = (v) => {
            const c = v > 1 ? 1 : v < -1 ? -1 : v;
            this.sumsq += c * c;
            this.out[this.n++] = c < 0 ? Math.round(c * 32768) : Math.round(c * 32767);
            if (this.n === CHUNK)
                this.post();
        };
        this.port.onmessage = (e) => {
            if (e.data && e.data.cmd === 'flush') {
                this.resampler.drain(this.emit);
                this.post();
                this.port.postMessage({type: 'flushed'});
            }
        };
    }

    post() {
        if (this.n === 0)
            return;
        const pcm = this.out.slice(0, this.n).buffer;
        const level = Math.min(1, Math.sqrt(this.sumsq / this.n) * 4);
        this.port.postMessage({type: 'audio', pcm, level}, [pcm]);
        this.n = 0;
        this.sumsq = 0;
    }

    process(inputs) {
        const input = inputs[0];
        if (input && input.length > 0 && input[0].length > 0) {
            const frames = input[0].length;
            if (this.mono.length < frames)
                this.mono = new Float32Array(frames);
            const mono = this.mono.subarray(0, frames);
            mono.fill(0);
            for (let c = 0; c < input.length; c++)
                for (let i = 0; i < frames; i++)
                    mono[i] += input[c][i] / input.length;
            this.resampler.push(mono, this.emit);
        }
        return true;  // keep running until the page disconnects the node
    }
}

registerProcessor('tale-capture', TaleCapture);
