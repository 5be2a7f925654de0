#ifndef LIST_H
#define LIST_H

struct list {
	char *word;
	int count;
	struct list *next;
};

/* Count one more occurrence of word; returns the new head. */
struct list *list_count(struct list *head, const char *word);
/* Number of distinct words in the list. */
int list_length(const struct list *head);
void list_free(struct list *head);
#endif
