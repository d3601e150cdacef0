// Staff console. Vanilla JS, no external resources; every value from the server is put in the
// page with textContent, never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
let me = null;
let current = null; // the ticket shown
let requestId = null; // one per composed answer: a double click sends once

// On AWS the province's login page (Cognito hosted UI) returns here with #id_token=...
(function takeToken() {
  const m = /[#&]id_token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("motcua_token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
})();

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  const token = sessionStorage.getItem("motcua_token");
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch("/api/v1/admin/" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if (r.status !== 204) { try { data = await r.json(); } catch (e) { data = null; } }
  if (r.status === 401) { showLogin(); }
  if (!r.ok) {
    const err = new Error((data && data.message) || ("Lỗi " + r.status));
    err.status = r.status; err.data = data;
    throw err;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) e.append(c === null || c === undefined ? "" : c);
  return e;
}

const fmt = (iso) => iso ? new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }) : "";
const vnd = (n) => Number(n || 0).toLocaleString("vi-VN");
const today = () => new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);

function showLogin() {
  $("#login").hidden = false;
  $("#tabs").hidden = true;
  $("#whoami").hidden = true;
  document.querySelectorAll(".tab").forEach((t) => (t.hidden = true));
}

async function start() {
  const cfg = await api("GET", "config");
  if (cfg.auth === "jwt") {
    $("#login-form").hidden = true;
    $("#login-sso").hidden = false;
    if (cfg.login_url) $("#login-link").href = cfg.login_url;
  }
  try {
    me = await api("GET", "me");
    signedIn();
  } catch (e) {
    showLogin();
  }
}

function signedIn() {
  $("#login").hidden = true;
  $("#tabs").hidden = false;
  $("#whoami").hidden = false;
  $("#who").textContent = me.name + " · " + (me.role === "admin" ? "Quản trị " + (me.tenant_name || me.tenant) : (me.agencies[me.agency] || me.agency));
  document.querySelectorAll(".admin-only").forEach((e) => (e.hidden = me.role !== "admin"));
  for (const sel of ["#f-agency", "#assign-agency"]) {
    const s = $(sel);
    s.querySelectorAll("option[data-agency]").forEach((o) => o.remove());
    for (const [id, name] of Object.entries(me.agencies || {})) s.append(el("option", { value: id, "data-agency": id }, name));
  }
  $("#s-from").value = today().slice(0, 8) + "01";
  $("#s-to").value = today();
  $("#a-day").value = today();
  showTab("tickets");
}

function showTab(name) {
  document.querySelectorAll(".tab").forEach((t) => (t.hidden = t.id !== name));
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  if (name === "tickets") loadTickets();
  if (name === "notices") loadNotReached();
  if (name === "announcements") loadAnnouncements();
  if (name === "stats") loadStats();
  if (name === "audit") loadAudit();
}

async function loadTickets() {
  const q = new URLSearchParams();
  if ($("#f-status").value) q.set("status", $("#f-status").value);
  if ($("#f-category").value) q.set("category", $("#f-category").value);
  if ($("#f-agency").value) q.set("agency", $("#f-agency").value);
  if ($("#f-age").value) q.set("older_than_hours", $("#f-age").value);
  if ($("#f-overdue").checked) q.set("overdue_only", "true");
  if ($("#f-guide").checked) q.set("answered_by_guide", "true");
  const { tickets } = await api("GET", "tickets?" + q);
  const body = $("#ticket-list tbody");
  body.replaceChildren(...tickets.map((t) => {
    const tr = el("tr", { "data-number": String(t.number), class: t.overdue ? "overdue" : "" },
      el("td", {}, String(t.number)), el("td", {}, t.category_vi),
      el("td", {}, t.status_vi + (t.call_citizen ? " · cần gọi điện" : "") + (t.guide ? " · hướng dẫn tự động" : "")),
      el("td", {}, t.agency_name || t.agency || "(chưa giao)"),
      el("td", {}, fmt(t.opened_at)), el("td", {}, fmt(t.due_at)));
    tr.addEventListener("click", () => openTicket(t.number, false));
    return tr;
  }));
  $("#ticket-empty").hidden = tickets.length > 0;
}

async function openTicket(number, reveal) {
  const d = reveal ? await api("POST", `tickets/${number}/reveal`, {}) : await api("GET", `tickets/${number}`);
  current = d;
  requestId = null;
  const t = d.ticket;
  $("#ticket-detail").hidden = false;
  $("#td-title").textContent = `Phiếu số ${t.number} · ${t.category_vi} · ${t.status_vi}`;
  $("#td-meta").textContent = `Tiếp nhận ${fmt(t.opened_at)} · hạn trả lời ${fmt(t.due_at)}` +
    (t.overdue ? " · QUÁ HẠN" : "") + ` · đơn vị: ${t.agency_name || t.agency || "chưa giao"}`;
  const c = d.citizen;
  $("#td-citizen").textContent = `Công dân: Zalo ${c.user_id}` + (c.phone ? ` · điện thoại ${c.phone}` : " · chưa chia sẻ số điện thoại") +
    ` · nhắn tin lần cuối ${c.last_interaction_at ? fmt(c.last_interaction_at) : "không rõ"}` +
    (c.within_window ? "" : " · ĐÃ QUÁ 7 NGÀY: Zalo không cho gửi tin tư vấn");
  $("#reveal-btn").hidden = d.revealed;
  const g = t.guide;
  $("#td-guide").hidden = !g;
  if (g) {
    $("#td-guide-text").textContent = `Hướng dẫn thủ tục tự động đã trả lời (thủ tục ${g.procedures.join(", ")}; danh mục ${g.catalogue_version})` +
      (g.asked_staff ? " · công dân đã chọn hỏi cán bộ" : "") + (g.marked_wrong ? " · đã đánh dấu trả lời sai" : "");
    $("#guide-wrong-btn").hidden = g.marked_wrong;
  }
  const who = { citizen: "Công dân", staff: "Cán bộ", oa_tool: "OA (công cụ Zalo)", guide: "Hướng dẫn thủ tục tự động" };
  $("#messages").replaceChildren(...d.messages.map((m) => el("li", { class: m.author },
    el("span", { class: "meta" }, `${who[m.author]}${m.staff_name ? " " + m.staff_name : ""} · ${fmt(m.at)}` +
      (m.delivery ? ` · ${({ zalo_cs: "đã gửi qua Zalo", zns: "đã báo qua ZNS", call_citizen: "cần gọi điện" })[m.delivery] || m.delivery}` : "") +
      (m.delivered_in_chat_at ? ` · đã gửi qua Zalo lúc ${fmt(m.delivered_in_chat_at)}, khi công dân nhắn lại` : "")),
    m.text || (m.attachments.length ? "" : "(đã xóa theo yêu cầu của công dân)"),
    ...m.attachments.map((a) => el("div", {}, el("a", { href: a.url, target: "_blank", rel: "noopener noreferrer" }, `[${a.kind}]`))))));
  $("#answer-result").textContent = "";
  $("#fallback-box").hidden = true;
  $("#ticket-detail").scrollIntoView();
}

async function sendAnswer(fallback) {
  const text = $("#answer-text").value.trim();
  if (!text) { $("#answer-result").textContent = "Câu trả lời đang để trống."; return; }
  if (!requestId) requestId = crypto.randomUUID();
  $("#answer-btn").disabled = true;
  try {
    const body = { text, request_id: requestId };
    if (fallback) body.fallback = fallback;
    const r = await api("POST", `tickets/${current.ticket.number}/answer`, body);
    const how = { zalo_cs: "đã gửi qua Zalo", zns: "đã gửi tin ZNS báo có trả lời", call_citizen: "đã lưu, cần gọi điện cho công dân" };
    $("#answer-text").value = "";
    await openTicket(current.ticket.number, false);
    $("#answer-result").textContent = "Đã trả lời: " + (how[r.delivery] || r.delivery);
    loadTickets();
  } catch (e) {
    if (e.data && e.data.error === "outside_window") {
      $("#fallback-box").hidden = false;
      $("#fallback-text").textContent = e.message;
      $("#fallback-btn").textContent = e.data.fallback === "zns" ? "Gửi tin ZNS" : "Lưu và đánh dấu cần gọi điện";
      $("#fallback-btn").dataset.fallback = e.data.fallback;
    } else {
      $("#answer-result").textContent = e.message;
    }
  } finally {
    $("#answer-btn").disabled = false;
  }
}

async function loadAnnouncements() {
  const { announcements } = await api("GET", "announcements");
  const aud = { cs_free: "48 giờ", cs_window: "7 ngày", broadcast: "Broadcast" };
  $("#ann-list tbody").replaceChildren(...announcements.map((a) => {
    const p = a.progress;
    const labels = { draft: "Gửi", scheduled: "Gửi ngay", sending: "Gửi tiếp" };
    const send = el("button", { type: "button", "data-id": a.id }, labels[a.status]);
    send.hidden = a.status === "sending" && p.done;
    // a draft can be approved for later: the time typed is Vietnam time, whatever the
    // computer's time zone
    const later = el("input", { type: "datetime-local", ariaLabel: "Hẹn giờ gửi, giờ Việt Nam (không bắt buộc)", min: new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 16) });
    later.hidden = a.status !== "draft";
    send.addEventListener("click", async () => {
      const at = a.status === "draft" && later.value ? new Date(later.value + ":00+07:00").toISOString() : null;
      const ask = at ? `Hẹn gửi thông báo này lúc ${fmt(at)}? Mỗi người chỉ nhận một lần.` : "Gửi thông báo này ngay? Mỗi người chỉ nhận một lần.";
      if (a.status !== "sending" && !confirm(ask)) return;
      send.disabled = true;
      try { await api("POST", `announcements/${a.id}/send`, at ? { at } : {}); } catch (e) { $("#ann-error").textContent = e.message; }
      loadAnnouncements();
    });
    const state = { draft: "Bản nháp", scheduled: `Hẹn gửi ${fmt(a.scheduled_for)}`, sending: p.done ? "Đã gửi xong" : "Đang gửi" };
    return el("tr", {}, el("td", {}, fmt(a.created_at)), el("td", {}, a.title), el("td", {}, aud[a.audience.kind]),
      el("td", {}, state[a.status]),
      el("td", {}, a.status === "sending" ? `${p.sent} đã gửi, ${p.skipped} bỏ qua, ${p.failed} lỗi / ${a.recipients}` : ""),
      el("td", {}, later, send));
  }));
}

// The preview's recipients and cost by channel, in words.
function previewText(r) {
  if (r.recipients === null) return "Gửi tới toàn bộ người quan tâm OA (Zalo đếm), không tính phí theo tin.";
  const c = r.by_channel;
  let text = `Sẽ gửi tới ${r.recipients} người`;
  if ("zalo_cs_free" in c) {
    text += `: ${c.zalo_cs_free} miễn phí (tương tác trong 48 giờ), ${c.zalo_cs_paid} tính phí. Chi phí ước tính: ${r.cost_vnd.toLocaleString("vi-VN")} đồng.`;
  } else {
    text += ".";
  }
  if (r.withheld > 0) text += ` Chế độ thử: ${r.withheld} người không phải người thử nghiệm sẽ không nhận.`;
  return text;
}

function draft() {
  const kind = $("#ann-audience").value;
  const audience = kind === "broadcast" ? { kind, article_id: $("#ann-article").value.trim() } : { kind };
  return { title: $("#ann-title").value, body: $("#ann-body").value, link: $("#ann-link").value || null, audience };
}

async function previewAnnouncement() {
  const d = draft();
  $("#ann-preview").hidden = false;
  $("#ann-preview").textContent = d.title.trim() + "\n\n" + d.body.trim() + (d.link ? "\n[Xem chi tiết] " + d.link : "");
  const r = await api("POST", "announcements/audience", d.audience);
  $("#ann-count").textContent = previewText(r);
}

async function loadStats() {
  const q = new URLSearchParams({ from: $("#s-from").value, to: $("#s-to").value });
  $("#s-csv").href = "/api/v1/admin/stats.csv?" + q;
  const s = await api("GET", "stats?" + q);
  const rows = [
    ["Người quan tâm mới", s.follows], ["Bỏ quan tâm", s.unfollows],
    ["Tổng số người quan tâm (theo Zalo, lần đọc gần nhất)", s.zalo_followers === null ? "chưa đọc được" : s.zalo_followers],
    ["Lượt tra cứu qua chat", s.lookups_by_channel.chat], ["Lượt tra cứu trên web", s.lookups_by_channel.web],
    ["Lượt mở trang quét QR", s.lookups_by_channel.qr_page], ["Lượt tra cứu qua API", s.lookups_by_channel.api],
    ["Thông báo đã gửi", s.notifications_sent], ["Không gửi được", s.undeliverable],
    ["Chi phí Zalo (đ)", vnd(s.zalo_cost_vnd)], [`Nếu gửi SMS (${vnd(s.prices.sms)} đ/tin)`, vnd(s.sms_cost_vnd)],
    ["Tiết kiệm (đ)", vnd(s.saved_vnd)],
    ["Hồ sơ hoàn thành đúng hạn", s.dossiers_finished_on_time], ["Hồ sơ hoàn thành trễ hạn", s.dossiers_finished_late],
    ["Phiếu mới", s.tickets_opened], ["Phiếu đã trả lời", s.tickets_answered], ["Trả lời trễ hạn", s.tickets_answered_late],
    ["Câu hỏi do hướng dẫn thủ tục trả lời", s.guide_answered], ["… công dân chuyển hỏi cán bộ", s.guide_asked_staff], ["… cán bộ đánh dấu sai", s.guide_wrong],
    ["Thời gian trả lời (trung vị)", s.median_answer_hours === null ? "–" : (s.median_answer_hours === 0 ? "trên 7 ngày" : `≤ ${s.median_answer_hours} giờ`)],
  ];
  $("#stats-summary tbody").replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { "data-metric": k }, String(v)))));
  $("#stats-notify tbody").replaceChildren(...s.notifications.map((r) => el("tr", {},
    el("td", {}, r.kind), el("td", {}, r.channel), el("td", {}, String(r.count)), el("td", {}, vnd(r.unit_price)), el("td", {}, vnd(r.cost)))));
  $("#stats-months tbody").replaceChildren(...s.months.map((m) => el("tr", {},
    el("td", {}, m.month), el("td", {}, String(m.lookups)), el("td", {}, String(m.notifications_sent)), el("td", {}, vnd(m.saved_vnd)),
    el("td", {}, String(m.finished_on_time)), el("td", {}, String(m.finished_late)))));
}

async function loadAudit() {
  const { entries } = await api("GET", "audit?day=" + $("#a-day").value);
  $("#audit-list tbody").replaceChildren(...entries.map((e) => el("tr", {},
    el("td", {}, fmt(e.at)), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.target), el("td", {}, e.outcome))));
}

const KIND_VI = {
  submitted: "Đã nộp hồ sơ", received: "Đã tiếp nhận", step_changed: "Chuyển bước xử lý",
  supplement_requested: "Yêu cầu bổ sung giấy tờ", fee_requested: "Yêu cầu nộp phí, lệ phí",
  rejected: "Không tiếp nhận", withdrawn: "Rút hồ sơ", processing_stopped: "Dừng xử lý",
  overdue_apology: "Xin lỗi trễ hạn, hẹn ngày mới", result_ready: "Đã có kết quả",
  result_returned: "Đã trả kết quả",
};
const STATE_VI = {
  accepted: "Zalo đã nhận gửi", delivered: "Đã đến máy", seen: "Công dân đã xem",
  failed: "Không gửi được", expired: "Không có xác nhận đã đến",
};
const CHANNEL_VI = {
  zalo_cs_free: "Tin nhắn OA (miễn phí)", zalo_cs_paid: "Tin nhắn OA (có phí)",
  zbs_uid: "Tin mẫu ZBS", zns: "Tin ZNS", undeliverable: "Không có kênh",
};
const FOLLOW_VI = { called: "Đã gọi điện", sms: "Đã nhắn SMS" };

function followUpCell(n, reload) {
  if (n.follow_up) return el("td", {}, `${FOLLOW_VI[n.follow_up.how]} · ${n.follow_up.by} · ${fmt(n.follow_up.at)}`);
  if (!n.needs_follow_up) return el("td", {}, "");
  const button = (how) => {
    const b = el("button", { type: "button", "class": "fu-" + how, "data-event": n.event_id }, FOLLOW_VI[how]);
    b.addEventListener("click", async () => {
      try {
        await api("POST", `dossiers/${encodeURIComponent(n.code)}/notifications/${encodeURIComponent(n.event_id)}/follow-up`, { how });
      } catch (err) { alert(err.message); }
      reload();
    });
    return b;
  };
  return el("td", {}, button("called"), " ", button("sms"));
}

async function loadNotReached() {
  const { notices } = await api("GET", "not-reached");
  $("#nr-empty").hidden = notices.length > 0;
  $("#nr-list tbody").replaceChildren(...notices.map((n) => {
    const last = n.history[n.history.length - 1];
    return el("tr", { "data-event": n.event_id },
      el("td", {}, n.code), el("td", {}, KIND_VI[n.kind] || n.kind), el("td", {}, CHANNEL_VI[n.channel] || n.channel),
      el("td", {}, STATE_VI[n.state] || n.state), el("td", {}, fmt(last.at)), el("td", {}, n.reason || ""),
      followUpCell(n, loadNotReached));
  }));
}

async function loadDossierNotices() {
  $("#dn-error").textContent = "";
  const code = $("#dn-code").value.trim();
  try {
    const { notifications } = await api("GET", `dossiers/${encodeURIComponent(code)}/notifications`);
    $("#dn-list tbody").replaceChildren(...notifications.map((n) => el("tr", { "data-event": n.event_id },
      el("td", {}, KIND_VI[n.kind] || n.kind), el("td", {}, CHANNEL_VI[n.channel] || n.channel),
      el("td", {}, n.history.map((t) => `${STATE_VI[t.state] || t.state} ${fmt(t.at)}`).join(" → ")),
      followUpCell(n, loadDossierNotices))));
    if (!notifications.length) $("#dn-error").textContent = "Hồ sơ này chưa có thông báo nào.";
  } catch (e) { $("#dn-list tbody").replaceChildren(); $("#dn-error").textContent = e.message; }
}

function on(sel, ev, f) {
  $(sel).addEventListener(ev, async (e) => {
    if (ev === "submit") e.preventDefault();
    try { await f(e); } catch (err) { console.error(err); alert(err.message); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  on("#login-form", "submit", async () => {
    $("#login-error").textContent = "";
    try {
      me = await api("POST", "login", { username: $("#username").value, password: $("#password").value });
      $("#password").value = "";
      signedIn();
    } catch (e) { $("#login-error").textContent = e.message; }
  });
  on("#logout-btn", "click", async () => {
    sessionStorage.removeItem("motcua_token");
    await api("POST", "logout", {}).catch(() => {});
    me = null; showLogin();
  });
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  on("#filters", "submit", loadTickets);
  on("#reveal-btn", "click", () => openTicket(current.ticket.number, true));
  on("#guide-wrong-btn", "click", async () => {
    await api("POST", `tickets/${current.ticket.number}/guide-wrong`, {});
    await openTicket(current.ticket.number, false);
    loadTickets();
  });
  on("#assign-btn", "click", async () => {
    await api("POST", `tickets/${current.ticket.number}/assign`, { agency: $("#assign-agency").value });
    await openTicket(current.ticket.number, false); loadTickets();
  });
  on("#update-btn", "click", async () => {
    const body = {};
    if ($("#set-status").value) body.status = $("#set-status").value;
    if ($("#set-category").value) body.category = $("#set-category").value;
    await api("POST", `tickets/${current.ticket.number}/update`, body);
    await openTicket(current.ticket.number, false); loadTickets();
  });
  $("#answer-text").addEventListener("input", () => { requestId = requestId || crypto.randomUUID(); });
  on("#answer-btn", "click", () => sendAnswer(null));
  on("#fallback-btn", "click", () => sendAnswer($("#fallback-btn").dataset.fallback));
  $("#ann-audience").addEventListener("change", () => { $("#ann-article-label").hidden = $("#ann-audience").value !== "broadcast"; });
  on("#ann-preview-btn", "click", previewAnnouncement);
  on("#ann-form", "submit", async () => {
    $("#ann-error").textContent = "";
    try {
      await api("POST", "announcements", draft());
      $("#ann-form").reset(); $("#ann-preview").hidden = true; $("#ann-count").textContent = "";
    } catch (e) { $("#ann-error").textContent = e.message; }
    loadAnnouncements();
  });
  on("#stats-form", "submit", loadStats);
  on("#audit-form", "submit", loadAudit);
  on("#dn-form", "submit", loadDossierNotices);
  start();
});
