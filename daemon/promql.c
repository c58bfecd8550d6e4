/*
 * promql.c - the PromQL subset's lexer and parser (docs/PROMETHEUS.md).
 *
 * Recursive descent with precedence climbing over a token stream, as the
 * grammar of Prometheus' generated parser has it: + and - bind looser than
 * * and /, both left-associative; unary minus binds tighter than * and /.
 * Every error names the byte where it was found.  Things outside the
 * subset (other functions and operators, subqueries, @, vector matching
 * modifiers) are lexed and refused by name, so the user learns what is
 * missing rather than reading "unexpected character".  No clock, no I/O:
 * unit-tested and fuzzed alone; the evaluator is promql_eval.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "promql.h"
#include "xmalloc.h"

enum promql_tok {
	T_EOF, T_NUMBER, T_DURATION, T_IDENT, T_STRING, T_LBRACE, T_RBRACE,
	T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_ASSIGN, T_NE,
	T_RE, T_NRE, T_ADD, T_SUB, T_MUL, T_DIV, T_OTHER_OP, T_COLON, T_AT
};

struct promql_parser {
	const char		*q;
	size_t			 len;
	size_t			 at;		/* next byte to lex */
	int			 depth;

	/* the current token */
	enum promql_tok		 tok;
	size_t			 pos, end;
	double			 num;
	long long		 dur;		/* ms */
	char			*str;		/* T_STRING, unescaped */

	struct promql_error	*err;
	int			 failed;
};

static const struct {
	const char		*name;
	enum promql_func	 func;
	int			 aggr;
} promql_funcs[] = {
	{ "rate", PQF_RATE, 0 },
	{ "increase", PQF_INCREASE, 0 },
	{ "delta", PQF_DELTA, 0 },
	{ "avg_over_time", PQF_AVG_OVER_TIME, 0 },
	{ "min_over_time", PQF_MIN_OVER_TIME, 0 },
	{ "max_over_time", PQF_MAX_OVER_TIME, 0 },
	{ "last_over_time", PQF_LAST_OVER_TIME, 0 },
	{ "sum", PQF_SUM, 1 },
	{ "avg", PQF_AVG, 1 },
	{ "min", PQF_MIN, 1 },
	{ "max", PQF_MAX, 1 },
	{ "count", PQF_COUNT, 1 },
	{ "topk", PQF_TOPK, 1 },
};
#define PROMQL_NFUNCS	(sizeof(promql_funcs) / sizeof(promql_funcs[0]))

/* Words of PromQL outside the subset: refused by name. */
static const char *const promql_unsupported_words[] = {
	"and", "or", "unless", "bool", "on", "ignoring", "group_left",
	"group_right", "atan2", "start", "end", NULL
};

static const char *const promql_type_names[] = {
	"scalar", "instant vector", "range vector"
};

const char *
promql_func_name(enum promql_func f)
{
	size_t	 i;

	for (i = 0; i < PROMQL_NFUNCS; i++)
		if (promql_funcs[i].func == f)
			return (promql_funcs[i].name);
	return ("?");
}

static void	promql_fail(struct promql_parser *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Record the first error only: later ones follow from it. */
static void
promql_fail(struct promql_parser *p, size_t pos, const char *fmt, ...)
{
	va_list	 ap;

	if (p->failed)
		return;
	p->failed = 1;
	p->err->pos = (int)pos;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
}

/* ---- lexer */

static int
promql_ident_start(int c)
{
	return (isalpha(c) || c == '_' || c == ':');
}

static int
promql_ident_char(int c)
{
	return (isalnum(c) || c == '_' || c == ':');
}

/*
 * A duration at s (Prometheus' form: 1h30m, 5m, 100ms, 1y; units in
 * decreasing order, each once).  Its length, or 0 if s is not one.
 */
static size_t
promql_duration(const char *s, size_t len, long long *ms)
{
	static const struct {
		char		 unit;
		long long	 ms;
	} units[] = {
		{ 'y', 365LL * 86400000 }, { 'w', 7LL * 86400000 },
		{ 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 },
		{ 's', 1000 }, { 'M', 1 },	/* M: "ms" */
	};
	size_t		 i = 0, j, u, nunits = sizeof(units) / sizeof(units[0]);
	size_t		 next = 0;
	long long	 total = 0, n;
	char		 c;

	while (i < len && isdigit((unsigned char)s[i])) {
		n = 0;
		for (j = i; j < len && isdigit((unsigned char)s[j]); j++) {
			if (n > 1000000000000LL)
				return (0);
			n = n * 10 + (s[j] - '0');
		}
		if (j >= len)
			return (0);
		if ((c = s[j]) == 'M')
			return (0);
		if (c == 'm' && j + 1 < len && s[j + 1] == 's')
			c = 'M';
		for (u = 0; u < nunits && units[u].unit != c; u++)
			;
		/* each unit once, largest first, as Prometheus wants */
		if (u == nunits || u < next)
			return (0);
		if (n > 1000000000000000LL / units[u].ms)
			return (0);
		total += n * units[u].ms;
		if (total > 1000000000000000LL)
			return (0);
		i = j + (c == 'M' ? 2 : 1);
		next = u + 1;
	}
	if (i == 0 || (i < len && (isalnum((unsigned char)s[i]) ||
	    s[i] == '_')))
		return (0);
	*ms = total;
	return (i);
}

/* A quoted string at p->at; sets p->str. */
static void
promql_lex_string(struct promql_parser *p)
{
	char	 quote = p->q[p->at], c, *out;
	size_t	 i = p->at + 1, n = 0;

	out = xmalloc(p->len - p->at + 1);
	for (; i < p->len && p->q[i] != quote; i++) {
		c = p->q[i];
		if (c == '\n' && quote != '`') {
			promql_fail(p, i, "newline in a string");
			break;
		}
		if (c == '\\' && quote != '`') {
			if (++i >= p->len)
				break;
			switch (p->q[i]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'v': c = '\v'; break;
			case '\\': c = '\\'; break;
			case '"': c = '"'; break;
			case '\'': c = '\''; break;
			default:
				promql_fail(p, i - 1, "unknown escape "
				    "sequence \\%c in a string", isprint(
				    (unsigned char)p->q[i]) ? p->q[i] : '?');
				c = '?';
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (i >= p->len)
		promql_fail(p, p->at, "unterminated string");
	free(p->str);
	p->str = out;
	p->tok = T_STRING;
	p->at = i < p->len ? i + 1 : p->len;
}

/* A number (decimal, float, hex, Inf, NaN) or a duration at p->at. */
static void
promql_lex_number(struct promql_parser *p)
{
	const char	*s = p->q + p->at;
	char		*end, buf[64];
	size_t		 n, k;

	if ((n = promql_duration(s, p->len - p->at, &p->dur)) > 0) {
		p->tok = T_DURATION;
		p->at += n;
		return;
	}
	for (k = 0; p->at + k < p->len && k < sizeof(buf) - 1 &&
	    (isalnum((unsigned char)s[k]) || s[k] == '.' || ((s[k] == '+' ||
	    s[k] == '-') && k > 0 && (s[k - 1] == 'e' || s[k - 1] == 'E') &&
	    !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))); k++)
		buf[k] = s[k];
	buf[k] = '\0';
	errno = 0;
	p->num = strtod(buf, &end);
	if (end == buf || *end != '\0' || strchr(buf, 'p') != NULL ||
	    strchr(buf, 'P') != NULL) {
		promql_fail(p, p->at, "bad number or duration \"%.*s\"",
		    (int)k, s);
		p->tok = T_EOF;
		return;
	}
	p->tok = T_NUMBER;
	p->at += k;
}

/* The next token into p. */
static void
promql_next(struct promql_parser *p)
{
	const char	*s;
	int		 c;

	while (p->at < p->len) {
		c = (unsigned char)p->q[p->at];
		if (c == '#') {		/* a comment runs to the line's end */
			while (p->at < p->len && p->q[p->at] != '\n')
				p->at++;
		} else if (isspace(c))
			p->at++;
		else
			break;
	}
	p->pos = p->at;
	s = p->q + p->at;
	if (p->at >= p->len) {
		p->tok = T_EOF;
		p->end = p->at;
		return;
	}
	c = (unsigned char)*s;
	p->at++;
	switch (c) {
	case '{': p->tok = T_LBRACE; break;
	case '}': p->tok = T_RBRACE; break;
	case '(': p->tok = T_LPAREN; break;
	case ')': p->tok = T_RPAREN; break;
	case '[': p->tok = T_LBRACK; break;
	case ']': p->tok = T_RBRACK; break;
	case ',': p->tok = T_COMMA; break;
	case '+': p->tok = T_ADD; break;
	case '-': p->tok = T_SUB; break;
	case '*': p->tok = T_MUL; break;
	case '/': p->tok = T_DIV; break;
	case '@': p->tok = T_AT; break;
	case '%':
	case '^':
		p->tok = T_OTHER_OP;
		break;
	case '=':
		p->tok = T_ASSIGN;
		if (p->at < p->len && p->q[p->at] == '~') {
			p->tok = T_RE;
			p->at++;
		} else if (p->at < p->len && p->q[p->at] == '=') {
			p->tok = T_OTHER_OP;
			p->at++;
		}
		break;
	case '!':
		if (p->at < p->len && p->q[p->at] == '=') {
			p->tok = T_NE;
			p->at++;
		} else if (p->at < p->len && p->q[p->at] == '~') {
			p->tok = T_NRE;
			p->at++;
		} else {
			promql_fail(p, p->pos, "unexpected character '!'");
			p->tok = T_EOF;
		}
		break;
	case '<':
	case '>':
		p->tok = T_OTHER_OP;
		if (p->at < p->len && p->q[p->at] == '=')
			p->at++;
		break;
	case '"':
	case '\'':
	case '`':
		p->at--;
		promql_lex_string(p);
		break;
	default:
		if (isdigit(c) || (c == '.' && p->at < p->len &&
		    isdigit((unsigned char)p->q[p->at]))) {
			p->at--;
			promql_lex_number(p);
		} else if (promql_ident_start(c) && (c != ':' ||
		    (p->at < p->len && !isdigit((unsigned char)p->q[p->at])))) {
			while (p->at < p->len &&
			    promql_ident_char((unsigned char)p->q[p->at]))
				p->at++;
			p->tok = T_IDENT;
		} else if (c == ':') {
			p->tok = T_COLON;
		} else {
			promql_fail(p, p->pos, isprint(c) ? "unexpected "
			    "character '%c'" : "unexpected byte 0x%02x", c);
			p->tok = T_EOF;
		}
	}
	p->end = p->at;
}

/* The current token's text, for messages. */
static const char *
promql_tok_text(struct promql_parser *p, char *buf, size_t len)
{
	size_t	 n = p->end - p->pos;

	if (p->tok == T_EOF)
		return ("end of input");
	if (n > 40)
		n = 40;
	snprintf(buf, len, "\"%.*s\"", (int)n, p->q + p->pos);
	return (buf);
}

static int
promql_ident_is(struct promql_parser *p, const char *word)
{
	return (p->tok == T_IDENT && p->end - p->pos == strlen(word) &&
	    strncasecmp(p->q + p->pos, word, p->end - p->pos) == 0);
}

static int
promql_expect(struct promql_parser *p, enum promql_tok tok, const char *what)
{
	char	 buf[64];

	if (p->failed)
		return (-1);
	if (p->tok != tok) {
		promql_fail(p, p->pos, "unexpected %s, expected %s",
		    promql_tok_text(p, buf, sizeof(buf)), what);
		return (-1);
	}
	promql_next(p);
	return (p->failed ? -1 : 0);
}

/* ---- tree */

static struct promql_node *
promql_node_new(enum promql_kind kind, size_t pos)
{
	struct promql_node	*n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->pos = (int)pos;
	return (n);
}

void
promql_free(struct promql_node *n)
{
	struct promql_node	*next;
	int			 i;

	/* A loop down arg[0]: a chain of operators is a deep left spine. */
	for (; n != NULL; n = next) {
		for (i = 0; i < n->nm; i++) {
			free(n->m[i].name);
			free(n->m[i].value);
			if (n->m[i].compiled)
				regfree(&n->m[i].re);
		}
		for (i = 0; i < n->ngrouping; i++)
			free(n->grouping[i]);
		promql_free(n->arg[1]);
		next = n->arg[0];
		free(n);
	}
}

/* ---- parser */

static struct promql_node	*promql_expr(struct promql_parser *, int);

static int
promql_label_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0)
		return (0);
	for (i = 0; i < n; i++)
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
		    (i > 0 && isdigit((unsigned char)s[i]))))
			return (0);
	return (1);
}

/*
 * Refuse what RE2 (Prometheus' engine) refuses and what makes glibc's
 * regcomp blow up: a repetition of a repetition (a**, a+{2}), counts
 * past 1000 in all, and long patterns.  NULL, or why not.
 */
static const char *
promql_regex_check(const char *re)
{
	const char	*p;
	long		 n, product = 1;
	int		 rep = 0, isrep;

	if (strlen(re) > 1024)
		return ("longer than 1024 bytes");
	for (p = re; *p != '\0'; p++) {
		isrep = *p == '*' || *p == '+' || *p == '?' || *p == '{';
		if (*p == '\\' && p[1] != '\0') {
			p++;
			rep = 0;
			continue;
		}
		if (*p == '[') {	/* a bracket expression: skip it */
			p += p[1] == '^' ? 2 : 1;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']')
				p++;
			if (*p == '\0')
				break;
			rep = 0;
			continue;
		}
		if (isrep && rep)
			return ("invalid nested repetition operator");
		if (*p == '{') {
			n = strtol(p + 1, NULL, 10);
			if (n > 1000 || (strchr(p, ',') != NULL &&
			    strtol(strchr(p, ',') + 1, NULL, 10) > 1000))
				return ("bad repetition count: at most 1000");
			if (n > 1 && (product *= n) > 1000)
				return ("bad repetition count: at most 1000 "
				    "in all");
		}
		rep = isrep;
		if (*p == '{')
			while (p[1] != '\0' && p[1] != '}')
				p++;
	}
	return (NULL);
}

/* Add a matcher to sel; regexes are compiled anchored, as Prometheus. */
static int
promql_matcher_add(struct promql_parser *p, struct promql_node *sel,
    const char *name, enum promql_match op, const char *value, size_t pos)
{
	struct promql_matcher	*m;
	const char		*why;
	char			*anchored, msg[128];
	int			 rc;

	if (sel->nm >= PROMQL_MATCHERS_MAX) {
		promql_fail(p, pos, "more than %d matchers in a selector",
		    PROMQL_MATCHERS_MAX);
		return (-1);
	}
	m = &sel->m[sel->nm++];
	m->name = xstrdup(name);
	m->op = op;
	m->value = xstrdup(value);
	if (op != PQM_RE && op != PQM_NRE)
		return (0);
	if ((why = promql_regex_check(value)) != NULL) {
		promql_fail(p, pos, "bad regular expression \"%.40s\": %s",
		    value, why);
		return (-1);
	}
	xasprintf(&anchored, "^(%s)$", value);
	rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		regerror(rc, &m->re, msg, sizeof(msg));
		promql_fail(p, pos, "bad regular expression \"%.40s\": %s "
		    "(POSIX extended syntax)", value, msg);
		return (-1);
	}
	m->compiled = 1;
	return (0);
}

/* { name op "value", ... } after the opening brace. */
static int
promql_matchers(struct promql_parser *p, struct promql_node *sel)
{
	enum promql_match	 op;
	char			*name, buf[64];
	size_t			 pos;
	int			 rc;

	while (!p->failed && p->tok != T_RBRACE) {
		if (p->tok != T_IDENT || !promql_label_name_ok(p->q + p->pos,
		    p->end - p->pos)) {
			promql_fail(p, p->pos, "unexpected %s in a label "
			    "matcher, expected a label name",
			    promql_tok_text(p, buf, sizeof(buf)));
			return (-1);
		}
		name = xstrndup(p->q + p->pos, p->end - p->pos);
		promql_next(p);
		switch (p->tok) {
		case T_ASSIGN: op = PQM_EQ; break;
		case T_NE: op = PQM_NE; break;
		case T_RE: op = PQM_RE; break;
		case T_NRE: op = PQM_NRE; break;
		default:
			promql_fail(p, p->pos, "unexpected %s in a label "
			    "matcher, expected one of =, !=, =~, !~",
			    promql_tok_text(p, buf, sizeof(buf)));
			free(name);
			return (-1);
		}
		promql_next(p);
		pos = p->pos;
		if (p->tok != T_STRING) {
			promql_fail(p, p->pos, "unexpected %s in a label "
			    "matcher, expected a quoted string",
			    promql_tok_text(p, buf, sizeof(buf)));
			free(name);
			return (-1);
		}
		rc = promql_matcher_add(p, sel, name, op, p->str, pos);
		free(name);
		if (rc == -1)
			return (-1);
		promql_next(p);
		if (p->tok == T_COMMA)
			promql_next(p);
		else if (p->tok != T_RBRACE) {
			promql_fail(p, p->pos, "unexpected %s in a label "
			    "matcher, expected \",\" or \"}\"",
			    promql_tok_text(p, buf, sizeof(buf)));
			return (-1);
		}
	}
	return (promql_expect(p, T_RBRACE, "\"}\""));
}

/* Does the matcher accept the empty string (a missing label)? */
static int
promql_matcher_empty(const struct promql_matcher *m)
{
	switch (m->op) {
	case PQM_EQ:
		return (*m->value == '\0');
	case PQM_NE:
		return (*m->value != '\0');
	case PQM_RE:
		return (regexec(&m->re, "", 0, NULL, 0) == 0);
	case PQM_NRE:
		return (regexec(&m->re, "", 0, NULL, 0) != 0);
	}
	return (1);
}

/* A vector selector: name, name{...} or {...}, at the current token. */
static struct promql_node *
promql_selector(struct promql_parser *p)
{
	struct promql_node	*sel = promql_node_new(PQ_SELECTOR, p->pos);
	char			*name;
	int			 i, named = 0;

	sel->type = PQT_VECTOR;
	if (p->tok == T_IDENT) {
		name = xstrndup(p->q + p->pos, p->end - p->pos);
		promql_matcher_add(p, sel, "__name__", PQM_EQ, name, p->pos);
		free(name);
		named = 1;
		promql_next(p);
	}
	if (p->tok == T_LBRACE) {
		promql_next(p);
		if (promql_matchers(p, sel) == -1)
			goto fail;
		if (named)
			for (i = 1; i < sel->nm; i++)
				if (strcmp(sel->m[i].name, "__name__") == 0) {
					promql_fail(p, sel->pos, "metric name "
					    "must not be set twice");
					goto fail;
				}
	}
	for (i = 0; i < sel->nm; i++)
		if (!promql_matcher_empty(&sel->m[i]))
			break;
	if (i == sel->nm) {
		promql_fail(p, sel->pos, "vector selector must contain at "
		    "least one non-empty matcher");
		goto fail;
	}
	return (sel);
fail:
	promql_free(sel);
	return (NULL);
}

/* by (a, b) / without (a): the grouping labels. */
static int
promql_grouping(struct promql_parser *p, struct promql_node *n)
{
	char	 buf[64];

	if (n->ngrouping > 0 || n->without) {
		promql_fail(p, p->pos, "grouping given twice");
		return (-1);
	}
	n->without = promql_ident_is(p, "without");
	promql_next(p);
	if (promql_expect(p, T_LPAREN, "\"(\" after by or without") == -1)
		return (-1);
	while (!p->failed && p->tok != T_RPAREN) {
		if (p->tok != T_IDENT || !promql_label_name_ok(p->q + p->pos,
		    p->end - p->pos)) {
			promql_fail(p, p->pos, "unexpected %s in grouping, "
			    "expected a label name",
			    promql_tok_text(p, buf, sizeof(buf)));
			return (-1);
		}
		if (n->ngrouping >= PROMQL_LABELS_MAX) {
			promql_fail(p, p->pos, "more than %d grouping labels",
			    PROMQL_LABELS_MAX);
			return (-1);
		}
		n->grouping[n->ngrouping++] = xstrndup(p->q + p->pos,
		    p->end - p->pos);
		promql_next(p);
		if (p->tok == T_COMMA)
			promql_next(p);
		else if (p->tok != T_RPAREN) {
			promql_fail(p, p->pos, "unexpected %s in grouping, "
			    "expected \",\" or \")\"",
			    promql_tok_text(p, buf, sizeof(buf)));
			return (-1);
		}
	}
	return (promql_expect(p, T_RPAREN, "\")\""));
}

/* Check an argument's type, as Prometheus words it. */
static int
promql_want(struct promql_parser *p, const struct promql_node *arg,
    enum promql_type want, const char *fname)
{
	if (arg->type == want)
		return (0);
	promql_fail(p, arg->pos, "expected type %s in call to function "
	    "\"%s\", got %s", promql_type_names[want], fname,
	    promql_type_names[arg->type]);
	return (-1);
}

/* A function call or an aggregation; p is at the name. */
static struct promql_node *
promql_call(struct promql_parser *p, size_t fi)
{
	struct promql_node	*n = promql_node_new(promql_funcs[fi].aggr ?
				    PQ_AGGR : PQ_CALL, p->pos);
	const char		*fname = promql_funcs[fi].name;
	int			 nargs = 0, want;

	n->func = promql_funcs[fi].func;
	n->type = PQT_VECTOR;
	want = n->func == PQF_TOPK ? 2 : 1;
	promql_next(p);
	if (n->kind == PQ_AGGR && (promql_ident_is(p, "by") ||
	    promql_ident_is(p, "without")) && promql_grouping(p, n) == -1)
		goto fail;
	if (promql_expect(p, T_LPAREN, "\"(\"") == -1)
		goto fail;
	while (!p->failed && p->tok != T_RPAREN) {
		if (nargs >= want) {
			promql_fail(p, p->pos, "too many arguments to %s: "
			    "it takes %d", fname, want);
			goto fail;
		}
		if ((n->arg[nargs++] = promql_expr(p, 0)) == NULL)
			goto fail;
		if (p->tok == T_COMMA)
			promql_next(p);
		else if (p->tok != T_RPAREN) {
			promql_expect(p, T_RPAREN, "\",\" or \")\"");
			goto fail;
		}
	}
	if (p->failed)
		goto fail;
	if (nargs != want) {
		promql_fail(p, p->pos, "%s takes %d argument%s, got %d",
		    fname, want, want > 1 ? "s" : "", nargs);
		goto fail;
	}
	promql_next(p);		/* the ")" */
	if (n->kind == PQ_AGGR && (promql_ident_is(p, "by") ||
	    promql_ident_is(p, "without")) && promql_grouping(p, n) == -1)
		goto fail;
	if (n->kind == PQ_CALL) {
		if (promql_want(p, n->arg[0], PQT_MATRIX, fname) == -1)
			goto fail;
	} else if (n->func == PQF_TOPK) {
		if (promql_want(p, n->arg[0], PQT_SCALAR, fname) == -1 ||
		    promql_want(p, n->arg[1], PQT_VECTOR, fname) == -1)
			goto fail;
	} else if (promql_want(p, n->arg[0], PQT_VECTOR, fname) == -1)
		goto fail;
	return (n);
fail:
	promql_free(n);
	return (NULL);
}

/* An identifier at the start of an operand. */
static struct promql_node *
promql_ident(struct promql_parser *p)
{
	char	 name[48];
	size_t	 i, n = p->end - p->pos, save_at = p->at;
	int	 call;

	snprintf(name, sizeof(name), "%.*s", (int)(n < 40 ? n : 40),
	    p->q + p->pos);
	if (strcasecmp(name, "inf") == 0 || strcasecmp(name, "nan") == 0) {
		struct promql_node *num = promql_node_new(PQ_NUMBER, p->pos);

		num->type = PQT_SCALAR;
		num->number = tolower((unsigned char)name[0]) == 'i' ?
		    INFINITY : NAN;
		promql_next(p);
		return (num);
	}
	/* A name followed by "(" (or by/without for an aggregation). */
	while (save_at < p->len && isspace((unsigned char)p->q[save_at]))
		save_at++;
	call = save_at < p->len && p->q[save_at] == '(';
	for (i = 0; i < PROMQL_NFUNCS; i++) {
		if (strcmp(name, promql_funcs[i].name) != 0)
			continue;
		if (call || (promql_funcs[i].aggr && (strncmp(p->q + save_at,
		    "by", 2) == 0 || strncmp(p->q + save_at, "without",
		    7) == 0)))
			return (promql_call(p, i));
	}
	if (call) {
		promql_fail(p, p->pos, "function \"%s\" is not supported "
		    "(rate, increase, delta, avg_over_time, min_over_time, "
		    "max_over_time, last_over_time, sum, avg, min, max, "
		    "count, topk are)", name);
		return (NULL);
	}
	for (i = 0; promql_unsupported_words[i] != NULL; i++)
		if (strcasecmp(name, promql_unsupported_words[i]) == 0) {
			promql_fail(p, p->pos, "\"%s\" is not supported",
			    name);
			return (NULL);
		}
	if (strcmp(name, "offset") == 0 || strcmp(name, "by") == 0 ||
	    strcmp(name, "without") == 0) {
		promql_fail(p, p->pos, "unexpected \"%s\"", name);
		return (NULL);
	}
	return (promql_selector(p));
}

/* [range] and offset after a selector. */
static struct promql_node *
promql_postfix(struct promql_parser *p, struct promql_node *n)
{
	char	 buf[64];
	int	 neg;

	while (n != NULL && !p->failed) {
		if (p->tok == T_LBRACK) {
			if (n->kind != PQ_SELECTOR || n->range > 0 ||
			    n->offset != 0) {
				promql_fail(p, p->pos, "ranges only allowed "
				    "for vector selectors");
				break;
			}
			promql_next(p);
			if (p->tok != T_DURATION) {
				promql_fail(p, p->pos, "unexpected %s, "
				    "expected a duration such as 5m",
				    promql_tok_text(p, buf, sizeof(buf)));
				break;
			}
			if (p->dur == 0) {
				promql_fail(p, p->pos, "duration must be "
				    "greater than 0");
				break;
			}
			n->range = p->dur;
			n->type = PQT_MATRIX;
			promql_next(p);
			if (p->tok == T_COLON) {
				promql_fail(p, p->pos, "subqueries are not "
				    "supported");
				break;
			}
			if (promql_expect(p, T_RBRACK, "\"]\"") == -1)
				break;
		} else if (promql_ident_is(p, "offset")) {
			if (n->kind != PQ_SELECTOR) {
				promql_fail(p, p->pos, "offset modifier must "
				    "be preceded by an instant vector "
				    "selector or range vector selector");
				break;
			}
			if (n->offset != 0) {
				promql_fail(p, p->pos, "offset may not be "
				    "set multiple times");
				break;
			}
			promql_next(p);
			neg = p->tok == T_SUB;
			if (neg)
				promql_next(p);
			if (p->tok != T_DURATION) {
				promql_fail(p, p->pos, "unexpected %s, "
				    "expected a duration after offset",
				    promql_tok_text(p, buf, sizeof(buf)));
				break;
			}
			n->offset = neg ? -p->dur : p->dur;
			promql_next(p);
		} else if (p->tok == T_AT) {
			promql_fail(p, p->pos, "the @ modifier is not "
			    "supported");
			break;
		} else
			return (n);
	}
	promql_free(n);
	return (NULL);
}

/* An operand: number, (expr), -operand, call, selector; then postfix. */
static struct promql_node *
promql_unary(struct promql_parser *p)
{
	struct promql_node	*n = NULL, *inner;
	char			 buf[64];
	size_t			 pos = p->pos;

	if (p->failed)
		return (NULL);
	if (++p->depth > PROMQL_DEPTH_MAX) {
		promql_fail(p, p->pos, "query nested deeper than %d",
		    PROMQL_DEPTH_MAX);
		return (NULL);
	}
	switch (p->tok) {
	case T_ADD:
	case T_SUB:
		promql_next(p);
		if ((inner = promql_unary(p)) == NULL)
			break;
		if (inner->type == PQT_MATRIX) {
			promql_fail(p, pos, "unary expression only allowed "
			    "on expressions of type scalar or instant "
			    "vector");
			promql_free(inner);
			break;
		}
		if (p->q[pos] == '+') {
			n = inner;
			break;
		}
		if (inner->kind == PQ_NUMBER) {
			inner->number = -inner->number;
			inner->pos = (int)pos;
			n = inner;
			break;
		}
		n = promql_node_new(PQ_NEG, pos);
		n->type = inner->type;
		n->arg[0] = inner;
		break;
	case T_NUMBER:
		n = promql_node_new(PQ_NUMBER, pos);
		n->type = PQT_SCALAR;
		n->number = p->num;
		promql_next(p);
		break;
	case T_LPAREN:
		promql_next(p);
		if ((n = promql_expr(p, 0)) != NULL &&
		    promql_expect(p, T_RPAREN, "\")\"") == -1) {
			promql_free(n);
			n = NULL;
		}
		/* (m)[5m] is a subquery, (m) offset 1h is not allowed */
		if (n != NULL && p->tok == T_LBRACK) {
			promql_fail(p, p->pos, "ranges only allowed for "
			    "vector selectors");
			promql_free(n);
			n = NULL;
		} else if (n != NULL && promql_ident_is(p, "offset")) {
			promql_fail(p, p->pos, "offset modifier must be "
			    "preceded by an instant vector selector or range "
			    "vector selector");
			promql_free(n);
			n = NULL;
		}
		break;
	case T_IDENT:
		n = promql_ident(p);
		break;
	case T_LBRACE:
		n = promql_selector(p);
		break;
	case T_STRING:
		promql_fail(p, pos, "string literals are not supported here");
		break;
	case T_DURATION:
		promql_fail(p, pos, "unexpected duration %s: durations go in "
		    "[...] or after offset", promql_tok_text(p, buf,
		    sizeof(buf)));
		break;
	default:
		promql_fail(p, pos, "unexpected %s, expected an expression",
		    promql_tok_text(p, buf, sizeof(buf)));
	}
	if (n != NULL && (p->tok == T_LBRACK || p->tok == T_AT ||
	    promql_ident_is(p, "offset")))
		n = promql_postfix(p, n);
	p->depth--;
	return (n);
}

/* The binary operator at p, its precedence (0: none). */
static int
promql_binop(struct promql_parser *p, enum promql_op *op)
{
	switch (p->tok) {
	case T_ADD: *op = PQO_ADD; return (1);
	case T_SUB: *op = PQO_SUB; return (1);
	case T_MUL: *op = PQO_MUL; return (2);
	case T_DIV: *op = PQO_DIV; return (2);
	default: return (0);
	}
}

/* Precedence climbing: operands joined by operators of prec >= min. */
static struct promql_node *
promql_expr(struct promql_parser *p, int min)
{
	struct promql_node	*lhs, *rhs, *n;
	enum promql_op		 op;
	char			 buf[64];
	size_t			 pos;
	int			 prec;

	if ((lhs = promql_unary(p)) == NULL)
		return (NULL);
	for (;;) {
		if (p->tok == T_OTHER_OP || (p->tok == T_IDENT &&
		    (promql_ident_is(p, "and") || promql_ident_is(p, "or") ||
		    promql_ident_is(p, "unless") || promql_ident_is(p,
		    "atan2")))) {
			promql_fail(p, p->pos, "operator %s is not supported "
			    "(+ - * / are)", promql_tok_text(p, buf,
			    sizeof(buf)));
			break;
		}
		if ((prec = promql_binop(p, &op)) == 0 || prec < min)
			return (lhs);
		pos = p->pos;
		promql_next(p);
		if (promql_ident_is(p, "bool") || promql_ident_is(p, "on") ||
		    promql_ident_is(p, "ignoring")) {
			promql_fail(p, p->pos, "vector matching modifier "
			    "%s is not supported", promql_tok_text(p, buf,
			    sizeof(buf)));
			break;
		}
		if ((rhs = promql_expr(p, prec + 1)) == NULL)
			break;
		if (lhs->type == PQT_MATRIX || rhs->type == PQT_MATRIX) {
			promql_fail(p, pos, "binary expression must contain "
			    "only scalar and instant vector types");
			promql_free(rhs);
			break;
		}
		n = promql_node_new(PQ_BINARY, pos);
		n->op = op;
		n->arg[0] = lhs;
		n->arg[1] = rhs;
		n->type = lhs->type == PQT_VECTOR || rhs->type == PQT_VECTOR ?
		    PQT_VECTOR : PQT_SCALAR;
		lhs = n;
	}
	promql_free(lhs);
	return (NULL);
}

/*
 * The first node deeper than PROMQL_HEIGHT_MAX, or NULL.  A chain of
 * operators ("1+1+1+...", 4,000 in a query of 8 kB) nests no parenthesis
 * yet makes a tree as deep, and evaluating it recursed as deep: a stack
 * overflow on a query worker (fuzz_promql).  The walk stops at the limit.
 */
static const struct promql_node *
promql_too_deep(const struct promql_node *n, int height)
{
	const struct promql_node	*d;
	int				 i;

	if (n == NULL)
		return (NULL);
	if (height > PROMQL_HEIGHT_MAX)
		return (n);
	for (i = 0; i < 2; i++)
		if ((d = promql_too_deep(n->arg[i], height + 1)) != NULL)
			return (d);
	return (NULL);
}

struct promql_node *
promql_parse(const char *query, struct promql_error *err)
{
	struct promql_parser		 p;
	struct promql_node		*n = NULL;
	const struct promql_node	*deep;
	char				 buf[64];

	memset(&p, 0, sizeof(p));
	memset(err, 0, sizeof(*err));
	p.q = query;
	p.len = strlen(query);
	p.err = err;
	if (p.len > PROMQL_QUERY_MAX) {
		promql_fail(&p, PROMQL_QUERY_MAX, "query longer than %d bytes",
		    PROMQL_QUERY_MAX);
		return (NULL);
	}
	promql_next(&p);
	if (p.tok == T_EOF && !p.failed)
		promql_fail(&p, 0, "no expression found in input");
	else if ((n = promql_expr(&p, 0)) != NULL && p.tok != T_EOF) {
		promql_fail(&p, p.pos, "unexpected %s after the expression",
		    promql_tok_text(&p, buf, sizeof(buf)));
	}
	free(p.str);
	if (!p.failed && (deep = promql_too_deep(n, 1)) != NULL)
		promql_fail(&p, deep->pos, "query more than %d operators and "
		    "calls deep", PROMQL_HEIGHT_MAX);
	if (p.failed) {
		promql_free(n);
		return (NULL);
	}
	return (n);
}

int
promql_parse_duration(const char *s, long long *ms)
{
	size_t	 n = strlen(s);

	return (n > 0 && promql_duration(s, n, ms) == n ? 0 : -1);
}
