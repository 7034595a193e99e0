/* keyfile.h - where the master key comes from: a key file (mode 0600), the
 * environment ($SOARCTL_MASTER_KEY), or a passphrase (PBKDF2-HMAC-SHA256).
 * This module only finds and reads key material; which source wins, and the
 * check that the key is the right one, live in secret.c (they need the store).
 *
 * Key file format: one line, "soarctl-master-key-v1 " followed by 64 lowercase
 * hex digits (32 random bytes) and a newline. Text so that an operator can copy
 * it into a password manager; versioned so that a future format is recognised. */
#ifndef SOAR_KEYFILE_H
#define SOAR_KEYFILE_H

#include <stddef.h>

#define KEYFILE_NAME "master.key"
#define KEYFILE_MAGIC "soarctl-master-key-v1 "
/* OWASP's 2023 figure for PBKDF2-HMAC-SHA256; stored with the salt, so it can
 * only go up for new stores. */
#define KEYFILE_PBKDF2_ITERATIONS 600000u
#define KEYFILE_PBKDF2_MIN 600000u
#define KEYFILE_SALT_LEN 16

/* The key file's path: $SOARCTL_MASTER_KEY_FILE if set, else DATADIR/master.key.
 * Writes into buf; returns buf. */
const char *keyfile_path(const char *datadir, char *buf, size_t len);

/* Creates a key file with a fresh random key: O_EXCL, mode 0600, fsync'd.
 * Returns 1 created, 0 it already existed (left alone), -1 error in `err`. */
int keyfile_create(const char *path, char *err, size_t errlen);

/* Reads the key file into key[32]. Refuses a file readable or writable by group
 * or others (like ssh does), saying how to fix it. Returns 0; -1 with `err`;
 * 1 when the file does not exist (err set too). */
int keyfile_read(const char *path, unsigned char key[32], char *err, size_t errlen);

/* $SOARCTL_MASTER_KEY: 64 hex digits. Returns 1 when set and valid (key filled),
 * 0 when unset, -1 when set but malformed (err says so). */
int keyfile_from_env(unsigned char key[32], char *err, size_t errlen);

/* The passphrase: $SOARCTL_PASSPHRASE if set, else (when `prompt` and standard
 * input is a terminal) asked on /dev/tty without echo. Writes a NUL-terminated
 * passphrase into buf (the caller zeroises it). Returns 1 found, 0 none, -1 err. */
int keyfile_passphrase(int prompt, char *buf, size_t len, char *err, size_t errlen);

/* Reads a line from the terminal with echo off (for passphrases and `secret set`
 * at a tty). `prompt` is written to /dev/tty. Returns the length, or -1. */
long keyfile_read_noecho(const char *prompt, char *buf, size_t len);

#endif
