"""Scaffold answers: exact rules, questions asked one at a time, and plain cookiecutter as safe as `new`.

Real renders throughout: `gitops-tools new` (cookiecutter in its child process), plain `cookiecutter` as a
subprocess, and interactive `new` on a real pseudo-terminal.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import call_cli as run_cli

from gitops_tools.lifecycle.base import BASE_FILE
from gitops_tools.questionnaire import questions
from gitops_tools.scaffold import STATE_FILE, available_scaffolds

ROOT = Path(__file__).resolve().parent.parent
SCAFFOLDS = available_scaffolds(ROOT)
COOKIECUTTER = str(Path(sys.executable).with_name("cookiecutter"))
NASTY_TEXT = ("- Émoji 😀 👩‍👩‍👧 \"double\" 'single' key: value # no comment \\back\\slash\\ <b>html</b> [link](x) "
              "| pipe & *star* _under_ `code` ~tilde~ 100% {brace} @here ✓")
NASTY = {
    "service": ["service_name=a-service-name-of-exactly-forty-chars-xy", f"description={NASTY_TEXT}",
                "owner=team-9", "system=s", "environments=qa,prod-eu-1", "port=1024", "metrics_port=65535",
                "gitops_tools_rev=0123456789abcdef0123456789abcdef01234567", "host=x.example.com"],
    "gitops-env": ["repo_name=gitops", f"description=# {NASTY_TEXT}", "teams=a,b-c", "environments=prod",
                   "owner=team_x.y", "cluster_domain=c.example.io"],
}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)


def _nothing_written(folder: Path) -> None:
    assert not folder.exists() or list(folder.iterdir()) == [], sorted(p.name for p in folder.iterdir())


# --- 1. answers are validated exactly ---------------------------------------------------------------------------------

EXACT = [
    pytest.param("service_name=orders\n", "service_name: 'orders\\n' is not a DNS-1123 label", id="trailing-newline"),
    pytest.param("environments=dev,prod\n", "'prod\\n' is not a comma-separated list", id="trailing-newline-in-a-list"),
    pytest.param("port=09090", "without leading zeros", id="port-with-leading-zero"),
    pytest.param("metrics_port=08080", "without leading zeros", id="same-port-spelled-differently"),
    pytest.param("environments=dev,,prod", "has an empty item", id="empty-list-item"),
    pytest.param("teams=", "an answer is required", id="empty-list"),
    pytest.param("environments=dev,prod,dev", "repeats 'dev'", id="repeated-list-item"),
    pytest.param("description=one\ntwo", "is not one line of text", id="multi-line-text"),
    pytest.param("description=one\u2028two", "is not one line of text", id="unicode-line-separator"),
    pytest.param("description=bell\x07", "is not one line of text", id="control-character"),
    pytest.param("service_name=yes", "reads as a boolean, number, date or null in YAML", id="yaml-boolean"),
    pytest.param("owner=0x1f", "reads as a boolean, number, date or null in YAML", id="yaml-hex-number"),
    pytest.param("gitops_tools_rev=1.10", "reads as a boolean, number, date or null in YAML", id="yaml-float-rev"),
    pytest.param("gitops_tools_rev=main", "'main' is not a version tag such as v1.4.0 or a full commit SHA",
                 id="a-branch-is-no-pin"),
    pytest.param("host=10.0.0.1", "is not a DNS name", id="an-address-is-not-a-host-name"),
]


@pytest.mark.parametrize(("answer", "message"), EXACT)
def test_rules_match_the_whole_answer_and_its_value(tmp_path: Path, answer: str, message: str) -> None:
    scaffold = "gitops-env" if answer.startswith("teams") else "service"
    code, out, err = run_cli("new", scaffold, "--no-input", "--no-git", "-o", str(tmp_path / "out"), "--set", answer)
    assert (code, out) == (2, ""), err
    assert message in err
    assert "Traceback" not in err and "internal error" not in err
    _nothing_written(tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("scaffold", sorted(SCAFFOLDS))
def test_nasty_but_valid_answers_render_into_valid_yaml_json_toml_and_markdown(tmp_path: Path, scaffold: str) -> None:
    sets = [arg for answer in NASTY[scaffold] for arg in ("--set", answer)]
    code, _, err = run_cli("new", scaffold, "--no-input", "--no-git", "-o", str(tmp_path), *sets)
    assert code == 0, err
    (repo,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    description = dict(answer.split("=", 1) for answer in NASTY[scaffold])["description"]
    parsed = 0
    for path in _files(repo):
        if path.name == BASE_FILE:  # the merge base archive: binary, holding the files checked here
            continue
        text = path.read_text(encoding="utf-8")
        assert "\\ud83d" not in text.lower(), f"{path}: a surrogate escape of the emoji"
        if path.suffix in (".yaml", ".yml"):
            documents = list(yaml.safe_load_all(text))
            assert documents, path
            parsed += 1
        elif path.suffix == ".json":
            json.loads(text)
            parsed += 1
        elif path.suffix == ".toml":
            tomllib.loads(text)
            parsed += 1
    assert parsed > 5
    state = json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))
    assert state["answers"]["description"] == description
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "\\<b\\>html\\</b\\>" in readme and "\\[link\\](x)" in readme and "\\*star\\*" in readme
    assert ("\n\\- Émoji" if scaffold == "service" else "\n\\# - Émoji") in readme  # no list, no heading
    if scaffold == "service":
        catalog = yaml.safe_load((repo / "catalog-info.yaml").read_text(encoding="utf-8"))
        assert catalog["metadata"]["description"] == description
        assert yaml.safe_load((repo / "mkdocs.yml").read_text(encoding="utf-8"))["site_description"] == description
        if (repo / "pyproject.toml").exists():
            project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
            assert project["description"] == description


# --- 2. interactive new checks each answer as it is typed -------------------------------------------------------------


class Terminal:
    """`gitops-tools new` on a real pseudo-terminal: what it writes is read back, answers are typed into it."""

    def __init__(self, *argv: str, cwd: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "gitops_tools", *argv], stdin=slave, stdout=slave,
                                        stderr=subprocess.PIPE, cwd=cwd, close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"{text!r} never appeared; the terminal shows:\n{self.seen}")
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"{text!r} never appeared before the end; the terminal shows:\n{self.seen}")
            self.seen += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return self.seen

    def type(self, line: str) -> None:
        os.write(self.master, line.encode("utf-8") + b"\n")

    def finish(self, timeout: float = 300) -> tuple[int, str]:
        _, err = self.process.communicate(timeout=timeout)
        with_rest = self.seen
        try:
            while select.select([self.master], [], [], 0.2)[0]:
                chunk = os.read(self.master, 65536)
                if not chunk:
                    break
                with_rest += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")
        except OSError:
            pass
        os.close(self.master)
        self.seen = with_rest
        return self.process.returncode, err.decode("utf-8", errors="replace")


def _numbered(scaffold: str) -> tuple[list[str], Callable[[str], str]]:
    """The scaffold's questions in the order they are asked, and how the terminal numbers one, e.g. `[9/19]`."""
    keys = [question.key for question in questions(SCAFFOLDS[scaffold])]
    return keys, lambda key: f"[{keys.index(key) + 1}/{len(keys)}]"


@pytest.mark.slow
def test_interactive_new_asks_again_with_the_rule_and_offers_only_valid_defaults(tmp_path: Path) -> None:
    keys, asked = _numbered("service")
    terminal = Terminal("new", "service", "--no-git", "-o", str(tmp_path / "out"), cwd=tmp_path)
    terminal.expect(f"{asked('service_name')} Service name")
    terminal.type("Bad_Name")
    terminal.expect("invalid: service_name: 'Bad_Name' is not a DNS-1123 label")
    terminal.expect("rule: a DNS-1123 label: lowercase letters, digits and '-'")
    terminal.expect(f"{asked('service_name')} Service name (DNS-1123 label: lowercase letters, digits, '-') "
                    "[orders-api]: ", 10)
    terminal.type("billing")
    terminal.expect(f"{asked('description')} One-line description")
    terminal.type("Bills 😀 \"customers\": # monthly")
    for _ in range(2):  # owner, system: defaults
        terminal.type("")
    terminal.expect(f"{asked('language')} Language of the app (1: python, 2: go) [python]: ")
    terminal.type("cobol")
    terminal.expect("invalid: language: 'cobol' is not one of the choices python, go")
    terminal.type("2")
    terminal.expect(f"{asked('ci_provider')} CI provider")
    terminal.type("")
    terminal.expect(f"{asked('git_host')} Git host")
    terminal.type("")
    terminal.expect(f"{asked('expose')} Expose")
    terminal.type("")
    terminal.expect(f"{asked('host')} Production host name")
    seen = terminal.expect("[billing.example.com]: ")
    assert "Bad_Name" not in seen.split(asked("description"), 1)[1]  # no default was derived from the refused answer
    terminal.type("")
    for key in keys[keys.index("host") + 1:keys.index("environments")]:  # defaults
        terminal.expect(asked(key))
        terminal.type("")
    terminal.expect(f"{asked('environments')} Environments")
    terminal.type("dev,,prod")
    terminal.expect("has an empty item")
    terminal.type("dev,prod")
    terminal.expect(asked("image_registry"))
    terminal.type("")
    terminal.expect(f"{asked('port')} HTTP port")
    terminal.type("80")
    terminal.expect("invalid: port: '80' is not an unprivileged port number, 1024-65535")
    terminal.type("9090")
    terminal.expect(f"{asked('metrics_port')} Port serving /metrics: ")  # its default, 9090, is taken: not offered
    terminal.type("")
    terminal.expect("invalid: metrics_port: an answer is required (an unprivileged port number")
    terminal.type("9090")
    terminal.expect("invalid: metrics_port: 9090 is also the answer to port; port, metrics_port must all differ")
    terminal.type("9100")
    for key in keys[keys.index("metrics_port") + 1:]:  # defaults
        terminal.expect(asked(key))
        terminal.type("")
    code, err = terminal.finish()
    assert code == 0, err + terminal.seen
    assert f"Created {tmp_path / 'out' / 'billing'} from scaffold service" in terminal.seen
    answers = json.loads((tmp_path / "out" / "billing" / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    assert (answers["language"], answers["port"], answers["metrics_port"]) == ("go", "9090", "9100")
    assert answers["description"] == "Bills 😀 \"customers\": # monthly"
    assert answers["environments"] == "dev,prod"


@pytest.mark.slow
def test_interactive_new_whose_input_ends_writes_nothing(tmp_path: Path) -> None:
    terminal = Terminal("new", "gitops-env", "--no-git", "-o", str(tmp_path / "out"), cwd=tmp_path)
    terminal.expect("[1/12] Repository name")
    terminal.type("platform")
    terminal.expect("[2/12]")
    os.write(terminal.master, b"\x04")  # Ctrl-D on an empty line: end of input
    code, err = terminal.finish()
    assert code == 2, err
    assert err == "gitops-tools: error: input ended before description was answered; nothing was written\n"
    _nothing_written(tmp_path / "out")


@pytest.mark.parametrize("scaffold", sorted(SCAFFOLDS))
def test_list_questions_prints_every_question_with_its_rule_and_default(scaffold: str) -> None:
    code, out, err = run_cli("new", scaffold, "--list-questions")
    assert (code, err) == (0, "")
    context = SCAFFOLDS[scaffold].context()
    questions = [key for key in context if not key.startswith("_")]
    listed = [line.split()[0] for line in out.splitlines()[1:] if not line.startswith(" ")]
    assert listed == questions
    blocks = out.split("\n")[1:]
    for key in questions:
        block = blocks[blocks.index(next(line for line in blocks if line.startswith(f"{key}  "))):][:3]
        assert block[0].endswith(context["__prompts__"][key])
        if isinstance(context[key], list):
            assert block[1] == f"    choices: {', '.join(context[key])}"
            assert block[2] == f"    default: {context[key][0]}"
        else:
            assert block[1].startswith("    rule: ") and len(block[1]) > len("    rule: ") + 5
            assert block[2].startswith("    default: ")
            if "{" not in context[key]:
                assert block[2] == f"    default: {context[key]}"
            else:
                assert "{" not in block[2] and block[2].endswith("(derived from the answers before it)")


def test_list_questions_needs_a_scaffold() -> None:
    code, out, err = run_cli("new", "--list-questions")
    assert (code, out) == (2, "")
    assert "--list-questions needs a scaffold name" in err


@pytest.mark.parametrize("answers", ["language: [go]\n", "language: 2\n", "ci_provider: bitbucket\n"])
def test_an_answers_file_outside_the_choices_is_exit_2(tmp_path: Path, answers: str) -> None:
    (tmp_path / "answers.yaml").write_text(answers, encoding="utf-8")
    code, out, err = run_cli("new", "service", "--no-input", "--answers", str(tmp_path / "answers.yaml"),
                             "-o", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert "is not one of the choices" in err and "internal error" not in err
    _nothing_written(tmp_path / "out")


# --- 3. plain cookiecutter is as safe as new --------------------------------------------------------------------------


def _cookiecutter(*args: str, template: Path = ROOT, directory: str | None = "scaffolds/service",
                  stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    where = ["--directory", directory] if directory else []
    return subprocess.run([COOKIECUTTER, str(template), *where, *args], capture_output=True, text=True,
                          timeout=300, input=stdin, cwd=cwd)


@pytest.mark.slow
@pytest.mark.parametrize("scaffold", sorted(SCAFFOLDS))
@pytest.mark.parametrize("answer", [
    pytest.param("description=x{{7*7}}", id="expression"),
    pytest.param("description={{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}", id="code"),
    pytest.param("owner={% for i in range(3) %}x{% endfor %}", id="statement"),
    pytest.param("git_host=github.com/{# comment #}acme", id="comment"),
])
def test_plain_cookiecutter_refuses_template_syntax_in_answers(tmp_path: Path, scaffold: str, answer: str) -> None:
    """`--no-input key=value` is what portals run; cookiecutter renders each such answer as a template."""
    out = tmp_path / "out"
    done = _cookiecutter("--no-input", "-o", str(out), answer, directory=f"scaffolds/{scaffold}", cwd=tmp_path)
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    assert "contains template syntax; answers are plain values, never templates" in shown
    assert "Traceback" not in shown and "Context:" not in shown
    assert not (tmp_path / "MARKER").exists()
    _nothing_written(out)


@pytest.mark.slow
def test_plain_cookiecutter_prompting_takes_typed_answers_as_plain_values(tmp_path: Path) -> None:
    """Typed answers are not rendered by cookiecutter; the pre-generation hook refuses template syntax in them."""
    done = _cookiecutter("-o", str(tmp_path / "out"), stdin="billing\nx{{7*7}}\n" + "\n" * 20, cwd=tmp_path)
    assert done.returncode == 1
    assert "error: description: 'x{{7*7}}' contains template syntax; answers are plain values" in done.stderr
    assert "x49" not in done.stdout + done.stderr
    _nothing_written(tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("answer", ["_rules=x", "_expand=x", "_scaffold_version=9.9.9"])
def test_plain_cookiecutter_refuses_answers_that_replace_the_scaffolds_own_settings(tmp_path: Path,
                                                                                      answer: str) -> None:
    done = _cookiecutter("--no-input", "-o", str(tmp_path / "out"), answer)
    assert done.returncode == 1
    key = answer.partition("=")[0]
    assert f"error: {key} is a setting of the scaffold, not a question; it cannot be answered" in done.stderr
    _nothing_written(tmp_path / "out")


@pytest.mark.slow
def test_the_sandbox_stops_template_code_that_gets_past_the_guard(tmp_path: Path) -> None:
    """Defence in depth: a default in cookiecutter.json is the scaffold's own string, so the guard lets it through;
    the sandboxed environment still refuses to reach Python internals."""
    template = tmp_path / "template"
    shutil.copytree(ROOT / "scaffolds" / "service", template)
    context = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    context["description"] = "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}"
    (template / "cookiecutter.json").write_text(json.dumps(context, indent=2), encoding="utf-8")
    done = _cookiecutter("--no-input", "-o", str(tmp_path / "out"), template=template, directory=None,
                         cwd=tmp_path)
    assert done.returncode == 1
    assert "access to attribute '__init__' of 'type' object is unsafe" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "MARKER").exists()
    _nothing_written(tmp_path / "out")


@pytest.mark.slow
def test_plain_cookiecutter_renders_nasty_valid_text_like_new(tmp_path: Path) -> None:
    done = _cookiecutter("--no-input", "-o", str(tmp_path / "out"), f"description={NASTY_TEXT}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    catalog = yaml.safe_load((tmp_path / "out" / "orders-api" / "catalog-info.yaml").read_text(encoding="utf-8"))
    assert catalog["metadata"]["description"] == NASTY_TEXT


@pytest.mark.parametrize("name", ["local_extensions.py"])
def test_the_guard_extension_is_one_implementation_named_by_every_scaffold(name: str) -> None:
    copies = {scaffold.name: (scaffold.path / name).read_bytes() for scaffold in SCAFFOLDS.values()}
    assert len(set(copies.values())) == 1, f"{name} differs between scaffolds: keep the copies identical"
    for scaffold in SCAFFOLDS.values():
        assert "local_extensions.AnswerGuard" in scaffold.context()["_extensions"], scaffold.name
