"""A scaffold's questions, asked and checked one at a time, in cookiecutter's order.

cookiecutter's own prompting checks nothing until the last answer is in, and renders every default it offers, even
one derived from an answer that turns out invalid. Here the questions are read from the scaffold's cookiecutter.json,
each default is rendered from the answers before it (with cookiecutter's own environment, the scaffold's extension
included), and each answer is checked by the scaffold's own rules (its pre-generation hook) as it is given: a bad
one is asked again, with the rule. Answers are plain values: none is ever rendered as a template. cookiecutter then
renders with every answer given and no prompts.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, BinaryIO, Protocol, TextIO

from gitops_tools.scaffold import Scaffold, ScaffoldError


class Prompt(Protocol):
    """Where questions go and answers come from (a terminal); injected, so library code never prints."""

    def ask(self, text: str) -> str | None:
        """Show `text` and return the line typed, without its line break; None once input has ended."""

    def tell(self, text: str) -> None:
        """Show a line (a rejected answer's reason)."""


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    choices: tuple[str, ...]
    rule: str | None
    rule_text: str | None
    default: str  # rendered from the answers before it (the first choice of a choice question)
    offered: bool  # the default is valid under its rule, so it may be offered (derived ones may not be)
    derived: bool  # the default is a template: it follows earlier answers

    def heading(self, number: int, total: int) -> str:
        return f"[{number}/{total}] {self.text}"


class _Rules:
    """The scaffold's pre-generation hook, imported: its answer checks, typed."""

    def __init__(self, scaffold: Scaffold) -> None:
        self.module = _load(scaffold, "hooks/pre_gen_project.py", "answers")

    def problems(self, answers: Mapping[str, Any]) -> list[str]:
        return [str(message) for message in self.module.problems(dict(answers))]

    def answer_problems(self, key: str, answers: Mapping[str, Any]) -> list[str]:
        return [str(message) for message in self.module.answer_problems(key, dict(answers))]

    def describe(self, spec: str) -> str:
        return str(self.module.describe(spec))


def resolve_answers(scaffold: Scaffold, given: Mapping[str, str], prompt: Prompt | None) -> dict[str, str]:
    """Every question's answer: given, else typed at `prompt` (checked as typed), else (no prompt) its default.
    Raises ScaffoldError listing every invalid answer; nothing is rendered before all are valid."""
    context = scaffold.context()
    settings = {key: value for key, value in context.items() if key.startswith("_") and not key.startswith("__")}
    keys = [key for key in context if not key.startswith("_")]
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise ScaffoldError(f"{scaffold.name} has no question {', '.join(map(repr, unknown))}")
    rules = _Rules(scaffold)
    alone = [message for key, value in given.items()
             for message in _given_problems(key, value, context[key], settings, rules)]
    if alone:
        raise _invalid(alone)
    answers: dict[str, str] = {}
    for number, question in enumerate(_questions(scaffold, context, rules, answers), 1):
        if question.key in given:
            answers[question.key] = given[question.key]
        elif prompt is not None:
            answers[question.key] = _ask(question, number, len(keys), prompt, rules, {**settings, **given, **answers})
        else:
            answers[question.key] = question.default
    found = rules.problems({**settings, **answers})
    if found:
        raise _invalid(found)
    return answers


def _invalid(problems: list[str]) -> ScaffoldError:
    return ScaffoldError(problems[0]) if len(problems) == 1 else ScaffoldError("invalid answers:",
                                                                               details=tuple(problems))


def questions(scaffold: Scaffold) -> list[Question]:
    """The questions in cookiecutter's order, each default rendered from the defaults before it."""
    context = scaffold.context()
    answers: dict[str, str] = {}
    listed = []
    for question in _questions(scaffold, context, _Rules(scaffold), answers):
        listed.append(question)
        answers[question.key] = question.default
    return listed


def _questions(scaffold: Scaffold, context: dict[str, Any], rules: _Rules,
               answers: dict[str, str]) -> Iterator[Question]:
    """Yield each question with its default rendered from `answers` as they stand (the caller fills them in),
    rendering the `__` private variables in their place as cookiecutter does."""
    from cookiecutter.prompt import render_variable

    environment = _environment(scaffold, context)
    settings = {key: value for key, value in context.items() if key.startswith("_") and not key.startswith("__")}
    prompts = context.get("__prompts__", {})
    rendered: dict[str, Any] = {}
    for key, raw in context.items():
        if key == "__prompts__":
            continue
        if key.startswith("_"):
            rendered[key] = render_variable(environment, raw, {**rendered, **answers}) if key.startswith("__") else raw
            continue
        if isinstance(raw, (dict, bool)):
            raise ScaffoldError(f"{scaffold.name}: question {key!r} is a {type(raw).__name__}; gitops-tools new "
                                "asks text and choice questions only")
        spec = settings.get("_rules", {}).get(key)
        text = prompts.get(key) if isinstance(prompts.get(key), str) else key
        if isinstance(raw, list):
            choices = tuple(str(render_variable(environment, choice, {**rendered, **answers})) for choice in raw)
            if not choices:
                raise ScaffoldError(f"{scaffold.name}: question {key!r} has no choices")
            default, offered = choices[0], True
        else:
            choices, default = (), str(render_variable(environment, raw, {**rendered, **answers}))
            offered = not rules.answer_problems(key, {**settings, **answers, key: default})
        yield Question(key, str(text), choices, spec, rules.describe(spec) if spec else None, default, offered,
                       isinstance(raw, str) and "{" in raw)


def _given_problems(key: str, value: str, raw: Any, settings: dict[str, Any], rules: _Rules) -> list[str]:
    if isinstance(raw, list):
        return [] if value in raw else [f"{key}: {value!r} is not one of the choices {', '.join(map(str, raw))}"]
    return rules.answer_problems(key, {**settings, key: value})


def _ask(question: Question, number: int, total: int, prompt: Prompt, rules: _Rules,
         before: dict[str, Any]) -> str:
    """Ask until the answer is valid; an empty line takes the default, if one is offered."""
    options = f" ({', '.join(f'{i}: {choice}' for i, choice in enumerate(question.choices, 1))})" \
        if question.choices else ""
    shown = f" [{question.default}]" if question.offered else ""
    while True:
        typed = prompt.ask(f"{question.heading(number, total)}{options}{shown}: ")
        if typed is None:
            raise ScaffoldError(f"input ended before {question.key} was answered; nothing was written")
        value = typed if typed or not question.offered else question.default
        found = _typed_problems(question, value, rules, before)
        if not found:
            return _choice(question, value)
        for message in found:
            prompt.tell(f"  invalid: {message}")
        prompt.tell(f"  rule: {question.rule_text or 'one of ' + ', '.join(question.choices)}; try again")


def _typed_problems(question: Question, value: str, rules: _Rules, before: dict[str, Any]) -> list[str]:
    if question.choices:
        if _choice(question, value) in question.choices:
            return []
        return [f"{question.key}: {value!r} is not one of the choices {', '.join(question.choices)}"]
    answers = {k: v for k, v in before.items() if k != question.key}
    return rules.answer_problems(question.key, {**answers, question.key: value})


def _choice(question: Question, value: str) -> str:
    """A choice by name or by its number."""
    if question.choices and value.isascii() and value.isdigit() and 1 <= int(value) <= len(question.choices):
        return question.choices[int(value) - 1]
    return value


def _environment(scaffold: Scaffold, context: dict[str, Any]) -> Any:
    """cookiecutter's environment for this scaffold. Its own extensions (`module.Class` with `module.py` beside
    cookiecutter.json) are loaded from their file, not through sys.path, so two scaffolds never share a module."""
    from cookiecutter.utils import create_env_with_context

    names = [str(name) for name in context.get("_extensions", [])]
    environment = create_env_with_context({"cookiecutter": {k: v for k, v in context.items() if k != "_extensions"}})
    for name in names:
        module_name, _, attribute = name.rpartition(".")
        if (scaffold.path / f"{module_name}.py").is_file():
            environment.add_extension(getattr(_load(scaffold, f"{module_name}.py", module_name), attribute))
        else:
            environment.add_extension(name)
    return environment


def _load(scaffold: Scaffold, relative: str, role: str) -> ModuleType:
    path = scaffold.path / relative
    spec = importlib.util.spec_from_file_location(f"{scaffold.name.replace('-', '_')}_{role}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ScaffoldError(f"scaffold {scaffold.name} has no {relative}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def terminal_prompt(stdin: BinaryIO | None, out: TextIO, *, no_input: bool) -> StreamPrompt | None:
    """The prompt of a command run at a terminal (its input and output both one), unless `--no-input`: None
    elsewhere, so defaults answer what was not given."""
    if no_input or stdin is None or not stdin.isatty() or not out.isatty():
        return None
    return StreamPrompt(stdin, out)


class StreamPrompt:
    """Questions written to `out`, answers read a line at a time from `answers` (a terminal, as bytes)."""

    def __init__(self, answers: BinaryIO, out: TextIO) -> None:
        self.answers, self.out = answers, out

    def ask(self, text: str) -> str | None:
        self.out.write(text)
        self.out.flush()
        line = self.answers.readline()
        if not line:
            self.out.write("\n")
            return None
        return line.decode("utf-8", errors="surrogateescape").removesuffix("\n").removesuffix("\r")

    def tell(self, text: str) -> None:
        self.out.write(text + "\n")


def listing(scaffold: Scaffold) -> str:
    """Every question with its rule (or choices) and default, in the order `new` asks them."""
    found = questions(scaffold)
    lines = [f"{scaffold.name} {scaffold.version}: {len(found)} questions, in the order they are asked "
             "(answer with --set KEY=VALUE)"]
    for question in found:
        lines.append(f"{question.key}  {question.text}")
        if question.choices:
            lines.append(f"    choices: {', '.join(question.choices)}")
        else:
            lines.append(f"    rule: {question.rule_text or 'any one line of text'}")
        derived = " (derived from the answers before it)" if question.derived else ""
        lines.append(f"    default: {question.default}{derived}")
    return "\n".join(lines) + "\n"
