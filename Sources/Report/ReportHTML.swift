import Foundation

/// The report as one self-contained HTML page: inline CSS, an inline SVG
/// timeline and a little inline script for the details of a bar. Nothing
/// is loaded from anywhere.
public enum ReportHTML {
    /// Above this many jobs the timeline draws one row per host (busy
    /// cores over time) instead of a bar per job, so a 34,000-port run
    /// stays a few hundred KB and opens at once.
    public static let maxBars = 4000
    static let width = 1400.0
    static let label = 150.0
    static let buckets = 700

    /// `logBase` is put before each job's log (`paths/X.log`): "" when the
    /// page lives in the log directory.
    public static func render(_ r: RunReport, logBase: String = "") -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        out += "<title>bulkbuild report: \(esc(r.logDir))</title>\n<style>\(css)</style></head>\n<body>\n"
        out += "<pre id=\"jserror\" hidden></pre>\n"
        out += "<h1>bulkbuild run report</h1>\n<p class=\"sub\">\(esc(r.logDir)) &middot; \(r.ended ? "finished" : "still running") &middot; "
        out += "started \(date(r.start)), \(r.ended ? "ended" : "report at") \(date(r.end)) UTC</p>\n"
        out += summary(r)
        out += failures(r, logBase: logBase)
        out += timeline(r, logBase: logBase)
        out += slowest(r)
        out += skipped(r)
        if !r.notes.isEmpty { out += "<h2>Notes</h2><ul>" + r.notes.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n" }
        out += script
        out += "</body></html>\n"
        return out
    }

    // MARK: - Sections

    static func summary(_ r: RunReport) -> String {
        let c = r.counts
        var s = "<h2>Summary</h2>\n<div class=\"cards\">"
        func card(_ n: String, _ what: String, _ cls: String = "") { s += "<div class=\"card \(cls)\"><b>\(n)</b>\(what)</div>" }
        card("\(c.built)", "built", "built")
        card("\(c.failed)", "failed", c.failed > 0 ? "failed" : "")
        if c.notFinished > 0 { card("\(c.notFinished)", "not finished", "notFinished") }
        if c.running > 0 { card("\(c.running)", "running", "running") }
        card("\(c.ignored)", "ignored")
        card("\(c.blocked)", "blocked")
        if c.locked > 0 { card("\(c.locked)", "locked") }
        if c.notBuilt > 0 { card("\(c.notBuilt)", "not built", "failed") }
        card("\(c.alreadyBuilt)", "packages without a job")
        card(dur(r.wallSeconds), "wall time")
        s += "</div>\n<table class=\"kv\">"
        if let b = r.bounds {
            s += row("build span (first job start to last job end)", dur(b.buildSpan))
            s += row("critical path of jobs (lower bound)", dur(b.criticalPath))
            s += row("work / slots (lower bound)", "\(dur(b.work / max(1, b.capacity))) (\(dur(b.work)) on \(Int(b.capacity)) slots)")
            s += row("tight lower bound", dur(b.tight))
            s += row("span / tight bound", String(format: "%.2f", b.ratio))
        }
        if let e = r.estimate {
            s += row("estimate", String(format: "made %@ into the run: %@ left; it took %@ (error %@%@",
                                        dur(e.madeAt), dur(e.predicted), dur(e.actual), e.error < 0 ? "-" : "+",
                                        dur(abs(e.error))) + (e.percent.map { String(format: ", %+.1f%%", $0) } ?? "") + ")")
        }
        s += "</table>\n<table><tr><th>host</th><th>slots</th><th>jobs</th><th>busy</th><th>utilisation</th><th>down</th></tr>"
        for h in r.hosts {
            let down = h.down.reduce(0) { $0 + $1.end - $1.start }
            s += "<tr><td>\(esc(h.name))</td><td>\(h.slots)</td><td>\(h.jobs)</td><td>\(dur(h.busySeconds))</td>"
            s += "<td><span class=\"meter\"><span style=\"width:\(Int(h.utilisation * 100))%\"></span></span> \(String(format: "%.0f%%", h.utilisation * 100))</td>"
            s += "<td>\(h.down.isEmpty ? "" : "\(dur(down)): " + esc(h.down.map(\.reason).joined(separator: "; ")))</td></tr>"
        }
        return s + "</table>\n"
    }

    static func failures(_ r: RunReport, logBase: String) -> String {
        guard !r.failures.isEmpty else { return "<h2>Failures</h2><p>None.</p>\n" }
        var s = "<h2>Failures (\(r.failures.count))</h2>\n"
        for (k, f) in r.failures.enumerated() {
            // The first ones open; a long list stays a list.
            s += "<details class=\"fail\"\(k < 10 ? " open" : "")><summary><b>\(esc(f.path))</b>"
            if let p = f.phase { s += " in <i>\(esc(p))</i>" }
            if let h = f.host { s += " on \(esc(h))" }
            if let st = f.status { s += ": \(esc(st))" }
            s += " &middot; <a href=\"\(esc(logBase + f.log))\">whole log</a></summary>"
            if !f.tail.isEmpty { s += "<pre>\(esc(f.tail.joined(separator: "\n")))</pre>" }
            s += "</details>\n"
        }
        return s
    }

    static func slowest(_ r: RunReport) -> String {
        guard !r.slowest.isEmpty else { return "" }
        var s = "<h2>Slowest ports</h2>\n<table><tr><th>port</th><th>host</th><th>time</th><th>history</th><th>vs history</th></tr>"
        for p in r.slowest {
            let hist = p.historyMean.map { "\(dur($0)) (mean of \(p.historyCount))" } ?? "none"
            let ratio = p.ratio.map { String(format: "%.2f&times;", $0) } ?? ""
            let cls = (p.ratio ?? 1) > 1.25 ? " class=\"worse\"" : (p.ratio ?? 1) < 0.8 ? " class=\"better\"" : ""
            s += "<tr><td>\(esc(p.path))</td><td>\(esc(p.host))</td><td>\(dur(p.seconds))</td><td>\(hist)</td><td\(cls)>\(ratio)</td></tr>"
        }
        return s + "</table>\n"
    }

    static func skipped(_ r: RunReport) -> String {
        guard !r.skipped.isEmpty else { return "" }
        var s = "<h2>Not built: ignored, blocked, locked, waiting (\(r.skipped.count))</h2>\n<table><tr><th>port</th><th>why</th><th>reason</th></tr>"
        for k in r.skipped { s += "<tr><td>\(esc(k.path))</td><td>\(k.kind)</td><td>\(esc(k.reason))</td></tr>" }
        return s + "</table>\n"
    }

    // MARK: - Timeline

    static func timeline(_ r: RunReport, logBase: String) -> String {
        let t0 = r.start
        let span = max(1, r.end - r.start)
        let scale = (width - label - 10) / span
        func x(_ t: Double) -> Double { label + (t - t0) * scale }
        let perJob = r.jobs.count <= maxBars
        let totalLanes = r.hosts.reduce(0) { $0 + $1.lanes }
        let lane: Double = perJob ? (totalLanes > 120 ? 6 : 16) : 40
        var svg = ""
        var y = 24.0
        // The axis: a tick every "nice" interval.
        let step = niceStep(span / 10)
        var ticks = ""
        var t = 0.0
        while t <= span {
            ticks += "<line x1=\"\(f(x(t0 + t)))\" y1=\"18\" x2=\"\(f(x(t0 + t)))\" y2=\"@H\" class=\"tick\"/><text x=\"\(f(x(t0 + t)))\" y=\"14\" class=\"axis\">\(dur(t))</text>"
            t += step
        }
        let critical = Set(r.criticalPath)
        var data: [[String]] = []
        for h in r.hosts {
            let rows = perJob ? Double(h.lanes) : 1
            let height = rows * lane
            svg += "<text x=\"4\" y=\"\(f(y + min(height, lane) / 2 + 4))\" class=\"host\">\(esc(h.name))</text>"
            svg += "<rect x=\"\(f(label))\" y=\"\(f(y))\" width=\"\(f(width - label - 10))\" height=\"\(f(height))\" class=\"idle\"/>"
            if perJob {
                for k in 1..<max(1, h.lanes) { svg += "<line x1=\"\(f(label))\" x2=\"\(f(width - 10))\" y1=\"\(f(y + Double(k) * lane))\" y2=\"\(f(y + Double(k) * lane))\" class=\"lane\"/>" }
            }
            for d in h.down {
                svg += "<rect x=\"\(f(x(d.start)))\" y=\"\(f(y))\" width=\"\(f(max(1, (d.end - d.start) * scale)))\" height=\"\(f(height))\" class=\"down\"><title>\(esc(h.name)) down: \(esc(d.reason))</title></rect>"
            }
            if perJob {
                for (k, j) in r.jobs.enumerated() where j.host == h.name {
                    let by = y + Double(j.lane) * lane + 1
                    let bh = Double(max(1, j.cores)) * lane - 2
                    svg += "<g class=\"bar \(j.outcome.rawValue)\(critical.contains(k) ? " crit" : "")\" data-j=\"\(data.count)\">"
                    svg += "<rect x=\"\(f(x(j.start)))\" y=\"\(f(by))\" width=\"\(f(max(1, j.seconds * scale)))\" height=\"\(f(bh))\"/>"
                    if lane >= 10 {
                        for p in j.phases where p.seconds * scale >= 2 {
                            svg += "<rect x=\"\(f(x(p.start)))\" y=\"\(f(by + bh * 0.6))\" width=\"\(f(p.seconds * scale))\" height=\"\(f(bh * 0.4))\" class=\"ph ph-\(esc(p.name))\"/>"
                        }
                    }
                    svg += "</g>"
                    data.append(jobData(j, critical: critical.contains(k), logBase: logBase))
                }
            } else {
                svg += occupancy(r, host: h, y: y, height: height, x: x, scale: scale)
            }
            y += height + 6
        }
        if !perJob, !r.criticalPath.isEmpty {
            // The critical path keeps a bar per job on its own row.
            svg += "<text x=\"4\" y=\"\(f(y + 12))\" class=\"host\">critical path</text>"
            svg += "<rect x=\"\(f(label))\" y=\"\(f(y))\" width=\"\(f(width - label - 10))\" height=\"18\" class=\"idle\"/>"
            for k in r.criticalPath {
                let j = r.jobs[k]
                svg += "<g class=\"bar \(j.outcome.rawValue) crit\" data-j=\"\(data.count)\"><rect x=\"\(f(x(j.start)))\" y=\"\(f(y + 1))\" width=\"\(f(max(1, j.seconds * scale)))\" height=\"16\"/></g>"
                data.append(jobData(j, critical: true, logBase: logBase))
            }
            y += 24
        }
        let height = y + 4
        var s = "<h2>Timeline</h2>\n<p class=\"sub\">"
        s += perJob ? "One row per slot of each host, one bar per job (<span id=\"drawn\">\(data.count)</span> bars); the lower band shows its phases. "
            : "\(r.jobs.count) jobs: one row per host, the height is the share of its slots busy (red: failing jobs); <span id=\"drawn\">\(data.count)</span> bars on the critical path row. "
        s += "Grey is idle, hatched is a host down, outlined bars are the critical path. Point at a bar for its details, click to keep them.</p>\n"
        s += "<div class=\"legend\">" + ["built", "failed", "notFinished", "running"].map { "<span class=\"sw \($0)\"></span>\($0) " }.joined()
        s += phaseNames.map { "<span class=\"sw ph-\($0)\"></span>\($0) " }.joined() + "</div>\n"
        s += "<div class=\"scroll\"><svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        s += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#b0413e\" opacity=\"0.45\"/></pattern></defs>"
        s += ticks.replacingOccurrences(of: "@H", with: f(height - 4)) + svg + "</svg></div>\n"
        s += "<div id=\"details\" class=\"details\">Point at a bar.</div>\n"
        s += "<script type=\"application/json\" id=\"jobs-data\">" + jsonArray(data) + "</script>\n"
        s += "<script>var T0=\(f(r.start));</script>\n"
        return s
    }

    /// Busy cores of one host per time bucket, as filled paths.
    static func occupancy(_ r: RunReport, host h: RunReport.Host, y: Double, height: Double,
                          x: (Double) -> Double, scale: Double) -> String {
        let n = buckets
        let span = max(1, r.end - r.start)
        let bucket = span / Double(n)
        var all = [Double](repeating: 0, count: n)
        var bad = [Double](repeating: 0, count: n)
        for j in r.jobs where j.host == h.name {
            var b = max(0, Int((j.start - r.start) / bucket))
            while b < n {
                let lo = r.start + Double(b) * bucket
                let overlap = min(j.end, lo + bucket) - max(j.start, lo)
                if overlap <= 0 && lo >= j.end { break }
                let share = max(0, overlap) / bucket * Double(max(1, j.cores))
                all[b] += share
                if j.outcome == .failed { bad[b] += share }
                b += 1
            }
        }
        func path(_ v: [Double], _ cls: String) -> String {
            var d = "M\(f(x(r.start))),\(f(y + height))"
            for (b, value) in v.enumerated() {
                let top = y + height - min(1, value / Double(max(1, h.slots))) * height
                d += "L\(f(x(r.start + Double(b) * bucket))),\(f(top))L\(f(x(r.start + Double(b + 1) * bucket))),\(f(top))"
            }
            return "<path d=\"\(d)L\(f(x(r.end))),\(f(y + height))Z\" class=\"\(cls)\"/>"
        }
        _ = scale
        return path(all, "occ") + path(bad, "occ-failed")
    }

    static func jobData(_ j: RunReport.Job, critical: Bool, logBase: String) -> [String] {
        var d = [j.path, j.host, f(j.start), f(j.end), j.outcome.rawValue, "\(j.cores)", logBase + j.log, critical ? "1" : "0"]
        for p in j.phases { d += [p.name, f(p.start), f(p.seconds)] }
        return d
    }

    static let phaseNames = ["depends", "prepare", "fetch", "patch", "configure", "build", "fake", "package", "clean"]

    // MARK: - Helpers

    static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }

    /// A JSON array of arrays of strings, safe inside a script element.
    static func jsonArray(_ rows: [[String]]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: rows)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func row(_ k: String, _ v: String) -> String { "<tr><th>\(esc(k))</th><td>\(v)</td></tr>" }

    static func date(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// `1h02m`, `3m05s`, `12s`, `0.4s`.
    public static func dur(_ s: Double) -> String {
        if s < 10 { return String(format: "%.1fs", s) }
        let n = Int(s.rounded())
        if n < 60 { return "\(n)s" }
        if n < 3600 { return String(format: "%dm%02ds", n / 60, n % 60) }
        return String(format: "%dh%02dm", n / 3600, (n % 3600) / 60)
    }

    static func niceStep(_ raw: Double) -> Double {
        for s in [1.0, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] where s >= raw {
            return s
        }
        return 86400 * ((raw / 86400).rounded(.up))
    }

    static let css = """
    body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
    h1{margin:0 0 .2em}h2{margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
    .sub{color:#666;margin:.2em 0}
    .cards{display:flex;flex-wrap:wrap;gap:.5em}.card{border:1px solid #ddd;border-radius:6px;padding:.4em .8em;min-width:6em}
    .card b{display:block;font-size:1.4em}.card.failed b{color:#c62828}.card.built b{color:#2e7d32}
    table{border-collapse:collapse;margin:.6em 0}td,th{border-bottom:1px solid #eee;padding:.15em .6em;text-align:left;vertical-align:top}
    table.kv th{font-weight:normal;color:#555}
    .meter{display:inline-block;width:80px;height:8px;background:#eee;vertical-align:middle}.meter span{display:block;height:8px;background:#1976d2}
    .worse{color:#c62828}.better{color:#2e7d32}
    details.fail{border-left:4px solid #c62828;padding:.2em .6em;margin:.4em 0;background:#fff7f7}
    details.fail pre{font-size:12px;overflow-x:auto;background:#fff;border:1px solid #eee;padding:.4em;margin:.3em 0}
    .scroll{overflow-x:auto;border:1px solid #ddd}
    svg text{font:11px system-ui,sans-serif}.axis{fill:#555}.host{fill:#222}.tick{stroke:#e4e4e4}
    .idle{fill:#eee}.lane{stroke:#fff;stroke-width:1}.down{fill:url(#hatch)}
    .bar{cursor:pointer}.bar>rect:first-child{stroke:#fff;stroke-width:.5}
    .built>rect:first-child,.sw.built{fill:#66bb6a;background:#66bb6a}.failed>rect:first-child,.sw.failed{fill:#e53935;background:#e53935}
    .notFinished>rect:first-child,.sw.notFinished{fill:#ffa726;background:#ffa726}.running>rect:first-child,.sw.running{fill:#42a5f5;background:#42a5f5}
    .bar.crit>rect:first-child{stroke:#111;stroke-width:2}.bar:hover>rect:first-child,.bar.sel>rect:first-child{stroke:#0d47a1;stroke-width:2.5}
    .ph{opacity:.9}.ph-depends,.sw.ph-depends{fill:#8d6e63;background:#8d6e63}.ph-prepare,.sw.ph-prepare{fill:#a1887f;background:#a1887f}
    .ph-fetch,.sw.ph-fetch{fill:#26c6da;background:#26c6da}.ph-patch,.sw.ph-patch{fill:#ab47bc;background:#ab47bc}
    .ph-configure,.sw.ph-configure{fill:#ffee58;background:#ffee58}.ph-build,.sw.ph-build{fill:#2e7d32;background:#2e7d32}
    .ph-fake,.sw.ph-fake{fill:#5c6bc0;background:#5c6bc0}.ph-package,.sw.ph-package{fill:#ec407a;background:#ec407a}
    .ph-clean,.sw.ph-clean{fill:#90a4ae;background:#90a4ae}
    .occ{fill:#66bb6a}.occ-failed{fill:#e53935}
    .legend{font-size:12px;margin:.3em 0}.sw{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;vertical-align:middle}
    .details{border:1px solid #ddd;border-radius:6px;padding:.5em .8em;margin:.5em 0;min-height:3em;background:#fafafa}
    #jserror{color:#fff;background:#c62828;padding:.5em}
    """

    static let script = """
    <script>
    window.onerror=function(m,s,l){var e=document.getElementById('jserror');e.hidden=false;e.textContent+='error: '+m+' (line '+l+')\\n';};
    (function(){
    var J=JSON.parse(document.getElementById('jobs-data').textContent);
    var box=document.getElementById('details'),pinned=null;
    function d(s){s=Math.round(s*10)/10;if(s<60)return s+'s';var m=Math.floor(s/60);if(m<60)return m+'m'+String(Math.round(s%60)).padStart(2,'0')+'s';return Math.floor(m/60)+'h'+String(m%60).padStart(2,'0')+'m';}
    function t(s){var e=document.createElement('span');e.textContent=s;return e.innerHTML;}
    function show(i){var j=J[i];if(!j)return;
    var h='<b>'+t(j[0])+'</b> on '+t(j[1])+' &middot; '+t(j[4])+(j[7]==='1'?' &middot; <b>critical path</b>':'')+(j[5]!=='1'?' &middot; '+j[5]+' cores':'')+'<br>';
    h+='from +'+d(j[2]-T0)+' to +'+d(j[3]-T0)+' ('+d(j[3]-j[2])+') &middot; <a href="'+t(j[6])+'">log</a>';
    if(j.length>8){h+='<br>';for(var k=8;k+2<j.length;k+=3)h+='<span class="sw ph-'+t(j[k])+'"></span>'+t(j[k])+' '+d(+j[k+2])+' ';}
    box.innerHTML=h;}
    var svg=document.getElementById('timeline');
    function bar(e){var g=e.target.closest?e.target.closest('[data-j]'):null;return g;}
    svg.addEventListener('mouseover',function(e){var g=bar(e);if(g&&pinned===null)show(+g.getAttribute('data-j'));});
    svg.addEventListener('click',function(e){var g=bar(e);var old=document.querySelector('.bar.sel');if(old)old.classList.remove('sel');
    if(g){pinned=+g.getAttribute('data-j');g.classList.add('sel');show(pinned);}else pinned=null;});
    document.getElementById('drawn').textContent=String(svg.querySelectorAll('[data-j]').length);
    document.documentElement.setAttribute('data-ready','1');
    })();
    </script>

    """
}
