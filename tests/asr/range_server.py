#!/usr/bin/env python3
"""A tiny HTTP server for tests/asr/test_download.c, on 127.0.0.1 only.

Usage: range_server.py PORTFILE
Binds an ephemeral port and listens, then writes the port to PORTFILE
(atomically: the test waits for that file, so it is the readiness signal).
Serves until killed, until its parent process is gone, or for at most 900
seconds.  Routes (NAME is any file name; the body is a deterministic byte
pattern of SIZE bytes, byte i = (i*131 + (i>>8)) & 255):

  /files/SIZE/NAME      Range-capable (206 / 416), like a CDN
  /drop/SIZE/NAME       the first request without a Range sends the full
                        Content-Length, half the body, then drops the
                        connection; later requests behave like /files
  /norange/SIZE/NAME    ignores Range (always 200 with the whole body)
  /lfs/SIZE/NAME        like /files, plus X-Linked-Etag (sha256) and
                        X-Linked-Size, as Hugging Face's LFS responses
  /lfsbad/SIZE/NAME     like /lfs with a wrong X-Linked-Etag
  /ggml/SIZE/NAME       like /files, but the first 48 bytes are a ggml
                        Whisper header (tiny's hyperparameters)
  /ggmllfs/SIZE/NAME    like /ggml, plus LFS headers as /lfs
  /dropggml/SIZE/NAME   like /drop, with the /ggml body
  /random/SIZE/NAME     like /files with random bytes (seeded by SIZE)
  /api/models/o/bad/revision/main, /o/bad/resolve/main/FILE
                        a listing whose config.json and model.safetensors
                        are random bytes
  /api/models/o/nows/revision/main, /o/nows/resolve/main/FILE
                        a listing without *.safetensors weights
  /api/models/o/r/revision/main   a Hugging Face style file listing
  /o/r/resolve/main/FILE          files of that listing
  anything else         404
"""
import hashlib
import http.server
import os
import random
import re
import struct
import sys
import threading
import time

dropped = set()
lock = threading.Lock()


def body(size):
    return bytes(((i * 131 + (i >> 8)) & 255) for i in range(size))


GGML_HEADER = struct.pack("<12i", 0x67676D6C, 51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1)


def body_of(kind, size):
    if "ggml" in kind:
        return (GGML_HEADER + body(size)[len(GGML_HEADER):])[:size]
    if kind == "random":
        return random.Random(size).randbytes(size)
    return body(size)


def safetensors(data):
    """One F32 tensor "w" holding data (a multiple of 4 bytes)."""
    hdr = ('{"w": {"dtype": "F32", "shape": [%d], "data_offsets": [0, %d]}}'
           % (len(data) // 4, len(data))).encode()
    return struct.pack("<Q", len(hdr)) + hdr + data


REPOS = {}
REPO = {
    "config.json": b'{"model_type": "wav2vec2", "note": "fake"}\n',
    "model.safetensors": safetensors(body(5000)),
    "sub/vocab.json": '{"<pad>": 0, "|": 1, "a": 2, "æ": 3}\n'.encode(),
    "README.md": b"not fetched by the pattern\n",
    "language_model/attrs.json": b'{"alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0, "score_boundary": true}\n',
    "language_model/unigrams.txt": b"</s>\n<s>\na\n",
    "language_model/3gram.arpa": b"\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t<unk>\t0\n"
                                 b"-99\t<s>\t-0.5\n-0.5\t</s>\t0\n-0.3\ta\t-0.2\n\n\\end\\\n",
}
REPOS["r"] = REPO
REPOS["nows"] = {"config.json": b'{"model_type": "whisper"}\n', "pytorch_model.bin": b"PK weights"}
REPOS["bad"] = {
    "config.json": random.Random(1).randbytes(3000),
    "model.safetensors": random.Random(2).randbytes(100000),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def send_body(self, data, head_only, extra=None, honour_range=True):
        rng = self.headers.get("Range") if honour_range else None
        start = 0
        if rng:
            m = re.match(r"bytes=(\d+)-$", rng)
            if not m:
                self.send_error(400)
                return
            start = int(m.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if not head_only:
            self.wfile.write(data[start:])

    def route(self, head_only):
        p = self.path
        m = re.match(r"^/(files|drop|norange|lfs|lfsbad|ggml|ggmllfs|dropggml|random)/(\d+)/([\w.\-]+)$", p)
        if m:
            kind, size, name = m.group(1), int(m.group(2)), m.group(3)
            data = body_of(kind, size)
            extra = {}
            if kind in ("lfs", "lfsbad", "ggmllfs"):
                sha = hashlib.sha256(data).hexdigest()
                if kind == "lfsbad":
                    sha = hashlib.sha256(b"something else").hexdigest()
                extra = {"X-Linked-Etag": '"%s"' % sha, "X-Linked-Size": str(size)}
            if kind.startswith("drop") and not head_only and "Range" not in self.headers:
                with lock:
                    first = name not in dropped
                    dropped.add(name)
                if first:
                    self.send_response(200)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    self.wfile.write(data[: size // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
            self.send_body(data, head_only, extra, honour_range=(kind != "norange"))
            return
        m = re.match(r"^/api/models/o/(\w+)/revision/main$", p)
        if m and m.group(1) in REPOS:
            listing = '{"id": "o/%s", "siblings": [%s]}' % (m.group(1), ", ".join(
                '{"rfilename": "%s"}' % n for n in REPOS[m.group(1)]))
            self.send_body(listing.encode(), head_only)
            return
        m = re.match(r"^/o/(\w+)/resolve/main/(.+)$", p)
        if m and m.group(1) in REPOS and m.group(2) in REPOS[m.group(1)]:
            self.send_body(REPOS[m.group(1)][m.group(2)], head_only)
            return
        self.send_error(404)

    def do_GET(self):
        self.route(False)

    def do_HEAD(self):
        self.route(True)


def watchdog(parent):
    """Exit when the test that started us is gone, or after 900 s."""
    start = time.monotonic()
    while os.getppid() == parent and time.monotonic() - start < 900:
        time.sleep(0.5)
    os._exit(0)


def main():
    parent = os.getppid()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # bound and listening
    srv.daemon_threads = True
    threading.Thread(target=watchdog, args=(parent,), daemon=True).start()
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
