"""The corpus manifest (corpus/manifest.yaml) and the documents it describes.

Both are untrusted input. Every file to read is resolved and must lie inside the corpus
folder: a symbolic link or a manifest source that leads out of it is refused, and a file
reached by two names is read once. The manifest is parsed with limits on its size, nesting
and alias expansion; a bad entry costs that entry only, and a manifest that cannot be read
at all is one BadInputError naming it relative to the corpus.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.errors import BadInputError
from assistant.ingest.inference import read_metadata
from assistant.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    display_name,
    escape_controls,
    open_regular_file,
)
from assistant.types import DocumentMeta

MANIFEST_NAME = "manifest.yaml"
_SKIP_NAMES = {"readme.md", MANIFEST_NAME}
_CJK = re.compile(r"[\u3400-\u9fff]")

# A manifest of a few thousand documents is well under these; past them it is not a manifest.
MAX_MANIFEST_BYTES = 1024 * 1024
_MAX_DEPTH = 32
_MAX_ALIASES = 10_000
# Values in the manifest once every alias is expanded: what the validators and the index
# would handle if the aliases were copies.
_MAX_EXPANDED_VALUES = 200_000


@dataclass
class CorpusPlan:
    """Which files to ingest, with their metadata, and what was wrong with the manifest."""

    entries: list[tuple[Path, DocumentMeta]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)


@dataclass
class Manifest:
    """The manifest's usable entries, each with the resolved file it names, and the rest."""

    entries: list[tuple[DocumentMeta, Path]] = field(default_factory=list)
    # source (or "manifest.yaml entry N" when it has none) -> why the entry is not used
    rejected: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Every source an entry names, used or not: none of them is ingested with guessed
    # metadata, so a typo in an entry never turns an expired document into one in force.
    listed: set[str] = field(default_factory=set)
    # Paths under the corpus folder that are not documents (generator inputs, scripts).
    ignore: list[str] = field(default_factory=list)


class _Refused(ValueError):
    """A path that could lead outside the corpus folder."""


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return (slug or "document")[:80].rjust(2, "x")


def _source_of(path: Path, corpus_dir: Path) -> str:
    try:
        return path.relative_to(corpus_dir).as_posix()
    except ValueError:  # a resolved path, against a corpus folder given as typed
        return path.resolve().relative_to(corpus_dir.resolve()).as_posix()


def infer_meta(
    path: Path,
    corpus_dir: Path,
    text_sample: str = "",
    heading_hints: Mapping[int, int] | None = None,
) -> DocumentMeta:
    """Metadata for a file the manifest does not list, read from its text where it says it.
    Never official: nothing vouches for a file nobody listed."""
    read = read_metadata(text_sample, heading_hints)
    cjk = len(_CJK.findall(text_sample[:2000]))
    return DocumentMeta(
        id=_slug(path.stem),
        title=(read.title or path.stem)[:200],
        issuer=read.issuer,
        doc_number=read.doc_number,
        issued=read.issued,
        region=read.region,
        level=read.level,
        effective=read.effective,
        expires=read.expires,
        status="expired" if read.expires and read.expires < dt.date.today() else "in_force",
        language="zh" if cjk > 20 else "en",
        source=_source_of(path, corpus_dir),
        official=False,
        in_manifest=False,
    )


def _document_files(corpus_dir: Path, ignore: list[str]) -> list[Path]:
    """Every file under the corpus folder but the manifest, READMEs, hidden files and what
    the manifest's `ignore` names: each is ingested or reported, none passed over silently."""
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if path.name.lower() in _SKIP_NAMES or any(p.startswith(".") for p in relative.parts):
            continue
        # Links are listed whatever they point at, so that each one is reported.
        if not (path.is_file() or path.is_symlink()):
            continue
        if is_ignored(relative.as_posix(), ignore):
            continue
        files.append(path)
    return files


def _inside(path: Path, root: Path) -> Path:
    """`path` resolved, if it leads inside `root` (itself resolved) and is not a link to a
    folder."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
        raise _Refused(f"the path cannot be resolved ({type(exc).__name__})") from exc
    if not resolved.is_relative_to(root):
        raise _Refused("a link that leads outside the corpus folder; copy the file in instead")
    if path.is_symlink() and resolved.is_dir():
        raise _Refused("a link to a folder, which is not followed")
    return resolved


def _confined_source(source: str, root: Path) -> tuple[str, Path]:
    """A manifest source normalized, and the resolved path it names inside `root`."""
    if any(escape_controls(ch) != ch for ch in source):
        raise _Refused("the source contains control characters")
    pure = PurePosixPath(source)
    if pure.is_absolute():
        raise _Refused("the source is an absolute path; give it relative to the corpus folder")
    if ".." in pure.parts:
        raise _Refused("the source climbs out with `..`; give it relative to the corpus folder")
    normalized = pure.as_posix()
    if normalized == ".":
        raise _Refused("the source names no file")
    return normalized, _inside(root / normalized, root)


# -- reading the manifest -----------------------------------------------------------------


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # YAML would build the date itself, and `2022-13-45` would fail the whole file; as
    # text it fails only its entry, in the entry's validation.
    return loader.construct_scalar(node)


class _ManifestLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting and counts aliases while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > _MAX_ALIASES:
                raise BadInputError(
                    f"{MANIFEST_NAME}: more than {_MAX_ALIASES} aliases; write the values out"
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                raise BadInputError(
                    f"{MANIFEST_NAME}: values nested more than {_MAX_DEPTH} levels deep"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_entry(self, node: yaml.Node) -> Any:
        try:
            return self.construct_document(node)
        finally:
            # A construction that failed half-way leaves its state behind for the next.
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.state_generators = []


_ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document that refers to itself, or whose aliases would expand it past the
    limits: an alias is cheap to write and costs its whole value wherever it is used."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) expanded
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if not children_done:
            if key in measured:
                continue
            if key in entered:
                line = node.start_mark.line + 1
                raise BadInputError(
                    f"{MANIFEST_NAME}: the value at line {line} refers to itself through an alias"
                )
            entered.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
            continue
        sizes = [measured[id(child)] for child in _children(node)]
        values = 1 + sum(size for size, _ in sizes)
        depth = 1 + max((depth for _, depth in sizes), default=0)
        if values > _MAX_EXPANDED_VALUES:
            raise BadInputError(
                f"{MANIFEST_NAME}: its aliases expand to more than {_MAX_EXPANDED_VALUES} "
                "values; write the values out"
            )
        if depth > _MAX_DEPTH:
            raise BadInputError(
                f"{MANIFEST_NAME}: its aliases nest values more than {_MAX_DEPTH} levels deep"
            )
        measured[key] = (values, depth)


def _manifest_text(path: Path, root: Path) -> tuple[str, list[str]]:
    try:
        _inside(path, root)
    except _Refused as exc:
        raise BadInputError(f"{MANIFEST_NAME}: {exc}") from None
    try:
        with open_regular_file(path.resolve()) as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BadInputError(f"{MANIFEST_NAME}: cannot be read ({reason})") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise BadInputError(
            f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES // 1024} KiB; "
            "split the corpus or shorten the entries"
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise BadInputError(f"{MANIFEST_NAME} is not UTF-8 text; save it as UTF-8") from None
    return text, [
        f"{MANIFEST_NAME} is not UTF-8; it was read as GB18030. Check its titles, and save it "
        "as UTF-8"
    ]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: "
        return escape_controls(where + (exc.problem or "syntax error"))
    return escape_controls(type(exc).__name__)


def _entry_nodes(text: str) -> tuple[_ManifestLoader, list[yaml.Node], list[str]]:
    """The loader, the nodes of the `documents` entries, and the `ignore` patterns."""
    loader = _ManifestLoader(text)
    ignore: list[str] = []
    try:
        root = loader.get_single_node()
        if root is None:
            return loader, [], ignore
        _check_expansion(root)
        documents: yaml.Node | None = None
        if isinstance(root, yaml.MappingNode):
            loader.flatten_mapping(root)
            for key, value in root.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "documents":
                    documents = value
                elif isinstance(key, yaml.ScalarNode) and key.value == "ignore":
                    ignore = _ignore_patterns(value)
    except yaml.YAMLError as exc:
        raise BadInputError(f"{MANIFEST_NAME}: not valid YAML ({_yaml_problem(exc)})") from None
    except RecursionError:
        raise BadInputError(f"{MANIFEST_NAME}: values nested too deep") from None
    if documents is None and isinstance(root, yaml.MappingNode):
        return loader, [], ignore
    if not isinstance(documents, yaml.SequenceNode):
        raise BadInputError(f"{MANIFEST_NAME}: expected a mapping with a `documents` list")
    return loader, list(documents.value), ignore


def _ignore_patterns(node: yaml.Node) -> list[str]:
    if not isinstance(node, yaml.SequenceNode) or not all(
        isinstance(item, yaml.ScalarNode) for item in node.value
    ):
        raise BadInputError(f"{MANIFEST_NAME}: `ignore` must be a list of paths or patterns")
    return [escape_controls(str(item.value)) for item in node.value if item.value]


def is_ignored(source: str, patterns: list[str]) -> bool:
    """Whether a corpus-relative path is one the manifest says is not a document: a
    pattern ending in / names a folder, any other is matched against the whole path."""
    for pattern in patterns:
        if pattern.endswith("/"):
            if source.startswith(pattern):
                return True
        elif fnmatch.fnmatchcase(source, pattern):
            return True
    return False


def _plain_field(node: yaml.Node, name: str) -> str | None:
    """A mapping node's scalar field, as written."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return value.value if isinstance(value, yaml.ScalarNode) and value.value else None
    return None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "entry"
        problems.append(f"{where}: {error['msg']}")
    return escape_controls("; ".join(problems))


class _ManifestReader:
    """Turns entry nodes into metadata, one entry at a time."""

    def __init__(self, loader: _ManifestLoader, root: Path) -> None:
        self.loader = loader
        self.root = root
        self.manifest = Manifest()
        self.id_owner: dict[str, int] = {}
        self.file_owner: dict[Path, str] = {}

    def add(self, number: int, node: yaml.Node) -> None:
        where = f"{MANIFEST_NAME}, entry {number} (line {node.start_mark.line + 1})"
        key = f"{MANIFEST_NAME} entry {number}"
        # Read before the entry is built, so that an entry that cannot be built still
        # claims its file.
        source = _plain_field(node, "source")
        if source:
            key = source
            self.manifest.listed.update({source, PurePosixPath(source).as_posix()})
        try:
            data = self.loader.construct_entry(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            problem = _yaml_problem(exc) if isinstance(exc, yaml.YAMLError) else str(exc)
            self.manifest.rejected[key] = f"{where}: {escape_controls(problem[:200])}"
            return
        if not isinstance(data, dict):
            self.manifest.rejected[key] = f"{where}: expected a mapping of fields"
            return
        if isinstance(data.get("id"), str):
            where = f"{MANIFEST_NAME}, entry {number} ({escape_controls(data['id'])})"
        try:
            meta = DocumentMeta.model_validate(data)
            normalized, path = _confined_source(meta.source, self.root)
        except ValidationError as exc:
            self.manifest.rejected[key] = f"{where}: {_describe(exc)}"
            return
        except _Refused as exc:
            self.manifest.rejected[key] = f"{where}: {exc}"
            return
        self.manifest.listed.add(normalized)
        self._accept(number, where, meta.model_copy(update={"source": normalized}), path)

    def _accept(self, number: int, where: str, meta: DocumentMeta, path: Path) -> None:
        if meta.id in self.id_owner:
            self.manifest.rejected[meta.source] = (
                f"{where}: duplicate id {meta.id}, already used by entry {self.id_owner[meta.id]}"
            )
            return
        if path in self.file_owner:
            first = self.file_owner[path]
            self.manifest.warnings.append(
                f"{MANIFEST_NAME}: entries {first} and {meta.id} both list "
                f"{display_name(meta.source)}; only {first} is ingested"
            )
            return
        self.id_owner[meta.id] = number
        self.file_owner[path] = meta.id
        self.manifest.entries.append((meta, path))

    def check_supersedes(self) -> None:
        known = set(self.id_owner)
        for meta, _ in self.manifest.entries:
            if meta.supersedes and meta.supersedes not in known:
                self.manifest.warnings.append(
                    f"{MANIFEST_NAME}: {meta.id} supersedes unknown document "
                    f"{escape_controls(meta.supersedes)}"
                )


def read_manifest(corpus_dir: Path) -> Manifest:
    """The manifest's entries; a bad entry is rejected with its reason, the rest kept.

    Raises BadInputError when the manifest as a whole cannot be read.
    """
    path = corpus_dir / MANIFEST_NAME
    if not (path.exists() or path.is_symlink()):
        return Manifest()
    root = corpus_dir.resolve()
    text, warnings = _manifest_text(path, root)
    loader, nodes, ignore = _entry_nodes(text)
    reader = _ManifestReader(loader, root)
    try:
        for number, node in enumerate(nodes, start=1):
            reader.add(number, node)
    finally:
        loader.dispose()
    reader.check_supersedes()
    reader.manifest.warnings[:0] = warnings
    reader.manifest.ignore = ignore
    return reader.manifest


def load_manifest(corpus_dir: Path) -> list[DocumentMeta]:
    """The manifest's entries, for checking a manifest: any bad entry is an error."""
    manifest = read_manifest(corpus_dir)
    if manifest.rejected:
        reasons = list(manifest.rejected.values())
        more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
        raise BadInputError("; ".join(reasons[:3]) + more)
    return [meta for meta, _ in manifest.entries]


# -- planning -----------------------------------------------------------------------------


def plan_corpus(corpus_dir: Path) -> CorpusPlan:
    """Pair every document file with its manifest entry (or inferred metadata)."""
    if not corpus_dir.is_dir():
        raise BadInputError(f"corpus folder {escape_controls(str(corpus_dir))} does not exist")
    root = corpus_dir.resolve()
    manifest = read_manifest(corpus_dir)
    plan = CorpusPlan(warnings=list(manifest.warnings), unsupported=dict(manifest.rejected))
    read_as: dict[Path, str] = {}  # each resolved file, and the source it is ingested as
    for meta, path in manifest.entries:
        if not path.is_file():
            plan.warnings.append(
                f"manifest lists {display_name(meta.source)} for {meta.id}, but it is missing"
            )
            continue
        plan.entries.append((path, meta))
        read_as[path] = meta.source
    ids = {m.id for _, m in plan.entries}
    for path in _document_files(corpus_dir, manifest.ignore):
        source = path.relative_to(corpus_dir).as_posix()
        if source in manifest.listed:
            continue
        try:
            resolved = _inside(path, root)
        except _Refused as exc:
            plan.unsupported[source] = str(exc)
            continue
        target = resolved.relative_to(root).as_posix()
        if target != source:
            shown = display_name(read_as.get(resolved, target))
            plan.warnings.append(
                f"{display_name(source)} is a link to {display_name(target)}; the file is "
                f"read once, as {shown}"
            )
        if resolved in read_as or target in manifest.listed:
            continue
        if not resolved.is_file():
            plan.unsupported[source] = "a link to something that is not a file"
            continue
        if resolved.suffix.lower() not in SUPPORTED_SUFFIXES:
            plan.unsupported[source] = f"unsupported file type {resolved.suffix or '(none)'!r}"
            continue
        meta = infer_meta(resolved, corpus_dir)
        base, n = meta.id, 2
        while meta.id in ids:
            meta = meta.model_copy(update={"id": f"{base}-{n}"})
            n += 1
        ids.add(meta.id)
        read_as[resolved] = meta.source
        plan.warnings.append(
            f"{display_name(meta.source)} is not in {MANIFEST_NAME}; ingested as {meta.id} "
            "with inferred metadata"
        )
        plan.entries.append((resolved, meta))
    return plan
