#!/usr/bin/env python3
"""refstack-client's subunit -> results JSON path, reproduced for timing.

refstack-client (subunit_processor.py) feeds the stream to
subunit.ProtocolTestCase (the subunit **v1** protocol parser) run by
unittest.TextTestRunner with a testtools.TestResult subclass that keeps only
successes; each success becomes {"name": id without [..], "uuid": id- attr}.
The content dict is then written as 4-space-indented JSON.

This script is our own re-statement of that path (same libraries, same
classes, same rules), so that its speed can be compared side by side with
`refstack-tester subunit to-json`.

Usage: tester_python_results.py STREAM.v1 OUT.json
Needs python-subunit (and testtools) installed.
"""
import json
import os
import re
import sys
import time
import unittest

import subunit
import testtools


class PassOnly(testtools.TestResult):
    """Keep passed tests only, as refstack-client's result class does."""

    def __init__(self, stream, descriptions, verbosity):
        super().__init__()
        self.results = []

    def addSuccess(self, test, details=None):
        test_id = test.id()
        entry = {"name": re.sub(r"\[.*\]", "", test_id)}
        if "[" in test_id:
            attrs = test_id.split("[")[1].split("]")[0].split(",")
            for attr in attrs:
                if attr.startswith("id-"):
                    entry["uuid"] = "-".join(attr.split("-")[1:])
                    break
        self.results.append(entry)


def process(path):
    with open(path, "r") as stream, open(os.devnull, "w") as devnull:
        case = subunit.ProtocolTestCase(stream)
        runner = unittest.TextTestRunner(stream=devnull, resultclass=PassOnly)
        result = runner.run(case)
    return result.results


def main():
    src, out = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    results = process(src)
    content = {"cpid": "", "duration_seconds": 0, "results": results}
    with open(out, "w") as f:
        f.write(json.dumps(content, indent=4, separators=(",", ": ")))
    elapsed = time.perf_counter() - start
    print(f"python refstack-client path: {len(results)} passed tests in {elapsed:.3f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
