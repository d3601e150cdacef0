"""Validates every canonical event fixture against infra/events/dossier-event.v1.schema.json."""
import json
import pathlib
import sys

import jsonschema

root = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((root / "infra/events/dossier-event.v1.schema.json").read_text())
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
files = sorted((root / "events/notifier/life").glob("*.json")) + [
    root / "events/local/legacy-event-received.json",
    root / "events/notifier/canonical-twin-of-dvcqg.json",
]
files += [p for p in (root / "infra/local").glob("demo-events.json")]
failures = 0
checked = 0
for path in files:
    doc = json.loads(path.read_text())
    for event in doc if isinstance(doc, list) else [doc]:
        checked += 1
        for error in validator.iter_errors(event):
            failures += 1
            print(f"{path.relative_to(root)}: {error.json_path}: {error.message}")
# The schema must also refuse what the notifier refuses (so that this check can fail).
sample = json.loads(files[0].read_text())
for label, mutate in [
    ("status 11", lambda e: e["dossier"].__setitem__("status", 11)),
    ("unknown field", lambda e: e.__setitem__("surprise", 1)),
    ("unknown type", lambda e: e.__setitem__("type", "exploded")),
    ("version 0", lambda e: e.__setitem__("version", 0)),
    ("no dossier", lambda e: e.pop("dossier")),
]:
    bad = json.loads(json.dumps(sample))
    mutate(bad)
    if validator.is_valid(bad):
        failures += 1
        print(f"schema accepts an invalid event: {label}")
outbound = json.loads((root / "infra/events/outbound.v1.schema.json").read_text())
outbound_validator = jsonschema.Draft202012Validator(outbound, format_checker=jsonschema.FormatChecker())
for path in sorted((root / "events/outbound").glob("*.json")):
    checked += 1
    for error in outbound_validator.iter_errors(json.loads(path.read_text())):
        failures += 1
        print(f"{path.relative_to(root)}: {error.json_path}: {error.message}")
print(f"event fixtures: {checked} checked against the v1 schema, {failures} errors")
sys.exit(1 if failures or not checked else 0)
