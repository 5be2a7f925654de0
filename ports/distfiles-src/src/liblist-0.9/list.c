#include <stdlib.h>
#include <string.h>
#include "list.h"

struct list *
list_count(struct list *head, const char *word)
{
	struct list *l;

	for (l = head; l != NULL; l = l->next)
		if (strcmp(l->word, word) == 0) {
			l->count++;
			return head;
		}
	if ((l = malloc(sizeof *l)) == NULL || (l->word = strdup(word)) == NULL)
		abort();
	l->count = 1;
	l->next = head;
	return l;
}

int
list_length(const struct list *head)
{
	int n = 0;

	for (; head != NULL; head = head->next)
		n++;
	return n;
}

void
list_free(struct list *head)
{
	struct list *next;

	for (; head != NULL; head = next) {
		next = head->next;
		free(head->word);
		free(head);
	}
}
