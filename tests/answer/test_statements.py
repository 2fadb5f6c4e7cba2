"""The enterprise's own words settle a condition no rule could structure, and only then."""

from __future__ import annotations

import datetime as dt

from assistant.answer.statements import EnterpriseStatements, negates
from assistant.types import Action, Profile


def test_a_sentence_that_holds_the_conditions_words_settles_it() -> None:
    statements = EnterpriseStatements(
        "2023年8月又以融资租赁方式租入一组全新的伺服注塑机设备，这组注塑机不申请设备购置补助。"
    )
    stated = statements.stating("企业以融资租赁方式取得项目设备的")
    # The clause that denies something else ("不申请…") does not deny the lease.
    assert stated is not None and stated.startswith("2023年8月又以融资租赁方式")


def test_a_figure_the_condition_sets_must_be_met_by_a_figure_of_the_same_kind() -> None:
    said = "新建公共充电站，直流快充桩{n}个、交流慢充桩6个，已接入市充电设施监管平台"
    condition = "单站直流快充桩不少于10个、2023年12月31日前建成并接入市充电设施监管平台的"
    built = dt.date(2023, 9, 28)
    assert EnterpriseStatements(dated=[(said.format(n=12), built)]).stating(condition) is not None
    # Nine chargers against "at least ten": the same words, and not met.
    assert EnterpriseStatements(dated=[(said.format(n=9), built)]).stating(condition) is None
    late = EnterpriseStatements(said.format(n=12) + "，2024年2月1日建成。")
    assert late.stating(condition) is None


def test_a_negated_or_excluding_condition_is_never_settled_by_shared_words() -> None:
    assert negates("Warehouses leased from a related party of the applicant are not supported")
    assert not negates("单站直流快充桩不少于10个")  # threshold wording is not a negation
    statements = EnterpriseStatements("We lease the warehouse from a related party of ours.")
    assert (
        statements.stating(
            "Warehouses leased from a related party of the applicant are not supported"
        )
        is None
    )
    # Nor does a sentence that denies the condition's words state it.
    denied = EnterpriseStatements("Our digital workshop has not passed acceptance by the bureau.")
    assert denied.stating("the digital workshop passes acceptance by the bureau") is None


def test_either_alternative_of_an_or_is_enough() -> None:
    statements = EnterpriseStatements(
        "Our digital workshop passed acceptance by the Demo Hi-tech Zone Economic Development "
        "Bureau on 30 August 2023."
    )
    condition = (
        "An enterprise whose 5G fully connected factory or digital workshop passes acceptance "
        "by the Demo Hi-tech Zone Economic Development Bureau"
    )
    assert statements.stating(condition) is not None
    assert statements.stating("An enterprise whose 5G fully connected factory is certified") is None


def test_known_facts_count_but_the_sentence_must_say_something_itself() -> None:
    profile = Profile(
        region="Example Province",
        ownership="foreign_invested",
        actions=[
            Action(
                kind="reinvestment",
                date="2023-10-16",
                what="USD 5.3 million of 2022 profits reinvested by the parent as capital increase",
            )
        ],
    )
    statements = EnterpriseStatements.of(profile, ["example province"])
    form = (
        "The reinvestment must take the form of a capital increase in an existing "
        "foreign-invested enterprise in Example Province or the establishment of a new "
        "enterprise in Example Province"
    )
    assert statements.stating(form) is not None
    # Words of the region and ownership alone settle nothing.
    assert statements.stating("a foreign-invested enterprise in Example Province") is None
    # The figure left when rules read the words is met by the sentence holding them.
    assert (
        statements.stating(
            "          amount at least USD 5 million",
            whole="The reinvested amount must be at least USD 5 million",
        )
        is not None
    )
    assert (
        statements.stating(
            "          amount at least USD 6 million",
            whole="The reinvested amount must be at least USD 6 million",
        )
        is None
    )


def test_recognition_dates_come_from_the_sentence_that_names_the_title() -> None:
    statements = EnterpriseStatements(
        "2021年12月首次被认定为示例省专精特新中小企业。2023年1月12日签了上市辅导协议。"
    )
    assert statements.recognized_on("srdi") == [20211200]
    assert statements.recognized_on("little_giant") == []


def test_a_note_that_something_was_not_said_states_nothing() -> None:
    statements = EnterpriseStatements(
        "Nothing said about transport testing or dangerous-goods packaging of the shipments."
    )
    condition = (
        "provided the shipment complies with the applicable transport testing and "
        "dangerous-goods packaging requirements"
    )
    assert statements.stating(condition) is None


def test_the_alternative_kept_must_itself_be_stated() -> None:
    condition = "个人消费者在本市自有或长期租赁的固定车位安装家用充电桩的"
    rented = EnterpriseStatements("在本市小区租用的固定车位安装家用充电桩，安装费2200元")
    assert rented.stating(condition) is None  # neither owned nor said to be a long lease
    owned = EnterpriseStatements("在本市自有的固定车位安装家用充电桩，安装费2200元")
    assert owned.stating(condition) is not None
