"""What a question asks support for, and whether the documents that may answer it say it."""

from __future__ import annotations

import pytest

from assistant.search.topic import asked_for, naming_words, unsaid_words

CARS_ZH = (
    "样本市促进汽车消费若干措施。"
    * 20
    + "个人消费者报废旧车并购买新能源乘用车的，每辆给予以旧换新补贴3000元。"
    "对2022年第四季度新招用员工并签订劳动合同的规上工业企业，按每人500元给予稳岗补贴。"
)
EXPORT_EN = (
    "Sample City supports exporters. "
    * 60
    + "Freight on China-Europe trains for lithium-ion power batteries and battery packs is "
    "subsidized at RMB 4,000 per FEU. Overseas warehouse rent is subsidized at 20%."
)


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("样本市有没有电动自行车以旧换新的补贴？", "电动自行车以旧换新"),
        ("演示高新区对餐饮企业有什么扶持政策？", "餐饮企业"),
        ("海运集装箱运费能申请补贴吗？", "海运集装箱运费"),
        ("Does Sample Port City subsidize air freight charges for exporters?", "air freight charges for exporters"),
        ("What relief does Sample City offer hotels and restaurants under its 2023 measures?", "hotels and restaurants"),
        ("Is there a subsidy in Example Province for manufacturers that obtain CE marking?", "manufacturers that obtain CE marking"),
    ],
)  # fmt: skip
def test_what_support_is_asked_for_is_read_from_the_question(question: str, phrase: str) -> None:
    assert phrase in asked_for(question)


def test_the_document_a_question_names_is_not_what_it_asks_for() -> None:
    # The looser reading takes the document's own title ("外商投资服务措施") with the
    # thing asked about; that title need not be said in the question's language.
    assert asked_for("示例省外商投资服务措施对地区总部有什么奖励？") == ["地区总部"]


def test_a_question_that_asks_for_nothing_in_particular_reads_nothing() -> None:
    assert asked_for("示例省设备更新改造补助找哪个部门咨询？") == []
    assert asked_for("When is the application window for the 2023 awards?") == []


def test_general_and_past_words_name_nothing() -> None:
    assert naming_words("companies recognised as green factories") == ["green", "factories"]
    assert naming_words("对企业新建厂房") == ["厂房"]


def test_a_thing_no_document_mentions_is_unsaid() -> None:
    unsaid = unsaid_words("样本市有没有电动自行车以旧换新的补贴？", [CARS_ZH])
    assert "自行车" in unsaid and "以旧换新" not in unsaid
    assert unsaid_words("What relief does Sample City offer hotels?", [EXPORT_EN]) == ("hotels",)


def test_a_thing_said_in_other_words_or_the_other_language_is_said() -> None:
    # 招工 in 招用员工: the same thing with a character or two between
    assert unsaid_words("样本市新招了工人，有没有招工方面的补贴？", [CARS_ZH]) == ()
    # "lithium" inside "lithium-ion"; "battery" is a sense of 电池 in the other document
    question = "Is there a freight subsidy for lithium battery packs?"
    assert unsaid_words(question, [EXPORT_EN]) == ()
    assert unsaid_words("对报废旧车并购买新能源车有什么补贴？", [EXPORT_EN, CARS_ZH]) == ()


def test_one_unsaid_word_among_many_is_a_paraphrase() -> None:
    """ "rail" among five naming words: the clause says freight trains, not rail."""
    question = "Does Sample City subsidize rail freight for lithium battery packs?"
    assert unsaid_words(question, [EXPORT_EN]) == ()
    assert unsaid_words("Does Sample City subsidize rail freight?", [EXPORT_EN]) == ("rail",)


def test_a_word_that_cannot_be_looked_for_is_not_refused_on() -> None:
    """A Chinese word CC-CEDICT has no English for, asked of English documents only, may be
    said in words no lookup reaches: it is given the benefit of the doubt."""
    assert unsaid_words("《通知》对龙头企业有什么措施？", [EXPORT_EN]) == ()
    # but a word the dictionary translates, and the documents never say, is unsaid
    assert unsaid_words("What subsidy is there for hotels?", [CARS_ZH]) == ("hotels",)


def test_a_claimed_share_the_text_never_gives_is_unsaid() -> None:
    notice = (
        "Continue implementing tax reduction policies for vehicles. " * 20
        + "Boost the development of specialized, refined and innovative SMEs."
    )
    unsaid = unsaid_words(
        "Does the Notice really say that SMEs get a 50% cut in income tax?", [notice]
    )
    assert unsaid[0] == "50%"
    assert "income" in unsaid
    # A claim whose figures the text gives, or a claim with none, is left to retrieval.
    assert (
        unsaid_words("Does the Notice say that SMEs get a 50% cut?", [notice + " A 50% cut."]) == ()
    )
    assert unsaid_words("Does the Notice say that SMEs get support?", [notice]) == ()
    assert unsaid_words("《通知》是否规定了小微企业所得税减免50%？", [notice])[0] == "50%"


def test_when_and_how_lately_a_thing_happens_is_not_what_is_asked_for() -> None:
    """ "in winter" says when, "newly" how lately and "old" what a trade-in always is: none
    names the thing asked about, so a document that never writes them still answers."""
    assert asked_for("Does Example Province give priority power supply to mills in winter?") == [
        "priority power supply to mills"
    ]
    assert naming_words("a company newly recognised as a little giant") == ["little", "giant"]
    question = "Can consumers get a subsidy for trading in an old car?"
    assert unsaid_words(question, [CARS_ZH]) == ()
    assert unsaid_words("Can consumers get a subsidy for trading in an old yacht?", [CARS_ZH])
