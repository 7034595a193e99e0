/* file_atomic.h - whole files replaced atomically: EDL files, recorded
 * integration fixtures. */
#ifndef SOAR_FILE_ATOMIC_H
#define SOAR_FILE_ATOMIC_H

#include <stddef.h>

/* Writes `data` to `path` atomically (temporary file in the same directory,
 * fsync, rename), creating the directory if needed. 0, or -1 with a message. */
int file_write_atomic(const char *path, const char *data, size_t len,
		      char *err, size_t errlen);

#endif
