// entry-trace: lists the functions of a program that run, in the order they first run.
//
// Loaded with LD_PRELOAD into the release daemon by scripts/text-order/profile. Before the
// program's own initialisers run, the first byte of every function named in ENTRY_TRACE_FUNCTIONS
// (a file of 8-byte addresses relative to the program's load address, from its symbol table) is
// replaced by a breakpoint (int3). The first time a function is entered the trap lands here: its byte
// is put back, its address goes to ENTRY_TRACE_OUTPUT.PID (8 bytes), and it runs on. Each function
// traps once, so the program runs at nearly its own speed after its first minutes.
//
// Sampling (perf record) misses code that runs once — start-up, first uses — and that code, spread
// over the whole text, is what the kernel maps around every fault (BENCHMARKS.md, #13, fifth round).
// x86-64 Linux only; the text is writable while traced (its pages become private copies).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

static uintptr_t text_start, text_end, load_base;
static uint64_t *entries;  // sorted offsets of the patched functions
static uint8_t *saved;     // each one's first byte
static size_t entry_count;
static int output = -1;

typedef int (*sigaction_function)(int, const struct sigaction *, struct sigaction *);
static sigaction_function real_sigaction(void) {
    static sigaction_function real;
    if (!real) real = (sigaction_function)dlsym(RTLD_NEXT, "sigaction");
    if (!real) _exit(122);  // no libc sigaction: nothing can work
    return real;
}

static long find(uint64_t offset) {
    size_t low = 0, high = entry_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (entries[middle] < offset) low = middle + 1; else high = middle;
    }
    return low < entry_count && entries[low] == offset ? (long)low : -1;
}

static void on_trap(int signal_number, siginfo_t *info, void *context) {
    (void)info;
    ucontext_t *state = context;
    uintptr_t address = (uintptr_t)state->uc_mcontext.gregs[REG_RIP] - 1;
    long index = address >= text_start && address < text_end ? find(address - load_base) : -1;
    if (index < 0) {  // not ours: what it would have done without this library
        struct sigaction fallback = {0};
        fallback.sa_handler = SIG_DFL;
        sigemptyset(&fallback.sa_mask);
        if (real_sigaction()(signal_number, &fallback, NULL) != 0 || raise(signal_number) != 0) _exit(122);
        return;
    }
    // Two threads may meet the same breakpoint; both put the same byte back, both record it (the
    // list is read as a set, in the order of first appearance).
    *(volatile uint8_t *)address = saved[index];
    state->uc_mcontext.gregs[REG_RIP] = (greg_t)address;
    uint64_t offset = address - load_base;
    if (write(output, &offset, sizeof offset) != sizeof offset) _exit(121);
}

// A handler the program installs for SIGTRAP would take the breakpoints: such a request is ignored.
int sigaction(int signal_number, const struct sigaction *action, struct sigaction *old) {
    if (signal_number == SIGTRAP && action && output >= 0) {
        if (old) memset(old, 0, sizeof *old);
        return 0;
    }
    return real_sigaction()(signal_number, action, old);
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void fail(const char *what) { perror(what); _exit(120); }

__attribute__((constructor)) static void start_tracing(void) {
    const char *path = getenv("ENTRY_TRACE_OUTPUT");
    const char *list = getenv("ENTRY_TRACE_FUNCTIONS");
    const char *program = getenv("ENTRY_TRACE_PROGRAM");  // trace only the process running this file
    if (!path || !list || !program) return;
    char executable[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length < 0) return;
    executable[length] = 0;
    const char *slash = strrchr(executable, '/');
    if (strcmp(slash ? slash + 1 : executable, program) != 0) return;

    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) fail("entry-trace: /proc/self/maps");
    char line[PATH_MAX + 256];
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end, offset;
        char permissions[5], file[PATH_MAX] = "";
        if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %4095s", &start, &end, permissions, &offset, file) < 4) continue;
        if (strcmp(file, executable) != 0) continue;
        if (offset == 0 && load_base == 0) load_base = start;
        if (permissions[2] == 'x') { text_start = start; text_end = end; }
    }
    if (fclose(maps) != 0) fail("entry-trace: /proc/self/maps");
    if (!text_start || !load_base) { fprintf(stderr, "entry-trace: no executable mapping of %s\n", executable); _exit(120); }

    int input = open(list, O_RDONLY | O_CLOEXEC);
    struct stat status;
    if (input < 0 || fstat(input, &status) != 0) fail("entry-trace: ENTRY_TRACE_FUNCTIONS");
    entries = malloc(status.st_size);
    saved = malloc(status.st_size / 8);
    if (!entries || !saved) fail("entry-trace: malloc");
    if (read(input, entries, status.st_size) != status.st_size) fail("entry-trace: read");
    if (close(input) != 0) fail("entry-trace: close");
    size_t count = status.st_size / 8;
    qsort(entries, count, sizeof *entries, compare);
    for (size_t i = 0; i < count; i++) {  // unique, and inside the text
        if ((i > 0 && entries[i] == entries[i - 1]) || load_base + entries[i] < text_start || load_base + entries[i] >= text_end) continue;
        entries[entry_count++] = entries[i];
    }

    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s.%d", path, (int)getpid());
    output = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (output < 0) fail("entry-trace: ENTRY_TRACE_OUTPUT");

    struct sigaction handler = {0};
    handler.sa_sigaction = on_trap;
    handler.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&handler.sa_mask);
    if (real_sigaction()(SIGTRAP, &handler, NULL) != 0) fail("entry-trace: sigaction");
    if (mprotect((void *)text_start, text_end - text_start, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) fail("entry-trace: mprotect");
    for (size_t i = 0; i < entry_count; i++) {
        uint8_t *byte = (uint8_t *)(load_base + entries[i]);
        saved[i] = *byte;
        *byte = 0xCC;
    }
}
