/*
 * test_traffic_archive.c - rotated archives: listed oldest first by the
 * time of their first line, not by name; gzip and plain read alike; a
 * file known by its first line, so a renamed or compressed copy is not
 * read twice (the plain one read while both exist); a resume in the
 * middle of a file; a cut gzip file refused after what it gave.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "archive.h"
#include "tap.h"

static char	 dir[] = "/tmp/test_traffic_archive.XXXXXX";
static char	 got[1 << 20];

/* Lines start with their time: "T rest". */
static int64_t
line_time(void *arg, const char *line, size_t len)
{
	(void)arg;
	return (len > 0 && line[0] >= '0' && line[0] <= '9' ?
	    strtoll(line, NULL, 10) : -1);
}

static void
collect(void *arg, const char *line, size_t len, struct tail_file *f)
{
	size_t	 n = strlen(got);

	(void)arg;
	(void)f;
	if (n + len + 8 > sizeof(got))
		return;
	if (line == NULL)
		strcat(got, "[long]");
	else
		strncat(got, line, len);
	strcat(got, "|");
}

static void
put(const char *name, const char *text, int gz)
{
	char	 path[256];
	FILE	*f;
	gzFile	 z;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gz) {
		z = gzopen(path, "wb");
		gzwrite(z, text, (unsigned)strlen(text));
		gzclose(z);
	} else {
		f = fopen(path, "w");
		fputs(text, f);
		fclose(f);
	}
}

static int
run(struct archive *a, size_t budget)
{
	char	 err[256];
	int	 rc;

	got[0] = '\0';
	if (archive_plan(a, err, sizeof(err)) < 0)
		return (-1);
	while ((rc = archive_read(a, budget, collect, NULL, err,
	    sizeof(err))) == 1)
		continue;
	return (rc);
}

int
main(void)
{
	struct archive	 a, b;
	char		 glob[300], path[300], cmd[400];
	const char	*live[1];
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0;
	char		*line = NULL;
	size_t		 cap = 0;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(glob, sizeof(glob), "%s/access.log.*", dir);
	snprintf(path, sizeof(path), "%s/access.log", dir);
	live[0] = path;
	put("access.log", "900 live\n", 0);
	put("access.log.1", "300 c\n301 c2\n", 0);
	put("access.log.2.gz", "200 b\n201 b2", 1);	/* no last newline */
	put("access.log.10.gz", "x undated\n100 a\n", 1);

	archive_init(&a, 64);
	a.timeof = line_time;
	a.live = live;
	a.nlive = 1;
	archive_add_glob(&a, glob);
	is_int(run(&a, 1 << 20), 0, "plan read to its end");
	is_str(got, "x undated|100 a|200 b|201 b2|300 c|301 c2|",
	    "oldest first by first dated line, gzip and plain, live file "
	    "left out");
	is_int(a.files_done, 3, "three archives");

	/* logrotate: .1 compressed to .2.gz while .1 still exists */
	snprintf(cmd, sizeof(cmd), "cd %s && gzip -c access.log.1 > "
	    "access.log.3.gz && mv access.log.2.gz access.log.4.gz", dir);
	ok(system(cmd) == 0, "rotated: renamed and compressed copies");
	put("access.log.5", "50 new old\n", 0);
	is_int(run(&a, 1 << 20), 0, "planned again");
	is_str(got, "50 new old|", "only the new file is read");

	/* a new archive, both plain and gzip at once: the plain one */
	put("access.log.6", "60 twin\n61 twin\n", 0);
	put("access.log.7.gz", "60 twin\n", 1);	/* gzip still writing */
	run(&a, 1 << 20);
	is_str(got, "60 twin|61 twin|", "a file both plain and gzip: the "
	    "plain one, once");

	/* resume in the middle of a gzip file after a restart */
	put("access.log.8.gz", "7 a\n8 b\n9 c\n", 1);
	archive_plan(&a, cmd, sizeof(cmd));
	got[0] = '\0';
	a.max_line = 4;		/* a small buffer: stop after a line */
	a.bufsize = 6;
	is_int(archive_read(&a, 6, collect, NULL, cmd, sizeof(cmd)), 1,
	    "stopped in the middle of a file");
	is_str(got, "7 a|", "first part read");
	f = open_memstream(&buf, &len);
	archive_save(&a, f);
	fclose(f);
	archive_init(&b, 64);
	b.timeof = line_time;
	b.live = live;
	b.nlive = 1;
	archive_add_glob(&b, glob);
	f = fmemopen(buf, len, "r");
	while (getline(&line, &cap, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if (archive_load_line(&b, line) != 1)
			ok(0, "state line refused: %s", line);
	}
	fclose(f);
	is_int(run(&b, 1 << 20), 0, "resumed");
	is_str(got, "8 b|9 c|", "... after the line read before");

	/* a cut gzip file: what it gives, then an error naming it */
	snprintf(cmd, sizeof(cmd), "cd %s && seq 1000 2999 | sed 's/$/ "
	    "line of some length to fill a block/' | gzip -c | head -c 3000 "
	    "> access.log.9.gz", dir);
	ok(system(cmd) == 0, "a cut gzip file");
	got[0] = '\0';
	archive_plan(&b, cmd, sizeof(cmd));
	is_int(archive_read(&b, 1 << 20, collect, NULL, cmd, sizeof(cmd)),
	    -1, "refused");
	ok(strstr(cmd, "access.log.9.gz: after line ") != NULL &&
	    strstr(got, "1000 line") != NULL, "named, after the lines it "
	    "gave: %s", cmd);
	is_int(archive_plan(&b, cmd, sizeof(cmd)), 0, "and not read again");

	archive_free(&a);
	archive_free(&b);
	free(buf);
	free(line);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "cleanup");
	return (tap_done());
}
