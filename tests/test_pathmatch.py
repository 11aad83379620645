"""Glob semantics for excludes and file targets: `*` stays in a folder, `**` crosses, a folder covers its tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_tools.pathmatch import Globs, _matches, _segments

CASES = [
    # `*` matches within one folder name only
    ("*.yaml", "a.yaml", True),
    ("*.yaml", "dir/a.yaml", False),
    ("*.yaml", "a.yml", False),
    ("apps/*.yaml", "apps/web.yaml", True),
    ("apps/*.yaml", "apps/web/deploy.yaml", False),
    ("apps/*/deploy.yaml", "apps/web/deploy.yaml", True),
    ("apps/*/deploy.yaml", "apps/web/prod/deploy.yaml", False),
    ("apps/*", "apps/web/prod/deploy.yaml", True),  # `apps/web` matches, and so does everything under it
    ("web-*", "web-prod/deploy.yaml", True),
    ("web-*", "api-prod/deploy.yaml", False),
    # `?` is one character, never a slash
    ("v?.yaml", "v1.yaml", True),
    ("v?.yaml", "v12.yaml", False),
    ("a?b.yaml", "a/b.yaml", False),
    # `**` crosses folders, including none
    ("**/*.yaml", "a.yaml", True),
    ("**/*.yaml", "x/y/z/a.yaml", True),
    ("**/*.yaml", "x/y/z/a.json", False),
    ("apps/**/deploy.yaml", "apps/deploy.yaml", True),
    ("apps/**/deploy.yaml", "apps/web/prod/deploy.yaml", True),
    ("apps/**/deploy.yaml", "other/web/deploy.yaml", False),
    ("apps/**", "apps/web/deploy.yaml", True),
    ("apps/**", "applications/deploy.yaml", False),
    ("**", "anything/at/all.yaml", True),
    ("**/node_modules", "a/b/node_modules/x/y.yaml", True),
    # a folder pattern matches everything under it, but not a longer sibling name
    ("vendor", "vendor/x.yaml", True),
    ("vendor", "vendor/a/b/c.yaml", True),
    ("vendor", "vendor", True),
    ("vendor", "vendored/x.yaml", False),
    ("vendor", "apps/vendor/x.yaml", False),  # anchored at the root: `**/vendor` for any depth
    ("vendor/", "vendor/x.yaml", True),
    ("apps/web", "apps/web/deploy.yaml", True),
    ("apps/web", "apps/web-canary/deploy.yaml", False),
    # `./` prefixes on the pattern or the path are ignored
    ("./apps/*.yaml", "apps/web.yaml", True),
    ("./vendor", "vendor/x.yaml", True),
    ("apps/*.yaml", "./apps/web.yaml", True),
    ("./apps", "./apps/web.yaml", True),
    ("/apps", "apps/web.yaml", True),
    # everything else is literal, never regular-expression syntax
    ("a+b.yaml", "a+b.yaml", True),
    ("a+b.yaml", "aab.yaml", False),
    ("file.yaml", "fileXyaml", False),
    ("[ab].yaml", "a.yaml", False),
    ("[ab].yaml", "[ab].yaml", True),
    ("(x)|y", "y", False),
    ("a{b,c}", "ab", False),
    # exact match
    ("apps/web/deploy.yaml", "apps/web/deploy.yaml", True),
    ("apps/web/deploy.yaml", "apps/web/deploy.yaml.bak", False),
    ("apps/web/deploy.yaml", "x/apps/web/deploy.yaml", False),
]


@pytest.mark.parametrize(("pattern", "path", "matches"), CASES, ids=[f"{p}~{q}" for p, q, _ in CASES])
def test_glob(pattern: str, path: str, matches: bool) -> None:
    assert Globs([pattern]).match(path) is matches


@pytest.mark.parametrize(
    ("path", "matches"),
    [("vendor/x.yaml", True), ("apps/a.gen.yaml", True), ("apps/a.yaml", False), ("charts/x/templates/a.yaml", True)],
)
def test_any_of_several_patterns(path: str, matches: bool) -> None:
    globs = Globs(["vendor", "**/*.gen.yaml", "charts/*/templates"])
    assert globs.match(path) is matches


def test_no_patterns_match_nothing() -> None:
    globs = Globs([])
    assert not globs.match("")
    assert not globs.match("a.yaml")
    assert Globs(["a"]).match("a")


def test_patterns_are_kept_in_order() -> None:
    assert Globs(iter(["b", "a"])).patterns == ("b", "a")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        pytest.param("**/" * 50 + "x.yaml", "/".join(["d"] * 500) + "/y.yaml", id="globstars"),
        pytest.param("/".join(["**", "d"] * 40) + "/x.yaml", "/".join(["d"] * 500) + "/y.yaml", id="globstar-pairs"),
        pytest.param("*a" * 30 + "b", "a" * 250, id="stars-in-one-name"),
        pytest.param("/".join(["*"] * 60) + "/x.yaml", "/".join(["d"] * 500), id="many-single-stars"),
    ],
)
def test_hostile_patterns_from_a_config_match_in_bounded_time(pattern: str, path: str) -> None:
    """As regular expressions these backtrack exponentially (a run took minutes); segment matching is polynomial."""
    assert Globs([pattern]).match(path) is False


_PATTERN_PART = st.sampled_from(["**", "*", "?", "a", "b", "a*", "*b", "a?b", "*.ab", ".ab", "x*a*"])
_PATH_PART = st.text(alphabet="ab.x", min_size=1, max_size=4)


@settings(max_examples=2000, deadline=None)
@given(pattern=st.lists(_PATTERN_PART, min_size=1, max_size=4), path=st.lists(_PATH_PART, min_size=1, max_size=4))
def test_the_literal_prefilters_never_change_a_verdict(pattern: list[str], path: list[str]) -> None:
    """Globs skips a pattern whose literal names or longest literal run are not in the path: only a shortcut, so the
    verdict is the segment matcher's alone."""
    text, name = "/".join(pattern), "/".join(path)
    expected = _matches(_segments(text), name.removeprefix("./").split("/"))
    assert Globs([text]).match(name) is expected
