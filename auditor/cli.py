"""The `audit` command: `audit PATH` audits a repository; subcommands inspect the graph and the rules.

Exit codes: 0 pass, 1 findings at or over the failing threshold, 2 usage or configuration error,
3 files could not be parsed (only with --strict-parse), 4 internal error (a defect of this tool; every
other requested report is still written), 5 nothing could be audited (no file under PATH was readable as
any input this tool knows: usually the wrong folder).

Everything printed that came from the audited repository goes through report/text.py `printable`.
"""

from __future__ import annotations

import atexit
import gc
import os
import stat
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from auditor import __version__
from auditor.engine.baseline import BaselineError, baseline_text, read_baseline
from auditor.engine.rules import OPTION_TYPES, Rule, RuleError, find_rule, load_all_rules
from auditor.engine.selection import SelectionError, disabled_rules, rule_ids, rule_names
from auditor.model import SEVERITIES, Severity
from auditor.report import ALL_FORMATS, renderer
from auditor.report.ruledocs import catalogue_markdown, rule_markdown
from auditor.report.text import console as make_console
from auditor.report.text import printable

# `audit --help`, `rules` and `explain` must not pay for the pipeline (networkx, the parsers, tree-sitter):
# what only auditing commands use is imported inside them.
if TYPE_CHECKING:
    from auditor.audit import AuditOptions, AuditResult
    from auditor.config import Config
    from auditor.render.helm import HelmOptions
    from auditor.render.kustomize import KustomizeOptions
    from auditor.scan import Scan

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find where an architecture will not scale: Terraform, Kubernetes, compose and app config, in one graph.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)



def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"scale-auditor {__version__}")
        raise typer.Exit()


@app.callback()
def _top_level(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Find where an architecture will not scale: Terraform, Kubernetes, compose and app config, in one graph."""


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_PARSE, EXIT_INTERNAL, EXIT_NOTHING = 0, 1, 2, 3, 4, 5
_SUBCOMMANDS = {"scan", "graph", "rules", "explain", "inventory", "baseline", "hook", "init", "resident"}
# Diagnostics that mean a file could not be read as what it claims to be (for --strict-parse).
PARSE_CODES = frozenset({"parse-error", "encoding", "binary", "alias-bomb", "too-deep", "internal-error"})


def _stderr() -> Console:
    return make_console(stderr=True)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    _stderr().print(Text.assemble(("error:", "red"), " ", printable(message)))
    return typer.Exit(code)


def _lines(text: str) -> str:
    """Multi-line text from the repository (rule docs) with every line made printable."""
    return "".join(printable(line, keep_tabs=True) + "\n" for line in text.splitlines())


def write_file(target: Path, text: str) -> None:
    """Write `text` to `target` by replacing it atomically, so a symlink planted at `target` is replaced,
    never written through, and a reader never sees half a report. A stream (`-o /dev/null`, `/dev/stdout`, a
    named pipe) is written to instead: replacing it, as root, turned /dev/null into a regular file."""
    if _is_stream(target):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _is_stream(target: Path) -> bool:
    """A character device or named pipe, or a link in /dev or /proc/self/fd (`/dev/stdout`: where the shell
    sent the output) to anything but a block device or a folder. A link elsewhere is replaced like a file: the
    audited repository may have planted it; it cannot plant one in /dev."""
    try:
        mode = os.lstat(target).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            return True
        if not stat.S_ISLNK(mode) or not str(target.absolute()).startswith(("/dev/", "/proc/self/fd/")):
            return False
        followed = os.stat(target).st_mode
    except OSError:
        return False
    return not (stat.S_ISBLK(followed) or stat.S_ISDIR(followed))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_dir(path: Path) -> None:
    if not path.exists():
        raise _fail(f"{path} does not exist")
    if not path.is_dir():
        raise _fail(f"{path} is not a directory")


def _rules(rule_dirs: list[Path]) -> list[Rule]:
    try:
        return load_all_rules(rule_dirs)
    except RuleError as error:
        raise _fail(f"invalid rule: {error}") from None


def _parse_formats(formats: list[str], output: Path | None) -> dict[str, Path | None]:
    """`-f terminal -f sarif=out.sarif` → {terminal: None, sarif: out.sarif}; `--output` serves a lone file format.
    At most one report goes to standard output (two would be one unreadable stream)."""
    chosen: dict[str, Path | None] = {}
    for item in formats or ["terminal"]:
        name, _, target = item.partition("=")
        name = name.strip().lower()
        if name not in ALL_FORMATS:
            raise _fail(f"unknown format {name!r}; choose from {', '.join(ALL_FORMATS)}")
        chosen[name] = Path(target) if target else None
    if output is not None:
        lone = [name for name, target in chosen.items() if name != "terminal" and target is None]
        if len(lone) != 1:
            raise _fail("--output needs exactly one non-terminal --format without its own =FILE")
        chosen[lone[0]] = output
    on_stdout = [name for name, target in chosen.items() if target is None]
    if len(on_stdout) > 1:
        raise _fail(f"{' and '.join(on_stdout)} would both go to standard output; give all but one a file "
                    f"(`-f {on_stdout[-1]}=FILE`)")
    return chosen


def _report_root(path: Path, root: Path | None) -> Path:
    """The folder report paths are relative to: `--root`, else the repository PATH is in (report/paths.py)."""
    from auditor.report.paths import audited_prefix, repository_root

    if root is None:
        return repository_root(path)
    _check_dir(root)
    try:
        audited_prefix(path, root)
    except ValueError:
        raise _fail(f"--root {root}: {path} is not inside it") from None
    return root


def _run_audit(path: Path, options: AuditOptions, rules: list[Rule], show_progress: bool) -> AuditResult:
    from auditor.audit import audit

    console = _stderr()
    if not show_progress or not console.is_terminal:
        return audit(path, options, rules=rules)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("parsing"), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task("parsing", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return audit(path, options, progress=advance, rules=rules)


def _load_config(path: Path, config_file: Path | None) -> Config:
    from auditor.config import ConfigError, load_config

    try:
        return load_config(path, config_file)
    except ConfigError as error:
        raise _fail(f"invalid configuration: {error}") from None


def _setup(
    root: Path, config_file: Path | None, rules_dir: list[Path] | None, baseline: Path | None,
    use_baseline: bool = True, helm: Path | None = None, kustomize: Path | None = None,
    select: list[str] | None = None, skip: list[str] | None = None,
) -> tuple[Config, list[Rule], AuditOptions]:
    """What every auditing command starts from: the config, the rules it loads, and the run's options."""
    config = _load_config(root, config_file)
    extra_dirs = [*config.rule_dirs, *(rules_dir or [])]
    rules = _rules(extra_dirs)
    baseline_file = (baseline or config.baseline) if use_baseline else None
    options = _options(config, rules, baseline_file, extra_dirs, rule_names(select), rule_names(skip))
    options.helm = _helm_options(helm or config.helm_path, config)
    options.kustomize = _kustomize_options(kustomize or config.kustomize_path)
    return config, rules, options


def _helm_options(binary: Path | None, config: Config | None = None) -> HelmOptions:
    """The helm binary named (it must exist and be executable), else one found on PATH, else helm-python-sdk
    (render/helm.py helm_options); and the configured values profiles."""
    from auditor.render.helm import helm_options

    if binary is not None and not (binary.is_file() and os.access(binary, os.X_OK)):
        raise _fail(f"--helm {printable(str(binary))}: not an executable file")
    return helm_options(str(binary) if binary is not None else None,
                        dict(config.helm_values) if config is not None else {})


def _kustomize_options(binary: Path | None) -> KustomizeOptions:
    """The kustomize (or kubectl) binary named (it must exist and be executable), else one found on PATH."""
    from auditor.render.kustomize import KustomizeOptions, find_kustomize

    if binary is not None and not (binary.is_file() and os.access(binary, os.X_OK)):
        raise _fail(f"--kustomize {printable(str(binary))}: not an executable file")
    return KustomizeOptions(binary=find_kustomize(str(binary) if binary is not None else None))


def _threshold(fail_on: str | None, config: Config) -> str:
    threshold = fail_on or config.fail_on or "high"
    if threshold not in (*SEVERITIES, "none"):
        raise _fail(f"--fail-on must be one of {', '.join(SEVERITIES)}, none")
    return threshold


def _severity(value: str | None, flag: str) -> Severity | None:
    if value is not None and value not in SEVERITIES:
        raise _fail(f"{flag} must be one of {', '.join(SEVERITIES)}")
    return value


def _options(config: Config, rules: list[Rule], baseline_file: Path | None, extra_dirs: list[Path],
             select: list[str] | None = None, skip: list[str] | None = None) -> AuditOptions:
    """Config file and flags → AuditOptions; every rule name is checked against the catalogue."""
    from auditor.audit import AuditOptions
    from auditor.discover import DEFAULT_MAX_BYTES

    def rule_id(name: str, where: str) -> str:
        rule = find_rule(rules, name)
        if rule is None:
            raise _fail(f"{where}: unknown rule {name!r}; `audit rules` lists them")
        return rule.id

    where = config.path or "configuration"
    try:
        selected = rule_ids(rules, select, "--select") if select else \
            rule_ids(rules, config.enable, f"{where}: rules.enable") if config.enable else None
        skipped = rule_ids(rules, config.disable, f"{where}: rules.disable") | rule_ids(rules, skip or [], "--skip")
    except SelectionError as error:
        raise _fail(str(error)) from None
    disabled = disabled_rules(rules, selected, skipped)
    options: dict[str, dict[str, object]] = {}
    for name, values in config.options.items():
        rule = next(r for r in rules if r.id == rule_id(name, f"{where}: rules.options"))
        known = {option.name: option for option in rule.options}
        for key, value in values.items():
            if key not in known:
                raise _fail(f"{where}: rules.options.{name}: {rule.id} has no option {key!r}")
            expected = OPTION_TYPES[known[key].type]
            if not isinstance(value, expected) or (known[key].type != "bool" and isinstance(value, bool)):
                raise _fail(f"{where}: rules.options.{name}.{key} must be of type {known[key].type}")
        options[rule.id] = dict(values)
    accepted: dict[str, str] = {}
    if baseline_file is not None:
        try:
            accepted = read_baseline(baseline_file)
        except BaselineError as error:
            raise _fail(str(error)) from None
    return AuditOptions(
        rule_dirs=extra_dirs,
        disabled=disabled,
        severities={rule_id(name, f"{where}: rules.severity"): sev for name, sev in config.severity.items()},
        rule_options=options,
        excludes=config.exclude,
        max_bytes=config.max_file_bytes or DEFAULT_MAX_BYTES,
        severity_weights=config.severity_weights,
        category_weights=config.category_weights,
        ignores=config.ignore,
        baseline=accepted,
        baseline_name=str(baseline_file) if baseline_file else "baseline",
    )


def _exit_code(result: AuditResult, fail_on: str, fail_under: int | None, strict_parse: bool) -> int:
    """3 when --strict-parse and a file could not be parsed; 1 when findings or the score fail; else 0."""
    if strict_parse and any(d.level == "error" and d.code in PARSE_CODES for d in result.diagnostics):
        return EXIT_PARSE
    threshold = SEVERITIES.index(fail_on) if fail_on != "none" else -1
    if any(SEVERITIES.index(f.severity) <= threshold for f in result.findings):
        return EXIT_FINDINGS
    if fail_under is not None and result.score.overall is not None and result.score.overall < fail_under:
        return EXIT_FINDINGS
    return EXIT_OK


def _write_reports(result: AuditResult, formats: dict[str, Path | None], quiet: bool, compact: bool = False,
                   max_findings: int | None = None) -> int | None:
    """Every requested report; one that fails is said on stderr and the others are still written.

    Returns None when all were written, else the exit code: 4 for a defect in a reporter, 2 for a file that
    could not be written (a path or permission problem of the caller's).
    """
    from auditor.report import terminal as terminal_report

    failed: int | None = None
    for name, target in formats.items():
        try:
            if name == "terminal":
                terminal_report.render(result, make_console(), quiet=quiet, compact=compact,
                                       max_findings=max_findings)
                continue
            text = renderer(name)(result)
            if target is None:
                sys.stdout.write(text)
            else:
                write_file(target, text)
        except OSError as error:
            failed = failed or EXIT_USAGE
            _stderr().print(Text(printable(f"error: could not write the {name} report to {target}: {error}")))
        except Exception:  # noqa: BLE001 - a defect in one reporter must not cost the other reports
            failed = EXIT_INTERNAL
            _internal_error(f"the {name} report failed")
    if "terminal" not in formats:
        # CI logs still get the one line that says what was (not) audited.
        _stderr().print(Text(terminal_report.coverage_line(result)))
    return failed


def _internal_error(what: str) -> None:
    """A defect of this tool, on stderr with its traceback (plain text), for a bug report."""
    errors = _stderr()
    errors.print(Text(printable(f"internal error: {what}; please report it (exit code {EXIT_INTERNAL})"), "red"))
    for line in traceback.format_exc().splitlines():
        errors.print(Text(printable(line, keep_tabs=True)), soft_wrap=True)


def _audited_something(result: AuditResult) -> bool:
    """Whether at least one file was read as something this tool audits: parsed cleanly, or parsed in part
    (a file with a syntax error still counts when what was recovered from it is in the graph)."""
    unreadable = {d.path for d in result.diagnostics if d.level == "error" and d.code in PARSE_CODES}
    recovered = {node.location.path for _, node in result.scan.graph.nodes(data="node") if node is not None}
    return any(f.path not in unreadable or f.path in recovered for f in result.scan.inventory.files)


def _nothing_audited(path: Path, result: AuditResult) -> None:
    skipped = len(result.scan.inventory.skipped)
    found = len(result.scan.inventory.files)
    why = f"{found} file(s) found could not be parsed" if found else \
        "no Terraform, Kubernetes, compose, app config or source code"
    _stderr().print(Text(printable(
        f"error: nothing was audited under {path}: {why} ({skipped} skipped); is this the right folder? "
        f"(exit code {EXIT_NOTHING})"), "bold red"))


ENV = "SCALE_AUDITOR_"  # every option a CI job sets often can come from SCALE_AUDITOR_<OPTION> (README)
FailOn = Annotated[str | None, typer.Option(
    "--fail-on", envvar=f"{ENV}FAIL_ON",
    help="Lowest severity that fails the run, or `none` to report without failing (default: high).")]
FailUnder = Annotated[int | None, typer.Option("--fail-under", min=0, max=100, envvar=f"{ENV}FAIL_UNDER",
                                               help="Fail when the score is lower.")]
StrictParse = Annotated[bool | None, typer.Option(
    "--strict-parse/--lenient-parse", envvar=f"{ENV}STRICT_PARSE", help="Exit 3 when a file cannot be parsed.")]
ConfigFile = Annotated[Path | None, typer.Option("--config", "-c", envvar=f"{ENV}CONFIG",
                                                 help="Config file (default: PATH/.auditor.yaml).")]
BaselineFile = Annotated[Path | None, typer.Option("--baseline", "-b", envvar=f"{ENV}BASELINE",
                                                   help="Report only findings not in this file.")]
RulesDir = Annotated[list[Path] | None, typer.Option("--rules-dir", help="Extra folder of rule files (repeatable).")]
Jobs = Annotated[int | None, typer.Option("--jobs", "-j", min=1, max=256, envvar=f"{ENV}JOBS",
                                          help="Processes that parse files (default: the CPU count; 1 for few files).")]
HelmBinary = Annotated[Path | None, typer.Option(
    "--helm", envvar=f"{ENV}HELM",
    help="helm binary that renders charts (sandboxed) (default: helm on PATH; without one, values only).")]
# Filters decide what is checked (engine/selection.py): what they leave out is not reported, not scored and
# cannot fail the run.
Select = Annotated[list[str] | None, typer.Option(
    "--select", envvar=f"{ENV}SELECT",
    help="Run only these rules (ids or slugs; repeatable or comma-separated); replaces config rules.enable. "
         "Rules not run cannot fail the run.")]
Skip = Annotated[list[str] | None, typer.Option(
    "--skip", envvar=f"{ENV}SKIP",
    help="Do not run these rules (ids or slugs; repeatable or comma-separated); adds to config rules.disable.")]
MinSeverity = Annotated[str | None, typer.Option(
    "--min-severity", envvar=f"{ENV}MIN_SEVERITY",
    help=f"Report only findings of this severity or higher ({', '.join(SEVERITIES)}); the rest are not "
         "scored and cannot fail the run (the coverage line counts them).")]
ReportRoot = Annotated[Path | None, typer.Option(
    "--root", help="Repository root that report paths are relative to (default: the nearest folder at or above "
                   "PATH holding .git, else PATH).")]
KustomizeBinary = Annotated[Path | None, typer.Option(
    "--kustomize", envvar=f"{ENV}KUSTOMIZE",
    help="kustomize or kubectl binary that renders overlays (sandboxed) (default: kustomize or kubectl on PATH; "
         "without one, a built-in subset).")]


@app.command("scan")
def scan_command(
    path: Annotated[Path, typer.Argument(help="Repository to audit.")] = Path("."),
    output_format: Annotated[list[str] | None, typer.Option(
        "--format", "-f", envvar=f"{ENV}FORMAT",
        help=f"Report format, repeatable: {', '.join(ALL_FORMATS)}; FORMAT=FILE writes a file.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File for the one non-terminal format.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Plain `path:line: severity RULE message` lines, then the score.")] = False,
    compact: Annotated[bool, typer.Option("--compact", envvar=f"{ENV}COMPACT",
                                          help="One line per finding under each rule, no why/fix.")] = False,
    max_findings: Annotated[int | None, typer.Option(
        "--max-findings", min=0, envvar=f"{ENV}MAX_FINDINGS",
        help="List at most N findings in the terminal, most severe first, and say how many more "
             "(0: all; other formats and the exit code still cover every finding).")] = None,
    select: Select = None,
    skip: Skip = None,
    min_severity: MinSeverity = None,
    rules_dir: RulesDir = None,
    config_file: ConfigFile = None,
    baseline: BaselineFile = None,
    fail_on: FailOn = None,
    fail_under: FailUnder = None,
    strict_parse: StrictParse = None,
    jobs: Jobs = None,
    helm: HelmBinary = None,
    report_root: ReportRoot = None,
    kustomize: KustomizeBinary = None,
) -> None:
    """Audit PATH (the default command: `audit PATH`)."""
    from auditor.report.paths import relocate

    _check_dir(path)
    root = _report_root(path, report_root)
    config, rules, options = _setup(path, config_file, rules_dir, baseline, helm=helm, kustomize=kustomize,
                                    select=select, skip=skip)
    options.jobs = jobs
    options.min_severity = _severity(min_severity, "--min-severity")
    threshold = _threshold(fail_on, config)
    formats = _parse_formats(output_format or [], output)
    result = _run_audit(path, options, rules, show_progress=not quiet)
    failed = _write_reports(relocate(result, root), formats, quiet, compact, max_findings)
    if failed is not None:
        raise typer.Exit(failed)
    if not _audited_something(result):
        _nothing_audited(path, result)
        raise typer.Exit(EXIT_NOTHING)
    strict = strict_parse if strict_parse is not None else bool(config.strict_parse)
    raise typer.Exit(_exit_code(result, threshold, fail_under if fail_under is not None else config.fail_under,
                                strict))


@app.command("baseline")
def baseline_command(
    path: Annotated[Path, typer.Argument(help="Repository to audit.")] = Path("."),
    output: Annotated[Path, typer.Option("--output", "-o", help="Baseline file to write.")] = Path(
        ".auditor-baseline.json"),
    config_file: ConfigFile = None,
    rules_dir: RulesDir = None,
    helm: HelmBinary = None,
    report_root: ReportRoot = None,
    kustomize: KustomizeBinary = None,
) -> None:
    """Accept every current finding: write their fingerprints so `--baseline` reports only new ones."""
    from auditor.report.paths import relocate

    _check_dir(path)
    root = _report_root(path, report_root)
    _, rules, options = _setup(path, config_file, rules_dir, None, use_baseline=False, helm=helm,
                                kustomize=kustomize)
    result = _run_audit(path, options, rules, show_progress=True)
    if not _audited_something(result):
        _nothing_audited(path, result)
        raise typer.Exit(EXIT_NOTHING)
    # The paths written beside each fingerprint only help a reader; the fingerprints match audits of PATH.
    write_file(output, baseline_text(relocate(result, root).findings))
    _stderr().print(Text(printable(f"wrote {len(result.findings)} accepted finding(s) to {output}")))


@app.command("hook")
def hook_command(
    files: Annotated[list[str] | None, typer.Argument(help="Changed files (pre-commit passes them).")] = None,
    root: Annotated[Path, typer.Option("--root", help="Repository root [default: current directory].")] = Path("."),
    config_file: ConfigFile = None,
    baseline: BaselineFile = None,
    fail_on: FailOn = None,
    strict_parse: StrictParse = None,
    select: Select = None,
    skip: Skip = None,
    min_severity: MinSeverity = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Parse every file again.")] = False,
    jobs: Jobs = None,
    helm: HelmBinary = None,
    kustomize: KustomizeBinary = None,
    show_all: Annotated[bool, typer.Option("--all", help="Every finding in the touched files, not only those the "
                                           "change introduced.")] = False,
    base: Annotated[str | None, typer.Option("--base", help="Commit to compare with, or A...B for their merge base "
                                             "(default: HEAD, or pre-commit's --from-ref...--to-ref).")] = None,
) -> None:
    """Pre-commit mode: the findings the change to FILES introduced in their graph neighbourhood (parses are
    cached; the committed versions are read with git, running nothing of the repository's)."""
    _check_dir(root)
    changed = sorted({PurePosixPath(Path(f).as_posix()).as_posix().removeprefix("./") for f in files or []})
    if not changed:
        raise typer.Exit(EXIT_OK)
    from auditor.cache import ParseCache, default_cache_dir
    from auditor.engine.changes import hook_audit
    from auditor.report import terminal as terminal_report

    config, rules, options = _setup(root, config_file, None, baseline, helm=helm, kustomize=kustomize,
                                    select=select, skip=skip)
    options.min_severity = _severity(min_severity, "--min-severity")
    threshold = _threshold(fail_on, config)
    options.cache = None if no_cache else ParseCache(default_cache_dir(), remember=True)
    options.jobs = jobs
    outcome = hook_audit(root, changed, options, rules, show_all, base)
    for note in outcome.notes:
        _stderr().print(Text(printable(f"note: {note}")), soft_wrap=True)
    scoped = outcome.result
    terminal_report.render(scoped, make_console(), quiet=True)
    if outcome.existing:
        remain = "finding remains" if outcome.existing == 1 else "findings remain"
        print(f"{outcome.existing} existing {remain} in the touched files (audit hook --all shows them)", flush=True)
    if scoped.findings:
        _stderr().print("`audit explain RULE` shows why each rule matters and how to fix it.", markup=False)
    strict = strict_parse if strict_parse is not None else bool(config.strict_parse)
    if options.cache is not None:
        options.cache.sweep()  # once a day: old versions' folders and long-unread entries
    raise typer.Exit(_exit_code(scoped, threshold, None, strict))


STARTER_CONFIG = """\
# scale-auditor configuration (https://github.com/scale-auditor/scale-auditor#configuration)
rules:
  disable: []              # rule ids or slugs, e.g. [replicas-not-spread]
  severity: {}             # e.g. {AVAIL005: medium}
  options: {}              # e.g. {COUPLE002: {max_depth: 5}}
exclude: []                # gitignore-style patterns; .gitignore is always honoured
fail_on: high              # lowest severity that fails the run
# fail_under: 70           # fail when the overall score is lower
# baseline: .auditor-baseline.json
ignore: []                 # findings about something absent: {rule, resource, reason, expires?}
"""


@app.command("init")
def init_command(
    path: Annotated[Path, typer.Argument(help="Repository root.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing .auditor.yaml.")] = False,
) -> None:
    """Write a starter .auditor.yaml (every key documented) at PATH."""
    _check_dir(path)
    target = path / ".auditor.yaml"
    if target.is_symlink():
        raise _fail(f"{target} is a symbolic link; not written through (remove it first)")
    if target.exists() and not force:
        raise _fail(f"{target} exists; use --force to overwrite it")
    write_file(target, STARTER_CONFIG)
    _stderr().print(Text(printable(f"wrote {target}")))


@app.command("inventory")
def inventory_command(path: Annotated[Path, typer.Argument(help="Repository to read.")] = Path("."),
                      helm: HelmBinary = None, kustomize: KustomizeBinary = None) -> None:
    """Files, nodes and edges found in PATH, by kind, and the input problems met."""
    from auditor.report import terminal as terminal_report
    from auditor.scan import scan

    _check_dir(path)
    result = scan(path, helm=_helm_options(helm), kustomize=_kustomize_options(kustomize))
    console = make_console()
    _print_inventory(console, result)
    for diagnostic in result.diagnostics:
        console.print(terminal_report.diagnostic_line(diagnostic))


def _print_inventory(console: Console, result: Scan) -> None:
    from rich.table import Table

    files = Counter(f.kind for f in result.inventory.files)
    nodes = Counter(data.kind for _, data in result.graph.nodes(data="node"))
    edges = Counter(data.kind for _, _, data in result.graph.edges(data="edge"))
    skipped = Counter(skip.reason for skip in result.inventory.skipped)
    table = Table(title=Text(printable(f"Inventory of {result.root}")), show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("by kind", overflow="fold")
    for label, counter in (("files", files), ("nodes", nodes), ("edges", edges), ("skipped files", skipped)):
        detail = ", ".join(f"{kind} {count}" for kind, count in sorted(counter.items()))
        table.add_row(label, str(sum(counter.values())), Text(printable(detail)))
    table.add_row("diagnostics", str(len(result.diagnostics)), "")
    console.print(table)


@app.command("graph")
def graph_command(
    path: Annotated[Path, typer.Argument(help="Repository to read.")] = Path("."),
    output_format: Annotated[str, typer.Option("--format", "-f", help="json, dot or mermaid.")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    deployment: Annotated[str | None, typer.Option(
        "--deployment", "-d", help="Only this deployment (e.g. `compose:.`, `kubernetes:k8s`); `list` names them.")
    ] = None,
    helm: HelmBinary = None,
    kustomize: KustomizeBinary = None,
) -> None:
    """Print the dependency graph of PATH (JSON node-link, Graphviz DOT or Mermaid), whole or one deployment."""
    from auditor.graph.export import FORMATS as GRAPH_FORMATS
    from auditor.graph.export import deployments as graph_deployments
    from auditor.graph.export import one_deployment
    from auditor.report import terminal as terminal_report
    from auditor.scan import scan

    if output_format not in GRAPH_FORMATS:
        raise _fail(f"unknown format {output_format!r}; choose one of {', '.join(GRAPH_FORMATS)}")
    _check_dir(path)
    result = scan(path, helm=_helm_options(helm), kustomize=_kustomize_options(kustomize))
    graph = result.graph
    if deployment is not None:
        known = graph_deployments(graph)
        if deployment == "list":
            typer.echo("\n".join(printable(name) for name in known))
            return
        if deployment not in known:
            raise _fail(f"no deployment {printable(deployment)!r} in {printable(str(path))}; "
                        f"the deployments are: {printable(', '.join(known)) or 'none'}")
        graph = one_deployment(graph, deployment)
    text = GRAPH_FORMATS[output_format](graph)
    if output is not None:
        write_file(output, text)
    else:
        sys.stdout.write(text)
    errors = _stderr()
    for diagnostic in result.diagnostics:
        errors.print(terminal_report.diagnostic_line(diagnostic))


@app.command("rules")
def rules_command(
    rules_dir: Annotated[list[Path] | None, typer.Option("--rules-dir", help="Extra folder of rule files.")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or markdown (docs/rules.md).")] = "table",
) -> None:
    """List every rule: id, category, severity, title."""
    rules = _rules(list(rules_dir or []))
    if output_format == "markdown":
        sys.stdout.write(_lines(catalogue_markdown(rules)))
        return
    if output_format != "table":
        raise _fail("--format must be table or markdown")
    console = make_console()
    if not console.is_terminal:
        for rule in rules:
            sys.stdout.write(f"{rule.id}\t{rule.slug}\t{rule.category}\t{rule.severity}\t{printable(rule.title)}\n")
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("id", "slug", "category", "severity", "title"):
        table.add_column(column, overflow="fold")
    for rule in rules:
        table.add_row(rule.id, rule.slug, rule.category, rule.severity, Text(printable(rule.title)))
    console.print(table)


@app.command("resident")
def resident_command(
    action: Annotated[str, typer.Argument(help="status or stop.", metavar="ACTION")] = "status",
) -> None:
    """Say whether this install's resident process runs (SCALE_AUDITOR_RESIDENT=1 starts one; it keeps the tool
    imported so that a warm `audit hook` starts at once), or stop it."""
    from auditor import resident

    if action not in ("status", "stop"):
        raise _fail("ACTION must be status or stop")
    if not resident.supported():
        typer.echo("no resident process on this platform (it needs Unix sockets with peer credentials and fork)")
        return
    answer = resident.control(action)
    if answer is None:
        typer.echo("no resident process runs for this install" + ("" if resident.enabled() else
                   f" ({resident.ENABLE_VARIABLE}=1 starts one at the next command)"))
        return
    served, pid = answer.get("served"), answer.get("pid")
    verb = "stopped" if action == "stop" else "runs"
    typer.echo(f"resident process {pid} {verb}; it has served {served} command(s)")


@app.command("explain")
def explain_command(
    rule_id: Annotated[str, typer.Argument(help="Rule id or slug, e.g. AVAIL001 or single-nat-gateway.")],
    rules_dir: Annotated[list[Path] | None, typer.Option("--rules-dir", help="Extra folder of rule files.")] = None,
) -> None:
    """Print one rule's documentation with its examples."""
    rules = _rules(list(rules_dir or []))
    rule = find_rule(rules, rule_id)
    if rule is None:
        raise _fail(f"no rule {rule_id!r}; `audit rules` lists them")
    console = make_console()
    if console.is_terminal:
        from rich.markdown import Markdown

        console.print(Markdown(_lines(rule_markdown(rule))))
    else:
        sys.stdout.write(_lines(rule_markdown(rule)))


GC_THRESHOLDS = (50_000, 20, 100)  # young collections every 50,000 net allocations (Python's default: 700, 10, 10)


def main() -> None:
    """Entry point: `audit PATH` means `audit scan PATH`."""
    args = sys.argv[1:]
    if args and args[0] not in _SUBCOMMANDS and args[0] not in ("-h", "--help", "--version"):
        sys.argv.insert(1, "scan")
    # An audit builds millions of objects that live to the end (facts, the graph, findings); with the default
    # thresholds the collector scans them again and again for cycles they do not form (a third of the parse
    # and rule stages at 2,000 services). Parsing workers fork from here and inherit this.
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        app(prog_name="audit")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        _stderr().print("interrupted")
        raise SystemExit(130) from None
    except Exception:  # noqa: BLE001 - a defect must not look like "findings" (exit 1) to CI
        _internal_error("the run stopped")
        raise SystemExit(EXIT_INTERNAL) from None


def entry() -> NoReturn:
    """`main` in this process, then an exit that leaves the heap to the OS (auditor/launch.py calls it when no
    resident process runs the command). A run ends holding millions of objects (facts, the graph, findings),
    and the interpreter's own shutdown frees them one by one: 0.1 s at 100 services, more than a tenth of a
    warm pre-commit hook (mypy exits the same way)."""
    os._exit(finish())


def finish() -> int:
    """Run `main`, then the exit handlers, and flush both streams: the exit status, for `os._exit`. Every file
    this tool writes is closed by then."""
    try:
        main()
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    return _flushed(_exit_status(code))


def _exit_status(code: object) -> int:
    """The status `SystemExit(code)` gives: None is 0, an int itself, anything else is printed and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _flushed(status: int) -> int:
    """`status` once exit handlers ran and stdout and stderr are flushed; 120 when a stream could not be (as
    Python's own exit says when, say, the reader of a pipe went away)."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120
    return status


if __name__ == "__main__":  # pragma: no cover
    entry()
