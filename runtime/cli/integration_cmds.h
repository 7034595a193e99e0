/* integration_cmds.h - the integration kit's subcommands of `soarctl
 * integration` (issue 18), each in its own file; cmd_integration.c dispatches.
 * argv[0] is "integration", argv[1] the subcommand. */
#ifndef SOAR_INTEGRATION_CMDS_H
#define SOAR_INTEGRATION_CMDS_H

/* `new NAME [--dir DIR]`: cmd_integration_new.c */
int integration_new_main(int argc, char **argv);
/* `record NAME COMMAND [KEY=VALUE]... [--fixture F]`: cmd_integration_record.c */
int integration_record_main(int argc, char **argv);
/* `import-xsoar FILE.yml [--out FILE]`: cmd_integration_xsoar.c */
int integration_import_xsoar_main(int argc, char **argv);

#endif
