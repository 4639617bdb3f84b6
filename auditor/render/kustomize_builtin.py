"""A kustomize build in Python, for the fields that matter for scale, used when no kustomize (or kubectl) binary
is found, and always for provenance: which file and line each rendered field comes from.

Covered: `resources`/`bases` (files and kustomization directories, recursively), `components`, `namespace`,
`namePrefix`/`nameSuffix` (and the references they rename: ConfigMaps and Secrets in env, envFrom and volumes,
Services in Ingresses, scale targets… per knowledge/kustomize.yaml; Service selectors stay as they are),
`commonLabels`/`labels`, `commonAnnotations`, `images` (newName, newTag, digest), `replicas`, strategic-merge
patches (maps merged, lists of containers, env, volumes, ports… merged by their key, `$patch: delete|replace`,
null deletes) and JSON 6902 patches (add, replace, remove; target by kind, name, namespace, labels), in
kustomize's order: patches, namespace, prefix/suffix, labels, annotations, JSON 6902, replicas, images.
Any other field is a note naming it; the rest is still rendered.

Every object carries `where`: for each path in it (keys; list items by `name`, else by index) the file and line
that set it last: the base document, then each patch or kustomization field that changed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Diagnostic, Location
from auditor.parsers.numbers import digits
from auditor.parsers.yaml_source import YList, YMap, load_documents
from auditor.render.kustomize_walk import Kustomization, Walk, inline, rules, shown

MAX_OBJECTS = 5_000  # objects in one overlay
MAX_PATCHES = 2_000  # patch documents and JSON 6902 operations applied in one overlay
MAX_STEPS = 1_000  # kustomizations applied in one overlay (a base reached along many paths is applied per path)
_SIMPLE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,253}$")
_GLOB_NAME = re.compile(r"^[A-Za-z0-9_.:*-]{1,253}$")

Path_ = tuple[Any, ...]  # a path in an object: keys, and ("name", value) or an index for list items


class BuildError(Exception):
    """A bound reached: the overlay is not rendered."""


@dataclass
class Obj:
    """One object being built: its content, the document it came from, and where each path was set."""

    body: dict[str, Any]
    origin: Location
    where: dict[Path_, Location]
    names: list[str] = field(default_factory=list)  # every name it has had, the current one last

    @property
    def kind(self) -> str:
        return str(self.body.get("kind") or "")

    @property
    def name(self) -> str:
        return str(_dig(self.body, "metadata", "name") or "")

    @property
    def namespace(self) -> str:
        return str(_dig(self.body, "metadata", "namespace") or "")


@dataclass
class Build:
    objects: list[Obj] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)


def build(walk: Walk, directory: str) -> Build:
    """The objects the kustomization in `directory` renders to (the walk has accepted it and all it reaches)."""
    builder = _Builder(walk)
    try:
        objects = builder.accumulate(directory, [])
    except BuildError as error:
        k = walk.load(directory)
        return Build([], [Diagnostic(k.path if k is not None else directory, f"{error}; overlay not rendered", None,
                                     "limit", "warning")])
    return Build(objects, list(dict.fromkeys(builder.notes)))


# -- plain data and paths ---------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A loaded YAML value as plain dicts and lists (YAML dumpers and deep copies want them)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def item_key(item: Any, index: int) -> Any:
    """How a list item is named in a path: ("name", its name) when it has one, else its index."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return ("name", item["name"])
    return index


def located(value: Any, path: Path_, file: str, offset: int, where: dict[Path_, Location]) -> None:
    """Record the line of every key and item under `value` (a YMap/YList of `file`, lines shifted by offset)."""
    if isinstance(value, YMap):
        for key, item in value.items():
            sub = (*path, str(key))
            where[sub] = Location(file, value.line_of(key) + offset)
            located(item, sub, file, offset, where)
    elif isinstance(value, YList):
        for index, item in enumerate(value):
            sub = (*path, item_key(item, index))
            where[sub] = Location(file, value.line_of(index) + offset)
            located(item, sub, file, offset, where)


def _forget(where: dict[Path_, Location], path: Path_) -> None:
    for key in [key for key in where if key[:len(path)] == path and len(key) > len(path)]:
        del where[key]


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _ensure(value: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
    """The mapping at `keys` under `value`, created where missing (None when a non-mapping is in the way)."""
    for key in keys:
        nxt = value.get(key)
        if nxt is None:
            nxt = value[key] = {}
        if not isinstance(nxt, dict):
            return None
        value = nxt
    return value


def pod_template(obj: Obj) -> tuple[dict[str, Any] | None, Path_]:
    """The pod template of a workload (the object itself for a Pod) and its path."""
    spot = rules()["pod_templates"].get(obj.kind)
    if spot is None:
        return None, ()
    keys = [key for key in spot.split(".") if key]
    holder = _dig(obj.body, *keys) if keys else obj.body
    return (holder if isinstance(holder, dict) else None), tuple(keys)


# -- the build --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Patch:
    """One patch document: a strategic-merge mapping or a JSON 6902 list, with where its lines are."""

    value: Any
    file: str
    offset: int
    line: int  # where the patch is named (for notes)


class _Builder:
    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self.notes: list[Diagnostic] = []
        self.count = 0
        self.patches = 0
        self.steps = 0

    def accumulate(self, directory: str, objects: list[Obj], depth: int = 0) -> list[Obj]:
        """The objects of the kustomization in `directory` added to `objects` (a component's are: it applies to
        what its includer has), then its patches and transformers applied to all of them."""
        k = self.walk.load(directory)
        if k is None or depth > 40:
            return objects
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise BuildError(f"more than {MAX_STEPS:,} kustomizations applied")
        fields = set(rules()["builtin_fields"])
        for key in k.data:
            if key not in fields:
                self.notes.append(Diagnostic(k.path, f"`{shown(str(key))}` is not applied by the built-in kustomize "
                                             "subset (a kustomize or kubectl binary would apply it); the rest of "
                                             "the overlay is rendered", k.data.line_of(key), "unsupported", "note"))
        for name in ("resources", "bases"):
            for reference, _ in _entries(k, name):
                objects = self._resource(k, reference, objects, depth)
        for reference, _ in _entries(k, "components"):
            target = self.walk.locate(k.directory, reference)
            if not isinstance(target, str):
                objects = self.accumulate(target[0], objects, depth + 1)
        return self._transform(k, objects)

    def _resource(self, k: Kustomization, reference: str, objects: list[Obj], depth: int) -> list[Obj]:
        target = self.walk.locate(k.directory, reference)
        if isinstance(target, str):
            return objects
        lexical, real = target
        if lexical not in k.files:  # a kustomization directory: built on its own, then added
            return self._add(objects, self.accumulate(lexical, [], depth + 1), k)
        return self._add(objects, list(self._objects(real)), k)

    def _add(self, objects: list[Obj], new: list[Obj], k: Kustomization) -> list[Obj]:
        ids = {(o.kind, o.namespace, o.name) for o in objects}
        for obj in new:
            ident = (obj.kind, obj.namespace, obj.name)
            if ident in ids:
                self.notes.append(Diagnostic(obj.origin.path, f"{obj.kind} {shown(obj.name)} is defined twice in the "
                                             f"overlay through {k.path} (kustomize refuses this); the first is kept",
                                             obj.origin.line, "parse-error", "warning"))
                continue
            ids.add(ident)
            objects.append(obj)
            self.count += 1
            if self.count > MAX_OBJECTS:
                raise BuildError(f"more than {MAX_OBJECTS:,} objects")
        return objects

    def _objects(self, real: str) -> Iterator[Obj]:
        text, why = self.walk.read(real)
        if text is None:
            self.notes.append(Diagnostic(real, f"cannot be read ({why}); not rendered", None, "unreadable"))
            return
        documents, error = load_documents(text)
        if error is not None:
            self.notes.append(Diagnostic(real, f"invalid YAML: {error.message}", error.line, error.code))
        for document in documents:
            values = [document.value]
            if isinstance(document.value, YMap) and str(document.value.get("kind", "")).endswith("List") and \
                    isinstance(document.value.get("items"), YList):
                values = list(document.value["items"])
            for value in values:
                if not isinstance(value, YMap) or not isinstance(value.get("kind"), str):
                    continue
                where: dict[Path_, Location] = {}
                located(value, (), real, 0, where)
                body = plain(value)
                name = _dig(body, "metadata", "name")
                yield Obj(body, Location(real, value.line, value.end_line), where,
                          [name] if isinstance(name, str) else [])

    # -- transformers, in kustomize's order ----------------------------------------------------------------

    def _transform(self, k: Kustomization, objects: list[Obj]) -> list[Obj]:
        data = k.data
        for reference, line in _entries(k, "patchesStrategicMerge"):
            for patch in self._patch_documents(k, reference, line, "patchesStrategicMerge"):
                self._strategic(k, patch, objects, None)
        patches = data.get("patches")
        if isinstance(patches, YList):
            for index, entry in enumerate(patches):
                if isinstance(entry, str):  # (kustomize wants `- path: …`; a bare path is read as one)
                    entry_map: YMap | None = None
                    documents = self._patch_documents(k, entry, patches.line_of(index), "patches")
                else:
                    entry_map = entry if isinstance(entry, YMap) else None
                    documents = self._entry_documents(k, entry_map, patches.line_of(index), "patches")
                target = entry_map.get("target") if entry_map is not None else None
                for patch in documents:
                    if isinstance(patch.value, YList):
                        if not isinstance(target, YMap):
                            self.notes.append(Diagnostic(k.path, "a JSON 6902 patch without a `target`: not applied",
                                                         patch.line, "unsupported", "note"))
                            continue
                        for obj in self._select(k, target, objects, patch.line):
                            self._json6902(k, patch, obj)
                    else:
                        self._strategic(k, patch, objects, target if isinstance(target, YMap) else None)
        self._namespace(k, objects)
        renamed = self._rename(k, objects)
        self._labels(k, objects)
        self._annotations(k, objects)
        legacy = data.get("patchesJson6902")
        if isinstance(legacy, YList):
            for index, entry in enumerate(legacy):
                if not isinstance(entry, YMap) or not isinstance(entry.get("target"), YMap):
                    continue
                for patch in self._entry_documents(k, entry, legacy.line_of(index), "patchesJson6902"):
                    for obj in self._select(k, entry["target"], objects, patch.line):
                        if isinstance(patch.value, YList):
                            self._json6902(k, patch, obj)
        self._replicas(k, objects)
        self._images(k, objects)
        if renamed:
            _fix_references(objects, renamed)
        return objects

    def _patch_documents(self, k: Kustomization, reference: str, line: int, name: str) -> list[_Patch]:
        """The documents of a patch named by path, or written inline in the kustomization."""
        if inline(reference):
            return self._parsed(k, reference, k.path, self._inline_offset(k, line, reference), line)
        target = self.walk.locate(k.directory, reference)
        if isinstance(target, str):
            return []
        text, why = self.walk.read(target[1])
        if text is None:
            self.notes.append(Diagnostic(target[1], f"patch cannot be read ({why}); not applied", None, "unreadable"))
            return []
        return self._parsed(k, text, target[1], 0, line)

    def _entry_documents(self, k: Kustomization, entry: YMap | None, line: int, name: str) -> list[_Patch]:
        if entry is None:
            return []
        if isinstance(entry.get("path"), str):
            return self._patch_documents(k, entry["path"], entry.line_of("path"), name)
        if isinstance(entry.get("patch"), str):
            text = entry["patch"]
            return self._parsed(k, text, k.path, self._inline_offset(k, entry.line_of("patch"), text), line)
        return []

    def _inline_offset(self, k: Kustomization, line: int, text: str) -> int:
        """Line offset of an inline patch's text inside the kustomization: a block scalar starts below its key."""
        return line if "\n" in text.strip() else line - 1

    def _parsed(self, k: Kustomization, text: str, file: str, offset: int, line: int) -> list[_Patch]:
        documents, error = load_documents(text)
        if error is not None:
            self.notes.append(Diagnostic(file, f"patch is not valid YAML ({error.message}); not applied",
                                         (error.line or 1) + offset if error.line else line, error.code))
        found = []
        for document in documents:
            self.patches += 1
            if self.patches > MAX_PATCHES:
                raise BuildError(f"more than {MAX_PATCHES:,} patches")
            found.append(_Patch(document.value, file, offset, line))
        return found

    # -- selecting targets -------------------------------------------------------------------------------------

    def _select(self, k: Kustomization, target: YMap, objects: list[Obj], line: int) -> list[Obj]:
        kind = target.get("kind")
        name = target.get("name")
        namespace = target.get("namespace")
        matcher = self._name_matcher(k, name, line)
        if matcher is None:
            return []
        labels = self._selector(k, target.get("labelSelector"), line)
        annotations = self._selector(k, target.get("annotationSelector"), line)
        if labels is None or annotations is None:
            return []
        chosen = []
        for obj in objects:
            if isinstance(kind, str) and kind and obj.kind != kind:
                continue
            if isinstance(namespace, str) and namespace and obj.namespace not in ("", namespace):
                continue
            if not any(matcher(n) for n in obj.names or [""]):
                continue
            if not _selected(labels, _dig(obj.body, "metadata", "labels")) or \
                    not _selected(annotations, _dig(obj.body, "metadata", "annotations")):
                continue
            chosen.append(obj)
        return chosen

    def _name_matcher(self, k: Kustomization, name: Any, line: int) -> Any:
        """A test of names for a target's `name` (kustomize reads it as a regular expression: a literal name, and
        `.*` or `*` wildcards, are understood here; anything else is a note)."""
        if name is None or name == "":
            return lambda _: True
        if not isinstance(name, str):
            return None
        if "*" not in name and _SIMPLE_NAME.match(name):
            return lambda candidate: candidate == name
        if _GLOB_NAME.match(name) and name.count("*") <= 3:  # `web-.*`, `*-db`: at most three wildcards
            parts = re.split(r"\.?\*", name)
            pattern = re.compile(".*".join(re.escape(part) for part in parts))
            return lambda candidate: pattern.fullmatch(candidate) is not None
        self.notes.append(Diagnostic(k.path, f"patch target name {shown(name)!r} is a pattern the built-in kustomize "
                                     "subset does not read; patch not applied", line, "unsupported", "note"))
        return None

    def _selector(self, k: Kustomization, text: Any, line: int) -> list[tuple[str, str, str | None]] | None:
        """`app=web,tier!=db,canary` → [(key, op, value)]; None for a form not read here (a note)."""
        if text is None or text == "":
            return []
        if not isinstance(text, str) or "(" in text or len(text) > 1000:
            self.notes.append(Diagnostic(k.path, "a set-based label selector in a patch target is not read by the "
                                         "built-in kustomize subset; patch not applied", line, "unsupported", "note"))
            return None
        found: list[tuple[str, str, str | None]] = []
        for part in text.split(","):
            part = part.strip()
            if "!=" in part:
                key, value = part.split("!=", 1)
                found.append((key.strip(), "!=", value.strip()))
            elif "=" in part:
                key, value = part.split("=", 1)
                found.append((key.strip(), "=", value.strip().lstrip("=").strip()))
            elif part:
                found.append((part.lstrip("!"), "absent" if part.startswith("!") else "exists", None))
        return found

    # -- strategic merge -----------------------------------------------------------------------------------

    def _strategic(self, k: Kustomization, patch: _Patch, objects: list[Obj], target: YMap | None) -> None:
        value = patch.value
        if not isinstance(value, YMap):
            return
        if target is not None:
            chosen = self._select(k, target, objects, patch.line)
        else:
            kind = value.get("kind")
            name = _dig(value, "metadata", "name")
            namespace = _dig(value, "metadata", "namespace")
            chosen = [o for o in objects if o.kind == kind and name in o.names and
                      (not namespace or o.namespace in ("", namespace))]
            if not chosen:
                self.notes.append(Diagnostic(patch.file, f"patch of {shown(str(kind))} {shown(str(name))} matches no "
                                             "object of the overlay (kustomize would fail); not applied",
                                             value.line + patch.offset, "parse-error", "warning"))
                return
        for obj in chosen:
            if value.get("$patch") == "delete":
                objects.remove(obj)
                continue
            patch_body = YMap()
            patch_body.line, patch_body.end_line = value.line, value.end_line
            for key, item in value.items():
                if key == "metadata" and isinstance(item, YMap):
                    item = _without(item, ("name", "namespace"))  # they say which object; a patch does not rename
                if key in ("apiVersion", "kind"):
                    continue
                patch_body[key] = item
                patch_body.key_lines[key] = value.key_lines.get(key, (value.line, value.end_line))
            _merge(obj.body, patch_body, (), obj.where, patch.file, patch.offset)
            name = _dig(obj.body, "metadata", "name")
            if isinstance(name, str) and (not obj.names or obj.names[-1] != name):
                obj.names.append(name)

    # -- JSON 6902 --------------------------------------------------------------------------------------------

    def _json6902(self, k: Kustomization, patch: _Patch, obj: Obj) -> None:
        for index, op in enumerate(patch.value):
            self.patches += 1
            if self.patches > MAX_PATCHES:
                raise BuildError(f"more than {MAX_PATCHES:,} patches")
            line = patch.value.line_of(index) + patch.offset
            if not isinstance(op, YMap) or not isinstance(op.get("path"), str):
                continue
            kind = op.get("op")
            if kind not in ("add", "replace", "remove"):
                self.notes.append(Diagnostic(patch.file, f"JSON patch operation {shown(str(kind))!r} is not applied "
                                             "by the built-in kustomize subset", line, "unsupported", "note"))
                continue
            problem = _pointer_op(obj, str(kind), op, patch.file, patch.offset)
            if problem:
                self.notes.append(Diagnostic(patch.file, f"JSON patch {kind} {shown(op['path'])}: {problem} "
                                             f"(in {obj.kind} {shown(obj.name)}); not applied", line,
                                             "parse-error", "warning"))

    # -- namespace, names, labels, annotations, replicas, images ------------------------------------------

    def _namespace(self, k: Kustomization, objects: list[Obj]) -> None:
        namespace = k.data.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            return
        where = Location(k.path, k.data.line_of("namespace"))
        cluster = set(rules()["cluster_scoped"])
        for obj in objects:
            if obj.kind in cluster:
                continue
            metadata = _ensure(obj.body, ["metadata"])
            if metadata is not None:
                metadata["namespace"] = namespace
                obj.where[("metadata", "namespace")] = where

    def _rename(self, k: Kustomization, objects: list[Obj]) -> dict[tuple[str, str], str]:
        prefix, suffix = k.data.get("namePrefix"), k.data.get("nameSuffix")
        prefix = prefix if isinstance(prefix, str) else ""
        suffix = suffix if isinstance(suffix, str) else ""
        if not prefix and not suffix:
            return {}
        renamed: dict[tuple[str, str], str] = {}
        for obj in objects:
            if obj.kind in ("CustomResourceDefinition", "APIService", "Namespace") or not obj.name:
                continue
            old = obj.name
            new = f"{prefix}{old}{suffix}"
            obj.body["metadata"]["name"] = new  # (its line stays the base's: a finding about the object is there)
            obj.names.append(new)
            renamed[(obj.kind, old)] = new
        return renamed

    def _labels(self, k: Kustomization, objects: list[Obj]) -> None:
        common = k.data.get("commonLabels")
        if isinstance(common, YMap) and common:
            self._add_labels(objects, _strings(common), Location(k.path, k.data.line_of("commonLabels")), True, True)
        labels = k.data.get("labels")
        if isinstance(labels, YList):
            for index, entry in enumerate(labels):
                if not isinstance(entry, YMap) or not isinstance(entry.get("pairs"), YMap):
                    continue
                if "fields" in entry:
                    self.notes.append(Diagnostic(k.path, "`labels.fields` is not applied by the built-in kustomize "
                                                 "subset", entry.line_of("fields"), "unsupported", "note"))
                selectors = entry.get("includeSelectors") is True
                templates = selectors or entry.get("includeTemplates") is True
                self._add_labels(objects, _strings(entry["pairs"]), Location(k.path, labels.line_of(index)),
                                 selectors, templates)

    def _add_labels(self, objects: list[Obj], pairs: dict[str, str], where: Location, selectors: bool,
                    templates: bool) -> None:
        table = rules()["labels"]
        for obj in objects:
            spots: list[tuple[str, bool]] = [("metadata.labels", True)]
            if selectors:
                spots += [(p, True) for p in table["selectors"].get(obj.kind, [])]
                spots += [(p, False) for p in table["selectors_if_present"].get(obj.kind, [])]
            if templates:
                spots += [(p, True) for p in table["templates"].get(obj.kind, [])]
            for spot, create in spots:
                keys = spot.split(".")
                holder = _ensure(obj.body, keys) if create else _dig(obj.body, *keys)
                if not isinstance(holder, dict):
                    continue
                for key, value in pairs.items():
                    holder[key] = value
                    obj.where[(*keys, key)] = where

    def _annotations(self, k: Kustomization, objects: list[Obj]) -> None:
        common = k.data.get("commonAnnotations")
        if not isinstance(common, YMap) or not common:
            return
        where = Location(k.path, k.data.line_of("commonAnnotations"))
        pairs = _strings(common)
        for obj in objects:
            spots = [["metadata", "annotations"]]
            template, at = pod_template(obj)
            if template is not None and at:
                spots.append([*at, "metadata", "annotations"])
            for keys in spots:
                holder = _ensure(obj.body, keys)
                if holder is None:
                    continue
                for key, value in pairs.items():
                    holder[key] = value
                    obj.where[(*keys, key)] = where

    def _replicas(self, k: Kustomization, objects: list[Obj]) -> None:
        entries = k.data.get("replicas")
        if not isinstance(entries, YList):
            return
        scalable = set(rules()["scalable"])
        for index, entry in enumerate(entries):
            if not isinstance(entry, YMap) or not isinstance(entry.get("name"), str):
                continue
            count = entry.get("count")
            if not isinstance(count, int) or isinstance(count, bool):
                continue
            where = Location(k.path, entry.line_of("count") if "count" in entry else entries.line_of(index))
            for obj in objects:
                if obj.kind in scalable and entry["name"] in obj.names:
                    spec = _ensure(obj.body, ["spec"])
                    if spec is not None:
                        spec["replicas"] = count
                        obj.where[("spec", "replicas")] = where

    def _images(self, k: Kustomization, objects: list[Obj]) -> None:
        entries = k.data.get("images")
        if not isinstance(entries, YList):
            return
        for index, entry in enumerate(entries):
            if not isinstance(entry, YMap) or not isinstance(entry.get("name"), str):
                continue
            key = next((key for key in ("digest", "newTag", "newName") if key in entry), None)
            where = Location(k.path, entry.line_of(key) if key else entries.line_of(index))
            for obj in objects:
                template, at = pod_template(obj)
                spec = template.get("spec") if isinstance(template, dict) else None
                if not isinstance(spec, dict):
                    continue
                for group in ("initContainers", "containers"):
                    containers = spec.get(group)
                    if not isinstance(containers, list):
                        continue
                    for position, container in enumerate(containers):
                        if not isinstance(container, dict) or not isinstance(container.get("image"), str):
                            continue
                        image = _retagged(container["image"], entry)
                        if image is not None:
                            container["image"] = image
                            obj.where[(*at, "spec", group, item_key(container, position), "image")] = where


def _entries(k: Kustomization, name: str) -> list[tuple[str, int]]:
    value = k.data.get(name)
    if not isinstance(value, YList):
        return []
    return [(item.strip(), value.line_of(index)) for index, item in enumerate(value)
            if isinstance(item, str) and item.strip()]


def _strings(mapping: YMap) -> dict[str, str]:
    return {str(key): "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in mapping.items()}


def _without(mapping: YMap, keys: tuple[str, ...]) -> YMap:
    kept = YMap()
    kept.line, kept.end_line = mapping.line, mapping.end_line
    for key, value in mapping.items():
        if key not in keys:
            kept[key] = value
            kept.key_lines[key] = mapping.key_lines.get(key, (mapping.line, mapping.end_line))
    return kept


def _selected(selector: list[tuple[str, str, str | None]], labels: Any) -> bool:
    labels = labels if isinstance(labels, dict) else {}
    for key, op, value in selector:
        present = key in labels
        if op == "=" and (not present or str(labels[key]) != value):
            return False
        if op == "!=" and present and str(labels[key]) == value:
            return False
        if op == "exists" and not present:
            return False
        if op == "absent" and present:
            return False
    return True


def _retagged(image: str, entry: YMap) -> str | None:
    """`image` with the entry's newName/newTag/digest when its name is the entry's `name`, else None."""
    name, tag = image, ""
    if "@" in name:
        name, _, tag = name.partition("@")
        tag = "@" + tag
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon:] + tag
    if name != entry["name"]:
        return None
    renamed = entry.get("newName")
    new_tag = entry.get("newTag")
    pinned = entry.get("digest")
    if isinstance(renamed, str) and renamed:
        name = renamed
    if isinstance(pinned, str) and pinned:
        tag = "@" + pinned
    elif new_tag is not None and str(new_tag):
        tag = ":" + str(new_tag)
    return name + tag


# -- strategic merge ------------------------------------------------------------------------------------------


def _merge(target: dict[str, Any], patch: YMap, path: Path_, where: dict[Path_, Location], file: str,
           offset: int) -> None:
    """Merge `patch` into `target` the way a strategic-merge patch does, recording the patch's lines."""
    merge_keys: dict[str, list[str]] = rules()["merge_keys"]
    for key, value in patch.items():
        key = str(key)
        if key.startswith("$"):
            continue
        sub = (*path, key)
        line = Location(file, patch.line_of(key) + offset)
        current = target.get(key)
        if value is None:
            target.pop(key, None)
            where.pop(sub, None)
            _forget(where, sub)
            continue
        if isinstance(value, YMap) and value.get("$patch") == "delete":
            target.pop(key, None)
            where.pop(sub, None)
            _forget(where, sub)
            continue
        if isinstance(value, YMap) and isinstance(current, dict) and value.get("$patch") != "replace":
            where.setdefault(sub, line)
            _merge(current, value, sub, where, file, offset)
            continue
        if isinstance(value, YList) and isinstance(current, list) and key in merge_keys and \
                all(isinstance(item, dict) for item in current):
            _merge_list(current, value, sub, merge_keys[key], where, file, offset)
            where.setdefault(sub, line)
            continue
        if not isinstance(value, (YMap, YList)) and current == value and sub in where:
            continue  # (a patch restating a value, a list item's own key, does not become where it is set)
        target[key] = plain(_without(value, ("$patch",)) if isinstance(value, YMap) else value)
        _forget(where, sub)
        where[sub] = line
        located(value, sub, file, offset, where)


def _merge_list(target: list[Any], patch: YList, path: Path_, keys: list[str], where: dict[Path_, Location],
                file: str, offset: int) -> None:
    for index, item in enumerate(patch):
        if not isinstance(item, YMap):
            continue
        key = next((k for k in keys if k in item), None)
        if key is None:
            continue
        match = next((position for position, existing in enumerate(target)
                      if isinstance(existing, dict) and existing.get(key) == item[key]), None)
        line = Location(file, patch.line_of(index) + offset)
        if item.get("$patch") == "delete":
            if match is not None:
                _forget(where, (*path, item_key(target[match], match)))
                where.pop((*path, item_key(target[match], match)), None)
                del target[match]
            continue
        if match is None:
            target.append(plain(_without(item, ("$patch",))))
            sub = (*path, item_key(target[-1], len(target) - 1))
            where[sub] = line
            located(item, sub, file, offset, where)
            continue
        sub = (*path, item_key(target[match], match))
        where.setdefault(sub, line)
        if item.get("$patch") == "replace":
            target[match] = plain(_without(item, ("$patch",)))
            _forget(where, sub)
            where[sub] = line
            located(item, sub, file, offset, where)
            continue
        _merge(target[match], item, sub, where, file, offset)


# -- JSON 6902 --------------------------------------------------------------------------------------------------


def _tokens(pointer: str) -> list[str] | None:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        return None
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _pointer_op(obj: Obj, kind: str, op: YMap, file: str, offset: int) -> str:
    """Apply one add/replace/remove to `obj`, recording the line of its `value`; the problem, or ""."""
    tokens = _tokens(op["path"])
    if not tokens:
        return "not a JSON pointer to a field"
    holder: Any = obj.body
    path: list[Any] = []
    for token in tokens[:-1]:
        if isinstance(holder, dict) and token in holder:
            path.append(token)
            holder = holder[token]
        elif isinstance(holder, list) and (index := digits(token)) is not None and index < len(holder):
            path.append(item_key(holder[index], index))
            holder = holder[index]
        else:
            return "path not found"
    last = tokens[-1]
    has_value = "value" in op
    if kind != "remove" and not has_value:
        return "no value"
    value = plain(op.get("value"))
    line = Location(file, op.line_of("value" if has_value else "path") + offset)
    if isinstance(holder, dict):
        if kind in ("replace", "remove") and last not in holder:
            return "path not found"
        sub = (*path, last)
        _forget(obj.where, sub)
        if kind == "remove":
            del holder[last]
            obj.where.pop(sub, None)
            return ""
        holder[last] = value
    elif isinstance(holder, list):
        index = len(holder) if last == "-" and kind == "add" else digits(last)
        if index is None or index > len(holder) or (index == len(holder) and kind != "add"):
            return "path not found"
        if kind == "remove":
            sub = (*path, item_key(holder[index], index))
            _forget(obj.where, sub)
            obj.where.pop(sub, None)
            del holder[index]
            return ""
        if kind == "add":
            holder.insert(index, value)
        else:
            _forget(obj.where, (*path, item_key(holder[index], index)))
            holder[index] = value
        sub = (*path, item_key(value, index))
    else:
        return "path not found"
    obj.where[sub] = line
    raw = op.get("value")
    if isinstance(raw, (YMap, YList)):
        located(raw, sub, file, offset, obj.where)
    if sub == ("metadata", "name") and isinstance(value, str):
        obj.names.append(value)
    return ""


# -- name references ----------------------------------------------------------------------------------------


def _fix_references(objects: list[Obj], renamed: dict[tuple[str, str], str]) -> None:
    """References by name to a renamed object follow it (knowledge/kustomize.yaml `name_references`)."""
    table: dict[str, dict[str, list[str]]] = rules()["name_references"]
    for obj in objects:
        for (kind, old), new in renamed.items():
            referring = table.get(kind, {})
            for spot in referring.get(obj.kind, []):
                _replace(obj.body, spot.split("."), kind, old, new)
            if "pod" in referring:
                template, _ = pod_template(obj)
                spec = template.get("spec") if isinstance(template, dict) else None
                if isinstance(spec, dict):
                    for spot in referring["pod"]:
                        _replace(spec, spot.split("."), kind, old, new)


def _replace(value: Any, keys: list[str], kind: str, old: str, new: str) -> None:
    if not keys:
        return
    head, rest = keys[0], keys[1:]
    if head == "*":
        if isinstance(value, list):
            for item in value:
                _replace(item, rest, kind, old, new)
        return
    if not isinstance(value, dict):
        return
    if not rest:
        if value.get(head) == old and value.get("kind", kind) == kind:
            value[head] = new
        return
    _replace(value.get(head), rest, kind, old, new)

