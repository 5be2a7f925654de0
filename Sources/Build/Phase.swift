/// What a job on a copy host does between two make phases: shown as its
/// phase on the screen and in status.json.
enum TransferStep: String, Sendable {
    /// The tree, distfiles and packages it needs go to the host.
    case sending
    /// The packages it made come back into the master's repository.
    case bringingBack = "bringing-back"

    var logTitle: String { self == .sending ? "Sending files" : "Bringing back packages" }
    var hostsLogVerb: String { self == .sending ? "sent" : "brought back" }
}

/// The phases of a port build (the tree protocol's make targets) and the
/// run's policy for each.
enum Phase: String, Sendable, CaseIterable {
    case clean, depends, prepare, fetch, checksum, patch, configure, build, fake, package, junk

    /// Installs or removes packages on its host: holds the host's depends
    /// lock, so that no two such phases run there at once.
    var needsHostLock: Bool { self == .depends || self == .prepare || self == .junk }

    /// Past it the distfiles are on the build host: a restarted build of
    /// the port should come back there (affinity).
    var setsAffinity: Bool { self == .fetch || self == .checksum }

    /// The phases of one build, in order.
    /// - cleanFirst: the work directory may hold leftovers (or -c).
    /// - install: it has packages to install (else no `depends`, as dpb).
    /// - small: a port known to build fast skips patch, configure and fake.
    /// - fetchJobs: its distfiles came through fetch jobs: only checked.
    /// - cleanAfter: not kept with -C.
    static func sequence(cleanFirst: Bool, install: Bool, small: Bool, fetchJobs: Bool,
                         cleanAfter: Bool) -> [Phase] {
        var out: [Phase] = cleanFirst ? [.clean] : []
        if install { out.append(.depends) }
        out += [.prepare, fetchJobs ? .checksum : .fetch]
        out += small ? [.build, .package] : [.patch, .configure, .build, .fake, .package]
        if cleanAfter { out.append(.clean) }
        return out
    }
}
