/* cmd_serve.c - `soarctl serve`: the daemon (daemon.h, docs/daemon.md). */
#include "access.h"
#include "runout.h"
#include "cli.h"
#include "daemon.h"
#include "backup_run.h"
#include "maint.h"
#include "datadir.h"

#include <getopt.h>
#include "secret_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: soarctl serve [--listen 127.0.0.1:8080] [--workers N] [--data DIR]\n"
	"                     [--playbooks DIR] [--mock] [--log-json] [--queue N]\n"
	"                     [--tls-cert FILE --tls-key FILE] [--public-url URL]\n"
	"\n"
	"Runs the daemon: fires scheduled playbooks, takes alerts over HTTP (pre-\n"
	"processing first, then the playbooks whose triggers match), serves EDLs,\n"
	"prompt forms and answers, the case/run/job API and /metrics. Every endpoint\n"
	"but /healthz needs an API token (soarctl user token [USER]).\n"
	"\n"
	"  --listen HOST:PORT   where to listen (default 127.0.0.1:8080; port 0: any)\n"
	"  --workers N          worker threads running playbooks (default 2)\n"
	"  --data DIR           data directory (else $SOARCTL_DATA, else XDG)\n"
	"  --playbooks DIR      playbooks to load (default ./playbooks)\n"
	"  --mock               every integration answers with its mock data\n"
	"  --log-json           one JSON object per log line on stderr\n"
	"  --queue N            tasks waiting for a worker before 429 (default 10000)\n"
	"  --tls-cert FILE      serve HTTPS with this PEM certificate (chain) ...\n"
	"  --tls-key FILE       ... and its PEM private key (no passphrase); both are\n"
	"                       checked at start (readable, valid now, a pair) and\n"
	"                       reread on SIGHUP ($SOARCTL_TLS_CERT, $SOARCTL_TLS_KEY)\n"
	"  --public-url URL     the base of links the daemon gives out (prompt forms,\n"
	"                       EDLs), e.g. https://soar.example.com behind a proxy\n"
	"                       ($SOARCTL_PUBLIC_URL; default: https:// with TLS, else\n"
	"                       http://, and the --listen address)\n"
	"\n"
	"Signals: SIGTERM/SIGINT stop accepting, finish in-flight work, exit within\n"
	"10 s; SIGHUP reloads the playbooks, the integrations and their config file,\n"
	"all or nothing (the old ones stay, and the log says which file failed and\n"
	"why, when the new ones do not load). Exit codes: 0 stopped cleanly, 1 could\n"
	"not start, 2 bad arguments, or playbooks, integrations or the integration\n"
	"config that do not load.\n";

static int serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'}, {"workers", required_argument, NULL, 'w'},
		{"data", required_argument, NULL, 'd'},   {"playbooks", required_argument, NULL, 'p'},
		{"mock", no_argument, NULL, 'm'},         {"log-json", no_argument, NULL, 'j'},
		{"queue", required_argument, NULL, 'q'},  {"help", no_argument, NULL, 'h'},
		{"tls-cert", required_argument, NULL, 'C'}, {"tls-key", required_argument, NULL, 'K'},
		{"public-url", required_argument, NULL, 'U'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_opts o;
	memset(&o, 0, sizeof o);
	o.listen = "127.0.0.1:8080";
	o.workers = 2;
	o.playbooks_dir = "playbooks";
	/* the environment is the configuration file of a service (EnvironmentFile=) */
	o.tls_cert = getenv("SOARCTL_TLS_CERT");
	o.tls_key = getenv("SOARCTL_TLS_KEY");
	o.public_url = getenv("SOARCTL_PUBLIC_URL");
	const char *data = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'w':
			o.workers = atoi(optarg);
			if (o.workers < 1 || o.workers > 256)
				return cli_usage("serve", "--workers: 1 to 256");
			break;
		case 'd': data = optarg; break;
		case 'p': o.playbooks_dir = optarg; break;
		case 'm': o.mock = 1; break;
		case 'j': o.log_json = 1; break;
		case 'q': o.queue_cap = strtoul(optarg, NULL, 10); break;
		case 'C': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'U':
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return cli_usage("serve", "--public-url: an http:// or https:// URL, got '%s'",
						 optarg);
			o.public_url = optarg;
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return cli_usage("serve", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	if (o.tls_cert && !*o.tls_cert)
		o.tls_cert = NULL;
	if (o.tls_key && !*o.tls_key)
		o.tls_key = NULL;
	if (!o.tls_cert != !o.tls_key)
		return cli_usage("serve", "TLS needs both --tls-cert FILE and --tls-key FILE");
	char dir[4096];
	if (!datadir_resolve(data, dir, sizeof dir))
		return cli_usage("serve", "no data directory: give --data DIR or set SOARCTL_DATA");
	o.data_dir = dir;
	/* The daemon acts for everyone: its OS user needs playbook.run and
	 * job.manage in the store (access.c). A data directory made here makes
	 * that user its first admin, as `init` does. */
	struct store *st = runout_open_store("serve", dir, 1);
	if (!st || access_check(st, "serve", NULL, "daemon", NULL) != 0)
		return EXIT_FAIL;
	/* The daemon holds keys to everything: no core dumps, no ptrace. */
	sc_harden_process();
	maint_set_backup(backup_scheduled); /* scheduled backups (store.json) */
	return daemon_main(&o);
}

const struct cli_command cmd_serve = {
	"serve", "run the daemon: schedules, alert ingestion, HTTP API, EDLs", usage, serve_main,
};
