import CPosix
import Engine
import Foundation
import HostPool
import Logs

/// How fetch jobs fetch: `-f`/`-F`, the timeouts and the command.
public struct FetchSettings: Sendable {
    /// Fetch jobs beside the build slots (-f m, or -F m); 0: each build
    /// fetches its own distfiles in its `fetch` phase.
    public var jobs = 0
    /// -F: fetch everything listed, build nothing.
    public var fetchOnly = false
    public var connectTimeout = 20.0
    /// Seconds without a byte before a transfer is given up.
    public var stallTimeout = 60.0
    /// FETCH_CMD: a command run as `CMD OUTPUT URL` instead of curl.
    public var command: [String]?
    /// CDROM_ONLY, FTP_ONLY: skip distfiles the port does not allow there.
    public var cdromOnly = false
    public var ftpOnly = false
    /// HISTORY_ONLY: list, work out which distfiles are no longer used and
    /// record them in DISTDIR/history; fetch and build nothing.
    public var historyOnly = false
    /// NO_HISTORY: a whole-tree run leaves DISTDIR/history alone.
    public var noHistory = false
    public init() {}
}

/// Fetch jobs: a second kind of job, on this machine, beside the build
/// slots. Each distfile is fetched once whatever number of ports share it,
/// from its sites in order, and verified against distinfo (SIZE, SHA256)
/// before a port may use it; verified files are linked into DISTDIR's
/// by_cipher cache. The coordinator routes listings and task ends here and
/// hears back which ports are ready or failed.
final class Fetcher {
    enum Phase: Equatable { case queued, running, done, failed(String) }

    final class Entry {
        let file: Distfile
        let sha256: String
        let hex: String
        let size: Int64?
        let checksumFile: String
        /// `fullpkgpath:distfile`, as engine.log names it (the first port).
        let subject: String
        var urls: [String]
        var tried: [String] = []
        var waiters: [FullPkgPath] = []
        var phase = Phase.queued
        var handle: TaskHandle?
        var url = ""
        var started = 0.0
        init(file: Distfile, sha256: String, hex: String, size: Int64?, checksumFile: String, subject: String, urls: [String]) {
            self.file = file; self.sha256 = sha256; self.hex = hex; self.size = size
            self.checksumFile = checksumFile; self.subject = subject; self.urls = urls
        }
    }

    let settings: FetchSettings
    let distdir: String
    let logs: LogDirectory
    let runner: TaskRunner
    let clock: () -> Double
    /// Every distfile of the port is there and verified.
    var onReady: (FullPkgPath) -> Void = { _ in }
    var onFailed: (FullPkgPath, String) -> Void = { _, _ in }
    /// A distfile's line for engine.log (F, B, E).
    var note: (String, PortState, String) -> Void = { _, _, _ in }
    /// A log write failed (the coordinator stops the run on it).
    var storageFailed: (String) -> Void = { _ in }

    private(set) var entries: [String: Entry] = [:]
    private var queue: [Entry] = []
    private(set) var running: [Entry] = []
    /// `scheme://host:port` of sites that did not answer: not tried again.
    private(set) var deadOrigins = Set<String>()
    private var left: [FullPkgPath: Int] = [:]
    private var failedPorts: [FullPkgPath: String] = [:]
    private var distinfos: [String: Result<Distinfo, FetchProblem>] = [:]
    /// Files a person has to fetch: (port, distfile or nil, why).
    private(set) var manual: [(path: String, key: String, why: String)] = []
    private(set) var fetched = 0
    private(set) var alreadyThere = 0
    private(set) var skipped: [String] = []
    private var stopping = false

    init(settings: FetchSettings, distdir: String, logs: LogDirectory, runner: TaskRunner, clock: @escaping () -> Double) {
        self.settings = settings; self.distdir = distdir; self.logs = logs; self.runner = runner; self.clock = clock
    }

    var isIdle: Bool { queue.isEmpty && running.isEmpty }
    /// Distfiles waiting or being fetched (the F count).
    var waiting: Int { queue.count + running.count }
    var failedEntries: [Entry] { entries.values.filter { if case .failed = $0.phase { return true }; return false } }
    var failures: [(String, String)] { failedPorts.map { ($0.key.canonical, $0.value) }.sorted { $0.0 < $1.0 } }
    var runningTasks: [TaskHandle] { running.compactMap { $0.handle } }

    func stop(hard: Bool) {
        stopping = true
        queue.removeAll()
        for e in running { e.handle?.stop(hard: hard) }
    }

    // MARK: - Ports

    /// A listed port whose distfiles are wanted.
    func want(_ record: PortRecord) {
        let path = record.path
        guard left[path] == nil, failedPorts[path] == nil else { return }
        let facts = record.fetch
        var pending: [Entry] = []
        func fail(_ why: String) { portFailed(path, why) }
        for file in facts.files {
            if settings.fetchOnly, let why = notMirrored(facts) {
                skipped.append("\(path.canonical):\(file.key) (\(why))")
                continue
            }
            if let e = entries[file.key] {
                if let other = facts.checksumFile, e.checksumFile != other,
                   let info = try? distinfo(other).get(), info[file.key]?.sha256 != e.sha256 {
                    return fail("\(other) and \(e.checksumFile) disagree on the SHA256 of \(file.key)")
                }
                switch e.phase {
                case .done: continue
                case .failed(let why): return fail(why)
                case .queued, .running: pending.append(e)
                }
                continue
            }
            guard let sumFile = facts.checksumFile else {
                return fail("no CHECKSUM_FILE: \(file.key) cannot be verified")
            }
            let info: Distinfo
            switch distinfo(sumFile) {
            case .success(let d): info = d
            case .failure(let p): return fail(p.description)
            }
            guard let sha = info[file.key]?.sha256, let hex = Base64.hex(sha) else {
                return fail("\(sumFile) has no SHA256 for \(file.key)")
            }
            var urls: [String] = []
            if !file.manual {
                let sites = facts.sites[file.group] ?? []
                if sites.isEmpty {
                    return fail("no SITES\(file.group) to fetch \(file.key) from")
                }
                for site in sites {
                    switch FetchURL.make(site: site, remote: file.remote) {
                    case .success(let u): urls.append(u)
                    case .failure(let p): return fail("\(file.key): \(p.description)")
                    }
                }
            }
            let e = Entry(file: file, sha256: sha, hex: hex, size: info[file.key]?.size, checksumFile: sumFile,
                          subject: path.canonical + ":" + file.key, urls: urls)
            entries[file.key] = e
            // HISTORY_ONLY only needs to know the file is still used.
            if settings.historyOnly { e.phase = .done; continue }
            log(logs.fetchDistfilesLog, "SHA256 (\(file.key)) = \(sha)\n")
            if present(e) {
                e.phase = .done
                alreadyThere += 1
                note(e.subject, .built, "")
                continue
            }
            if file.manual {
                let why = facts.manualText.map { "must be fetched by hand: \($0)" }
                    ?? "must be fetched by hand (FETCH_MANUALLY or MISSING_FILES)"
                manual.append((path.canonical, file.key, why))
                log(logs.fetchManuallyLog, "\(path.canonical): \(file.key) \(why); put it in \(distdir)/\(file.key)\n")
                e.phase = .failed("\(file.key) \(why)")
                // Mirroring reports it; a build cannot go on without it.
                if settings.fetchOnly { continue }
                return fail("\(file.key) \(why)")
            }
            queue.append(e)
            note(e.subject, .fetchQueued, "")
            pending.append(e)
        }
        if pending.isEmpty {
            onReady(path)
            return
        }
        left[path] = pending.count
        for e in pending { e.waiters.append(path) }
    }

    /// Why -F leaves a port's distfiles alone under CDROM_ONLY / FTP_ONLY.
    func notMirrored(_ facts: FetchFacts) -> String? {
        func allowed(_ v: String?) -> Bool { v.map { $0.lowercased() == "yes" } ?? true }
        if settings.cdromOnly && !allowed(facts.permitCdrom) { return "CDROM_ONLY: not allowed on cdrom" }
        if settings.ftpOnly && !allowed(facts.permitFtp) { return "FTP_ONLY: not allowed on ftp" }
        return nil
    }

    func distinfo(_ file: String) -> Result<Distinfo, FetchProblem> {
        if let d = distinfos[file] { return d }
        let r: Result<Distinfo, FetchProblem>
        if let text = FileIO.read(file) {
            do { r = .success(try Distinfo.parse(text, file: file)) }
            catch { r = .failure("\(error)") }
        } else {
            r = .failure("\(file): cannot read this CHECKSUM_FILE")
        }
        distinfos[file] = r
        return r
    }

    func portFailed(_ path: FullPkgPath, _ why: String) {
        guard failedPorts[path] == nil else { return }
        failedPorts[path] = why
        left[path] = nil
        onFailed(path, why)
    }

    // MARK: - Files on disk

    func target(_ e: Entry) -> String { distdir + "/" + e.file.key }
    func cacheLink(_ e: Entry) -> String { distdir + "/" + ByCipher.path(hex: e.hex, name: e.file.basename) }

    /// The file is in DISTDIR and verifies, or the cache holds one with its
    /// checksum (under any name) that is linked into place. A file in the way
    /// that does not verify is set aside, never used nor overwritten.
    func present(_ e: Entry) -> Bool {
        let path = target(e)
        if FileIO.exists(path) {
            if verify(e, path) == nil { linkIntoCache(e); return true }
            setAside(e, path)
        }
        let dir = distdir + "/" + ByCipher.directory(hex: e.hex)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let candidate = dir + "/" + name
            guard verify(e, candidate) == nil else { continue }
            do {
                try FileIO.makeDirectory((path as NSString).deletingLastPathComponent)
                if link(candidate, path) != 0 { try FileManager.default.copyItem(atPath: candidate, toPath: path) }
                distLog(e, ">>> \(e.file.key) found in the cache as \(candidate)\n")
                linkIntoCache(e)
                return true
            } catch {
                continue
            }
        }
        return false
    }

    /// nil when `path` has the distinfo's SIZE and SHA256, else why not.
    func verify(_ e: Entry, _ path: String) -> String? {
        if let want = e.size, let got = FileIO.size(path), got != want {
            return "size \(got) bytes, distinfo says \(want)"
        }
        do {
            let d = try FileDigest.sha256(of: path)
            return d.base64 == e.sha256 ? nil : "SHA256 \(d.base64), distinfo says \(e.sha256)"
        } catch {
            return "\(error)"
        }
    }

    /// `FILE.bad-HEX`: named by what it holds, so several bad copies
    /// never overwrite one another or the real name.
    func setAside(_ e: Entry, _ path: String) {
        let tag = (try? FileDigest.sha256(of: path).hex.prefix(12)).map(String.init) ?? "unreadable"
        let aside = target(e) + ".bad-" + tag
        if rename(path, aside) == 0 {
            distLog(e, ">>> \(path) does not match \(e.checksumFile): kept aside as \(aside)\n")
        } else {
            unlink(path)
        }
    }

    func linkIntoCache(_ e: Entry) {
        let link = cacheLink(e)
        guard !FileIO.exists(link) else { return }
        do {
            try FileIO.makeDirectory((link as NSString).deletingLastPathComponent)
        } catch {
            return
        }
        if Glibc.link(target(e), link) != 0 {
            _ = symlink(target(e), link)
        }
    }

    // MARK: - Jobs

    func startJobs() {
        while !stopping && running.count < settings.jobs, !queue.isEmpty {
            let e = queue.removeFirst()
            e.phase = .running
            running.append(e)
            tryNext(e)
        }
    }

    /// Starts the next site that is not known dead, or fails the file.
    func tryNext(_ e: Entry) {
        while let url = e.urls.first {
            e.urls.removeFirst()
            if deadOrigins.contains(FetchURL.origin(url)) {
                e.tried.append("\(url): skipped, the site did not answer earlier")
                continue
            }
            start(e, url)
            return
        }
        let why = "cannot fetch \(e.file.key): " + (e.tried.isEmpty ? "no site" : e.tried.joined(separator: "; "))
            + " (see \(logs.distfileLog(e.file.key)))"
        entryEnded(e, .failed(why))
    }

    func command(_ url: String, output: String) -> [String] {
        if let cmd = settings.command { return cmd + [output, url] }
        return ["curl", "--fail", "--location", "--max-redirs", "5", "--silent", "--show-error",
                "--connect-timeout", seconds(settings.connectTimeout),
                "--speed-limit", "1", "--speed-time", seconds(settings.stallTimeout),
                "--proto", "=http,https,ftp,file", "--proto-redir", "=http,https,ftp",
                "--output", output, url]
    }

    func seconds(_ s: Double) -> String { String(Int(max(1, s.rounded(.up)))) }

    func start(_ e: Entry, _ url: String) {
        let t = clock()
        e.url = url
        e.started = t
        let part = target(e) + ".part"
        let log = logs.distfileLog(e.file.key)
        do {
            try FileIO.makeDirectory((part as NSString).deletingLastPathComponent)
            try logs.files.makeDirectory((log as NSString).deletingLastPathComponent)
            try logs.files.append(">>> Fetching \(url) for \(e.subject) at \(LogFormat.epochWithDate(t))\n", to: log)
        } catch {
            storageFailed("\(error)")
            entryEnded(e, .failed("cannot prepare \(part): \(error)"))
            return
        }
        unlink(part)
        let spec = TaskSpec(argv: command(url, output: part), environment: ["BULKBUILD_FETCH": e.file.key],
                            logPath: log)
        e.handle = runner.start(spec) { [weak self] end in self?.fetchEnded(e, end) }
    }

    func fetchEnded(_ e: Entry, _ end: TaskEnd) {
        e.handle = nil
        let part = target(e) + ".part"
        guard !stopping else { unlink(part); return }
        let took = max(0.001, clock() - e.started)
        let url = e.url
        var why: String
        switch end {
        case .exited(0):
            if !FileIO.exists(part) {
                why = "the command left no file"
            } else if let bad = verify(e, part) {
                why = bad
                setAside(e, part)
            } else if rename(part, target(e)) != 0 {
                why = "cannot rename \(part) into place: \(String(cString: strerror(cp_errno())))"
            } else {
                let kb = Double(e.size ?? FileIO.size(target(e)) ?? 0) / 1024
                log(logs.fetchGoodLog, "\(url) in \(FileIO.stamp(took))s (\(FileIO.stamp(kb / took)) KB/s)\n")
                distLog(e, ">>> \(e.file.key) verified against \(e.checksumFile)\n")
                linkIntoCache(e)
                fetched += 1
                entryEnded(e, .done)
                return
            }
        case .exited(let code):
            why = "\(settings.command == nil ? "curl" : "FETCH_CMD") exit \(code)"
            // Could not resolve or connect, or timed out before a byte came:
            // the site is down, and the next file does not wait on it. A
            // transfer that stalled half-way says less about the site.
            let gotBytes = (FileIO.size(part) ?? 0) > 0
            if settings.command == nil && ([5, 6, 7].contains(code) || code == 28 && !gotBytes) {
                deadOrigins.insert(FetchURL.origin(url))
                why += " (site not answering)"
            }
            unlink(part)
        default:
            why = end.text
            unlink(part)
        }
        distLog(e, ">>> \(url): \(why)\n")
        log(logs.fetchBadLog, "\(url) \(why)\n")
        e.tried.append("\(url): \(why)")
        tryNext(e)
    }

    func entryEnded(_ e: Entry, _ phase: Phase) {
        e.phase = phase
        running.removeAll { $0 === e }
        queue.removeAll { $0 === e }
        switch phase {
        case .done:
            note(e.subject, .built, "")
            for p in e.waiters where failedPorts[p] == nil {
                let n = (left[p] ?? 1) - 1
                if n > 0 { left[p] = n; continue }
                left[p] = nil
                onReady(p)
            }
        case .failed(let why):
            note(e.subject, .error, "")
            for p in e.waiters { portFailed(p, why) }
        default: break
        }
        e.waiters = []
    }

    // MARK: - Logs

    func distLog(_ e: Entry, _ text: String) {
        let path = logs.distfileLog(e.file.key)
        do {
            try logs.files.makeDirectory((path as NSString).deletingLastPathComponent)
            try logs.files.append(text, to: path)
        } catch { storageFailed("\(error)") }
    }

    func log(_ path: String, _ text: String) {
        do {
            try logs.files.makeDirectory(logs.fetchDirectory)
            try logs.files.append(text, to: path)
        } catch { storageFailed("\(error)") }
    }

    /// The fetch jobs for the display and status.json.
    func snapshotJobs() -> [RunSnapshot.FetchJob] {
        running.map { e in
            let got = FileIO.size(target(e) + ".part")
            let pct = e.size.flatMap { s in got.map { s > 0 ? Int(min(100, $0 * 100 / s)) : 100 } }
            return RunSnapshot.FetchJob(distfile: e.file.key, attempt: e.tried.count + 1, pid: e.handle?.pid ?? 0,
                                        percent: pct)
        }
    }
}
