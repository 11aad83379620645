"""The checker of Prometheus's Go template subset: what parses, and the first problem's message and offset."""

from __future__ import annotations

import pytest

from gitops_tools.checks._gotemplate import template_error


@pytest.mark.parametrize("text", [
    "{{ $labels.instance }} is down",
    "{{ $value | humanizePercentage }} of requests fail",
    '{{ printf "%.2f" $value }}s',
    "{{ if gt $value 1.0 }}high{{ else if gt $value 0.5 }}raised{{ else }}low{{ end }}",
    "{{ $x := 1 }}{{ $x }}",
    '{{ with query "up" }}{{ . | first | value }}{{ end }}',
    "{{/* a comment */}}text",
    "{{- $labels.job -}} and {{-  $labels.job  -}}",
    '{{ index $labels "pod-name" }}',
    "{{ .Labels.job }} in {{ $externalLabels.cluster }} at {{ $externalURL }}",
    "no template }} here",
    '{{ reReplaceAll "(.*):.*" "$1" $labels.instance }}',
])
def test_templates_prometheus_accepts_pass(text: str) -> None:
    assert template_error(text) is None


@pytest.mark.parametrize(("text", "message", "at"), [
    ("{{ $labels.pod-name }}", "bad character '-' in an action", "-name"),
    ("{{ $labels.instance }", "bad character '}' in an action", "}"),
    ("{{ $value | humanise }}", "function 'humanise' not defined", "humanise"),
    ("{{ if gt $value 1.0 }}x", "{{if}} has no {{end}}", "{{ if"),
    ("x {{ end }}", "unexpected {{end}}", "end"),
    ("{{ else }}", "unexpected {{else}}", "else"),
    ("{{ $foo }}", "undefined variable '$foo'", "$foo"),
    ('{{ printf "%.2f $value }}', "unterminated quoted string", '"%'),
    ("{{ ($value }}", "unclosed left parenthesis", "($"),
    ("{{ $value) }}", "unexpected right parenthesis", ")"),
    ("{{ }}", "missing value for command", "{{"),
    ("ok {{ $labels.x", "unclosed action: no }}", "{{"),
    ("{{/* open", "unclosed comment", "{{"),
])
def test_the_first_problem_and_its_offset(text: str, message: str, at: str) -> None:
    error = template_error(text)
    assert error is not None
    assert error.message == message
    assert text[error.offset:].startswith(at)
