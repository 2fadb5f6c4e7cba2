"""What the assistant says, in Chinese."""

from __future__ import annotations

from assistant.answer.messages.base import Messages


def _lead_in(clauses: int, other_language: bool) -> str:
    text = f"以下是文件中与问题最相关的条款原文（摘自{clauses}个条款）"
    return text + ("，部分原文为英文：" if other_language else "：")


def _not_covered(places: list[str]) -> str:
    return (
        f"文件库中没有关于{'、'.join(places)}的政策文件，无法回答。"
        "现有文件覆盖国家通知和示例地区的配套措施。"
    )


def _not_in_notice(titles: list[str], missing: list[str]) -> str:
    text = "《通知》中没有回答这个问题的条款（本库收录的是《通知》的英文摘要）。"
    if missing:
        text += f"《通知》没有提到：{'、'.join(missing)}。"
    return text + (
        f"地方文件中可能有相关规定：{'；'.join(f'《{t}》' for t in titles)}。" if titles else ""
    )


def _no_amount(titles: list[str]) -> str:
    text = (
        "文件中没有规定这方面的具体金额：与问题最相关的条款都没有写明金额，无法给出有依据的数字。"
    )
    return text + (f"最相关的文件：{'；'.join(f'《{t}》' for t in titles)}。" if titles else "")


def _unsupported(missing: list[str], titles: list[str]) -> str:
    text = "文件库中没有能够回答这个问题的条款，无法给出有依据的回答。"
    if missing:
        text += f"文件库中没有任何条款提到：{'、'.join(missing)}。"
    return text + (f"可能相关的文件：{'；'.join(f'《{t}》' for t in titles)}。" if titles else "")


def _topic_not_covered(missing: list[str], titles: list[str]) -> str:
    text = (
        "文件库不涵盖这个问题：可以回答它的文件（问题所指地区或文件的文件，未指明时为全部文件）"
        f"都没有提到：{'、'.join(missing)}，无法给出有依据的回答。"
    )
    return text + (f"最接近的文件：{'；'.join(f'《{t}》' for t in titles)}。" if titles else "")


MESSAGES = Messages(
    status_label={"superseded": "（已被替代的文件）", "expired": "（已失效的文件）"},
    lead_in=_lead_in,
    dated_note=lambda marks: f"注意：{marks}出自已被替代或已失效的文件，不是现行规定。",
    illustrative_mark="（虚构示例）",
    illustrative_note=lambda marks: f"{marks}引自为演示编写的虚构示例文件，并非正式政策。",
    wording={
        "exact": "是。文件中有与此完全一致的原文。",
        "normalized": "是（仅空格、全半角标点或大小写不同）。文件中有内容一致的原文。",
        "near": "否。文件中有相近的表述，但文字不同，差异见对比。",
        "absent": "否。文件库中没有找到这段表述或相近的表述。",
        "source": "原文：",
        "changes": "差异：",
        "change": "“{claim}”（所问）→“{source}”（原文）",
        "searched": "查找范围：",
        "other_language": "无法判断：查找范围内的文件与这段文字的语言不同，文件库中没有可逐字核对的原文。",
    },
    eligibility={
        "met": "符合条件的措施",
        "unknown": "可能符合、需确认的措施",
        "none": "根据所给信息，没有找到明确适用的措施。",
        "profile": "识别出的企业信息（如有误请更正）：",
        "amount": "金额",
        "estimate": "估算",
        "deadline": "截止",
        "apply": "申报",
        "open": "待确认",
        "questions": "补充以下信息可进一步确认：",
        "sample": "注：示例地区的政策均为演示用虚构文件，并非真实机关发布。",
        "sep": "；",
    },
    fact_names={
        "region": "地区",
        "industry": "行业",
        "employees": "员工人数",
        "annual_revenue_wan": "年营业收入（万元）",
        "ownership": "所有制",
        "export_share": "出口占营业收入",
        "products": "产品",
        "certifications": "资质",
        "above_designated_size": "规模以上",
        "registered_years": "成立年限",
        "annual_exports_wan": "年出口额（万元）",
        "annual_exports_usd_wan": "年出口额（万美元）",
        "roles": "身份",
        "actions": "已做事项",
        "attestations": "已声明",
        "served_enterprises": "服务企业数",
        "rd_ratio": "研发投入占营业收入",
        "as_of": "按日期",
        "amount_wan": "万元",
        "yes": "是",
        "no": "否",
    },
    not_covered=_not_covered,
    not_in_notice=_not_in_notice,
    no_amount=_no_amount,
    instruction=(
        "我只能根据政策文件回答关于政策措施的问题，不能执行改变规则的指令。请直接提出政策问题。"
    ),
    unsupported=_unsupported,
    topic_not_covered=_topic_not_covered,
)
