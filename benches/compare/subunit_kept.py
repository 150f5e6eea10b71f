#!/usr/bin/env python3
"""Check that refstack-subunit keeps every packet python-subunit keeps.

Usage: subunit_kept.py DUMP_BINARY FILE...
  DUMP_BINARY: target/release/examples/dump
  (cargo build --release -p refstack-subunit --example dump)

For each FILE, decodes it with python-subunit 1.4.6
(ByteStreamToStreamResult, non_subunit_name="stdout"; if it aborts, the
packets decoded before the abort) and with our `dump` example, and compares
the multisets of (status, test id, file name, content length, timestamp):
prints how many packets each kept and how many of python's are missing
from ours (must be 0).
"""
import collections
import subprocess
import sys

import testtools
from subunit.v2 import ByteStreamToStreamResult


class Keep(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.packets = collections.Counter()

    def status(self, test_id=None, test_status=None, test_tags=None,
               runnable=True, file_name=None, file_bytes=None, eof=False,
               mime_type=None, route_code=None, timestamp=None):
        if test_id is None and file_name == "stdout":
            return
        if test_id == "subunit.parser":
            return
        ts = timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if timestamp else ""
        self.packets[(test_status or "none", test_id or "", file_name or "",
                      len(file_bytes or b""), ts)] += 1


def main():
    dump = sys.argv[1]
    bad = 0
    for path in sys.argv[2:]:
        keep = Keep()
        error = ""
        try:
            with open(path, "rb") as f:
                ByteStreamToStreamResult(f, non_subunit_name="stdout").run(keep)
        except Exception as e:  # python-subunit aborts on some corrupt input
            error = " (python aborted: %r)" % (e,)
        ours = collections.Counter()
        out = subprocess.run([dump, path], check=True, capture_output=True).stdout
        for line in out.decode("utf-8", "replace").splitlines():
            parts = line.split("\t")
            if parts[0] == "packet":
                _, _, status, tid, name, length, ts = parts
                ours[(status, tid, name, int(length), ts)] += 1
        missing = keep.packets - ours
        bad += sum(missing.values())
        print("%s: python kept %d packets%s, refstack-subunit %d; missing from ours: %d"
              % (path, sum(keep.packets.values()), error, sum(ours.values()),
                 sum(missing.values())))
        for k in list(missing)[:5]:
            print("  missing:", k)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
