"""Runs unittest modules and reports each test in the shell harness's format
("ok   - NAME" / "FAIL - NAME"), then writes "PASSED FAILED" to the file
named by --counts, for tests/clients/python.sh to add to its own.

    python3 run.py --counts FILE test_client [test_wait ...]
"""

import argparse
import sys
import traceback
import unittest


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.passed = 0
        self.failed_n = 0

    def _name(self, test):
        return f"{test.__class__.__module__}: {test._testMethodDoc.strip().splitlines()[0] if test._testMethodDoc else test._testMethodName}"

    def addSuccess(self, test):
        self.passed += 1
        print(f"ok   - {self._name(test)}", flush=True)

    def _fail(self, test, err):
        self.failed_n += 1
        print(f"FAIL - {self._name(test)}", flush=True)
        for line in "".join(traceback.format_exception(*err)).rstrip().splitlines()[-12:]:
            print(f"       {line}", flush=True)

    def addFailure(self, test, err):
        self._fail(test, err)

    def addError(self, test, err):
        self._fail(test, err)

    def addSkip(self, test, reason):
        print(f"skip - {self._name(test)}: {reason}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", required=True)
    ap.add_argument("modules", nargs="+")
    args = ap.parse_args()
    result = Result()
    for name in args.modules:
        try:
            suite = unittest.defaultTestLoader.loadTestsFromName(name)
        except Exception:  # noqa: BLE001 - an import error is a failure
            result.failed_n += 1
            print(f"FAIL - {name}: cannot load\n" + traceback.format_exc(), flush=True)
            continue
        suite.run(result)
    with open(args.counts, "w") as f:
        f.write(f"{result.passed} {result.failed_n}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
