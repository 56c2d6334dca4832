// web_dictate.mjs: the dictation page of `tale serve` in real headless Chromium, driven by
// playwright-core, with a fake microphone that plays a WAV (synthetic espeak-ng speech).
// Run by tests/serve/test_serve_web.c, which installs the npm packages, makes the WAV, starts
// the server and passes everything through the environment:
//
//   TALE_NPM        folder whose node_modules holds playwright-core
//   TALE_CHROMIUM   the chromium program
//   TALE_URL        http://127.0.0.1:PORT (a running `tale serve`)
//   TALE_TOKEN      a token the server accepts ("" when it runs without --token-file)
//   TALE_WAV        the fake microphone's recording (16-bit PCM WAV)
//   TALE_WAV_S      its duration in seconds
//   TALE_BIN        the tale program; TALE_MODEL_ARG its -m for the server's model: the
//                   reference is `tale dictate --input TALE_WAV --json --fast` (and `tale redact`
//                   of its finals) on the same audio and model
//   TALE_SERVER_PID the server's process id (stopped at the end, for the "unreachable" check)
//   TALE_OUT        folder for the screenshots and result.json
//
// Checks: the page loads under the server's CSP with no console errors; the model list comes
// from /v1/models; Start streams the microphone and the partial appears dimmed while the finals
// land in the text area (equal to the final events, close to `tale dictate` on the same audio);
// Stop sends "end" and the page waits for "done"; Kopiér puts the text on the clipboard; an
// edit the user made stays when new finals arrive; "Fjern personoplysninger" asks for redact=1
// and the name disappears; a denied microphone and a stopped server each give their message.
// TALE_MODE=tls: only a short dictation over https/wss (mainTls).
// Exit 0 = every check passed; otherwise the first failure is printed and the exit code is 1.
import {createRequire} from 'node:module';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = (k) => {
    const v = process.env[k];
    if (v === undefined)
        throw new Error(`web_dictate.mjs: ${k} is not set`);
    return v;
};
const require = createRequire(path.join(env('TALE_NPM'), 'package.json'));
const {chromium} = require('playwright-core');

const URL0 = env('TALE_URL');
const TOKEN = env('TALE_TOKEN');
const WAV = env('TALE_WAV');
const WAV_S = Number(env('TALE_WAV_S'));
const TALE = env('TALE_BIN');
const MODEL_ARG = env('TALE_MODEL_ARG');
const SERVER_PID = Number(process.env.TALE_SERVER_PID || 0);
const OUT = env('TALE_OUT');

const result = {};
let lastPage = null; // for the diagnostics when a check fails
const log = (...a) => console.log('web_dictate:', ...a);

function check(cond, what) {
    if (!cond)
        throw new Error('FAILED: ' + what);
    log('ok:', what);
}

/* Lowercase words without punctuation (ITN and punctuation make the finals differ from the
 * raw words only in form). */
function words(s) {
    return s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/* Fraction of the reference words found in the hypothesis, in order (LCS / reference length). */
function overlap(ref, hyp) {
    const a = words(ref), b = words(hyp);
    if (a.length === 0)
        return 0;
    let prev = new Array(b.length + 1).fill(0);
    for (let i = 1; i <= a.length; i++) {
        const cur = new Array(b.length + 1).fill(0);
        for (let j = 1; j <= b.length; j++)
            cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
        prev = cur;
    }
    return prev[b.length] / a.length;
}

/* One dictation through the page: Start, speak the whole recording, Stop, wait for "done".
 * Returns the events the server sent and the WebSocket URL the page opened. */
async function dictate(page, label, during = null) {
    const events = [];
    let wsUrl = null;
    const onWs = (ws) => {
        if (!ws.url().includes('/v1/dictate'))
            return;
        wsUrl = ws.url();
        ws.on('framereceived', (f) => {
            try {
                events.push(JSON.parse(f.payload));
            } catch (e) {
                events.push({type: 'not-json', payload: String(f.payload)});
            }
        });
    };
    page.on('websocket', onWs);
    // the partial line is watched from the page, so that a short-lived partial is not missed
    await page.evaluate(() => {
        window.__partials = [];
        const p = document.getElementById('partial');
        window.__obs = new MutationObserver(() => {
            if (p.textContent)
                window.__partials.push({text: p.textContent, opacity: getComputedStyle(p).opacity,
                                        live: p.getAttribute('aria-live')});
        });
        window.__obs.observe(p, {childList: true, characterData: true, subtree: true});
    });
    const t0 = Date.now();
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Lytter'),
                               null, {timeout: 60000});
    log(`${label}: listening after ${Date.now() - t0} ms`);
    // the fake microphone plays the file once (%noloop), then silence
    const tEnd = Date.now() + Math.ceil(WAV_S * 1000) + 1500;
    if (during)
        await during();
    await page.waitForTimeout(Math.max(0, tEnd - Date.now()));
    check(await page.isEnabled('#stop'), `${label}: Stop is enabled while dictating`);
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Færdig.',
                               null, {timeout: 60000});
    page.off('websocket', onWs);
    const partials = await page.evaluate(() => {
        window.__obs.disconnect();
        return window.__partials;
    });
    const errorShown = await page.isVisible('#error');
    check(!errorShown,
          `${label}: no error message (${errorShown ? await page.textContent('#error') : ''})`);
    check(await page.isEnabled('#start') && !(await page.isEnabled('#stop')),
          `${label}: Start is enabled again and Stop disabled after "done"`);
    return {events, partials, wsUrl};
}

/* What tale gives without the server and the browser: the finals of `tale dictate` replaying
 * the same WAV, and `tale redact` of their text. */
function reference() {
    const out = execFileSync(TALE, ['dictate', '-m', MODEL_ARG, '--input', WAV, '--json', '--fast'],
                             {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
                              env: {...process.env, TALE_NO_PROGRESS: '1'}});
    const finals = out.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((e) => e.type === 'final' && e.text).map((e) => e.text);
    const redacted = execFileSync(TALE, ['redact', '-'], {input: finals.join(' '), encoding: 'utf8'})
        .replace(/\s+$/, '');
    return {finals, redacted};
}

async function main() {
    if (!(SERVER_PID > 1))
        throw new Error('web_dictate.mjs: TALE_SERVER_PID is not set');
    fs.mkdirSync(OUT, {recursive: true});
    const REF = reference();
    result.reference = REF;
    const browser = await chromium.launch({
        executablePath: env('TALE_CHROMIUM'),
        headless: true,
        args: [
            '--use-fake-ui-for-media-stream',
            '--use-fake-device-for-media-stream',
            // %noloop: play the file once, then silence (by default Chromium loops it)
            `--use-file-for-fake-audio-capture=${WAV}%noloop`,
            '--autoplay-policy=no-user-gesture-required',
            ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []),
        ],
    });
    try {
        const origin = new URL(URL0).origin;
        const context = await browser.newContext({viewport: {width: 1000, height: 760}});
        await context.grantPermissions(['microphone', 'clipboard-read', 'clipboard-write'],
                                       {origin});
        const page = await context.newPage();
        lastPage = page;
        const consoleErrors = [];
        page.on('console', (m) => {
            if (m.type() === 'error')
                consoleErrors.push(m.text());
        });
        page.on('pageerror', (e) => consoleErrors.push(String(e)));

        // --- the page and its models --------------------------------------------------------
        const resp = await page.goto(URL0 + '/', {waitUntil: 'load'});
        check(resp.status() === 200, 'GET / answers 200');
        const csp = resp.headers()['content-security-policy'] || '';
        check(/default-src 'self'|script-src 'self'/.test(csp),
              `the page is served with a self-only CSP (${csp})`);
        check((await page.getAttribute('html', 'lang')) === 'da', 'the page is in Danish (lang="da")');
        if (TOKEN) {
            // the server wants a token: the page says so, then takes it from the field
            await page.waitForSelector('#error:not([hidden])', {timeout: 10000});
            const ask = await page.textContent('#error');
            check(/kræver en adgangsnøgle/.test(ask),
                  `without a token the page asks for one: "${ask}"`);
            check(consoleErrors.length > 0 && consoleErrors.every((e) => /\b401\b/.test(e)),
                  'the only console errors so far are the refused /v1/models (401)');
            consoleErrors.length = 0;
            await page.fill('#token', TOKEN);
            await page.dispatchEvent('#token', 'change');
            await page.waitForFunction(() => document.getElementById('model').options.length > 0,
                                       null, {timeout: 30000});
            check(await page.isHidden('#error'), 'with the token the message goes away');
            // a reload keeps the token (sessionStorage) and asks with it straight away
            await page.reload({waitUntil: 'load'});
            check((await page.inputValue('#token')) === TOKEN, 'the token is kept in sessionStorage');
        }
        await page.waitForFunction(() => document.getElementById('model').options.length > 0,
                                   null, {timeout: 30000});
        const model = await page.inputValue('#model');
        check(model.length > 0, `the model list is filled from /v1/models (${model})`);
        for (const id of ['token', 'model', 'redact', 'text'])
            check(await page.$(`label[for="${id}"]`) !== null, `#${id} has a label`);
        check((await page.getAttribute('#partial', 'aria-live')) === 'polite',
              'the partial line is an aria-live region');

        // --- dictation 1: plain -------------------------------------------------------------
        const d1 = await dictate(page, 'dictation 1', async () => {
            // a screenshot while the first sentence is still being spoken: the dimmed partial
            await page.waitForFunction(() => document.getElementById('partial').textContent !== '',
                                       null, {timeout: 30000});
            await page.screenshot({path: path.join(OUT, 'web_partial.png'), fullPage: true});
        });
        check(d1.wsUrl && /[?&]redact=0(&|$)/.test(d1.wsUrl),
              'redaction off: the page asks for redact=0');
        check(d1.events.length > 0 && d1.events[0].type === 'ready',
              'the server\'s first event is "ready"');
        check(d1.events.at(-1).type === 'done', 'the last event is "done"');
        const finals1 = d1.events.filter((e) => e.type === 'final' && e.text);
        check(finals1.length > 0, `the server sent ${finals1.length} non-empty final(s)`);
        const text1 = await page.inputValue('#text');
        check(text1 === finals1.map((e) => e.text).join(' '),
              'the text area holds exactly the finals, in order, one space apart');
        const refText = REF.finals.join(' ');
        const ov = overlap(refText, text1);
        result.page_text = text1;
        result.reference_text = refText;
        result.word_overlap = ov;
        log(`page: "${text1}"`);
        log(`tale dictate --input: "${refText}"`);
        log(`in-order word overlap with tale dictate on the same WAV: ${(100 * ov).toFixed(1)} %`);
        // the demo model is brittle: the browser's two resamplings (16 → 48 → 16 kHz) change a
        // few words from run to run (measured 70-89 %)
        check(ov >= 0.5, 'at least half of the words of `tale dictate` on the same WAV, in order');
        const nPartialEvents = d1.events.filter((e) => e.type === 'partial').length;
        result.partial_events = nPartialEvents;
        check(nPartialEvents > 0 && d1.partials.length > 0,
              `partials arrived (${nPartialEvents}) and were shown (${d1.partials.length} updates)`);
        check(d1.partials.every((p) => Number(p.opacity) < 1), 'the partial text is dimmed');
        check((await page.textContent('#partial')) === '', 'the partial line is cleared at the end');
        await page.screenshot({path: path.join(OUT, 'web_dictate.png'), fullPage: true});
        log('screenshot:', path.join(OUT, 'web_dictate.png'));

        // --- Kopiér ---------------------------------------------------------------------------
        await page.evaluate(() => navigator.clipboard.writeText('-'));
        await page.click('#copy');
        await page.waitForFunction(
            () => document.getElementById('status').textContent.includes('kopieret'),
            null, {timeout: 5000});
        const clip = await page.evaluate(() => navigator.clipboard.readText());
        check(clip === text1, 'Kopiér puts the text area\'s text on the clipboard');

        // --- dictation 2: redaction on, after a user edit -------------------------------------
        const edited = 'Notat fra sagsbehandler: ' + text1;
        await page.fill('#text', edited);
        await page.check('#redact');
        // while dictating, the user types into the text; the finals that arrive must not move
        // the cursor or undo the typing
        let caretAfter = -1;
        const d2 = await dictate(page, 'dictation 2 (redaction)', async () => {
            await page.focus('#text');
            await page.evaluate(() => document.getElementById('text').setSelectionRange(5, 5));
            await page.keyboard.type('X');
            // wait for a final to land after the typing, then read the cursor
            await page.waitForFunction((n) => document.getElementById('text').value.length > n,
                                       edited.length + 1, {timeout: 60000});
            caretAfter = await page.evaluate(() => document.getElementById('text').selectionStart);
        });
        check(caretAfter === 6,
              `a final arriving while the user types leaves the cursor where it was (${caretAfter})`);
        const typed = edited.slice(0, 5) + 'X' + edited.slice(5);
        check(/[?&]redact=1(&|$)/.test(d2.wsUrl), 'redaction on: the page asks for redact=1');
        const finals2 = d2.events.filter((e) => e.type === 'final' && e.text);
        const text2 = await page.inputValue('#text');
        check(text2.startsWith(typed), 'the user\'s edits are kept when new finals arrive');
        check(text2 === typed + ' ' + finals2.map((e) => e.text).join(' '),
              'the new finals are appended after the edited text');
        const redacted = finals2.map((e) => e.text).join(' ');
        result.redacted_text = redacted;
        log(`redacted finals: "${redacted}"`);
        log(`tale redact of tale dictate: "${REF.redacted}"`);
        // the reference must contain something to redact, or this check proves nothing
        const placeholders = (s) => (s.match(/\[[A-ZÆØÅ]+\]/g) || []).sort();
        check(placeholders(REF.redacted).length > 0,
              'the recording has personal data that tale redact finds (reference)');
        check(placeholders(redacted).length > 0 &&
              JSON.stringify(placeholders(redacted)) === JSON.stringify(placeholders(REF.redacted)),
              `the finals carry the same placeholders as tale redact (${placeholders(redacted)})`);
        const hidden = words(refText).filter((w) => !words(REF.redacted).includes(w));
        check(hidden.length > 0 && hidden.every((w) => !words(redacted).includes(w)),
              `the redacted words (${hidden.join(', ')}) are not in the finals`);
        if (d2.partials.length > 0)
            check(d2.partials.every((p) => hidden.every((w) => !words(p.text).includes(w))),
                  'no partial shows a redacted word');
        check(consoleErrors.length === 0, `no console errors (${consoleErrors.join(' | ')})`);

        // --- a denied microphone --------------------------------------------------------------
        const denied = await context.newPage();
        lastPage = denied;
        await denied.addInitScript(() => {
            navigator.mediaDevices.getUserMedia = () =>
                Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
        });
        await denied.goto(URL0 + '/');
        if (TOKEN) { // sessionStorage belongs to one tab: a new tab asks again
            await denied.fill('#token', TOKEN);
            await denied.dispatchEvent('#token', 'change');
        }
        await denied.waitForFunction(() => document.getElementById('model').options.length > 0,
                                     null, {timeout: 30000});
        await denied.click('#start');
        await denied.waitForSelector('#error:not([hidden])', {timeout: 10000});
        const deniedMsg = await denied.textContent('#error');
        check(/mikrofonen blev nægtet/i.test(deniedMsg), `denied microphone: "${deniedMsg}"`);
        check(await denied.isEnabled('#start'), 'denied microphone: Start is enabled again');
        await denied.close();
        lastPage = page;

        // --- the server goes away during dictation, then cannot be reached ----------------------
        await page.fill('#text', 'Bevares: ');
        await page.uncheck('#redact');
        await page.click('#start');
        await page.waitForFunction(
            () => document.getElementById('status').textContent.startsWith('Lytter'),
            null, {timeout: 60000});
        process.kill(SERVER_PID, 'SIGTERM');
        let gone = false;
        for (let i = 0; i < 300 && !gone; i++) {
            try {
                await fetch(URL0 + '/health');
                await new Promise((r) => setTimeout(r, 100));
            } catch (e) {
                gone = true;
            }
        }
        if (!gone) {
            log('the server did not stop within 30 s of SIGTERM: SIGKILL');
            process.kill(SERVER_PID, 'SIGKILL');
        }
        await page.waitForSelector('#error:not([hidden])', {timeout: 30000});
        const lostMsg = await page.textContent('#error');
        check(/serveren|forbindelsen/i.test(lostMsg), `server stopped during dictation: "${lostMsg}"`);
        check((await page.inputValue('#text')).startsWith('Bevares: '),
              'the text is kept when the connection is lost');
        await page.waitForFunction(() => !document.getElementById('start').disabled,
                                   null, {timeout: 10000});
        await page.click('#start');
        await page.waitForFunction(
            () => /kan ikke nås/.test(document.getElementById('error').textContent),
            null, {timeout: 30000});
        const unreachable = await page.textContent('#error');
        check(true, `server unreachable: "${unreachable}"`);
        await page.screenshot({path: path.join(OUT, 'web_unreachable.png'), fullPage: true});
        await context.close();
    } catch (e) {
        if (lastPage) {
            const ui = await lastPage.evaluate(() => ({
                status: document.getElementById('status').textContent,
                error: document.getElementById('error').textContent,
                partial: document.getElementById('partial').textContent,
                text: document.getElementById('text').value,
            })).catch(() => null);
            console.error('web_dictate: the page when it failed:', JSON.stringify(ui));
            await lastPage.screenshot({path: path.join(OUT, 'web_failed.png'), fullPage: true})
                .catch(() => {});
        }
        throw e;
    } finally {
        await browser.close();
    }
    fs.writeFileSync(path.join(OUT, 'result.json'), JSON.stringify(result, null, 1));
}

/* Over TLS (TALE_MODE=tls, TALE_URL https://…, a self-signed certificate): the page is a secure
 * context, opens wss://, and a dictation gives the first sentence. */
async function mainTls() {
    fs.mkdirSync(OUT, {recursive: true});
    const REF = reference();
    const browser = await chromium.launch({
        executablePath: env('TALE_CHROMIUM'),
        headless: true,
        args: [
            '--use-fake-ui-for-media-stream',
            '--use-fake-device-for-media-stream',
            `--use-file-for-fake-audio-capture=${WAV}%noloop`,
            ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []),
        ],
    });
    try {
        const context = await browser.newContext({ignoreHTTPSErrors: true});
        await context.grantPermissions(['microphone'], {origin: new URL(URL0).origin});
        const page = await context.newPage();
        lastPage = page;
        const resp = await page.goto(URL0 + '/', {waitUntil: 'load'});
        check(resp.status() === 200 && URL0.startsWith('https://'), 'GET / over https answers 200');
        check(await page.evaluate(() => window.isSecureContext), 'the page is a secure context');
        await page.fill('#token', TOKEN);
        await page.dispatchEvent('#token', 'change');
        await page.waitForFunction(() => document.getElementById('model').options.length > 0,
                                   null, {timeout: 30000});
        let wsUrl = '';
        page.on('websocket', (ws) => {
            wsUrl = ws.url();
        });
        await page.click('#start');
        await page.waitForFunction(
            () => document.getElementById('status').textContent.startsWith('Lytter'),
            null, {timeout: 60000});
        check(wsUrl.startsWith('wss://'), `the dictation socket is wss:// (${wsUrl.split('?')[0]})`);
        await page.waitForFunction(() => document.getElementById('text').value !== '',
                                   null, {timeout: 60000});
        await page.click('#stop');
        await page.waitForFunction(() => document.getElementById('status').textContent === 'Færdig.',
                                   null, {timeout: 60000});
        const text = await page.inputValue('#text');
        const ov = overlap(REF.finals[0], text);
        log(`over TLS: "${text}"; ${(100 * ov).toFixed(1)} % of the first sentence's words`);
        check(ov >= 0.5, 'over TLS the first sentence arrives (half of its words, in order)');
        await context.close();
    } catch (e) {
        if (lastPage)
            await lastPage.screenshot({path: path.join(OUT, 'web_tls_failed.png')}).catch(() => {});
        throw e;
    } finally {
        await browser.close();
    }
}

(process.env.TALE_MODE === 'tls' ? mainTls() : main()).then(() => {
    log('PASS');
    process.exit(0);
}, (e) => {
    console.error('web_dictate:', e && e.stack ? e.stack : e);
    process.exit(1);
});
