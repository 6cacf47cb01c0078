"""
Runs this folder's unittest suite and writes each test's outcome to a JSON file, for the vitest
runner (unittest.test.ts) to report test by test. ``--list`` prints the test ids instead.

    python3 python/aigccloud/tests/run_json.py results.json
    python3 -m unittest discover -s python/aigccloud/tests     # the same tests, plain unittest
"""
from __future__ import annotations

import json
import os
import sys
import traceback
import unittest
from typing import Dict, Iterator

HERE = os.path.dirname(os.path.abspath(__file__))


def _suite() -> unittest.TestSuite:
    return unittest.defaultTestLoader.discover(HERE, top_level_dir=HERE)


def _ids(suite: unittest.TestSuite) -> Iterator[str]:
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _ids(t)
        else:
            yield t.id()


class _Result(unittest.TextTestResult):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.outcomes: Dict[str, Dict[str, str]] = {}

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self.outcomes[test.id()] = {"status": "passed"}

    def addFailure(self, test: unittest.TestCase, err: object) -> None:
        super().addFailure(test, err)  # type: ignore[arg-type]
        self.outcomes[test.id()] = {"status": "failed", "detail": self._exc_info_to_string(err, test)}  # type: ignore[arg-type]

    def addError(self, test: unittest.TestCase, err: object) -> None:
        super().addError(test, err)  # type: ignore[arg-type]
        self.outcomes[getattr(test, "id", lambda: str(test))()] = {"status": "failed", "detail": self._exc_info_to_string(err, test)}  # type: ignore[arg-type]

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self.outcomes[test.id()] = {"status": "skipped", "detail": reason}


def main() -> int:
    if sys.argv[1:] == ["--list"]:
        print(json.dumps(list(_ids(_suite()))))
        return 0
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_Result, stream=sys.stderr)
    try:
        result = runner.run(_suite())
    except Exception:  # a crash of the run itself: reported, not swallowed
        traceback.print_exc()
        return 2
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(result.outcomes, f, ensure_ascii=False, indent=1)  # type: ignore[attr-defined]
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    raise SystemExit(main())
