import XCTest
import Foundation
import Engine

// StatusFileSource.swift and StatusJSONSource.swift are links to
// Sources/Logs/StatusFile.swift and StatusJSON.swift: this test target
// cannot depend on Logs, so it compiles the same sources.
final class StatusFileTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "/statusfile-\(getpid())-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testRoundTrip() throws {
        var s = sampleSnapshot()
        s.stopping = true
        s.estimatedFinish = nil
        let path = StatusFile.path(inLogDir: dir)
        try StatusFile.write(s, to: path)
        XCTAssertEqual(try StatusFile.read(path), s)
        // Nothing left behind but the file itself.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["status.json"])
        // Field names are the documented format.
        let json = try String(contentsOfFile: path, encoding: .utf8)
        for key in ["\"counts\"", "\"installable\"", "\"jobs\"", "\"expectedLogSize\"", "\"history\""] {
            XCTAssertTrue(json.contains(key), key)
        }
    }

    func testMissingAndCorruptNameTheFile() throws {
        let path = dir + "/status.json"
        XCTAssertThrowsError(try StatusFile.read(path)) { err in
            XCTAssertTrue("\(err)".contains(path))
            guard case StatusFile.Failure.missing = err else { return XCTFail("\(err)") }
        }
        try "{\"pid\": 3, ".write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try StatusFile.read(path)) { err in
            XCTAssertTrue("\(err)".contains(path))
            guard case StatusFile.Failure.corrupt = err else { return XCTFail("\(err)") }
        }
    }

    func testWriteCost() throws {
        var s = sampleSnapshot()
        s.jobs = (0..<32).map { .init(path: "cat/port\($0)", phase: "build", host: "b\($0 % 4)", pid: Int32($0),
                                      started: s.time, logSize: 1000) }
        s.history = Array(repeating: s.history[0], count: 50)
        let path = dir + "/status.json"
        let start = Date()
        for _ in 0..<50 { try StatusFile.write(s, to: path) }
        let each = Date().timeIntervalSince(start) / 50
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
        let encStart = Date()
        for _ in 0..<50 { _ = try StatusFile.encode(s) }
        let enc = Date().timeIntervalSince(encStart) / 50
        print("measured: encoding alone \(Int(enc * 1e6)) µs")
        print("measured: status.json of \(size ?? 0) bytes written (encode, fsync, rename) in \(Int(each * 1e6)) µs")
    }

    func testWriteIntoMissingDirectoryFails() {
        XCTAssertThrowsError(try StatusFile.write(sampleSnapshot(), to: dir + "/nope/status.json"))
    }

    /// A reader never sees a partial file while a writer keeps replacing it.
    func testReplaceIsAtomicUnderConcurrentReads() throws {
        let path = dir + "/status.json"
        var big = sampleSnapshot()
        big.history += big.history + big.history + big.history // a few KB more
        try StatusFile.write(big, to: path)
        let stop = ManagedAtomicFlag()
        let reads = ManagedCounter()
        let failures = ManagedCounter()
        let expectedPid = big.pid
        let reader = Thread {
            while !stop.value {
                do {
                    let s = try StatusFile.read(path)
                    if s.pid != expectedPid { failures.add() }
                    reads.add()
                } catch {
                    failures.add()
                }
            }
        }
        reader.start()
        for i in 0..<300 {
            big.counts.queued = i
            try StatusFile.write(big, to: path)
        }
        stop.value = true
        while !reader.isFinished { usleep(1000) }
        XCTAssertEqual(failures.count, 0)
        XCTAssertGreaterThan(reads.count, 10)
        XCTAssertEqual(try StatusFile.read(path).counts.queued, 299)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["status.json"])
    }
}

/// Small lock-protected values shared with a reader thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var v = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return n }
}
