/*
 * benchlib.h - what the benchmark programs share: the clock, a unix socket
 * client, a greeting line, a file of the series pattern, and the value
 * every writer sends and every checker expects.
 */
#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <stddef.h>

double	bench_now(void);
double	bench_mono(void);
int	bench_connect(const char *);
void	bench_line(int, char *, size_t);
void	bench_path(char *, size_t, const char *, long);
double	bench_value(long, long);

#endif
