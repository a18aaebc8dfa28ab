/*
 * scripts/asan_stub.c: a stand-in for swift_demangle, preloaded next to
 * the AddressSanitizer runtime by scripts/asan.sh and test/fuzz/run.sh.
 *
 * Why: PostgreSQL's server links libgpg-error (through libsystemd and
 * libgcrypt), whose constructor calls bindtextdomain() before the
 * preloaded ASan runtime has initialised.  bindtextdomain() mallocs while
 * it holds glibc's gettext lock; that first malloc initialises ASan, whose
 * symbolizer looks up swift_demangle with dlsym() and clears the failure
 * with dlerror(), which translates its message and so takes the same
 * gettext lock: the lock is corrupted and the server hangs at start.  When
 * the symbol exists, dlsym() succeeds and dlerror() has nothing to
 * translate.  Returning NULL means "not a Swift name, not demangled".
 */
#include <stddef.h>
#include <stdint.h>

char	   *swift_demangle(const char *mangled, size_t mangled_len, char *out,
						   size_t *out_len, uint32_t flags);

char *
swift_demangle(const char *mangled, size_t mangled_len, char *out,
			   size_t *out_len, uint32_t flags)
{
	return NULL;
}
