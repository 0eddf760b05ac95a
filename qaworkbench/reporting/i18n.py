"""Labels in the center's language: Chinese (zh) and English (en).

Why this module is long: it is every label, column name, coded value and sentence a page
shows, each with both languages side by side, so a missing or drifting translation is seen
in one place (and the pages' one-language tests read these tables).
"""

from __future__ import annotations

import pandas as pd

LANGUAGES = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # complaints (投诉工单) and satisfaction
    "complaints": ("投诉工单汇总与分析", "Complaints: summary and analysis"),
    "complaint_trend": ("投诉趋势", "Complaints trend"),
    "complaint_qa": ("被投诉通话的质检结果", "QA findings on complained contacts"),
    "complaint_contacts": ("投诉工单明细", "Complaints one by one"),
    "complaint_repeat": ("重复投诉客户", "Repeat complainants"),
    "satisfaction": ("客户满意度", "Customer satisfaction"),
    "review_verdict_title": ("判定只能选“对”或“错”", "A verdict is true or false"),
    "autoqa_trust": (
        "各规则的可信度：与质检员的一致性（κ）和质检主管复核的准确率，均附样本数和95%区间；两者都达标才计入违规率。",
        "How far each rule is trusted: its agreement with the evaluators (kappa) and its precision "
        "as reviewed by a QA lead, each with n and its 95% interval; it counts only when both pass.",
    ),
    "autoqa_learned": (
        "从本中心质检结果学习的问题项检测器：交叉验证下与质检员判定比较的精确率、召回率和一致性 κ，"
        "均附样本数和95%区间；按规则的门槛判定是否可信。只作参考，不计入违规率。",
        "Item detectors learned from this center's evaluations (qaw autoqa learn): precision, "
        "recall and kappa against the evaluators under cross-validation, with n and 95% "
        "intervals; trusted by the rules' thresholds. Shown beside the rules, not counted in "
        "violation rates.",
    ),
    "review_on_point": ("复核准确率", "the reviewed precision"),
    "autoqa_learned_title": ("学习所得的问题项检测器", "Learned item detectors"),
    "review_on_lower": ("复核准确率的95%区间下限", "the lower end of its 95% interval"),
    # report titles and sections
    "weekly": ("质检周报", "Weekly QA report"),
    "monthly": ("质检月报", "Monthly QA report"),
    "agent": ("个人质检档案", "Personal QA archive"),
    "period": ("统计周期", "Period"),
    "contacts_answered": ("接通量", "Contacts answered"),
    "state": ("状态", "state"),
    "state_draft": ("待确认（草稿）", "draft awaiting sign-off"),
    "state_published": ("已发布", "published"),
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
    "history": ("近12个月得分", "Scores over the last 12 months"),
    "recurring": ("反复出现的扣分项", "Recurring deductions"),
    "notes": ("评语与辅导记录", "Evaluator comments and coaching notes"),
    "coaching": ("辅导措施及效果", "Coaching actions and whether they worked"),
    "none": ("无", "none"),
    "headline": ("本期概览", "This period at a glance"),
    "autoqa_coverage": ("自动质检覆盖率", "Auto-QA coverage"),
    "rule_yield": ("定向抽样规则命中率", "Yield of the targeted sampling rules"),
    "year": ("近12个月趋势", "The last 12 months"),
    "year_teams": ("各班组近12个月得分", "Team scores over the last 12 months"),
    "year_note": (
        "服务量与服务水平按月统计全部通话与会话（服务水平：呼入在20秒内接通的占比）；得分为当月质检的平均分及95%置信区间（与本期概览同一算法），扣分为每次质检的平均扣分，底线违规为当月新增的底线案件。",
        "Contacts and service level count every call and chat of the month (service level: the share of inbound contacts answered within 20 s); the score is the month's mean with its 95% interval (computed as on page one), deductions the mean points deducted per evaluation, bottom-line cases those new in the month.",
    ),
    "rule_yield_note": (
        "命中率 = 该原因抽到的质检中有扣分（或底线项不合格）的占比。随机抽样的命中率是基准：定向规则明显高于它，才值得占用质检时间。质量水平只用随机抽样计算，定向抽样不计入。",
        "Yield = the share of a reason's evaluations with a deduction (or a failed bottom-line item). The random sample's yield is the baseline: a targeted rule earns its listening time when its yield is clearly above it. The quality level counts random picks only.",
    ),
    "appeals_note": (
        "有争议的扣分须双人复核、经质检主管签字核准后才计入得分、绩效和坐席状态；未核准的申诉（含已有结论但未签字的）其扣分暂不计入。",
        "A disputed deduction counts in scores, pay and status only after a double review and the QA lead's sign-off; until then (a decision without the sign-off included) its points are held apart.",
    ),
    "year_note_team": (
        "接通量为本组坐席当月接通的通话与会话；得分为当月质检的平均分及95%置信区间（与本期概览同一算法），扣分为每次质检的平均扣分，底线违规为当月新增的底线案件。",
        "Contacts answered are the calls and chats the team's agents answered in the month; the score is the month's mean with its 95% interval (computed as on page one), deductions the mean points deducted per evaluation, bottom-line cases those new in the month.",
    ),
    "service_level_pct": ("服务水平（%）", "service level (%)"),
    "year_teams_note": (
        "每个班组每月的平均分及95%置信区间、每次质检的平均扣分。",
        "Each team's mean score per month with its 95% interval, and the mean points deducted per evaluation.",
    ),
    "autoqa_findings": ("自动质检发现", "Auto-QA findings"),
    "autoqa_none_counted": (
        "目前没有一条规则的复核准确率和与质检员的一致性都达标，暂不计算违规率（各规则见上表，均仅供参考）。",
        "No rule has both its reviewed precision and its agreement with the evaluators above "
        "the thresholds yet, so no violation rate is given (each rule is in the table above, "
        "all advisory).",
    ),
    "autoqa_not_run": ("本月尚未运行自动质检。", "Auto-QA has not run for this month."),
    "autoqa_none": (
        "本月没有该坐席的自动质检结果。",
        "No auto-QA results for this agent this month.",
    ),
    "autoqa": (
        "自动质检规则：违规率、与质检员的一致性及复核准确率",
        "Auto-QA rules: violation rates, agreement with evaluators and reviewed precision",
    ),
    "autoqa_teams": ("各班组自动质检违规率", "Auto-QA violation rate per team"),
    "top_problems": ("本期最主要的问题", "Top problems this period"),
    "leniency": ("质检员宽严度（与同事对比）", "Evaluator leniency against peers"),
    "section_alpha": ("评分一致性（Krippendorff α）", "Scoring agreement (Krippendorff's α)"),
    "alpha_note": (
        "Krippendorff α 衡量多名质检员给同一批通话打分的一致程度：1 为完全一致，0 为与随机打分无异，负值为比随机还不一致。"
        "α ≥ 0.80 为可靠，0.667–0.80 为勉强可用，低于 0.667 不可靠，需重新校准。",
        "Krippendorff's α measures how alike several evaluators score the same contacts: 1 is full agreement, 0 no better than chance, below 0 worse than chance. "
        "α ≥ 0.80 is reliable, 0.667–0.80 tentative, below 0.667 not reliable: calibrate again.",
    ),
    "completion_note": (
        "计划：本期截止的抽样评估（事后质检截止日为抽样表中的截止日，实时监听为当日）。完成：已有评估记录；超时：完成日晚于截止日；逾期未做：截止日已过仍无评估；未到期：截止日还没到。",
        "Planned: the sampled evaluations due in the period (after-the-contact reviews by the sample's due day, live listening on its day). Done: evaluated; late: evaluated after the due day; overdue: the due day has passed without an evaluation; not yet due: the due day is still to come.",
    ),
    "leniency_note": (
        "宽严度 = 该质检员给分减去其他质检员同月给同一批坐席的分数（分）；区间不含 0 时才判定偏宽松或偏严格。",
        "Leniency = the evaluator's score minus other evaluators' scores for the same agents that month (points); lenient or strict only when the interval excludes 0.",
    ),
    "actions_note": (
        "对照组：辅导前同期也在该项失误、但未被辅导的坐席。效果 = 被辅导坐席的变化减去对照组的变化，避免把自然回落误认为辅导成效。",
        "Comparison group: agents who also failed the item in the same weeks before but were not coached. Effect = the coached agent's change minus the comparison group's, so a natural fall-back is not taken for success.",
    ),
    "no_plan": (
        "本月尚未生成抽样计划（qaw sample）",
        "No sampling plan for this month yet (qaw sample)",
    ),
    "interval_note": (
        "区间为95%置信区间：真实水平大概率落在其中；样本量小的区间宽。",
        "Intervals are 95%: the true level very likely lies within; few evaluations give a wide one.",
    ),
    "pooled_note": (
        "汇聚得分 = 坐席平均分按评估次数向班组平均分拉近（次数越少拉得越近），一两次偶然的高低分不左右判断；"
        "排名（如“240 人中第 3”，全中心）按汇聚得分，所以只评估 1 次的 95.0 分可能排在评估 30 次的 78.9 分之后。",
        "Pooled score = the agent's mean pulled toward the team's mean, the more so the fewer evaluations, so one or two lucky or unlucky scores do not decide; "
        "ranks (“3 of 240”, whole center) use it, so a 95.0 from one evaluation can rank below a steady 78.9 from 30.",
    ),
    "control_note": (
        "控制限 = 该班组各周平均分的中心线 ± 3 倍标准误，超出控制限或连续 8 周在中心线同一侧即为信号："
        "高于（绿）是好消息，低于（红）需查原因。",
        "Control limits = the team's centre line ± 3 standard errors of a week's mean; a week beyond a limit, "
        "or 8 weeks in a row on one side of the centre line, is a signal: above (green) is good news, below (red) needs a look.",
    ),
    # dashboards
    "coaching_title": ("辅导面谈", "Coaching session"),
    "meeting_title": ("质量例会", "Quality meeting"),
    "w_team": ("班组", "Team"),
    "w_agent": ("坐席", "Agent"),
    "w_month": ("月份", "Month"),
    "w_item": ("问题项", "Item"),
    "w_items": ("辅导项", "Items"),
    "w_agreed": ("约定", "Agreed"),
    "w_due": ("完成日期", "Due"),
    "w_by": ("记录人", "By"),
    "w_action": ("措施", "Action"),
    "w_status": ("状态", "Status"),
    "w_outcome": ("结果", "Outcome"),
    "agreed_hint": ("约定的改进措施", "what the agent and you agreed"),
    "by_hint": ("班长姓名", "your name"),
    "outcome_hint": ("结果说明（关闭时必填）", "outcome (needed to close)"),
    "save": ("保存", "Save"),
    "update": ("更新", "Update"),
    "record_action": ("记录辅导措施", "Record a coaching action"),
    "update_action": ("更新或关闭辅导措施", "Update or close a coaching action"),
    "change_history": ("修改记录", "Change history"),
    "deductions_vs_team": ("扣分项（与班组对比）", "Deductions against the team"),
    "strengths": (
        "优势（本人无失误、班组失误率 ≥ 5% 的项）",
        "Strengths (no fail where the team fails ≥ 5%)",
    ),
    "evaluated_contacts": ("本月质检记录", "Evaluated contacts this month"),
    "transcripts": ("会话记录与录音", "Transcripts and recordings"),
    "month_score": ("本月得分", "Score this month"),
    "change_since": ("比上月", "Change on last month"),
    "open_actions": ("未完成的辅导措施", "Open coaching actions"),
    "evaluators": ("质检员：宽严度与校准", "Evaluators: leniency and calibration"),
    "common_problems": ("共性问题", "Common problems"),
    "loading": ("正在打开…", "Opening…"),
    "view_failed": (
        "无法显示此视图，错误已记录在服务器日志中。",
        "This view could not be shown; the error is in the server's log.",
    ),
    "no_evaluations_month": ("本月无质检数据", "No evaluations this month"),
    "no_evaluations_agent": ("该坐席本月没有质检记录", "No evaluations of this agent this month"),
    "no_data": ("没有可显示的质检数据", "There are no evaluations to show"),
    "pick_item": ("请选择问题项查看相关通话", "Choose an item to see its contacts"),
    "pick_agent": (
        "请选择班组和坐席，查看其辅导面谈",
        "Choose a team and an agent to open their coaching view",
    ),
    "audio_unsupported": ("浏览器不支持播放", "your browser cannot play this"),
    "already_saved": ("已保存过", "already saved"),
    "nothing_open": ("没有未完成的措施", "no open actions"),
    "meeting_headline": ("本月概况与变化", "The month and its change"),
    "red_lines": ("红线（底线）问题，按严重程度", "Bottom-line (red-line) cases by severity"),
    "red_lines_note": (
        "按扣分从重到轻；同分时评分表本身的底线项在前，再按案例数。底线问题不进入上面的共性问题排行。",
        "Heaviest points first; at equal points the scorecard's own bottom-line items first, then the most cases. They are kept out of the common problems above.",
    ),
    "red_line_cases": ("案例", "Cases"),
    "teams_trend": ("班组与趋势", "Teams and trend"),
    "trend_12": (
        "近12个月得分（质量水平及95%区间）",
        "The last 12 months (quality level, 95% interval)",
    ),
    "drill_agents": ("失误最多的坐席", "Agents who failed it most"),
    "drill_examples": (
        "典型案例（有评语、得分低的在前）",
        "Examples (with a comment and a low score first)",
    ),
    "more_sections": (
        "质检员、坐席状态、计划完成与自动质检",
        "Evaluators, agent status, plan completion and auto-QA",
    ),
    "center_wide": (
        "全中心数字：按质检员或渠道统计，不按班组拆分。",
        "Whole-center figures: counted per evaluator or channel, not split by team.",
    ),
    "agent_status_now": ("坐席状态", "Agent status"),
    "findings_by_rule": ("按规则汇总", "By rule"),
    "coaching_now": ("辅导措施", "Coaching actions"),
    "detail_month": ("本月明细", "The month in detail"),
    "archive_evaluations": ("本月每次质检", "Each evaluation this month"),
    # chart axes
    "week": ("周", "week"),
    "month": ("月份", "month"),
    "score": ("得分", "score"),
    "points_lost": ("扣分合计", "points lost"),
    "cum_share": ("累计占比", "cumulative share"),
    "team": ("班组", "team"),
    "center_line": ("中心线", "centre line"),
    "limits": ("控制限", "control limits"),
    "signal": ("异常信号", "signal"),
    "signal_good": ("信号：高于中心线（好消息）", "signal: above the line (good news)"),
    "signal_bad": ("信号：低于中心线（需关注）", "signal: below the line (look into it)"),
    "mean_with_interval": ("平均分及95%区间", "mean with 95% interval"),
    "too_few_point": ("平均分（数据太少，无区间）", "mean (too few for an interval)"),
    # the daily monitoring report (监听日报)
    "daily": ("监听日报", "Daily monitoring report"),
    "headline_day": ("当日概览", "The day at a glance"),
    "day_teams": ("当日各班组得分", "Team scores of the day"),
    "serious": ("需今日处理的严重问题", "Serious findings to act on today"),
    "autoqa_flags": ("自动质检预警（可信规则）", "Auto-QA red flags (trusted rules)"),
    "service_level_day": ("分时段服务水平", "Service level by interval"),
    "owed": ("抽样计划待完成", "What the sample still owes"),
    "day_headline": ("当日概览", "The day at a glance"),
    "day_autoqa_not_run": (
        "本月尚未运行自动质检（qaw autoqa），没有可列出的预警。",
        "Auto-QA (qaw autoqa) has not run for this month: there are no red flags to list.",
    ),
    "day_autoqa_none_trusted": (
        "目前没有一条自动质检规则的复核准确率和与质检员的一致性都达标，所有规则仅供参考，不列为预警。",
        "No auto-QA rule has both its reviewed precision and its agreement with the evaluators above the thresholds yet: every rule is advisory, and none is listed as a red flag.",
    ),
    "day_autoqa_none_flagged": (
        "当日没有会话或通话违反可信的自动质检规则。",
        "No contact of the day broke a trusted auto-QA rule.",
    ),
    "day_sl_none": ("服务水平：当日没有呼入。", "Service level: no inbound contacts that day."),
    "day_no_sample": (
        "本月尚无抽样计划：请运行 qaw sample 生成当月样本。",
        "This month has no sample yet: run qaw sample to draw it.",
    ),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "complaints": ("投诉数", "complaints"),
    "attitude": ("服务态度", "attitude"),
    "business": ("业务", "business"),
    "open": ("处理中", "open"),
    "decided": ("已办结（n）", "decided (n)"),
    "period": ("周期", "period"),
    "category": ("投诉类别", "category"),
    "evaluated": ("已质检", "evaluated"),
    "evaluated_share": ("质检覆盖率", "share evaluated"),
    "top_items": ("最常见扣分项", "items failed most"),
    "received_at": ("受理时间", "received"),
    "in_period": ("本期投诉", "in this period"),
    "teams": ("被投诉班组", "teams complained about"),
    "last": ("最近投诉", "last complaint"),
    "rating": ("平均满意度", "mean rating"),
    "rating_lo": ("满意度下限", "rating 95% low"),
    "rating_hi": ("满意度上限", "rating 95% high"),
    "rating_interval": ("满意度95%区间", "rating 95% interval"),
    "upheld_lo": ("成立率下限", "upheld 95% low"),
    "upheld_hi": ("成立率上限", "upheld 95% high"),
    "upheld_interval": ("成立率95%区间", "upheld 95% interval"),
    "complaint_outcome": ("是否成立", "outcome"),
    "qa_evaluated": ("是否质检", "evaluated?"),
    "contacts": ("服务量", "contacts"),
    "service_level": ("服务水平", "service level"),
    "mean_deducted": ("平均扣分", "mean points deducted"),
    "critical_failed": ("底线违规", "bottom-line fails"),
    "channel": ("渠道", "channel"),
    "seq": ("消息序号", "message no."),
    "quote": ("原文（已脱敏）", "quote (masked)"),
    "matched": ("命中", "matched"),
    "found": ("依据", "what was found"),
    "rule": ("规则", "rule"),
    "checked": ("检查数", "checked"),
    "violations": ("违规数", "violations"),
    "rate_interval": ("违规率95%区间", "rate 95% interval"),
    "violation_rate": ("违规率", "violation rate"),
    "rate_lo": ("违规率下限", "rate 95% low"),
    "rate_hi": ("违规率上限", "rate 95% high"),
    "kappa_lo": ("κ 下限", "kappa 95% low"),
    "kappa_hi": ("κ 上限", "kappa 95% high"),
    "n_compared": ("人工比对数", "n compared"),
    "kappa": ("一致性 κ", "kappa"),
    "kappa_interval": ("κ 95%区间", "kappa 95% interval"),
    "trust": ("用途", "use"),
    "finding_id": ("发现编号", "finding"),
    "agent_masked": ("坐席（已脱敏）", "agent (masked)"),
    "context": ("上下文（已脱敏）", "context (masked)"),
    "review_verdict": ("判定：确属违规？", "verdict: a real fault?"),
    "review_reason": ("理由", "reason"),
    "reviewed": ("复核条数", "findings reviewed"),
    "reviewed_precision": ("复核准确率", "reviewed precision"),
    "reviewed_lo": ("复核准确率下限", "reviewed precision 95% low"),
    "reviewed_hi": ("复核准确率上限", "reviewed precision 95% high"),
    "n_verdicts": ("质检员判定数", "evaluator verdicts"),
    "precision": ("精确率", "precision"),
    "precision_lo": ("精确率下限", "precision 95% low"),
    "precision_hi": ("精确率上限", "precision 95% high"),
    "precision_interval": ("精确率95%区间", "precision 95% interval"),
    "recall": ("召回率", "recall"),
    "recall_lo": ("召回率下限", "recall 95% low"),
    "recall_hi": ("召回率上限", "recall 95% high"),
    "recall_interval": ("召回率95%区间", "recall 95% interval"),
    "detector_use": ("用途", "use"),
    "top_ngrams": ("最有分量的字串", "n-grams that weigh most"),
    "reviewed_interval": ("复核准确率95%区间", "reviewed precision 95% interval"),
    "answered": ("接通量", "answered"),
    "coverage": ("覆盖率", "coverage"),
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
    "evaluator_id": ("质检员工号", "evaluator no."),
    "evaluated_at": ("质检时间", "evaluated"),
    "score": ("得分", "score"),
    "recording_ref": ("录音/会话", "recording"),
    "planned": ("计划", "planned"),
    "done": ("完成", "done"),
    "late": ("超时", "late"),
    "overdue": ("逾期未做", "overdue"),
    "not_due": ("未到期", "not yet due"),
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
    "pending": ("未核准", "not signed off"),
    "appeals": ("申诉数", "appeals"),
    "evaluations": ("质检数", "evaluations"),
    "upheld_share": ("成立率", "upheld share"),
    "oldest_pending_days": ("最久待核准（天）", "oldest pending (days)"),
    "sample_reason": ("抽样原因", "why sampled"),
    "all_n": ("全部质检数", "all evaluations"),
    "all_mean": ("全部质检平均分", "mean of all evaluations"),
    "with_deduction": ("有扣分", "with a deduction"),
    "yield": ("命中率", "yield"),
    "yield_interval": ("命中率95%区间", "yield 95% interval"),
    "yield_lo": ("命中率下限", "yield 95% low"),
    "yield_hi": ("命中率上限", "yield 95% high"),
    "month": ("月份", "month"),
    "deducted": ("扣分", "points deducted"),
    "items": ("扣分项", "items"),
    "before": ("辅导前失误率", "fail rate before"),
    "after": ("辅导后失误率", "fail rate after"),
    "change": ("变化", "change"),
    "change_lo": ("变化下限", "change 95% low"),
    "change_hi": ("变化上限", "change 95% high"),
    "verdict": ("结论", "verdict"),
    "kind": ("类别", "kind"),
    "months": ("出现月数", "months"),
    "interval": ("95%区间", "95% interval"),
    "change_interval": ("变化区间", "change interval"),
    "score_change_interval": ("变化区间", "change interval"),
    "effect_interval": ("效果区间", "effect interval"),
    "reasons": ("原因", "why"),
    "score_change_lo": ("变化下限", "change 95% low"),
    "score_change_hi": ("变化上限", "change 95% high"),
    "effect_lo": ("效果下限", "effect 95% low"),
    "effect_hi": ("效果上限", "effect 95% high"),
    "coach_items": ("辅导重点（扣分项×次数）", "what to coach (item × fails)"),
    "example": ("示例（通话，客户，评语）", "example (contact, customer, comment)"),
    "fail_rate": ("失误率", "fail rate"),
    "case": ("违规内容", "what was found"),
    "bottom_line_kind": ("底线类别", "kind"),
    "cases": ("案例数", "cases"),
    "agent": ("坐席", "agent"),
    "at": ("日期", "date"),
    "evaluator": ("质检员", "evaluator"),
    "center": ("中心线", "centre line"),
    "lcl": ("控制下限", "lower limit"),
    "ucl": ("控制上限", "upper limit"),
    "week": ("周", "week"),
    "signal": ("信号", "signal"),
    "prev_mean": ("上期平均分", "previous mean"),
    "prev_n": ("上期样本量", "previous n"),
    "score_change": ("变化（分）", "change (points)"),
    "bottom_line": ("底线违规", "bottom-line cases"),
    "created_at": ("辅导日期", "coached on"),
    "created_by": ("记录人", "recorded by"),
    "action_id": ("编号", "no."),
    "item_ids": ("辅导项目", "items coached"),
    "due": ("期限", "due"),
    "team_n": ("班组样本量", "team n"),
    "team_fail_rate": ("班组失误率", "team fail rate"),
    "comments": ("评语", "comments"),
    "mode": ("质检方式", "mode"),
    "sd": ("标准差", "SD"),
    "agreed": ("约定措施", "what was agreed"),
    "n_before": ("辅导前次数", "n before"),
    "n_after": ("辅导后次数", "n after"),
    "rate_change": ("失误率变化", "change"),
    "comparison_n": ("对照组人数", "comparison agents"),
    "comparison_change": ("对照组变化", "comparison change"),
    "effect": ("辅导效果", "effect"),
    "leniency": ("宽严度（分）", "leniency (points)"),
    "section": ("评分模块", "section"),
    "action_status": ("状态", "status"),
    "outcome": ("结果", "outcome"),
    "updated_at": ("更新时间", "updated"),
    "updated_by": ("更新人", "updated by"),
    "evidence_ref": ("录音/会话", "recording"),
    "interval_start": ("时段", "interval"),
    "offered": ("呼入量", "offered"),
    "answered_in_time": ("及时接通", "answered in time"),
    "target": ("达标情况", "against the target"),
    "owed": ("尚欠", "owed"),
    "serious": ("严重问题", "serious findings"),
    "sl_intervals": ("时段数", "intervals"),
    "sl_missed": ("未达标时段", "intervals below target"),
    "flags": ("自动质检预警", "auto-QA red flags"),
}

# Coded values a page shows, by the column that holds them: translated, never shown raw.
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "category": {
        "attitude": ("服务态度", "attitude"),
        "business": ("业务", "business"),
        "all": ("合计", "all"),
    },
    "complaint_outcome": {
        "upheld": ("成立", "upheld"),
        "not_upheld": ("不成立", "not upheld"),
        "open": ("处理中", "open"),
    },
    "qa_evaluated": {"yes": ("已质检", "yes"), "no": ("未质检", "no")},
    "weekday": {
        "monday": ("周一", "Monday"),
        "tuesday": ("周二", "Tuesday"),
        "wednesday": ("周三", "Wednesday"),
        "thursday": ("周四", "Thursday"),
        "friday": ("周五", "Friday"),
        "saturday": ("周六", "Saturday"),
        "sunday": ("周日", "Sunday"),
    },
    "channel": {"chat": ("在线会话", "chat"), "voice": ("通话", "call")},
    "trust": {"counted": ("计入违规率", "counted"), "advisory": ("仅供参考", "advisory")},
    "speaker": {"agent": ("客服", "agent"), "customer": ("客户", "customer")},
    "detector_use": {"trusted": ("可信", "trusted"), "advisory": ("仅供参考", "advisory")},
    "status": {
        "frozen": ("冻结", "frozen"),
        "demoted": ("降级", "demoted"),
        "full_marks": ("满分（可申请免检）", "full marks (may be exempted)"),
        "normal": ("正常", "normal"),
    },
    "signal": {
        "above UCL": ("高于控制上限", "above the upper limit"),
        "below LCL": ("低于控制下限", "below the lower limit"),
        "run of 8 above": ("连续8周高于中心线", "8 weeks in a row above the centre line"),
        "run of 8 below": ("连续8周低于中心线", "8 weeks in a row below the centre line"),
        "": ("", ""),
    },
    "verdict": {
        "improved": ("已改善", "improved"),
        "worse": ("变差", "worse"),
        "no_clear_change": ("无明显变化", "no clear change"),
        "higher": ("上升", "up"),
        "lower": ("下降", "down"),
        "no_evaluations": ("尚无评估", "no evaluations yet"),
        "too_few": ("数据太少，无法判断", "too few to judge"),
        "lenient": ("偏宽松", "lenient"),
        "strict": ("偏严格", "strict"),
        "in_line": ("与同事一致", "in line with peers"),
        "reliable": ("可靠（α ≥ 0.80）", "reliable (α ≥ 0.80)"),
        "tentative": ("勉强可用（0.667 ≤ α < 0.80）", "tentative (0.667 ≤ α < 0.80)"),
        "not_reliable": ("不可靠（α < 0.667）", "not reliable (α < 0.667)"),
        "better_than_comparison": ("改善幅度大于对照组", "improved more than the comparison group"),
        "like_comparison": ("与对照组无明显差别", "no clear difference from the comparison group"),
        "worse_than_comparison": ("不如对照组", "worse than the comparison group"),
    },
    "mode": {
        "real_time": ("实时质检", "real time"),
        "post_call": ("事后质检", "after the contact"),
        "calibration": ("校准", "calibration"),
        "side_by_side": ("旁听质检", "side by side"),
        "test_call": ("测试来电", "test call"),
        "mystery_shopper": ("神秘顾客", "mystery shopper"),
    },
    "action_status": {
        "open": ("进行中", "open"),
        "done": ("已完成", "done"),
        "dropped": ("已取消", "dropped"),
    },
    "kind": {
        "excellent": ("优秀", "excellent"),
        "problem": ("问题", "problem"),
    },
    "reason": {
        "below_team": ("明显低于班组平均", "clearly below the team average"),
        "bottom_line": ("底线违规", "bottom-line violation"),
        "frozen": ("冻结", "frozen"),
        "demoted": ("降级", "demoted"),
    },
    "target": {"met": ("达标", "met"), "missed": ("未达标", "missed")},
}

# Sentences with {placeholders}, filled by ``say``.
PHRASES: dict[str, tuple[str, str]] = {
    "complaint_window": (
        "投诉周期：{start}（{start_day}）至 {end}（{end_day}），按受理时间统计。",
        "Complaints received {start} ({start_day}) to {end} ({end_day}), by when each was received.",
    ),
    "complaint_window_plan": (
        "投诉周期：{start}（{start_day}）至 {end}（{end_day}），按受理时间统计；抽样方案的投诉周截至每{end_day}，按时汇总上报。",
        "Complaints received {start} ({start_day}) to {end} ({end_day}), by when each was received: the plan's complaint week ends on {end_day}, when complaints are summarised and reported.",
    ),
    "complaint_headline": (
        "投诉 {n} 件（服务态度 {attitude}，业务 {business}）；已办结 {decided} 件，其中成立 {upheld} 件，成立率 {share}（95%区间 {lo}–{hi}）；处理中 {open} 件。",
        "{n} complaint(s) ({attitude} attitude, {business} business); of {decided} decided, {upheld} upheld: {share} (95% interval {lo}–{hi}); {open} still open.",
    ),
    "complaint_headline_none": (
        "本期没有投诉工单。",
        "No complaints in this period.",
    ),
    "no_complaints_table": (
        "本数据没有投诉工单表：不能汇总投诉。",
        "No complaints in this export: complaints cannot be summarised.",
    ),
    "complaint_trend_note": (
        "最近 {k} 个{unit}（本期在最后）；成立率 = 已办结中成立的占比，附95%区间。",
        "The last {k} {unit} (this one last); upheld share = upheld of those decided, with its 95% (Wilson) interval.",
    ),
    "complaint_qa_note": (
        "本期被投诉的通话是否做过质检（不含校准，取最近一次）、其平均得分（样本量与95%区间）和最常见的扣分项。",
        "Whether this period's complained contacts were evaluated (calibration left out, the latest evaluation each), their mean score (n and 95% interval) and the items failed most.",
    ),
    "complaint_repeat_note": (
        "本期有投诉、且 {days} 天内投诉两次及以上的客户；号码已脱敏，不显示姓名。",
        "Customers who complained in this period and twice or more within {days} days; numbers masked, no names.",
    ),
    "complaint_no_customers": (
        "本数据的通话没有客户号码（contacts.customer_id）：无法识别重复投诉。",
        "The export's contacts have no customer id (contacts.customer_id): repeat complainants cannot be found.",
    ),
    "complaint_list": (
        "逐条投诉工单（{n} 件）",
        "Each complaint ({n})",
    ),
    "fold_team": ("{team}（{n} 行）", "{team} ({n} row(s))"),
    "fold_all": ("全部 {n} 行", "All {n} rows"),
    "click_to_open": ("点击展开", "click to open"),
    "rank_of": ("{n} 人中第 {r}", "{r} of {n}"),
    "complaint_by_team": (
        "各班组投诉（{n} 行）",
        "By team ({n} rows)",
    ),
    "satisfaction_by_team": (
        "各班组满意度（{n} 个班组）",
        "By team ({n} teams)",
    ),
    "no_satisfaction": (
        "本数据没有满意度评价（contacts.satisfaction）：不显示客户满意度。",
        "No satisfaction in this export (contacts.satisfaction): customer satisfaction is not shown.",
    ),
    "no_satisfaction_period": (
        "本期没有满意度评价。",
        "No satisfaction ratings in this period.",
    ),
    "satisfaction_note": (
        "本期有评价的服务的平均满意度（导出数据的评分范围 {lo}–{hi}，越高越满意），按渠道；95%区间按坐席聚类（同一坐席的客户不是独立样本），少于3名坐席不给区间。",
        "Mean rating of this period's rated contacts (the export's scale, {lo}–{hi}, higher is better), by channel; 95% intervals by agent clusters (one agent's customers are not independent), none under 3 agents.",
    ),
    "more_items": ("其余 {n} 项", "{n} more items"),
    "more_examples": ("再显示 {k} 条（还有 {n} 条）", "Show {k} more ({n} left)"),
    "drill_count": ("{item}：{n} 次，{agents} 名坐席", "{item}: {n} fails by {agents} agents"),
    "team_agents": ("{team} 各坐席得分", "{team}: agents' scores"),
    "team_evaluators": (
        "仅列出本月质检过{team}的质检员。",
        "Only the evaluators who evaluated {team} this month.",
    ),
    "all_findings": ("全部 {n} 条发现（展开）", "All {n} findings (open)"),
    "status_reason": ("{status}：{reason}", "{status}: {reason}"),
    "review_verdict_error": (
        "请从下拉列表选择“{yes}”（确属违规）或“{no}”（误报）；不确定的留空。",
        "Choose {yes} (a real fault) or {no} (a false alarm) from the list; leave it empty "
        "when unsure.",
    ),
    "review_howto": (
        "自动质检规则复核：逐条阅读“发现”表中的原文和上下文（均已脱敏），判断规则是否判对。\n"
        "“判定”一栏：质检员按评分标准会因此扣分，选“{yes}”；误报（例如政策或产品说明中的“不能”、"
        "客户的话、图片或卡片），选“{no}”。拿不准的留空：留空的行不计入。\n"
        "“理由”一栏：简要写明为什么（可选）。不要修改“发现编号”。\n"
        "填好后运行：qaw autoqa review --read <本文件>。每条规则的复核准确率（及95%区间）"
        "和与质检员的一致性都达到规则集的门槛，规则才计入违规率；否则仅供参考。",
        "Reviewing auto-QA rules: read each finding's quote and context (masked) on the "
        "findings sheet and judge whether the rule was right.\n"
        "Verdict: choose {yes} when an evaluator using the scorecard would deduct for it; {no} "
        "for a false alarm (不能 in a policy or product statement, the customer's words, a "
        "picture or card). Leave it empty when unsure: empty rows are not counted.\n"
        "Reason: a few words on why (optional). Do not edit the finding ids.\n"
        "Then run: qaw autoqa review --read <this file>. A rule counts in violation rates only "
        "when both its reviewed precision (with its 95% interval) and its agreement with the "
        "evaluators pass the rule set's thresholds; otherwise it is advisory.",
    ),
    "state_approved": ("已发布（{by} 于 {at} 确认）", "published (signed off by {by}, {at})"),
    "year_since": ("数据自 {first} 起，共 {n} 个月。", " The data begins in {first}: {n} months."),
    "year_title": (
        "{scope}：逐月得分与服务水平",
        "Score and service level by month — {scope}",
    ),
    "autoqa_agent_advisory": (
        "本月自动检查 {n} 个会话。目前没有一条规则的复核准确率和与质检员的一致性都达标，以下发现均仅供参考，不计违规率。",
        "Auto-QA checked {n} conversations this month. No rule has both its reviewed precision "
        "and its agreement with the evaluators above the thresholds yet: the findings below are "
        "advisory, and no violation rate is given.",
    ),
    "autoqa_agent": (
        "本月自动检查 {n} 个会话，{k} 个有违规，违规率 {rate}（95%区间 {lo}–{hi}），"
        "只计入复核准确率和一致性都达标的规则；“仅供参考”的规则单列在下表。自动结果不计入得分。",
        "Auto-QA checked {n} conversations this month, {k} with a violation: {rate} (95% "
        "interval {lo}–{hi}), counting only rules whose reviewed precision and agreement with the evaluators pass; advisory rules "
        "are listed below as such. Automatic results are not in the score.",
    ),
    "autoqa_note": (
        "自动质检检查每一条在线会话和已转写的通话；结果只用于辅导和抽样，不计入得分、绩效和扣罚。"
        "一致性用 Cohen κ 衡量（同一批会话上规则与质检员结论的一致程度，1 为完全一致，0 为与随机无异；括号内为95%区间）；"
        "复核准确率是质检主管逐条复核规则发现后判为确属违规的比例（括号内为95%区间）。"
        "两者都达标的规则才计入违规率：κ 不低于 {kappa} 且与人工比对至少 {n} 条，"
        "复核至少 {n_review} 条且{bound}不低于 {precision}；否则“仅供参考”。",
        "Auto-QA checks every chat and every transcribed call; its results are for coaching and "
        "sampling only, never in scores, pay or penalties. Agreement is Cohen's kappa between the "
        "rule and the evaluators on the same conversations (1 full agreement, 0 no better than "
        "chance; 95% interval); reviewed precision is the share of the rule's findings a QA lead "
        "read and judged real faults (qaw autoqa review, 95% interval). A rule counts in the "
        "rates only when both pass: kappa at least {kappa} on at least {n} conversations "
        "compared, and at least {n_review} findings reviewed with {bound} at least {precision}; "
        "otherwise it is advisory.",
    ),
    "headline_score": (
        "平均分 {mean}（{n} 次质检，95%区间 {lo}–{hi}）",
        "Mean score {mean} ({n} evaluations, 95% interval {lo}–{hi})",
    ),
    "headline_change": (
        "比{prev}{direction} {change} 分（区间 {lo} 至 {hi}）：{verdict}",
        "{direction} {change} points on {prev} (interval {lo} to {hi}): {verdict}",
    ),
    "headline_level": (
        "质量水平 {mean}（随机抽样 {n} 次质检，95%区间 {lo}–{hi}）",
        "Quality level {mean} (random sample of {n} evaluations, 95% interval {lo}–{hi})",
    ),
    "headline_level_few": (
        "质量水平 {mean}（随机抽样 {n} 次质检；{few}）",
        "Quality level {mean} (random sample of {n} evaluations; {few})",
    ),
    "headline_all_mean": (
        "全部质检平均分 {mean}（{n} 次，含投诉、短长通话等定向抽样，偏低，不作质量水平）",
        "Mean of all evaluations {mean} ({n}, targeted picks such as complaints included: biased low, not the quality level)",
    ),
    "headline_score_few": (
        "平均分 {mean}（{n} 次质检；{few}）",
        "Mean score {mean} ({n} evaluations; {few})",
    ),
    "headline_no_prev": ("{prev}无质检数据可比较", "no evaluations in {prev} to compare with"),
    "up": ("高", "Up"),
    "down": ("低", "Down"),
    "interval": ("{lo}–{hi}", "{lo}–{hi}"),
    "evidence_case": ("{rule}（{points} 分；{source}）", "{rule} ({points} pts; {source})"),
    "source_complaint": ("投诉 {ref}", "complaint {ref}"),
    "source_evaluation": ("质检 {ref}", "evaluation {ref}"),
    "source_event": ("记录 {ref}", "record {ref}"),
    "full_marks_evidence": (
        "{n} 次质检均为满分，无扣罚",
        "all {n} evaluations at full marks, no penalty",
    ),
    "thin": ("（仅 {n} 次质检，证据不足）", " (only {n} evaluation(s): thin evidence)"),
    "demotion_evidence": (
        "自 {since} 起降级（{month} 月扣罚合计 {points} 分，≥ {limit} 分），重新报名合格前保持：{cases}",
        "demoted since {since} ({points} penalty points in {month}, ≥ {limit}) until re-qualified: {cases}",
    ),
    "bottom_line_evidence": (
        "自 {since} 起冻结（底线违规，解冻前保持）：{cases}",
        "frozen since {since} (bottom-line, until lifted): {cases}",
    ),
    "trend_weeks": (
        "{team} — 得分趋势与控制限（近 {k} 周）",
        "{team} — score trend with control limits (last {k} weeks)",
    ),
    "lowest_teams": (
        "平均分最低的 {k} 个班组（共 {n} 个，全部见下表）",
        "The {k} lowest-scoring teams (of {n}; all in the table below)",
    ),
    "count_times": ("{item} ×{n}", "{item} ×{n}"),
    "evidence_ref": (
        "{contact}（客户 {customer}）：{comment}",
        "{contact} (customer {customer}): {comment}",
    ),
    "week_range": ("{week}（{start} – {end}）", "{week} ({start} – {end})"),
    "week_range_inner": ("{week}，{start} – {end}", "{week}, {start} – {end}"),  # in parentheses
    "previous_week": ("上周", "the previous week"),
    "previous_month": ("上月", "the previous month"),
    "completion_line": (
        "计划完成 {done}/{planned}（{share}），逾期未做 {overdue}，未到期 {not_due}",
        "Plan completion {done}/{planned} ({share}); {overdue} overdue, {not_due} not yet due",
    ),
    "completion_none": (
        "本期尚无抽样计划：请先运行 qaw sample --month {month} 抽取当月样本，才能统计计划完成情况。",
        "No sample for this period yet: run qaw sample --month {month} to draw it; plan completion is counted against it.",
    ),
    "bottom_line_count": ("新增底线违规 {n} 起", "{n} new bottom-line violation(s)"),
    "agent_unknown": (
        "链接中的工号 {agent} 不在花名册中，请在下方选择坐席。",
        "Agent {agent} from the link is not in the roster; choose an agent below.",
    ),
    "month_malformed": (
        "链接中的月份 {month} 无法识别（应为 2026-10 这样的格式），请在下方选择月份。",
        "The month {month} in the link is not a month like 2026-10; choose a month below.",
    ),
    "month_empty": (
        "{month} 没有质检数据，请选择其他月份。",
        "{month} has no evaluations; choose another month.",
    ),
    "team_unknown": (
        "链接中的班组 {team} 不存在，请在下方选择班组。",
        "Team {team} from the link does not exist; choose a team below.",
    ),
    "action_summary": ("其中 {overdue} 项已过期", "{overdue} overdue"),
    "n_interval": ("{n} 次质检，区间 {interval}", "{n} evaluations, interval {interval}"),
    "n_few": ("{n} 次质检，{few}", "{n} evaluations, {few}"),
    "change_detail": ("区间 {lo} 至 {hi}：{verdict}", "interval {lo} to {hi}: {verdict}"),
    "saved": (
        "已保存：{agent} 的第 {action} 号辅导措施，{due} 前完成",
        "Saved: action {action} for {agent}, due {due}",
    ),
    "updated": ("已更新：第 {action} 号措施（{status}）", "Updated: action {action} ({status})"),
    "not_saved": ("未保存：{why}", "Not saved: {why}"),
    "need_items": ("请至少选择一个辅导项", "choose at least one item to coach"),
    "need_agreed": ("请写明约定的改进措施", "write what was agreed"),
    "need_due": ("请选择今天或以后的完成日期", "choose a due date from today on"),
    "need_by": ("请填写记录人", "say who records it"),
    "need_outcome": ("关闭措施时请写明结果", "write the outcome to close an action"),
    "no_formula": ("内容不能以 = + - @ 开头", "text must not start with = + - @"),
    "need_action": ("请选择一项措施", "choose an action"),
    "recording_missing": (
        "录音 {ref} 不在录音目录中",
        "recording {ref} is not in the recordings folder",
    ),
    "recording_too_big": (
        "录音 {ref} 太大，无法在页面中播放",
        "recording {ref} is too large to play in the page",
    ),
    "min_n_note": (
        "样本少于 {agent_n} 次的坐席、少于 {team_agents} 名坐席的班组不给区间，标为“数据太少，无法判断”。",
        "Agents with fewer than {agent_n} evaluations and teams with fewer than {team_agents} agents get no interval: they are marked “too few to judge”.",
    ),
    "day_none": (
        "{day} 没有质检记录（不含校准）：没有当日得分；服务水平、自动质检预警和抽样计划照常列出。",
        "{day} has no evaluations (calibration left out): no score for the day; service level, auto-QA red flags and the sample are shown as usual.",
    ),
    "day_score": (
        "当日质检 {n} 次（{agents} 名坐席），平均分 {mean}（95%区间 {lo}–{hi}）",
        "{n} evaluations of {agents} agents, mean score {mean} (95% interval {lo}–{hi})",
    ),
    "day_score_few": (
        "当日质检 {n} 次（{agents} 名坐席），平均分 {mean}（{few}）",
        "{n} evaluations of {agents} agents, mean score {mean} ({few})",
    ),
    "day_serious": (
        "需今日处理的严重问题 {n} 起（低于 {below} 分或底线项不合格）",
        "{n} serious finding(s) to act on today (under {below} points or a bottom-line fail)",
    ),
    "day_teams_note": (
        "当日全部质检（不含校准）；95%区间按坐席聚类，少于 {agents} 名坐席的班组不给区间。",
        "Every evaluation of the day but calibration; 95% intervals by agent clusters, none under {agents} agents.",
    ),
    "day_sl": (
        "服务水平：{n} 个时段中 {missed} 个有渠道低于目标 {target}",
        "Service level: {missed} of {n} intervals had a channel below the {target} target",
    ),
    "day_sl_note": (
        "服务水平 = 全中心呼入中在规定秒数内接通的占比（外呼不计，选定班组时也按全中心）；目标 {target}，按抽样计划的设置。",
        "Service level = the share of the whole center's inbound contacts answered within the threshold (outbound never counts; the center's for a team's report too); the target, {target}, is the sampling plan's.",
    ),
    "day_flags": (
        "自动质检预警 {n} 个会话或通话（仅可信规则）",
        "Auto-QA red flags on {n} contact(s) (trusted rules only)",
    ),
    "day_owed": (
        "抽样计划：截至当日应完成 {planned} 条，已完成 {done} 条，尚欠 {owed} 条",
        "Sample: {planned} due by the day, {done} done, {owed} still owed",
    ),
}


def _lang(lang: str) -> int:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    return 0 if lang == "zh" else 1


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (zh or en)."""
    return LABELS[key][_lang(lang)]


def value(column: str, code: object, lang: str) -> object:
    """A coded value (a status, verdict, signal …) of ``column`` in ``lang``; KeyError if
    the code has no translation (a page never shows a raw code)."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return code
    try:
        return VALUES[column][str(code)][_lang(lang)]
    except KeyError:
        raise KeyError(
            f"no {lang} text for {column} value {code!r} (add it to i18n.VALUES)"
        ) from None


def say(key: str, lang: str, **fields: object) -> str:
    """The sentence ``key`` in ``lang`` with its fields filled in; an English "(s)" is
    written as the count ``n`` asks ("1 violation", "4 violations")."""
    text = PHRASES[key][_lang(lang)]
    if "(s)" in text and "n" in fields:
        text = text.replace("(s)", "" if str(fields["n"]) == "1" else "s")
    return text.format(**fields)


def columns(df: pd.DataFrame, lang: str, strict: bool = False) -> pd.DataFrame:
    """``df`` with its columns named and its coded values written in ``lang``. ``strict``
    raises on a column without a name (a page never shows a column id)."""
    i = _lang(lang)
    out = df.copy()
    for c in out.columns.intersection(list(VALUES)):
        out[c] = out[c].map(lambda v, c=c: value(c, v, lang))
    names: dict[str, str] = {}
    used: set[str] = set()
    for c in out.columns:
        if c not in COLUMNS and strict:
            raise KeyError(f"no {lang} name for column {c!r} (add it to i18n.COLUMNS)")
        new = COLUMNS[c][i] if c in COLUMNS else c
        names[c] = new if new not in used else c  # never two columns with one name
        used.add(names[c])
    return out.rename(columns=names)
