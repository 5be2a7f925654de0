// Real sshd servers for the tests: temp host and client keys,
// authorized_keys, known_hosts and an ssh config file with one `Host` alias
// per server, so nothing reads or writes the real ~/.ssh (the config file
// reaches libssh as SSH_CONFIG). Processes are started with posix_spawn.
import XCTest
import CPosix
@testable import HostPool
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command to its end; returns its exit status and output.
@discardableResult
func runCommand(_ argv: [String], in dir: String = "/tmp") -> (status: Int32, output: String) {
    let out = "\(dir)/cmd.\(getpid()).\(UInt32.random(in: 0...UInt32.max)).out"
    defer { unlink(out) }
    guard case .success(let pid) = spawnInGroup(argv: argv, environment: [:], logPath: out) else {
        return (127, "cannot start \(argv[0])")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && cp_errno() == EINTR {}
    let code = cp_wifexited(status) != 0 ? cp_wexitstatus(status) : 128 + cp_wtermsig(status)
    return (code, readWholeFile(out) ?? "")
}

/// True when a TCP connection to address:port succeeds.
func tcpReachable(_ address: String, _ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, address, &sa.sin_addr)
    return withUnsafePointer(to: &sa) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &sa) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            _ = bind(fd, $0, len)
            _ = getsockname(fd, $0, &len)
        }
    }
    return Int(UInt16(bigEndian: sa.sin_port))
}

final class SSHFixture {
    struct Server {
        var alias: String
        var address: String
        var port: Int
        var pid: pid_t
        var hostKeyPub: String
    }

    let dir: String
    var servers: [Server] = []
    var configPath: String { "\(dir)/ssh_config" }
    var knownHostsPath: String { "\(dir)/known_hosts" }
    var clientKey: String { "\(dir)/client_key" }
    private var configText = ""

    init() throws {
        var template = Array("/tmp/bulkbuild-sshd.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        dir = String(cString: p)
        _ = mkdir("/run/sshd", 0o755)
        let r = runCommand(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bulkbuild-test",
                            "-f", clientKey])
        guard r.status == 0 else { throw XCTSkip("ssh-keygen failed: \(r.output)") }
        _ = runCommand(["cp", "\(clientKey).pub", "\(dir)/authorized_keys"])
        writeFile(knownHostsPath, "")
        writeFile(configPath, "")
    }

    /// A fresh ed25519 key pair; returns the public key line.
    func makeKey(_ name: String) throws -> String {
        let path = "\(dir)/\(name)"
        let r = runCommand(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
        guard r.status == 0, let pub = readWholeFile("\(path).pub") else {
            throw XCTSkip("ssh-keygen failed: \(r.output)")
        }
        return pub.split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// Starts an sshd on address:port (inside `netns` when given), adds a
    /// `Host alias` entry to the config and (unless `trust` is false) its key
    /// to known_hosts.
    @discardableResult
    func startServer(alias: String, address: String = "127.0.0.1", port: Int? = nil,
                     netns: String? = nil, hiding: [String] = [], trust: Bool = true) throws -> Server {
        let port = port ?? freeLoopbackPort()
        let keyName = "host_key_\(alias)"
        let pub = try makeKey(keyName)
        let cfg = "\(dir)/sshd_config_\(alias)"
        writeFile(cfg, """
            ListenAddress \(address)
            Port \(port)
            HostKey \(dir)/\(keyName)
            AuthorizedKeysFile \(dir)/authorized_keys
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            MaxSessions 200
            MaxStartups 100:30:200
            PidFile \(dir)/sshd_\(alias).pid
            LogLevel ERROR
            # Keeps bash from reading ~/.bashrc for every command (it only
            # does when SHLVL is unset); a heavy rc file costs ~0.4 s a task.
            SetEnv SHLVL=1

            """)
        var argv = ["/usr/sbin/sshd", "-D", "-f", cfg, "-E", "\(dir)/sshd_\(alias).log"]
        if !hiding.isEmpty {
            // `ip netns exec` gives the server a mount namespace of its own:
            // an empty tmpfs over each path hides the master's files there.
            let mounts = hiding.indices.map { "mount -t tmpfs bulkbuild-hidden \"$\($0 + 1)\" && " }.joined()
            argv = ["/bin/sh", "-c", mounts + "shift \(hiding.count) && exec \"$@\"", "sh"] + hiding + argv
        }
        if let ns = netns { argv = ["ip", "netns", "exec", ns] + argv }
        guard case .success(let pid) = spawnInGroup(argv: argv, environment: [:],
                                                    logPath: "\(dir)/sshd_\(alias).out") else {
            throw XCTSkip("cannot start sshd")
        }
        let deadline = cp_monotonic() + 10
        while !tcpReachable(address, port) {
            if cp_monotonic() > deadline {
                kill(pid, SIGKILL)
                let log = readWholeFile("\(dir)/sshd_\(alias).log") ?? ""
                throw XCTSkip("sshd did not start on \(address):\(port): \(log)")
            }
            usleep(20_000)
        }
        let server = Server(alias: alias, address: address, port: port, pid: pid, hostKeyPub: pub)
        servers.append(server)
        if trust { trustKey(of: server) }
        addAlias(alias, address: address, port: port)
        return server
    }

    func trustKey(of s: Server, key: String? = nil) {
        appendFile(knownHostsPath, "[\(s.address)]:\(s.port) \(key ?? s.hostKeyPub)\n")
    }

    /// Adds a `Host` entry; `knownHosts` overrides the shared known_hosts.
    func addAlias(_ alias: String, address: String, port: Int, knownHosts: String? = nil) {
        configText += """
            Host \(alias)
                HostName \(address)
                Port \(port)
                User root
                IdentityFile \(clientKey)
                UserKnownHostsFile \(knownHosts ?? knownHostsPath)

            """
        writeFile(configPath, configText)
    }

    func target(_ alias: String, timeout: Int = 10) -> SSHTarget {
        SSHTarget(displayName: alias, address: alias, configFile: configPath, connectTimeout: timeout)
    }

    func stopServer(_ s: Server) {
        kill(s.pid, SIGTERM)
        var status: Int32 = 0
        let deadline = cp_monotonic() + 5
        while waitpid(s.pid, &status, WNOHANG) == 0 {
            if cp_monotonic() > deadline { kill(s.pid, SIGKILL) }
            usleep(10_000)
        }
        servers.removeAll { $0.pid == s.pid }
    }

    func tearDown() {
        for s in servers { stopServer(s) }
        _ = runCommand(["rm", "-rf", dir])
    }
}

func writeFile(_ path: String, _ text: String) {
    let fd = cp_open_write_trunc(path, 0o600)
    guard fd >= 0 else { return }
    writeAll(fd, text)
    close(fd)
}

func appendFile(_ path: String, _ text: String) {
    let fd = cp_open_append(path, 0o600)
    guard fd >= 0 else { return }
    writeAll(fd, text)
    close(fd)
}

/// Hosts in network namespaces behind one bridge (10.200.K.1/24, K the
/// first free subnet from the test process's pid on, so that test
/// processes side by side get subnets of their own), an sshd in each.
/// Needs root and `ip`; skips otherwise.
final class NetnsFixture {
    let tag: String
    let bridge: String
    /// The first three bytes of the subnet, `10.200.K`.
    let net: String
    var namespaces: [String] = []
    var veths: [String] = []
    let ssh: SSHFixture

    init(ssh: SSHFixture) throws {
        guard getuid() == 0 else { throw XCTSkip("network namespace tests need root (running as uid \(getuid()))") }
        guard access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 || access("/usr/bin/ip", X_OK) == 0 else {
            throw XCTSkip("network namespace tests need iproute2's ip command")
        }
        let first = Int(getpid() % 64)
        var free: String?
        for k in (0..<64).map({ (first + $0) % 64 }) {
            let used = runCommand(["ip", "-o", "addr", "show", "to", "10.200.\(k).0/24"])
            guard used.status == 0 else { throw XCTSkip("ip addr failed: \(used.output)") }
            if used.output.trimmingSpaces().isEmpty { free = "10.200.\(k)"; break }
        }
        guard let net = free else { throw XCTSkip("10.200.0.0/18 is all in use on this machine (other test runs?)") }
        self.net = net
        self.ssh = ssh
        tag = String(getpid() % 100000)
        bridge = "bbbr\(tag)"
        try ip(["link", "add", bridge, "type", "bridge"])
        try ip(["addr", "add", "\(net).1/24", "dev", bridge])
        try ip(["link", "set", bridge, "up"])
    }

    private func ip(_ args: [String]) throws {
        let r = runCommand(["ip"] + args)
        if r.status != 0 { throw XCTSkip("ip \(args.joined(separator: " ")) failed: \(r.output)") }
    }

    /// Host number n (2...254) at NET.n with its own sshd on port 22.
    /// Returns the root-side veth name (set it down to cut the host off).
    func addHost(_ n: Int, alias: String, hiding: [String] = []) throws -> String {
        let ns = "bbns\(tag)h\(n)"
        let veth = "bbv\(tag)h\(n)"
        let peer = "bbp\(tag)h\(n)"
        try ip(["netns", "add", ns]); namespaces.append(ns)
        try ip(["link", "add", veth, "type", "veth", "peer", "name", peer]); veths.append(veth)
        try ip(["link", "set", peer, "netns", ns])
        try ip(["link", "set", veth, "master", bridge])
        try ip(["link", "set", veth, "up"])
        try ip(["-n", ns, "addr", "add", "\(net).\(n)/24", "dev", peer])
        try ip(["-n", ns, "link", "set", peer, "up"])
        try ip(["-n", ns, "link", "set", "lo", "up"])
        try ssh.startServer(alias: alias, address: "\(net).\(n)", port: 22, netns: ns, hiding: hiding)
        return veth
    }

    func setLink(_ veth: String, up: Bool) {
        _ = runCommand(["ip", "link", "set", veth, up ? "up" : "down"])
    }

    func tearDown() {
        for s in ssh.servers where s.address.hasPrefix(net + ".") { ssh.stopServer(s) }
        for ns in namespaces {
            // Whatever still runs in there (remote tasks) goes too.
            let pids = runCommand(["ip", "netns", "pids", ns]).output.split(separator: "\n")
            for p in pids { if let pid = Int32(p.trimmingSpaces()) { kill(pid, SIGKILL) } }
            _ = runCommand(["ip", "netns", "del", ns])
        }
        for v in veths { _ = runCommand(["ip", "link", "del", v]) }
        _ = runCommand(["ip", "link", "del", bridge])
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}
