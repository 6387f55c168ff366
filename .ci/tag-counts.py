"""Counts of a Schemathesis run per spec tag, from its NDJSON event report.

usage: tag-counts.py SPEC REPORT_DIR

For each tag: the operations tested, the requests sent, the answers by status class, and the
checks that failed. Reads the newest ndjson-*.ndjson in REPORT_DIR.
"""

import collections
import glob
import json
import os
import re
import sys
from urllib.parse import urlparse

import yaml


def tags_by_label(spec_path):
    with open(spec_path, encoding="utf-8") as spec_file:
        spec = yaml.safe_load(spec_file)
    labels = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "tags" in operation:
                labels[f"{method.upper()} {path}"] = operation["tags"][0]
    return labels


def tag_of(labels, method, path, scenario):
    """The tag of the operation answering `method` on `path`; for a request no operation answers
    (a mutated method or path), the tag of the scenario's operation."""
    label = f"{method} {path}"
    if label in labels:
        return labels[label], label
    for known, tag in labels.items():
        known_method, template = known.split(" ", 1)
        pattern = "^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)) + "$"
        if known_method == method and re.match(pattern, path):
            return tag, known
    return labels.get(scenario, "(untagged)"), scenario


def main():
    spec_path, report_dir = sys.argv[1], sys.argv[2]
    reports = sorted(glob.glob(os.path.join(report_dir, "ndjson-*.ndjson")))
    if not reports:
        print("tag-counts: no NDJSON report", file=sys.stderr)
        return 1
    labels = tags_by_label(spec_path)
    operations = collections.defaultdict(set)
    counts = collections.defaultdict(collections.Counter)
    with open(reports[-1], encoding="utf-8") as report:
        for line in report:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            # A stateful scenario chains several operations: each request counts for its own.
            for case_id, interaction in recorder.get("interactions", {}).items():
                request = interaction["request"]
                tag, label = tag_of(
                    labels, request["method"], urlparse(request["uri"]).path, recorder["label"]
                )
                operations[tag].add(label)
                counts[tag]["requests"] += 1
                response = interaction.get("response") or {}
                status = response.get("status_code")
                counts[tag][f"{status // 100}xx" if status else "no answer"] += 1
                for check in recorder.get("checks", {}).get(case_id, []):
                    if check.get("status") == "failure":
                        counts[tag]["failed checks"] += 1
    width = max(len(tag) for tag in operations) if operations else 10
    header = f"{'tag':<{width}}  operations  requests     2xx     4xx     5xx  failed checks"
    print(header)
    for tag in sorted(operations):
        c = counts[tag]
        print(
            f"{tag:<{width}}  {len(operations[tag]):>10}  {c['requests']:>8}  {c['2xx']:>6}"
            f"  {c['4xx']:>6}  {c['5xx']:>6}  {c['failed checks']:>13}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
