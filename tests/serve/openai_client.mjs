// openai_client.mjs: the official `openai` npm client, unchanged, against `tale serve`.
// Run by tests/serve/test_serve_web.c, which installs the package, starts the server with a
// --token-file and passes:
//
//   TALE_NPM     folder whose node_modules holds openai
//   TALE_URL     http://127.0.0.1:PORT
//   TALE_TOKEN   a token from the server's --token-file
//   TALE_WAV     a recording (synthetic espeak-ng speech)
//   TALE_BIN     the tale program; TALE_MODEL_ARG its -m for the server's (only) model
//   TALE_OUT     a folder for the reference: `tale transcribe -f txt,srt,vtt,json` of TALE_WAV
//
// Checks: models.list() lists the model; audio.transcriptions.create() with response_format
// json, text, srt, vtt and verbose_json (with timestamp_granularities word and segment) gives
// what `tale transcribe` gives for the same file; a wrong key is an AuthenticationError (401).
// Exit 0 = every check passed; otherwise the first failure is printed and the exit code is 1.
import {createRequire} from 'node:module';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = (k) => {
    const v = process.env[k];
    if (v === undefined)
        throw new Error(`openai_client.mjs: ${k} is not set`);
    return v;
};
const require = createRequire(path.join(env('TALE_NPM'), 'package.json'));
const openaiPkg = require('openai');
const OpenAI = openaiPkg.OpenAI || openaiPkg.default || openaiPkg;

const URL0 = env('TALE_URL');
const TOKEN = env('TALE_TOKEN');
const WAV = env('TALE_WAV');
const TALE = env('TALE_BIN');
const MODEL_ARG = env('TALE_MODEL_ARG');
const REF = env('TALE_OUT');
const log = (...a) => console.log('openai_client:', ...a);

function check(cond, what) {
    if (!cond)
        throw new Error('FAILED: ' + what);
    log('ok:', what);
}

const ref = (ext) =>
    fs.readFileSync(path.join(REF, path.basename(WAV).replace(/\.[^.]*$/, '') + ext), 'utf8');
// trailing white space (a final newline) is not part of the transcript
const trimEnd = (s) => s.replace(/\s+$/, '');

async function main() {
    fs.mkdirSync(REF, {recursive: true});
    execFileSync(TALE, ['transcribe', '-m', MODEL_ARG, '-f', 'txt,srt,vtt,json', '-o', REF, WAV],
                 {stdio: ['ignore', 'inherit', 'inherit'],
                  env: {...process.env, TALE_NO_PROGRESS: '1'}});
    const client = new OpenAI({baseURL: URL0 + '/v1', apiKey: TOKEN, maxRetries: 0, timeout: 120000});
    const refTxt = trimEnd(ref('.txt'));     // -f txt: one line per segment
    const refJson = JSON.parse(ref('.json'));
    const refText = refJson.text;             // -f json "text": the segments one space apart
    log(`tale transcribe: "${refText}"`);

    // --- models ------------------------------------------------------------------------------
    const ids = [];
    for await (const m of client.models.list())
        ids.push(m.id);
    check(ids.length === 1, `models.list() lists the server's one model (${ids.join(', ')})`);
    const MODEL = ids[0];

    // --- the same upload with a Content-Length (fetch), then as the client sends it ------------
    // The openai client streams the multipart body with Transfer-Encoding: chunked; a plain
    // fetch of a FormData sends a Content-Length.  Both must work; trying the plain one first
    // tells the two failures apart.
    const fd = new FormData();
    fd.append('file', new Blob([fs.readFileSync(WAV)]), path.basename(WAV));
    fd.append('model', MODEL);
    const plain = await fetch(URL0 + '/v1/audio/transcriptions', {
        method: 'POST', body: fd, headers: {Authorization: 'Bearer ' + TOKEN}});
    const plainBody = await plain.json().catch(() => null);
    check(plain.status === 200 && plainBody && plainBody.text === refText,
          `a multipart upload with Content-Length: 200, text equals tale transcribe (${plain.status})`);
    let chunkedErr = null;
    const json = await client.audio.transcriptions
        .create({file: fs.createReadStream(WAV), model: MODEL})
        .catch((e) => {
            chunkedErr = e;
            return null;
        });
    check(json !== null, 'the client\'s upload (multipart, Transfer-Encoding: chunked) is answered' +
          (chunkedErr ? ` — it failed: ${chunkedErr.message}` : ''));

    // --- transcriptions, every response format ------------------------------------------------
    const create = (extra) => client.audio.transcriptions.create({
        file: fs.createReadStream(WAV), model: MODEL, ...extra});

    check(typeof json.text === 'string' && json.text === refText,
          `json (default): text equals tale transcribe ("${json.text}")`);

    const json2 = await create({response_format: 'json', language: 'da', temperature: 0});
    check(json2.text === refText, 'json with language=da, temperature=0: the same text');

    const text = await create({response_format: 'text'});
    check(typeof text === 'string' && (trimEnd(text) === refTxt || trimEnd(text) === refText),
          'text: equals tale transcribe (-f txt, or the JSON text)');

    const srt = await create({response_format: 'srt'});
    check(typeof srt === 'string' && trimEnd(srt) === trimEnd(ref('.srt')),
          'srt: equals tale transcribe -f srt');

    const vtt = await create({response_format: 'vtt'});
    check(typeof vtt === 'string' && trimEnd(vtt) === trimEnd(ref('.vtt')),
          'vtt: equals tale transcribe -f vtt');

    const verbose = await create({response_format: 'verbose_json',
                                  timestamp_granularities: ['word', 'segment']});
    check(verbose.text === refText, 'verbose_json: text equals tale transcribe');
    check(typeof verbose.language === 'string' && verbose.language.length > 0,
          `verbose_json: language "${verbose.language}"`);
    const refDur = refJson.duration_ms / 1000;
    check(Math.abs(verbose.duration - refDur) < 0.01,
          `verbose_json: duration ${verbose.duration} s = tale's ${refDur} s`);
    const refSegs = refJson.segments;
    check(Array.isArray(verbose.segments) && verbose.segments.length === refSegs.length,
          `verbose_json: ${refSegs.length} segment(s), as tale transcribe`);
    verbose.segments.forEach((s, i) => {
        check(Math.abs(s.start - refSegs[i].start_ms / 1000) < 0.0015 &&
              Math.abs(s.end - refSegs[i].end_ms / 1000) < 0.0015 &&
              s.text.trim() === refSegs[i].text.trim(),
              `verbose_json: segment ${i} [${s.start}, ${s.end}] "${s.text.trim()}" = tale's`);
    });
    const refWords = refSegs.flatMap((s) => s.words || []);
    check(Array.isArray(verbose.words) && verbose.words.length === refWords.length,
          `verbose_json: ${refWords.length} words with timestamp_granularities word`);
    verbose.words.forEach((w, i) => {
        const r = refWords[i];
        if (!(w.word.trim() === r.word && Math.abs(w.start - r.start_ms / 1000) < 0.0015 &&
              Math.abs(w.end - r.end_ms / 1000) < 0.0015))
            check(false, `word ${i}: ${JSON.stringify(w)} = tale's ${JSON.stringify(r)}`);
    });
    log(`ok: verbose_json: every word and its times equal tale transcribe's`);

    // --- a wrong key --------------------------------------------------------------------------
    const wrong = new OpenAI({baseURL: URL0 + '/v1', apiKey: TOKEN + 'x', maxRetries: 0});
    let err = null;
    try {
        await wrong.audio.transcriptions.create({file: fs.createReadStream(WAV), model: MODEL});
    } catch (e) {
        err = e;
    }
    check(err instanceof OpenAI.AuthenticationError && err.status === 401,
          `a wrong key: AuthenticationError, status ${err && err.status}`);
    check(err.error && typeof err.error.message === 'string',
          `a wrong key: OpenAI error shape ("${err.error && err.error.message}")`);
    let err2 = null;
    try {
        await wrong.models.list();
    } catch (e) {
        err2 = e;
    }
    check(err2 instanceof OpenAI.AuthenticationError, 'a wrong key: models.list() is refused too');

    // --- an unknown model -----------------------------------------------------------------------
    let err3 = null;
    try {
        await client.audio.transcriptions.create({file: fs.createReadStream(WAV),
                                                  model: 'ingen-saadan-model'});
    } catch (e) {
        err3 = e;
    }
    check(err3 instanceof OpenAI.APIError && (err3.status === 404 || err3.status === 400),
          `an unknown model: error ${err3 && err3.status} ` +
          `("${err3 && err3.error && err3.error.message}")`);
}

main().then(() => {
    log('PASS');
    process.exit(0);
}, (e) => {
    console.error('openai_client:', e && e.stack ? e.stack : e);
    process.exit(1);
});
