#ifndef BULKBUILD_CPOSIX_H
#define BULKBUILD_CPOSIX_H
// Small inline wrappers for POSIX macros and calls that Glibc does not
// import into Swift. No _GNU_SOURCE here: it breaks the clang module.
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <unistd.h>
#include <poll.h>
#include <errno.h>
#include <termios.h>
#include <time.h>

static inline int cp_wifexited(int s) { return WIFEXITED(s); }
static inline int cp_wexitstatus(int s) { return WEXITSTATUS(s); }
static inline int cp_wifsignaled(int s) { return WIFSIGNALED(s); }
static inline int cp_wtermsig(int s) { return WTERMSIG(s); }
static inline int cp_wifstopped(int s) { return WIFSTOPPED(s); }

static inline int cp_errno(void) { return errno; }

// Not declared without _GNU_SOURCE.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int);
static inline int cp_spawn_closefrom(posix_spawn_file_actions_t *fa, int from) {
    return posix_spawn_file_actions_addclosefrom_np(fa, from);
}

static inline int cp_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int cp_open_excl(const char *path, int mode) {
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
}
static inline int cp_open_append(const char *path, int mode) {
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
}
static inline int cp_open_write_trunc(const char *path, int mode) {
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
}
static inline int cp_open_read(const char *path) {
    return open(path, O_RDONLY | O_CLOEXEC);
}

static inline int cp_ioctl_winsize(int fd, struct winsize *ws) {
    return ioctl(fd, TIOCGWINSZ, ws);
}

static inline int cp_set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}
static inline int cp_set_cloexec(int fd) {
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static inline int cp_sigmask(int how, const sigset_t *set, sigset_t *old) {
    return pthread_sigmask(how, set, old);
}
#include <pthread.h>

static inline double cp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static inline double cp_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
#endif
