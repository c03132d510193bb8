"""The Google provider's schema, rebuilt from the npm package ``@cdktf/provider-google``.

The provider binary cannot be downloaded here, but CDKTF's prebuilt bindings
are generated from ``terraform providers schema -json`` and carry, in each
``lib/<type>/index.js`` source map, the generated TypeScript. For every
attribute that source states its name, ``computed``/``optional``/``required``
flags (a ``// name - computed: …`` comment), its type (the getter it uses)
and whether it is a block (``isBlock`` in ``…ToHclTerraform``). This module
reads those back into the ``terraform providers schema -json`` format, which
the stand-in provider serves. Standard library only: it runs before any
environment exists.
"""

from __future__ import annotations

import base64
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVIDER_SOURCE = "registry.terraform.io/hashicorp/google"

_FIELD = re.compile(
    r"^  // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$",
    re.MULTILINE,
)
_EXPORT = re.compile(r"^export (class|function|interface) (\w+)", re.MULTILINE)
_HCL_ENTRY = re.compile(
    r"(\w+): \{\s*value: [^\n]*\n\s*isBlock: (true|false),\s*type: \"(\w+)\",\s*"
    r"storageClassType: \"(\w+)\""
)
_NEW = re.compile(r"new ([\w.]+)\(this, \"(\w+)\"(?:, (true|false))?\)")
_GETTER = re.compile(r"(cdktf\.Fn\.tolist\()?this\.get(\w*)Attribute\('(\w+)'\)")

_SCALAR_GETTERS: dict[str, Any] = {
    "String": "string",
    "Number": "number",
    "Boolean": "bool",
    "List": ["list", "string"],
    "NumberList": ["list", "number"],
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": ["map", "dynamic"],
    "Any": "dynamic",
}
_CDKTF_MAPS: dict[str, Any] = {
    "cdktf.StringMap": ["map", "string"],
    "cdktf.NumberMap": ["map", "number"],
    "cdktf.BooleanMap": ["map", "bool"],
    "cdktf.AnyMap": ["map", "dynamic"],
    "cdktf.StringMapList": ["list", ["map", "string"]],
    "cdktf.NumberMapList": ["list", ["map", "number"]],
    "cdktf.BooleanMapList": ["list", ["map", "bool"]],
    "cdktf.AnyMapList": ["list", ["map", "dynamic"]],
    "cdktf.StringListMap": ["map", ["list", "string"]],
    "cdktf.StringListList": ["list", ["list", "string"]],
    "cdktf.NumberListList": ["list", ["list", "number"]],
    "cdktf.BooleanList": ["list", "bool"],
}
_STORAGE_TYPES: dict[str, Any] = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "stringList": ["list", "string"],
    "numberList": ["list", "number"],
    "stringMap": ["map", "string"],
    "numberMap": ["map", "number"],
    "booleanMap": ["map", "bool"],
}


class SchemaError(RuntimeError):
    """The package does not look like the generated bindings this reader knows."""


@dataclass
class Field:
    name: str
    computed: bool
    optional: bool
    required: bool
    scalar: Any = None  # a cty type, when the field is not complex
    element: str | None = None  # OutputReference class of a complex field
    single: bool = False  # an OutputReference (at most one), not a List
    wraps_set: bool = False


@dataclass
class Source:
    """One generated TypeScript file: its classes and HCL tables."""

    text: str
    sections: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        marks = list(_EXPORT.finditer(self.text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(self.text)
            self.sections[mark.group(2)] = self.text[mark.start() : end]


def _fields(body: str) -> list[Field]:
    marks = list(_FIELD.finditer(body))
    found: list[Field] = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        segment = body[mark.end() : end]
        name = mark.group(1)
        item = Field(
            name, mark.group(2) == "true", mark.group(3) == "true", mark.group(4) == "true"
        )
        new = next((m for m in _NEW.finditer(segment) if m.group(2) == name), None)
        getter = next((m for m in _GETTER.finditer(segment) if m.group(3) == name), None)
        if new is not None and new.group(1) in _CDKTF_MAPS:
            item.scalar = _CDKTF_MAPS[new.group(1)]
        elif new is not None and new.group(1).startswith("cdktf."):
            raise SchemaError(f"unknown cdktf collection {new.group(1)} for {name}")
        elif new is not None:
            cls = new.group(1)
            if cls.endswith("OutputReference"):
                item.element, item.single = cls, True
            elif cls.endswith("List"):
                item.element = cls[: -len("List")] + "OutputReference"
                item.wraps_set = new.group(3) == "true"
            elif cls.endswith("Map"):
                item.element = cls[: -len("Map")] + "OutputReference"
                item.scalar = "map-of-objects"
            else:
                raise SchemaError(f"unknown complex field class {cls} for {name}")
        elif getter is not None:
            kind = getter.group(2)
            if kind not in _SCALAR_GETTERS:
                raise SchemaError(f"unknown getter get{kind}Attribute for {name}")
            cty = _SCALAR_GETTERS[kind]
            if getter.group(1) and isinstance(cty, list) and cty[0] == "list":
                cty = ["set", cty[1]]
            item.scalar = cty
        else:
            # Provider fields and a few write-only ones have no getter call.
            item.scalar = None
        found.append(item)
    return found


def _hcl(section: str) -> dict[str, tuple[bool, str, str]]:
    return {
        m.group(1): (m.group(2) == "true", m.group(3), m.group(4))
        for m in _HCL_ENTRY.finditer(section)
    }


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class Reader:
    """Builds schema blocks from one generated file."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def _hcl_of(self, element: str) -> dict[str, tuple[bool, str, str]]:
        fn = _lower_first(element.removesuffix("OutputReference")) + "ToHclTerraform"
        return _hcl(self.source.sections.get(fn, ""))

    def _class(self, name: str) -> str:
        if name not in self.source.sections:
            raise SchemaError(f"class {name} not found")
        return self.source.sections[name]

    def object_type(self, element: str) -> Any:
        attrs = {}
        hcl = self._hcl_of(element)
        for item in _fields(self._class(element)):
            attrs[item.name] = self.field_type(item, hcl.get(item.name))
        return ["object", attrs]

    def field_type(self, item: Field, hcl: tuple[bool, str, str] | None) -> Any:
        if item.element is None:
            if item.scalar is not None:
                return item.scalar
            if hcl is not None and hcl[2] in _STORAGE_TYPES:
                cty = _STORAGE_TYPES[hcl[2]]
                if hcl[1] == "set" and isinstance(cty, list):
                    return ["set", cty[1]]
                return cty
            raise SchemaError(f"no type for {item.name}")
        obj = self.object_type(item.element)
        if item.scalar == "map-of-objects":
            return ["map", obj]
        if item.single:
            return ["list", obj] if hcl is not None and hcl[0] else obj
        return ["set" if item.wraps_set or (hcl and hcl[1] == "set") else "list", obj]

    def block(self, body: str, hcl: dict[str, tuple[bool, str, str]]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        for item in _fields(body):
            entry = hcl.get(item.name)
            if item.element is None and item.scalar is None and entry is not None and entry[0]:
                continue  # a provider block: read from the HCL table below
            if item.element is not None and entry is not None and entry[0]:
                nested = self.block(self._class(item.element), self._hcl_of(item.element))
                mode = {"set": "set", "struct": "single"}.get(entry[1], "list")
                spec: dict[str, Any] = {"nesting_mode": mode, "block": nested}
                if mode != "single":
                    if item.required:
                        spec["min_items"] = 1
                    if item.single:
                        spec["max_items"] = 1
                block_types[item.name] = spec
                continue
            attr: dict[str, Any] = {"type": self.field_type(item, entry)}
            for flag in ("required", "optional", "computed"):
                if getattr(item, flag):
                    attr[flag] = True
            attributes[item.name] = attr
        # Blocks of the provider configuration have no getters: read the HCL table.
        for name, (is_block, kind, storage) in hcl.items():
            if name in attributes or name in block_types:
                continue
            if is_block:
                fn = _lower_first(storage.removesuffix("List")) + "ToHclTerraform"
                inner = _hcl(self.source.sections.get(fn, ""))
                nested = {
                    "attributes": {
                        k: {"type": _STORAGE_TYPES.get(v[2], "string"), "optional": True}
                        for k, v in inner.items()
                        if not v[0]
                    }
                }
                block_types[name] = {
                    "nesting_mode": "set" if kind == "set" else "list",
                    "block": nested,
                }
            else:
                attributes[name] = {"type": _STORAGE_TYPES.get(storage, "string"), "optional": True}
        return (
            {"attributes": attributes, "block_types": block_types}
            if block_types
            else {"attributes": attributes}
        )


def _typescript(js: str) -> str:
    mark = "sourceMappingURL=data:application/json;base64,"
    at = js.rfind(mark)
    if at < 0:
        raise SchemaError("no inline source map")
    data = json.loads(base64.b64decode(js[at + len(mark) :].strip()))
    return str(data["sourcesContent"][0])


_TYPE_NAME = re.compile(r"public static readonly tfResourceType = \"(\w+)\"")


def read_package(tarball: Path) -> dict[str, Any]:
    """``terraform providers schema -json`` of the provider the tarball was generated from."""
    resources: dict[str, Any] = {}
    data_sources: dict[str, Any] = {}
    provider: dict[str, Any] | None = None
    version = None
    texts: dict[str, list[str]] = {}
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.name == "package/package.json":
                meta = json.loads(tar.extractfile(member).read())  # type: ignore[union-attr]
                version = meta["cdktf"]["provider"]["version"]
            parts = member.name.split("/")
            # Big types spread their structs over lib/<type>/index-structs/*.js.
            if len(parts) >= 4 and parts[1] == "lib" and member.name.endswith(".js"):
                js = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
                if "sourceMappingURL=data:" in js:
                    texts.setdefault(parts[2], []).append(_typescript(js))
    for chunks in texts.values():
        source = Source("\n".join(chunks))
        reader = Reader(source)
        for section in source.sections.values():
            head = section.split("\n", 1)[0]
            if "extends cdktf.TerraformProvider" in head:
                hcl = _hcl(section[section.find("synthesizeHclAttributes") :])
                provider = {"version": 0, "block": reader.block(section, hcl)}
                continue
            kind = "resource" if "extends cdktf.TerraformResource" in head else None
            kind = "data" if "extends cdktf.TerraformDataSource" in head else kind
            type_name = _TYPE_NAME.search(section)
            if kind is None or type_name is None:
                continue
            hcl = _hcl(section[section.find("synthesizeHclAttributes") :])
            schema = {"version": 0, "block": reader.block(section, hcl)}
            (resources if kind == "resource" else data_sources)[type_name.group(1)] = schema
    if provider is None or version is None:
        raise SchemaError(f"{tarball.name}: no provider class or version found")
    return {
        "format_version": "1.0",
        "provider_versions": {PROVIDER_SOURCE: version},
        "provider_schemas": {
            PROVIDER_SOURCE: {
                "provider": provider,
                "resource_schemas": resources,
                "data_source_schemas": data_sources,
            }
        },
    }


if __name__ == "__main__":
    import sys

    out = read_package(Path(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(out, sort_keys=True), encoding="utf-8")
    body = out["provider_schemas"][PROVIDER_SOURCE]
    print(
        len(body["resource_schemas"]),
        "resources,",
        len(body["data_source_schemas"]),
        "data sources",
    )
