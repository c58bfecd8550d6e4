/*
 * gen-access-log - write a deterministic, realistic nginx "combined" access
 * log for the traffic plugin's tests, benchmark and demo.
 *
 *	gen-access-log [-n lines] [-s seed] [-e end|now] [-S span] [-z +0700]
 *	    [-V visitors] [-m permille] [-K kinds] [-F permille] [-q]
 *
 * Lines are spread evenly over the span (seconds) that ends at end, in
 * time order.  Visitors come from a pool with a few regulars and a long
 * tail; a tenth of the user agents are crawlers; a third of the requests
 * are static assets.  With -m, that many lines per thousand are malformed,
 * of the kinds given by -K (g garbage, b binary, t cut after the status,
 * u cut inside the user agent, d bad date, s bad status, h host name
 * instead of an address, o overlong).  With -F, that many per thousand are
 * dated in 2099.  -q prints "lines N valid N malformed N future N" on
 * stderr.  The same arguments always give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct gen {
	uint64_t	 rng;
	long		 lines;
	long		 visitors;
	long		 bad_permille;
	long		 future_permille;
	const char	*kinds;
	int64_t		 end;
	int64_t		 span;
	int		 tz;		/* minutes east of UTC */
	long		 nvalid, nbad, nfuture;
};

static const char *gen_agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
	    "(KHTML, like Gecko) Version/17.0 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 "
	    "Firefox/118.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
	    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
	    "Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/117.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 "
	    "Firefox/119.0",
	"Mozilla/5.0 (Linux; Android 12; CPH2179) AppleWebKit/537.36 (KHTML, "
	    "like Gecko) coc_coc_browser/117.0.0 Mobile Chrome/111.0.0.0 "
	    "Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
	"Mozilla/5.0 (compatible; Googlebot/2.1; "
	    "+http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; "
	    "+http://www.bing.com/bingbot.htm)",
};
#define GEN_NAGENTS	(sizeof(gen_agents) / sizeof(gen_agents[0]))

static const char *gen_pages[] = {
	"/", "/tin-tuc", "/tin-tuc/hoi-nghi-tong-ket-kinh-te-tap-the-2021",
	"/gioi-thieu", "/lien-he", "/van-ban", "/hop-tac-xa",
	"/quy-tin-dung-nhan-dan", "/tin-tuc/dao-tao-boi-duong-2021",
	"/search?q=hop+tac+xa", "/index.php?page=2", "/thong-ke",
};
static const char *gen_assets[] = {
	"/css/site.css", "/js/app.js", "/images/logo.png",
	"/images/banner.jpg", "/favicon.ico", "/fonts/roboto.woff2",
};
static const char *gen_months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* splitmix64: a tiny generator whose sequence depends only on the seed. */
static uint64_t
gen_next(struct gen *g)
{
	uint64_t	 z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static long
gen_below(struct gen *g, long n)
{
	return ((long)(gen_next(g) % (uint64_t)n));
}

/* Civil date of a day number (days since 1970-01-01). */
static void
gen_civil(int64_t days, int *y, int *m, int *d)
{
	int64_t	 z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* "10/Oct/2023:13:55:36 +0700" for UTC time t in the generator's zone. */
static void
gen_stamp(const struct gen *g, int64_t t, char *buf, size_t len)
{
	int64_t	 l = t + g->tz * 60, secs;
	int	 y, m, d, tz = g->tz < 0 ? -g->tz : g->tz;

	secs = ((l % 86400) + 86400) % 86400;
	gen_civil((l - secs) / 86400, &y, &m, &d);
	snprintf(buf, len, "%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d", d,
	    gen_months[m - 1], y, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60), g->tz < 0 ? '-' : '+', tz / 60, tz % 60);
}

/* A visitor: regulars often, the long tail now and then. */
static long
gen_visitor(struct gen *g)
{
	uint64_t	 r = gen_next(g) % 1000;

	if (r < 300)
		return (gen_below(g, g->visitors / 20 + 1));
	return (gen_below(g, g->visitors));
}

/* Print one well-formed line at time t, with the request's details. */
static void
gen_good(struct gen *g, FILE *out, int64_t t, int cut)
{
	char		 stamp[64], ua[400];
	long		 v = gen_visitor(g), r = gen_below(g, 1000);
	const char	*path, *ref, *agent;
	int		 status, asset = r < 330;

	gen_stamp(g, t, stamp, sizeof(stamp));
	path = asset ? gen_assets[gen_below(g, 6)] : gen_pages[gen_below(g,
	    12)];
	agent = gen_agents[v % 97 < 10 ? 8 + v % 2 : v % 8];
	status = r % 50 == 1 ? 404 : r % 97 == 3 ? 500 : r % 31 == 2 ? 304 :
	    r % 41 == 5 ? 301 : r % 211 == 7 ? 403 : 200;
	ref = r % 3 == 0 ? "-" : r % 3 == 1 ? "https://www.google.com/" :
	    "https://lienminhhtx.example.vn/tin-tuc";
	fprintf(out, "%ld.%ld.%ld.%ld - - [%s] \"%s %s HTTP/1.1\" %d ",
	    10 + v / 65536 % 200, v / 256 % 256, v % 256, 1 + v % 7, stamp,
	    r % 23 == 4 ? "POST" : "GET", path, status);
	if (cut == 't') {
		fprintf(out, "\n");
		return;
	}
	if (status == 304)
		fprintf(out, "0");
	else
		fprintf(out, "%ld", 200 + gen_below(g, asset ? 90000 : 30000));
	snprintf(ua, sizeof(ua), "%s", agent);
	if (cut == 'u')
		ua[20] = '\0';
	fprintf(out, " \"%s\" \"%s%s\n", ref, ua, cut == 'u' ? "" : "\"");
}

/* Print one malformed line of a kind chosen from -K. */
static void
gen_bad(struct gen *g, FILE *out, int64_t t)
{
	char	 kind = g->kinds[gen_below(g, (long)strlen(g->kinds))];
	char	 stamp[64];
	long	 i, n;

	gen_stamp(g, t, stamp, sizeof(stamp));
	switch (kind) {
	case 'b':
		fputs("\x16\x03\x01", out);
		for (i = 0, n = 20 + gen_below(g, 60); i < n; i++)
			fputc(0x80 + gen_below(g, 0x7f), out);
		fputc('\n', out);
		break;
	case 'd':
		fprintf(out, "10.9.9.9 - - [32/Foo/2023:25:61:00 +0700] "
		    "\"GET / HTTP/1.1\" 200 512 \"-\" \"%s\"\n", gen_agents[0]);
		break;
	case 's':
		fprintf(out, "10.9.9.8 - - [%s] \"GET / HTTP/1.1\" abc 512 "
		    "\"-\" \"%s\"\n", stamp, gen_agents[1]);
		break;
	case 'h':
		fprintf(out, "proxy.example.vn - - [%s] \"GET / HTTP/1.1\" 200 "
		    "512 \"-\" \"%s\"\n", stamp, gen_agents[2]);
		break;
	case 't':
	case 'u':
		gen_good(g, out, t, kind);
		break;
	case 'o':
		fprintf(out, "10.9.9.7 - - [%s] \"GET /", stamp);
		for (i = 0; i < 70000; i++)
			fputc('a' + (int)(i % 26), out);
		fprintf(out, " HTTP/1.1\" 414 0 \"-\" \"-\"\n");
		break;
	default:
		fprintf(out, "this is not an access log line %ld\n",
		    gen_below(g, 100000));
	}
}

/* The usage: on stdout and status 0 when asked for (-h), else stderr, 2. */
static int
gen_usage(int asked)
{
	fprintf(asked ? stdout : stderr, "usage: gen-access-log [-hq] "
	    "[-n lines] [-s seed] [-e end|now] [-S span] [-z +hhmm]\n\t"
	    "[-V visitors] [-m permille] [-K kinds] [-F permille]\n");
	return (asked ? 0 : 2);
}

/* Parse "+0700" into minutes east of UTC; -1 on error (stored in *ok). */
static int
gen_tz(const char *s, int *tz)
{
	long	 v;
	char	*end;

	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 5)
		return (-1);
	v = strtol(s + 1, &end, 10);
	if (*end != '\0' || v % 100 > 59 || v / 100 > 23)
		return (-1);
	*tz = (int)((v / 100 * 60 + v % 100) * (s[0] == '-' ? -1 : 1));
	return (0);
}

/* Read the options into g; -1 on a bad one, 1 for -h. */
static int
gen_options(struct gen *g, int argc, char **argv, int *quiet)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "hn:s:e:S:z:V:m:K:F:q")) != -1) {
		switch (ch) {
		case 'h':
			return (1);
		case 'n':
			g->lines = strtol(optarg, NULL, 10);
			break;
		case 's':
			g->rng = strtoull(optarg, NULL, 10);
			break;
		case 'e':
			g->end = strcmp(optarg, "now") == 0 ?
			    (int64_t)time(NULL) : strtoll(optarg, NULL, 10);
			break;
		case 'S':
			g->span = strtoll(optarg, NULL, 10);
			break;
		case 'z':
			if (gen_tz(optarg, &g->tz) == -1)
				return (-1);
			break;
		case 'V':
			g->visitors = strtol(optarg, NULL, 10);
			break;
		case 'm':
			g->bad_permille = strtol(optarg, NULL, 10);
			break;
		case 'K':
			g->kinds = optarg;
			break;
		case 'F':
			g->future_permille = strtol(optarg, NULL, 10);
			break;
		case 'q':
			*quiet = 1;
			break;
		default:
			return (-1);
		}
	}
	if (g->lines < 0 || g->visitors < 1 || g->span < 1 || *g->kinds ==
	    '\0' || g->bad_permille < 0 || g->future_permille < 0 ||
	    g->bad_permille + g->future_permille > 1000 || optind != argc)
		return (-1);
	return (0);
}

int
main(int argc, char **argv)
{
	struct gen	 g;
	int64_t		 t;
	long		 i, r;
	int		 quiet = 0;
	static char	 obuf[1 << 16];

	memset(&g, 0, sizeof(g));
	g.lines = 1000;
	g.rng = 1;
	g.end = 1697302800;	/* 2023-10-15 00:00 +0700 */
	g.span = 7 * 86400;
	g.tz = 7 * 60;
	g.visitors = 500;
	g.kinds = "gbtudsh";
	if ((r = gen_options(&g, argc, argv, &quiet)) != 0)
		return (gen_usage(r == 1));
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	for (i = 0; i < g.lines; i++) {
		t = g.end - g.span + (int64_t)((double)g.span * i / g.lines);
		r = gen_below(&g, 1000);
		if (r < g.bad_permille) {
			gen_bad(&g, stdout, t);
			g.nbad++;
		} else if (r < g.bad_permille + g.future_permille) {
			gen_good(&g, stdout, t + 76L * 365 * 86400, 0);
			g.nfuture++;
		} else {
			gen_good(&g, stdout, t, 0);
			g.nvalid++;
		}
	}
	if (fflush(stdout) == EOF)
		return (1);
	if (quiet)
		fprintf(stderr, "lines %ld valid %ld malformed %ld "
		    "future %ld\n", g.lines, g.nvalid, g.nbad, g.nfuture);
	return (0);
}
