#!/usr/bin/env python3
"""coral.py — the CoRal test set (Hugging Face alexandrainst/coral) → a tale
manifest.  Standard library only (no pyarrow, no datasets).

    HF_TOKEN=hf_... python3 bench/datasets/coral.py OUTDIR [--config read_aloud]
    python3 bench/datasets/coral.py --from-json PAGES_DIR OUTDIR

CoRal is stored upstream as Parquet with the audio bytes inside; reading
Parquet needs pyarrow or duckdb, so this script instead asks the Hugging
Face dataset viewer for the rows as JSON pages
(datasets-server.huggingface.co/rows, 100 rows a page), each row giving the
transcript ("text"), the speaker ("id_speaker") and a link to its audio
("audio": [{"src": URL}]), and downloads every audio file.  --from-json reads
pages saved earlier (page-00000.json, ...) instead; their audio links may be
local file:// URLs, which is how the tests exercise it.

Writes OUTDIR/audio/<row>.<ext> and OUTDIR/manifest.tsv (audio, text,
speaker).  CoRal's license: see the dataset card (it is gated: accept the
terms on the website first, then set HF_TOKEN).
"""
import json
import os
import sys
import urllib.parse
import urllib.request

API = os.environ.get("CORAL_ROWS_URL", "https://datasets-server.huggingface.co/rows")
PAGE = 100


def fail(msg):
    sys.stderr.write("coral: %s\n" % msg)
    sys.exit(1)


def fetch(url, token):
    req = urllib.request.Request(url)
    if token and url.startswith("https://"):
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def pages_online(config, token):
    offset = 0
    while True:
        q = urllib.parse.urlencode({"dataset": "alexandrainst/coral", "config": config,
                                    "split": "test", "offset": offset, "length": PAGE})
        page = json.loads(fetch(API + "?" + q, token))
        yield "%s offset %d" % (API, offset), page
        offset += len(page.get("rows", []))
        if not page.get("rows") or offset >= page.get("num_rows_total", 0):
            return


def pages_local(folder):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    if not names:
        fail("%s: no .json pages" % folder)
    for n in names:
        path = os.path.join(folder, n)
        try:
            with open(path, encoding="utf-8") as f:
                yield path, json.load(f)
        except (OSError, ValueError) as e:
            fail("%s: %s" % (path, e))


def clean(s):
    return " ".join(str(s).split())  # tabs and newlines would break the TSV


def main(argv):
    src = None
    config = "read_aloud"
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "--from-json":
            src = argv[i + 1]
            i += 2
        elif argv[i] == "--config":
            config = argv[i + 1]
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 1:
        fail("usage: coral.py [--from-json DIR] [--config read_aloud|conversation] OUTDIR")
    out = args[0]
    os.makedirs(os.path.join(out, "audio"), exist_ok=True)
    token = os.environ.get("HF_TOKEN")
    pages = pages_local(src) if src else pages_online(config, token)
    lines = []
    for where, page in pages:
        rows = page.get("rows")
        if not isinstance(rows, list):
            fail("%s: no \"rows\" list (is the token valid and the dataset's terms accepted?)" % where)
        for k, item in enumerate(rows):
            row = item.get("row", {}) if isinstance(item, dict) else {}
            idx = item.get("row_idx", len(lines)) if isinstance(item, dict) else len(lines)
            audio = row.get("audio")
            text = row.get("text")
            if not isinstance(audio, list) or not audio or "src" not in audio[0] or text is None:
                fail("%s: row %d lacks text or audio[0].src" % (where, k))
            url = audio[0]["src"]
            ext = os.path.splitext(urllib.parse.urlparse(url).path)[1] or ".wav"
            rel = "audio/%06d%s" % (int(idx), ext)
            data = fetch(url, token)
            tmp = os.path.join(out, rel + ".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, os.path.join(out, rel))
            lines.append("%s\t%s\t%s\n" % (rel, clean(text), clean(row.get("id_speaker", ""))))
    if not lines:
        fail("no rows")
    tmp = os.path.join(out, "manifest.tsv.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("audio\ttext\tspeaker\n")
        f.writelines(lines)
    os.replace(tmp, os.path.join(out, "manifest.tsv"))
    sys.stderr.write("coral: %d utterances -> %s\n" % (len(lines), os.path.join(out, "manifest.tsv")))


if __name__ == "__main__":
    main(sys.argv[1:])
