#ifndef BULKBUILD_CNCURSES_H
#define BULKBUILD_CNCURSES_H
// ncursesw with the wide-character API; pkg-config flags are dropped by
// SwiftPM, so the define that enables it is set here.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <ncurses.h>
#include <term.h>
#include <signal.h>

// Macros and globals Swift cannot import (or rejects as not
// concurrency-safe) get small accessors here.
static inline attr_t cn_a_normal(void) { return A_NORMAL; }
static inline attr_t cn_a_bold(void) { return A_BOLD; }
static inline attr_t cn_a_dim(void) { return A_DIM; }
static inline attr_t cn_a_reverse(void) { return A_REVERSE; }
static inline attr_t cn_color_pair(short n) { return COLOR_PAIR(n); }
static inline WINDOW *cn_stdscr(void) { return stdscr; }
static inline WINDOW *cn_curscr(void) { return curscr; }
static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }
static inline int cn_key_resize(void) { return KEY_RESIZE; }
static inline int cn_err(void) { return ERR; }
static inline FILE *cn_stdin(void) { return stdin; }

// Tells whether `term` (NULL: $TERM) names a terminal that can address
// the cursor, as seen from `fd`. Never exits: setupterm gets an error
// pointer. The TERMINAL it loads is freed again.
static inline int cn_terminal_usable(const char *term, int fd) {
    int err = 0;
    TERMINAL *saved = cur_term;
    if (setupterm((char *)term, fd, &err) != OK) {
        return 0;
    }
    char *cup = tigetstr("cup");
    int ok = cup != NULL && cup != (char *)-1;
    TERMINAL *loaded = cur_term;
    if (loaded != saved) {
        set_curterm(saved);
        del_curterm(loaded);
    }
    return ok;
}

// Columns the C library (and so ncurses) gives a wide character in the
// current locale; -1 for non-printable ones. Declared here because glibc
// hides wcwidth without _XOPEN_SOURCE.
extern int wcwidth(wchar_t c);
static inline int cn_wcwidth(wchar_t c) { return wcwidth(c); }

// Whether the character type locale in force encodes UTF-8.
static inline int cn_locale_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

// ncurses installs handlers for INT, TERM, TSTP and WINCH when they are
// at their default while a screen is made, and its INT/TERM handler ends
// the process. Callers flip default dispositions to ignore around newterm
// and back afterwards, so signals stay the program's business.
static inline int cn_ignore_if_default(int sig) {
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0) return 0;
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) return 0;
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    return sigaction(sig, &ign, NULL) == 0;
}
static inline void cn_restore_default(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
}
#endif
