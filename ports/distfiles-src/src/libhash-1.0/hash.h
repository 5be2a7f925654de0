#ifndef HASH_H
#define HASH_H
#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a hash of len bytes at data. */
uint64_t hash_fnv1a(const void *data, size_t len);
#endif
