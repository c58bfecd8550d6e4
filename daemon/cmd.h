/*
 * cmd.h - what each protocol command does.  listen.c hands over one
 * parsed request; the handler answers now (CMD_DONE) or later through
 * client_resume (CMD_WAIT), in which case the client's later requests wait.
 */
#ifndef TALLY_CMD_H
#define TALLY_CMD_H

#include <stddef.h>

struct client;
struct config;
struct proto_req;
struct store;

enum cmd_result {
	CMD_DONE,
	CMD_WAIT
};

/* Requests read conf from now on (start and reload). */
void		 cmd_set_config(const struct config *);
void		 cmd_shutdown(void);
void		 cmd_set_store(struct store *);
/* Answer a line that could not be parsed, or a request. */
enum cmd_result	 cmd_exec(struct client *, char *line, size_t len);

#endif
