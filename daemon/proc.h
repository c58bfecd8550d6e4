/* proc.h - becoming a daemon: pidfile, fork, privileges. */
#ifndef TALLY_PROC_H
#define TALLY_PROC_H

#include <sys/types.h>

/*
 * Open and lock the pidfile; -1 with a message on stderr if another tallyd
 * holds it.  The pid is written by proc_pidfile_write.
 */
int	proc_pidfile_open(const char *path);
void	proc_pidfile_write(void);
void	proc_pidfile_remove(void);

/*
 * Fork into the background.  The parent waits until the child calls
 * proc_ready() and exits 0, or exits 1 if the child dies first, so start-up
 * errors still reach the shell.
 */
void	proc_daemonize(void);
void	proc_ready(void);

/* Look up user; -1 if unknown.  proc_drop switches to it for good. */
int	proc_user(const char *name, uid_t *uid, gid_t *gid);
void	proc_drop(const char *name, uid_t uid, gid_t gid);

#endif
