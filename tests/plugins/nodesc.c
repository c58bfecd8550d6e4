/* nodesc.c - a shared object with no tally_plugin_v1 descriptor. */
int	nodesc_something(void);

int
nodesc_something(void)
{
	return (42);
}
