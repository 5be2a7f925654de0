// The rule of ParallelPhases.swift in virtual time: a parallel port holds
// its extra cores only in its parallel phases, MAKE_JOBS goes to those
// phases only, and the tail lends idle cores that a new job takes back.
@testable import Build
import Engine
import Foundation
import HostPool
import Logs
import XCTest

final class ParallelPhaseTests: XCTestCase {
    /// What the big job and its host looked like at one moment.
    struct Sample { var t: Double; var phase: String; var swallowed: Int; var running: Int }

    /// Samples `path`'s job every second until `until` seconds after the start.
    func sample(_ h: Harness, _ path: String, until: Double) throws -> () -> [Sample] {
        let c = try h.prepare()
        var samples: [Sample] = []
        let start = h.world.now
        for k in 1...Int(until) {
            h.world.at(start + Double(k) + 0.5) {
                guard let job = c.jobs.first(where: { $0.path.canonical == path }) else { return }
                samples.append(Sample(t: Double(k) + 0.5, phase: job.phase, swallowed: job.swallowed,
                                      running: job.host.running.count))
            }
        }
        return { samples }
    }

    func testAParallelPortHoldsOneSlotOutsideBuildAndOtherPortsUseTheOther() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 2, local: true)]
        h.tree.add(FakePort(pkgpath: "devel/big", seconds: 60, properties: ["parallel"],
                            phaseSeconds: ["configure": 40, "fake": 30], scalable: 50))
        // Its dependent makes it the critical path, so it starts first.
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/big"], seconds: 5))
        for i in 0..<20 { h.tree.add(FakePort(pkgpath: "misc/s\(i)", seconds: 4)) }
        let samples = try sample(h, "devel/big", until: 200)
        XCTAssertEqual(try h.run(), 0)
        let s = samples()
        let outside = s.filter { ["configure", "fake"].contains($0.phase) }
        XCTAssertGreaterThan(outside.count, 40)
        for x in outside {
            XCTAssertEqual(x.swallowed, 0, "held an extra slot in \(x.phase) at \(x.t)")
        }
        // Small ports ran beside its configure and its fake.
        XCTAssertGreaterThan(outside.filter { $0.running == 2 }.count, outside.count * 3 / 4)
        // In build it held both slots once the other job ended.
        let build = s.filter { $0.phase == "build" }
        XCTAssertFalse(build.isEmpty)
        XCTAssertGreaterThan(build.filter { $0.swallowed == 1 && $0.running == 1 }.count, build.count / 2)
        // Its build took 10 + 50 / 2 s.
        let phases = h.tree.phases.filter { $0.path == "devel/big" }
        let b = try XCTUnwrap(phases.firstIndex { $0.phase == "build" })
        XCTAssertEqual(phases[b + 1].at - phases[b].at, 35, accuracy: 0.5)
    }

    func testMakeJobsGoesToBuildAndToThePhasesTheTreeMarks() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 4, local: true)]
        h.tree.add(FakePort(pkgpath: "devel/big", properties: ["parallel"]))
        h.tree.add(FakePort(pkgpath: "devel/marked", properties: ["parallel2", "parallel:configure"]))
        h.tree.add(FakePort(pkgpath: "devel/plain"))
        for i in 0..<8 { h.tree.add(FakePort(pkgpath: "misc/s\(i)", seconds: 20)) }
        XCTAssertEqual(try h.run(), 0)
        func jobs(_ path: String) -> [String: Int] {
            var out: [String: Int] = [:]
            for p in h.tree.phases where p.path == path { if let n = p.makeJobs { out[p.phase] = n } }
            return out
        }
        XCTAssertEqual(Array(jobs("devel/big").keys), ["build"])
        XCTAssertEqual(Set(jobs("devel/marked").keys), ["configure", "build"])
        XCTAssertEqual(jobs("devel/plain"), [:])
        // While other ports wait, a parallel port gets its k cores, no more.
        XCTAssertEqual(jobs("devel/big")["build"], 2)
        XCTAssertEqual(jobs("devel/marked")["configure"], 2)
        // build.log records the cores of its build.
        let log = h.files.read(h.logs.buildLog) ?? ""
        XCTAssertTrue(log.contains("devel/big localhost/4*2 "), log)
        XCTAssertTrue(log.contains("devel/plain localhost/4 "), log)
    }

    func testTheTailLendsIdleCoresToTheParallelPhaseAboutToStart() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 4, local: true)]
        h.tree.add(FakePort(pkgpath: "devel/big", seconds: 90, properties: ["parallel"], scalable: 80))
        let c = try h.prepare()
        var shown: [RunSnapshot.Job] = []
        h.world.at(h.world.now + 15) { shown = c.snapshot(h.world.now).jobs }
        XCTAssertEqual(try h.run(), 0)
        // The screen: 3 extra slots held, MAKE_JOBS 4, on the critical path.
        XCTAssertEqual(shown.map { "\($0.phase) \($0.swallowed) \($0.makeJobs ?? 0) \($0.criticalPath ?? false)" },
                       ["build 3 4 true"])
        let build = try XCTUnwrap(h.tree.phases.first { $0.path == "devel/big" && $0.phase == "build" })
        // k is 2 on 4 slots; the other two slots had nothing to do.
        XCTAssertEqual(build.makeJobs, 4)
        let next = try XCTUnwrap(h.tree.phases.first { $0.path == "devel/big" && $0.at > build.at })
        XCTAssertEqual(next.at - build.at, 10 + 80 / 4, accuracy: 0.5)
        XCTAssertEqual(next.makeJobs, nil)
    }

    func testAPortThatBecomesReadyTakesALentSlotBack() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 4, local: true)]
        h.tree.add(FakePort(pkgpath: "devel/big", seconds: 200, properties: ["parallel"],
                            phaseSeconds: ["configure": 5], scalable: 150))
        h.tree.add(FakePort(pkgpath: "devel/first", seconds: 30))
        h.tree.add(FakePort(pkgpath: "www/a1", deps: ["devel/first"], seconds: 10))
        h.tree.add(FakePort(pkgpath: "www/a2", deps: ["devel/first"], seconds: 10))
        let samples = try sample(h, "devel/big", until: 120)
        XCTAssertEqual(try h.run(), 0)
        let build = try XCTUnwrap(h.tree.phases.first { $0.path == "devel/big" && $0.phase == "build" })
        // Beside devel/first: its own extra core and the one idle slot.
        XCTAssertEqual(build.makeJobs, 3)
        let first = try XCTUnwrap(h.tree.phases.first { $0.path == "devel/first" && $0.phase == "package" })
        let a1 = try XCTUnwrap(h.tree.phases.first { $0.path == "www/a1" && $0.phase == "depends" })
        let a2 = try XCTUnwrap(h.tree.phases.first { $0.path == "www/a2" && $0.phase == "depends" })
        // Both started as soon as devel/first was packaged, during big's build.
        XCTAssertLessThan(a1.at - first.at, 1)
        XCTAssertLessThan(a2.at - first.at, 1)
        let s = samples().filter { $0.phase == "build" }
        XCTAssertTrue(s.contains { $0.swallowed == 2 }, "never held its lent slot")
        XCTAssertTrue(s.contains { $0.swallowed == 1 && $0.running == 3 }, "the lent slot was not taken back")
    }

    func testALonesomePortHoldsTheHostForItsWholeJob() throws {
        let h = try Harness()
        h.hostSpecs = [FakeHostSpec(name: "localhost", slots: 3, local: true)]
        h.tree.add(FakePort(pkgpath: "devel/alone", deps: [], seconds: 30, properties: ["lonesome"],
                            phaseSeconds: ["configure": 20]))
        h.tree.add(FakePort(pkgpath: "www/user", deps: ["devel/alone"], seconds: 5))
        for i in 0..<4 { h.tree.add(FakePort(pkgpath: "misc/s\(i)", seconds: 4)) }
        let samples = try sample(h, "devel/alone", until: 80)
        XCTAssertEqual(try h.run(), 0)
        let s = samples().filter { $0.running == 1 }
        XCTAssertTrue(s.contains { $0.phase == "configure" })
        for x in s { XCTAssertEqual(x.swallowed, 2, "in \(x.phase) at \(x.t)") }
        let phases = h.tree.phases.filter { $0.path == "devel/alone" }
        XCTAssertEqual(phases.filter { $0.makeJobs != nil }.map { $0.phase }, ["build"])
    }
}
