#ifndef BULKBUILD_CLIBSSH_H
#define BULKBUILD_CLIBSSH_H
#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/sftp.h>
#include <libssh/server.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

/* Dead-peer detection on the session's TCP socket: keepalive probes after
   `idle` seconds of silence, every `intvl` seconds, `cnt` of them, and a
   cap of `user_timeout_ms` on unacknowledged data. Returns 0 or -1. */
static inline int bb_tcp_liveness(int fd, int idle, int intvl, int cnt,
                                  unsigned int user_timeout_ms) {
    int on = 1, rc = 0;
    rc |= setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    rc |= setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    rc |= setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    rc |= setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    rc |= setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
                     sizeof user_timeout_ms);
    return rc ? -1 : 0;
}

/* Per-channel record of an `exit-signal` message (the remote command was
   killed by a signal: no exit status then). */
struct bb_channel_watch {
    struct ssh_channel_callbacks_struct cb;
    char signal[32];
    int has_signal;
};

static void bb_exit_signal_cb(ssh_session session, ssh_channel channel,
                              const char *signal, int core,
                              const char *errmsg, const char *lang,
                              void *userdata) {
    (void)session; (void)channel; (void)core; (void)errmsg; (void)lang;
    struct bb_channel_watch *w = (struct bb_channel_watch *)userdata;
    if (signal != NULL) {
        strncpy(w->signal, signal, sizeof w->signal - 1);
        w->signal[sizeof w->signal - 1] = 0;
    }
    w->has_signal = 1;
}

/* Allocate a watch and attach it to `channel`; free it with free() after
   ssh_channel_free(). */
static inline struct bb_channel_watch *bb_channel_watch_new(ssh_channel channel) {
    struct bb_channel_watch *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->cb.userdata = w;
    w->cb.channel_exit_signal_function = bb_exit_signal_cb;
    ssh_callbacks_init(&w->cb);
    if (ssh_set_channel_callbacks(channel, &w->cb) != SSH_OK) {
        free(w);
        return NULL;
    }
    return w;
}
#endif
