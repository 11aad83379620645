"""The answers a scaffold is tested with, from its own data: every combination of its choices, then each set of
`_test_answers` in its cookiecutter.json (answers no choice reaches: one environment, an SSH URL, a long list).

A variant holds only the answers that differ from the defaults (the all-defaults combination holds none), so what
a variant tests is plain from its name and its answers. The answers are checked by the scaffold's own rules when it
is rendered, like any answers given to `gitops-tools new`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from gitops_tools.errors import ConfigError

TEST_ANSWERS = "_test_answers"


@dataclass(frozen=True)
class Variant:
    name: str  # the choices joined by "-" (python-github-ingress), or _test_answers[N]
    answers: dict[str, str]  # the answers that differ from the defaults


def variants(context: dict[str, Any], where: str) -> list[Variant]:
    """The variants of the scaffold whose cookiecutter.json holds `context`; `where` names that file in errors."""
    questions = [key for key in context if not key.startswith("_")]
    choices = {key: [str(item) for item in context[key]] for key in questions if isinstance(context[key], list)}
    found = []
    for combination in itertools.product(*choices.values()):
        picked = dict(zip(choices, combination, strict=True))
        name = "-".join(combination) or "defaults"
        found.append(Variant(name, {key: value for key, value in picked.items() if value != choices[key][0]}))
    return found + _test_answers(context.get(TEST_ANSWERS, []), set(questions), where)


def _test_answers(data: Any, questions: set[str], where: str) -> list[Variant]:
    if not isinstance(data, list):
        raise ConfigError(f"{where}: {TEST_ANSWERS} must be a list of mappings of question to answer")
    found = []
    for number, answers in enumerate(data):
        name = f"{TEST_ANSWERS}[{number}]"
        if not isinstance(answers, dict) or not answers:
            raise ConfigError(f"{where}: {name} must be a non-empty mapping of question to answer")
        unknown = sorted(key for key in answers if key not in questions)
        if unknown:
            raise ConfigError(f"{where}: {name} answers {', '.join(map(repr, unknown))}, which the scaffold does not "
                              "ask")
        if not all(isinstance(value, str) for value in answers.values()):
            raise ConfigError(f"{where}: {name} must give every answer as a string")
        found.append(Variant(name, dict(answers)))
    return found
