import Engine
import XCTest
@testable import Logs

final class PhaseHistoryTests: XCTestCase {
    let lines = """
        devel/plain localhost/2 5.14 828 max_stuck=2.54/prepare=0.04/configure=0.95/build=3.03/fake=0.95/clean=0.05
        x11/par localhost/4*2 12.00 811 max_stuck=2.22/prepare=0.10/configure=1.50/build=4.00/fake=0.40/package=0.10
        x11/par fast/4*4 9.00 811 max_stuck=2.22/prepare=0.10/configure=1.50/build=2.00/fake=0.40/package=0.10
        x11/failed localhost/4*2 3.00 100 max_stuck=1/configure=1.00/build=0.50!
        x11/half localhost/4*2 3.00 100 max_stu
        x11/nobuild localhost/4*2 3.00 100 max_stuck=1/configure=1.00
        x11/once localhost/4*2 8.00 100 max_stuck=1/configure=1.00/build=3.00/fake=0.00

        """

    func testReadsPhasesAroundTheBuildAndSkipsFailedAndBrokenLines() {
        let h = PhaseHistory.parse(lines)
        XCTAssertEqual(Set(h.builds.keys), ["devel/plain", "x11/par", "x11/once"])
        XCTAssertEqual(h.builds["x11/par"]?.map(\.cores), [2, 4])
        let first = h.builds["x11/par"]![0]
        XCTAssertEqual(first.before, 1.6, accuracy: 1e-9)
        XCTAssertEqual(first.build, 4.0, accuracy: 1e-9)
        XCTAssertEqual(first.after, 0.5, accuracy: 1e-9)
    }

    func testTimingsFitSerialAndScalablePartsAcrossCores() throws {
        // 4.0 s on 2 cores at sf 1 and 2.0 s on 4 cores at sf 1.5: 3.0 at sf 1.
        let t = PhaseHistory.parse(lines).timings { $0 == "fast" ? 1.5 : 1 }
        XCTAssertNil(t["devel/plain"], "not parallel: its weight is enough")
        let par = try XCTUnwrap(t["x11/par"])
        // y = s + c / k through (1/2, 4) and (1/4, 3): c = 4, s = 2.
        XCTAssertEqual(par.serial, 2, accuracy: 1e-9)
        XCTAssertEqual(par.scalable, 4, accuracy: 1e-9)
        XCTAssertEqual(par.before, (1.6 + 1.6 * 1.5) / 2, accuracy: 1e-9)
        XCTAssertEqual(par.time(cores: 2), par.before + 4 + par.after, accuracy: 1e-9)
        // One value of cores: all of the build scales.
        let once = try XCTUnwrap(t["x11/once"])
        XCTAssertEqual(once.serial, 0)
        XCTAssertEqual(once.time(cores: 2), 4, accuracy: 1e-9)
    }

    func testAMissingLogIsNoHistory() {
        XCTAssertTrue(PhaseHistory.read("/nonexistent/build.log").builds.isEmpty)
    }

    func testKeepsOnlyTheLastBuildsOfAPath() {
        var text = ""
        for k in 1...15 { text += "a/b localhost/4*2 1 1 max_stuck=0/build=\(k).00\n" }
        let builds = PhaseHistory.parse(text).builds["a/b"] ?? []
        XCTAssertEqual(builds.map(\.build), (6...15).map(Double.init))
    }
}
