/*
 * app.js - the tallyd dashboard.  Asks the gateway which series exist
 * (GET /api/v1/metrics), draws a section for each group below that has
 * data: the last values as cards and graphs from GET /graph; then the
 * alerts (GET /api/v1/alerts) and readings a plugin refused (GET
 * /api/v1/plugins).  Vietnamese labels, English tooltips,
 * vi-VN numbers and dd/mm/yyyy dates.  No dependencies, nothing loaded
 * from another origin.
 *
 * Once the first view has loaded, #selftest gets one line per check
 * (images and their sizes, errors seen); tests/browser/dashboard.sh reads
 * it from headless Chromium.
 */
'use strict';

/*
 * Which series go where.  A pattern names series as plugin.instance.metric
 * where "*" stands for one name part (usually the instance, which the
 * config names).  The metric names come from the plugins (docs/COOP.md,
 * docs/CREDITFUND.md, plugins/traffic); fix them here if a plugin changes.
 *
 * card: { m: pattern, vi: label, en: tooltip, fmt: int|num|vnd|pct }
 * graph: { vi, en, style: line|area|stack, axis: vnd|int|pct (the value
 *   axis in vi-VN words, see axisUnit; none: rrdtool's), lines: [[pattern,
 *   legend]] }
 *
 * A label set in the config's [labels] (the API's label_set) replaces a
 * card's and a legend's label below; the alerts table names a series by
 * its label (built-in or configured), its technical name in the tooltip.
 */
const SECTIONS = [
	{
		id: 'coop', vi: 'Hợp tác xã', en: 'Cooperatives', range: '10y',
		cards: [
			{ m: 'coop.*.cooperatives.active', vi: 'HTX đang hoạt động',
			  en: 'Active cooperatives', fmt: 'int' },
			{ m: 'coop.*.members', vi: 'Thành viên',
			  en: 'Members of active cooperatives', fmt: 'int' },
			{ m: 'coop.*.cooperatives.active.agriculture',
			  vi: 'HTX nông nghiệp', en: 'Agricultural cooperatives',
			  fmt: 'int' },
			{ m: 'coop.*.revenue.avg.agriculture',
			  vi: 'Doanh thu bình quân / HTX nông nghiệp',
			  en: 'Average revenue per agricultural cooperative',
			  fmt: 'vnd' },
			{ m: 'coop.*.groups', vi: 'Tổ hợp tác',
			  en: 'Cooperative groups', fmt: 'int' }
		],
		graphs: [
			{ vi: 'Số HTX đang hoạt động', en: 'Active cooperatives',
			  style: 'area', axis: 'int', lines: [
				['coop.*.cooperatives.active', 'Tất cả'],
				['coop.*.cooperatives.active.agriculture', 'Nông nghiệp']
			  ] },
			{ vi: 'Thành viên HTX', en: 'Members', axis: 'int', lines: [
				['coop.*.members', 'Thành viên']
			  ] },
			{ vi: 'Doanh thu bình quân một HTX (đồng)',
			  en: 'Revenue per cooperative (VND)', axis: 'vnd', lines: [
				['coop.*.revenue.avg.agriculture', 'Nông nghiệp'],
				['coop.*.revenue.avg', 'Tất cả']
			  ] }
		]
	},
	{
		id: 'creditfund', vi: 'Quỹ tín dụng nhân dân',
		en: "People's credit funds", range: '10y',
		cards: [
			{ m: 'creditfund.*.funds.reporting', vi: 'Quỹ báo cáo',
			  en: 'Funds reporting', fmt: 'int' },
			{ m: 'creditfund.*.funds.profit', vi: 'Quỹ có lãi',
			  en: 'Funds in profit', fmt: 'int' },
			{ m: 'creditfund.*.funds.loss', vi: 'Quỹ bị lỗ',
			  en: 'Funds at a loss', fmt: 'int' },
			{ m: 'creditfund.*.roa', vi: 'ROA', en: 'Return on assets',
			  fmt: 'pct' },
			{ m: 'creditfund.*.profit.total', vi: 'Tổng lợi nhuận',
			  en: 'Total profit', fmt: 'vnd' }
		],
		graphs: [
			{ vi: 'Quỹ có lãi và bị lỗ', en: 'Funds in profit and at a loss',
			  axis: 'int', lines: [
				['creditfund.*.funds.profit', 'Có lãi'],
				['creditfund.*.funds.loss', 'Bị lỗ']
			  ] },
			{ vi: 'Tỷ suất lợi nhuận trên tài sản (ROA, %)',
			  en: 'Return on assets (%)', axis: 'pct', lines: [
				['creditfund.*.roa', 'ROA']
			  ] }
		]
	},
	{
		id: 'traffic', vi: 'Truy cập trang', en: 'Site traffic',
		range: 'day',
		cards: [
			{ m: 'traffic.*.online', vi: 'Đang trực tuyến',
			  en: 'Visitors online now', fmt: 'int' },
			{ m: 'traffic.*.visitors.day', vi: 'Khách hôm nay',
			  en: "Today's visitors", fmt: 'int' },
			{ m: 'traffic.*.visits.total', vi: 'Tổng lượt truy cập',
			  en: 'Visits, all time', fmt: 'int' },
			{ m: 'demo.*.wave', vi: 'Trực tuyến (mẫu)',
			  en: 'Visitors online (demo data)', fmt: 'int' }
		],
		graphs: [
			{ vi: 'Số người trực tuyến', en: 'Visitors online',
			  style: 'area', lines: [
				['traffic.*.online', 'Trực tuyến'],
				['demo.*.wave', 'Trực tuyến (mẫu)']
			  ] },
			{ vi: 'Khách mỗi ngày (theo ngày trong nhật ký)',
			  en: 'Unique visitors per day, by the log\'s dates', lines: [
				['traffic.*.visitors.daily', 'Khách']
			  ] },
			{ vi: 'Lượt truy cập (mỗi giây)', en: 'Visits per second',
			  lines: [
				['traffic.*.visits', 'Lượt truy cập'],
				['demo.*.visits', 'Lượt truy cập (mẫu)']
			  ] },
			{ vi: 'Yêu cầu và lượt xem trang (mỗi giây)',
			  en: 'Hits and page views per second', lines: [
				['traffic.*.hits', 'Yêu cầu'],
				['traffic.*.pageviews', 'Lượt xem trang']
			  ] },
			{ vi: 'Mã trạng thái (mỗi giây)', en: 'HTTP status classes per second',
			  style: 'stack', lines: [
				['traffic.*.status.2xx', '2xx'],
				['traffic.*.status.3xx', '3xx'],
				['traffic.*.status.4xx', '4xx'],
				['traffic.*.status.5xx', '5xx']
			  ] }
		]
	}
];

/* Ranges: seconds, and the step the end time is rounded to (stable URLs). */
const RANGES = [
	{ id: 'day', vi: 'Ngày', en: 'Last day', span: 86400, round: 60 },
	{ id: 'week', vi: 'Tuần', en: 'Last week', span: 7 * 86400, round: 600 },
	{ id: 'month', vi: 'Tháng', en: 'Last 30 days', span: 30 * 86400,
	  round: 3600 },
	{ id: 'year', vi: 'Năm', en: 'Last year', span: 365 * 86400,
	  round: 3600 },
	{ id: '10y', vi: '10 năm', en: 'Ten whole years to the newest figure',
	  span: 3650 * 86400,
	  round: 3600 }
];

const LEVELS = {
	ok: { vi: 'Bình thường', en: 'OK' },
	warning: { vi: 'Cảnh báo', en: 'Warning' },
	critical: { vi: 'Nghiêm trọng', en: 'Critical' }
};

const GRAPH_METRICS_MAX = 8;	/* graph.h */
const LABEL_MAX = 64;		/* bytes of UTF-8, graph.h */
const REFRESH_MS = 60000;

const NF = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });
const NF2 = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });

/* ---- self-test: errors seen while the page runs */

const selftest = { errors: [] };
window.addEventListener('error', (e) => {
	const t = e.target;
	if (t && t !== window && t.tagName)
		selftest.errors.push('resource ' + t.tagName + ' ' +
		    (t.src || t.href || ''));
	else
		selftest.errors.push('js ' + e.message + ' ' + e.filename + ':' +
		    e.lineno);
}, true);
window.addEventListener('unhandledrejection', (e) => {
	selftest.errors.push('promise ' + String(e.reason));
});
(function () {
	const orig = console.error;
	console.error = function () {
		selftest.errors.push('console ' +
		    Array.prototype.join.call(arguments, ' '));
		orig.apply(console, arguments);
	};
})();

/* ---- formatting */

function pad2(n) {
	return (n < 10 ? '0' : '') + n;
}

/* dd/mm/yyyy, or dd/mm/yyyy hh:mm with time. */
function fmtDate(epoch, withTime) {
	const d = new Date(epoch * 1000);
	let s = pad2(d.getDate()) + '/' + pad2(d.getMonth() + 1) + '/' +
	    d.getFullYear();
	if (withTime)
		s += ' ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
	return s;
}

function fmtValue(v, how) {
	if (v === null || v === undefined || !isFinite(v))
		return '–';
	switch (how) {
	case 'int':
		return NF.format(Math.round(v));
	case 'pct':
		return NF2.format(v) + ' %';
	case 'vnd':
		if (Math.abs(v) >= 1e9)
			return NF2.format(v / 1e9) + ' tỷ đồng';
		if (Math.abs(v) >= 1e6)
			return NF2.format(v / 1e6) + ' triệu đồng';
		return NF.format(v) + ' đồng';
	default:
		return NF2.format(v);
	}
}

/* At most max bytes of UTF-8, cut at a character. */
function clipUtf8(s, max) {
	const enc = new TextEncoder();
	while (enc.encode(s).length > max)
		s = s.slice(0, -1);
	return s;
}

/* ---- the series that exist */

/* Does name match pattern ("*" = one part of [a-z0-9_-])? */
function matches(pattern, name) {
	const p = pattern.split('.');
	const n = name.split('.');
	if (p.length !== n.length)
		return false;
	for (let i = 0; i < p.length; i++)
		if (p[i] !== '*' && p[i] !== n[i])
			return false;
	return true;
}

/* The series matching pattern that have a value, by name. */
function find(metrics, pattern) {
	return metrics.filter((m) => m.time !== null && matches(pattern, m.name));
}

/* The label people read for series m: [labels], else def's. */
function labelOf(m, def) {
	return m.label_set ? m.label : def;
}

/* The label of a series by name, for the alerts table. */
function labelByName(name) {
	const m = state.metrics.find((x) => x.name === name);
	return m && m.label ? m.label : name;
}

/* A legend: the label, and the instance if the pattern matched several. */
function legend(label, m, many) {
	return clipUtf8(many ? label + ' · ' + m.name.split('.')[1] : label,
	    LABEL_MAX);
}

/* ---- drawing */

function el(tag, attrs, text) {
	const e = document.createElement(tag);
	for (const k in attrs || {})
		e.setAttribute(k, attrs[k]);
	if (text !== undefined)
		e.textContent = text;
	return e;
}

const state = { metrics: [], views: [], imgs: [] };

/*
 * The year a yearly figure belongs to: one stamped at 1 January 00:00
 * UTC closes the year before (a 2021 figure is stored at 2022-01-01).
 */
function figureYear(epoch) {
	const d = new Date(epoch * 1000);
	if (epoch % 86400 === 0 && d.getUTCMonth() === 0 && d.getUTCDate() === 1)
		return d.getUTCFullYear() - 1;
	return null;
}

/*
 * "10 năm" ends at the newest figure of the graph's series and covers ten
 * whole years before it (2015..2024 when 2024's figure is the newest);
 * without figures, the ten years up to now.
 */
function tenYears(g) {
	let last = 0;
	for (const [m] of g.series)
		if (m.time && m.time > last)
			last = m.time;
	const y = last > 0 ? (figureYear(last) !== null ? figureYear(last) :
	    new Date(last * 1000).getUTCFullYear()) + 1 :
	    new Date().getUTCFullYear() + 1;
	return { start: Date.UTC(y - 10, 0, 1) / 1000,
	    end: Date.UTC(y, 0, 1) / 1000 };
}

/*
 * How the value axis is written: vi-VN scale words ("1,8 tỷ", "520
 * nghìn") or "0,68 %" instead of rrdtool's k/M/G, from the graph's axis
 * kind (SECTIONS) and the size of its last figures; null: rrdtool's axis.
 */
function axisUnit(g) {
	const kind = g.def.axis;
	if (kind === 'pct')
		return 'pct';
	if (kind !== 'vnd' && kind !== 'int')
		return null;
	let max = 0;
	for (const [m] of g.series)
		if (typeof m.value === 'number' && isFinite(m.value))
			max = Math.max(max, Math.abs(m.value));
	if (kind === 'vnd')
		return max >= 1e9 ? 'ty' : max >= 1e6 ? 'trieu' : 'plain';
	return max >= 1e6 ? 'trieu' : max >= 1e4 ? 'nghin' : 'plain';
}

/* The graph's URL for a width: absolute times rounded, so it is cached. */
function graphUrl(view, g, width) {
	const r = RANGES.find((x) => x.id === view.range);
	let end = Math.floor(Date.now() / 1000 / r.round) * r.round;
	let start = end - r.span;
	const q = [];
	if (r.id === '10y')
		({ start, end } = tenYears(g));
	for (const [m, label] of g.series)
		q.push('metric=' + encodeURIComponent(m.name),
		    'label=' + encodeURIComponent(label));
	q.push('start=' + start, 'end=' + end,
	    'width=' + width, 'height=' + (width < 500 ? 180 : 220),
	    'style=' + (g.style || 'line'));
	if (view.compare)
		q.push('compare=1y');
	const unit = axisUnit(g);
	if (unit !== null)
		q.push('unit=' + unit);
	return 'graph?' + q.join('&');
}

function graphWidth(fig) {
	return Math.max(100, Math.min(3000, Math.floor(fig.clientWidth ||
	    600)));
}

/* Point every graph of a view at its current URL (new range, new width). */
function refreshGraphs(view) {
	for (const g of view.graphs) {
		const url = graphUrl(view, g, graphWidth(g.fig));
		if (g.img.getAttribute('src') !== url)
			g.img.setAttribute('src', url);
	}
}

function drawCards(view) {
	view.cards.replaceChildren();
	for (const c of view.def.cards) {
		const found = find(state.metrics, c.m);
		for (const m of found) {
			const card = el('div', { class: 'card', title: c.en +
			    ' (' + m.name + ')' });
			const vi = labelOf(m, c.vi);
			card.append(el('div', { class: 'label' }, found.length > 1 &&
			    !m.label_set ? vi + ' · ' + m.name.split('.')[1] : vi));
			card.append(el('div', { class: 'value' },
			    fmtValue(m.value, c.fmt)));
			card.append(el('div', { class: 'when' },
			    view.def.range === '10y' && figureYear(m.time) !==
			    null ? 'số liệu năm ' + figureYear(m.time) :
			    'cập nhật ' + fmtDate(m.time, false)));
			view.cards.append(card);
		}
	}
}

/* The range buttons and the year-over-year switch of a section. */
function drawControls(view, bar) {
	const group = el('div', { class: 'ranges', role: 'group',
	    'aria-label': 'Khoảng thời gian' });
	for (const r of RANGES) {
		const b = el('button', { type: 'button', title: r.en,
		    'data-range': r.id, 'aria-pressed': String(r.id ===
		    view.range) }, r.vi);
		b.addEventListener('click', () => {
			view.range = r.id;
			for (const x of group.children)
				x.setAttribute('aria-pressed',
				    String(x.getAttribute('data-range') === r.id));
			refreshGraphs(view);
		});
		group.append(b);
	}
	const lab = el('label', { class: 'compare',
	    title: 'Overlay the same span one year earlier' });
	const box = el('input', { type: 'checkbox' });
	box.addEventListener('change', () => {
		view.compare = box.checked;
		refreshGraphs(view);
	});
	lab.append(box, document.createTextNode(' So với năm trước'));
	bar.append(group, lab);
}

/* One section, if any of its series has data; null otherwise. */
function drawSection(def) {
	const graphs = [];
	for (const g of def.graphs) {
		const series = [];
		for (const [pattern, label] of g.lines) {
			const found = find(state.metrics, pattern);
			for (const m of found)
				series.push([m, legend(labelOf(m, label), m,
				    found.length > 1 && !m.label_set)]);
		}
		if (series.length > 0)
			graphs.push({ def: g, style: g.style,
			    series: series.slice(0, GRAPH_METRICS_MAX) });
	}
	const hasCards = def.cards.some((c) => find(state.metrics, c.m).length);
	if (graphs.length === 0 && !hasCards)
		return null;
	const sec = el('section', { class: 'panel', id: def.id });
	const head = el('div', { class: 'panel-head' });
	head.append(el('h2', { title: def.en }, def.vi));
	const view = { def: def, range: def.range, compare: false,
	    graphs: graphs, cards: el('div', { class: 'cards' }) };
	drawControls(view, head);
	sec.append(head, view.cards);
	const grid = el('div', { class: 'graphs' });
	for (const g of graphs) {
		g.fig = el('figure', { class: 'graph' });
		g.fig.append(el('figcaption', { title: g.def.en }, g.def.vi));
		g.img = el('img', { alt: g.def.vi + ' (' + g.def.en + ')' });
		state.imgs.push(g.img);
		g.fig.append(g.img);
		grid.append(g.fig);
	}
	sec.append(grid);
	drawCards(view);
	return { view: view, node: sec };
}

function drawAlerts(list) {
	const body = document.getElementById('alert-rows');
	body.replaceChildren();
	for (const a of list) {
		const lv = LEVELS[a.level] || { vi: a.level, en: a.level };
		const tr = el('tr', { class: 'level-' + a.level });
		tr.append(el('td', { title: lv.en }, lv.vi),
		    el('td', {}, a.name),
		    el('td', { title: a.metric }, labelByName(a.metric)),
		    el('td', {}, fmtValue(a.value, 'num')),
		    el('td', {}, a.since ? fmtDate(a.since, true) : '–'),
		    el('td', {}, a.message || ''));
		body.append(tr);
	}
	document.getElementById('alerts').hidden = list.length === 0;
}

/* ---- loading */

async function getJson(url) {
	const r = await fetch(url, { cache: 'no-store' });
	if (!r.ok)
		throw new Error(url + ': HTTP ' + r.status);
	return r.json();
}

async function loadAlerts() {
	try {
		const j = await getJson('api/v1/alerts');
		drawAlerts(Array.isArray(j.alerts) ? j.alerts : []);
	} catch (e) {
		selftest.errors.push('alerts ' + e.message);
	}
}

/* Readings refused as unsafe, or sources that could not be read. */
async function loadReadings() {
	try {
		const j = await getJson('api/v1/plugins');
		const bad = (Array.isArray(j.plugins) ? j.plugins : [])
		    .filter((p) => p.status && /^(refused|error)/.test(p.status));
		const list = document.getElementById('reading-rows');
		list.replaceChildren();
		for (const p of bad)
			list.append(el('li', { title: p.status }, p.name + ': ' +
			    p.status));
		document.getElementById('readings').hidden = bad.length === 0;
	} catch (e) {
		selftest.errors.push('plugins ' + e.message);
	}
}

function setStatus(text) {
	document.getElementById('status').textContent = text;
}

/* First view: sections for the series that exist. */
async function start() {
	try {
		state.metrics = (await getJson('api/v1/metrics')).metrics;
	} catch (e) {
		setStatus('Không tải được danh sách số liệu.');
		selftest.errors.push('metrics ' + e.message);
		return;
	}
	const box = document.getElementById('sections');
	for (const def of SECTIONS) {
		const s = drawSection(def);
		if (s === null)
			continue;
		box.append(s.node);
		state.views.push(s.view);
	}
	document.getElementById('empty').hidden = state.views.length > 0;
	for (const v of state.views)
		refreshGraphs(v);
	setStatus('Cập nhật lúc ' + fmtDate(Date.now() / 1000, true));
	await loadAlerts();
	await loadReadings();
}

/* Later: new last values, graphs that moved on, alerts. */
async function refresh() {
	try {
		state.metrics = (await getJson('api/v1/metrics')).metrics;
	} catch (e) {
		setStatus('Mất kết nối; thử lại sau.');
		return;
	}
	for (const v of state.views) {
		drawCards(v);
		refreshGraphs(v);
	}
	setStatus('Cập nhật lúc ' + fmtDate(Date.now() / 1000, true));
	await loadAlerts();
	await loadReadings();
}

/* Once every image has loaded or failed, write the checks. */
async function writeSelftest() {
	await Promise.all(state.imgs.map((img) => img.complete ?
	    Promise.resolve() : new Promise((ok) => {
		img.addEventListener('load', ok, { once: true });
		img.addEventListener('error', ok, { once: true });
	    })));
	const lines = [];
	let good = 0;
	for (const img of state.imgs) {
		const okImg = img.complete && img.naturalWidth > 0;
		good += okImg ? 1 : 0;
		lines.push('img ' + (okImg ? 'ok ' : 'FAIL ') + img.naturalWidth +
		    'x' + img.naturalHeight + ' shown ' + img.clientWidth + ' ' +
		    img.getAttribute('src'));
	}
	const sections = [...document.querySelectorAll('section.panel')]
	    .filter((s) => !s.hidden).map((s) => s.id);
	lines.unshift('sections=' + sections.join(','),
	    'images=' + state.imgs.length, 'images_ok=' + good,
	    'viewport=' + window.innerWidth,
	    'page_width=' + document.documentElement.scrollWidth);
	for (const e of selftest.errors)
		lines.push('error ' + e);
	lines.push('errors=' + selftest.errors.length, 'done=1');
	document.getElementById('selftest').textContent = lines.join('\n');
}

let resizeTimer = null;
window.addEventListener('resize', () => {
	clearTimeout(resizeTimer);
	resizeTimer = setTimeout(() => state.views.forEach(refreshGraphs), 300);
});

start().then(writeSelftest).then(() => {
	setInterval(refresh, REFRESH_MS);
});
