// One libssh session: connect, verify the host key, authenticate.
// A session is not thread-safe: every call on one happens on the thread of
// its RemoteRunner (or, for a short-lived check, on the caller's thread).
import CLibSSH
import CPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where and how to connect to one remote host.
public struct SSHTarget: Sendable, Equatable {
    /// Name shown in messages (the hosts file's word).
    public var displayName: String
    /// Host or ssh_config alias to connect to.
    public var address: String
    public var user: String?
    /// nil: ssh_config's Port, or 22.
    public var port: Int?
    /// An ssh_config file to read instead of ~/.ssh/config and
    /// /etc/ssh/ssh_config (`-D SSH_CONFIG=file`).
    public var configFile: String?
    /// Seconds allowed to set up the connection.
    public var connectTimeout: Int
    /// The bulkbuild binary whose `agent` subcommand carries the tasks when
    /// the host has the same one at the same path; nil: one channel per
    /// task. Defaults to this process's binary when it is `bulkbuild`.
    public var agentPath: String?
    /// False (`-D SSH_AGENT=0`): one channel per task whatever the host has.
    public var useAgent: Bool

    public init(displayName: String, address: String, user: String? = nil, port: Int? = nil,
                configFile: String? = nil, connectTimeout: Int = 60,
                agentPath: String? = SSHTarget.defaultAgentPath, useAgent: Bool = true) {
        self.displayName = displayName; self.address = address; self.user = user
        self.port = port; self.configFile = configFile; self.connectTimeout = connectTimeout
        self.agentPath = agentPath; self.useAgent = useAgent
    }

    /// /proc/self/exe resolved, when this process is a binary named
    /// `bulkbuild` (not a test bundle, whose `--version` would run tests).
    public static let defaultAgentPath: String? = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, 4095)
        guard n > 0 else { return nil }
        let path = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.split(separator: "/").last == "bulkbuild" ? path : nil
    }()

    /// The target for a hosts-file host; `parameters` are the merged -D
    /// values (SSH_CONFIG, CONNECTION_TIMEOUT, SSH_AGENT=0 for one channel
    /// per task).
    public init(host: HostConfig, parameters: [String: String]) {
        let timeout = host.properties.timeout
            ?? parameters["CONNECTION_TIMEOUT"].flatMap { Int($0) } ?? 60
        let noAgent = parameterSaysOff(parameters["SSH_AGENT"])
        self.init(displayName: host.name, address: host.address, user: host.user,
                  configFile: parameters["SSH_CONFIG"], connectTimeout: max(1, timeout),
                  useAgent: !noAgent)
    }
}

/// Why a connection could not be set up. `description` says how to fix it
/// when there is a fix.
public struct SSHError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case connect, hostKeyUnknown, hostKeyChanged, auth, channel, lost
    }
    public var kind: Kind
    public var description: String
}

/// Timing of the dead-peer detection; see `SSHSession.connect`.
public struct SSHLiveness: Sendable {
    public var keepIdle: Int32 = 2
    public var keepInterval: Int32 = 1
    public var keepCount: Int32 = 3
    public var userTimeoutMs: UInt32 = 6000
    /// Seconds between ssh-level keepalives while connected.
    public var keepaliveEvery: Double = 2
    public init() {}
}

/// An authenticated libssh session.
final class SSHSession {
    let raw: ssh_session
    let target: SSHTarget
    /// host:port actually used (after ssh_config), for messages.
    let endpoint: String

    private init(raw: ssh_session, target: SSHTarget, endpoint: String) {
        self.raw = raw; self.target = target; self.endpoint = endpoint
    }

    deinit {
        ssh_disconnect(raw)
        ssh_free(raw)
    }

    var fd: Int32 { Int32(ssh_get_fd(raw)) }
    var isConnected: Bool { ssh_is_connected(raw) != 0 }
    var lastError: String { SSHSession.errorText(raw) }

    static func errorText(_ s: ssh_session) -> String {
        guard let p = ssh_get_error(UnsafeMutableRawPointer(s)) else { return "unknown error" }
        let t = String(cString: p)
        return t.isEmpty ? "unknown error" : t
    }

    /// Connects, checks the host key against known_hosts (unknown or
    /// changed keys are refused), then authenticates with the agent and
    /// with the public keys libssh finds (never a password). Blocking.
    static func connect(_ target: SSHTarget, liveness: SSHLiveness = SSHLiveness()) throws -> SSHSession {
        guard let s = ssh_new() else {
            throw SSHError(kind: .connect, description: "\(target.displayName): cannot create an ssh session")
        }
        func fail(_ kind: SSHError.Kind, _ text: String) -> SSHError {
            ssh_disconnect(s)
            ssh_free(s)
            return SSHError(kind: kind, description: "\(target.displayName): \(text)")
        }
        _ = ssh_options_set(s, SSH_OPTIONS_HOST, target.address)
        if let u = target.user { _ = ssh_options_set(s, SSH_OPTIONS_USER, u) }
        // Read ssh_config now (Host alias, HostName, User, Port,
        // IdentityFile, UserKnownHostsFile...) and never again at connect.
        if let file = target.configFile {
            guard access(file, R_OK) == 0 else {
                throw fail(.connect, "cannot read the ssh config file \(file)")
            }
            if ssh_options_parse_config(s, file) != 0 {
                throw fail(.connect, "bad ssh config file \(file): \(errorText(s))")
            }
        } else {
            _ = ssh_options_parse_config(s, nil)
        }
        var off: Int32 = 0
        _ = ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &off)
        if let p = target.port {
            var port = UInt32(p)
            _ = ssh_options_set(s, SSH_OPTIONS_PORT, &port)
        }
        var timeout = Int(target.connectTimeout)
        _ = ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout)
        var one: Int32 = 1
        _ = ssh_options_set(s, SSH_OPTIONS_NODELAY, &one)
        var no: Int32 = 0
        _ = ssh_options_set(s, SSH_OPTIONS_PASSWORD_AUTH, &no)
        _ = ssh_options_set(s, SSH_OPTIONS_KBDINT_AUTH, &no)

        var port: UInt32 = 22
        _ = ssh_options_get_port(s, &port)
        let host = optionString(s, SSH_OPTIONS_HOST) ?? target.address
        let endpoint = port == 22 ? host : "[\(host)]:\(port)"

        if ssh_connect(s) != SSH_OK {
            throw fail(.connect, "cannot connect to \(endpoint): \(errorText(s))")
        }
        _ = bb_tcp_liveness(Int32(ssh_get_fd(s)), liveness.keepIdle, liveness.keepInterval,
                            liveness.keepCount, liveness.userTimeoutMs)

        // The host key must already be in known_hosts.
        let known = ssh_session_is_known_server(s)
        if known != SSH_KNOWN_HOSTS_OK {
            let fp = serverFingerprint(s) ?? "(fingerprint unavailable)"
            let file = optionString(s, SSH_OPTIONS_KNOWNHOSTS) ?? "~/.ssh/known_hosts"
            let keyscan = port == 22 ? "ssh-keyscan \(host)" : "ssh-keyscan -p \(port) \(host)"
            switch known {
            case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER:
                throw fail(.hostKeyChanged,
                    "the host key of \(endpoint) CHANGED (it now offers \(fp)); this may be an attack. " +
                    "Refusing to connect. If the change is expected, remove the old key with " +
                    "`ssh-keygen -R '\(endpoint)' -f \(file)`, check the new fingerprint with the " +
                    "host's administrator, then add it with `\(keyscan) >> \(file)`")
            case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
                throw fail(.hostKeyUnknown,
                    "the host key of \(endpoint) is not known (it offers \(fp)); refusing to connect. " +
                    "Check that fingerprint (on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), " +
                    "then add it with `\(keyscan) >> \(file)`")
            default:
                throw fail(.hostKeyUnknown, "cannot check the host key of \(endpoint): \(errorText(s))")
            }
        }

        // Agent first, then the keys libssh finds (IdentityFile, ~/.ssh/id_*).
        var rc = SSH_AUTH_DENIED.rawValue
        if let sock = getenv("SSH_AUTH_SOCK"), sock.pointee != 0 {
            rc = ssh_userauth_agent(s, nil)
        }
        if rc != SSH_AUTH_SUCCESS.rawValue {
            rc = ssh_userauth_publickey_auto(s, nil, nil)
        }
        if rc != SSH_AUTH_SUCCESS.rawValue {
            let user = optionString(s, SSH_OPTIONS_USER) ?? "?"
            throw fail(.auth, "public key authentication as \(user) on \(endpoint) failed " +
                "(tried ssh-agent and the identity files; passwords are never used): \(errorText(s))")
        }
        return SSHSession(raw: s, target: target, endpoint: endpoint)
    }

    static func optionString(_ s: ssh_session, _ opt: ssh_options_e) -> String? {
        var p: UnsafeMutablePointer<CChar>? = nil
        guard ssh_options_get(s, opt, &p) == SSH_OK, let q = p else { return nil }
        defer { ssh_string_free_char(q) }
        return String(cString: q)
    }

    static func serverFingerprint(_ s: ssh_session) -> String? {
        var key: ssh_key? = nil
        guard ssh_get_server_publickey(s, &key) == SSH_OK, let k = key else { return nil }
        defer { ssh_key_free(k) }
        var hash: UnsafeMutablePointer<UInt8>? = nil
        var len = 0
        guard ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0, let h = hash else {
            return nil
        }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, h, len) else { return nil }
        defer { ssh_string_free_char(fp) }
        let type = ssh_key_type_to_char(ssh_key_type(k)).map { String(cString: $0) } ?? "key"
        return "\(type) \(String(cString: fp))"
    }

    /// Opens a channel and starts `command` on it (stdin closed at once
    /// unless `keepInput`). The watch records an exit signal; free it after
    /// the channel.
    func exec(_ command: String, keepInput: Bool = false) throws -> (ssh_channel, UnsafeMutablePointer<bb_channel_watch>?) {
        guard let ch = ssh_channel_new(raw) else {
            throw SSHError(kind: isConnected ? .channel : .lost,
                           description: "cannot create a channel: \(lastError)")
        }
        let watch = bb_channel_watch_new(ch)
        if ssh_channel_open_session(ch) != SSH_OK {
            let why = lastError
            ssh_channel_free(ch)
            free(watch)
            throw SSHError(kind: isConnected ? .channel : .lost, description: "cannot open a channel: \(why)")
        }
        if ssh_channel_request_exec(ch, command) != SSH_OK {
            let why = lastError
            ssh_channel_close(ch)
            ssh_channel_free(ch)
            free(watch)
            throw SSHError(kind: isConnected ? .channel : .lost, description: "cannot run the command: \(why)")
        }
        if !keepInput { _ = ssh_channel_send_eof(ch) }
        return (ch, watch)
    }
}
