"""Rendering: Jinja2 and Helicone's typed ``{{hc:name:type}}`` variables, errors, the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite import OptionsError
from helicone_lite.prompts import PromptError, PromptRegistry


def render(registry: PromptRegistry, content: Any, inputs: dict[str, Any], **params: Any) -> Any:
    registry.create("t", messages=[{"role": "user", "content": content}], **params)
    messages, stored = registry.compiled(registry.get("t")).render(inputs)
    return (messages[0]["content"], stored) if params else messages[0]["content"]


@pytest.mark.parametrize(
    ("template", "inputs", "expected"),
    [
        ("Hi {{hc:name:string}}!", {"name": "Ada"}, "Hi Ada!"),
        ("{{ hc : name : string }}", {"name": "Ada"}, "Ada"),  # spaces, as Helicone allows
        ("{{hc:user-name:string}}", {"user-name": "Ada"}, "Ada"),  # dashes, as Helicone allows
        ("n={{hc:n:string}}", {"n": 7}, "n=7"),  # a scalar is a fine string
        ("age {{hc:age:number}}", {"age": 54}, "age 54"),
        ("age {{hc:age:number}}", {"age": "54"}, "age 54"),  # numeric text, as Helicone
        ("t={{hc:t:number}}", {"t": 0.5}, "t=0.5"),
        ("t={{hc:t:number}}", {"t": 0}, "t=0"),  # falsy but present
        ("flag {{hc:ok:boolean}}", {"ok": True}, "flag true"),
        ("flag {{hc:ok:boolean}}", {"ok": False}, "flag false"),
        ("flag {{hc:ok:boolean}}", {"ok": "Yes"}, "flag true"),
        ("{{hc:data:object}}", {"data": {"a": [1, 2]}}, '{"a": [1, 2]}'),  # custom: JSON
        ("{{ name | upper }}", {"name": "ada"}, "ADA"),  # plain Jinja
        ("{% for s in symptoms %}- {{ s }}\n{% endfor %}", {"symptoms": ["a", "b"]}, "- a\n- b\n"),
        ("{% if urgent %}NOW{% else %}later{% endif %}", {"urgent": False}, "later"),
        ("{% if note is defined %}{{ note }}{% endif %}.", {}, "."),
        ("{{ patient.name }}", {"patient": {"name": "Ada"}}, "Ada"),
        ("<b>{{ x }}</b>", {"x": "<i>&"}, "<b><i>&</b>"),  # no HTML escaping
        ("{{ x }}", {"x": "{{ 7 * 7 }}"}, "{{ 7 * 7 }}"),  # an input's value is never a template
        ("{{hc:x:string}}", {"x": "{% include 'a' %}"}, "{% include 'a' %}"),
        ("plain text, no template", {}, "plain text, no template"),
        ("keeps the last newline\n", {}, "keeps the last newline\n"),
    ],
)
def test_rendering(
    registry: PromptRegistry, template: str, inputs: dict[str, Any], expected: str
) -> None:
    assert render(registry, template, inputs) == expected


def test_text_parts_and_typed_values_in_tools(registry: PromptRegistry) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "pick",
                "description": "Pick up to {{hc:n:number}} items for {{ who }}",
                "parameters": {"type": "array", "maxItems": "{{hc:n:number}}"},
            },
        }
    ]
    parts = [
        {"type": "text", "text": "Look at this, {{ who }}"},
        {"type": "image_url", "image_url": {"url": "https://example.invalid/{{ who }}.png"}},
    ]
    content, params = render(registry, parts, {"n": "3", "who": "Ada"}, tools=tools)
    assert content[0]["text"] == "Look at this, Ada"
    assert content[1]["image_url"]["url"] == "https://example.invalid/{{ who }}.png"  # not text
    function = params["tools"][0]["function"]
    assert function["parameters"]["maxItems"] == 3  # a whole-string variable keeps its type
    assert function["description"] == "Pick up to 3 items for Ada"


@pytest.mark.parametrize(
    ("template", "inputs", "match"),
    [
        ("{{hc:department:string}}", {}, "missing input 'department'"),
        ("{{hc:a:string}} {{hc:b:number}}", {}, "missing inputs 'a', 'b'"),
        ("{{hc:a:string}}", {"a": None}, "missing input 'a'"),
        ("{{ symptoms }}", {"age": 3}, r"missing input 'symptoms' .*inputs given: age"),
        ("{{ patient.name }}", {"patient": {}}, "has no attribute 'name'"),
        ("{{hc:age:number}}", {"age": "forty"}, r"'age' must be a number .*'forty' \(str\)"),
        ("{{hc:age:number}}", {"age": True}, "'age' must be a number"),
        ("{{hc:age:number}}", {"age": float("nan")}, "'age' must be a number"),
        ("{{hc:ok:boolean}}", {"ok": "maybe"}, "'ok' must be a boolean"),
        ("{{hc:ok:boolean}}", {"ok": 1}, "'ok' must be a boolean"),
        ("{{hc:name:string}}", {"name": {"first": "Ada"}}, "'name' must be a string"),
        ("{{hc:name:string}}", {"name": ["Ada"]}, "'name' must be a string"),
        ("{{ 1 / 0 }}", {}, "ZeroDivisionError"),
    ],
)
def test_input_errors_name_prompt_version_and_variable(
    registry: PromptRegistry, template: str, inputs: dict[str, Any], match: str
) -> None:
    with pytest.raises(PromptError, match=match) as info:
        render(registry, template, inputs)
    assert str(info.value).startswith("prompt 't' version 1")
    assert isinstance(info.value, OptionsError)


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].listdir('/') }}",
    "{{ range.__self__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ ''['__class__'] }}",
    "{{ self.__dict__ }}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ x.__class__.__init__.__globals__ }}",
    "{{ 'a' * 10 * 1000000 }}",
    "{{ [0] * 100000000 }}",
    "{{ 2 ** 10000000 }}",
    "{% for i in range(100000000) %}{% endfor %}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_sandbox_escapes_are_refused(registry: PromptRegistry, template: str) -> None:
    class Data:
        pass

    with pytest.raises(PromptError) as info:
        render(registry, template, {"x": Data()})
    assert "prompt 't' version 1" in str(info.value)


@pytest.mark.parametrize(
    "template",
    [
        "{% include '/etc/hostname' %}",
        "{% import '/etc/hostname' as h %}",
        "{% extends '/etc/passwd' %}",
    ],
)
def test_templates_cannot_read_files(registry: PromptRegistry, template: str) -> None:
    with pytest.raises(PromptError, match="cannot load other templates"):
        registry.create("files", messages=[{"role": "user", "content": template}])
