/* cmd_init.c - `soarctl init`: creates the data directory. */
#include "cli.h"
#include "datadir.h"
#include "secret_init.h"
#include "store.h"

#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"Usage: soarctl init [--data DIR] [--json]\n"
	"\n"
	"Creates the data directory (mode 0700) and its store if they do not exist, and\n"
	"migrates a store written by an older soarctl. Running it again is harmless.\n"
	"\n"
	"  --data DIR   where (else $SOARCTL_DATA, else $XDG_DATA_HOME/soarctl,\n"
	"               else ~/.local/share/soarctl)\n"
	"  --json       print {\"data\": DIR, \"created\": true|false}\n";

static int init_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL;
	int json = 0, opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': data = optarg; break;
		case 'J': json = 1; break;
		default: return cli_usage("init", "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage("init", "unexpected argument \"%s\"", argv[optind]);
	char dir[4096], err[512];
	if (!datadir_resolve(data, dir, sizeof dir))
		return cli_fail("init", EXIT_USAGE, "no data directory: give --data DIR or set SOARCTL_DATA");
	struct stat st;
	int existed = stat(dir, &st) == 0;
	if (datadir_create(dir, err, sizeof err) != 0)
		return cli_fail("init", EXIT_FAIL, "%s", err);
	datadir_set(dir);
	/* Opening the store creates it and runs its migrations. */
	if (!store_default(err, sizeof err))
		return cli_fail("init", EXIT_FAIL, "%s", err);
	char sec[512]; /* security: master key file, first admin (runtime/secret_init.c) */
	if (secret_init_datadir(dir, sec, sizeof sec, err, sizeof err) != 0)
		return cli_fail("init", EXIT_FAIL, "%s", err);
	if (json) {
		printf("{\"data\":");
		cli_json_string(stdout, dir, strlen(dir));
		printf(",\"created\":%s}\n", existed ? "false" : "true");
	} else {
		printf("%s %s\n", existed ? "data directory already exists:" : "initialised", dir);
		fputs(sec, stdout);
	}
	return EXIT_OK;
}

const struct cli_command cmd_init = {
	"init", "create the data directory", usage, init_main,
};
