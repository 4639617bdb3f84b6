"""Application configuration files: .env, Spring, Django/Flask settings, Node config, nginx.

Each file becomes one `config` node (type = its framework/format: dotenv, spring, django, flask, node-config,
rails, php, nginx, postgres, mysql) whose `settings` are what `settings.interpret` recognised, plus one edge
per host it names. Python settings are read with `ast`, never imported; node-config `.js` files are not read
(they would need execution). Framework defaults that rules depend on are recorded as settings located at
line 1 with a key like "(django default)" when the file clearly is such a module and does not say otherwise.

Node attrs: `framework`, `dir` (POSIX dirname of the file, "." at the root); `interpolates` (set by the
graph stage on a compose project's `.env`: the compose files it is the interpolation source of). A dotenv
file's `Facts.extra["variables"]` holds (name, value, line) for that interpolation, secret values left out.
Entry keys: nested keys joined with dots, list items as `[i]`; Rails database.yml keys are prefixed with
`database.`; nginx keys are the block path (`http.server.location(/api).proxy_read_timeout`); Python class
attributes (`class ProductionConfig: X = 1`) are `ProductionConfig.X`. Problems are "line N: message".
"""

from __future__ import annotations

import ast
import bisect
import itertools
import json
import posixpath
import re
from collections.abc import Callable
from typing import Any, Literal

from auditor.model import MAX_CODE_BYTES, Diagnostic, Edge, Facts, Location, Node, Setting, host_ref, node_id
from auditor.parsers.numbers import MAX_DIGITS, int_value, integer, real
from auditor.parsers.redact import REDACTED, SECRET_WORD, url_credentials
from auditor.parsers.settings import LINKS_LIMIT, Entry, env_values, interpret
from auditor.parsers.yaml_source import YList, YMap, load_documents

# Settings read per file: each is interpreted (names, values, links: about 100 µs), and 20,000 of them in a fuzzed
# 1.2 MB database.yml took 2.2 s. Real configuration files hold a few hundred; a messages file of translations
# a few thousand.
MAX_ENTRIES = 10_000
# Characters of setting values one file may produce: twice the file limit. Values written out are bounded by the
# file's size, but names can repeat a long value (`B = A`, YAML `*alias`) thousands of times, and every setting
# rule then reads each copy (a 1.3 MB settings.py of `V2 = V1 + V1` lines: 600 MB of values, 2.4 s).
MAX_VALUE_TEXT = 4 * 2**20
_SHORT_VALUE = 1_024  # past that bound, shorter values are still read: a host, a pool size, a switch


class _LongText:
    """A budget of characters for values over _SHORT_VALUE: once it is spent, such values are refused and shorter
    ones still pass."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def allows(self, length: int, spent: Callable[[], None]) -> bool:
        """Whether a value of `length` characters may be kept; `spent()` reports the value that spends it."""
        if length <= _SHORT_VALUE:
            return True
        if self.left < 0:
            return False
        self.left -= length
        if self.left < 0:
            spent()
            return False
        return True

_SPRING = re.compile(r"^(application|bootstrap)([-_.][\w.-]*)?\.(ya?ml|properties)$", re.IGNORECASE)
_DJANGO = re.compile(r"^settings([-_.][\w.-]*)?\.py$", re.IGNORECASE)
# Where a Spring Cloud Config server keeps the files it serves (see `served_by_config_server`).
_CONFIG_REPO_DIRS = frozenset({"config-repo", "config-repository", "configrepo", "cloud-config-repo"})
_SERVED_SUBDIRS = frozenset({"config", "shared", "configs"})
_CONFIG_SERVER_MODULE = re.compile(r"^[\w.-]{0,60}config[-_]?(?:server|service)$")
# `.conf` dialects that are not INI or nginx (`_unread_format`): fluentd directives, Fluent Bit sections,
# logstash pipeline blocks; only the first `_SNIFF_LINES` lines are looked at.
_FLUENTD_STARTS = ("<source", "<match", "<filter", "<system", "<label", "@include", "@type")
_FLUENT_BIT_SECTIONS = frozenset({"SERVICE", "INPUT", "OUTPUT", "FILTER", "PARSER", "MULTILINE_PARSER"})
_LOGSTASH_BLOCKS = frozenset({"input{", "filter{", "output{"})
_SNIFF_LINES = 50
_FOLD_AFTER = 3  # problems of one kind per file beyond which they are folded into one
# Problems recorded per file before reading stops: 1.5 million `}` in an nginx.conf were as many "unexpected '}'"
# problems, 3 s to record and fold (found by fuzzing).
MAX_PROBLEMS = 10_000
# A setting name longer than this is not read, nor anything under it: real names have a few dozen characters
# (nginx's, with their blocks' arguments, a few hundred), and every child of a mapping repeats its name: 1,000
# children of a 500 KB JSON or YAML key took 50 s to interpret, and 1,000 directives in an nginx block whose
# argument was a 540 KB string 5.9 s (found by fuzzing).
MAX_KEY_CHARS = 2_048
_NGINX_DIRS = {"nginx", "conf.d", "sites-available", "sites-enabled", "nginx.d", "openresty"}
_PROBLEM_LINE = re.compile(r"^line (\d+): ")
_NGINX_MAX_DEPTH = 64
_MAX_FLATTENED = 100_000  # values one Python settings file may expand to
_SECRET_NAME = re.compile(SECRET_WORD, re.IGNORECASE)
_PROBLEM_CODE = re.compile(r"^\[([a-z-]+)\] ")  # a bound that was hit: `[too-deep] …`, `[limit] …`


# --------------------------------------------------------------------------------------------------
# Which files
# --------------------------------------------------------------------------------------------------


class _TooManyProblems(Exception):
    """Raised by `_Reader.problem` at MAX_PROBLEMS: the rest of the file is not read."""


def _format(path: str) -> tuple[str, str] | None:
    """(reader, framework) for a path, or None."""
    clean = path.replace("\\", "/")
    name = posixpath.basename(clean)
    lower = name.lower()
    parts = [p.lower() for p in clean.split("/")[:-1]]
    parent = parts[-1] if parts else ""
    if lower == ".env" or (lower.startswith(".env.") and lower != ".envrc") or (
            lower.endswith(".env") and len(lower) > 4):
        return "dotenv", "dotenv"
    if _SPRING.match(name) or served_by_config_server(clean):
        return ("properties" if lower.endswith(".properties") else "yaml"), "spring"
    if lower.endswith(".py"):
        if _DJANGO.match(name) or (parent == "settings" and lower != "__init__.py"):
            return "python", "django"
        if lower == "config.py":
            return "python", "flask"
        return None
    if lower == "database.yml" and parent == "config":
        return "yaml", "rails"
    if lower.endswith(".json") and parent == "config" and lower not in ("package.json", "tsconfig.json"):
        return "json", "node-config"
    if lower == "php.ini" or lower.startswith("php.ini-") or (
            lower.endswith(".ini") and any("php" in p for p in parts)):
        return "ini", "php"
    if lower.endswith(".conf") and ("nginx" in lower or any(p in _NGINX_DIRS or "nginx" in p for p in parts)):
        return "nginx", "nginx"
    if lower == "postgresql.conf":
        return "ini", "postgres"
    if lower in ("my.cnf", "mysqld.cnf", "mariadb.cnf") or (lower.endswith(".cnf") and any(
            p in ("mysql", "mysql.conf.d", "conf.d", "mariadb") for p in parts)):
        return "ini", "mysql"
    return None


def served_by_config_server(path: str) -> bool:
    """True for a file a Spring Cloud Config server serves to other services: `<app>.yml` or
    `<app>-<profile>.properties` in a `config-repo/` folder, or in `src/main/resources/config/` (`shared/`)
    of a module named as a config server (`config-server`, `config-service`). The server's own
    `application.yml` beside `src/main/resources` is its own configuration, not served."""
    return config_server_system(path) is not None


def config_server_system(path: str) -> str | None:
    """The folder of the system a served file (`served_by_config_server`) belongs to, repo-relative ("." for the
    root): the one holding its `config-repo/` folder or its config server's module (`chapter12/config-repo/…`,
    `shop/config-server/src/main/resources/config/…` → `chapter12`, `shop`); None for a file not served."""
    parts = path.replace("\\", "/").split("/")
    if len(parts) < 2 or not parts[-1].lower().endswith((".yml", ".yaml", ".properties")):
        return None
    folders = [folder.lower() for folder in parts[:-1]]
    repo = next((index for index, folder in enumerate(folders) if folder in _CONFIG_REPO_DIRS), None)
    if repo is None and len(folders) >= 5 and folders[-4:-1] == ["src", "main", "resources"] \
            and folders[-1] in _SERVED_SUBDIRS and _CONFIG_SERVER_MODULE.match(folders[-5]) is not None:
        repo = len(folders) - 5
    if repo is None:
        return None
    return "/".join(parts[:repo]) or "."


def framework_of(filename: str) -> str:
    """The `settings.interpret` framework hint for a file name ("" when unknown).

    Also used for ConfigMap data keys, which carry a bare file name and no directory: there a `.conf` is
    taken as nginx and a `.json` as node-config, the usual content of such keys.
    """
    found = _format(filename)
    if found is not None:
        return found[1]
    lower = filename.rsplit("/", 1)[-1].lower()
    if lower.endswith(".conf"):
        return "nginx"
    if lower.endswith(".json"):
        return "node-config"
    return ""


def recognises(path: str) -> bool:
    """True when the file name says this is an app-config file (.env*, application*.yml, settings*.py, …)."""
    try:
        return _format(path) is not None
    except Exception:  # noqa: BLE001 - never let a path break discovery
        return False


def _reader_for(filename: str) -> tuple[str, str] | None:
    """Like `_format`, but also by plain extension (a ConfigMap key like `app.properties`, `nginx.conf`)."""
    found = _format(filename)
    if found is not None:
        return found
    lower = posixpath.basename(filename.replace("\\", "/")).lower()
    if lower.endswith((".yml", ".yaml")):
        return "yaml", ""
    if lower.endswith(".properties"):
        return "properties", ""
    if lower.endswith(".json"):
        return "json", ""
    if lower.endswith(".py"):
        return "python", ""
    if lower.endswith(".ini") or lower.endswith(".cnf"):
        return "ini", ""
    if lower.endswith(".conf"):
        return "nginx" if "nginx" in lower or lower == "default.conf" else "ini", (
            "nginx" if "nginx" in lower or lower == "default.conf" else "")
    return None


# --------------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------------


def entries_from_text(filename: str, text: str, path: str, line_offset: int = 0) -> tuple[list[Entry], list[str]]:
    """Entries of an app-config file's text, chosen by its file name (also used for ConfigMap data keys).

    `path` is the repo-relative path to put in locations; `line_offset` is added to every line (for
    content embedded in another file, e.g. a ConfigMap's `application.yml: |` block).
    Returns (entries, problems) and never raises; an unrecognised file name gives ([], []).
    """
    found = _reader_for(filename)
    if found is None:
        return [], []
    reader_name, framework = found
    reader = _Reader(path, line_offset)
    readers: dict[str, Callable[[str], None]] = {
        "dotenv": reader.dotenv, "properties": reader.properties, "yaml": reader.yaml, "json": reader.json,
        "python": reader.python, "ini": reader.ini, "nginx": reader.nginx,
    }
    unread = _unread_format(text) if reader_name in ("ini", "nginx") else None
    if unread is not None:
        return [], [f"[unsupported] {unread} configuration: not read (the tool does not read this format)"]
    try:
        if framework == "rails":
            reader.prefix = "database"
            reader.erb = True
        if posixpath.basename(filename).lower() == "custom-environment-variables.json":
            reader.values_are_env_names = True
        readers[reader_name](text)
    except _TooManyProblems:
        pass
    except RecursionError:
        reader.problem(None, "nesting too deep to read", "too-deep")
    except Exception as error:  # noqa: BLE001 - never raise: keep what was read
        reader.problem(None, f"could not read ({type(error).__name__}: {error})")
    return reader.entries[:MAX_ENTRIES], _folded(reader.problems)


def _unread_format(text: str) -> str | None:
    """The name of a `.conf` dialect the tool does not read (fluentd, Fluent Bit, logstash), from its first
    meaningful lines, so its file is one note instead of a warning per line read as INI or nginx."""
    for raw in itertools.islice(text.splitlines(), _SNIFF_LINES):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        lower = line.lower()
        if lower.startswith(_FLUENTD_STARTS):
            return "fluentd"
        if line.upper() == line and line.startswith("[") and line.rstrip("]").lstrip("[") in _FLUENT_BIT_SECTIONS:
            return "Fluent Bit"
        if lower.replace(" ", "") in _LOGSTASH_BLOCKS:
            return "logstash"
    return None


def _folded(problems: list[str]) -> list[str]:
    """More than `_FOLD_AFTER` problems with the same message become one: the first line's, with the count."""
    by_message: dict[str, list[str]] = {}
    for problem in problems:
        by_message.setdefault(problem_parts(problem)[2], []).append(problem)
    folded: list[str] = []
    for message, group in by_message.items():
        if len(group) <= _FOLD_AFTER:
            folded.extend(group)
            continue
        first = group[0]
        folded.append(first.replace(message, f"{message} (and {len(group) - 1:,} more lines like it)", 1)
                      if first.endswith(message) else first)
    return folded


class _Reader:
    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.entries: list[Entry] = []
        self.problems: list[str] = []
        self.prefix = ""
        self.erb = False
        self.values_are_env_names = False
        self.long_values = _LongText(MAX_VALUE_TEXT)

    def loc(self, line: int, end_line: int | None = None) -> Location:
        return Location(self.path, line + self.offset, (end_line or line) + self.offset)

    def long_key(self, chars: int, line: int | None) -> bool:
        """True (with a limit problem) when a setting name of `chars` characters is too long to read."""
        if chars <= MAX_KEY_CHARS:
            return False
        self.problem(line, f"a setting name of more than {MAX_KEY_CHARS:,} characters; it and the settings under it "
                     "are not read", "limit")
        return True

    def add(self, key: str, value: Any, line: int, end_line: int | None = None) -> None:
        if self.long_key(len(key) + len(self.prefix), line):
            return
        if len(self.entries) >= MAX_ENTRIES:
            if len(self.entries) == MAX_ENTRIES:
                self.entries.append(Entry("", None, self.loc(line)))  # a marker, cut off by `entries_from_text`
                self.problem(line, f"more than {MAX_ENTRIES:,} settings; from this line on they are not read", "limit")
            return
        if isinstance(value, str) and not self.long_values.allows(len(value), lambda: self.problem(
                line, f"more than {MAX_VALUE_TEXT:,} characters of setting values (one long value repeated through "
                f"names?); values over {_SHORT_VALUE:,} characters from this line on are not read", "limit")):
            return
        if self.prefix:
            key = f"{self.prefix}.{key}" if key else self.prefix
        if isinstance(value, str):
            if self.erb:
                value = _erb(value)
            if self.values_are_env_names:
                value = "${" + value + "}"
        self.entries.append(Entry(key, value, self.loc(line, end_line)))

    def problem(self, line: int | None, message: str, code: str = "") -> None:
        """A problem as "line N: message", with "[code] " before the message for a bound that was hit."""
        if len(self.problems) > MAX_PROBLEMS:  # raised before and caught by a reader's own handler: again
            raise _TooManyProblems
        text = f"[{code}] {message}" if code else message
        self.problems.append(text if line is None else f"line {line + self.offset}: {text}")
        if len(self.problems) == MAX_PROBLEMS:
            where = "" if line is None else f"line {line + self.offset}: "
            self.problems.append(f"{where}[limit] more than {MAX_PROBLEMS:,} problems; the rest of the file is "
                                 "not read")
            raise _TooManyProblems

    # -- .env -----------------------------------------------------------------------------------------

    def dotenv(self, text: str) -> None:
        lines = text.splitlines()
        index = 0
        while index < len(lines):
            raw = lines[index]
            number = index + 1
            index += 1
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[7:].lstrip()
            key, sep, rest = line.partition("=")
            key = key.strip()
            if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", key):
                self.problem(number, "expected KEY=VALUE")
                continue
            rest = rest.lstrip()
            end = number
            if rest[:1] in ("'", '"', "`"):
                quote = rest[0]
                pieces = [rest[1:]]
                close = _closing_quote(pieces[0], quote)
                while close < 0 and index < len(lines):  # each line is read once, not the whole value again
                    pieces.append(lines[index])
                    index += 1
                    end = index
                    close = _closing_quote(pieces[-1], quote)
                if close < 0:
                    self.problem(number, f"unterminated {quote} quote")
                    value = "\n".join(pieces)
                else:
                    value = "\n".join([*pieces[:-1], pieces[-1][:close]])
                if quote == '"':
                    value = value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
            else:
                value = _before_comment(rest, "#").strip()
            self.add(key, value, number, end)

    # -- .properties ----------------------------------------------------------------------------------

    def properties(self, text: str) -> None:
        lines = text.splitlines()
        index = 0
        while index < len(lines):
            start = index + 1
            line = lines[index].lstrip()
            index += 1
            if not line or line[0] in "#!":
                continue
            pieces = [line]  # joined once: adding each continuation line to the whole was quadratic
            while _continues(pieces[-1]) and index < len(lines):
                pieces[-1] = pieces[-1][:-1]
                pieces.append(lines[index].lstrip())
                index += 1
            if _continues(pieces[-1]):
                pieces[-1] = pieces[-1][:-1]
            key, value = _split_property("".join(pieces))
            if key:
                self.add(key, value, start, index)

    # -- YAML -----------------------------------------------------------------------------------------

    def yaml(self, text: str) -> None:
        documents, error = load_documents(text)
        for document in documents:
            value = document.value
            if isinstance(value, (YMap, YList)):
                self._flatten_yaml(value, "", document.line, document.end_line)
        if error is not None:
            bound = "" if error.code == "parse-error" else error.code
            self.problem(error.line, f"invalid YAML: {error.message}", bound)

    def _flatten_yaml(self, value: Any, key: str, line: int, end_line: int) -> None:
        if self.long_key(len(key), line):
            return
        if isinstance(value, YMap):
            for child, child_value in value.items():
                start, end = value.span_of(child)
                child_key = f"{key}.{child}" if key else str(child)
                self._flatten_yaml(child_value, child_key, start, end)
        elif isinstance(value, YList):
            for index, item in enumerate(value):
                start, end = value.item_lines[index] if index < len(value.item_lines) else (line, end_line)
                self._flatten_yaml(item, f"{key}[{index}]", start, end)
        elif isinstance(value, (dict, list)):
            return
        else:
            self.add(key, value, line, end_line)

    # -- JSON -----------------------------------------------------------------------------------------

    def json(self, text: str) -> None:
        try:
            parser = _JsonParser(text)
            value = parser.document()
        except _JsonError as error:
            if error.code:
                self.problem(error.line, str(error), error.code)
                return
            try:
                json.loads(text)
            except json.JSONDecodeError as decode_error:  # at the end, after a final newline, is the last line
                line = min(decode_error.lineno, max(1, len(text.splitlines())))
                self.problem(line, f"invalid JSON: {decode_error.msg}")
                return
            except (RecursionError, ValueError):  # too deep, or a number too long for Python: our own message
                pass
            self.problem(error.line, f"invalid JSON: {error}")
            return
        self._flatten_json(value, "")

    def _flatten_json(self, node: tuple[Any, int, int], key: str) -> None:
        value, line, end = node
        if self.long_key(len(key), line):
            return
        if isinstance(value, dict):
            for child, child_node in value.items():
                self._flatten_json(child_node, f"{key}.{child}" if key else str(child))
        elif isinstance(value, list):
            for index, child_node in enumerate(value):
                self._flatten_json(child_node, f"{key}[{index}]")
        else:
            self.add(key, value, line, end)

    # -- ini (php.ini, postgresql.conf, my.cnf) -------------------------------------------------------

    def ini(self, text: str) -> None:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in ";#":
                continue
            if line.startswith("[") and line.endswith("]"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                if re.fullmatch(r"[A-Za-z0-9_.\-]+", line):
                    self.add(line, True, number)  # my.cnf flags (skip-name-resolve)
                else:
                    self.problem(number, "expected key = value")
                continue
            value = value.strip()
            if value[:1] in ("'", '"'):
                close = value.find(value[0], 1)
                value = value[1:close] if close > 0 else value[1:]
            else:
                value = "" if value[:1] in (";", "#") else _before_comment(value, ";#").strip()
            self.add(key.strip(), value, number)

    # -- nginx ----------------------------------------------------------------------------------------

    def nginx(self, text: str) -> None:
        context: list[str] = []
        context_chars = [0]  # characters of the key prefix each depth of `context` gives
        words: list[str] = []
        start = 0
        for token, line, quoted in _nginx_tokens(text):
            if not quoted and token == "{":
                if not words:
                    self.problem(line, "block without a name")
                    context.append("?")
                else:
                    name = words[0] + (f"({' '.join(words[1:])})" if len(words) > 1 else "")
                    context.append(name)
                context_chars.append(context_chars[-1] + len(context[-1]) + 1)
                words = []
                if len(context) > _NGINX_MAX_DEPTH:
                    # real configs nest a few levels; every key repeats its context, so depth costs depth²
                    self.problem(line, f"blocks nested deeper than {_NGINX_MAX_DEPTH} levels; the rest of the "
                                 "file is not read", "too-deep")
                    return
            elif not quoted and token == "}":
                if words:
                    self.problem(start, f"directive '{words[0]}' without ';'")
                    words = []
                if not context:
                    self.problem(line, "unexpected '}'")
                else:
                    context.pop()
                    context_chars.pop()
            elif not quoted and token == ";":
                if words and not self.long_key(context_chars[-1] + len(words[0]), start):
                    key = ".".join([*context, words[0]])
                    self.add(key, " ".join(words[1:]), start, line)
                words = []
            else:
                if not words:
                    start = line
                words.append(token)
        if words:
            self.problem(start, f"directive '{words[0]}' without ';'")
        if context:
            self.problem(None, "unclosed block at end of file")

    # -- Python ---------------------------------------------------------------------------------------

    def python(self, text: str) -> None:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:  # Python's parser: 1.7 s for 2 MB of `a=a=…`
            self.problem(1, f"a Python module over {MAX_CODE_BYTES:,} bytes is generated, not hand-written "
                         "settings; not read", "too-large")
            return
        try:
            tree = ast.parse(text)
        except SyntaxError as error:
            self.problem(error.lineno or 1, f"Python syntax error: {error.msg}")
            return
        except RecursionError:  # Python's own parser gives no line: point at the longest one, where it usually is
            lines = text.split("\n")
            longest = max(range(len(lines)), key=lambda index: len(lines[index]))
            self.problem(longest + 1, "nested too deeply for Python's parser (this is the longest line); the file "
                         "is not read", "too-deep")
            return
        except (ValueError, MemoryError) as error:  # a NUL byte
            line = text.count("\n", 0, text.index("\0")) + 1 if "\0" in text else None
            self.problem(line, f"cannot parse Python: {error}")
            return
        _PythonSettings(self).statements(tree.body, "")


def _before_comment(text: str, markers: str) -> str:
    """`text` up to the first comment marker that follows a blank (`x  # note` → `x  `); scanned once, where
    `re.split(r"\\s+#", …)` retried every position of a long run of blanks (20,000 tabs: 0.5 s)."""
    for index, char in enumerate(text):
        if char in markers and index > 0 and text[index - 1].isspace():
            return text[:index]
    return text


def _closing_quote(body: str, quote: str) -> int:
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and quote == '"':
            index += 2
            continue
        if char == quote:
            return index
        index += 1
    return -1


def _continues(line: str) -> bool:
    """An odd number of trailing backslashes (a line that is all backslashes continues the count before it,
    which is even once its own last one is removed, so the parity of this line alone decides)."""
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


_PROPERTY_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape_property(text: str) -> str:
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            nxt = text[index + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[index + 2 : index + 6]):
                out.append(chr(int(text[index + 2 : index + 6], 16)))
                index += 6
                continue
            out.append(_PROPERTY_ESCAPES.get(nxt, nxt))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _split_property(line: str) -> tuple[str, str]:
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char in "=: \t\f":
            break
        index += 1
    key = line[:index]
    rest = line[index:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return _unescape_property(key), _unescape_property(rest).strip()


def _erb(value: str) -> str:
    """Rails ERB: `<%= ENV.fetch("X") { 5 } %>` → "5"; `<%= ENV["X"] %>` → "${X}".

    Tags are found with `find`, one line at a time: `re.sub(r"<%=?-?(.*?)-?%>", …)` re-read the rest of the
    line from every `<%` that had no `%>` (10,000 of them: 1.7 s).
    """
    if "<%" not in value:
        return value
    out: list[str] = []
    cursor = 0
    start = value.find("<%")
    while start >= 0:
        close = value.find("%>", start + 2)
        if close < 0:
            break  # no tag closes after this one, so none after it does either
        newline = value.find("\n", start + 2, close)
        if newline >= 0:  # a tag does not span lines: try the next `<%` after this line break
            start = value.find("<%", newline + 1)
            continue
        body = value[start + 2 : close]
        body = body[1:] if body.startswith("=") else body
        body = body[1:] if body.startswith("-") else body
        body = body[:-1] if body.endswith("-") else body
        out.append(value[cursor:start] + _erb_tag(body.strip()))
        cursor = close + 2
        start = value.find("<%", cursor)
    out.append(value[cursor:])
    return "".join(out)


_ENV_FETCH = re.compile(r"""ENV\.fetch\(\s*+["'](\w+)["']\s*+""")
_ENV_INDEX = re.compile(r"""ENV\[\s*+["'](\w+)["']\s*+\]""")


def _erb_tag(body: str) -> str:
    """What one ERB tag stands for: the default of an `ENV.fetch`, else `${NAME}` (a number stays itself)."""
    fetch = _ENV_FETCH.match(body)
    if fetch:
        rest = body[fetch.end() :]
        default = ""
        if rest.startswith(","):
            close = rest.find(")")
            if close < 0:
                rest = ""
            else:
                default, rest = rest[1:close].strip(), rest[close:]
        if rest.startswith(")"):
            block = rest[1:].lstrip()
            if not default and block.startswith("{") and (end := block.find("}")) > 0:
                default = block[1:end].strip()
            return default.strip("'\"") if default else "${" + fetch.group(1) + "}"
    env = _ENV_INDEX.match(body)
    if env:
        return "${" + env.group(1) + "}"
    return body if body.isascii() and body.isdigit() else "${" + body + "}"


def _nginx_tokens(text: str) -> list[tuple[str, int, bool]]:
    tokens: list[tuple[str, int, bool]] = []
    lines = _Lines(text)
    index, length = 0, len(text)
    no_brace_after = length  # past this offset no `}` is left
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif char == "#":
            found = _LINE_BREAK.search(text, index)
            index = found.start() if found else length
        elif char in "{};":
            tokens.append((char, lines.at(index), False))
            index += 1
        elif char in "'\"":
            start_line = lines.at(index)
            index += 1
            buf = []
            while index < length and text[index] != char:
                if text[index] == "\\" and index + 1 < length:
                    index += 1
                buf.append(text[index])
                index += 1
            index += 1
            tokens.append(("".join(buf), start_line, True))
        else:
            start = index
            while index < length and not text[index].isspace() and text[index] not in "{};":
                if text[index] == "$" and index + 1 < length and text[index + 1] == "{" and index < no_brace_after:
                    close = text.find("}", index)
                    if close < 0:
                        no_brace_after = index  # every later `${` would search to the end again
                    index = close + 1 if close > 0 else index + 1
                    continue
                index += 1
            tokens.append((text[start:index], lines.at(start), False))
    return tokens


# Line breaks as `str.splitlines` (and, for what YAML allows, libyaml) count them, so lines read here agree with
# the reports' and with a ConfigMap's own lines when the text is embedded in one.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class _Lines:
    """The 1-based line of an offset in a text."""

    def __init__(self, text: str) -> None:
        self.starts = [found.end() for found in _LINE_BREAK.finditer(text)]

    def at(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) + 1


# --------------------------------------------------------------------------------------------------
# JSON with lines (node-config files may also carry // and /* */ comments)
# --------------------------------------------------------------------------------------------------


class _JsonError(Exception):
    def __init__(self, message: str, line: int, code: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.code = code  # set for a bound that was hit


_JSON_LITERAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


class _JsonParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines = _Lines(text)
        self.depth = 0

    @property
    def line(self) -> int:
        return self.lines.at(self.pos)

    def document(self) -> tuple[Any, int, int]:
        value = self.value()
        self.skip()
        if self.pos < len(self.text):
            raise _JsonError("extra data after the document", self.line)
        return value

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\n\r\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                found = _LINE_BREAK.search(text, self.pos)
                self.pos = found.start() if found else len(text)
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise _JsonError("unterminated comment", self.line)
                self.pos = end + 2
            else:
                return

    def value(self) -> tuple[Any, int, int]:
        self.skip()
        if self.pos >= len(self.text):
            raise _JsonError("unexpected end of input", self.line)
        char = self.text[self.pos]
        line = self.line
        if char == "{":
            return self.obj()
        if char == "[":
            return self.arr()
        if char == '"':
            return self.string(), line, line
        match = _JSON_LITERAL.match(self.text, self.pos)
        if not match:
            raise _JsonError(f"unexpected {char!r}", self.line)
        self.pos = match.end()
        token = match.group(0)
        literal: Any = {"true": True, "false": False, "null": None}.get(token, token)
        if literal is token:  # a number; one no setting could hold (5,000 digits, 1e999) stays text
            number = real(token) if any(c in token for c in ".eE") else integer(token)
            literal = token if number is None else number
        return literal, line, line

    def string(self) -> str:
        end = self.pos + 1
        text = self.text
        while True:
            if end >= len(text) or text[end] == "\n":
                raise _JsonError("unterminated string", self.line)
            if text[end] == "\\":
                end += 2
                continue
            if text[end] == '"':
                break
            end += 1
        raw = text[self.pos : end + 1]
        self.pos = end + 1
        try:
            return str(json.loads(raw))
        except json.JSONDecodeError as error:
            raise _JsonError("invalid string", self.line) from error

    def enter(self) -> None:
        self.depth += 1
        if self.depth > 200:
            raise _JsonError("JSON nested deeper than 200 levels; the file is not read", self.line, "too-deep")

    def obj(self) -> tuple[Any, int, int]:
        self.enter()
        start = self.line
        self.pos += 1
        result: dict[str, tuple[Any, int, int]] = {}
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            self.depth -= 1
            return result, start, self.line
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise _JsonError("expected a key", self.line)
            key_line = self.line
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise _JsonError("expected ':'", self.line)
            self.pos += 1
            value, _, end = self.value()
            result[key] = (value, key_line, end)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                self.skip()
                if self.text.startswith("}", self.pos):  # trailing comma
                    self.pos += 1
                    break
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                break
            raise _JsonError("expected ',' or '}'", self.line)
        self.depth -= 1
        return result, start, self.line

    def arr(self) -> tuple[Any, int, int]:
        self.enter()
        start = self.line
        self.pos += 1
        items: list[tuple[Any, int, int]] = []
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            self.depth -= 1
            return items, start, self.line
        while True:
            items.append(self.value())
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                self.skip()
                if self.text.startswith("]", self.pos):
                    self.pos += 1
                    break
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                break
            raise _JsonError("expected ',' or ']'", self.line)
        self.depth -= 1
        return items, start, self.line


# --------------------------------------------------------------------------------------------------
# Python settings, read with ast (never imported)
# --------------------------------------------------------------------------------------------------


class _Unknown:
    """A value that cannot be known without running the code."""


UNKNOWN = _Unknown()
_ENV_FUNCS = {"os.environ.get", "os.getenv", "getenv", "environ.get", "env", "config", "os.environ.setdefault",
              "env.get_value", "decouple.config", "environ.Env"}
_DB_URL_FUNCS = {"dj_database_url.config", "dj_database_url.parse", "env.db", "env.db_url", "db_url",
                 "dj_db_url", "env.database_url"}
_CACHE_URL_FUNCS = {"env.cache", "env.cache_url", "django_cache_url.config", "django_cache_url.parse"}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _PythonSettings:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.names: dict[str, Any] = {}  # module-level scalars, for f-strings and Name references
        self.nodes: dict[str, ast.AST] = {}  # module-level dict/list literals
        self.following: set[int] = set()  # literals being expanded through a name, against self-reference
        self.flatten_left = _MAX_FLATTENED  # `a = a, a, a, …` names itself 5,000 times: 5,000² values
        self.built = _LongText(_MAX_BUILT_TEXT)

    def may_build(self, length: int, node: ast.expr) -> bool:
        """Whether a string of `length` characters may be built from others (see _MAX_BUILT_TEXT)."""
        return length <= _MAX_TEXT and self.built.allows(length, lambda: self.reader.problem(
            node.lineno, f"strings built from others pass {_MAX_BUILT_TEXT:,} characters (names that double each "
            f"other?); from this line on, those over {_SHORT_VALUE:,} characters are not read", "limit"))

    def full(self) -> bool:
        """Whether a bound stopped the reading: nothing after this point is read (a name it binds neither)."""
        return len(self.reader.entries) > MAX_ENTRIES or self.flatten_left < 0

    def statements(self, body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if self.full():
                return
            try:
                self.statement(stmt, prefix)
            except RecursionError:  # `X = 1 + 1 + … + 1`: ast parses it, walking it overflows the stack
                self.reader.problem(stmt.lineno, "expression nested too deeply to read; the statement is skipped",
                                    "too-deep")

    def statement(self, stmt: ast.stmt, prefix: str) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:  # `a = a = … = 1` names a million targets in one statement
                if self.full():
                    return
                self.assign(target, stmt.value, stmt, prefix)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, stmt.value, stmt, prefix)
        elif isinstance(stmt, ast.ClassDef):
            self.statements(stmt.body, f"{prefix}{stmt.name}.")
        elif isinstance(stmt, ast.If):
            self.statements(stmt.body, prefix)
            self.statements(stmt.orelse, prefix)
        elif isinstance(stmt, ast.Try):
            self.statements(stmt.body, prefix)
            for handler in stmt.handlers:
                self.statements(handler.body, prefix)
            self.statements(stmt.orelse, prefix)
            self.statements(stmt.finalbody, prefix)
        elif isinstance(stmt, ast.With):
            self.statements(stmt.body, prefix)

    def assign(self, target: ast.expr, value: ast.expr, stmt: ast.stmt, prefix: str) -> None:
        key = self.target_key(target)
        if key is None:
            return
        full = prefix + key
        if isinstance(target, ast.Name) and not prefix:
            if isinstance(value, (ast.Dict, ast.List, ast.Tuple)):
                self.nodes[key] = value
            scalar = self.scalar(value)
            if not isinstance(scalar, _Unknown):
                self.names[key] = scalar
        self.flatten(value, full, stmt.lineno, stmt.end_lineno or stmt.lineno)

    def target_key(self, target: ast.expr) -> str | None:
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Subscript):
            base = self.target_key(target.value)
            index = target.slice
            if base is None or not isinstance(index, ast.Constant) or not isinstance(index.value, (str, int)):
                return None
            return f"{base}.{index.value}"
        return None

    def flatten(self, node: ast.expr, key: str, line: int, end: int, depth: int = 0) -> None:
        self.flatten_left -= 1
        if self.flatten_left < 0:
            if self.flatten_left == -1:
                self.reader.problem(line, f"more than {_MAX_FLATTENED} values in the settings (names that repeat "
                                    "each other?); the rest of the file is not read", "limit")
            return
        if depth > 40:
            self.reader.problem(line, "a value nested deeper than 40 levels; the rest of it is not read", "too-deep")
            return
        if self.reader.long_key(len(key), line):
            return
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=False):
                if k is None:  # **spread
                    continue
                name = self.scalar(k)
                if isinstance(name, (_Unknown, dict, list)):
                    continue
                self.flatten(v, f"{key}.{name}", k.lineno, v.end_lineno or v.lineno, depth + 1)
            return
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for index, item in enumerate(node.elts):
                self.flatten(item, f"{key}[{index}]", item.lineno, item.end_lineno or item.lineno, depth + 1)
            return
        if isinstance(node, ast.Name) and node.id in self.nodes and self.nodes[node.id] is not node:
            target = self.nodes[node.id]
            if id(target) in self.following:
                return  # `A = {"x": A}`: a value that holds itself
            self.following.add(id(target))
            try:
                self.flatten(target, key, line, end, depth + 1)  # type: ignore[arg-type]
            finally:
                self.following.discard(id(target))
            return
        if isinstance(node, ast.Call):
            func = _dotted(node.func) or ""
            if func == "dict":
                for keyword in node.keywords:
                    if keyword.arg:
                        self.flatten(keyword.value, f"{key}.{keyword.arg}", keyword.value.lineno,
                                     keyword.value.end_lineno or keyword.value.lineno, depth + 1)
                return
            if func in _DB_URL_FUNCS or func in _CACHE_URL_FUNCS:
                self.url_helper(node, func, key, line, end)
                return
        value = self.scalar(node)
        if isinstance(value, _Unknown):
            return
        self.reader.add(key, value, line, end)

    def url_helper(self, node: ast.Call, func: str, key: str, line: int, end: int) -> None:
        """dj_database_url.config(default=…, conn_max_age=600) / env.db() → KEY.URL, KEY.CONN_MAX_AGE."""
        var = "CACHE_URL" if func in _CACHE_URL_FUNCS else "DATABASE_URL"
        url: Any = None
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if func.endswith(".parse") and node.args:
            url = self.scalar(node.args[0])
        else:
            if "env" in keywords:
                env_name = self.scalar(keywords["env"])
                var = env_name if isinstance(env_name, str) else var
            elif node.args and func.startswith("env") and isinstance(self.scalar(node.args[0]), str):
                var = self.scalar(node.args[0])
            default = keywords.get("default")
            if default is None and func.startswith("env") and len(node.args) > 1:
                default = node.args[1]
            url = self.scalar(default) if default is not None else "${" + var + "}"
        if isinstance(url, _Unknown) or url is None:
            url = "${" + var + "}"
        self.reader.add(f"{key}.URL", url, line, end)
        for name in ("conn_max_age", "conn_health_checks", "ssl_require", "engine"):
            if name in keywords:
                value = self.scalar(keywords[name])
                if not isinstance(value, _Unknown):
                    self.reader.add(f"{key}.{name.upper()}", value, keywords[name].lineno,
                                    keywords[name].end_lineno or keywords[name].lineno)

    def scalar(self, node: ast.expr | None) -> Any:
        """The literal value of an expression, resolving env lookups to their defaults; else UNKNOWN."""
        if node is None:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            number = isinstance(node.value, int) and not isinstance(node.value, bool)
            if isinstance(node.value, bytes) or (number and int_value(node.value) is None):
                return UNKNOWN  # bytes, or an int no setting holds (`0xfff…`: its text would not even print)
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.scalar(node.operand)
            return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else UNKNOWN
        if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
            return UNKNOWN
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            return f"<{node.id}>"
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            return f"<{dotted}>" if dotted else UNKNOWN
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    inner = self.scalar(value.value)
                    if isinstance(inner, (str, int, float)) and not (isinstance(inner, str) and inner.startswith("<")):
                        parts.append(str(inner))
                    else:
                        name = _dotted(value.value) or "expr"
                        parts.append("${" + name + "}")
            return "".join(parts) if self.may_build(sum(map(len, parts)), node) else UNKNOWN
        if isinstance(node, ast.BinOp):
            left, right = self.scalar(node.left), self.scalar(node.right)
            if isinstance(left, _Unknown) or isinstance(right, _Unknown):
                return UNKNOWN
            if isinstance(node.op, ast.Div) and isinstance(left, str) and isinstance(right, str):
                return f"{left.rstrip('/')}/{right.lstrip('/')}" if self.may_build(len(left) + len(right) + 1,
                                                                                    node) else UNKNOWN
            if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
                return left + right if self.may_build(len(left) + len(right), node) else UNKNOWN
            if isinstance(left, (int, float)) and isinstance(right, (int, float)) and not isinstance(left, bool):
                try:
                    if isinstance(node.op, ast.Mult):
                        return _product(left, right)
                    if isinstance(node.op, ast.Add):
                        return left + right
                except OverflowError:
                    return UNKNOWN
            return UNKNOWN
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            values = [self.scalar(v) for v in node.values]
            for value in values:
                if not isinstance(value, _Unknown) and not (isinstance(value, str) and value.startswith("${")):
                    return value
            return values[0]
        if isinstance(node, ast.Subscript):
            base = _dotted(node.value)
            index = node.slice
            if base in ("os.environ", "environ") and isinstance(index, ast.Constant) and isinstance(index.value, str):
                return "${" + index.value + "}"
            return UNKNOWN
        if isinstance(node, ast.Call):
            return self.call(node)
        return UNKNOWN

    def call(self, node: ast.Call) -> Any:
        func = _dotted(node.func) or ""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        short = func.rsplit(".", 1)[-1]
        if func in _ENV_FUNCS or (func.startswith("env.") and short in (
                "str", "int", "bool", "float", "list", "tuple", "dict", "json", "url", "path", "get_value")):
            if not node.args:
                return UNKNOWN
            var = self.scalar(node.args[0])
            if not isinstance(var, str):
                return UNKNOWN
            default_node = keywords.get("default")
            if default_node is None and len(node.args) > 1 and not (func == "env" and len(node.args) > 1 and False):
                default_node = node.args[1]
            if default_node is not None:
                default = self.scalar(default_node)
                if isinstance(default, _Unknown):
                    return "${" + var + "}"
                return _cast(default, short if func.startswith("env.") else "", keywords.get("cast"))
            return "${" + var + "}"
        if func in ("int", "float", "str", "bool") and node.args:
            inner = self.scalar(node.args[0])
            if isinstance(inner, _Unknown):
                return UNKNOWN
            return _cast(inner, func, None)
        if func in ("os.path.join", "path.join", "posixpath.join"):
            parts = [self.scalar(arg) for arg in node.args]
            if any(not isinstance(p, str) for p in parts):
                return UNKNOWN
            return "/".join(str(p).rstrip("/") for p in parts) if self.may_build(
                sum(len(str(p)) + 1 for p in parts), node) else UNKNOWN
        if func in ("Path", "pathlib.Path", "PurePath", "PosixPath") and node.args:
            return self.scalar(node.args[0]) if len(node.args) == 1 else UNKNOWN
        if func in ("timedelta", "datetime.timedelta"):
            seconds = 0.0
            factors = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "milliseconds": 0.001}
            for name, factor in factors.items():
                if name in keywords:
                    value = self.scalar(keywords[name])
                    if not isinstance(value, (int, float)):
                        return UNKNOWN
                    seconds += value * factor
            return seconds
        for arg in node.args[:1]:  # redis.from_url("redis://…"), create_engine(url)
            value = self.scalar(arg)
            if isinstance(value, str) and "://" in value:
                return value
        return UNKNOWN


# A string built from others (`B = A + A`, f-strings, path joins) longer than this is unknown: doubling through
# a thousand names would reach 2**1000 characters. No setting value is near it.
_MAX_TEXT = 65_536
# Characters of such strings one file may build (twice the file limit); past it, only short ones. 20,000 names
# doubling each other up to the bound above build 600 MB (2.5 s for a 1.3 MB settings.py).
_MAX_BUILT_TEXT = 4 * 2**20


def _product(left: int | float, right: int | float) -> Any:
    """`left * right`, or UNKNOWN for an int wider than any setting (a chain of big factors would otherwise
    build a number of thousands of digits, in time that grows with the square of its length)."""
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 4 * MAX_DIGITS:
        return UNKNOWN
    return left * right


def _cast(value: Any, kind: str, cast: ast.expr | None) -> Any:
    target = kind or (_dotted(cast) if cast is not None else "") or ""
    try:
        if target == "int" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return int(value)
        if target == "float" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return float(value)
        if target == "bool" and isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        if target == "str" and value is not None:
            return str(value)
    except (ValueError, OverflowError):
        return value
    return value


# --------------------------------------------------------------------------------------------------
# parse
# --------------------------------------------------------------------------------------------------


def _defaults(framework: str, entries: list[Entry], settings: tuple[Setting, ...], path: str) -> list[Setting]:
    """What a Django/Flask settings module implies when it does not say otherwise (see module docstring)."""
    if framework not in ("django", "flask"):
        return []
    topics = {s.topic for s in settings}
    at = Location(path, 1)
    # An unstated default is pointed at the setting it belongs to (the DATABASES block for
    # CONN_MAX_AGE, INSTALLED_APPS for sessions), or the file's first line when that is absent too.
    first_line: dict[str, Location] = {}
    for entry in entries:
        first_line.setdefault(_TOP_BREAK.split(_class_free(entry.key), maxsplit=1)[0], entry.location)
    tops = first_line.keys()
    out: list[Setting] = []
    if framework == "django" and tops & {"INSTALLED_APPS", "DATABASES", "ROOT_URLCONF"}:
        if "SESSION_ENGINE" not in tops and "session_store" not in topics:
            out.append(Setting("session_store", "(django default)", "db", first_line.get("INSTALLED_APPS", at),
                               "django"))
        if "CACHES" not in tops and "cache_backend" not in topics:
            out.append(Setting("cache_backend", "(django default)", "locmem", at, "django"))
        if "DATABASES" in tops and "conn_max_age" not in topics and not any(
                re.search(r"\.CONN_MAX_AGE$", e.key) for e in entries):
            out.append(Setting("conn_max_age", "(django default)", 0, first_line.get("DATABASES", at), "django"))
    flask = "SECRET_KEY" in tops or any(t.startswith(("FLASK_", "SQLALCHEMY_", "SESSION_")) for t in tops)
    if framework == "flask" and flask and "SESSION_TYPE" not in tops and "session_store" not in topics:
        out.append(Setting("session_store", "(flask default)", "cookie", at, "flask"))
    return out


_TOP_BREAK = re.compile(r"[.\[]")
_CONFIG_CLASS = re.compile(r"^(?:[A-Z][A-Za-z0-9]*)?(Config|Settings|Configuration)\.")


def _class_free(key: str) -> str:
    return _CONFIG_CLASS.sub("", key)


def problem_parts(problem: str) -> tuple[int | None, str, str]:
    """(line, code, message) of a problem from `entries_from_text`; the code is "parse-error" unless a bound
    was hit (`too-deep`, `limit`)."""
    match = _PROBLEM_LINE.match(problem)
    line = int(match.group(1)) if match else None
    message = problem[match.end() :] if match else problem
    code = _PROBLEM_CODE.match(message)
    return line, code.group(1) if code else "parse-error", message[code.end() :] if code else message


def _diagnostic(path: str, problem: str) -> Diagnostic:
    line, code, message = problem_parts(problem)
    return Diagnostic(path, message, line, code, diagnostic_level(code))


def diagnostic_level(code: str) -> Literal["warning", "note"]:
    """A file in a format the tool does not read is a note (nothing is wrong with it); other problems warn."""
    return "note" if code == "unsupported" else "warning"


def parse(path: str, text: str) -> Facts:
    """One `config` node for an app-config file, with its recognised settings and an edge per named host."""
    try:
        return _parse(path, text)
    except Exception as error:  # noqa: BLE001 - never raise past the parser
        return Facts(path, "appconfig", diagnostics=(
            Diagnostic(path, f"could not read app config ({type(error).__name__}: {error})", None, "parse-error"),))


def _parse(path: str, text: str) -> Facts:
    found = _reader_for(path)
    framework = found[1] if found else ""
    framework = framework or (found[0] if found else "unknown")
    entries, problems = entries_from_text(path, text, path, 0)
    if framework == "flask" and any(e.key.split(".", 1)[0] in ("INSTALLED_APPS", "DATABASES", "ROOT_URLCONF")
                                    for e in entries):
        framework = "django"
    hint = {"dotenv": "", "node-config": "node", "php": "php"}.get(framework, framework)
    result = interpret(entries, hint)
    settings = result.settings + tuple(_defaults(framework, entries, result.settings, path))
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1)) if text else 1
    ident = node_id("appconfig", "config", path)
    directory = posixpath.dirname(path) or "."
    node = Node(ident, "config", path, "appconfig", framework, Location(path, 1, last_line),
                attrs={"framework": framework, "dir": directory, **({"served": True} if framework == "spring"
                       and served_by_config_server(path) else {}),
                       **({"env": env_values(entries)} if framework == "dotenv" else {})}, settings=settings)
    edges = tuple(
        Edge(ident, host_ref(link.host), link.kind, link.location, link.attrs())
        for link in result.links
    )
    diagnostics = tuple(_diagnostic(path, p) for p in problems)
    if result.unread_link is not None:
        diagnostics += (Diagnostic(path, LINKS_LIMIT, result.unread_link.line, "limit", "warning"),)
    extra = {"variables": _variables(entries)} if framework == "dotenv" else {}
    return Facts(path, "appconfig", (node,), edges, diagnostics, extra=extra)


def _variables(entries: list[Entry]) -> tuple[tuple[str, str, int], ...]:
    """A dotenv file as compose reads it for interpolation: (name, value, line), in file order. Secret values
    are not kept (a secret-looking name's value, a URL's password): facts are cached on disk and never need
    them, since a password is not an address."""
    found: list[tuple[str, str, int]] = []
    for entry in entries:
        if not entry.key or not isinstance(entry.value, str):
            continue
        value = url_credentials(entry.value)
        if "://" not in value and _SECRET_NAME.search(entry.key):
            value = REDACTED
        found.append((entry.key, value, entry.location.line))
    return tuple(found)
