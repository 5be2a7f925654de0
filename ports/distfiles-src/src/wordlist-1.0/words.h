#ifndef WORDS_H
#define WORDS_H

/* The built-in word list, NULL-terminated. */
extern const char *const words_all[];
/* How many words the list holds. */
int words_count(void);
#endif
