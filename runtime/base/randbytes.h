/* randbytes.h - bytes from the kernel's CSPRNG (getrandom(2)): no user-space
 * generator state to seed, fork or share. For ids (uuid.c) and the
 * `crypto.random` primitive; keys come from the DRBG in secret_crypto.h. */
#ifndef SOAR_RANDBYTES_H
#define SOAR_RANDBYTES_H

#include <stddef.h>

/* Fills buf with n random bytes (retrying short reads and EINTR). Returns 0,
 * or -1 when the kernel cannot provide them (errno set). */
int randbytes(void *buf, size_t n);

#endif
