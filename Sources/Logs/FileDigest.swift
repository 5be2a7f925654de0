import CCrypto
import CPosix
import Foundation

/// SHA256 of a file through OpenSSL, read in chunks so a large distfile
/// never sits in memory whole.
public struct FileDigest: Equatable, Sendable {
    public let bytes: [UInt8]
    public let size: Int64

    /// Base64, as distinfo writes it.
    public var base64: String { Data(bytes).base64EncodedString() }
    /// Lower-case hex, as the by_cipher cache names directories.
    public var hex: String { bytes.map { String(format: "%02x", $0) }.joined() }

    public static func sha256(of path: String) throws -> FileDigest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.Failure(path: path, what: "cannot open to checksum", code: cp_errno()) }
        defer { close(fd) }
        guard let ctx = EVP_MD_CTX_new() else {
            throw FileIO.Failure(path: path, what: "cannot start a SHA256 digest", code: ENOMEM)
        }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            throw FileIO.Failure(path: path, what: "cannot start a SHA256 digest", code: EINVAL)
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if cp_errno() == EINTR { continue }
                throw FileIO.Failure(path: path, what: "read failed while checksumming", code: cp_errno())
            }
            if n == 0 { break }
            total += Int64(n)
            _ = buffer.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, n) }
        }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(ctx, &out, &length) == 1 else {
            throw FileIO.Failure(path: path, what: "cannot finish the SHA256 digest", code: EINVAL)
        }
        return FileDigest(bytes: Array(out.prefix(Int(length))), size: total)
    }
}
