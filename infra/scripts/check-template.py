#!/usr/bin/env python3
"""Checks template.yaml for what the linters cannot know: every Lambda logs to a group of its
own with a retention, and every queue sets its message retention and server-side encryption.
Prints each problem and exits 1 if there is one."""
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml

root = Path(__file__).resolve().parents[2]
template = cfn_yaml.load(str(root / "template.yaml"))
resources = template["Resources"]
problems = []


def ref(value):
    return value.get("Ref") if isinstance(value, dict) else None


for name, r in resources.items():
    props = r.get("Properties", {})
    if r["Type"] == "AWS::Serverless::Function":
        group = ref(props.get("LoggingConfig", {}).get("LogGroup"))
        target = resources.get(group or "", {})
        if target.get("Type") != "AWS::Logs::LogGroup":
            problems.append(f"{name}: LoggingConfig.LogGroup is not a log group of this template")
        elif "RetentionInDays" not in target.get("Properties", {}):
            problems.append(f"{name}: its log group {group} keeps logs for ever (no RetentionInDays)")
    if r["Type"] == "AWS::SQS::Queue":
        if "MessageRetentionPeriod" not in props:
            problems.append(f"{name}: no MessageRetentionPeriod (SQS would keep 4 days by default)")
        if not props.get("SqsManagedSseEnabled") and "KmsMasterKeyId" not in props:
            problems.append(f"{name}: messages are not encrypted at rest")

for p in problems:
    print(p)
print(f"template checks: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
