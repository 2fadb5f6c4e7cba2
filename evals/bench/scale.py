"""Query latency and memory against corpus size, from generated policy-like clauses.

    python -m evals.bench.scale [--sizes 1000 10000 100000] [--queries 100]

For each size, writes a generated corpus (Chinese and English articles with varied
regions, industries, amounts, thresholds and dates, no two clauses alike), ingests it with
the real model, then times `ask` over golden questions. All sizes run in one process, so
their ratios hold on a noisy machine. Prints ingestion throughput beside the raw encode rate,
latency percentiles, resident and peak memory, and writes a PNG of latency against size.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.search.embedding import Embedder, create_embedder
from assistant.service import PolicyService
from evals.bench.machine import describe
from evals.bench.soak import memory_kb
from evals.dataset import load_questions
from evals.metrics import percentile

PLACES_ZH = ["甲市", "乙县", "丙区", "丁省", "戊港", "己新区", "庚开发区", "辛园区"]
PLACES_EN = ["North Bay", "East Ridge", "Lakeside", "Riverport", "Westfield", "Hillcrest"]
INDUSTRIES_ZH = [
    "汽车零部件",
    "动力电池",
    "集成电路",
    "纺织服装",
    "家用电器",
    "化工新材料",
    "装备制造",
    "生物医药",
    "光伏组件",
    "工业软件",
    "食品加工",
    "钢铁冶炼",
]
INDUSTRIES_EN = [
    "auto parts",
    "power batteries",
    "integrated circuits",
    "textiles",
    "home appliances",
    "new materials",
    "machinery",
    "biomedicine",
    "solar modules",
    "industrial software",
    "food processing",
    "steel",
]
MEASURES_ZH = [
    "设备更新补助",
    "技术改造贴息",
    "出口信用保险保费补贴",
    "海外仓租赁补贴",
    "研发费用奖励",
    "首台套保险补偿",
    "用电价格优惠",
    "人才引进奖励",
    "数字化转型券",
    "物流运费补贴",
]
MEASURES_EN = [
    "equipment upgrade grant",
    "loan interest subsidy",
    "export credit insurance subsidy",
    "overseas warehouse rent subsidy",
    "R&D award",
    "first-unit insurance compensation",
    "electricity price discount",
    "talent award",
    "digital transformation voucher",
    "freight subsidy",
]


def clause(rng: random.Random, n: int) -> tuple[str, str]:
    if rng.random() < 0.6:
        text = (
            f"第{n}条 对在{rng.choice(PLACES_ZH)}注册的{rng.choice(INDUSTRIES_ZH)}企业，"
            f"年营业收入{rng.randint(5, 500) * 100}万元以上、从业人员{rng.randint(20, 2000)}人以下的，"
            f"给予{rng.choice(MEASURES_ZH)}，按{rng.randint(3, 30)}%计算，"
            f"单个企业最高不超过{rng.randint(10, 900)}万元，申报截止日期为"
            f"{rng.randint(2023, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日。"
        )
        return "zh", text
    text = (
        f"Article {n} Enterprises in {rng.choice(INDUSTRIES_EN)} registered in "
        f"{rng.choice(PLACES_EN)} with at least {rng.randint(10, 900)} employees receive a "
        f"{rng.choice(MEASURES_EN)} of {rng.randint(5, 40)}% capped at RMB "
        f"{rng.randint(1, 90)},{rng.randint(100, 999)},000; applications close on "
        f"{rng.randint(1, 28)} {rng.choice(['March', 'June', 'September', 'December'])} "
        f"{rng.randint(2023, 2026)}."
    )
    return "en", text


def write_corpus(root: Path, size: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    documents = root / "documents"
    documents.mkdir(parents=True)
    per_doc = 50
    for d in range(0, size, per_doc):
        lines = {"zh": [], "en": []}  # type: dict[str, list[str]]
        for n in range(1, per_doc + 1):
            language, text = clause(rng, n)
            lines[language].append(text)
        for language, body in lines.items():
            if body:
                title = "生成的政策文件" if language == "zh" else "Generated policy document"
                (documents / f"gen-{d:06d}-{language}.txt").write_text(
                    f"{title} {d}\n" + "\n".join(body) + "\n", encoding="utf-8"
                )


Row = tuple[int, float, float, float, float, float, float, float, float]


def measure_size(settings: Settings, embedder: Embedder, questions: list[str], size: int) -> Row:
    """Ingest a generated corpus of `size` clauses and time `ask` over the questions:
    clauses, ingest and raw encode rates, latency percentiles, resident and peak memory,
    and the seconds reading the measures took after the build."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_corpus(root / "corpus", size)
        service = PolicyService(settings.model_copy(update={"index_dir": root / "index"}), embedder)
        started = time.perf_counter()
        report = service.ingest(root / "corpus")
        # ingest() reads the new version's measures after the build the report times.
        measures_seconds = time.perf_counter() - started - report.seconds
        sample = [c.embed_text for c in service.snapshot().chunks[:2000]]
        started = time.perf_counter()
        embedder.embed_documents(sample)
        encode_rate = len(sample) / (time.perf_counter() - started)
        service.warm_up()
        latencies = []
        for question in questions:
            started = time.perf_counter()
            service.ask(question)
            latencies.append((time.perf_counter() - started) * 1000)
        memory = memory_kb(os.getpid())
        return (
            report.clauses,
            report.clauses / report.seconds,
            encode_rate,
            percentile(latencies, 50),
            percentile(latencies, 95),
            percentile(latencies, 99),
            memory["VmRSS"] / 1024,
            memory["VmHWM"] / 1024,
            measures_seconds,
        )


def plot(rows: list[Row], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    sizes = [r[0] for r in rows]
    for index, label in ((3, "p50"), (4, "p95"), (5, "p99")):
        axis.plot(sizes, [r[index] for r in rows], marker="o", label=label)
    axis.set_xscale("log")
    axis.set_xlabel("clauses in the index")
    axis.set_ylabel("ask latency (ms)")
    axis.set_title("policyqa query latency against corpus size")
    axis.legend()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(png, dpi=100)
    print(f"wrote {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--png", type=Path, default=Path("out/bench/latency-vs-size.png"))
    args = parser.parse_args()

    settings = Settings()
    embedder = create_embedder(settings)
    questions = [q.question for q in load_questions()][: args.queries]
    print(f"machine: {describe()}; model {embedder.model_id}")
    print(
        f"{'clauses':>8}{'ingest/s':>10}{'encode/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'RSS MiB':>9}{'peak MiB':>9}{'measures s':>11}"
    )
    rows = []
    for size in args.sizes:
        row = measure_size(settings, embedder, questions, size)
        rows.append(row)
        print(
            f"{row[0]:>8}{row[1]:>10.1f}{row[2]:>10.1f}{row[3]:>9.1f}{row[4]:>9.1f}"
            f"{row[5]:>9.1f}{row[6]:>9.0f}{row[7]:>9.0f}{row[8]:>11.1f}",
            flush=True,
        )
    plot(rows, args.png)


if __name__ == "__main__":
    main()
