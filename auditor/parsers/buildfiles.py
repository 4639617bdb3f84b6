"""Build files and Dockerfiles → the telemetry libraries and agents a service's code ships with.

A build file states what the code links: `pom.xml`, `build.gradle(.kts)`, `package.json`, `requirements*.txt`
(and `requirements/*.txt`), `pyproject.toml`, `Pipfile`, `go.mod`, `composer.json`, `*.csproj`/`*.fsproj`/
`*.vbproj`, `Directory.Build.props`, `packages.config`, `Gemfile`. Each becomes one `config` node (source
`buildfile`, type its format) with a `tracing_library` / `metrics_library` setting per dependency that
auditor/knowledge/telemetry.yaml knows, located on the line that declares it. Only what ships counts:
not test/dev scopes or groups (Maven `test`, Gradle `test*`/`compileOnly`, npm `devDependencies`, Composer
`require-dev`, Pipenv `dev-packages`, Bundler `:development`/`:test` groups, Poetry dev groups,
`requirements-dev.txt`), not BOMs or `dependencyManagement`, not Maven `<profiles>` (conditional), not `//
indirect` Go requirements. A build file of a test project (under `test/`, `e2e/`, …, or a .NET test project)
is marked `test` and configures no service.

A Dockerfile (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile`) is read for its final stage:
`ENV` lines interpreted like any environment (only tracing and metrics settings are kept: OpenTelemetry,
`JAVA_TOOL_OPTIONS=-javaagent:…`, agent variables), `ENTRYPOINT`/`CMD` started under a tracer
(`opentelemetry-instrument`, `-javaagent:…`), and a base image that carries an agent. Attr `base_image`.

Node attrs: `dir` (the project directory: the file's, or the parent of a `requirements/` folder), `project`
(the name it declares: artifactId, package name, module, project file name; "" when none), `module` (go.mod: the
module path, for graph/code.py to know which directory an import path names), `libraries`
(list of dicts: name, line, tracing, metrics), `test`, `browser` (a Blazor WebAssembly project: its code runs in
browsers).

Nothing is executed or expanded: XML is read by a small scanner of tags and text that never resolves an
entity or a DTD (a `<!DOCTYPE` is skipped, `&name;` stays text), so entity bombs and external entities
cannot act; JSON and TOML go through the standard library's readers; everything else is read line by line
with patterns anchored at the start of a line and no nested repetition.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Diagnostic, Facts, Location, Node, Setting, node_id
from auditor.parsers import settings as settings_parser
from auditor.parsers import telemetry
from auditor.parsers.settings import Entry

MAX_DEPENDENCIES = 5_000
# ENV variables of a Dockerfile's final stage that are interpreted (about 80 µs each): 60,000 took 5.3 s (found by
# probing); real images set a few dozen.
MAX_ENV = 5_000
MAX_XML_DEPTH = 256
MAX_LINE = 4_096

# Format → the ecosystem its names belong to in telemetry.yaml.
_ECOSYSTEM = {"maven": "maven", "gradle": "maven", "npm": "npm", "pip": "pypi", "pyproject": "pypi",
              "pipenv": "pypi", "go": "go", "composer": "composer", "nuget": "nuget", "bundler": "rubygems",
              "dockerfile": ""}
# Path segments of test code: its build files describe test runs, not a deployed service.
_TEST_DIRS = frozenset({"test", "tests", "testing", "e2e", "it", "integration-test", "integration-tests",
                        "functional-tests", "testdata", "fixtures", "__tests__", "spec", "cypress", "playwright"})
# Words in a requirements file name, or a dependency group's name, that mean it is not installed in production.
_DEV_WORDS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "lint", "linting", "docs",
                        "doc", "ci", "local", "typing", "mypy", "style", "format", "e2e", "bench", "benchmark"})
# Gradle configurations that do not reach the running process.
_GRADLE_SKIPPED = frozenset({"compileonly", "annotationprocessor", "kapt", "ksp", "developmentonly", "classpath",
                             "detektplugins", "lintchecks", "compileonlyapi", "testfixturesimplementation"})
_REQUIREMENTS = re.compile(r"^requirements([-_.][\w.-]*)?\.(txt|in)$")
_DOCKERFILE = re.compile(r"^(dockerfile|containerfile)([.-][\w.-]*)?$|^[\w.-]+\.(dockerfile|containerfile)$")
_PROJECT_FILES = (".csproj", ".fsproj", ".vbproj")


def _format(path: str) -> str | None:
    """The build-file format of a path, or None."""
    clean = path.replace("\\", "/")
    name = posixpath.basename(clean)
    lower = name.lower()
    parent = posixpath.basename(posixpath.dirname(clean)).lower()
    if lower == "pom.xml":
        return "maven"
    if lower in ("build.gradle", "build.gradle.kts"):
        return "gradle"
    if lower == "package.json":
        return "npm"
    if _REQUIREMENTS.match(lower) or (parent == "requirements" and lower.endswith((".txt", ".in"))):
        return "pip"
    if lower == "pyproject.toml":
        return "pyproject"
    if lower == "pipfile":
        return "pipenv"
    if lower == "go.mod":
        return "go"
    if lower == "composer.json":
        return "composer"
    if lower.endswith(_PROJECT_FILES) or lower in ("directory.build.props", "packages.config"):
        return "nuget"
    if lower == "gemfile":
        return "bundler"
    if _DOCKERFILE.match(lower):
        return "dockerfile"
    return None


def recognises(path: str) -> bool:
    """True when the file name says this is a build file or a Dockerfile."""
    try:
        return _format(path) is not None
    except Exception:  # noqa: BLE001 - never let a path break discovery
        return False


@dataclass
class _Found:
    """What one build file declares, as the readers collect it."""

    project: str = ""
    module: str = ""  # go.mod: the module path, which the import paths of its packages start with
    dependencies: list[tuple[str, int]] = field(default_factory=list)  # (name, line)
    settings: list[Setting] = field(default_factory=list)  # Dockerfiles: settings read from ENV/CMD
    test: bool = False
    browser: bool = False  # the project's code runs in browsers (a Blazor WebAssembly project)
    base_image: str = ""
    problems: list[tuple[str, int | None]] = field(default_factory=list)
    limits: list[tuple[str, int]] = field(default_factory=list)  # bounds reached: (message, line)

    def add(self, name: str, line: int) -> None:
        if len(self.dependencies) < MAX_DEPENDENCIES and name:
            self.dependencies.append((name.strip(), line))


class _Lines:
    """Offset → 1-based line, by bisection over the newline offsets (built once per file)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def parse(path: str, text: str) -> Facts:
    """One `config` node for a build file, with a setting per telemetry library it declares."""
    try:
        return _parse(path, text)
    except RecursionError:
        return Facts(path, "buildfile", diagnostics=(Diagnostic(path, "nesting too deep to read", None,
                                                                "too-deep"),))
    except Exception as error:  # noqa: BLE001 - never raise past the parser
        return Facts(path, "buildfile", diagnostics=(
            Diagnostic(path, f"could not read build file ({type(error).__name__}: {error})", None,
                       "parse-error"),))


def _parse(path: str, text: str) -> Facts:
    fmt = _format(path) or "unknown"
    found = _Found()
    readers = {"maven": _maven, "gradle": _gradle, "npm": _npm, "pip": _pip, "pyproject": _pyproject,
               "pipenv": _pipfile, "go": _go_mod, "composer": _composer, "nuget": _nuget, "bundler": _gemfile,
               "dockerfile": _dockerfile}
    reader = readers.get(fmt)
    if reader is not None:
        reader(path, text, found)
    directory = posixpath.dirname(path) or "."
    if fmt == "pip" and posixpath.basename(directory).lower() == "requirements":
        directory = posixpath.dirname(directory) or "."
    if _test_path(path) or (fmt == "pip" and _dev_name(posixpath.basename(path))):
        found.test = True
    libraries: list[dict[str, Any]] = []
    node_settings: list[Setting] = list(found.settings)
    ecosystem = _ECOSYSTEM.get(fmt, "")
    for name, line in found.dependencies if ecosystem and not found.test else ():
        signals = telemetry.library(ecosystem, _normal(ecosystem, name))
        if signals.tracing is None and signals.metrics is None:
            continue
        where = Location(path, line)
        libraries.append({"name": name, "line": line, "tracing": signals.tracing, "metrics": signals.metrics})
        if signals.tracing:
            node_settings.append(Setting("tracing_library", name, signals.tracing, where, fmt))
        if signals.metrics:
            node_settings.append(Setting("metrics_library", name, signals.metrics, where, fmt))
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1)) if text else 1
    attrs: dict[str, Any] = {"dir": directory, "project": found.project, "libraries": libraries, "test": found.test,
                             "browser": found.browser}
    if fmt == "dockerfile":
        attrs["base_image"] = found.base_image
    if found.module:
        attrs["module"] = found.module
    node = Node(node_id("buildfile", fmt, path), "config", path, "buildfile", fmt, Location(path, 1, last_line),
                attrs=attrs, settings=tuple(node_settings) if not found.test else ())
    # A reader's line may be one past the end (JSON's "Expecting value" after a final newline): the last line.
    diagnostics = tuple(Diagnostic(path, message, min(max(line, 1), last_line) if line else line, "parse-error",
                                   "warning") for message, line in found.problems) + tuple(
        Diagnostic(path, message, line, "limit", "warning") for message, line in found.limits)
    return Facts(path, "buildfile", (node,), diagnostics=diagnostics)


def _normal(ecosystem: str, name: str) -> str:
    name = name.strip().lower()
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name)
    return name


def _test_path(path: str) -> bool:
    parts = [p.lower() for p in path.replace("\\", "/").split("/")]
    if any(p in _TEST_DIRS for p in parts[:-1]):
        return True
    stem = parts[-1].rsplit(".", 1)[0]
    return parts[-1].endswith(_PROJECT_FILES) and (stem.endswith(("tests", "test", ".specs")))


def _dev_name(name: str) -> bool:
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    return any(w in _DEV_WORDS for w in words[:-1])  # the last word is the extension


# -- XML (pom.xml, *.csproj) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Element:
    path: tuple[str, ...]  # local names from the root, this element last
    attrs: str  # the start tag's raw attribute text
    text: str  # text directly inside, before the first child (entities not resolved)
    line: int


def _xml_elements(text: str, found: _Found) -> Iterator[_Element]:
    """Elements in document order (each when it closes, with its text), by a linear scan of `<…>` tags.

    Comments, CDATA, processing instructions and a DOCTYPE (internal subset included) are skipped whole;
    nothing is expanded. Unbalanced tags close what they name; past MAX_XML_DEPTH the scan stops.
    """
    lines = _Lines(text)
    stack: list[tuple[str, str, int, int]] = []  # (name, attrs, content start, line)
    position, size = 0, len(text)
    while position < size:
        start = text.find("<", position)
        if start < 0:
            return
        if text.startswith("<!--", start):
            end = text.find("-->", start + 4)
            position = size if end < 0 else end + 3
            continue
        if text.startswith("<![CDATA[", start):
            end = text.find("]]>", start + 9)
            position = size if end < 0 else end + 3
            continue
        if text.startswith("<?", start):
            end = text.find("?>", start + 2)
            position = size if end < 0 else end + 2
            continue
        if text.startswith("<!", start):
            close = text.find(">", start)
            bracket = text.find("[", start, close if close >= 0 else size)
            if bracket >= 0:
                close = text.find("]>", bracket)
                close = close + 1 if close >= 0 else -1
            position = size if close < 0 else close + 1
            continue
        end = text.find(">", start)
        if end < 0:
            return
        tag = text[start + 1:end]
        position = end + 1
        if tag.startswith("/"):
            name = _local(tag[1:].strip())
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == name:
                    names = tuple(entry[0] for entry in stack[:index + 1])
                    _, attrs, content, line = stack[index]
                    stop = text.find("<", content, start)  # the element's own text ends at its first child
                    yield _Element(names, attrs, text[content:stop if stop >= 0 else start].strip(), line)
                    del stack[index:]
                    break
            continue
        self_closing = tag.endswith("/")
        body = tag[:-1] if self_closing else tag
        named = _TAG_NAME.match(body)
        if named is None:
            continue
        name, attrs = _local(named.group(1)), body[named.end():]
        line = lines.line(start)
        if self_closing:
            yield _Element((*(entry[0] for entry in stack), name), attrs, "", line)
            continue
        if len(stack) >= MAX_XML_DEPTH:
            found.problems.append((f"XML nested deeper than {MAX_XML_DEPTH} levels; the rest is not read", line))
            return
        stack.append((name, attrs, position, line))


_TAG_NAME = re.compile(r"([^\s/>]{1,200})")


def _local(name: str) -> str:
    """`pom:artifactId` → `artifactId`."""
    return name.rsplit(":", 1)[-1].strip()


def _maven(path: str, text: str, found: _Found) -> None:
    """`project/dependencies/dependency` (not dependencyManagement, build plugins or profiles); the project's
    own artifactId."""
    current: dict[str, tuple[str, int]] = {}
    for element in _xml_elements(text, found):
        names = element.path
        if names == ("project", "artifactId"):
            found.project = element.text
        if len(names) == 4 and names[:3] == ("project", "dependencies", "dependency"):
            current[names[3]] = (element.text, element.line)
        elif names == ("project", "dependencies", "dependency"):
            group, _ = current.get("groupId", ("", 0))
            artifact, line = current.get("artifactId", ("", element.line))
            scope = current.get("scope", ("", 0))[0].lower()
            current = {}
            if not artifact or "${" in artifact or scope == "test":
                continue
            found.add(f"{group}:{artifact}", line)


def _nuget(path: str, text: str, found: _Found) -> None:
    """`PackageReference Include="…"` (SDK-style projects, Directory.Build.props) and packages.config
    `package id="…"`; a test project (IsTestProject, or the test SDK referenced) is marked."""
    stem = posixpath.basename(path)
    if stem.lower().endswith(_PROJECT_FILES):
        found.project = stem.rsplit(".", 1)[0]
    for element in _xml_elements(text, found):
        name = element.path[-1]
        if name == "Project" and len(element.path) == 1 and re.search(
                r'Sdk\s*=\s*["\']Microsoft\.NET\.Sdk\.BlazorWebAssembly["\']', element.attrs, re.IGNORECASE):
            found.browser = True
        if name == "IsTestProject" and element.text.lower() == "true":
            found.test = True
        attribute = "Include" if name == "PackageReference" else "id" if name == "package" else None
        if attribute is None:
            continue
        match = re.search(rf'(?:^|\s){attribute}\s*=\s*["\']([^"\']{{1,256}})["\']', element.attrs)
        if match:
            package = match.group(1).strip()
            if package.lower() == "microsoft.net.test.sdk":
                found.test = True
            found.add(package, element.line)


# -- line-based formats -----------------------------------------------------------------------------------------


_GRADLE_CONF = r"""^\s*(?P<conf>[A-Za-z][A-Za-z0-9]{0,63})\s*(?:\(\s*)?"""
_GRADLE_DEP = re.compile(_GRADLE_CONF + r"""(?:(?:enforced)?[Pp]latform\s*\(\s*)?["'](?P<group>[^"':\s]{1,200}):"""
                         r"""(?P<artifact>[^"':\s]{1,200})(?::[^"'\s]{0,100})?["']""")
_GRADLE_MAP = re.compile(_GRADLE_CONF + r"""group\s*[:=]\s*["'](?P<group>[^"']{1,200})["']\s*,\s*name\s*[:=]\s*"""
                         r"""["'](?P<artifact>[^"']{1,200})["']""")


def _gradle(path: str, text: str, found: _Found) -> None:
    """`implementation("group:artifact:version")`, `api 'g:a'`, `implementation group: 'g', name: 'a'`; not
    test, compile-only, annotation-processor or buildscript classpath configurations, not platforms (BOMs)."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw[:MAX_LINE].split("//", 1)[0]
        match = _GRADLE_DEP.match(line) or _GRADLE_MAP.match(line)
        if match is None:
            continue
        conf = match.group("conf").lower()
        if conf.startswith(("test", "androidtest", "integrationtest")) or conf in _GRADLE_SKIPPED or \
                "platform" in line[match.start("conf"):match.start("group")].lower():
            continue
        found.add(f"{match.group('group')}:{match.group('artifact')}", number)


_PIP_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]{0,200})")


def _pip(path: str, text: str, found: _Found) -> None:
    """One requirement per line; options (`-r`, `-e`, `--hash`) and comments are not dependencies."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw[:MAX_LINE].split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = _PIP_NAME.match(line)
        if match:
            found.add(match.group(1), number)


def _requirement_name(spec: str) -> str:
    match = _PIP_NAME.match(spec.strip()) if isinstance(spec, str) else None
    return match.group(1) if match else ""


# Parts of a dotted TOML key (`a.b.c = 1`, `[tool.poetry]`): tomllib builds a key one part at a time, in time
# quadratic in its parts (62,500 `a.` took over 6 s, found by fuzzing); real keys have a handful.
MAX_TOML_KEY_PARTS = 256


def _toml(path: str, text: str, found: _Found) -> dict[str, Any]:
    for number, line in enumerate(text.splitlines(), 1):
        equals = line.find("=")
        key = line[:equals] if equals > 0 else line  # `a.b = 1`, or a `[table.header]`
        if key.count(".") >= MAX_TOML_KEY_PARTS:
            found.limits.append((f"a TOML key of more than {MAX_TOML_KEY_PARTS} dotted parts; the file is not read",
                                 number))
            return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found.problems.append((f"not valid TOML ({error})", None))
        return {}
    except (ValueError, RecursionError):  # an integer of thousands of digits; arrays nested past the stack
        found.problems.append(("a TOML value too large or too deep to read; the file is not read", None))
        return {}


class _Cursor:
    """Lines of names a JSON/TOML reader returned, found in the text in order: each search starts where the
    last match ended and looks at most SEARCH_WINDOW characters ahead, so thousands of names stay linear."""

    SEARCH_WINDOW = 16_384

    def __init__(self, text: str, start: int) -> None:
        self.text, self.lines, self.position = text, _Lines(text), max(start, 0)

    def line(self, needle: str) -> int:
        found = self.text.find(needle, self.position, self.position + self.SEARCH_WINDOW) if needle else -1
        if found < 0:
            return self.lines.line(self.position)
        self.position = found + len(needle)
        return self.lines.line(found)

    def restart(self, start: int) -> None:
        self.position = max(start, 0)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _pyproject(path: str, text: str, found: _Found) -> None:
    """PEP 621 `project.dependencies` and Poetry's main dependencies and non-dev, non-optional groups."""
    data = _toml(path, text, found)
    cursor = _Cursor(text, text.find("[project]"))
    project = _table(data, "project")
    poetry = _table(_table(data, "tool"), "poetry")
    name = project.get("name") or poetry.get("name")
    found.project = name if isinstance(name, str) else ""  # a project's name is a string (`0xfff…` is no name)
    specs = project.get("dependencies")
    for spec in specs if isinstance(specs, list) else []:
        name = _requirement_name(spec)
        found.add(name, cursor.line(name))
    tables: list[tuple[str, Any]] = [("[tool.poetry.dependencies]", poetry.get("dependencies"))]
    for group, body in _table(poetry, "group").items():
        if isinstance(body, dict) and str(group).lower() not in _DEV_WORDS and not body.get("optional"):
            tables.append((f"[tool.poetry.group.{group}.dependencies]", body.get("dependencies")))
    for header, table in tables:
        if not isinstance(table, dict):
            continue
        cursor.restart(text.find(header))
        for name in table:
            if str(name).lower() != "python":
                found.add(str(name), cursor.line(str(name)))


def _pipfile(path: str, text: str, found: _Found) -> None:
    """`[packages]` (not `[dev-packages]`)."""
    data = _toml(path, text, found)
    cursor = _Cursor(text, text.find("[packages]"))
    packages = data.get("packages")
    for name in packages if isinstance(packages, dict) else ():
        found.add(str(name), cursor.line(str(name)))


_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?(?P<path>[^\s()\"]{1,300})\s+v[^\s]{1,100}")


def _go_mod(path: str, text: str, found: _Found) -> None:
    """Direct requirements (`require x v1` and `require ( … )` blocks); not `// indirect` ones."""
    in_block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw[:MAX_LINE]
        code, _, comment = line.partition("//")
        stripped = code.strip()
        if stripped.startswith("module ") and not found.project:
            module = stripped[len("module "):].strip().strip('"')
            found.module = module[:MAX_LINE]
            parts = [p for p in module.split("/") if p]
            if len(parts) > 1 and re.fullmatch(r"v\d{1,4}", parts[-1]):
                parts = parts[:-1]
            found.project = parts[-1] if parts else ""
            continue
        if in_block:
            if stripped.startswith(")"):
                in_block = False
                continue
        elif stripped.startswith("require"):
            rest = stripped[len("require"):].strip()
            if rest.startswith("("):
                in_block = True
                continue
        else:
            continue
        if "indirect" in comment:
            continue
        match = _GO_REQUIRE.match(stripped)
        if match:
            found.add(match.group("path"), number)


def _json(path: str, text: str, found: _Found) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as error:
        found.problems.append((f"not valid JSON ({error})", getattr(error, "lineno", None)))
        return {}
    return data if isinstance(data, dict) else {}


def _json_dependencies(text: str, data: dict[str, Any], sections: tuple[str, ...], found: _Found) -> None:
    cursor = _Cursor(text, 0)
    for section in sections:
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        cursor.restart(text.find(f'"{section}"'))
        for name in table:
            found.add(str(name), cursor.line(f'"{name}"'))


def _npm(path: str, text: str, found: _Found) -> None:
    """`dependencies` and `optionalDependencies` (not dev or peer dependencies); the package name."""
    data = _json(path, text, found)
    name = data.get("name")
    found.project = name.rsplit("/", 1)[-1] if isinstance(name, str) else ""
    _json_dependencies(text, data, ("dependencies", "optionalDependencies"), found)


def _composer(path: str, text: str, found: _Found) -> None:
    """`require` (not `require-dev`); the package name."""
    data = _json(path, text, found)
    name = data.get("name")
    found.project = name.rsplit("/", 1)[-1] if isinstance(name, str) else ""
    _json_dependencies(text, data, ("require",), found)


_GEM = re.compile(r"""^\s*gem\s*(?:\(\s*)?["'](?P<name>[^"'\s]{1,200})["'](?P<rest>.*)$""")
_GROUP = re.compile(r"^\s*group\b")
_BLOCK_ARGS = re.compile(r"\|[^|]{0,200}\|$")
_KEYWORD_BLOCK = re.compile(r"^\s*(?:if|unless|case|begin|while|until)\b")
_END = re.compile(r"^\s*end\b")
_DEV_OPTION = re.compile(r"groups?\s*(?::|=>)\s*(?:\[\s*)?:(\w{1,40})")


def _opens_block(line: str) -> bool:
    """`… do`, `… do |x|`, or a keyword that Ruby closes with `end`."""
    if "do" not in line:
        return bool(_KEYWORD_BLOCK.match(line))
    code = _BLOCK_ARGS.sub("", line.rstrip()).rstrip()
    return code == "do" or code.endswith((" do", ")do", "\tdo")) or bool(_KEYWORD_BLOCK.match(line))


def _gemfile(path: str, text: str, found: _Found) -> None:
    """`gem "name"` outside `group :development, :test do … end` blocks and without a dev `group:` option."""
    frames: list[bool] = []  # for each open block: whether it is a dev/test group
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw[:MAX_LINE].split("#", 1)[0]
        if not line or line.isspace():  # 2 MB of line breaks is 2 million lines (found by fuzzing: 2.2 s)
            continue
        if _END.match(line):
            if frames:
                frames.pop()
            continue
        if _GROUP.match(line) and _opens_block(line):
            names = set(re.findall(r"[:'\"](\w{1,40})", line))
            frames.append(bool(names) and names <= _DEV_WORDS)
            if len(frames) > 64:
                return
            continue
        gem = _GEM.match(line)
        if gem is not None:
            rest = gem.group("rest")
            dev_option = _DEV_OPTION.search(rest)
            if not any(frames) and not (dev_option and dev_option.group(1) in _DEV_WORDS):
                found.add(gem.group("name"), number)
            continue
        if _opens_block(line):
            frames.append(False)
            if len(frames) > 64:
                return


# -- Dockerfile --------------------------------------------------------------------------------------------------


_INSTRUCTION = re.compile(r"^\s*([A-Za-z]{2,12})\s+(.*)$", re.DOTALL)
_ENV_PAIR = re.compile(r"""([A-Za-z_][A-Za-z0-9_.-]{0,200})=("(?:[^"\\]|\\.){0,4096}"|'[^']{0,4096}'|[^\s]{0,4096})""")


def _dockerfile(path: str, text: str, found: _Found) -> None:
    """The final stage: its base image, its ENV (tracing/metrics settings only) and its ENTRYPOINT/CMD."""
    entries: list[Entry] = []
    env_full = False  # MAX_ENV reached: later ENV lines are not read
    commands: list[tuple[str, str, int]] = []  # (instruction, text, line)
    copied: dict[str, str] = {}  # destination → source of a one-file COPY/ADD (an agent jar renamed on the way)
    from_line = 1
    for instruction, body, line in _instructions(text):
        if instruction == "FROM":
            words = [w for w in body.split() if not w.startswith("--")]
            found.base_image, from_line = (words[0] if words else ""), line
            entries, commands = [], []  # a new stage starts: what came before is not in the final image
        elif instruction == "ENV" and not env_full:
            entries.extend(_env_entries(path, body, line))
            if len(entries) > MAX_ENV:
                found.limits.append((f"more than {MAX_ENV:,} ENV variables; from this line on they are not read",
                                     line))
                entries, env_full = entries[:MAX_ENV], True
        elif instruction in ("ENTRYPOINT", "CMD"):
            commands.append((instruction, _command_text(body), line))
        elif instruction in ("COPY", "ADD") and len(copied) < 1_000:
            words = [w for w in _command_text(body).split() if not w.startswith("--")]
            if len(words) == 2:
                copied[words[1]] = words[0]
    result = settings_parser.interpret(entries)
    found.settings.extend(s for s in result.settings if s.topic in ("tracing", "metrics"))
    for instruction, command, line in commands:
        system = settings_parser.command_tracing(command)
        if system is None:
            jars = re.findall(r"-javaagent:([^\s\"']{1,300})", command)
            system = next((found for jar in jars for found in (telemetry.java_agent(jar),
                                                                telemetry.java_agent(copied.get(jar, "")))
                           if found), None)
        if system is not None:
            found.settings.append(Setting("tracing", instruction, system, Location(path, line), "dockerfile"))
    agent = telemetry.agent_image(found.base_image) if found.base_image else None
    if agent is not None:
        found.settings.append(Setting("tracing", "FROM", agent, Location(path, from_line), "dockerfile"))


def _instructions(text: str) -> Iterator[tuple[str, str, int]]:
    """(INSTRUCTION, arguments with continuations joined, first line), comments skipped."""
    buffer: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw[:MAX_LINE]
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buffer and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if not buffer:
            first = number
        if line.rstrip().endswith("\\") and len(buffer) < 1_000:
            buffer.append(line.rstrip()[:-1])
            continue
        buffer.append(line)
        match = _INSTRUCTION.match(" ".join(buffer))
        buffer = []
        if match:
            yield match.group(1).upper(), match.group(2).strip(), first
    if buffer:
        match = _INSTRUCTION.match(" ".join(buffer))
        if match:
            yield match.group(1).upper(), match.group(2).strip(), first


def _env_entries(path: str, body: str, line: int) -> list[Entry]:
    """`ENV A=1 B="two words"` or the legacy `ENV A one value`."""
    where = Location(path, line)
    if "=" not in body.split(None, 1)[0]:
        key, _, value = body.partition(" ")
        return [Entry(key.strip(), value.strip(), where)] if key.strip() else []
    return [Entry(key, value.strip("\"'"), where) for key, value in _ENV_PAIR.findall(body)]


def _command_text(body: str) -> str:
    """The exec form `["java", "-jar", "app.jar"]` as one line of words; the shell form as written."""
    if body.startswith("["):
        try:
            words = json.loads(body)
        except ValueError:
            return body
        if isinstance(words, list):
            return " ".join(str(word) for word in words)
    return body

