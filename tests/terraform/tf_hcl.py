"""Parsed Terraform for the HCL tests: every root and module under terraform/.

python-hcl2 keeps HCL's quoting (labels and string literals come back as
'"name"', expressions as '${...}'); ``normalise`` turns both into one form, a
template string: literals are plain text, references stay as ``${...}``.
``Scope`` resolves the ``local.*`` references of a module against the files
they read (pipeline.json), so tests compare what Terraform would compute.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
PIPELINE_JSON = ROOT / "libs/common/src/dropcast_common/pipeline.json"


def normalise(value: Any) -> Any:
    """Strip python-hcl2's quoting and bookkeeping keys, recursively."""
    if isinstance(value, dict):
        return {
            normalise(k): normalise(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("__"))
        }
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


@dataclass
class Config:
    """One Terraform directory: its blocks by kind, merged over all its .tf files."""

    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    variable_order: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    output_order: dict[str, list[str]] = field(default_factory=dict)
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.relative_to(TERRAFORM).as_posix()

    def resources_of(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(kind, {})


def parse_dir(path: Path) -> Config:
    """Parse every .tf file of a directory (not its subdirectories)."""
    config = Config(path=path)
    for tf in sorted(path.glob("*.tf")):
        with tf.open(encoding="utf-8") as handle:
            doc = normalise(hcl2.load(handle))
        for block in doc.get("variable", []):
            for name, body in block.items():
                config.variables[name] = body
                config.variable_order.setdefault(tf.name, []).append(name)
        for block in doc.get("output", []):
            for name, body in block.items():
                config.outputs[name] = body
                config.output_order.setdefault(tf.name, []).append(name)
        for block in doc.get("resource", []):
            for kind, named in block.items():
                config.resources.setdefault(kind, {}).update(named)
        for block in doc.get("data", []):
            for kind, named in block.items():
                config.data.setdefault(kind, {}).update(named)
        for block in doc.get("module", []):
            config.modules.update(block)
        for block in doc.get("locals", []):
            config.locals.update(block)
        config.terraform += doc.get("terraform", [])
    return config


def terraform_dirs() -> list[Path]:
    """Every directory with .tf files: modules, environment roots, bootstrap."""
    return sorted({tf.parent for tf in TERRAFORM.rglob("*.tf") if ".terraform" not in tf.parts})


def module_dirs() -> list[Path]:
    return sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())


def env_dirs() -> list[Path]:
    """Environment roots (envs/_shared holds the files they link, and is no root)."""
    return sorted(
        p for p in (TERRAFORM / "envs").iterdir() if p.is_dir() and not p.name.startswith("_")
    )


INTERPOLATION = re.compile(r"\$\{")


def interpolations(template: str) -> list[tuple[int, int, str]]:
    """(start, end, expression) of each top-level ${...} in a template."""
    found: list[tuple[int, int, str]] = []
    for match in INTERPOLATION.finditer(template):
        start = match.start()
        if found and start < found[-1][1]:
            continue
        depth, i = 0, match.end() - 1
        while i < len(template):
            depth += {"{": 1, "}": -1}.get(template[i], 0)
            if depth == 0:
                break
            i += 1
        found.append((start, i + 1, template[match.end() : i]))
    return found


class Scope:
    """Resolves ``local.*`` references of one module; other references stay symbolic."""

    REF = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
    JSONFILE = re.compile(r'^jsondecode\(file\("\$\{path\.module\}/([^"]+)"\)\)$')

    def __init__(
        self,
        config: Config,
        inputs: dict[str, Any] | None = None,
        each: tuple[str, Any] | None = None,
    ) -> None:
        self.config = config
        # each.key / each.value of one instance of a for_each module call.
        self.each = each
        # var.definition is pipeline.json: what every environment root passes
        # (test_the_pipeline_module_is_given_the_one_definition checks that).
        if inputs is None and "definition" in config.variables:
            inputs = {"definition": json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))}
        self.inputs = inputs or {}

    def value(self, template: Any) -> Any:
        """A template's value: a single reference resolves to any type, else a string."""
        if not isinstance(template, str):
            return template
        parts = interpolations(template)
        if len(parts) == 1 and parts[0][0] == 0 and parts[0][1] == len(template):
            return self.expression(parts[0][2])
        out, last = [], 0
        for start, end, expr in parts:
            out.append(template[last:start])
            resolved = self.expression(expr)
            out.append(resolved if isinstance(resolved, str) else json.dumps(resolved))
            last = end
        out.append(template[last:])
        return "".join(out)

    def expression(self, expr: str) -> Any:
        expr = expr.strip()
        match = self.JSONFILE.match(expr)
        if match:
            path = (self.config.path / match.group(1)).resolve()
            return json.loads(path.read_text(encoding="utf-8"))
        if expr == "each.key" and self.each is not None:
            return self.each[0]
        if (
            expr.startswith("local.")
            or (expr.startswith("each.value") and self.each)
            or (expr.startswith("var.") and expr[4:].split(".")[0].split("[")[0] in self.inputs)
        ):
            value, rest = self._path(expr)
            if rest.strip():
                raise ValueError(f"cannot evaluate {expr!r}")
            return value
        return f"<{expr}>"

    def _path(self, expr: str) -> tuple[Any, str]:
        """Resolve local.a.b[ref].c at the start of expr; return (value, rest)."""
        if expr.startswith("each.value"):
            assert self.each is not None
            value, i = self.each[1], len("each.value")
        else:
            prefix = "var." if expr.startswith("var.") else "local."
            head = self.REF.match(expr, len(prefix))
            if head is None:
                raise ValueError(expr)
            if prefix == "var.":
                value = self.inputs[head.group(0)]
            else:
                value = self.value(self.config.locals[head.group(0)])
            i = head.end()
        while i < len(expr) and expr[i] in ".[":
            if expr[i] == ".":
                name = self.REF.match(expr, i + 1)
                if name is None:
                    raise ValueError(expr)
                value, i = value[name.group(0)], name.end()
            else:
                close, depth = i, 0
                for close in range(i, len(expr)):  # the matching bracket, nesting allowed
                    depth += {"[": 1, "]": -1}.get(expr[close], 0)
                    if depth == 0:
                        break
                inner = expr[i + 1 : close].strip()
                key = inner[1:-1] if inner.startswith('"') else self.expression(inner)
                value, i = value[key], close + 1
        # A local's attribute can itself be a template (a map of strings).
        if isinstance(value, str) and "${" in value:
            value = self.value(value)
        return value, expr[i:]
