/*
 * tally-render.c - tallyd's graph helper.  tallyd (render.c) runs a few of
 * these so that librrd's rrd_graph, which is neither thread-safe nor free
 * of leaks, renders one graph at a time in a process that is thrown away
 * now and then.  Not meant to be run by hand.
 *
 * fd 0 is a socket to tallyd; the protocol is in render.h.  The helper
 * reads a request, calls rrd_graph_v, writes the image or librrd's error
 * and waits for the next; EOF between requests ends it with 0, a broken
 * request or a failed write with 2.  Only in-memory output ("-") is
 * rendered: a request naming a file is refused.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rrd.h>

#include "render.h"

#define HELPER_FD	0

/* Read exactly len bytes: 1, or 0 on EOF before any byte, or -1. */
static int
helper_read(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < len) {
		n = read(HELPER_FD, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 && got == 0)
			return (0);
		if (n <= 0)
			return (-1);
		got += (size_t)n;
	}
	return (1);
}

static int
helper_write(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(HELPER_FD, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static int
helper_read_u32(uint32_t *v)
{
	uint32_t	 n;
	int		 r;

	if ((r = helper_read(&n, sizeof(n))) == 1)
		*v = ntohl(n);
	return (r);
}

/*
 * One request: argv (NULL-terminated) in one block.  1, or 0 on a clean
 * EOF, or -1 if the request breaks the protocol's limits.
 */
static int
helper_request(char ***argvp)
{
	uint32_t	 argc, len, i, total = 0;
	char		**argv;
	int		 r;

	if ((r = helper_read_u32(&argc)) != 1)
		return (r);
	if (argc < 2 || argc > RENDER_ARGS_MAX)
		return (-1);
	if ((argv = calloc(argc + 1, sizeof(*argv))) == NULL)
		return (-1);
	for (i = 0; i < argc; i++) {
		if (helper_read_u32(&len) != 1 || len > RENDER_REQUEST_MAX -
		    total || (argv[i] = malloc(len + 1)) == NULL ||
		    (len > 0 && helper_read(argv[i], len) != 1))
			goto bad;
		argv[i][len] = '\0';
		total += len;
	}
	*argvp = argv;
	return (1);
bad:
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return (-1);
}

/* Our resident size in KiB, for tallyd's recycling; 0 if unknown. */
static uint32_t
helper_rss_kib(void)
{
	FILE		*f;
	unsigned long	 size, rss = 0;
	long		 page = sysconf(_SC_PAGESIZE);

	if ((f = fopen("/proc/self/statm", "re")) == NULL)
		return (0);
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return ((uint32_t)(rss * (unsigned long)(page > 0 ? page : 4096) /
	    1024));
}

static int
helper_reply(uint32_t status, const void *data, size_t len)
{
	uint32_t	 hdr[3];

	hdr[0] = htonl(status);
	hdr[1] = htonl(helper_rss_kib());
	hdr[2] = htonl((uint32_t)len);
	if (helper_write(hdr, sizeof(hdr)) == -1 ||
	    (len > 0 && helper_write(data, len) == -1))
		return (-1);
	return (0);
}

static int
helper_error(const char *msg)
{
	return (helper_reply(RENDER_ERR, msg, strlen(msg)));
}

/* Render argv and answer: the image, or librrd's error text. */
static int
helper_render(char **argv)
{
	rrd_info_t	*info, *i;
	const char	*err;
	int		 argc, rv = -1;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	if (strcmp(argv[0], "graph") != 0 || strcmp(argv[1], "-") != 0)
		return (helper_error("tally-render: only in-memory graphs"));
	rrd_clear_error();
	if ((info = rrd_graph_v(argc, argv)) == NULL) {
		err = rrd_get_error();
		if (err == NULL || *err == '\0')
			err = "rrd_graph failed";
		return (helper_error(err));
	}
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "image") == 0 && i->type == RD_I_BLO) {
			rv = i->value.u_blo.size > RENDER_REPLY_MAX ?
			    helper_error("image too large") :
			    helper_reply(RENDER_OK, i->value.u_blo.ptr,
			    i->value.u_blo.size);
			break;
		}
	}
	if (i == NULL)
		rv = helper_error("rrd_graph made no image");
	rrd_info_free(info);
	return (rv);
}

int
main(int argc, char *argv[])
{
	char		**args;
	const char	 *loc;
	int		  r, i;

	(void)argv;
	if (argc != 1 || isatty(HELPER_FD)) {
		fprintf(stderr, "tally-render: tallyd's graph helper; it is "
		    "not run by hand\n");
		return (2);
	}
	signal(SIGPIPE, SIG_DFL);
	/*
	 * librrd draws numbers, weekdays and months in the locale: "1,9 G",
	 * "T5 16 Thg 11" in vi_VN.UTF-8.  tallyd checked that it exists.
	 */
	if ((loc = getenv("TALLY_RENDER_LOCALE")) != NULL &&
	    setlocale(LC_ALL, loc) == NULL)
		setlocale(LC_ALL, "C");
#if defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
	closefrom(3);		/* whatever tallyd let through */
#endif
#endif
	while ((r = helper_request(&args)) == 1) {
		r = helper_render(args);
		for (i = 0; args[i] != NULL; i++)
			free(args[i]);
		free(args);
		if (r == -1)
			return (2);
	}
	return (r == 0 ? 0 : 2);
}
