#!/usr/bin/env python3
"""The architecture's size and wiring rules (infra/ARCHITECTURE.md, "Rules the test command
checks"), checked on the source tree without building it:

- no non-test Rust source file over 700 lines (a file's test module, from its first
  `#[cfg(test)]` line, does not count), and no non-test function over 80 lines;
- every `functions/*/src/main.rs` at most 60 lines (wiring only) and without tests (their
  Cargo.toml says `test = false`: no harness is built for them);
- `ZaloClient::new(` in at most two non-test source files outside crates/zalo;
- crates/zalo does not depend on motcua-config; crates/domain on no adapter.

Test code is left out: `tests/` and `benches/` folders, and the contract suites
(crates/app/src/contract, compiled only with the `contract-tests` feature). The exceptions kept
are listed in EXCEPTIONS with their reason; an exception that no longer applies fails too, so
the list stays true.

Usage: check-architecture.py [ROOT]   (exit 1 with one line per breach)
"""

import pathlib
import re
import sys

MAX_FILE = 700
MAX_FN = 80
MAX_MAIN = 60

# (path, function or None for the file) -> why it stays long
EXCEPTIONS = {
    ("crates/domain/src/catalogue.rs", None): "the one message catalogue: every citizen-facing "
    "text in one place, reviewed together (the guide's rule)",
    ("crates/domain/src/catalogue.rs", "render"): "one match arm per message of the catalogue",
    ("crates/domain/src/catalogue.rs", "samples"): "one instance of every message, for review",
}

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
STRING = re.compile(r'"(\\.|[^"\\])*"')
CHAR = re.compile(r"'(\\.|[^'\\])'")


def code_of(line):
    """The line without its string and char literals and its comment (braces in them do not
    count)."""
    line = STRING.sub('""', line)
    line = CHAR.sub("''", line)
    return line.split("//")[0]


def is_test_path(rel):
    parts = rel.parts
    return "tests" in parts or "benches" in parts or rel.as_posix().startswith(
        "crates/app/src/contract"
    )


def non_test_lines(text):
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("#[cfg(test)]"):
            return lines[:i]
    return lines


def functions(lines):
    """(name, length in lines) of every function with a body."""
    out = []
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        depth, opened = 0, False
        for j in range(i, len(lines)):
            c = code_of(lines[j])
            if not opened and c.rstrip().endswith(";") and "{" not in c:
                break  # a declaration without a body (a trait's method)
            depth += c.count("{") - c.count("}")
            opened = opened or "{" in c
            if opened and depth <= 0:
                out.append((m.group(6), j - i + 1))
                break
    return out


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    breaches, used = [], set()
    zalo_new = []
    for path in sorted(root.rglob("*.rs")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("target", ".git", ".venv") or is_test_path(rel):
            continue
        text = path.read_text(encoding="utf-8")
        lines = non_test_lines(text)
        key = rel.as_posix()
        if len(lines) > MAX_FILE:
            if (key, None) in EXCEPTIONS:
                used.add((key, None))
            else:
                breaches.append(f"{key}: {len(lines)} non-test lines (at most {MAX_FILE})")
        for name, length in functions(lines):
            if length > MAX_FN:
                if (key, name) in EXCEPTIONS:
                    used.add((key, name))
                else:
                    breaches.append(f"{key}: fn {name} has {length} lines (at most {MAX_FN})")
        if re.fullmatch(r"functions/[^/]+/src/main\.rs", key):
            n = text.count("\n")
            if n > MAX_MAIN:
                breaches.append(f"{key}: {n} lines; main.rs is wiring only (at most {MAX_MAIN})")
            if "#[test]" in text or "cfg(test)" in text or "#[tokio::test" in text:
                breaches.append(f"{key}: holds tests, which `test = false` never runs; move them to lib.rs")
        if "ZaloClient::new(" in "\n".join(lines) and not key.startswith("crates/zalo/"):
            zalo_new.append(key)
    if len(zalo_new) > 2:
        breaches.append(
            "ZaloClient::new( outside crates/zalo in more than two files: " + ", ".join(zalo_new)
        )
    zalo = (root / "crates/zalo/Cargo.toml").read_text(encoding="utf-8")
    if "motcua-config" in zalo:
        breaches.append("crates/zalo/Cargo.toml depends on motcua-config")
    domain = (root / "crates/domain/Cargo.toml").read_text(encoding="utf-8")
    for adapter in ("motcua-dynamodb", "motcua-sqs", "motcua-zalo", "motcua-embedded", "aws-"):
        if adapter in domain:
            breaches.append(f"crates/domain/Cargo.toml depends on {adapter}")
    for stale in sorted(set(EXCEPTIONS) - used, key=str):
        breaches.append(f"exception {stale} no longer applies: remove it from EXCEPTIONS")
    for b in breaches:
        print(b)
    if breaches:
        return 1
    print(
        f"architecture rules hold (files <= {MAX_FILE} lines, functions <= {MAX_FN}, "
        f"main.rs <= {MAX_MAIN}; {len(EXCEPTIONS)} listed exceptions)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
