#ifndef BULKBUILD_CNCURSES_H
#define BULKBUILD_CNCURSES_H
// ncursesw with the wide-character API; pkg-config flags are dropped by
// SwiftPM, so the define that enables it is set here.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <stdio.h>
#include <ncurses.h>
#include <term.h>
#endif
