/*
 * report.js - the printable annual report: GET /api/v1/report (JSON) as
 * a table of indicators by year, each with its change against the year
 * before (absolute and in percent), vi-VN numbers; years from the form
 * or the page's ?from=&to=; download links for the same years (XLSX,
 * CSV); "In báo cáo" prints (the form is not printed).
 */
'use strict';

const NUM = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
const PCT = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1,
    signDisplay: 'exceptZero' });
const DIFF = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2,
    signDisplay: 'exceptZero' });

function el(tag, attrs, text) {
	const e = document.createElement(tag);
	for (const k in attrs)
		e.setAttribute(k, attrs[k]);
	if (text !== undefined)
		e.textContent = text;
	return e;
}

function fmt(v, f, unit) {
	if (v === null || v === undefined)
		return '–';
	return f.format(Math.abs(v) >= 100 ? Math.round(v) : v) + (unit || '');
}

function draw(r) {
	const t = document.getElementById('report');
	t.replaceChildren();
	const head = el('tr');
	head.append(el('th', { title: 'Indicator' }, 'Chỉ tiêu'));
	for (const y of r.years)
		head.append(el('th', { class: 'num' }, y));
	const thead = el('thead');
	thead.append(head);
	const body = el('tbody');
	for (const ind of r.indicators) {
		const rows = [
			[ind.label, ind.values, NUM, '', 'value'],
			['± so với năm trước', ind.change, DIFF, '', 'change'],
			['% so với năm trước', ind.change_pct, PCT, ' %', 'change']
		];
		for (const [label, vals, f, unit, cls] of rows) {
			const tr = el('tr', { class: cls });
			tr.append(el('td', { title: ind.series }, label));
			for (const v of vals)
				tr.append(el('td', { class: 'num' },
				    fmt(v, f, unit)));
			body.append(tr);
		}
	}
	t.append(thead, body);
}

async function load(from, to) {
	const q = 'from=' + from + '&to=' + to;
	document.getElementById('xlsx').href = 'api/v1/report?format=xlsx&' + q;
	document.getElementById('csv').href = 'api/v1/report?format=csv&' + q;
	const status = document.getElementById('status');
	try {
		const res = await fetch('api/v1/report?' + q,
		    { cache: 'no-store' });
		const j = await res.json();
		if (!res.ok)
			throw new Error(j.error ? j.error.message : res.status);
		draw(j);
		status.textContent = 'Năm ' + j.from + '–' + j.to;
	} catch (e) {
		status.textContent = 'Không tải được báo cáo: ' + e.message;
	}
}

function start() {
	const p = new URLSearchParams(location.search);
	const last = new Date().getFullYear() - 1;
	const to = parseInt(p.get('to'), 10) || last;
	const from = parseInt(p.get('from'), 10) || to - 9;
	document.getElementById('from').value = from;
	document.getElementById('to').value = to;
	document.getElementById('years').addEventListener('submit', (ev) => {
		ev.preventDefault();
		load(document.getElementById('from').value,
		    document.getElementById('to').value);
	});
	document.getElementById('print').addEventListener('click',
	    () => window.print());
	load(from, to);
}

start();
