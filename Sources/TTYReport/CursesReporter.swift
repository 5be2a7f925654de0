#if canImport(Glibc)
import Glibc
#endif
import CNcurses
import CPosix
import Engine

/// The live screen, drawn with ncursesw. Every call must come from the
/// same thread (the coordinator's, or monitor's main loop).
///
/// Redraws only rows whose text or style changed; a plain `update` redraws
/// at most every `minInterval` seconds (a few times a second), a forced one
/// at once. The caller promises an `update` at least every
/// `displayTimeout` seconds, so the clock and elapsed time keep moving.
/// The window size is read with TIOCGWINSZ on every update, so a resize is
/// seen even though ncurses is not allowed to catch SIGWINCH.
public final class CursesReporter: Reporter {
    public struct Config {
        public var displayTimeout: Double = 10
        public var noCursor = false
        /// cbreak mode, for `readKey` (monitor).
        public var readsKeys = false
        /// Least time between two unforced redraws.
        public var minInterval: Double = 0.25
        /// How long an event keeps its row on the screen, and how many do.
        public var eventSeconds: Double = 120
        public var maxEvents = 3
        public init() {}
    }

    private let config: Config
    private let screen: OpaquePointer
    private let outFile: UnsafeMutablePointer<FILE>
    private let inFile: UnsafeMutablePointer<FILE>
    private let outFD: Int32
    private let plainFD: Int32
    private let utf8: Bool
    private let keysFromTTY: Bool
    private var rows: Int
    private var cols: Int
    private var drawn: [ScreenLine] = []
    private var last = RunSnapshot()
    private var lastDraw = -Double.infinity
    private var suspended = false
    private var closed = false
    private var recent: [ScreenLayout.RecentEvent] = []
    /// A line of its own for the header (monitor: stale or unreadable file).
    public var notice: String?

    /// Opens the screen on `fd` (normally 1), or on /dev/tty when `force`
    /// is set and `fd` is not a terminal. Returns nil when no usable
    /// terminal is there; see `makeReporter` for the rule. `plainFD` gets
    /// the final summary once the screen is gone.
    public static func open(fd: Int32 = 1, force: Bool = false, config: Config = Config(),
                            plainFD: Int32? = nil) -> CursesReporter? {
        setlocale(LC_CTYPE, "")
        var outFD = fd
        var term = TerminalCheck.termName()
        if isatty(fd) == 0 {
            guard force else { return nil }
            let tty = Glibc.open("/dev/tty", O_RDWR | O_CLOEXEC)
            if tty >= 0 { outFD = tty }
        }
        if !TerminalCheck.usable(term: term, fd: outFD) {
            guard force else {
                if outFD != fd { Glibc.close(outFD) }
                return nil
            }
            // -m with an unknown or dumb TERM: try common terminal types.
            term = ["xterm", "vt100"].first { TerminalCheck.usable(term: $0, fd: outFD) }
            if term == nil {
                if outFD != fd { Glibc.close(outFD) }
                return nil
            }
        }
        let dupOut = dup(outFD)
        if outFD != fd { Glibc.close(outFD) }
        guard dupOut >= 0, let out = fdopen(dupOut, "w") else { return nil }
        // Keys come from stdin when it is a terminal; otherwise there are
        // none to read (a write-only fd cannot be opened for reading).
        let inFD = isatty(0) != 0 ? dup(0) : Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard inFD >= 0, let input = fdopen(inFD, "r") else { fclose(out); return nil }

        let guarded = [SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP, SIGWINCH].filter { cn_ignore_if_default($0) != 0 }
        let scr = term.map { name in name.withCString { newterm($0, out, input) } } ?? newterm(nil, out, input)
        for sig in guarded { cn_restore_default(sig) }
        guard let scr else { fclose(out); fclose(input); return nil }
        return CursesReporter(screen: scr, out: out, input: input, outFD: dupOut,
                              plainFD: plainFD ?? fd, config: config, keysFromTTY: isatty(inFD) != 0)
    }

    private init(screen: OpaquePointer, out: UnsafeMutablePointer<FILE>, input: UnsafeMutablePointer<FILE>,
                 outFD: Int32, plainFD: Int32, config: Config, keysFromTTY: Bool) {
        self.keysFromTTY = keysFromTTY
        self.screen = screen
        self.outFile = out
        self.inFile = input
        self.outFD = outFD
        self.plainFD = plainFD
        self.config = config
        self.utf8 = cn_locale_is_utf8() != 0
        rows = Int(cn_lines())
        cols = Int(cn_cols())
        setupModes()
    }

    deinit {
        if !closed { closeScreen() }
    }

    private func setupModes() {
        let win = cn_stdscr()
        noecho()
        nonl()
        if config.readsKeys {
            cbreak()
            keypad(win, true)
        }
        leaveok(win, false)
        scrollok(win, false)
        if has_colors() {
            start_color()
            let bg: Int16 = use_default_colors() == OK ? -1 : Int16(COLOR_BLACK)
            init_pair(1, Int16(COLOR_RED), bg)
            init_pair(2, Int16(COLOR_GREEN), bg)
            init_pair(3, Int16(COLOR_YELLOW), bg)
        }
        if config.noCursor { curs_set(0) }
    }

    // MARK: Reporter

    public func update(_ snapshot: RunSnapshot, force: Bool) {
        last = snapshot
        guard !suspended, !closed else { return }
        let now = cp_now()
        let resized = checkSize()
        if force || resized || now - lastDraw >= min(config.minInterval, config.displayTimeout) {
            draw(now: now)
        }
    }

    /// Jobs starting and ending and ignored paths show in the job list and
    /// the history; anything else gets a row for `eventSeconds`.
    public func event(_ event: ReportEvent, at time: Double) {
        switch event {
        case .jobStarted, .jobEnded, .ignored: return
        default: break
        }
        guard let text = PlainReporter.describe(event, importantOnly: false) else { return }
        let severe: Bool
        switch event {
        case .jobFailed, .jobNotFinished, .hostDown, .killedStuck: severe = true
        default: severe = false
        }
        recent.append(ScreenLayout.RecentEvent(time: time, text: text, severe: severe))
        if recent.count > config.maxEvents { recent.removeFirst(recent.count - config.maxEvents) }
    }

    public func finish(_ snapshot: RunSnapshot) {
        guard !closed else { return }
        last = snapshot
        if !suspended { _ = checkSize(); draw(now: cp_now()) }
        closeScreen()
        let now = cp_now()
        writeAll(plainFD, ReportFormat.finalSummary(snapshot, now: now).joined(separator: "\n") + "\n")
    }

    public func suspend() {
        guard !suspended, !closed else { return }
        suspended = true
        if config.noCursor { curs_set(1) }
        endwin()
        fflush(outFile)
    }

    public func resume() {
        guard suspended, !closed else { return }
        suspended = false
        if config.noCursor { curs_set(0) }
        _ = checkSize()
        repaintAll()
        draw(now: cp_now())
    }

    /// Gives the terminal back without printing anything (monitor's
    /// exit); `finish` is the end of a run.
    public func close() {
        guard !closed else { return }
        closeScreen()
    }

    // MARK: Keys (monitor)

    /// Waits up to `timeoutMs` for a key; nil on timeout or interruption.
    /// Without a terminal on stdin it only waits.
    public func readKey(timeoutMs: Int32) -> Int32? {
        guard !closed, !suspended, keysFromTTY else {
            var ts = timespec(tv_sec: Int(timeoutMs / 1000), tv_nsec: Int(timeoutMs % 1000) * 1_000_000)
            nanosleep(&ts, nil)
            return nil
        }
        let win = cn_stdscr()
        wtimeout(win, timeoutMs)
        let c = wgetch(win)
        if c == cn_err() { return nil }
        if c == cn_key_resize() {
            _ = checkSize()
            draw(now: cp_now())
        }
        return c
    }

    /// Redraws everything from the last snapshot (after a resize, or when
    /// the caller thinks the terminal was scribbled on).
    public func redraw() {
        guard !closed, !suspended else { return }
        _ = checkSize()
        repaintAll()
        draw(now: cp_now())
    }

    // MARK: Drawing

    private func closeScreen() {
        closed = true
        if config.noCursor { curs_set(1) }
        if !suspended { endwin() }
        fflush(outFile)
        delscreen(screen)
        fclose(outFile)
        fclose(inFile)
    }

    private func repaintAll() {
        drawn = []
        clearok(cn_curscr(), true)
    }

    /// True when the terminal size changed since the last look.
    private func checkSize() -> Bool {
        var ws = winsize()
        guard cp_ioctl_winsize(outFD, &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return false }
        let r = Int(ws.ws_row), c = Int(ws.ws_col)
        if r == rows && c == cols && Int(cn_lines()) == r && Int(cn_cols()) == c { return false }
        resizeterm(Int32(r), Int32(c))
        rows = r; cols = c
        werase(cn_stdscr())
        repaintAll()
        return true
    }

    private func draw(now: Double) {
        lastDraw = now
        recent.removeAll { now - $0.time > config.eventSeconds }
        let lines = ScreenLayout.render(last, width: cols, height: rows, now: now,
                                        notice: notice, recent: recent)
        let win = cn_stdscr()
        var newDrawn: [ScreenLine] = []
        for y in 0..<rows {
            var line = y < lines.count ? lines[y] : ScreenLine()
            // Keep off the bottom-right cell: writing there may scroll.
            if y == rows - 1 { line = line.truncated(to: cols - 1) }
            newDrawn.append(line)
            if y < drawn.count && drawn[y] == line { continue }
            wmove(win, Int32(y), 0)
            var x = 0
            let limit = y == rows - 1 ? cols - 1 : cols
            for seg in line.segments {
                let (end, whole) = put(win, seg, x: x, limit: limit)
                x = end
                if !whole { break }
            }
            wattr_set(win, cn_a_normal(), 0, nil)
            // A full row leaves the cursor on the next one: clearing there
            // would wipe a row this pass may not redraw.
            if x < cols { wclrtoeol(win) }
        }
        drawn = newDrawn
        wmove(win, Int32(max(0, min(rows - 1, lines.count))), 0)
        wrefresh(win)
    }

    /// Writes `seg` from column `x`, character by character, stopping
    /// before `limit`; returns the new column and whether all of it fit.
    /// Widths come from the C
    /// library here, the one ncurses uses, so even where it disagrees with
    /// the layout's table nothing wraps.
    private func put(_ win: UnsafeMutablePointer<WINDOW>?, _ seg: Segment, x start: Int, limit: Int) -> (Int, Bool) {
        var attr = cn_a_normal()
        var pair: Int16 = 0
        let colors = has_colors()
        switch seg.style {
        case .normal: break
        case .bold: attr = cn_a_bold()
        case .dim: attr = cn_a_dim()
        case .red: if colors { pair = 1 }; attr = cn_a_bold()
        case .green: if colors { pair = 2 }
        case .yellow: if colors { pair = 3 } else { attr = cn_a_bold() }
        }
        wattr_set(win, attr, pair, nil)
        let text = utf8 ? seg.text : DisplayText.asciiOnly(seg.text)
        var x = start
        var whole = true
        var wide: [wchar_t] = []
        wide.reserveCapacity(text.unicodeScalars.count + 1)
        for c in text {
            var cells = 0
            var chars: [wchar_t] = []
            for u in c.unicodeScalars {
                let wc = wchar_t(bitPattern: u.value)
                let w = Int(cn_wcwidth(wc))
                if chars.isEmpty {
                    if w < 0 { chars.append(wchar_t(63)); cells = 1; continue } // "?"
                    if w == 0 { chars.append(wchar_t(32)); cells = 1 } // lone mark: over a space
                    cells = max(cells, w)
                } else if w > 0 {
                    continue // a second spacing character in one cluster: drop it
                }
                chars.append(wc)
            }
            if x + cells > limit { whole = false; break }
            wide += chars
            x += cells
        }
        wide.append(0)
        waddnwstr(win, wide, Int32(wide.count - 1))
        return (x, whole)
    }
}

/// Whether the terminal named by TERM can carry the screen.
public enum TerminalCheck {
    /// TERM, or nil when unset or empty.
    public static func termName() -> String? {
        guard let t = getenv("TERM") else { return nil }
        let s = String(cString: t)
        return s.isEmpty ? nil : s
    }

    /// `term` (nil: none) is set, not `dumb`, known to terminfo and able
    /// to move the cursor, as seen from `fd`.
    public static func usable(term: String?, fd: Int32) -> Bool {
        guard let term, term != "dumb" else { return false }
        return term.withCString { cn_terminal_usable($0, fd) } != 0
    }
}
