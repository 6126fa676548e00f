#ifndef FARGATE_CRON_CSYSTEMD_SHIM_H
#define FARGATE_CRON_CSYSTEMD_SHIM_H

// sd_journal_sendv and sd_notify are not variadic, so Swift calls them directly; sd_journal_send
// (variadic) is never used.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-id128.h>
#include <sys/uio.h>

#endif
