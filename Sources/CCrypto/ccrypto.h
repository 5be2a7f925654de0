// OpenSSL's digests (libcrypto, from libssl-dev): bulkbuild checks
// distfiles against their SHA256 with it.
#include <openssl/evp.h>
