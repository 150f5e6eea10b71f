#!/usr/bin/env python3
"""python-subunit's view of subunit streams, in the `stats` example's format.

Usage: subunit_oracle.py FILE...   (needs python-subunit + testtools)

For each file prints one JSON line with the same keys as
`cargo run --release -p refstack-subunit --example stats`:
packets (v2: decoded packets, noise runs excluded; v1: packets of the
v1->v2 conversion), noise_bytes (bytes of the `stdout` events), corrupt
(`subunit.parser` "Parser Error" events), tests and status counts from
testtools.StreamToDict (records with status `exists` are not tests; a
record without a final status counts as `inprogress`).
v1 files go through subunit.TestProtocolServer + ExtendedToStreamDecorator,
exactly like `subunit-1to2`.
"""
import io
import json
import sys
import time

import subunit
import testtools
from subunit.v2 import ByteStreamToStreamResult


class Count(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.packets = 0
        self.noise_bytes = 0
        self.corrupt = 0

    def status(self, test_id=None, test_status=None, test_tags=None,
               runnable=True, file_name=None, file_bytes=None, eof=False,
               mime_type=None, route_code=None, timestamp=None):
        if test_id is None and file_name == "stdout":
            self.noise_bytes += len(file_bytes or b"")
            return
        if test_id == "subunit.parser":
            if file_name == "Parser Error":
                self.corrupt += 1
            return
        self.packets += 1


def is_v1(data):
    return not data.lstrip().startswith(b"\xb3") and any(
        line.startswith(p) for line in data[:65536].split(b"\n")
        for p in (b"test: ", b"testing: ", b"time: ", b"tags: ", b"progress: "))


def oracle(path):
    start = time.perf_counter()
    with open(path, "rb") as f:
        data = f.read()
    counts = {"success": 0, "fail": 0, "skip": 0, "xfail": 0,
              "uxsuccess": 0, "inprogress": 0}
    tests = 0

    def on_test(rec):
        nonlocal tests
        status = rec["status"]
        if status == "exists":
            return
        tests += 1
        if status in ("inprogress", "unknown", None):
            status = "inprogress"
        counts[status] = counts.get(status, 0) + 1

    count = Count()
    todict = testtools.StreamToDict(on_test)
    result = testtools.CopyStreamResult([count, todict])
    result.startTestRun()
    fmt = "v1" if is_v1(data) else "v2"
    error = None
    try:
        if fmt == "v1":
            decorator = testtools.ExtendedToStreamDecorator(result)
            server = subunit.TestProtocolServer(decorator, stream=io.BytesIO())
            server.readFrom(io.BytesIO(data))
        else:
            with open(path, "rb") as f:
                ByteStreamToStreamResult(f, non_subunit_name="stdout").run(result)
    except Exception as e:  # python-subunit aborts on some corrupt input
        error = repr(e)
    result.stopTestRun()
    out = {"file": path, "format": fmt, "bytes": len(data),
            "packets": count.packets, "noise_bytes": count.noise_bytes,
            "corrupt": count.corrupt, "tests": tests, "status": counts,
            "seconds": round(time.perf_counter() - start, 6)}
    if error:
        out["error"] = error
    return out


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(oracle(p)), flush=True)
