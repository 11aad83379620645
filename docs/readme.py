"""README's generated blocks, so its figures cannot drift from the real thing.

    python docs/readme.py            # rewrite the blocks this script renders (make docs runs it)
    python docs/readme.py --check    # exit 1 if one of them is stale

A block sits between `<!-- generated: NAME by SOURCE -->` and `<!-- end: NAME -->`. This script renders `demo` (the
output of examples/demo.py, which `make demo` runs), `tests` (the suite's size, from pytest's own collection) and
`policies` (what the built-in policy catalogue holds, domain by domain: DOMAIN_SUMMARIES says what each domain's
policies check, and a domain without a summary stops this script).
Measurements are written by the script that takes them: `suite-time` by benchmarks/suite_time.py (it runs
`make test`), `bench` by `benchmarks/lint_speed.py --readme` (`make bench`). tests/test_docs.py checks every block.

It also refreshes the output shown under each `$ command` of README's other console examples (a policy count, a
list of findings) by running the command as tests/test_docs.py does; what varies between runs (a new repository's
commit id, the scratch home) is left as written when only that differs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^<!-- generated: (?P<name>[a-z-]+) by (?P<source>\S+) -->\n(?P<body>.*?)^<!-- end: (?P=name) -->$",
                   re.MULTILINE | re.DOTALL)
EXPLAIN_LINES = 2  # the demo's last command, `explain`, is cut after its first lines
COMMIT = re.compile(r"(?<=commit )[0-9a-f]{12}\b")


def blocks(text: str) -> dict[str, tuple[str, str]]:
    """name -> (source, body) of every generated block in `text`."""
    return {match["name"]: (match["source"], match["body"]) for match in BLOCK.finditer(text)}


def replace_block(text: str, name: str, body: str) -> str:
    """`text` with the body of block `name` replaced (the block must exist)."""
    match = next((m for m in BLOCK.finditer(text) if m["name"] == name), None)
    if match is None:
        raise SystemExit(f"README.md has no generated block {name!r}")
    return text[:match.start("body")] + body + text[match.end("body"):]


def write_block(name: str, body: str) -> None:
    README.write_text(replace_block(README.read_text(encoding="utf-8"), name, body), encoding="utf-8")


def demo_output(root: Path = ROOT) -> str:
    """What `make demo` prints, run in `root` (a folder holding examples/shop/)."""
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py"), "--root", str(root)],
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"examples/demo.py failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def demo_block(output: str) -> str:
    """The Quickstart's console block: `$ make demo` and its output, the final `explain` cut after a few lines."""
    head, marker, explain = output.partition("\n$ gitops-tools explain ")
    command, *lines = explain.splitlines()
    shown = "\n".join([f"{head}{marker}{command}", *lines[:EXPLAIN_LINES], "..."])
    return f"```console\n$ make demo\n{shown}\n```\n"


def normalise_demo(block: str) -> str:
    """A demo block with what changes from run to run (the new repository's commit id) blanked."""
    return COMMIT.sub("<commit>", block)


def console_examples(text: str) -> list[tuple[str, str, int, int]]:
    """(command, shown output, start, end of that output in `text`) of every console example that shows output,
    outside the generated blocks."""
    hidden = [(m.start(), m.end()) for m in BLOCK.finditer(text)]
    found = []
    for block in re.finditer(r"^( *)```console\n(.*?)^\1```$", text, flags=re.MULTILINE | re.DOTALL):
        if any(start <= block.start() < end for start, end in hidden):
            continue
        indent, body_start = block[1], block.start(2)
        commands = list(re.finditer(rf"^{indent}\$ (.*)\n", block[2], flags=re.MULTILINE))
        for number, command in enumerate(commands):
            end = commands[number + 1].start() if number + 1 < len(commands) else len(block[2])
            shown = "\n".join(line.removeprefix(indent) for line in block[2][command.end():end].splitlines())
            if shown.strip():
                found.append((command[1], shown, body_start + command.end(), body_start + end))
    return found


def run_console(command: str, home: Path) -> str:
    """What `command` prints, run from the checkout in a shell as a reader would, with `home` as `~`; a traceback
    is a failure."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GITHUB_", "GITOPS_TOOLS", "GIT_"))} | {
        "HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    if "Traceback" in done.stderr:
        raise SystemExit(f"`{command}` failed with a traceback:\n{done.stderr}")
    return done.stdout.replace(str(home), "/home/me")


def normalise_console(text: str) -> str:
    return COMMIT.sub("<commit>", text).rstrip("\n")


def refresh_console(text: str, home: Path) -> str:
    """`text` with each console example's output replaced by the real one, where more than a commit id differs.
    Each example runs in a home of its own, as tests/test_docs.py runs it: several start by creating the same repo
    (`cd ~ && gitops-tools new service`), and in a shared home all but the first would fail."""
    for number, (command, shown, start, end) in enumerate(reversed(console_examples(text))):
        indent = text[text.rfind("\n", 0, start - 1) + 1:start - 1].partition("$")[0]
        own = home / f"example-{number}"
        own.mkdir()
        real = run_console(command, own)
        if normalise_console(real) != normalise_console(shown):
            text = text[:start] + "".join(f"{indent}{line}\n" if line else "\n"
                                          for line in real.rstrip("\n").splitlines()) + text[end:]
    return text


DOMAIN_SUMMARIES = {  # domain -> (its name in prose, what its policies check); in the order README lists them
    "kubernetes": ("Kubernetes", "resources, probes, images, pod security, host access, RBAC, Services, availability, "
                                 "ServiceMonitors, Argo CD and Flux objects"),
    "kustomize": ("kustomization", "deprecated fields, remote resources pinned, overlays set their namespace, "
                                   "overlays build offline, images pinned by digest"),
    "github-actions": ("GitHub Actions", "workflow and action structure, `${{ }}` expressions, job timeouts, deploy "
                                         "concurrency, pip installs by hash, and zizmor's audits: permissions, SHA "
                                         "pins, script injection, dangerous triggers, persisted credentials, "
                                         "inherited secrets..."),
    "gitlab-ci": ("GitLab CI", "structure, included local files, images and remote includes pinned, no secret "
                               "echoed, pip installs by hash"),
    "monitoring": ("monitoring", "Prometheus rules: PromQL parsed, alert labels, annotations and templates; Grafana "
                                 "dashboards"),
    "dockerfile": ("Dockerfile", "base images pinned by digest, a numeric non-root user that the pods' `runAsUser` "
                                 "matches, no unchecked remote `ADD`, and hadolint's rules"),
    "backstage": ("Backstage catalog", "entities against the catalog model's schemas, names, references, owner, "
                                       "lifecycle, type, system, required annotations"),
    "repository": ("repository", "the files a repository must hold, its pre-commit hooks pinned, a security "
                                 "policy, SAST in CI, a dependency update tool"),
    "core": ("file-level", "syntax, duplicate keys, encodings, unreadable and special files, links out of the "
                           "repository, YAML bombs, code-running YAML tags, stale suppressions, expired exemptions"),
}


def policies_block(domains: Counter[str]) -> str:
    """README's opening count of the built-in policies (`domains`: domain -> how many), wrapped at 116 columns."""
    missing = sorted(set(domains) - set(DOMAIN_SUMMARIES))
    if missing:
        raise SystemExit(f"docs/readme.py: DOMAIN_SUMMARIES says nothing of the domain(s) {', '.join(missing)}")
    parts = [f"{domains[name]} {prose} {'checks' if name == 'core' else 'policies'} ({summary})"
             for name, (prose, summary) in DOMAIN_SUMMARIES.items() if domains[name]]
    text = (f"It ships {sum(domains.values())} policies: {', '.join(parts[:-1])} and {parts[-1]}; teams add their "
            "own by adding files.")
    return "\n".join(textwrap.wrap(text, 116, break_on_hyphens=False)) + "\n"


def catalogue_domains() -> Counter[str]:
    """How many built-in policies each domain has."""
    sys.path.insert(0, str(ROOT))
    from gitops_tools.policies import load_policies

    return Counter(policy.domain or "kubernetes" for policy in load_policies().values())


SHOP_IMAGE_TAG = "cd examples/shop && gitops-tools lint --format {} --select container-image-tag-not-latest ."
JSON_EXAMPLES: dict[str, tuple[str, Callable[[Any], Any]]] = {  # section -> (command, the excerpt README shows)
    "### `json`: for scripts": ("gitops-tools lint --format json examples/shop",
                                lambda doc: {**{key: doc[key] for key in ("version", "tool", "summary")},
                                             "findings": doc["findings"][:1]}),
    "### `sarif`: GitHub code scanning": (SHOP_IMAGE_TAG.format("sarif"), lambda doc: doc["runs"][0]["results"][0]),
    "### `gitlab`: GitLab Code Quality": (SHOP_IMAGE_TAG.format("gitlab"), lambda doc: doc),
}
POLICY_COUNT = re.compile(r'(?<="policies": )\d+')


def json_example(text: str, section: str) -> tuple[str, int, int]:
    """The JSON example of README's `section` (hand-formatted, so only its policy count is refreshed) and its span."""
    start = text.index(f"\n{section}\n")
    end = text.find("\n### ", start + 1)
    found = re.search(r"^```json\n(.*?)^```$", text[start:end], flags=re.MULTILINE | re.DOTALL)
    if found is None:
        raise SystemExit(f"README's {section} has no JSON example")
    return found[1], start + found.start(1), start + found.end(1)


def json_excerpt(section: str, home: Path) -> Any:
    command, excerpt = JSON_EXAMPLES[section]
    return excerpt(json.loads(run_console(command, home)))


def refresh_json(text: str, home: Path) -> str:
    """`text` with each JSON example's policy count the real one; any other difference must be edited by hand."""
    for section in JSON_EXAMPLES:
        shown, start, end = json_example(text, section)
        real = json_excerpt(section, home)
        count = real.get("summary", {}).get("policies") if isinstance(real, dict) else None
        fresh = shown if count is None else POLICY_COUNT.sub(str(count), shown)
        if json.loads(fresh) != real:
            raise SystemExit(f"README's {section} example is stale beyond its policy count: edit it by hand")
        text = text[:start] + fresh + text[end:]
    return text


def test_counts() -> Counter[str]:
    """How many tests the suite collects: all of them, and those marked `slow` and `serial`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}  # the whole suite, always
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--count-tests"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"collecting the tests failed:\n{done.stdout}{done.stderr}")
    return Counter(json.loads(done.stdout.splitlines()[-1]))


def tests_block(counts: Counter[str]) -> str:
    unit = counts["all"] - counts["slow"] - counts["serial"]
    return (f"The suite has {counts['all']:,} tests: `make check` runs the {unit:,} unit tests; `make test` runs\n"
            f"them all, the {counts['slow']:,} end-to-end tests (marked `slow`: real git, cookiecutter, pre-commit,\n"
            f"kustomize, Go) and the {counts['serial']:,} timing-sensitive ones (`serial`, run alone) included.\n")


class _TestCounter:
    """A pytest plugin that counts collected tests by marker."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def pytest_collection_finish(self, session: object) -> None:
        for item in getattr(session, "items", []):
            self.counts["all"] += 1
            for marker in ("slow", "serial"):
                self.counts[marker] += item.get_closest_marker(marker) is not None


def _count_tests() -> int:
    import pytest

    counter = _TestCounter()
    code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")], plugins=[counter])
    print(json.dumps(dict(counter.counts)))
    return int(code)


def rendered() -> dict[str, str]:
    """The body of each block this script renders, from the real thing."""
    return {"demo": demo_block(demo_output()), "tests": tests_block(test_counts()),
            "policies": policies_block(catalogue_domains())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if a block is stale; write nothing")
    parser.add_argument("--count-tests", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_tests:
        return _count_tests()
    text = README.read_text(encoding="utf-8")
    fresh = rendered()
    if args.check:
        current = blocks(text)
        stale = [name for name, body in fresh.items()
                 if name not in current or normalise_demo(current[name][1]) != normalise_demo(body)]
        print(f"stale README blocks: {', '.join(stale)} (run `make docs`)" if stale else "README blocks are fresh")
        return 1 if stale else 0
    current = blocks(text)
    for name, body in fresh.items():
        if name not in current or normalise_demo(current[name][1]) != normalise_demo(body):
            text = replace_block(text, name, body)
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        text = refresh_json(refresh_console(text, home), home)
    README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
