"""Real places, from the administrative-divisions dataset."""

from __future__ import annotations

from assistant.search.places import Place, PlaceFinder, divisions, place_finder


def test_every_province_and_its_short_and_english_names_are_known() -> None:
    provinces = {p.name for p in divisions() if p.name.endswith(("省", "自治区"))}
    assert len(provinces) >= 27
    finder = place_finder()
    assert finder.find("广东省买新能源汽车有什么补贴？") == {"广东省"}
    assert finder.find("广东的补贴") == {"广东省"}
    assert finder.find("What does Shanghai give manufacturers?") == {"上海市"}
    assert finder.find("implementing rules in jiangsu") == {"江苏省"}
    assert finder.find("Shaanxi and Shanxi") == {"陕西省", "山西省"}
    assert finder.find("What is the weather in Xi'an") == {"西安市"}


def test_counties_are_found_by_their_full_names_only() -> None:
    finder = place_finder()
    assert "昆山市" in finder.find("昆山市的技改补贴")
    # "朝阳产业" is a sunrise industry, not Chaoyang; "安康" is well-being
    assert finder.find("支持朝阳产业发展，保障职工安康") == set()


def test_policy_words_and_fictional_places_are_not_real_places() -> None:
    finder = place_finder()
    for text in (
        "样本市2023年购买纯电动乘用车每辆补贴多少钱",
        "What does the Notice say about China-Europe freight trains?",
        "示例省设备更新改造补助找哪个部门",
        "Which battery stocks should I buy",
        "Translate good morning into French",
    ):
        assert finder.find(text) == set(), text


def test_a_finder_over_given_places() -> None:
    finder = PlaceFinder((Place("测试市", ("测试市", "测试", "ceshi town")),))
    assert finder.find("测试的政策") == {"测试市"}
    assert finder.find("Ceshi Town policy") == {"测试市"}
    assert finder.find("nothing here") == set()
