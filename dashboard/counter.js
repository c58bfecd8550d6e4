/*
 * counter.js - tallyd's visitor counter for any web page, in place of a
 * "Thống kê truy cập / Số người trực tuyến" footer.  No dependencies.
 *
 *   <div id="tally-counter"></div>
 *   <script src="https://stats.example.org/counter.js"
 *       data-target="tally-counter" async></script>
 *
 * It renders into the element named by data-target (or a new <div> just
 * before the script) and asks the gateway it came from for /counter.json
 * every data-interval seconds (default 60, at least 10), skipping turns
 * while the page is hidden.  data-label-total and data-label-online
 * replace the labels; data-optional="1" hides the counter if the gateway
 * has none configured.  It writes text only (never HTML from the
 * network) into:
 *   <span class="tally-counter-total">Thống kê truy cập: <b>N</b></span>
 *   <span class="tally-counter-online">Số người trực tuyến: <b>N</b></span>
 */
(function () {
	'use strict';
	var me = document.currentScript;
	if (!me || !me.src)
		return;
	var base = me.src.replace(/\/counter\.js([?#].*)?$/, '');
	var id = me.getAttribute('data-target');
	var every = parseInt(me.getAttribute('data-interval') || '60', 10);
	var optional = me.getAttribute('data-optional') === '1';
	var box = id ? document.getElementById(id) : null;
	var nf = window.Intl ? new Intl.NumberFormat('vi-VN') : null;

	if (!(every >= 10))
		every = 60;
	if (!box) {
		box = document.createElement('div');
		me.parentNode.insertBefore(box, me);
	}
	box.classList.add('tally-counter');

	function part(cls, label) {
		var span = document.createElement('span');
		var b = document.createElement('b');
		span.className = cls;
		span.appendChild(document.createTextNode(label + ': '));
		b.textContent = '–';
		span.appendChild(b);
		box.appendChild(span);
		return b;
	}
	var total = part('tally-counter-total',
	    me.getAttribute('data-label-total') || 'Thống kê truy cập');
	var online = part('tally-counter-online',
	    me.getAttribute('data-label-online') || 'Số người trực tuyến');

	function show(b, v) {
		if (typeof v !== 'number' || !isFinite(v))
			b.textContent = '–';
		else
			b.textContent = nf ? nf.format(v) : String(v);
	}

	function update() {
		if (document.hidden)
			return;
		var x = new XMLHttpRequest();
		x.open('GET', base + '/counter.json');
		x.onload = function () {
			var j;
			if (x.status === 404 && optional) {
				box.hidden = true;
				return;
			}
			if (x.status !== 200)
				return;
			try {
				j = JSON.parse(x.responseText);
			} catch (e) {
				return;
			}
			box.hidden = false;
			show(total, j.visits_total);
			show(online, j.online);
			if (typeof j.updated === 'number')
				box.setAttribute('data-updated', String(j.updated));
		};
		x.send();
	}
	update();
	setInterval(update, every * 1000);
})();
