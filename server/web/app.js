/*
 * app.js: the dictation page of `tale serve` (docs/SERVE.md).
 *
 * The microphone (getUserMedia) feeds an AudioWorklet (worklet.js) that resamples to 16-kHz
 * mono signed 16-bit PCM; the chunks go as binary frames to the WebSocket
 * /v1/dictate?model=…&redact=0|1&token=…, which answers with the events of
 * `tale dictate --json`: ready, partial (shown dimmed under the text area), final (appended
 * to the text area, which the user may edit meanwhile), done, error.  Stop flushes the
 * worklet, sends {"type":"end"} and waits for "done".
 *
 * No external resources and no inline scripts: the server's Content-Security-Policy allows
 * only this origin.
 */
'use strict';

(function () {
    const $ = (id) => document.getElementById(id);
    const ui = {
        token: $('token'), model: $('model'), redact: $('redact'),
        start: $('start'), stop: $('stop'), copy: $('copy'), level: $('level'),
        status: $('status'), error: $('error'), text: $('text'), partial: $('partial'),
    };
    const TOKEN_KEY = 'tale.token';
    const MODEL_KEY = 'tale.model';
    const REDACT_KEY = 'tale.redact';
    const DONE_TIMEOUT_MS = 60000;   // waiting for "done" after stop
    const MAX_QUEUED_BYTES = 4 << 20; // audio held while the socket opens (about 2 min)

    const UNREACHABLE = 'Serveren kan ikke nås. Tjek netværket, og at tale-serveren kører.';

    // one dictation session at a time
    let session = null;

    function setStatus(msg) {
        ui.status.textContent = msg;
    }

    function showError(msg) {
        ui.error.textContent = msg;
        ui.error.hidden = !msg;
    }

    function authHeaders() {
        const t = ui.token.value.trim();
        return t ? {Authorization: 'Bearer ' + t} : {};
    }

    function setRunning(running) {
        ui.start.disabled = running;
        ui.stop.disabled = !running;
        ui.model.disabled = running;
        ui.redact.disabled = running;
        ui.token.disabled = running;
    }

    /* ---- models ------------------------------------------------------------------------ */

    /* Show a problem with the model list; a later success clears only such a message, never
     * one about the microphone or a dictation. */
    let modelsMsg = '';
    function modelsError(msg) {
        modelsMsg = msg;
        showError(msg);
        return false;
    }

    async function loadModels() {
        let res;
        try {
            res = await fetch('/v1/models', {headers: authHeaders(), cache: 'no-store'});
        } catch (e) {
            return modelsError(UNREACHABLE);
        }
        if (res.status === 401)
            return modelsError(ui.token.value.trim()
                ? 'Adgangsnøglen blev afvist af serveren. Tjek nøglen.'
                : 'Serveren kræver en adgangsnøgle. Skriv den i feltet "Adgangsnøgle".');
        if (!res.ok)
            return modelsError('Serveren kunne ikke give listen over modeller (HTTP ' +
                               res.status + ').');
        let list;
        try {
            list = await res.json();
        } catch (e) {
            return modelsError('Serveren svarede med en ugyldig modelliste.');
        }
        const wanted = ui.model.value || sessionStorage.getItem(MODEL_KEY);
        ui.model.replaceChildren();
        for (const m of (list && Array.isArray(list.data)) ? list.data : []) {
            if (!m || typeof m.id !== 'string')
                continue;
            const o = document.createElement('option');
            o.value = m.id;
            o.textContent = m.id;
            ui.model.append(o);
        }
        if (ui.model.options.length === 0)
            return modelsError('Serveren har ingen modeller indlæst.');
        if (wanted && [...ui.model.options].some((o) => o.value === wanted))
            ui.model.value = wanted;
        if (modelsMsg && ui.error.textContent === modelsMsg)
            showError('');
        modelsMsg = '';
        return true;
    }

    /* ---- text area ----------------------------------------------------------------------- */

    /* Append a final at the end of the text area without moving the user's cursor or
     * selection; a space (or nothing, after a line break) separates it from what is there. */
    function appendFinal(text) {
        if (!text)
            return;
        const ta = ui.text;
        const old = ta.value;
        let sep = '';
        if (old.length > 0 && !/\s$/.test(old) && !/^\s/.test(text))
            sep = ' ';
        const focused = document.activeElement === ta;
        const s = ta.selectionStart, e = ta.selectionEnd, dir = ta.selectionDirection;
        const atEnd = s === old.length && e === old.length;
        ta.value = old + sep + text;
        if (focused && !atEnd)
            ta.setSelectionRange(s, e, dir);
        if (!focused || atEnd)
            ta.scrollTop = ta.scrollHeight;
    }

    /* ---- errors in words ------------------------------------------------------------------ */

    function micErrorMessage(err) {
        switch (err && err.name) {
        case 'NotAllowedError':
        case 'SecurityError':
            return 'Adgang til mikrofonen blev nægtet. Tillad mikrofonen for denne side i ' +
                   'browserens indstillinger, og prøv igen.';
        case 'NotFoundError':
        case 'OverconstrainedError':
            return 'Der blev ikke fundet nogen mikrofon. Tilslut en mikrofon, og prøv igen.';
        case 'NotReadableError':
        case 'AbortError':
            return 'Mikrofonen kan ikke bruges lige nu: den er måske i brug i et andet program.';
        default:
            return 'Mikrofonen kunne ikke startes' + (err && err.message ? ': ' + err.message : '.');
        }
    }

    /* Why could the socket not open?  The browser hides the HTTP answer to a refused
     * WebSocket upgrade, so ask the server over plain HTTP. */
    async function diagnoseRefusal() {
        try {
            const h = await fetch('/health', {cache: 'no-store'});
            if (!h.ok)
                return 'Serveren svarer, men er ikke klar (HTTP ' + h.status + '). Prøv igen om lidt.';
        } catch (e) {
            return UNREACHABLE;
        }
        try {
            const m = await fetch('/v1/models', {headers: authHeaders(), cache: 'no-store'});
            if (m.status === 401)
                return 'Adgangsnøglen blev afvist af serveren. Tjek nøglen.';
            if (m.status === 503)
                return 'Serveren er optaget. Prøv igen om lidt.';
        } catch (e) {
            return UNREACHABLE;
        }
        return 'Forbindelsen til dikteringen blev afvist af serveren.';
    }

    function closeMessage(ev, serverMsg) {
        const extra = serverMsg ? ' (' + serverMsg + ')' : '';
        switch (ev.code) {
        case 1008:
            return 'Serveren afviste dikteringen' + extra + '.';
        case 1003:
            return 'Serveren forstod ikke det, siden sendte' + extra + '.';
        case 1009:
            return 'Serveren modtog for meget lyd på én gang' + extra + '.';
        case 1011:
            return 'Der skete en fejl på serveren' + extra + '.';
        case 1013:
            return 'Serveren er optaget. Prøv igen om lidt' + extra + '.';
        case 1001:
            return 'Serveren lukkede ned under dikteringen. Teksten indtil nu er bevaret.';
        default:
            return 'Forbindelsen til serveren blev afbrudt' + extra +
                   '. Teksten indtil nu er bevaret.';
        }
    }

    /* ---- a dictation session -------------------------------------------------------------- */

    function wsUrl() {
        const q = new URLSearchParams();
        q.set('model', ui.model.value);
        q.set('redact', ui.redact.checked ? '1' : '0');
        const t = ui.token.value.trim();
        if (t)
            q.set('token', t);
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        return scheme + '//' + location.host + '/v1/dictate?' + q.toString();
    }

    /* Release the microphone and the audio graph (idempotent). */
    function stopAudio(s) {
        if (s.stream) {
            for (const t of s.stream.getTracks())
                t.stop();
            s.stream = null;
        }
        if (s.node) {
            s.node.port.onmessage = null;
            s.node.disconnect();
            s.node = null;
        }
        if (s.source) {
            s.source.disconnect();
            s.source = null;
        }
        if (s.ctx) {
            s.ctx.close().catch(() => {});
            s.ctx = null;
        }
        ui.level.value = 0;
    }

    /* End the session: audio off, socket closed, buttons back. */
    function finish(s, errorMsg) {
        if (s.finished)
            return;
        s.finished = true;
        clearTimeout(s.doneTimer);
        stopAudio(s);
        if (s.ws && s.ws.readyState <= WebSocket.OPEN)
            s.ws.close(1000);
        ui.partial.textContent = '';
        if (errorMsg) {
            showError(errorMsg);
            setStatus('Stoppet.');
        } else {
            setStatus('Færdig.');
        }
        if (session === s)
            session = null;
        setRunning(false);
    }

    function sendAudio(s, buf) {
        if (s.ending || s.finished)
            return;
        if (s.ready && s.ws.readyState === WebSocket.OPEN) {
            s.ws.send(buf);
        } else if (s.queuedBytes + buf.byteLength <= MAX_QUEUED_BYTES) {
            s.queue.push(buf);
            s.queuedBytes += buf.byteLength;
        }
    }

    function onServerEvent(s, ev) {
        let msg;
        try {
            msg = JSON.parse(ev.data);
        } catch (e) {
            return;
        }
        if (!msg || typeof msg.type !== 'string')
            return;
        switch (msg.type) {
        case 'ready':
            s.ready = true;
            for (const b of s.queue)
                s.ws.send(b);
            s.queue = [];
            s.queuedBytes = 0;
            setStatus('Lytter … tal nu.');
            if (s.endWanted)
                sendEnd(s);
            break;
        case 'partial':
            ui.partial.textContent = typeof msg.text === 'string' ? msg.text : '';
            break;
        case 'final':
            ui.partial.textContent = '';
            if (typeof msg.text === 'string')
                appendFinal(msg.text);
            break;
        case 'done':
            s.done = true;
            // "done" without our "end": the server ended the dictation (it may be stopping)
            finish(s, s.endSent ? null
                                : 'Serveren afsluttede dikteringen. Teksten indtil nu er bevaret.');
            break;
        case 'error':
            s.serverError = typeof msg.message === 'string' ? msg.message : '';
            break;
        }
    }

    function sendEnd(s) {
        if (s.endSent || !s.ready || s.ws.readyState !== WebSocket.OPEN)
            return;
        s.endSent = true;
        s.ws.send(JSON.stringify({type: 'end'}));
        s.doneTimer = setTimeout(() => finish(s, 'Serveren blev ikke færdig med den sidste ' +
                                                  'tekst i tide.'), DONE_TIMEOUT_MS);
    }

    async function start() {
        if (session)
            return;
        showError('');
        const s = {
            ws: null, ctx: null, stream: null, source: null, node: null,
            ready: false, opened: false, ending: false, endWanted: false, endSent: false,
            done: false, finished: false, queue: [], queuedBytes: 0, serverError: '',
            doneTimer: 0,
        };
        session = s;
        setRunning(true);
        setStatus('Forbinder …');

        // the server and the model first: no microphone prompt when it cannot work anyway
        try {
            const h = await fetch('/health', {cache: 'no-store'});
            if (!h.ok) {
                finish(s, 'Serveren svarer, men er ikke klar (HTTP ' + h.status +
                          '). Prøv igen om lidt.');
                return;
            }
        } catch (e) {
            finish(s, UNREACHABLE);
            return;
        }
        if (!ui.model.value && !(await loadModels())) {
            finish(s, ui.error.textContent || 'Serveren har ingen modeller.');
            return;
        }
        if (s.finished)
            return;

        if (!window.isSecureContext || !navigator.mediaDevices ||
            !navigator.mediaDevices.getUserMedia || typeof AudioWorkletNode === 'undefined') {
            finish(s, 'Browseren giver ikke adgang til mikrofonen på denne side: åbn den via ' +
                      'https:// (eller http://localhost), i en nyere browser.');
            return;
        }
        setStatus('Starter mikrofonen …');
        try {
            s.stream = await navigator.mediaDevices.getUserMedia({
                audio: {channelCount: 1, echoCancellation: false, noiseSuppression: false,
                        autoGainControl: false},
                video: false,
            });
        } catch (err) {
            finish(s, micErrorMessage(err));
            return;
        }
        if (s.finished) {
            stopAudio(s);
            return;
        }
        try {
            s.ctx = new AudioContext({latencyHint: 'interactive'});
            await s.ctx.audioWorklet.addModule('/worklet.js');
            s.source = s.ctx.createMediaStreamSource(s.stream);
            s.node = new AudioWorkletNode(s.ctx, 'tale-capture',
                                          {numberOfInputs: 1, numberOfOutputs: 0});
            s.node.port.onmessage = (e) => {
                const m = e.data;
                if (m.type === 'audio') {
                    ui.level.value = m.level;
                    sendAudio(s, m.pcm);
                } else if (m.type === 'flushed') {
                    s.ending = true;
                    stopAudio(s);
                    sendEnd(s);
                }
            };
            s.source.connect(s.node);
            if (s.ctx.state === 'suspended')
                await s.ctx.resume();
        } catch (err) {
            finish(s, 'Lydbehandlingen i browseren kunne ikke startes' +
                      (err && err.message ? ': ' + err.message : '.'));
            return;
        }
        if (s.finished) {
            stopAudio(s);
            return;
        }

        try {
            s.ws = new WebSocket(wsUrl());
        } catch (err) {
            finish(s, 'Forbindelsen til serveren kunne ikke oprettes.');
            return;
        }
        s.ws.binaryType = 'arraybuffer';
        s.ws.onopen = () => {
            s.opened = true;
            setStatus('Venter på serveren …');
        };
        s.ws.onmessage = (ev) => onServerEvent(s, ev);
        s.ws.onerror = () => {};
        s.ws.onclose = async (ev) => {
            if (s.finished)
                return;
            if (s.done || (ev.code === 1000 && s.endSent)) {
                finish(s, null);
                return;
            }
            stopAudio(s);
            const msg = s.opened ? closeMessage(ev, s.serverError) : await diagnoseRefusal();
            finish(s, msg);
        };
    }

    /* Stop: the worklet posts what it holds, then "end" goes to the server, which answers the
     * last finals and "done". */
    function stop() {
        const s = session;
        if (!s || s.ending || s.finished)
            return;
        ui.stop.disabled = true;
        setStatus('Afslutter … venter på den sidste tekst.');
        if (!s.ws || !s.ready) {
            // never got to listening: nothing to flush on the server
            if (s.ws && s.ws.readyState === WebSocket.CONNECTING) {
                s.endWanted = true;
                s.ending = true;
                stopAudio(s);
                return;
            }
            finish(s, null);
            return;
        }
        if (s.node) {
            s.node.port.postMessage({cmd: 'flush'});
        } else {
            s.ending = true;
            sendEnd(s);
        }
    }

    async function copyText() {
        const text = ui.text.value;
        try {
            if (!navigator.clipboard || !window.isSecureContext)
                throw new Error('no async clipboard');
            await navigator.clipboard.writeText(text);
        } catch (e) {
            // older browsers, or http:// on another host: copy through a selection
            ui.text.focus();
            ui.text.select();
            if (!document.execCommand || !document.execCommand('copy')) {
                setStatus('Kunne ikke kopiere. Markér teksten, og tryk Ctrl+C.');
                return;
            }
        }
        setStatus('Teksten er kopieret.');
    }

    /* ---- wiring ---------------------------------------------------------------------------- */

    ui.token.value = sessionStorage.getItem(TOKEN_KEY) || '';
    ui.redact.checked = sessionStorage.getItem(REDACT_KEY) === '1';
    ui.token.addEventListener('change', () => {
        sessionStorage.setItem(TOKEN_KEY, ui.token.value.trim());
        if (!session)
            loadModels();
    });
    ui.model.addEventListener('change', () => sessionStorage.setItem(MODEL_KEY, ui.model.value));
    ui.redact.addEventListener('change',
                               () => sessionStorage.setItem(REDACT_KEY, ui.redact.checked ? '1' : '0'));
    ui.start.addEventListener('click', () => {
        start().catch((err) => {
            if (session)
                finish(session, 'Uventet fejl: ' + (err && err.message ? err.message : err));
        });
    });
    ui.stop.addEventListener('click', stop);
    ui.copy.addEventListener('click', copyText);
    document.getElementById('settings').addEventListener('submit', (e) => e.preventDefault());
    window.addEventListener('pagehide', () => {
        if (session)
            finish(session, null);
    });
    setRunning(false);
    loadModels();
})();
