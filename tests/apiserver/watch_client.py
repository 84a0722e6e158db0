#!/usr/bin/env python3
"""Reads one Kubernetes watch stream and reports it line by line (Python 3 standard library only).

Run as `ip netns exec <ns> python3 watch_client.py` with a JSON spec on stdin:
  {"base_url": "https://127.0.0.1:<port>", "ca_file": "<path>" | null (no verification),
   "token": "<bearer token>" | null, "path": "/api/v1/pods?watch=1&...",
   "read_timeout": 30, "headers": {...}}
Writes JSON lines to stdout, each flushed at once:
  {"kind": "response", "status": 200, "headers": {lower-case name: value}, "t": seconds}
  {"kind": "event", "event": {"type": ..., "object": ...}, "t": seconds}   one per watch event
  {"kind": "body", "body": str, "json": value | null, "t": seconds}        a non-chunked answer
  {"kind": "end", "end": END, "error": str | null, "chunks": n, "t": seconds}
END is "complete" (the terminating zero-size chunk arrived), "broken" (the connection ended
without it: what a dropped watch looks like), "timeout" (nothing for read_timeout seconds) or
"error" (anything else, e.g. TLS or a malformed chunk). The HTTP framing is parsed here by hand,
so "complete" really means the terminating chunk was on the wire.
"""

import json
import socket
import ssl
import sys
import time
from urllib.parse import urlsplit

STARTED = time.monotonic()
COUNTS = {"chunks": 0}  # data chunks read, reported even when the stream breaks


def report(record):
    record["t"] = round(time.monotonic() - STARTED, 4)
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class BrokenStream(Exception):
    """The connection ended in the middle of the response."""


def tls_context(spec):
    if spec.get("ca_file"):
        return ssl.create_default_context(cafile=spec["ca_file"])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def send_request(stream, host, spec):
    lines = [f"GET {spec['path']} HTTP/1.1", f"Host: {host}", "Accept: application/json",
             "User-Agent: fake-apiserver-watch-client"]
    if spec.get("token"):
        lines.append(f"Authorization: Bearer {spec['token']}")
    lines += [f"{k}: {v}" for k, v in (spec.get("headers") or {}).items()]
    stream.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    stream.flush()


def read_line(stream):
    line = stream.readline(65537)
    if not line.endswith(b"\n"):
        raise BrokenStream("connection closed mid-line")
    return line.rstrip(b"\r\n").decode("latin-1")


def read_head(stream):
    status_line = read_line(stream)
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ValueError(f"bad status line {status_line!r}")
    headers = {}
    while True:
        line = read_line(stream)
        if not line:
            return int(parts[1]), headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()


def read_exact(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise BrokenStream(f"connection closed after {len(data)} of {size} bytes of a chunk")
    return data


def follow_chunks(stream):
    """Reports every event line of a chunked body, up to the terminating chunk."""
    pending = b""
    while True:
        size_line = read_line(stream)
        size = int(size_line.split(";", 1)[0].strip(), 16)
        if size == 0:
            while read_line(stream):  # trailers, up to the blank line
                pass
            return
        pending += read_exact(stream, size)
        if read_exact(stream, 2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        COUNTS["chunks"] += 1
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                report({"kind": "event", "event": json.loads(line)})


def main():
    spec = json.load(sys.stdin)
    url = urlsplit(spec["base_url"])
    host, port = url.hostname, url.port or 443
    end, error = "error", None
    try:
        raw = socket.create_connection((host, port), timeout=float(spec.get("read_timeout", 30)))
        sock = tls_context(spec).wrap_socket(raw, server_hostname=host)
        stream = sock.makefile("rwb")
        send_request(stream, host, spec)
        status, headers = read_head(stream)
        report({"kind": "response", "status": status, "headers": headers})
        if "chunked" in headers.get("transfer-encoding", "").lower():
            follow_chunks(stream)
        else:
            body = read_exact(stream, int(headers.get("content-length") or 0)).decode("utf-8")
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            report({"kind": "body", "body": body, "json": decoded})
        end = "complete"
    except (BrokenStream, ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:
        end, error = "broken", f"{type(exc).__name__}: {exc}"
    except (socket.timeout, TimeoutError) as exc:
        end, error = "timeout", f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # every failure is data for the test
        end, error = "error", f"{type(exc).__name__}: {exc}"
    report({"kind": "end", "end": end, "error": error, "chunks": COUNTS["chunks"]})


if __name__ == "__main__":
    main()
