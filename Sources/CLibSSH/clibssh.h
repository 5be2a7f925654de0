#ifndef BULKBUILD_CLIBSSH_H
#define BULKBUILD_CLIBSSH_H
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <libssh/server.h>
#endif
