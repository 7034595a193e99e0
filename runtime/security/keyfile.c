/* keyfile.c - master key sources (see keyfile.h). */
#include "keyfile.h"
#include "hex.h"

#include "secret_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

const char *keyfile_path(const char *datadir, char *buf, size_t len)
{
	const char *env = getenv("SOARCTL_MASTER_KEY_FILE");
	if (env && *env)
		snprintf(buf, len, "%s", env);
	else
		snprintf(buf, len, "%s/%s", datadir, KEYFILE_NAME);
	return buf;
}

int keyfile_create(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "cannot create the master key file %s: %s", path, strerror(errno));
		return -1;
	}
	unsigned char key[32];
	char line[sizeof KEYFILE_MAGIC + 64 + 2];
	if (sc_random(key, sizeof key, err, errlen) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	size_t m = strlen(KEYFILE_MAGIC);
	memcpy(line, KEYFILE_MAGIC, m);
	hex_encode(key, sizeof key, line + m);
	line[m + 64] = '\n';
	size_t n = m + 65;
	ssize_t w = write(fd, line, n);
	int ok = w == (ssize_t)n && fsync(fd) == 0;
	int saved = errno;
	sc_zero(key, sizeof key);
	sc_zero(line, sizeof line);
	close(fd);
	if (!ok) {
		unlink(path);
		snprintf(err, errlen, "cannot write the master key file %s: %s", path, strerror(saved));
		return -1;
	}
	return 1;
}

int keyfile_read(const char *path, unsigned char key[32], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read the master key file %s: %s", path, strerror(e));
		return e == ENOENT ? 1 : -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(err, errlen, "the master key file %s is not a regular file", path);
		return -1;
	}
	if (sb.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "the master key file %s is accessible by other users "
			 "(mode %03o): run `chmod 600 %s`", path, (unsigned)(sb.st_mode & 0777), path);
		return -1;
	}
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	size_t m = strlen(KEYFILE_MAGIC);
	int rc = -1;
	if (n > 0) {
		size_t len = (size_t)n;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		if (len == m + 64 && memcmp(buf, KEYFILE_MAGIC, m) == 0 &&
		    hex_decode_n(buf + m, 64, key, 32) == 0)
			rc = 0;
	}
	sc_zero(buf, sizeof buf);
	if (rc != 0)
		snprintf(err, errlen, "the master key file %s is not a soarctl key file "
			 "(expected \"%s\" and 64 hex digits)", path, KEYFILE_MAGIC);
	return rc;
}

int keyfile_from_env(unsigned char key[32], char *err, size_t errlen)
{
	const char *s = getenv("SOARCTL_MASTER_KEY");
	if (!s || !*s)
		return 0;
	if (hex_decode_n(s, strlen(s), key, 32) != 0) {
		snprintf(err, errlen, "$SOARCTL_MASTER_KEY must be 64 hex digits (32 bytes); "
			 "generate one with `head -c32 /dev/urandom | xxd -p -c64`");
		return -1;
	}
	return 1;
}

long keyfile_read_noecho(const char *prompt, char *buf, size_t len)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct termios old, quiet;
	int have_term = tcgetattr(fd, &old) == 0;
	if (have_term) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) { /* best effort */ }
	size_t n = 0;
	long rc = -1;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0 || c == '\n' || c == '\r') {
			rc = r < 0 ? -1 : (long)n;
			break;
		}
		if (n + 1 < len)
			buf[n++] = c;
	}
	if (n < len)
		buf[n] = '\0';
	if (have_term)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) { /* best effort */ }
	close(fd);
	return rc;
}

int keyfile_passphrase(int prompt, char *buf, size_t len, char *err, size_t errlen)
{
	const char *s = getenv("SOARCTL_PASSPHRASE");
	if (s && *s) {
		if (strlen(s) >= len) {
			snprintf(err, errlen, "$SOARCTL_PASSPHRASE is longer than %zu bytes", len - 1);
			return -1;
		}
		snprintf(buf, len, "%s", s);
		return 1;
	}
	if (!prompt || !isatty(STDIN_FILENO))
		return 0;
	long n = keyfile_read_noecho("soarctl master passphrase: ", buf, len);
	if (n <= 0) {
		snprintf(err, errlen, "no passphrase was entered");
		return -1;
	}
	return 1;
}
