/*
 * linesend.c - bench/graphite-ingest.sh's sender: connect to HOST:PORT
 * over TCP and write FILE as fast as the receiver takes it, then close.
 * The file is read whole before the connection, so only sending is timed.
 *
 *	linesend HOST PORT FILE
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct addrinfo	 hints, *ai;
	struct stat	 sb;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 n;
	FILE		*fp;
	int		 fd;

	if (argc != 4) {
		fprintf(stderr, "usage: linesend host port file\n");
		return (2);
	}
	if ((fp = fopen(argv[3], "r")) == NULL || fstat(fileno(fp), &sb) ==
	    -1 || (buf = malloc((size_t)sb.st_size + 1)) == NULL ||
	    fread(buf, 1, (size_t)sb.st_size, fp) != (size_t)sb.st_size) {
		perror(argv[3]);
		return (1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0 ||
	    (fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		perror("connect");
		return (1);
	}
	while (off < (size_t)sb.st_size) {
		if ((n = write(fd, buf + off, (size_t)sb.st_size - off)) <= 0) {
			perror("write");
			return (1);
		}
		off += (size_t)n;
	}
	close(fd);
	return (0);
}
