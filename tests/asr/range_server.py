#!/usr/bin/env python3
"""A tiny HTTP server for tests/asr/test_download.c, on 127.0.0.1 only.

Usage: range_server.py PORTFILE
Binds an ephemeral port, writes it to PORTFILE, serves until killed or for
at most 120 seconds.  Routes (NAME is any file name; the body is a
deterministic byte pattern of SIZE bytes, byte i = (i*131 + (i>>8)) & 255):

  /files/SIZE/NAME      Range-capable (206 / 416), like a CDN
  /drop/SIZE/NAME       the first request without a Range sends the full
                        Content-Length, half the body, then drops the
                        connection; later requests behave like /files
  /norange/SIZE/NAME    ignores Range (always 200 with the whole body)
  /lfs/SIZE/NAME        like /files, plus X-Linked-Etag (sha256) and
                        X-Linked-Size, as Hugging Face's LFS responses
  /lfsbad/SIZE/NAME     like /lfs with a wrong X-Linked-Etag
  /api/models/o/r/revision/main   a Hugging Face style file listing
  /o/r/resolve/main/FILE          files of that listing
  anything else         404
"""
import hashlib
import http.server
import os
import re
import sys
import threading

dropped = set()
lock = threading.Lock()


def body(size):
    return bytes(((i * 131 + (i >> 8)) & 255) for i in range(size))


REPO = {
    "config.json": b'{"model_type": "wav2vec2", "note": "fake"}\n',
    "model.safetensors": body(5000),
    "sub/vocab.json": '{"<pad>": 0, "|": 1, "a": 2, "æ": 3}\n'.encode(),
    "README.md": b"not fetched by the pattern\n",
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
        m = re.match(r"^/(files|drop|norange|lfs|lfsbad)/(\d+)/([\w.\-]+)$", p)
        if m:
            kind, size, name = m.group(1), int(m.group(2)), m.group(3)
            data = body(size)
            extra = {}
            if kind in ("lfs", "lfsbad"):
                sha = hashlib.sha256(data).hexdigest()
                if kind == "lfsbad":
                    sha = hashlib.sha256(b"something else").hexdigest()
                extra = {"X-Linked-Etag": '"%s"' % sha, "X-Linked-Size": str(size)}
            if kind == "drop" and not head_only and "Range" not in self.headers:
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
        if p == "/api/models/o/r/revision/main":
            listing = '{"id": "o/r", "siblings": [%s]}' % ", ".join(
                '{"rfilename": "%s"}' % n for n in REPO)
            self.send_body(listing.encode(), head_only)
            return
        m = re.match(r"^/o/r/resolve/main/(.+)$", p)
        if m and m.group(1) in REPO:
            self.send_body(REPO[m.group(1)], head_only)
            return
        self.send_error(404)

    def do_GET(self):
        self.route(False)

    def do_HEAD(self):
        self.route(True)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[1])
    threading.Timer(120.0, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
