/* prims_default.c - for executables linked with the soarcore umbrella (C unit
 * tests, benchmarks): hands the primitives to the sandbox before main, as
 * soarctl's main does, so that their sandboxes see what playbooks see. Not part
 * of the soar_prims library: a static library's constructor runs only if the
 * linker happens to pull its object in. */
#include "prims.h"
#include "sandbox.h"

__attribute__((constructor)) static void prims_default(void)
{
	sandbox_set_primitives(prims_install);
}
