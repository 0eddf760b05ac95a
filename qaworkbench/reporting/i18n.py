"""Labels in the center's language: Chinese (zh) and English (en)."""

from __future__ import annotations

import pandas as pd

LANGUAGES = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # report titles and sections
    "weekly": ("质检周报", "Weekly QA report"),
    "monthly": ("质检月报", "Monthly QA report"),
    "agent": ("个人质检档案", "Personal QA archive"),
    "period": ("统计周期", "Period"),
    "generated": ("生成时间", "Generated"),
    "scope": ("范围", "Scope"),
    "all_teams": ("全部班组", "all teams"),
    "center": ("全中心", "whole center"),
    "report": ("报表", "Report"),
    "published": ("发布时间", "Published"),
    "files": ("文件", "Files"),
    "reports_index": ("质检报表", "QA reports"),
    "other_language": ("English", "中文"),
    "language": ("语言", "Language"),
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
    "summary": ("概览", "Summary"),
    "scores": ("质检得分（含样本量与95%置信区间）", "Scores (with n and 95% interval)"),
    "team_scores": ("班组得分", "Team scores"),
    "agent_scores": ("坐席得分", "Agent scores"),
    "problems": ("本期发现的问题与正确处理", "Problems found and the correct handling"),
    "deductions": ("坐席扣分明细", "Deductions per agent"),
    "critical": ("新增底线违规", "New bottom-line violations"),
    "completion": ("质检计划完成情况", "QA plan completion"),
    "coach": ("建议辅导的坐席", "Agents to coach"),
    "trend": ("得分趋势与控制限", "Score trend with control limits"),
    "comparison": ("班组对比", "Team comparison"),
    "pareto": ("班组共性问题（帕累托）", "Common problems per team (Pareto)"),
    "calibration": ("校准结果", "Calibration"),
    "appeals": ("申诉结果", "Appeal outcomes"),
    "status": ("坐席状态变化（冻结、降级、免检）", "Agent status (frozen, demoted, exempt)"),
    "actions": ("改进措施及效果", "Improvement actions and whether they worked"),
    "recordings": ("优秀录音与问题录音", "Excellent and problem recordings"),
    "history": ("得分历史", "Score history"),
    "recurring": ("反复出现的扣分项", "Recurring deductions"),
    "notes": ("评语与辅导记录", "Evaluator comments and coaching notes"),
    "coaching": ("辅导措施及效果", "Coaching actions and whether they worked"),
    "none": ("无", "none"),
    "no_plan": (
        "本月尚未生成抽样计划（qaw sample）",
        "No sampling plan for this month yet (qaw sample)",
    ),
    "interval_note": (
        "区间为95%置信区间；样本量小的坐席区间宽，排名按部分汇聚（向班组均值收缩）后的得分。",
        "Intervals are 95%; an agent with few evaluations has a wide one. Ranks use the partially pooled score (shrunk toward the team mean).",
    ),
    # chart axes
    "week": ("周", "week"),
    "month": ("月份", "month"),
    "score": ("得分", "score"),
    "points_lost": ("扣分合计", "points lost"),
    "cum_share": ("累计占比", "cumulative share"),
    "team": ("班组", "team"),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "team": ("班组", "team"),
    "agent_id": ("工号", "agent"),
    "name": ("姓名", "name"),
    "n": ("样本量", "n"),
    "agents": ("坐席数", "agents"),
    "mean": ("平均分", "mean"),
    "lo": ("区间下限", "95% low"),
    "hi": ("区间上限", "95% high"),
    "pooled": ("汇聚得分", "pooled score"),
    "rank_pooled": ("排名", "rank"),
    "rank_raw": ("原始排名", "raw rank"),
    "status": ("状态", "status"),
    "evidence": ("依据", "evidence"),
    "penalty_points": ("扣罚分", "penalty points"),
    "item": ("问题项", "item"),
    "item_en": ("问题项", "item"),
    "fails": ("次数", "fails"),
    "points": ("扣分", "points"),
    "share": ("占比", "share"),
    "cum_share": ("累计占比", "cumulative"),
    "contact_id": ("通话编号", "contact"),
    "customer_id": ("客户号码", "customer"),
    "comment": ("评语", "comment"),
    "correct_handling": ("正确处理", "correct handling"),
    "correct_handling_en": ("正确处理", "correct handling"),
    "evaluator_id": ("质检员", "evaluator"),
    "evaluated_at": ("质检时间", "evaluated"),
    "score": ("得分", "score"),
    "recording_ref": ("录音/会话", "recording"),
    "planned": ("计划", "planned"),
    "done": ("完成", "done"),
    "late": ("超时", "late"),
    "completion": ("完成率", "completion"),
    "mean_deviation": ("与标准偏差", "deviation from lead"),
    "mean_abs_deviation": ("平均绝对偏差", "mean abs. deviation"),
    "within_tolerance": ("±5分内占比", "within ±5"),
    "alpha": ("Krippendorff α", "Krippendorff's α"),
    "section_id": ("评分模块", "section"),
    "units": ("样本数", "units"),
    "coders": ("质检员数", "coders"),
    "upheld": ("成立", "upheld"),
    "rejected": ("驳回", "rejected"),
    "pending": ("待定", "pending"),
    "appeals": ("申诉数", "appeals"),
    "evaluations": ("质检数", "evaluations"),
    "upheld_share": ("成立率", "upheld share"),
    "month": ("月份", "month"),
    "deducted": ("扣分", "points deducted"),
    "items": ("扣分项", "items"),
    "before": ("上月失误率", "fail rate before"),
    "after": ("本月失误率", "fail rate now"),
    "change": ("变化", "change"),
    "change_lo": ("变化下限", "change 95% low"),
    "change_hi": ("变化上限", "change 95% high"),
    "verdict": ("结论", "verdict"),
    "kind": ("类别", "kind"),
    "months": ("出现月数", "months"),
}

STATUS = {
    "frozen": ("冻结", "frozen"),
    "demoted": ("降级", "demoted"),
    "full_marks": ("满分（可免检）", "full marks (exemption)"),
    "normal": ("正常", "normal"),
}


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (zh or en)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    zh, en = LABELS[key]
    return zh if lang == "zh" else en


def columns(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``df`` with its columns named in ``lang`` (unknown columns keep their names)."""
    i = 0 if lang == "zh" else 1
    names: dict[str, str] = {}
    used: set[str] = set()
    for c in df.columns:
        new = COLUMNS[c][i] if c in COLUMNS else c
        names[c] = new if new not in used else c  # never two columns with one name
        used.add(names[c])
    return df.rename(columns=names)
