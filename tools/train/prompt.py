"""The prompt template, rendered exactly as src/core/prompt.ts renders it.

The template text lives in src/core/prompt-template.json (and in each model
folder); this file only knows how to fill it. Placeholders are substituted by
splitting on them, as in TypeScript, so titles are inserted literally.

    python3 tools/train/prompt.py TEMPLATE.json FIXTURE.json   # prints JSON renderings (used by the tests)
"""
import json
import sys


def load_template(path):
    with open(path, encoding="utf-8") as f:
        template = json.load(f)
    if template.get("format") != "l2d-prompt-template" or template.get("version") != 1:
        raise ValueError(f"{path}: not an L2D prompt template of version 1")
    for field, placeholder in (("instruction", "{history}"), ("historyItem", "{title}"), ("response", "{title}")):
        if len(template[field].split(placeholder)) != 2:
            raise ValueError(f'{path}: "{field}" must contain {placeholder} exactly once')
    window = template.get("maxHistory", 1)
    if type(window) is not int or window < 1:
        raise ValueError(f'{path}: "maxHistory" must be a whole number of titles, at least 1, got {json.dumps(window)}')
    return template


def _fill(text, placeholder, value):
    return value.join(text.split(placeholder))


def render_prompt(titles, template):
    if not titles:
        raise ValueError("The history is empty: a prompt needs at least one item title.")
    history = template["historySeparator"].join(_fill(template["historyItem"], "{title}", t) for t in titles)
    return _fill(template["instruction"], "{history}", history)


def render_response(title, template):
    return _fill(template["response"], "{title}", title)


if __name__ == "__main__":
    template = load_template(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        fixture = json.load(f)
    out = [{"prompt": render_prompt(c["history"], template), "response": render_response(c["target"], template)} for c in fixture]
    sys.stdout.write(json.dumps(out, ensure_ascii=False))
