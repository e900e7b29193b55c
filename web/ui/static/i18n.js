// Chinese and English strings for every page; the toggle remembers the choice.
"use strict";
const I18N = (() => {
  const dict = {
    en: {
      "app": "calmline", "softphone": "Call support", "call": "Call", "hangup": "Hang up",
      "caller_id": "Your number or name (optional)", "transcript": "Conversation",
      "status.idle": "Press Call and allow the microphone.", "status.mic": "Asking for the microphone…",
      "status.connecting": "Connecting…", "status.connected": "Connected: speak any time.",
      "status.agent": "You are now talking to {agent}.", "status.ended": "Call ended.",
      "status.failed": "Call failed: {reason}", "status.busy": "All our lines are busy. Please call again in a few minutes.", "status.nomic": "No microphone: {reason}",
      "who.caller": "You", "who.bot": "Assistant", "who.agent": "Agent", "keys": "Keys {keys}",
      "agent.who.caller": "Caller", "agent.who.bot": "Assistant", "agent.who.agent": "You",
      "emotion": "Emotion", "lang": "中文",
      "cat.neutral": "neutral", "cat.satisfied": "satisfied", "cat.confused": "confused",
      "cat.anxious": "anxious", "cat.sad": "sad", "cat.angry": "angry",
      "lvl.calm": "calm", "lvl.mild": "mild", "lvl.moderate": "moderate", "lvl.severe": "severe",
      "agent.title": "Agent console", "agent.name": "Name", "agent.queues": "Queues (comma separated)",
      "agent.login": "Log in", "agent.waiting": "Waiting for calls.", "agent.ringing": "Incoming call",
      "agent.accept": "Accept", "agent.reject": "Reject", "agent.report": "Emotion report",
      "agent.live": "Caller now", "agent.ended": "Call ended: {reason}", "agent.incall": "In call with {caller}",
      "agent.vars": "Handoff details", "agent.open_report": "Open full report",
      "agent.trajectory": "Trajectory", "agent.cues": "Cues", "agent.compensation": "Suggested compensation",
      "sup.title": "Supervisor console", "sup.name": "Your name (audited)", "sup.calls": "Live calls",
      "sup.listen": "Listen", "sup.stop": "Stop", "sup.none": "No live calls.",
      "sup.col.caller": "Caller", "sup.col.channel": "Channel", "sup.col.since": "Since",
      "sup.col.emotion": "Emotion", "sup.col.arousal": "Arousal", "sup.col.urgency": "Urgency",
      "sup.col.short": "Phone listen-in no.", "sup.needname": "Enter your name first: every listen-in is audited.",
      "sup.listening": "Listening to {id}", "sup.agents": "Agents",
      "sup.paused": "Live updates paused: reconnecting…",
      "staff.title": "Sign in", "staff.name": "Name", "staff.password": "Password", "staff.signin": "Sign in",
      "dash.heatmap": "Upset callers by hour and channel (last 7 days)",
      "dash.legend": "Number = calls; the redder the cell, the larger the share that reached moderate or severe anger.",
      "dash.none": "No calls recorded yet.", "dash.ab": "Soothing scripts: A/B results (last 7 days)",
      "dash.col.line": "Line", "dash.col.variant": "Variant", "dash.col.calls": "Calls", "dash.col.uses": "Uses",
      "dash.col.fell": "Emotion fell after", "dash.col.resolved": "Resolved without a human",
      "dash.noab": "No script variants heard yet.", "dash.unavailable": "Dashboard data unavailable (no store, or not allowed).",
      "dash.cell": "{calls} calls, {share} moderate or worse, mean arousal {arousal}",
      "agent.correct": "Not right? Correct the emotion", "agent.save": "Save", "agent.saved": "Saved: thank you, the model learns from it.",
      "agent.savefailed": "Could not save:",
      "agent.voiceonly": "(speaking: words not transcribed, emotion from the voice)", "agent.nomatch": "(not understood)",
      "agent.nowords": "(no words)",
      "staff.failed": "Sign-in failed.", "staff.tokentitle": "API token",
      "staff.tokenwhy": "This server is protected by its API token and has no console accounts. Enter the token (CALMLINE_API_TOKEN), or ask your administrator to set up staff accounts.",
      "staff.token": "Token", "staff.tokenwrong": "That token is not accepted.",
      "sup.denied": "Not allowed to see live calls: {reason}", "staff.supervisors": "Signed in as {name}: this console is for supervisors.",
    },
    zh: {
      "app": "calmline", "softphone": "联系客服", "call": "呼叫", "hangup": "挂断",
      "caller_id": "您的号码或称呼（可选）", "transcript": "通话记录",
      "status.idle": "点击呼叫并允许使用麦克风。", "status.mic": "正在请求麦克风权限…",
      "status.connecting": "正在连接…", "status.connected": "已接通，请直接说话。",
      "status.agent": "已为您转接人工客服 {agent}。", "status.ended": "通话已结束。",
      "status.failed": "呼叫失败：{reason}", "status.busy": "所有线路繁忙，请过几分钟再拨。", "status.nomic": "无法使用麦克风：{reason}",
      "who.caller": "您", "who.bot": "智能客服", "who.agent": "人工客服", "keys": "按键 {keys}",
      "agent.who.caller": "客户", "agent.who.bot": "智能客服", "agent.who.agent": "您",
      "emotion": "情绪", "lang": "English",
      "cat.neutral": "平静", "cat.satisfied": "满意", "cat.confused": "困惑",
      "cat.anxious": "焦虑", "cat.sad": "沮丧", "cat.angry": "愤怒",
      "lvl.calm": "平稳", "lvl.mild": "轻度", "lvl.moderate": "中度", "lvl.severe": "强烈",
      "agent.title": "坐席工作台", "agent.name": "姓名", "agent.queues": "技能组（逗号分隔）",
      "agent.login": "登录", "agent.waiting": "等待来电。", "agent.ringing": "来电转接",
      "agent.accept": "接听", "agent.reject": "拒绝", "agent.report": "情绪报告",
      "agent.live": "客户当前情绪", "agent.ended": "通话结束：{reason}", "agent.incall": "正在与 {caller} 通话",
      "agent.vars": "转接信息", "agent.open_report": "查看完整报告",
      "agent.trajectory": "情绪轨迹", "agent.cues": "判断依据", "agent.compensation": "建议补偿",
      "sup.title": "班长监控台", "sup.name": "您的姓名（将记录审计）", "sup.calls": "实时通话",
      "sup.listen": "监听", "sup.stop": "停止", "sup.none": "当前没有通话。",
      "sup.col.caller": "来电", "sup.col.channel": "渠道", "sup.col.since": "开始",
      "sup.col.emotion": "情绪", "sup.col.arousal": "激动度", "sup.col.urgency": "紧急度",
      "sup.col.short": "电话监听号", "sup.needname": "请先填写姓名：每次监听都会记录审计。",
      "sup.listening": "正在监听 {id}", "sup.agents": "坐席",
      "sup.paused": "实时更新已中断，正在重连…",
      "staff.title": "登录", "staff.name": "用户名", "staff.password": "密码", "staff.signin": "登录",
      "dash.heatmap": "各时段、各渠道的不满来电（近 7 天）",
      "dash.legend": "数字为通话数；颜色越红，达到中度或重度愤怒的通话占比越高。",
      "dash.none": "暂无通话记录。", "dash.ab": "安抚话术 A/B 结果（近 7 天）",
      "dash.col.line": "话术", "dash.col.variant": "版本", "dash.col.calls": "通话数", "dash.col.uses": "使用次数",
      "dash.col.fell": "使用后情绪下降", "dash.col.resolved": "无需转人工解决",
      "dash.noab": "暂无话术版本数据。", "dash.unavailable": "无法获取看板数据（未启用存储或无权限）。",
      "dash.cell": "{calls} 个通话，{share} 达到中度及以上，平均唤醒度 {arousal}",
      "agent.correct": "不准确？纠正情绪", "agent.save": "保存", "agent.saved": "已保存，模型会据此学习。",
      "agent.savefailed": "保存失败：",
      "agent.voiceonly": "（客户在说话：未转写文字，情绪来自语音）", "agent.nomatch": "（未听清）",
      "agent.nowords": "（无文字）",
      "staff.failed": "登录失败。", "staff.tokentitle": "API 令牌",
      "staff.tokenwhy": "此服务器由 API 令牌保护，且未配置坐席/班长账号。请输入令牌（CALMLINE_API_TOKEN），或请管理员配置账号。",
      "staff.token": "令牌", "staff.tokenwrong": "令牌无效。",
      "sup.denied": "无权查看实时通话：{reason}", "staff.supervisors": "当前登录为 {name}：此页面仅限班长使用。",
    },
  };
  let lang = localStorage.getItem("calmline.lang") ||
    ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
  if (!dict[lang]) lang = "en";
  const listeners = [];
  function t(key, vars) {
    let s = (dict[lang] && dict[lang][key]) || dict.en[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace("{" + k + "}", v);
    return s;
  }
  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(el => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    listeners.forEach(f => f(lang));
  }
  function toggle() { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("calmline.lang", lang); apply(); }
  document.addEventListener("DOMContentLoaded", () => {
    const b = document.getElementById("lang-toggle");
    if (b) b.addEventListener("click", toggle);
    apply();
  });
  return { t, apply, toggle, lang: () => lang, onChange: f => listeners.push(f) };
})();
