"""A pytest plugin the generator loads with `-p physarum_probe`: it records, per test, the outcome and,
for a failure, what failed (exception, the failing line of the test file, and for a failed comparison
the reprs of both sides), into the JSON file named by PHYSARUM_PROBE_OUT. It never changes a result.
"""
import json
import os

import pytest

_results = {}
_collection_errors = []
_last_compare = {}


def pytest_runtest_setup(item):
    _last_compare.clear()


def pytest_assertrepr_compare(config, op, left, right):
    _last_compare["compare"] = {"op": op, "left": _short(repr(left)), "right": _short(repr(right))}
    return None


def _short(text, limit=300):
    return text if len(text) <= limit else text[: limit - 3] + "..."


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    entry = _results.setdefault(item.nodeid, {"outcome": "passed"})
    if report.failed and entry["outcome"] == "passed":
        entry["outcome"] = "failed" if report.when == "call" else "error"
        if call.excinfo is not None:
            entry.update(_describe(item, call.excinfo))
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def _describe(item, excinfo):
    test_file = str(item.path)
    line = None
    for tb_entry in excinfo.traceback:
        if str(tb_entry.path) == test_file:
            line = tb_entry.lineno + 1
    message = str(excinfo.value)
    return {
        "exc_type": excinfo.type.__name__,
        "message": _short(message.split("\n", 1)[0]),
        "line": line,
        **_last_compare,
    }


def pytest_collectreport(report):
    if report.failed:
        _collection_errors.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("PHYSARUM_PROBE_OUT")
    if path:
        with open(path, "w") as out:
            json.dump({"tests": _results, "collection_errors": _collection_errors}, out, indent=1, sort_keys=True)
