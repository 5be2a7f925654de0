// SHA-256 fed in pieces (OpenSSL's EVP through CCrypto, as Logs'
// FileDigest does for whole files): a transfer hashes its chunks as they
// go by, so a file is read once for sending and checking.
import CCrypto

final class SHA256Hasher {
    private let ctx: OpaquePointer?

    init() {
        ctx = EVP_MD_CTX_new()
        if let c = ctx { EVP_DigestInit_ex(c, EVP_sha256(), nil) }
    }

    deinit { EVP_MD_CTX_free(ctx) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let c = ctx, bytes.count > 0 else { return }
        EVP_DigestUpdate(c, bytes.baseAddress, bytes.count)
    }

    func update(_ bytes: ArraySlice<UInt8>) { bytes.withUnsafeBytes { update($0) } }

    /// The 32-byte digest; the hasher is done after this.
    func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard let c = ctx, EVP_DigestFinal_ex(c, &out, &length) == 1 else { return [] }
        return Array(out.prefix(Int(length)))
    }
}

/// Lower-case hex of a digest.
func hexText(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// The bytes of a hex digest; nil when it is not 64 hex digits.
func digestBytes(hex: String) -> [UInt8]? {
    let u = Array(hex.utf8)
    guard u.count == 64 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
    var out: [UInt8] = []
    for i in stride(from: 0, to: 64, by: 2) {
        guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
        out.append(h << 4 | l)
    }
    return out
}
