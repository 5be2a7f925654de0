#if canImport(Glibc)
import Glibc
#endif

/// What the coordinator knows about how the run should be shown.
public struct ReporterOptions {
    /// `-m`: the screen even when the output is not a terminal.
    public var forceScreen = false
    /// `-x`: no screen; only the important events and the final summary.
    public var importantOnly = false
    /// DISPLAY_TIMEOUT: the coordinator calls `update` at least this often.
    public var displayTimeout: Double = 10
    /// NO_CURSOR: hide the cursor while the screen is up.
    public var noCursor = false
    /// Where the screen or the lines go.
    public var outputFD: Int32 = 1
    /// How often the plain reporter may print the counters.
    public var summaryInterval: Double = 60
    public init() {}
}

/// Picks the reporter for a run:
///
/// 1. `importantOnly` (`-x`) → `PlainReporter` in important-only mode,
///    whatever else is set (`-x` is a request for no screen).
/// 2. `forceScreen` (`-m`) → `CursesReporter` on the output if it is a
///    terminal, else on /dev/tty, else on the output as it is; TERM is used
///    when usable, otherwise `xterm` or `vt100`. If none loads, plain.
/// 3. Otherwise the screen only when the output is a terminal, TERM is set
///    and not `dumb`, terminfo knows it (`setupterm`) and it has cursor
///    addressing (`cup`); anything else → `PlainReporter` with every event
///    and a counters line at most every `summaryInterval` seconds.
///
/// ncurses never gets the chance to end the process: `initscr` is not
/// used, and its INT/TERM/TSTP/WINCH handlers are kept out.
public func makeReporter(options: ReporterOptions) -> Reporter {
    if options.importantOnly {
        return PlainReporter(fd: options.outputFD, importantOnly: true,
                             summaryInterval: options.summaryInterval)
    }
    var config = CursesReporter.Config()
    config.displayTimeout = options.displayTimeout
    config.noCursor = options.noCursor
    if let screen = CursesReporter.open(fd: options.outputFD, force: options.forceScreen, config: config) {
        return screen
    }
    return PlainReporter(fd: options.outputFD, importantOnly: false, summaryInterval: options.summaryInterval)
}
