/// Terminal columns taken by text, and cutting text to a number of columns
/// without splitting a character. The table is ours, not the C library's,
/// so the layout does not depend on the process locale.
public enum DisplayText {
    /// Columns one character (grapheme cluster) takes: 0, 1 or 2.
    public static func width(of c: Character) -> Int {
        var sawBase = false
        for scalar in c.unicodeScalars {
            let v = scalar.value
            if isWide(v) || (scalar.properties.isEmojiPresentation && v > 0xFF) { return 2 }
            if v == 0xFE0F && sawBase && c.unicodeScalars.first!.properties.isEmoji { return 2 }
            if !isZeroWidth(scalar) { sawBase = true }
        }
        return sawBase ? 1 : 0
    }

    public static func width(of s: String) -> Int {
        var n = 0
        for c in s { n += width(of: c) }
        return n
    }

    /// The longest prefix of `s` that fits in `columns`.
    public static func prefix(_ s: String, columns: Int) -> String {
        if columns <= 0 { return "" }
        var used = 0
        var end = s.startIndex
        for i in s.indices {
            let w = width(of: s[i])
            if used + w > columns { break }
            used += w
            end = s.index(after: i)
        }
        return String(s[s.startIndex..<end])
    }

    /// Replaces control characters (C0, DEL, C1), which could move the
    /// cursor or start an escape sequence, with `?`.
    public static func sanitized(_ s: String) -> String {
        var needs = false
        for u in s.unicodeScalars where isControl(u.value) { needs = true; break }
        if !needs { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            out.append(isControl(u.value) ? "?" : u)
        }
        return String(out)
    }

    /// Non-ASCII characters become `?`, for terminals whose locale is not
    /// UTF-8. Keeps widths: a wide character becomes `??`.
    public static func asciiOnly(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isASCII { out.append(c) } else { out += String(repeating: "?", count: width(of: c)) }
        }
        return out
    }

    static func isControl(_ v: UInt32) -> Bool {
        v < 0x20 || v == 0x7F || (v >= 0x80 && v < 0xA0)
    }

    static func isZeroWidth(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return true
        default: break
        }
        let v = u.value
        return (v >= 0x1160 && v <= 0x11FF) || v == 0x200B || (v >= 0xFE00 && v <= 0xFE0F)
    }

    /// East Asian Wide and Fullwidth blocks, plus the emoji planes.
    static func isWide(_ v: UInt32) -> Bool {
        if v < 0x1100 { return false }
        return (v <= 0x115F) ||
            (v >= 0x231A && v <= 0x231B) ||
            (v >= 0x2E80 && v <= 0x303E) ||
            (v >= 0x3041 && v <= 0x33FF) ||
            (v >= 0x3400 && v <= 0x4DBF) ||
            (v >= 0x4E00 && v <= 0x9FFF) ||
            (v >= 0xA000 && v <= 0xA4CF) ||
            (v >= 0xAC00 && v <= 0xD7A3) ||
            (v >= 0xF900 && v <= 0xFAFF) ||
            (v >= 0xFE30 && v <= 0xFE4F) ||
            (v >= 0xFF00 && v <= 0xFF60) ||
            (v >= 0xFFE0 && v <= 0xFFE6) ||
            (v >= 0x1F300 && v <= 0x1F64F) ||
            (v >= 0x1F900 && v <= 0x1F9FF) ||
            (v >= 0x20000 && v <= 0x3FFFD)
    }
}

/// How a piece of a screen line looks. Every style stays readable without
/// colour: the text itself carries the meaning (`!`, `+`, words).
public enum TextStyle: Sendable, Equatable {
    case normal, bold, red, green, yellow, dim
}

public struct Segment: Sendable, Equatable {
    public var text: String
    public var style: TextStyle
    public init(_ text: String, _ style: TextStyle = .normal) {
        self.text = text; self.style = style
    }
}

/// One row of the screen: styled pieces, already cut to the width.
public struct ScreenLine: Sendable, Equatable {
    public var segments: [Segment]
    public init(_ segments: [Segment] = []) { self.segments = segments }
    public var text: String { segments.map(\.text).joined() }
    public var width: Int { DisplayText.width(of: text) }

    /// The same line cut to `columns`, never inside a character.
    public func truncated(to columns: Int) -> ScreenLine {
        var left = columns
        var out: [Segment] = []
        for seg in segments {
            if left <= 0 { break }
            let w = DisplayText.width(of: seg.text)
            if w <= left {
                out.append(seg); left -= w
            } else {
                let cut = DisplayText.prefix(seg.text, columns: left)
                if !cut.isEmpty { out.append(Segment(cut, seg.style)) }
                left = 0
            }
        }
        return ScreenLine(out)
    }
}
