/* cmd_case_export.h - `soarctl case export` and `case import` (argv as case_main
 * gets it: argv[0] "case", argv[1] the subcommand). */
#ifndef SOAR_CMD_CASE_EXPORT_H
#define SOAR_CMD_CASE_EXPORT_H

int case_export_main(int argc, char **argv);
int case_import_main(int argc, char **argv);

#endif
