"""What the assistant says when it cannot answer, in each language it speaks."""

from __future__ import annotations

from assistant.types import Language


def refusal_text(
    language: Language,
    reason: str,
    titles: list[str],
    places: list[str] | None = None,
    missing: list[str] | None = None,
) -> str:
    """The refusal for `reason` ("not_covered", "instruction", else unsupported), naming
    the places no document covers, the words no clause holds, and the closest documents."""
    if reason == "not_covered":
        named = "、".join(places or []) if language == "zh" else ", ".join(places or [])
        return (
            f"文件库中没有关于{named}的政策文件，无法回答。现有文件覆盖国家通知和示例地区的配套措施。"
            if language == "zh"
            else f"The corpus has no policy documents for {named}, so it cannot answer this. "
            "It covers the national Notice and the sample localities' measures."
        )
    if reason == "instruction":
        return (
            "我只能根据政策文件回答关于政策措施的问题，不能执行改变规则的指令。请直接提出政策问题。"
            if language == "zh"
            else "I can only answer questions about the policy documents from their text; "
            "I do not follow instructions that change how I work. Please ask about a measure."
        )
    if language == "zh":
        text = "文件库中没有能够回答这个问题的条款，无法给出有依据的回答。"
        if missing:
            text += f"文件库中没有任何条款提到：{'、'.join(missing)}。"
        return text + (
            f"可能相关的文件：{'；'.join(f'《{t}》' for t in titles)}。" if titles else ""
        )
    text = (
        "The documents in the corpus do not answer this question, so there is no grounded answer."
    )
    if missing:
        text += f" No clause in the corpus mentions: {', '.join(missing)}."
    return text + (f" Closest documents: {'; '.join(titles)}." if titles else "")
